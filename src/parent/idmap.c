// SPDX-License-Identifier: Apache-2.0
/*
 * idmap.c - sub-ID lookup and newuidmap/newgidmap, see idmap.h
 */
#include "idmap.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/proc.h"
#include "../lib/signame.h"
#include "../lib/util.h"

int rk_subid_parse_static(const char *content, const char *file, uid_t uid,
			  const char *user, struct rk_subid *out, int max,
			  struct rk_err *err)
{
	const char *line = content;
	char uidstr[32];
	int n = 0;

	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)uid);
	while (*line) {
		const char *eol = strchrnul(line, '\n');
		char buf[512], *f[3], *p;
		int nf = 0;
		size_t len = (size_t)(eol - line);
		unsigned long start, count;
		char *end1, *end2;

		while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
			       line[len - 1] == '\t'))
			len--;
		if (len == 0 || line[0] == '#')
			goto next;
		if (len >= sizeof(buf))
			goto bad;
		memcpy(buf, line, len);
		buf[len] = '\0';
		for (p = buf; nf < 3; nf++) {
			f[nf] = p;
			p = strchr(p, ':');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (nf != 2 || p)
			goto bad;
		if (strcmp(f[0], uidstr) && (!user || strcmp(f[0], user)))
			goto next;
		errno = 0;
		start = strtoul(f[1], &end1, 10);
		count = strtoul(f[2], &end2, 10);
		if (errno || !*f[1] || !*f[2] || *end1 || *end2 ||
		    f[1][0] == '-' || f[2][0] == '-')
			goto bad;
		if (n < max) {
			out[n].start = start;
			out[n].count = count;
			n++;
		}
next:
		line = *eol ? eol + 1 : eol;
	}
	return n;
bad:
	return rk_err_set(err,
			  "Cannot parse subuid/gid information: Format not correct for %s file",
			  file);
}

int rk_subid_parse_getsubids(const char *output, struct rk_subid *out, int n,
			     int max)
{
	const char *line = output;

	while (*line) {
		const char *eol = strchrnul(line, '\n');
		char buf[512], name[256];
		unsigned long start, count;
		size_t len = (size_t)(eol - line);
		int i, dup = 0;

		if (len && line[0] != '#' && len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			if (sscanf(buf, "%*d: %255s %lu %lu", name, &start,
				   &count) == 3) {
				for (i = 0; i < n; i++)
					dup |= out[i].start == start &&
					       out[i].count == count;
				if (!dup && n < max) {
					out[n].start = start;
					out[n].count = count;
					n++;
				}
			}
		}
		line = *eol ? eol + 1 : eol;
	}
	return n;
}

int rk_idmap_args(unsigned long id, const struct rk_subid *r, int n,
		  char *buf, size_t cap)
{
	unsigned long next = 1;
	size_t len;
	int i, w;

	w = snprintf(buf, cap, "0 %lu 1", id);
	if (w < 0 || (size_t)w >= cap)
		return -1;
	len = (size_t)w;
	for (i = 0; i < n; i++) {
		w = snprintf(buf + len, cap - len, " %lu %lu %lu", next,
			     r[i].start, r[i].count);
		if (w < 0 || (size_t)w >= cap - len)
			return -1;
		len += (size_t)w;
		next += r[i].count;
	}
	return 0;
}

/* getsubids_query() - run "getsubids [-g] WHO", appending ranges; returns
 * the new count, -1 if the command failed */
static int getsubids_query(const char *bin, bool group, const char *who,
			   struct rk_subid *out, int n)
{
	char *argv[] = { (char *)bin, group ? "-g" : (char *)who,
			 group ? (char *)who : NULL, NULL };
	char buf[4096];
	struct rk_err err;
	int status;

	if (rk_run(argv, buf, sizeof(buf), &status, &err) < 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return rk_subid_parse_getsubids(buf, out, n, RK_SUBID_MAX);
}

/* subids_dynamic() - ranges from getsubids for name and uid; returns count,
 * -1 with @err set when both queries failed or getsubids is missing */
static int subids_dynamic(bool group, uid_t uid, const char *user,
			  struct rk_subid *out, struct rk_err *err)
{
	const char *bin = getenv("GETSUBIDS");
	char path[4096], uidstr[32];
	int n = 0, a, b;

	if (!bin || !*bin)
		bin = "getsubids";
	if (rk_lookpath(bin, path, sizeof(path), err) < 0)
		return -1;
	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)uid);
	a = user ? getsubids_query(path, group, user, out, n) : -1;
	if (a > 0)
		n = a;
	b = getsubids_query(path, group, uidstr, out, n);
	if (b > 0)
		n = b;
	if (a < 0 && b < 0)
		return rk_err_set(err, "%s failed for user %u", path,
				  (unsigned)uid);
	return n;
}

/* subids_static() - ranges from /etc/subuid or /etc/subgid */
static int subids_static(bool group, uid_t uid, const char *user,
			 struct rk_subid *out, struct rk_err *err)
{
	const char *file = group ? "/etc/subgid" : "/etc/subuid";
	cleanup_free char *buf = malloc(1 << 20);
	int n;

	if (!buf)
		return rk_err_errno(err, ENOMEM, "read %s", file);
	if (rk_read_file(file, buf, 1 << 20) < 0)
		return rk_err_errno(err, errno, "open %s", file);
	n = rk_subid_parse_static(buf, group ? "subgid" : "subuid", uid, user,
				  out, RK_SUBID_MAX, err);
	if (n == 0)
		return rk_err_set(err, "No %s ranges found for user %u (\"%s\")",
				  group ? "subgid" : "subuid", (unsigned)uid,
				  user ? user : "");
	return n;
}

/* run_map() - newuidmap/newgidmap PID WORDS...; returns 0 or -1 */
static int run_map(const char *tool, pid_t pid, const char *words,
		   struct rk_err *err)
{
	char pidstr[32], copy[4096], out[4096], status_txt[64];
	char *argv[3 + 3 * (RK_SUBID_MAX + 1)];
	int argc = 0, status;
	char *tok, *save = NULL;

	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	snprintf(copy, sizeof(copy), "%s", words);
	argv[argc++] = (char *)tool;
	argv[argc++] = pidstr;
	for (tok = strtok_r(copy, " ", &save); tok && argc < (int)ARRAY_SIZE(argv) - 1;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (rk_run(argv, out, sizeof(out), &status, err) < 0) {
		if (strstr(err->msg, "not found in $PATH"))
			rk_err_wrap(err,
				    "%s is required (install the Debian package \"uidmap\")",
				    tool);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		size_t l = strlen(out);

		while (l && out[l - 1] == '\n')
			out[--l] = '\0';
		return rk_err_set(err, "%s %s [%s] failed: %s: %s", tool,
				  pidstr, words, out,
				  rk_wait_status_str(status, status_txt,
						     sizeof(status_txt)));
	}
	return 0;
}

/* lookup_ranges() - sub-IDs for one kind according to @source */
static int lookup_ranges(const char *source, bool group, uid_t uid,
			 const char *user, struct rk_subid *out,
			 struct rk_err *err)
{
	int n;

	if (!strcmp(source, "static"))
		return subids_static(group, uid, user, out, err);
	if (!strcmp(source, "dynamic")) {
		n = subids_dynamic(group, uid, user, out, err);
		if (n == 0)
			return rk_err_set(err, "No %s ranges found for user %u (\"%s\")",
					  group ? "subgid" : "subuid",
					  (unsigned)uid, user ? user : "");
		return n;
	}
	/* auto: dynamic, falling back to static */
	n = subids_dynamic(group, uid, user, out, err);
	if (n > 0)
		return n;
	rk_debug("getsubids gave no %s ranges, reading /etc/%s",
		 group ? "subgid" : "subuid", group ? "subgid" : "subuid");
	return subids_static(group, uid, user, out, err);
}

int rk_idmap_setup(pid_t pid, const char *source, struct rk_err *err)
{
	struct rk_subid uids[RK_SUBID_MAX] = { 0 }, gids[RK_SUBID_MAX] = { 0 };
	char words[4096];
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct passwd *pw = getpwuid(uid);
	const char *user = pw ? pw->pw_name : getenv("USER");
	int nu, ng;

	if (pw)
		gid = pw->pw_gid;
	nu = lookup_ranges(source, false, uid, user, uids, err);
	if (nu < 0)
		return rk_err_wrap(err, "failed to setup UID/GID map");
	ng = lookup_ranges(source, true, uid, user, gids, err);
	if (ng < 0)
		return rk_err_wrap(err, "failed to setup UID/GID map");
	if (rk_idmap_args(uid, uids, nu, words, sizeof(words)) < 0 ||
	    run_map("newuidmap", pid, words, err) < 0)
		return rk_err_wrap(err, "failed to setup UID/GID map");
	if (rk_idmap_args(gid, gids, ng, words, sizeof(words)) < 0 ||
	    run_map("newgidmap", pid, words, err) < 0)
		return rk_err_wrap(err, "failed to setup UID/GID map");
	return 0;
}
