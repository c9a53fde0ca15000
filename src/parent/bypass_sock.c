// SPDX-License-Identifier: Apache-2.0
/*
 * bypass_sock.c - socket translation and the address policy of
 * --bypass4netns (see bypass.c for the whole mechanism)
 *
 * Theory of operation: a bypassed socket is a "twin" made in the host
 * network namespace with the same family, type and protocol, carrying the
 * options a program commonly sets before connect() or bind() (read from
 * the original with getsockopt(), so defaults are copied as defaults).
 * SO_RCVBUF and SO_SNDBUF are not copied: setting them switches off TCP's
 * buffer autotuning, and getsockopt() cannot tell a set value from the
 * default.  Whether a destination may be reached through the host is
 * decided on the address alone: never loopback, unspecified, link-local,
 * multicast or broadcast, never the namespace's own networks (the --cidr
 * subnet; with slirp4netns that holds the gateway that maps to the host's
 * loopback, so --disable-host-loopback keeps holding) and never an
 * --bypass4netns-ignore network.  Published ports that were taken over
 * are watched with NETLINK_SOCK_DIAG: the twin's inode disappears from the
 * host namespace when the program has closed its last reference.
 */
#include "bypass_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/util.h"

int rk_bp_net_parse(const char *s, struct rk_bp_net *out, struct rk_err *err)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	int pfx;

	memset(out, 0, sizeof(*out));
	if (!slash || (size_t)(slash - s) >= sizeof(ip) ||
	    rk_parse_int(slash + 1, &pfx) < 0)
		return rk_err_set(err, "invalid CIDR address: %s", s);
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET, ip, out->addr) == 1 && pfx >= 0 && pfx <= 32)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, out->addr) == 1 && pfx >= 0 &&
		 pfx <= 128)
		out->family = AF_INET6;
	else
		return rk_err_set(err, "invalid CIDR address: %s", s);
	out->prefix = pfx;
	return 0;
}

/* in_net() - @addr (@family's length) is in @n */
static bool in_net(const struct rk_bp_net *n, int family, const uint8_t *addr)
{
	int full = n->prefix / 8, rest = n->prefix % 8;

	if (n->family != family)
		return false;
	if (memcmp(n->addr, addr, (size_t)full))
		return false;
	return !rest || !((n->addr[full] ^ addr[full]) & (0xff << (8 - rest)));
}

union rk_sa rk_bp_sa_norm(const union rk_sa *a)
{
	union rk_sa r = *a;

	if (a->sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr)) {
		memset(&r, 0, sizeof(r));
		r.in.sin_family = AF_INET;
		r.in.sin_port = a->in6.sin6_port;
		memcpy(&r.in.sin_addr, &a->in6.sin6_addr.s6_addr[12], 4);
	}
	return r;
}

bool rk_bp_dest_ok(const struct rk_bp_policy *p, const union rk_sa *a)
{
	union rk_sa n = rk_bp_sa_norm(a);
	const uint8_t *addr;
	int i;

	if (n.sa.sa_family == AF_INET) {
		uint32_t v = ntohl(n.in.sin_addr.s_addr);

		if ((v >> 24) == 127 || (v >> 24) == 0 ||
		    (v & 0xf0000000u) == 0xe0000000u || v == 0xffffffffu ||
		    (v & 0xffff0000u) == 0xa9fe0000u)
			return false;
		addr = (const uint8_t *)&n.in.sin_addr;
	} else if (n.sa.sa_family == AF_INET6) {
		const struct in6_addr *v = &n.in6.sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(v) || IN6_IS_ADDR_UNSPECIFIED(v) ||
		    IN6_IS_ADDR_LINKLOCAL(v) || IN6_IS_ADDR_MULTICAST(v) ||
		    IN6_IS_ADDR_SITELOCAL(v))
			return false;
		addr = v->s6_addr;
	} else {
		return false;
	}
	for (i = 0; i < p->nown; i++)
		if (in_net(&p->own[i], n.sa.sa_family, addr))
			return false;
	for (i = 0; i < p->nignore; i++)
		if (in_net(&p->ignore[i], n.sa.sa_family, addr))
			return false;
	return true;
}

int rk_bp_sock_ns(int fd, ino_t *ino)
{
	struct stat st;
	int ns = ioctl(fd, SIOCGSKNS);

	if (ns < 0)
		return -1;
	if (fstat(ns, &st) < 0) {
		int e = errno;

		close(ns);
		errno = e;
		return -1;
	}
	close(ns);
	*ino = st.st_ino;
	return 0;
}

/* The options a twin inherits, in the order they must be set */
static const struct { int level, name, family, type; } copied[] = {
	{ IPPROTO_IPV6, IPV6_V6ONLY, AF_INET6, 0 },
	{ SOL_SOCKET, SO_REUSEADDR, 0, 0 },
	{ SOL_SOCKET, SO_REUSEPORT, 0, 0 },
	{ SOL_SOCKET, SO_KEEPALIVE, 0, 0 },
	{ SOL_SOCKET, SO_BROADCAST, 0, SOCK_DGRAM },
	{ SOL_SOCKET, SO_LINGER, 0, 0 },
	{ SOL_SOCKET, SO_RCVTIMEO_NEW, 0, 0 },
	{ SOL_SOCKET, SO_SNDTIMEO_NEW, 0, 0 },
	{ SOL_SOCKET, SO_PRIORITY, 0, 0 },
	{ SOL_SOCKET, SO_OOBINLINE, 0, SOCK_STREAM },
	{ IPPROTO_IP, IP_TOS, AF_INET, 0 },
	{ IPPROTO_IPV6, IPV6_TCLASS, AF_INET6, 0 },
	{ IPPROTO_TCP, TCP_NODELAY, 0, SOCK_STREAM },
	{ IPPROTO_TCP, TCP_KEEPIDLE, 0, SOCK_STREAM },
	{ IPPROTO_TCP, TCP_KEEPINTVL, 0, SOCK_STREAM },
	{ IPPROTO_TCP, TCP_KEEPCNT, 0, SOCK_STREAM },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, 0, SOCK_STREAM },
	{ IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 0, SOCK_STREAM },
};

int rk_bp_twin(int orig, int family, int type, int proto)
{
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
		char buf[32];
		socklen_t len = sizeof(buf);

		if ((copied[i].family && copied[i].family != family) ||
		    (copied[i].type && copied[i].type != type))
			continue;
		if (getsockopt(orig, copied[i].level, copied[i].name, buf,
			       &len) == 0 &&
		    setsockopt(fd, copied[i].level, copied[i].name, buf, len) < 0) {
			/* a value the host refuses: the default stays */
		}
	}
	return fd;
}

bool rk_bp_diag_has(int family, int proto, ino_t ino)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = (uint8_t)family,
		       .sdiag_protocol = (uint8_t)proto,
		       /* a taken-over port is bound or listening (UDP:
			* CLOSE); TCP_LISTEN, TCP_CLOSE and 13, the
			* bound-inactive state of newer kernels: no dump
			* of every connection of the host */
		       .idiag_states = proto == IPPROTO_TCP ?
				(1u << 10) | (1u << 7) | (1u << 13) : ~0u },
	};
	cleanup_fd int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
				     NETLINK_SOCK_DIAG);
	static char buf[32768] __attribute__((aligned(8)));
	bool found = false;

	if (s < 0 || send(s, &req, sizeof(req), 0) < 0)
		return true;
	for (;;) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;

		if (n <= 0)
			return true;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_DONE)
				return found;
			if (h->nlmsg_type == NLMSG_ERROR)
				return true;
			if (m->idiag_inode == ino)
				found = true;
		}
	}
}
