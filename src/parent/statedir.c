// SPDX-License-Identifier: Apache-2.0
/*
 * statedir.c - state directory life cycle, see statedir.h
 */
#include "statedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"

/**
 * rk_rm_rf_at() - empty a directory
 * @dirfd:	directory (not closed)
 * @keep:	entry name to keep, or NULL
 *
 * Does not follow symlinks and does not cross into other file systems'
 * contents beyond what unlinkat allows.
 *
 * Return: 0, -1 with errno set on the first failure
 */
int rk_rm_rf_at(int dirfd, const char *keep)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (keep && !strcmp(de->d_name, keep)))
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0)
			continue;
		if (errno == EISDIR || errno == EPERM) {
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						 O_CLOEXEC);

			if (sub >= 0) {
				r |= rk_rm_rf_at(sub, NULL);
				close(sub);
			}
			if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) == 0)
				continue;
		}
		r = -1;
	}
	closedir(d);
	return r;
}

/* make_abs() - filepath.Abs: join with the cwd (no symlink resolution) */
static int make_abs(const char *in, char *out, size_t cap, struct rk_err *err)
{
	char cwd[PATH_MAX];
	size_t n;

	if (in[0] == '/') {
		snprintf(out, cap, "%s", in);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return rk_err_errno(err, errno, "getcwd");
		if ((size_t)snprintf(out, cap, "%s/%s", cwd, in) >= cap)
			return rk_err_set(err, "state dir path too long");
	}
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

/* mkdir_p() - create @path and its parents with @mode; returns 0 or -1 */
static int mkdir_p(char *path, mode_t mode)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/**
 * rk_statedir_open() - prepare the state directory
 * @sd:		result
 * @opt:	--state-dir value, "" for a temporary directory
 * @err:	error out
 *
 * Return: 0, or -1 with @err set; upstream's lock message is
 * "failed to lock <SD>/lock, another RootlessKit is running with the same
 * state directory?"
 */
int rk_statedir_open(struct rk_statedir *sd, const char *opt,
		     struct rk_err *err)
{
	char lockpath[PATH_MAX + 8];
	bool created = false;
	struct stat st;

	sd->dirfd = sd->lockfd = -1;
	if (!*opt) {
		const char *tmp = getenv("TMPDIR");

		if (!tmp || !*tmp)
			tmp = "/tmp";
		snprintf(sd->path, sizeof(sd->path), "%s/rootlesskitXXXXXX",
			 tmp);
		if (!mkdtemp(sd->path))
			return rk_err_errno(err, errno,
					    "creating a state directory");
		created = true;
	} else {
		if (make_abs(opt, sd->path, sizeof(sd->path), err) < 0)
			return -1;
		if (stat(sd->path, &st) < 0) {
			if (mkdir_p(sd->path, 0700) < 0)
				return rk_err_errno(err, errno, "mkdir %s",
						    sd->path);
			created = true;
		} else if (!S_ISDIR(st.st_mode)) {
			return rk_err_set(err, "state dir is inaccessible: %s is not a directory",
					  sd->path);
		}
	}
	sd->dirfd = open(sd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sd->dirfd < 0) {
		rk_err_errno(err, errno, "state dir is inaccessible: open %s",
			     sd->path);
		goto fail;
	}
	if (flock(sd->dirfd, LOCK_SH | LOCK_NB) < 0)
		rk_warn("Failed to lock the state dir %s", sd->path);
	snprintf(lockpath, sizeof(lockpath), "%s/lock", sd->path);
	sd->lockfd = openat(sd->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC,
			    0600);
	if (sd->lockfd < 0) {
		rk_err_errno(err, errno, "open %s", lockpath);
		goto fail;
	}
	if (flock(sd->lockfd, LOCK_EX | LOCK_NB) < 0) {
		rk_err_set(err,
			   "failed to lock %s, another RootlessKit is running with the same state directory?",
			   lockpath);
		close(sd->lockfd);
		sd->lockfd = -1;
		close(sd->dirfd);
		sd->dirfd = -1;
		return -1;	/* the directory belongs to the other instance */
	}
	if (rk_rm_rf_at(sd->dirfd, "lock") < 0) {
		rk_err_errno(err, errno, "initialising state dir %s",
			     sd->path);
		goto fail;
	}
	return 0;
fail:
	if (sd->lockfd >= 0)
		close(sd->lockfd);
	if (sd->dirfd >= 0)
		close(sd->dirfd);
	sd->lockfd = sd->dirfd = -1;
	if (created) {
		int fd = open(sd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0) {
			rk_rm_rf_at(fd, NULL);
			close(fd);
		}
		rmdir(sd->path);
	}
	return -1;
}

/**
 * rk_statedir_remove() - remove the state directory at exit
 * @sd:		state directory opened by rk_statedir_open()
 */
void rk_statedir_remove(struct rk_statedir *sd)
{
	if (sd->dirfd < 0)
		return;
	rk_rm_rf_at(sd->dirfd, NULL);
	if (rmdir(sd->path) < 0 && errno != ENOENT)
		rk_warn("failed to remove %s: %s", sd->path,
			rk_strerror(errno));
	if (sd->lockfd >= 0)
		close(sd->lockfd);
	close(sd->dirfd);
	sd->dirfd = sd->lockfd = -1;
}
