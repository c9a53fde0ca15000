// SPDX-License-Identifier: Apache-2.0
/*
 * mount.c - propagation, /proc, /sys and copy-up in the child
 *
 * /sys and /sys/fs/cgroup: see rk_mount_sysfs().
 *
 * Theory of operation (copy-up, mode tmpfs+symlink, as upstream): for each
 * directory D, bind the original D aside onto a scratch directory, mount a
 * tmpfs on D, move the bind to D/.roXXXXXX, and fill D with one symlink per
 * original entry pointing into .roXXXXXX (a symlink entry is copied as it
 * is).  D is then writable, its old contents stay visible through the
 * links, and nothing written reaches the host.  /tmp is refused because the
 * scratch directory lives there.
 */
#include "mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"

unsigned long rk_propagation_flags(const char *p)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} t[] = {
		{ "private", MS_PRIVATE }, { "rprivate", MS_REC | MS_PRIVATE },
		{ "shared", MS_SHARED },   { "rshared", MS_REC | MS_SHARED },
		{ "slave", MS_SLAVE },	   { "rslave", MS_REC | MS_SLAVE },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		if (!strcmp(p, t[i].name))
			return t[i].flags;
	return 0;
}

int rk_set_propagation(const char *p, struct rk_err *err)
{
	unsigned long f = rk_propagation_flags(p);

	if (!f)
		return rk_err_set(err, "unknown propagation: %s", p);
	if (mount("none", "/", NULL, f, NULL) < 0)
		return rk_err_errno(err, errno,
				    "failed to share mount point: /");
	return 0;
}

void rk_mount_proc(void)
{
	if (mount("none", "/proc", "proc", 0, NULL) == 0)
		return;
	rk_warn("failed to mount procfs, falling back to read-only mount: %s",
		rk_strerror(errno));
	if (mount("none", "/proc", "proc", MS_RDONLY, NULL) < 0)
		rk_warn("failed to mount procfs: %s", rk_strerror(errno));
}

/* mount_cgroup2() - a cgroup2 of the child's cgroup namespace on
 * /sys/fs/cgroup; returns 0 or -1 */
static int mount_cgroup2(struct rk_err *err)
{
	if (mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0)
		return rk_err_errno(err, errno,
				    "failed to mount cgroup2 on /sys/fs/cgroup");
	return 0;
}

int rk_mount_sysfs(bool host_net, bool cgroup2, struct rk_err *err)
{
	char tmp[] = "/tmp/rksysXXXXXX";
	int r = 0;

	if (host_net) {
		if (!cgroup2)
			return 0;
		if (mount("none", "/sys/fs/cgroup", "tmpfs", 0, NULL) < 0)
			return rk_err_errno(err, errno,
					    "failed to mount tmpfs on /sys/fs/cgroup");
		return mount_cgroup2(err);
	}
	if (!mkdtemp(tmp))
		return rk_err_errno(err, errno,
				    "creating a directory under /tmp");
	if (!cgroup2 &&
	    mount("/sys/fs/cgroup", tmp, NULL, MS_BIND | MS_REC, NULL) < 0) {
		r = rk_err_errno(err, errno,
				 "failed to create bind mount on /sys/fs/cgroup");
		goto out;
	}
	if (mount("none", "/sys", "sysfs", 0, NULL) < 0) {
		rk_warn("failed to mount sysfs, falling back to read-only mount: %s",
			rk_strerror(errno));
		if (mount("none", "/sys", "sysfs", MS_RDONLY, NULL) < 0)
			rk_warn("failed to mount sysfs: %s",
				rk_strerror(errno));
	}
	if (cgroup2) {
		r = mount_cgroup2(err);
	} else if (mount(tmp, "/sys/fs/cgroup", NULL, MS_MOVE, NULL) < 0) {
		r = rk_err_errno(err, errno,
				 "failed to move mount point from %s to /sys/fs/cgroup",
				 tmp);
		umount2(tmp, MNT_DETACH);
	}
out:
	rmdir(tmp);
	return r;
}

void rk_clean_path(char *p)
{
	char *parts[PATH_MAX / 2];
	char buf[PATH_MAX];
	int n = 0, i;
	bool abs = p[0] == '/';
	char *tok, *save = NULL;
	size_t len = 0;

	snprintf(buf, sizeof(buf), "%s", p);
	for (tok = strtok_r(buf, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (n > 0 && strcmp(parts[n - 1], ".."))
				n--;
			else if (!abs)
				parts[n++] = tok;
			continue;
		}
		parts[n++] = tok;
	}
	if (abs)
		p[len++] = '/';
	for (i = 0; i < n; i++) {
		size_t l = strlen(parts[i]);

		if (i)
			p[len++] = '/';
		memmove(p + len, parts[i], l);
		len += l;
	}
	if (len == 0)
		p[len++] = '.';
	p[len] = '\0';
}

/* link_entries() - one symlink in @dir per entry of @dir/@ro */
static int link_entries(const char *dir, const char *ro, struct rk_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(src, sizeof(src), "%s/%s", dir, ro);
	d = opendir(src);
	if (!d)
		return rk_err_errno(err, errno, "open %s", src);
	while ((de = readdir(d))) {
		struct stat st;
		ssize_t l;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(src, sizeof(src), "%s/%s/%s", dir, ro, de->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", dir, de->d_name);
		if (lstat(src, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			l = readlink(src, target, sizeof(target) - 1);
			if (l < 0)
				continue;
			target[l] = '\0';
		} else {
			snprintf(target, sizeof(target), "%s/%s", ro,
				 de->d_name);
		}
		unlink(dst);	/* e.g. an mtab created by mount */
		if (symlink(target, dst) < 0) {
			rk_err_errno(err, errno, "symlink %s -> %s", dst,
				     target);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

int rk_copy_up(char *const *dirs, int n, bool *etc_copied, struct rk_err *err)
{
	char bind[] = "/tmp/rootlesskit-bXXXXXX";
	int i, r = 0;

	*etc_copied = false;
	if (n == 0)
		return 0;
	if (!mkdtemp(bind))
		return rk_err_errno(err, errno, "creating a directory under /tmp");
	for (i = 0; i < n && r == 0; i++) {
		char *d = dirs[i];
		char ro[PATH_MAX];

		rk_clean_path(d);
		if (!strcmp(d, "/tmp")) {
			r = rk_err_set(err, "/tmp cannot be copied up");
			break;
		}
		if (mount(d, bind, NULL, MS_BIND | MS_REC, NULL) < 0) {
			r = rk_err_errno(err, errno,
					 "failed to create bind mount on %s", d);
			break;
		}
		if (mount("none", d, "tmpfs", 0, NULL) < 0) {
			r = rk_err_errno(err, errno,
					 "failed to mount tmpfs on %s", d);
			umount2(bind, MNT_DETACH);
			break;
		}
		snprintf(ro, sizeof(ro), "%s/.roXXXXXX", d);
		if (!mkdtemp(ro)) {
			r = rk_err_errno(err, errno, "creating a directory under %s", d);
			umount2(bind, MNT_DETACH);
			break;
		}
		if (mount(bind, ro, NULL, MS_MOVE, NULL) < 0) {
			r = rk_err_errno(err, errno,
					 "failed to move mount point from %s to %s",
					 bind, ro);
			umount2(bind, MNT_DETACH);
			break;
		}
		r = link_entries(d, strrchr(ro, '/') + 1, err);
		if (r == 0 && !strcmp(d, "/etc"))
			*etc_copied = true;
	}
	rmdir(bind);
	return r;
}
