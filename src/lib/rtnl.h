/* SPDX-License-Identifier: Apache-2.0
 *
 * rtnl.h - the few rtnetlink requests source-IP transparency and
 * --bypass4netns need
 *
 * Theory of operation: one request, one acknowledgement, on a
 * NETLINK_ROUTE socket that was opened in the network namespace to change
 * (the child's).  The parent holds such a socket, made by the child, to
 * add and remove per-client routes while it forwards UDP.
 */
#ifndef RK_RTNL_H
#define RK_RTNL_H

#include <stdbool.h>

#include "err.h"

/* rk_rtnl_open() - a NETLINK_ROUTE socket in the current network
 * namespace, connected to the kernel (only it can answer) with a 1 s
 * receive timeout; returns the fd or -1 with errno set */
int rk_rtnl_open(void);

/*
 * rk_rtnl_local_route() - add (@add) or delete a route of type "local" via
 * lo in table @table: @family AF_INET/AF_INET6, @dst the address (NULL
 * and @plen 0 for the default route), @src the preferred source or NULL.
 * Adding an existing route or deleting a missing one is not an error.
 * Return: 0, or -1 with @err set
 */
int rk_rtnl_local_route(int fd, bool add, int family, const void *dst,
			int plen, const void *src, int table,
			struct rk_err *err);

/*
 * rk_rtnl_rule() - add "[fwmark M] [ipproto P] lookup T priority N" for
 * @family (@fwmark 0 or @ipproto 0: no such selector); an existing rule is
 * not an error.  Return: 0, or -1 with @err set
 */
int rk_rtnl_rule(int fd, int family, unsigned fwmark, int ipproto,
		 int table, int priority, struct rk_err *err);

/* What a route lookup says */
struct rk_route {
	int type;		/* RTN_UNICAST, RTN_LOCAL, ... */
	int oif;		/* the output interface's index */
	bool via_gateway;	/* not directly connected */
};

/*
 * rk_rtnl_route_get() - the route the namespace of @fd would take to @dst
 * (@family AF_INET: 4 bytes, AF_INET6: 16), as `ip route get`
 * Return: 0 with @out filled, or -errno (-ENETUNREACH: no route)
 */
int rk_rtnl_route_get(int fd, int family, const void *dst,
		      struct rk_route *out);

#endif
