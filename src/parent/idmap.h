/* SPDX-License-Identifier: Apache-2.0
 *
 * idmap.h - UID/GID maps for the child's user namespace
 *
 * Theory of operation: the user's sub-ID ranges come from getsubids(1)
 * ("dynamic"), from /etc/subuid and /etc/subgid ("static"), or from the
 * first that works ("auto").  Container ID 0 maps to the user's own ID and
 * the ranges follow back to back from container ID 1, as upstream does:
 * ranges 100000+65536 and 200000+65536 give
 * "0 UID 1 1 100000 65536 65537 200000 65536".  The setuid helpers
 * newuidmap/newgidmap from the uidmap package write the maps.
 */
#ifndef RK_IDMAP_H
#define RK_IDMAP_H

#include <sys/types.h>

#include "../lib/err.h"

#define RK_SUBID_MAX 64

struct rk_subid {
	unsigned long start, count;
};

/* rk_subid_parse_static() - parse /etc/subuid-style @content for @uid or
 * @user; returns the number of ranges (0 = none), -1 on a malformed line */
int rk_subid_parse_static(const char *content, const char *file, uid_t uid,
			  const char *user, struct rk_subid *out, int max,
			  struct rk_err *err);

/* rk_subid_parse_getsubids() - parse "0: name start count" lines, appending
 * ranges not already in @out[0..n); returns the new count */
int rk_subid_parse_getsubids(const char *output, struct rk_subid *out, int n,
			     int max);

/* rk_idmap_args() - build "0 ID 1 1 S1 C1 1+C1 S2 C2 ..." into @buf as
 * space-separated words; returns 0, -1 if @buf is too small */
int rk_idmap_args(unsigned long id, const struct rk_subid *r, int n,
		  char *buf, size_t cap);

/* rk_idmap_setup() - write @pid's uid_map and gid_map with newuidmap and
 * newgidmap, using sub-IDs from @source (auto, dynamic, static); returns 0
 * or -1 with @err set */
int rk_idmap_setup(pid_t pid, const char *source, struct rk_err *err);

#endif
