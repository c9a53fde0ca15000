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

/* rk_write_all() - write all of @buf; returns 0, or -1 with errno set */
int rk_write_all(int fd, const void *buf, size_t len);

/* rk_read_all() - read exactly @len bytes; returns bytes read (short only at
 * EOF), or -1 with errno set */
ssize_t rk_read_all(int fd, void *buf, size_t len);

/* rk_write_file() - create/truncate @path with @mode and write @s; returns 0
 * or -1 with errno set */
int rk_write_file(const char *path, const char *s, size_t len, mode_t mode);

/* rk_create_file_at() - create @name in directory @dirfd, which must not
 * exist yet (O_EXCL, never through a symlink), with @mode and contents @s;
 * returns 0 or -1 with errno set (and nothing left behind) */
int rk_create_file_at(int dirfd, const char *name, const char *s, size_t len,
		      mode_t mode);

/* rk_read_file() - read up to @cap-1 bytes of @path into @buf, NUL-terminated;
 * returns the length or -1 with errno set */
ssize_t rk_read_file(const char *path, char *buf, size_t cap);

/* rk_parse_int() - strict decimal integer parse (optional sign, no spaces);
 * returns 0 or -1 (also on overflow of int) */
int rk_parse_int(const char *s, int *out);

/* rk_parse_bool() - Go strconv.ParseBool spellings; returns 0 or -1 */
int rk_parse_bool(const char *s, int *out);

#endif
