// SPDX-License-Identifier: Apache-2.0
/*
 * listen.c - the host side of a port, for the builtin and socat drivers
 *
 * Theory of operation: upstream listens with Go's net.Listen, so a port's
 * address means what it means to Go: tcp/udp on a wildcard is one
 * dual-stack IPv6 socket, tcp4/udp4 IPv4 only, tcp6/udp6 IPv6 only; the
 * error texts are Go's too ("listen tcp 127.0.0.1:8080: bind: address
 * already in use"), with upstream's hint in front of a bind refused for a
 * privileged port.  The socket is made here, non-blocking, and handed to
 * the driver, which owns it from then on.
 */
#include "listen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/sockaddr.h"
#include "../lib/util.h"

/*
 * listen_addr() - where to listen for @s, with Go's semantics: tcp/udp on
 * a wildcard is one dual-stack IPv6 socket, *4 is IPv4 only, *6 is IPv6
 * only.  Returns 0 (*@v6only set) or -1 with @err set.
 */
static int listen_addr(const struct rk_port_spec *s, union rk_sa *a,
		       int *v6only, const char *what, struct rk_err *err)
{
	char last = s->proto[strlen(s->proto) - 1];

	if (rk_sa_parse(s->parent_ip[0] ? s->parent_ip : "0.0.0.0", a) < 0)
		return rk_err_set(err, "%s: invalid ParentIP: \"%s\"", what,
				  s->parent_ip);
	*v6only = 0;
	if (last == '4') {
		if (a->sa.sa_family == AF_INET6) {
			if (!rk_sa_is_unspec(a))
				return rk_err_set(err, "%s: address %s: non-IPv4 address",
						  what, s->parent_ip);
			rk_sa_parse("0.0.0.0", a);
		}
	} else if (last == '6') {
		rk_sa_to_v6(a);
		*v6only = 1;
	} else if (rk_sa_is_unspec(a)) {
		rk_sa_to_v6(a);	/* dual-stack */
	}
	rk_sa_set_port(a, s->parent_port);
	return 0;
}

/* join_host_port() - Go's net.JoinHostPort(ip, port) */
static void join_host_port(const char *ip, int port, char *buf, size_t cap)
{
	snprintf(buf, cap, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
}

int rk_port_listen(const struct rk_port_spec *s, int type,
		   struct rk_err *err)
{
	char what[128], hp[80], hint[512];
	union rk_sa a;
	int v6only, one = 1, fd, e;

	join_host_port(s->parent_ip, s->parent_port, hp, sizeof(hp));
	snprintf(what, sizeof(what), "listen %s %s", s->proto, hp);
	if (listen_addr(s, &a, &v6only, what, err) < 0)
		return -1;
	fd = socket(a.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return rk_err_errno(err, errno, "%s: socket", what);
	if (a.sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &a.sa, rk_sa_len(&a)) < 0) {
		e = errno;
		close(fd);
		hint[0] = '\0';
		if (e == EACCES || e == EPERM)
			rk_priv_port_hint(s->parent_port, hint, sizeof(hint));
		return rk_err_errno(err, e, "%s%s: bind", hint, what);
	}
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0) {
		e = errno;
		close(fd);
		return rk_err_errno(err, e, "%s: listen", what);
	}
	return fd;
}

void rk_priv_port_hint(int port, char *buf, int cap)
{
	char s[32];
	int start = 1024;

	buf[0] = '\0';
	if (rk_read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", s,
			 sizeof(s)) > 0)
		start = atoi(s);
	if (port >= start)
		return;
	/* upstream names the binary only when it is called rootlesskit */
	snprintf(buf, (size_t)cap,
		 "cannot expose privileged port %d, you can add 'net.ipv4.ip_unprivileged_port_start=%d' to /etc/sysctl.conf (currently %d)%s, or choose a larger port number (>= %d): ",
		 port, port, start,
		 strcmp(program_invocation_short_name, "rootlesskit") ? "" :
		 ", or set CAP_NET_BIND_SERVICE on rootlesskit binary",
		 start);
}
