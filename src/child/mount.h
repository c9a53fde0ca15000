/* SPDX-License-Identifier: Apache-2.0
 *
 * mount.h - mounts made by the child inside its mount namespace
 */
#ifndef RK_MOUNT_H
#define RK_MOUNT_H

#include <stdbool.h>

#include "../lib/err.h"

/**
 * rk_propagation_flags() - map a propagation name to mount flags
 * @p:		value of --propagation
 *
 * Return: MS_PRIVATE/MS_SHARED/MS_SLAVE, with MS_REC for the r-variants;
 * 0 for an unknown name
 */
unsigned long rk_propagation_flags(const char *p);

/**
 * rk_set_propagation() - set the propagation of the child's "/"
 * @p:		value of --propagation (validated by the parent)
 * @err:	error out
 *
 * Return: 0, -1 with @err set
 */
int rk_set_propagation(const char *p, struct rk_err *err);

/* rk_mount_proc() - fresh /proc for --pidns (read-only fallback, warns) */
void rk_mount_proc(void);

/**
 * rk_mount_sysfs() - mount a sysfs showing the new network namespace
 * @host_net:	the child shares the host's network namespace
 * @cgroup2:	--evacuate-cgroup2 is set
 * @err:	error out
 *
 * With a network namespace of its own, /sys/class/net would otherwise list
 * the host's interfaces, so a fresh sysfs goes on /sys.  The cgroup tree is
 * kept by moving its bind mount over the new sysfs, or, when evacuating,
 * replaced by a cgroup2 mount of the child's cgroup namespace (its root is
 * the group the parent evacuated).  With the host's network /sys stays;
 * only when evacuating a tmpfs and then the cgroup2 go on /sys/fs/cgroup
 * (the tmpfs first: mounting cgroup2 straight onto a cgroup2 mount of the
 * same hierarchy fails with EBUSY).
 *
 * Return: 0, -1 with @err set
 */
int rk_mount_sysfs(bool host_net, bool cgroup2, struct rk_err *err);

/**
 * rk_copy_up() - make directories writable with tmpfs+symlink
 * @dirs:	directories (cleaned in place)
 * @n:		number of directories
 * @etc_copied:	set to true when /etc was copied up
 * @err:	error out
 *
 * Return: 0, -1 with @err set
 */
int rk_copy_up(char *const *dirs, int n, bool *etc_copied,
	       struct rk_err *err);

/**
 * rk_clean_path() - lexically clean an absolute or relative path
 * @p:		path, rewritten in place ("/etc/" -> "/etc", "/a/../b" -> "/b")
 */
void rk_clean_path(char *p);

#endif
