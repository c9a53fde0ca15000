/* SPDX-License-Identifier: Apache-2.0
 *
 * builtin.h - the builtin port driver (parent proxy + child dialer)
 */
#ifndef RK_PORT_BUILTIN_H
#define RK_PORT_BUILTIN_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../lib/err.h"
#include "../lib/loop.h"
#include "port.h"

union rk_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/*
 * The channel between parent and child is a SOCK_SEQPACKET socketpair made
 * before the child is cloned.  One fixed-size request per forwarded flow,
 * answered in order by one reply carrying the socket (SCM_RIGHTS) or an
 * errno.  No JSON, no connection set-up per flow.
 */
struct rk_bp_req {
	uint32_t seq;
	int32_t type;		/* SOCK_STREAM or SOCK_DGRAM */
	union rk_sa target;	/* where the child connects */
	union rk_sa source;	/* client address, AF_UNSPEC if not used */
};

struct rk_bp_rep {
	uint32_t seq;
	int32_t errnum;		/* 0: the socket is attached */
};

/*
 * rk_builtin_new() - the parent side of the builtin driver
 * @loop:	the parent's event loop
 * @chan:	parent end of the channel (ownership taken)
 * @udp_timeout: UDP flow idle timeout in seconds
 *
 * Return: the driver, or NULL with @err set
 */
struct rk_port_driver *rk_builtin_new(struct rk_loop *loop, int chan,
				      int udp_timeout, struct rk_err *err);

/*
 * rk_builtin_child_serve() - child side: answer every request waiting on
 * @chan (a non-blocking read side); dials with non-blocking connect() and
 * returns the socket at once, the parent completes the connection.
 * Return: 0 when the queue is drained, -1 when the parent closed the channel
 */
int rk_builtin_child_serve(int chan);

/* rk_sa_str() - "ip:port" ("[ip]:port" for IPv6) of @a into @buf; returns buf */
char *rk_sa_str(const union rk_sa *a, char *buf, size_t cap);

#endif
