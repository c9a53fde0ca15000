/* SPDX-License-Identifier: Apache-2.0
 *
 * statedir.h - the state directory ($SD) that holds lock, child_pid,
 * api.sock and the child's hosts, resolv.conf and netns
 *
 * Theory of operation: without --state-dir a fresh 0700 directory is made
 * with mkdtemp under $TMPDIR (or /tmp).  An explicit --state-dir is made
 * absolute and created (0700, parents 0755) if missing.  Before anything is
 * created the unix socket paths that will live in it (api.sock, and
 * .s4nn.sock for the slirp4netns port driver) are checked against
 * sun_path's 108 bytes, and every symbolic link on the way to it must be
 * owned by root or by the user.  The directory itself, once opened, must be
 * owned by the user (euid) and not writable by group or others, so that
 * nobody else can plant or swap entries in it; from then on entries are
 * created relative to its fd, with O_EXCL and O_NOFOLLOW.
 *
 * The parent takes a shared flock on the directory (so systemd-tmpfiles
 * leaves it alone) and an exclusive one on $SD/lock.  An existing directory
 * may hold only names rootlesskit itself creates (of the right file type);
 * anything else is refused with nothing changed.  Those names are removed,
 * so a restart after SIGKILL works.  At exit only those names are removed,
 * then the directory itself with rmdir if rootlesskit made it (this run, or
 * a killed earlier run: it held a `lock` at start) and it is empty.
 * Upstream instead empties any directory it is given and removes it.
 */
#ifndef RK_STATEDIR_H
#define RK_STATEDIR_H

#include <limits.h>
#include <stdbool.h>

#include "../lib/err.h"

struct rk_statedir {
	char path[PATH_MAX];
	int dirfd;	/* shared flock */
	int lockfd;	/* exclusive flock on $SD/lock */
	bool rmdir;	/* remove the directory itself at exit */
};

/**
 * rk_statedir_open() - prepare the state directory
 * @sd:		result
 * @opt:	--state-dir value, "" for a temporary directory
 * @socks:	NULL-terminated names of the unix sockets to be made in it
 * @err:	error out
 *
 * Return: 0, or -1 with @err set and nothing created or removed (a `lock`
 * file made in an existing directory stays); upstream's lock message is
 * "failed to lock <SD>/lock, another RootlessKit is running with the same
 * state directory?"
 */
int rk_statedir_open(struct rk_statedir *sd, const char *opt,
		     const char *const *socks, struct rk_err *err);

/**
 * rk_statedir_remove() - clean up the state directory at exit
 * @sd:		state directory opened by rk_statedir_open()
 *
 * Removes rootlesskit's own names (of the right type; `lock` last, while
 * still locked), then the directory itself if sd->rmdir and it is empty;
 * if something else is left in it, warns and leaves the directory.
 */
void rk_statedir_remove(struct rk_statedir *sd);

#endif
