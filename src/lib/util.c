// SPDX-License-Identifier: Apache-2.0
/*
 * util.c - EINTR-safe I/O and strict number parsing, see util.h
 */
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

int rk_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t rk_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* fill_close() - @mode and @len bytes of @s into the new file @fd, which
 * is closed in any case; returns 0, or -1 with errno set */
static int fill_close(int fd, const char *s, size_t len, mode_t mode)
{
	int saved;

	if (fchmod(fd, mode) < 0 || rk_write_all(fd, s, len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int rk_write_file(const char *path, const char *s, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	return fd < 0 ? -1 : fill_close(fd, s, len, mode);
}

int rk_create_file_at(int dirfd, const char *name, const char *s, size_t len,
		      mode_t mode)
{
	int fd = openat(dirfd, name,
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			mode);
	int saved;

	if (fd < 0)
		return -1;
	if (fill_close(fd, s, len, mode) == 0)
		return 0;
	saved = errno;
	unlinkat(dirfd, name, 0);
	errno = saved;
	return -1;
}

ssize_t rk_read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = rk_read_all(fd, buf, cap - 1);
	saved = errno;
	close(fd);
	errno = saved;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int rk_parse_int(const char *s, int *out)
{
	long long v = 0;
	int neg = 0;
	const char *p = s;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > (long long)INT_MAX + 1)
			return -1;
	}
	if (neg)
		v = -v;
	if (v > INT_MAX || v < INT_MIN)
		return -1;
	*out = (int)v;
	return 0;
}

int rk_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true",
					   "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false",
					  "False" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}
