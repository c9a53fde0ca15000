/* SPDX-License-Identifier: Apache-2.0
 *
 * msg.h - length-prefixed message framing
 *
 * Theory of operation: a frame is a 4-byte little-endian length (1..65536)
 * followed by that many payload bytes, as upstream RootlessKit frames its
 * parent/child and builtin-port messages.  Unlike upstream, short reads and
 * writes are looped until the frame is complete, and EOF before a complete
 * frame is reported as such (the peer died).  The payload is JSON: a flat
 * object whose "Name" is the message type.
 */
#ifndef RK_MSG_H
#define RK_MSG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define RK_MSG_MAX 65536

/* rk_frame_write() - write one frame; returns 0 or -1 with @err set */
int rk_frame_write(int fd, const void *buf, size_t len, struct rk_err *err);

/* rk_frame_read() - read one frame into @buf (capacity @cap, >= RK_MSG_MAX
 * recommended); returns the payload length, 0 on clean EOF before any byte,
 * or -1 with @err set */
ssize_t rk_frame_read(int fd, void *buf, size_t cap, struct rk_err *err);

/* rk_msg_send() - serialise @obj compactly and frame it; returns 0 or -1 */
int rk_msg_send(int fd, json_t *obj, struct rk_err *err);

/* rk_msg_recv() - read one frame, parse it and check that "Name" equals
 * @name; returns a new reference, or NULL with @err set (EOF included) */
json_t *rk_msg_recv(int fd, const char *name, struct rk_err *err);

#endif
