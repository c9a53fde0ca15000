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
#include <sys/un.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"

/* Every name rootlesskit (or slirp4netns for it) creates in the state
 * directory, with the only file type it can have there */
static const struct {
	const char *name;
	mode_t type;
} ours[] = {
	{ "lock", S_IFREG },	    { "child_pid", S_IFREG },
	{ ".child_pid.tmp", S_IFREG }, { "hosts", S_IFREG },
	{ "resolv.conf", S_IFREG }, { "netns", S_IFREG },
	{ "api.sock", S_IFSOCK },   { ".s4nn.sock", S_IFSOCK },
};

#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* is_ours() - @name with file type @mode is something rootlesskit makes;
 * returns true or false */
static bool is_ours(const char *name, mode_t mode)
{
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		if (!strcmp(name, ours[i].name))
			return (mode & S_IFMT) == ours[i].type;
	}
	return false;
}

/**
 * scan() - check that a directory holds only rootlesskit's entries
 * @sd:		state directory (path for messages, dirfd)
 * @remove:	also unlink each of them except `lock`
 * @had_lock:	set to whether `lock` was there (may be NULL)
 * @err:	error out
 *
 * Return: 0, or -1 with @err set; the message names the first foreign entry
 * (`state dir SD holds "NAME", which rootlesskit did not create; refusing
 * to remove it`)
 */
static int scan(struct rk_statedir *sd, bool remove, bool *had_lock,
		struct rk_err *err)
{
	int fd = fcntl(sd->dirfd, F_DUPFD_CLOEXEC, 3);
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	if (had_lock)
		*had_lock = false;
	if (fd < 0)
		return rk_err_errno(err, errno, "state dir %s", sd->path);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return rk_err_errno(err, errno, "state dir %s", sd->path);
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		const char *n = de->d_name;

		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (fstatat(sd->dirfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			r = rk_err_errno(err, errno, "state dir %s: stat %s",
					 sd->path, n);
			break;
		}
		if (!is_ours(n, st.st_mode)) {
			r = rk_err_set(err, "state dir %s holds \"%s\", which rootlesskit did not create; refusing to remove it",
				       sd->path, n);
			break;
		}
		if (!strcmp(n, "lock")) {
			if (had_lock)
				*had_lock = true;
			continue;
		}
		if (remove && unlinkat(sd->dirfd, n, 0) < 0 && errno != ENOENT) {
			r = rk_err_errno(err, errno,
					 "initialising state dir %s: unlink %s",
					 sd->path, n);
			break;
		}
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
		if ((size_t)snprintf(out, cap, "%s", in) >= cap)
			return rk_err_set(err, "state dir path too long");
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

/**
 * check_socks() - the unix sockets to be made in @dir fit in sun_path
 * @dir:	state directory path
 * @socks:	NULL-terminated socket names
 * @err:	error out
 *
 * Return: 0, or -1 with @err set ("state dir path too long: "SD/NAME" is N
 * bytes, a unix socket path holds at most 107")
 */
static int check_socks(const char *dir, const char *const *socks,
		       struct rk_err *err)
{
	for (; socks && *socks; socks++) {
		size_t n = strlen(dir) + 1 + strlen(*socks);

		if (n > SUN_PATH_MAX)
			return rk_err_set(err, "state dir path too long: \"%s/%s\" is %zu bytes, a unix socket path holds at most %zu",
					  dir, *socks, n, SUN_PATH_MAX);
	}
	return 0;
}

/**
 * check_links() - every symlink on the way to @path is root's or ours
 * @sd:		the state dir path, for messages
 * @path:	absolute path to walk, component by component (lstat)
 * @depth:	symlinks followed so far
 * @err:	error out
 *
 * A link's target is walked the same way, so a chain of links is checked
 * link by link.  Components that do not exist end the walk (they will be
 * created by us); other lstat errors are left for the later open to report.
 *
 * Return: 0, or -1 with @err set ("state dir SD: LINK is a symbolic link
 * owned by uid N; refusing to follow it")
 */
static int check_links(const char *sd, const char *path, int depth,
		       struct rk_err *err)
{
	char prefix[PATH_MAX], target[PATH_MAX], next[2 * PATH_MAX];
	size_t len = strlen(path);
	struct stat st;
	ssize_t n;

	if (len >= sizeof(prefix))
		return rk_err_set(err, "state dir %s: path too long", sd);
	for (size_t i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		if (i < len && path[i - 1] == '/')
			continue;	/* "//" */
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (lstat(prefix, &st) < 0)
			return 0;
		if (!S_ISLNK(st.st_mode))
			continue;
		if (st.st_uid != 0 && st.st_uid != geteuid())
			return rk_err_set(err, "state dir %s: %s is a symbolic link owned by uid %u; refusing to follow it",
					  sd, prefix, (unsigned)st.st_uid);
		if (depth >= 40)
			return rk_err_errno(err, ELOOP, "state dir %s", sd);
		n = readlink(prefix, target, sizeof(target) - 1);
		if (n < 0)
			return 0;
		target[n] = '\0';
		if (target[0] == '/') {
			snprintf(next, sizeof(next), "%s", target);
		} else {
			char *slash = strrchr(prefix, '/');

			*slash = '\0';	/* prefix starts with '/' */
			snprintf(next, sizeof(next), "%s/%s", prefix, target);
		}
		if (check_links(sd, next, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

/**
 * mkdir_p() - create @path and its missing parents
 * @path:	absolute path (modified temporarily)
 * @mode:	mode of @path itself; parents get 0755
 * @top:	set to the length of the first prefix created (0: none)
 *
 * Return: 0, or -1 with errno set (what was created stays; see unmake())
 */
static int mkdir_p(char *path, mode_t mode, size_t *top)
{
	*top = 0;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == 0) {
			if (!*top)
				*top = (size_t)(p - path);
		} else if (errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (mkdir(path, mode) < 0)
		return -1;
	if (!*top)
		*top = strlen(path);
	return 0;
}

/* unmake() - rmdir @path and its parents down to the prefix of length @top
 * (what mkdir_p() created); empty directories only */
static void unmake(const char *path, size_t top)
{
	char p[PATH_MAX];
	char *slash;

	if (!top)
		return;
	snprintf(p, sizeof(p), "%s", path);
	while (strlen(p) >= top) {
		if (rmdir(p) < 0)
			return;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			return;
		*slash = '\0';
	}
}

/**
 * check_dir() - the state dir is the user's and only the user's
 * @sd:		state directory (path for messages)
 * @st:		its stat (before opening it, then fstat of sd->dirfd)
 * @err:	error out
 *
 * Return: 0, or -1 with @err set ("state dir SD is owned by uid N, not by
 * uid M; refusing to use it" or "state dir SD is writable by group or
 * others (mode 0NNN); refusing to use it")
 */
static int check_dir(const struct rk_statedir *sd, const struct stat *st,
		     struct rk_err *err)
{
	if (st->st_uid != geteuid())
		return rk_err_set(err, "state dir %s is owned by uid %u, not by uid %u; refusing to use it",
				  sd->path, (unsigned)st->st_uid,
				  (unsigned)geteuid());
	if (st->st_mode & 022)
		return rk_err_set(err, "state dir %s is writable by group or others (mode %04o); refusing to use it",
				  sd->path, (unsigned)(st->st_mode & 07777));
	return 0;
}

int rk_statedir_open(struct rk_statedir *sd, const char *opt,
		     const char *const *socks, struct rk_err *err)
{
	char lockpath[PATH_MAX + 8];
	bool had_lock = false;
	size_t top = 0;
	struct stat st;

	sd->dirfd = sd->lockfd = -1;
	sd->rmdir = false;
	if (!*opt) {
		const char *tmp = getenv("TMPDIR");

		if (!tmp || !*tmp)
			tmp = "/tmp";
		if ((size_t)snprintf(sd->path, sizeof(sd->path),
				     "%s/rootlesskitXXXXXX", tmp) >= sizeof(sd->path))
			return rk_err_set(err, "state dir path too long");
		if (check_socks(sd->path, socks, err) < 0 ||
		    (sd->path[0] == '/' && check_links(sd->path, tmp, 0, err) < 0))
			return -1;
		if (!mkdtemp(sd->path))
			return rk_err_errno(err, errno,
					    "creating a state directory");
		top = strlen(sd->path);
	} else {
		if (make_abs(opt, sd->path, sizeof(sd->path), err) < 0 ||
		    check_socks(sd->path, socks, err) < 0 ||
		    check_links(sd->path, sd->path, 0, err) < 0)
			return -1;
		if (stat(sd->path, &st) < 0) {
			if (errno != ENOENT)
				return rk_err_errno(err, errno, "state dir is inaccessible: stat %s",
						    sd->path);
			if (mkdir_p(sd->path, 0700, &top) < 0) {
				rk_err_errno(err, errno, "mkdir %s", sd->path);
				unmake(sd->path, top);
				return -1;
			}
		} else if (!S_ISDIR(st.st_mode)) {
			return rk_err_set(err, "state dir is inaccessible: %s is not a directory",
					  sd->path);
		} else if (check_dir(sd, &st, err) < 0) {
			return -1;	/* a clearer error than open's EACCES */
		}
	}
	sd->dirfd = open(sd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sd->dirfd < 0) {
		rk_err_errno(err, errno, "state dir is inaccessible: open %s",
			     sd->path);
		goto fail;
	}
	/* nothing is touched in a directory someone else could write to */
	if (fstat(sd->dirfd, &st) < 0) {
		rk_err_errno(err, errno, "state dir %s", sd->path);
		goto fail;
	}
	if (check_dir(sd, &st, err) < 0 || scan(sd, false, &had_lock, err) < 0)
		goto fail;
	if (flock(sd->dirfd, LOCK_SH | LOCK_NB) < 0)
		rk_warn("Failed to lock the state dir %s", sd->path);
	snprintf(lockpath, sizeof(lockpath), "%s/lock", sd->path);
	sd->lockfd = openat(sd->dirfd, "lock",
			    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (sd->lockfd < 0) {
		rk_err_errno(err, errno, "open %s", lockpath);
		goto fail;
	}
	if (flock(sd->lockfd, LOCK_EX | LOCK_NB) < 0) {
		rk_err_set(err,
			   "failed to lock %s, another RootlessKit is running with the same state directory?",
			   lockpath);
		goto fail;	/* the directory belongs to the other instance */
	}
	/* again under the lock: what a killed instance left is removed */
	if (scan(sd, true, NULL, err) < 0)
		goto fail;
	sd->rmdir = top || had_lock;
	return 0;
fail:
	if (sd->lockfd >= 0)
		close(sd->lockfd);
	if (sd->dirfd >= 0)
		close(sd->dirfd);
	sd->lockfd = sd->dirfd = -1;
	if (top) {
		unlinkat(AT_FDCWD, lockpath, 0);
		unmake(sd->path, top);
	}
	return -1;
}

void rk_statedir_remove(struct rk_statedir *sd)
{
	struct rk_err err = { 0 };
	struct stat st;

	if (sd->dirfd < 0)
		return;
	for (size_t i = sizeof(ours) / sizeof(ours[0]); i-- > 0;) {
		const char *n = ours[i].name;

		if (fstatat(sd->dirfd, n, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    is_ours(n, st.st_mode) && unlinkat(sd->dirfd, n, 0) < 0 &&
		    errno != ENOENT)
			rk_warn("failed to remove %s/%s: %s", sd->path, n,
				rk_strerror(errno));
	}
	if (sd->rmdir) {
		if (scan(sd, false, NULL, &err) < 0)
			rk_warn("%s", err.msg);
		else if (rmdir(sd->path) < 0 && errno != ENOENT)
			rk_warn("failed to remove %s: %s", sd->path,
				rk_strerror(errno));
	}
	if (sd->lockfd >= 0)
		close(sd->lockfd);
	close(sd->dirfd);
	sd->dirfd = sd->lockfd = -1;
}
