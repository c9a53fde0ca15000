/* SPDX-License-Identifier: Apache-2.0
 *
 * statedir.h - the state directory ($SD) that holds lock, child_pid and
 * api.sock
 *
 * Theory of operation: without --state-dir a fresh 0700 directory is made
 * with mkdtemp under $TMPDIR (or /tmp).  An explicit --state-dir is made
 * absolute and created (0700) if missing.  Either way the parent takes a
 * shared flock on the directory itself (so systemd-tmpfiles leaves it alone)
 * and an exclusive one on $SD/lock, then removes every other entry, so that
 * a restart after SIGKILL finds a clean directory.  At exit the whole
 * directory is removed.
 */
#ifndef RK_STATEDIR_H
#define RK_STATEDIR_H

#include <limits.h>

#include "../lib/err.h"

struct rk_statedir {
	char path[PATH_MAX];
	int dirfd;	/* shared flock */
	int lockfd;	/* exclusive flock on $SD/lock */
};

/* rk_statedir_open() - create/initialise and lock; returns 0 or -1 with
 * @err set (nothing is left behind on failure) */
int rk_statedir_open(struct rk_statedir *sd, const char *opt,
		     struct rk_err *err);

/* rk_statedir_remove() - release the locks and remove the directory */
void rk_statedir_remove(struct rk_statedir *sd);

/* rk_rm_rf_at() - remove the entries of directory @dirfd, recursively,
 * except one named @keep (may be NULL); returns 0 or -1 with errno */
int rk_rm_rf_at(int dirfd, const char *keep);

#endif
