/* SPDX-License-Identifier: Apache-2.0
 *
 * transparent.h - source-IP transparency, parent side (see transparent.c)
 */
#ifndef RK_PORT_TRANSPARENT_H
#define RK_PORT_TRANSPARENT_H

#include <stdbool.h>

#include "../child/transparent.h"	/* RK_TP_* */
#include "../lib/sockaddr.h"

struct tp_route;

struct rk_tp {
	int mask;		/* RK_TP_* bits the child could set up */
	int rtnl;		/* NETLINK_ROUTE socket of the child's netns, or -1 */
	struct tp_route *hash[64];	/* UDP: per-client routes, refcounted */
};

/*
 * rk_tp_bind() - make @fd, a fresh @type socket of the child's namespace
 * about to be connected to @target, carry the client's address @client:
 * IP_TRANSPARENT and bind().  Only for a non-loopback client of the
 * target's family (v4-mapped counts as IPv4) when the child's routing
 * works for it; for UDP it also takes a reference on the client's route
 * (give it back with rk_tp_release()).  Anything failing leaves @fd as
 * it was, for the plain path.
 * Return: true if @fd is bound to the client
 */
bool rk_tp_bind(struct rk_tp *t, int fd, int type, const union rk_sa *target,
		const union rk_sa *client);

/* rk_tp_release() - drop a UDP flow's reference on @client's route */
void rk_tp_release(struct rk_tp *t, const union rk_sa *client);

/* rk_tp_fini() - close the netlink socket, forget the routes */
void rk_tp_fini(struct rk_tp *t);

#endif
