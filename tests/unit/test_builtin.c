// SPDX-License-Identifier: Apache-2.0
/* test_builtin.c - the builtin driver's parent side (src/port/builtin.c)
 * driven in one process: its event loop, the child's half answering on a
 * real socketpair (or a fake child that fails every refill), and targets
 * on 127.0.0.1.  Covers the UDP flow cap (LRU eviction), the pool back-off
 * after failed refills, and TCP keepalive on both sockets of a connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/loop.h"
#include "port/builtin.h"
#include "port/port.h"

static struct sockaddr_in lo_addr(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* bound() - a socket of @type bound to 127.0.0.1:0; its port in *@port */
static int bound(int type, int *port)
{
	struct sockaddr_in a = lo_addr(0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* free_port() - a UDP or TCP port free on 127.0.0.1 right now */
static int free_port(int type)
{
	int port, fd = bound(type, &port);

	close(fd);
	return port;
}

static struct rk_port_spec spec(const char *proto, int pp, int cp)
{
	struct rk_port_spec s = { .parent_port = pp, .child_port = cp };

	snprintf(s.proto, sizeof(s.proto), "%s", proto);
	snprintf(s.parent_ip, sizeof(s.parent_ip), "127.0.0.1");
	snprintf(s.child_ip, sizeof(s.child_ip), "127.0.0.1");
	return s;
}

struct env {
	struct rk_loop loop;
	struct rk_port_driver *drv;
	int chan;		/* the child's end */
	int echo;		/* UDP target: answers with the sender's port */
};

/* step() - one turn: the child answers, the loop runs, the target echoes */
static void step(struct env *e)
{
	char buf[64];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);

	rk_builtin_child_serve(e->chan);
	rk_loop_run_once(&e->loop, 5);
	while (e->echo >= 0 && recvfrom(e->echo, buf, sizeof(buf), 0,
					(struct sockaddr *)&from, &flen) >= 0) {
		int n = snprintf(buf, sizeof(buf), "%u", ntohs(from.sin_port));

		sendto(e->echo, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
		flen = sizeof(from);
	}
}

static void env_init(struct env *e, const struct rk_builtin_cfg *cfg)
{
	struct rk_err err;
	int sv[2];

	assert_int_equal(rk_loop_init(&e->loop, &err), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	e->chan = sv[1];
	e->echo = -1;
	e->drv = rk_builtin_new(&e->loop, sv[0], cfg, &err);
	assert_non_null(e->drv);
}

static void env_fini(struct env *e, void *priv, int id)
{
	struct rk_err err;

	assert_int_equal(e->drv->unexpose(e->drv, id, priv, &err), 0);
	e->drv->destroy(e->drv);
	rk_loop_fini(&e->loop);
	close(e->chan);
	if (e->echo >= 0)
		close(e->echo);
}

/* query() - one datagram from @c through the port at @pp; the port the
 * target saw (the flow's socket), or -1 if no answer came */
static int query(struct env *e, int c, int pp)
{
	struct sockaddr_in to = lo_addr(pp);
	char buf[64];

	assert_int_equal(sendto(c, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	for (int i = 0; i < 200; i++) {
		ssize_t n;

		step(e);
		n = recv(c, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			return atoi(buf);
		}
	}
	return -1;
}

/* at the cap, a new client evicts the flow idle the longest */
static void test_udp_lru(void **state)
{
	struct rk_builtin_cfg cfg = { .udp_timeout = 90, .udp_max_flows = 3 };
	struct env e;
	struct rk_err err;
	struct rk_port_spec s;
	void *priv;
	int c[4], p[4], tport, pp, id, dummy;

	(void)state;
	env_init(&e, &cfg);
	e.echo = bound(SOCK_DGRAM, &tport);
	pp = free_port(SOCK_DGRAM);
	s = spec("udp", pp, tport);
	id = e.drv->expose(e.drv, &s, &priv, &err);
	assert_true(id > 0);
	for (int i = 0; i < 4; i++)
		c[i] = bound(SOCK_DGRAM, &dummy);

	for (int i = 0; i < 3; i++) {
		p[i] = query(&e, c[i], pp);
		assert_true(p[i] > 0);
	}
	assert_int_equal(query(&e, c[0], pp), p[0]);	/* order: 1 2 0 */
	p[3] = query(&e, c[3], pp);			/* evicts 1: 2 0 3 */
	assert_true(p[3] > 0);
	assert_int_equal(query(&e, c[0], pp), p[0]);	/* kept: 2 3 0 */
	assert_int_equal(query(&e, c[2], pp), p[2]);	/* kept: 3 0 2 */
	/* client 1 was evicted: it gets a new flow (evicting 3) */
	assert_int_not_equal(query(&e, c[1], pp), p[1]);
	assert_int_not_equal(query(&e, c[3], pp), p[3]);

	for (int i = 0; i < 4; i++)
		close(c[i]);
	env_fini(&e, priv, id);
}

/* a child that fails every refill is asked again after 10, 20, 40, ...
 * ms, not at once; a waiting client is dropped, not kept forever */
static void test_pool_backoff(void **state)
{
	struct rk_builtin_cfg cfg = { .udp_timeout = 90, .udp_max_flows = 8 };
	struct env e;
	struct rk_err err;
	struct rk_port_spec s;
	struct sockaddr_in to;
	struct timespec t0, t;
	void *priv;
	int l, tport, pp, id, reqs = 0, cl;
	char buf[8];
	ssize_t n;

	(void)state;
	env_init(&e, &cfg);
	l = bound(SOCK_STREAM, &tport);
	assert_int_equal(listen(l, 8), 0);
	pp = free_port(SOCK_STREAM);
	s = spec("tcp", pp, tport);
	id = e.drv->expose(e.drv, &s, &priv, &err);
	assert_true(id > 0);
	to = lo_addr(pp);
	cl = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(cl, (struct sockaddr *)&to, sizeof(to)), 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct rk_bp_req q;

		while (recv(e.chan, &q, sizeof(q), MSG_DONTWAIT) == sizeof(q)) {
			struct rk_bp_rep r = { .seq = q.seq, .family = q.family,
					       .type = q.type, .errnum = EMFILE };

			assert_int_equal(send(e.chan, &r, sizeof(r), 0), sizeof(r));
			reqs++;
		}
		rk_loop_run_once(&e.loop, 5);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 300);
	/* 0, 10, 30, 70, 150, 310 ms: 5 or 6 requests (no back-off: thousands) */
	print_message("refill requests in 300 ms of failures: %d\n", reqs);
	assert_in_range(reqs, 3, 8);
	/* the client that waited for a socket was dropped */
	n = recv(cl, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
	close(cl);

	/* the child recovers: the next refill (within 1 s) serves a client */
	cl = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(cl, (struct sockaddr *)&to, sizeof(to)), 0);
	int srv = -1;

	for (int i = 0; i < 400 && srv < 0; i++) {
		step(&e);
		srv = accept(l, NULL, NULL);
	}
	assert_true(srv >= 0);
	close(srv);
	close(cl);
	close(l);
	env_fini(&e, priv, id);
}

/* keepalive() - how many of our TCP sockets have keepalive with @secs */
static int keepalive_socks(int secs)
{
	int count = 0;

	for (int fd = 3; fd < 1024; fd++) {
		int type = 0, ka = 0, idle = 0, intvl = 0, cnt = 0;
		socklen_t len = sizeof(int);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
		    type != SOCK_STREAM)
			continue;
		len = sizeof(int);
		getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &ka, &len);
		len = sizeof(int);
		getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &len);
		len = sizeof(int);
		getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, &len);
		len = sizeof(int);
		getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, &len);
		count += ka && idle == secs && intvl == secs && cnt == 9;
	}
	return count;
}

/* both sockets of a forwarded connection have keepalive; 0 turns it off */
static void test_keepalive(void **state)
{
	(void)state;
	for (int secs = 7; secs >= 0; secs -= 7) {
		struct rk_builtin_cfg cfg = { .udp_timeout = 90, .udp_max_flows = 8,
					      .tcp_keepalive = secs };
		struct env e;
		struct rk_err err;
		struct rk_port_spec s;
		struct sockaddr_in to;
		void *priv;
		int l, tport, pp, id, cl, srv = -1;

		env_init(&e, &cfg);
		l = bound(SOCK_STREAM, &tport);
		assert_int_equal(listen(l, 8), 0);
		pp = free_port(SOCK_STREAM);
		s = spec("tcp", pp, tport);
		id = e.drv->expose(e.drv, &s, &priv, &err);
		assert_true(id > 0);
		to = lo_addr(pp);
		cl = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(cl, (struct sockaddr *)&to, sizeof(to)), 0);
		for (int i = 0; i < 400 && srv < 0; i++) {
			step(&e);
			srv = accept(l, NULL, NULL);
		}
		assert_true(srv >= 0);
		/* the accepted client socket and the one into the "child" */
		assert_int_equal(keepalive_socks(7), secs ? 2 : 0);
		close(srv);
		close(cl);
		close(l);
		env_fini(&e, priv, id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_lru),
		cmocka_unit_test(test_pool_backoff),
		cmocka_unit_test(test_keepalive),
	};

	return cmocka_run_group_tests_name("builtin", tests, NULL, NULL);
}
