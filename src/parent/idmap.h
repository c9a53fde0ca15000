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

/**
 * rk_subid_parse_static() - parse the contents of /etc/subuid or /etc/subgid
 * @content:	file contents
 * @file:	"subuid" or "subgid", for the error message
 * @uid:	numeric user ID to match
 * @user:	user name to match (may be NULL)
 * @out:	ranges, in file order
 * @max:	capacity of @out
 * @err:	error out
 *
 * Blank lines and lines starting with '#' are skipped; every other line must
 * have exactly three ':'-separated fields.
 *
 * Return: number of matching ranges, -1 with @err set on a malformed line
 */
int rk_subid_parse_static(const char *content, const char *file, uid_t uid,
			  const char *user, struct rk_subid *out, int max,
			  struct rk_err *err);

/**
 * rk_subid_parse_getsubids() - parse getsubids(1) output
 * @output:	lines like "0: alice 100000 65536"
 * @out:	ranges; entries already present are kept and not duplicated
 * @n:		number of ranges already in @out
 * @max:	capacity of @out
 *
 * Return: the new number of ranges
 */
int rk_subid_parse_getsubids(const char *output, struct rk_subid *out, int n,
			     int max);

/**
 * rk_idmap_args() - format the mapping words for newuidmap/newgidmap
 * @id:		the user's own uid or gid (container ID 0)
 * @r:		sub-ID ranges
 * @n:		number of ranges
 * @buf:	output, space-separated
 * @cap:	size of @buf
 *
 * Return: 0, -1 if @buf is too small
 */
int rk_idmap_args(unsigned long id, const struct rk_subid *r, int n,
		  char *buf, size_t cap);

/**
 * rk_idmap_setup() - write the child's uid and gid maps
 * @pid:	child process (in its new user namespace, maps unwritten)
 * @source:	"auto", "dynamic" or "static"
 * @err:	error out
 *
 * Return: 0, or -1 with @err set ("failed to setup UID/GID map: ...")
 */
int rk_idmap_setup(pid_t pid, const char *source, struct rk_err *err);

#endif
