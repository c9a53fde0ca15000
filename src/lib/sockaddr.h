/* SPDX-License-Identifier: Apache-2.0
 *
 * sockaddr.h - one socket address type for IPv4 and IPv6 (in the spirit of
 * passt's inany.h): parsing, v4-mapped conversion, equality, hashing and
 * "ip:port" text.  Used by the port drivers; no state.
 *
 * An address is kept in the family it was given in, except that parsing
 * turns a v4-mapped IPv6 address (::ffff:a.b.c.d) into plain IPv4, so one
 * client or target has one spelling; rk_sa_to_v6() goes the other way for
 * dual-stack sockets.  The hot-path helpers (length, equality, hash) are
 * inline.
 */
#ifndef RK_SOCKADDR_H
#define RK_SOCKADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

union rk_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* rk_sa_len() - the socklen of @a's family */
static inline socklen_t rk_sa_len(const union rk_sa *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

/* rk_sa_equal() - same family, address and port */
static inline bool rk_sa_equal(const union rk_sa *a, const union rk_sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
			       sizeof(a->in6.sin6_addr));
	return a->in.sin_port == b->in.sin_port &&
	       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

/* rk_sa_hash() - FNV-1a of @a's port and address (family-dependent bytes);
 * take it modulo the table size */
static inline unsigned rk_sa_hash(const union rk_sa *a)
{
	const unsigned char *k;
	size_t n;
	unsigned h = 2166136261u;

	if (a->sa.sa_family == AF_INET6) {
		k = (const unsigned char *)&a->in6.sin6_addr;
		n = sizeof(a->in6.sin6_addr);
		h = (h ^ a->in6.sin6_port) * 16777619u;
	} else {
		k = (const unsigned char *)&a->in.sin_addr;
		n = sizeof(a->in.sin_addr);
		h = (h ^ a->in.sin_port) * 16777619u;
	}
	while (n--)
		h = (h ^ *k++) * 16777619u;
	return h;
}

/* rk_sa_parse() - IPv4 or IPv6 text @s into @a, port 0, a v4-mapped IPv6
 * address as IPv4; returns 0 or -1 (@a zeroed) */
int rk_sa_parse(const char *s, union rk_sa *a);

/* rk_sa_set_port() - the port of @a (host order in @port) */
void rk_sa_set_port(union rk_sa *a, int port);

/* rk_sa_is_unspec() - 0.0.0.0 or :: */
bool rk_sa_is_unspec(const union rk_sa *a);

/* rk_sa_to_v6() - @a as IPv6 (v4-mapped; 0.0.0.0 becomes ::), port 0;
 * an IPv6 address is left as it is */
void rk_sa_to_v6(union rk_sa *a);

/* rk_sa_addr_only() - @in without its port (and scope), a v4-mapped IPv6
 * address as IPv4, into @out: equal addresses compare and hash equal */
void rk_sa_addr_only(const union rk_sa *in, union rk_sa *out);

/* rk_sa_str() - "ip:port" ("[ip]:port" for IPv6) of @a into @buf; returns buf */
char *rk_sa_str(const union rk_sa *a, char *buf, size_t cap);

#endif
