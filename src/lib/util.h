/* SPDX-License-Identifier: Apache-2.0
 *
 * util.h - small helpers shared by every subsystem: cleanup attributes in the
 * style of bubblewrap/crun, and EINTR-safe full reads and writes.
 */
#ifndef RK_UTIL_H
#define RK_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void rk_freep(void *p)
{
	free(*(void **)p);
}

static inline void rk_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

/* Free/close the variable when it leaves scope.  Use rk_steal_fd() to hand
 * ownership on. */
#define cleanup_free __attribute__((cleanup(rk_freep)))
#define cleanup_fd __attribute__((cleanup(rk_closep)))

static inline int rk_steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

/* rk_now_ms() - CLOCK_MONOTONIC in milliseconds (inline: the fuzz target
 * links the HTTP engine without this library) */
static inline uint64_t rk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * rk_write_all() - write a whole buffer, retrying short writes and EINTR
 * @fd:		destination
 * @buf:	data
 * @len:	length of @buf
 *
 * Return: 0 on success, -1 with errno set on error
 */
int rk_write_all(int fd, const void *buf, size_t len);

/**
 * rk_read_all() - read until @len bytes or EOF
 * @fd:		source
 * @buf:	destination
 * @len:	wanted length
 *
 * Return: number of bytes read (less than @len only at EOF), -1 on error
 */
ssize_t rk_read_all(int fd, void *buf, size_t len);

/**
 * rk_write_file() - replace a file's contents
 * @path:	file to create or truncate
 * @s:		contents
 * @len:	length of @s
 * @mode:	mode for a new file (fchmod'ed too, so umask does not apply)
 *
 * Return: 0 on success, -1 with errno set
 */
int rk_write_file(const char *path, const char *s, size_t len, mode_t mode);

/**
 * rk_create_file_at() - create a new file relative to a directory fd
 * @dirfd:	directory
 * @name:	entry name in @dirfd; must not exist (not even as a symlink)
 * @s:		contents
 * @len:	length of @s
 * @mode:	mode (fchmod'ed too, so umask does not apply)
 *
 * Return: 0 on success, -1 with errno set (EEXIST when @name exists); a
 * half-written file is removed again
 */
int rk_create_file_at(int dirfd, const char *name, const char *s, size_t len,
		      mode_t mode);

/**
 * rk_read_file() - read a small file into a string
 * @path:	file
 * @buf:	destination, NUL-terminated on success
 * @cap:	size of @buf
 *
 * Return: length read, -1 with errno set
 */
ssize_t rk_read_file(const char *path, char *buf, size_t cap);

/**
 * rk_parse_int() - parse a decimal int like Go's strconv.Atoi
 * @s:		text; an optional leading '+' or '-', then digits only
 * @out:	result
 *
 * Return: 0 on success, -1 if @s is empty, has other characters or overflows
 */
int rk_parse_int(const char *s, int *out);

/**
 * rk_parse_bool() - parse a boolean the way Go's strconv.ParseBool does
 * @s:		one of 1 t T TRUE true True 0 f F FALSE false False
 * @out:	1 or 0
 *
 * Return: 0 on success, -1 on any other text
 */
int rk_parse_bool(const char *s, int *out);

#endif
