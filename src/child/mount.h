/* SPDX-License-Identifier: Apache-2.0
 *
 * mount.h - mounts made by the child inside its mount namespace
 */
#ifndef RK_MOUNT_H
#define RK_MOUNT_H

#include <stdbool.h>

#include "../lib/err.h"

/* rk_propagation_flags() - MS_* flags for a --propagation value; returns
 * 0 when @p is not one of private, rprivate, shared, rshared, slave,
 * rslave */
unsigned long rk_propagation_flags(const char *p);

/* rk_set_propagation() - apply --propagation to "/"; returns 0 or -1 */
int rk_set_propagation(const char *p, struct rk_err *err);

/* rk_mount_proc() - fresh /proc for --pidns (read-only fallback, warns) */
void rk_mount_proc(void);

/* rk_mount_sysfs() - fresh /sys unless @host_net, keeping /sys/fs/cgroup,
 * or with @cgroup2 (--evacuate-cgroup2) a new cgroup2 mount on it; returns
 * 0 or -1 */
int rk_mount_sysfs(bool host_net, bool cgroup2, struct rk_err *err);

/* rk_copy_up() - tmpfs+symlink copy-up of each directory in @dirs; sets
 * *@etc_copied when /etc was among them; returns 0 or -1 */
int rk_copy_up(char *const *dirs, int n, bool *etc_copied,
	       struct rk_err *err);

/* rk_clean_path() - lexical path clean like Go's filepath.Clean, in place */
void rk_clean_path(char *p);

#endif
