// SPDX-License-Identifier: Apache-2.0
/*
 * msg.c - length-prefixed framing, see msg.h
 */
#include "msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int rk_frame_write(int fd, const void *buf, size_t len, struct rk_err *err)
{
	unsigned char hdr[4];

	if (len < 1 || len > RK_MSG_MAX)
		return rk_err_set(err, "bad message length: %zu (max: %d)",
				  len, RK_MSG_MAX);
	hdr[0] = (unsigned char)(len & 0xff);
	hdr[1] = (unsigned char)((len >> 8) & 0xff);
	hdr[2] = (unsigned char)((len >> 16) & 0xff);
	hdr[3] = (unsigned char)((len >> 24) & 0xff);
	if (rk_write_all(fd, hdr, sizeof(hdr)) < 0 ||
	    rk_write_all(fd, buf, len) < 0)
		return rk_err_errno(err, errno, "write message");
	return 0;
}

ssize_t rk_frame_read(int fd, void *buf, size_t cap, struct rk_err *err)
{
	unsigned char hdr[4];
	ssize_t n = rk_read_all(fd, hdr, sizeof(hdr));
	uint32_t len;

	if (n < 0)
		return rk_err_errno(err, errno, "read message header");
	if (n == 0)
		return 0;
	if (n != sizeof(hdr))
		return rk_err_set(err, "read %zd bytes, expected 4 bytes", n);
	len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
	      (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	if (len < 1 || len > RK_MSG_MAX)
		return rk_err_set(err, "bad message length: %u (max: %d)", len,
				  RK_MSG_MAX);
	if (len > cap)
		return rk_err_set(err, "message length %u exceeds buffer %zu",
				  len, cap);
	n = rk_read_all(fd, buf, len);
	if (n < 0)
		return rk_err_errno(err, errno, "read message body");
	if ((size_t)n != len)
		return rk_err_set(err, "read %zd bytes, expected %u bytes", n,
				  len);
	return n;
}

int rk_msg_send(int fd, json_t *obj, struct rk_err *err)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	int r;

	if (!s)
		return rk_err_set(err, "cannot serialise message");
	r = rk_frame_write(fd, s, strlen(s), err);
	free(s);
	return r;
}

json_t *rk_msg_recv(int fd, const char *name, struct rk_err *err)
{
	char buf[RK_MSG_MAX];
	json_error_t jerr;
	const char *got;
	json_t *obj;
	ssize_t n;

	n = rk_frame_read(fd, buf, RK_MSG_MAX, err);
	if (n < 0)
		return NULL;
	if (n == 0) {
		rk_err_set(err, "expected \"%s\", got EOF", name);
		return NULL;
	}
	obj = json_loadb(buf, (size_t)n, 0, &jerr);
	if (!obj) {
		rk_err_set(err, "bad message: %s", jerr.text);
		return NULL;
	}
	got = json_string_value(json_object_get(obj, "Name"));
	if (!got || strcmp(got, name)) {
		rk_err_set(err, "expected \"%s\", got %.*s", name, (int)n, buf);
		json_decref(obj);
		return NULL;
	}
	return obj;
}
