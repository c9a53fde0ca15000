// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup2.c - --evacuate-cgroup2=NAME, as upstream's cgrouputil
 *
 * Theory of operation: cgroup v2 allows controllers to be enabled for a
 * group's children only while the group itself holds no processes (the
 * "no internal processes" rule).  Under systemd delegation rootlesskit
 * starts inside the delegated group G, so the parent, after its child has
 * been cloned into a new cgroup namespace rooted at G and before any
 * network helper is started, empties G into G/NAME:
 *
 *   1. the cgroup2 mount point M is the first cgroup2 entry of
 *      /proc/self/mountinfo (none: warning, nothing done, no error);
 *   2. G is the "0::" line of /proc/<our pid>/cgroup;
 *   3. mkdir -p M/G/NAME (0755);
 *   4. every PID in M/G/cgroup.procs is written to M/G/NAME/cgroup.procs
 *      (failures are warnings);
 *   5. "+<ctrl>" for every controller in M/G/cgroup.controllers is
 *      written to M/G/cgroup.subtree_control (failures are warnings).
 *
 * The child, already moved by step 4, then sees itself as "/NAME" in its
 * cgroup namespace and mounts a cgroup2 of its own on /sys/fs/cgroup
 * (rk_mount_sysfs()).  Errors are upstream's unwrapped Go texts ("mkdir
 * <path>: ...", "open <path>: ...").  One difference: when there is no
 * "0::" line (or /proc/<pid>/cgroup cannot be read) upstream's check for
 * it tests the wrong variable and goes on with the root of the cgroup2
 * mount; we warn as upstream meant to and do nothing.
 */
#include "cgroup2.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../child/mount.h"
#include "../lib/log.h"
#include "../lib/util.h"

int rk_cgroup2_check_name(const char *name, struct rk_err *err)
{
	if (!*name)
		return rk_err_set(err, "got empty evacuation group name");
	if (strchr(name, '/'))
		return rk_err_set(err, "unexpected evacuation group name \"%s\": must not contain \"/\"",
				  name);
	return 0;
}

/* unescape_octal() - decode mountinfo's \NNN escapes of @s (len @n) into
 * @out; returns 0, -1 if it does not fit */
static int unescape_octal(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < n &&
		    s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
				   (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int rk_cgroup2_find_mount(const char *mountinfo, char *out, size_t cap)
{
	const char *line = mountinfo;
	int found = 0;

	if (!cap)
		return 0;
	out[0] = '\0';
	while (line && *line) {
		const char *end = strchrnul(line, '\n');
		const char *f[6], *p = line, *sep;
		size_t flen[6];
		int i;

		for (i = 0; i < 6 && p < end; i++) {
			const char *e = memchr(p, ' ', (size_t)(end - p));

			f[i] = p;
			flen[i] = (size_t)((e ? e : end) - p);
			p = e ? e + 1 : end;
		}
		/* the optional fields end at " - "; FSTYPE follows */
		sep = i == 6 && p < end ? p - 1 : NULL;
		while (sep && sep < end) {
			if (!strncmp(sep, " - ", 3))
				break;
			sep = memchr(sep + 1, ' ', (size_t)(end - sep - 1));
		}
		if (sep && sep < end) {
			const char *fs = sep + 3;
			const char *fe = memchr(fs, ' ', (size_t)(end - fs));
			size_t fl = (size_t)((fe ? fe : end) - fs);

			if (fl == 7 && !strncmp(fs, "cgroup2", 7) &&
			    found++ == 0 &&
			    unescape_octal(f[4], flen[4], out, cap) < 0)
				out[0] = '\0';	/* too long: treated as none */
		}
		line = *end ? end + 1 : NULL;
	}
	return found;
}

int rk_cgroup2_group(const char *proc_cgroup, char *out, size_t cap)
{
	const char *line = proc_cgroup;

	if (cap)
		out[0] = '\0';
	while (line && *line) {
		const char *end = strchrnul(line, '\n');

		if (!strncmp(line, "0::", 3) && end >= line + 3) {
			snprintf(out, cap, "%.*s", (int)(end - line - 3), line + 3);
			return 0;
		}
		line = *end ? end + 1 : NULL;
	}
	return -1;
}

/* path_join() - "@a/@b" into @out, lexically cleaned; returns 0, or -1
 * with errno ENAMETOOLONG */
static int path_join(char *out, size_t cap, const char *a, const char *b)
{
	int n = snprintf(out, cap, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= cap || (size_t)n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	rk_clean_path(out);
	return 0;
}

/* slurp() - the whole of @path (cgroupfs and procfs report size 0) as a
 * NUL-terminated malloc'ed string; NULL with errno set */
static char *slurp(const char *path)
{
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf, *nb;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	if (!buf)
		return NULL;
	for (;;) {
		if (len + 1 >= cap) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* read_or_err() - slurp() with Go's "open <path>: <errno>" on failure */
static char *read_or_err(const char *path, struct rk_err *err)
{
	char *s = slurp(path);

	if (!s)
		rk_err_errno(err, errno, "open %s", path);
	return s;
}

/* write_str() - write @s to the existing file @path in one write(), as
 * cgroupfs wants; returns 0, or -1 with @err set as Go's os.WriteFile
 * ("open <path>: ..." or "write <path>: ...") */
static int write_str(const char *path, const char *s, struct rk_err *err)
{
	cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return rk_err_errno(err, errno, "open %s", path);
	do
		n = write(fd, s, strlen(s));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return rk_err_errno(err, errno, "write %s", path);
	return 0;
}

/* mkdir_all() - mkdir -p @path with mode 0755, like Go's os.MkdirAll;
 * returns 0, or -1 with "mkdir <the failing path>: ..." */
static int mkdir_all(char *path, struct rk_err *err)
{
	struct stat st;
	char *slash;
	int e;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		return rk_err_errno(err, ENOTDIR, "mkdir %s", path);
	}
	slash = strrchr(path, '/');
	if (slash && slash != path) {
		int r;

		*slash = '\0';
		r = mkdir_all(path, err);
		*slash = '/';
		if (r < 0)
			return -1;
	}
	if (mkdir(path, 0755) == 0)
		return 0;
	e = errno;
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return rk_err_errno(err, e, "mkdir %s", path);
}

/* find_mount() - the cgroup2 mount point from /proc/self/mountinfo into
 * @mnt (upstream's warnings); returns false when there is none */
static bool find_mount(char *mnt, size_t cap)
{
	cleanup_free char *mi = slurp("/proc/self/mountinfo");
	int n;

	if (!mi) {
		rk_warn("failed to find mountpoint for cgroup2: open /proc/self/mountinfo: %s",
			rk_strerror(errno));
		return false;
	}
	n = rk_cgroup2_find_mount(mi, mnt, cap);
	if (n > 1)
		rk_warn("expected single mountpoint for cgroup2, got %d", n);
	return n > 0 && *mnt;
}

/* own_group() - our cgroup v2 path into @group; returns false (after a
 * warning) when it cannot be read */
static bool own_group(char *group, size_t cap)
{
	char path[64];
	cleanup_free char *s = NULL;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)getpid());
	s = slurp(path);
	if (!s) {
		rk_warn("failed to read \"%s\": open %s: %s", path, path,
			rk_strerror(errno));
		return false;
	}
	return rk_cgroup2_group(s, group, cap) == 0;
}

/* move_procs() - every PID of @old/cgroup.procs into @new/cgroup.procs;
 * returns 0 or -1 when the list cannot be read */
static int move_procs(const char *old, const char *new, const char *newgroup,
		      struct rk_err *err)
{
	char path[PATH_MAX], dst[PATH_MAX];
	cleanup_free char *procs = NULL;
	char *pid, *save = NULL;

	if (path_join(path, sizeof(path), old, "cgroup.procs") < 0 ||
	    path_join(dst, sizeof(dst), new, "cgroup.procs") < 0)
		return rk_err_errno(err, errno, "open %s/cgroup.procs", new);
	procs = read_or_err(path, err);
	if (!procs)
		return -1;
	for (pid = strtok_r(procs, "\n", &save); pid;
	     pid = strtok_r(NULL, "\n", &save)) {
		struct rk_err e;

		if (!strcmp(pid, "0"))
			continue;
		if (write_str(dst, pid, &e) < 0)
			rk_warn("failed to move process %s to cgroup \"%s\": %s",
				pid, newgroup, e.msg);
	}
	return 0;
}

/* enable_controllers() - "+<ctrl>" into @old/cgroup.subtree_control for
 * each controller of @old/cgroup.controllers; returns 0 or -1 when the
 * controllers cannot be read */
static int enable_controllers(const char *old, struct rk_err *err)
{
	char path[PATH_MAX], ctl[PATH_MAX];
	cleanup_free char *ctrls = NULL;
	char *c, *save = NULL;

	if (path_join(path, sizeof(path), old, "cgroup.controllers") < 0 ||
	    path_join(ctl, sizeof(ctl), old, "cgroup.subtree_control") < 0)
		return rk_err_errno(err, errno, "open %s/cgroup.controllers",
				    old);
	ctrls = read_or_err(path, err);
	if (!ctrls)
		return -1;
	for (c = strtok_r(ctrls, " \t\n", &save); c;
	     c = strtok_r(NULL, " \t\n", &save)) {
		char plus[256];
		struct rk_err e;

		rk_debug("enabling controller \"%s\"", c);
		snprintf(plus, sizeof(plus), "+%s", c);
		if (write_str(ctl, plus, &e) < 0)
			rk_warn("failed to enable controller \"%s\": %s", c,
				e.msg);
	}
	return 0;
}

int rk_cgroup2_evacuate(const char *name, struct rk_err *err)
{
	char mnt[PATH_MAX], group[PATH_MAX], newgroup[PATH_MAX];
	char old[PATH_MAX], new[PATH_MAX];

	if (rk_cgroup2_check_name(name, err) < 0)
		return -1;
	if (!find_mount(mnt, sizeof(mnt))) {
		rk_warn("cgroup2 is not mounted. cgroup2 evacuation is discarded.");
		return 0;
	}
	if (!own_group(group, sizeof(group))) {
		rk_warn("process is not running with cgroup2. cgroup2 evacuation is discarded.");
		return 0;
	}
	if (path_join(newgroup, sizeof(newgroup), group, name) < 0 ||
	    path_join(old, sizeof(old), mnt, group) < 0 ||
	    path_join(new, sizeof(new), mnt, newgroup) < 0)
		return rk_err_errno(err, errno, "mkdir %s%s/%s", mnt, group,
				    name);
	rk_debug("evacuating cgroup2 %s into %s", old, new);
	if (mkdir_all(new, err) < 0 || move_procs(old, new, newgroup, err) < 0 ||
	    enable_controllers(old, err) < 0)
		return -1;
	return 0;
}
