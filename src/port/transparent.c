// SPDX-License-Identifier: Apache-2.0
/*
 * transparent.c - source-IP transparency for the builtin driver, parent
 * side
 *
 * Theory of operation: the sockets the parent connects into the child's
 * namespace were made there, and the parent owns the child's user
 * namespace, so it may set IP_TRANSPARENT (IPV6_TRANSPARENT) on them and
 * bind them to the client's own address and port before connect(): the
 * service then sees the real client.  The replies find their way back by
 * the routing the child set up at start (src/child/transparent.c): for
 * TCP by upstream's marks, for UDP by one route per client in table 101,
 * "local CLIENT dev lo src TARGET", added here through a NETLINK_ROUTE
 * socket the child made in its namespace and removed when the client's
 * last flow expires.  Loopback clients, clients of the other family and
 * anything that fails take the plain path (the service sees an address of
 * the namespace).
 */
#include "transparent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "../child/transparent.h"
#include "../lib/log.h"
#include "../lib/rtnl.h"
#include "../lib/util.h"

struct tp_route {
	union rk_sa client;	/* port 0 */
	union rk_sa target;	/* port 0: the route's source address */
	int refs;
	struct tp_route *next;
};

/* addr_of() - pointer to the raw address bytes of @a */
static const void *addr_of(const union rk_sa *a)
{
	return a->sa.sa_family == AF_INET ? (const void *)&a->in.sin_addr :
					    (const void *)&a->in6.sin6_addr;
}

/* bucket() - the hash chain of the (normalized) client address @a */
static struct tp_route **bucket(struct rk_tp *t, const union rk_sa *a)
{
	return &t->hash[rk_sa_hash(a) % ARRAY_SIZE(t->hash)];
}

/* route_ref() - a reference on the route for @c with source @t, added if
 * new; returns 0, or -1 (another target holds it, or netlink failed) */
static int route_ref(struct rk_tp *t, const union rk_sa *c, const union rk_sa *tg)
{
	struct tp_route **pp = bucket(t, c), *r;
	struct rk_err err;

	for (r = *pp; r; r = r->next) {
		if (rk_sa_equal(&r->client, c)) {
			if (!rk_sa_equal(&r->target, tg))
				return -1;
			r->refs++;
			return 0;
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	if (rk_rtnl_local_route(t->rtnl, true, c->sa.sa_family, addr_of(c),
				c->sa.sa_family == AF_INET ? 32 : 128,
				addr_of(tg), RK_TP_TABLE_UDP, &err) < 0) {
		rk_debug("source IP transparent: %s", err.msg);
		free(r);
		return -1;
	}
	r->client = *c;
	r->target = *tg;
	r->refs = 1;
	r->next = *pp;
	*pp = r;
	return 0;
}

void rk_tp_release(struct rk_tp *t, const union rk_sa *client)
{
	struct tp_route **pp, *r;
	union rk_sa c;
	struct rk_err err;

	rk_sa_addr_only(client, &c);
	for (pp = bucket(t, &c); (r = *pp); pp = &r->next) {
		if (!rk_sa_equal(&r->client, &c))
			continue;
		if (--r->refs > 0)
			return;
		*pp = r->next;
		if (rk_rtnl_local_route(t->rtnl, false, c.sa.sa_family,
					addr_of(&c), c.sa.sa_family == AF_INET ? 32 : 128,
					NULL, RK_TP_TABLE_UDP, &err) < 0)
			rk_debug("source IP transparent: %s", err.msg);
		free(r);
		return;
	}
}

bool rk_tp_bind(struct rk_tp *t, int fd, int type, const union rk_sa *target,
		const union rk_sa *client)
{
	bool udp = type == SOCK_DGRAM, v4;
	union rk_sa c, tg;
	int one = 1, bit;
	socklen_t len;

	rk_sa_addr_only(client, &c);
	rk_sa_addr_only(target, &tg);
	v4 = c.sa.sa_family == AF_INET;
	if (c.sa.sa_family != tg.sa.sa_family)
		return false;
	if (v4 ? (ntohl(c.in.sin_addr.s_addr) >> 24) == 127 :
		 IN6_IS_ADDR_LOOPBACK(&c.in6.sin6_addr) ||
		 IN6_IS_ADDR_LINKLOCAL(&c.in6.sin6_addr))
		return false;
	bit = udp ? (v4 ? RK_TP_UDP4 : RK_TP_UDP6) : (v4 ? RK_TP_TCP4 : RK_TP_TCP6);
	if (!(t->mask & bit) || (udp && t->rtnl < 0))
		return false;
	if (udp && route_ref(t, &c, &tg) < 0)
		return false;
	if (v4) {
		c.in.sin_port = client->sa.sa_family == AF_INET ?
				client->in.sin_port : client->in6.sin6_port;
		len = sizeof(c.in);
	} else {
		c.in6.sin6_port = client->in6.sin6_port;
		len = sizeof(c.in6);
	}
	/* SO_REUSEADDR: a client that reuses its port finds our previous
	 * socket for it in TIME_WAIT, which must not make bind() fail */
	if (setsockopt(fd, v4 ? SOL_IP : SOL_IPV6,
		       v4 ? IP_TRANSPARENT : IPV6_TRANSPARENT, &one,
		       sizeof(one)) < 0 ||
	    (!udp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    bind(fd, &c.sa, len) < 0) {
		char s[80];

		rk_debug("transparent dial failed, falling back: %s: %s",
			 rk_sa_str(&c, s, sizeof(s)), strerror(errno));
		if (udp)
			rk_tp_release(t, &c);
		return false;
	}
	return true;
}

void rk_tp_fini(struct rk_tp *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(t->hash); i++) {
		while (t->hash[i]) {
			struct tp_route *r = t->hash[i];

			t->hash[i] = r->next;
			free(r);
		}
	}
	if (t->rtnl >= 0)
		close(t->rtnl);
	t->rtnl = -1;
}
