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

/*
 * The channel between parent and child is a SOCK_SEQPACKET socketpair made
 * before the child is cloned.  The parent asks for a batch of fresh,
 * unconnected sockets of one family and type; the child creates them in
 * its network namespace and sends them back in one message (SCM_RIGHTS).
 * A socket belongs to the namespace it was created in, so the parent's
 * connect() on it reaches the child's 127.0.0.1: no round trip to the
 * child per forwarded connection, no JSON, no unix connection per flow.
 */
#define RK_BP_MAX_FDS 64

struct rk_bp_req {
	uint32_t seq;
	int32_t family;		/* AF_INET or AF_INET6 */
	int32_t type;		/* SOCK_STREAM or SOCK_DGRAM */
	int32_t count;		/* 1..RK_BP_MAX_FDS */
};

struct rk_bp_rep {
	uint32_t seq;
	int32_t family, type;
	int32_t errnum;		/* why no socket could be made, if none came */
	int32_t count;		/* sockets attached */
};

/* Settings of the parent side (the --builtin-* flags). */
struct rk_builtin_cfg {
	int udp_timeout;	/* UDP flow idle timeout, seconds (>= 1) */
	int udp_max_flows;	/* flows per UDP port; at the cap the least
				 * recently used one is dropped (>= 1) */
	int tcp_keepalive;	/* TCP keepalive idle and interval, seconds,
				 * 9 probes; 0: no keepalive */
	int tp_mask;		/* RK_TP_* bits: what source-IP transparency
				 * the child set up (0: the service sees an
				 * address of the namespace) */
};

/*
 * rk_builtin_new() - the parent side of the builtin driver
 * @loop:	the parent's event loop
 * @chan:	parent end of the channel (ownership taken)
 * @cfg:	settings (copied)
 *
 * Return: the driver, or NULL with @err set
 */
struct rk_port_driver *rk_builtin_new(struct rk_loop *loop, int chan,
				      const struct rk_builtin_cfg *cfg,
				      struct rk_err *err);

/*
 * rk_builtin_child_serve() - child side: answer every request waiting on
 * @chan with the sockets asked for, created in the child's namespaces.
 * Return: 0 when the queue is drained, -1 when the parent closed the channel
 */
int rk_builtin_child_serve(int chan);

/*
 * rk_builtin_child_send_rtnl() - child side, once at start-up: send the
 * parent a NETLINK_ROUTE socket of the child's namespace (a reply with
 * family AF_NETLINK), for per-client routes.  Returns 0 or -1
 */
int rk_builtin_child_send_rtnl(int chan);

#endif
