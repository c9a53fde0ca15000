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

/**
 * rk_frame_write() - write a length header and the payload
 * @fd:		destination
 * @buf:	payload
 * @len:	payload length, 1..RK_MSG_MAX
 * @err:	error out
 *
 * Return: 0 on success, -1 with @err set
 */
int rk_frame_write(int fd, const void *buf, size_t len, struct rk_err *err);

/**
 * rk_frame_read() - read one complete frame
 * @fd:		source
 * @buf:	payload destination
 * @cap:	capacity of @buf
 * @err:	error out
 *
 * Return: payload length; 0 if the peer closed before sending a header;
 * -1 with @err set on a truncated frame, a bad length or an I/O error
 */
ssize_t rk_frame_read(int fd, void *buf, size_t cap, struct rk_err *err);

/**
 * rk_msg_send() - send a JSON object as one frame
 * @fd:		destination
 * @obj:	JSON object (not consumed)
 * @err:	error out
 *
 * Return: 0 on success, -1 with @err set
 */
int rk_msg_send(int fd, json_t *obj, struct rk_err *err);

/**
 * rk_msg_recv() - receive a JSON message of an expected type
 * @fd:		source
 * @name:	expected value of "Name"
 * @err:	error out
 *
 * Return: new reference to the object, NULL with @err set
 */
json_t *rk_msg_recv(int fd, const char *name, struct rk_err *err);

#endif
