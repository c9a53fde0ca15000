// SPDX-License-Identifier: Apache-2.0
/* test_ports.c - the port manager (src/port/manager.c) with a recording
 * driver, the builtin driver's child side (socket batches) over a real socketpair,
 * and the event loop's deferred-free rule (src/lib/loop.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/loop.h"
#include "port/builtin.h"
#include "port/port.h"

/* A driver that hands out IDs in a given order and can be told to fail. */
struct fake {
	struct rk_port_driver drv;
	int ids[8], nid;
	int unexposed[8], nun;
	bool fail;
	bool fail_unexpose;
};

static int fake_expose(struct rk_port_driver *d, const struct rk_port_spec *s,
		       void **priv, struct rk_err *err)
{
	struct fake *f = (struct fake *)d;
	int id;

	if (f->fail)
		return rk_err_set(err, "listen %s: bind: address already in use",
				  s->proto);
	id = f->ids[f->nid++];
	*priv = (void *)(long)id;
	return id;
}

static int fake_unexpose(struct rk_port_driver *d, int id, void *priv,
			 struct rk_err *err)
{
	struct fake *f = (struct fake *)d;

	assert_int_equal(id, (int)(long)priv);
	if (f->fail_unexpose)
		return rk_err_set(err, "reply.Error: map[desc:bad request]");
	f->unexposed[f->nun++] = id;
	return 0;
}

static void fake_destroy(struct rk_port_driver *d)
{
	(void)d;
}

static struct rk_port_spec spec(const char *proto, const char *ip, int pp, int cp)
{
	struct rk_port_spec s = { .parent_port = pp, .child_port = cp };

	snprintf(s.proto, sizeof(s.proto), "%s", proto);
	snprintf(s.parent_ip, sizeof(s.parent_ip), "%s", ip);
	return s;
}

static void test_manager(void **state)
{
	static const char *const protos[] = { "tcp", NULL };
	struct fake f = { .drv = { .name = "fake", .protos = protos,
				   .expose = fake_expose,
				   .unexpose = fake_unexpose,
				   .destroy = fake_destroy },
			  .ids = { 5, 2, 9 } };
	struct rk_ports m = { 0 };
	struct rk_port_status st;
	struct rk_port_spec s;
	struct rk_err err = { 0 };

	(void)state;
	assert_true(rk_port_driver_serves(&f.drv, "tcp"));
	assert_false(rk_port_driver_serves(&f.drv, "tcp6"));
	s = spec("tcp", "", 80, 80);
	assert_int_equal(rk_ports_add(&m, &s, &st, &err), -1);
	assert_string_equal(err.msg, "no PortDriver is available");

	m.drv = &f.drv;
	assert_int_equal(rk_ports_add(&m, &s, &st, &err), 0);
	assert_int_equal(st.id, 5);
	s = spec("tcp", "127.0.0.1", 80, 80);
	assert_int_equal(rk_ports_add(&m, &s, &st, &err), 0);
	s = spec("udp", "", 80, 80);
	assert_int_equal(rk_ports_add(&m, &s, &st, &err), 0);
	/* the table is sorted by the driver's IDs */
	assert_int_equal(m.n, 3);
	assert_int_equal(m.v[0].st.id, 2);
	assert_int_equal(m.v[1].st.id, 5);
	assert_int_equal(m.v[2].st.id, 9);
	assert_string_equal(m.v[0].st.spec.parent_ip, "127.0.0.1");

	/* conflict: same proto, parent IP string and parent port */
	s = spec("tcp", "", 80, 90);
	assert_int_equal(rk_ports_add(&m, &s, &st, &err), -1);
	assert_string_equal(err.msg, "conflict with ID 5");
	assert_int_equal(f.nid, 3);	/* the driver was not asked */

	/* a driver error leaves the table unchanged */
	f.fail = true;
	s = spec("tcp", "", 81, 81);
	assert_int_equal(rk_ports_add(&m, &s, &st, &err), -1);
	assert_string_equal(err.msg, "listen tcp: bind: address already in use");
	assert_int_equal(m.n, 3);

	assert_int_equal(rk_ports_remove(&m, 7, &err), -1);
	assert_string_equal(err.msg, "unknown id: 7");
	assert_int_equal(rk_ports_remove(&m, 5, &err), 0);
	assert_int_equal(f.unexposed[0], 5);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.v[1].st.id, 9);

	/* a failed removal drops the entry anyway (builtin, as upstream)... */
	f.fail_unexpose = true;
	assert_int_equal(rk_ports_remove(&m, 9, &err), -1);
	assert_int_equal(m.n, 1);
	/* ...unless the driver keeps it (slirp4netns: the forward is still there) */
	f.drv.keep_on_unexpose_error = true;
	assert_int_equal(rk_ports_remove(&m, 2, &err), -1);
	assert_string_equal(err.msg, "reply.Error: map[desc:bad request]");
	assert_int_equal(m.n, 1);
	f.fail_unexpose = false;
	assert_int_equal(rk_ports_remove(&m, 2, &err), 0);
	assert_int_equal(m.n, 0);
	s = spec("tcp", "", 82, 82);
	f.ids[f.nid] = 11;
	f.fail = false;
	assert_int_equal(rk_ports_add(&m, &s, &st, &err), 0);
	rk_ports_fini(&m);
	assert_int_equal(f.nun, 3);	/* 5, 2 and, at fini, 11 */
	assert_int_equal(f.unexposed[2], 11);
	assert_null(m.drv);
}

/* recv_reply() - one reply; its fds into @fds, returns how many */
static int recv_reply(int s, struct rk_bp_rep *r, int *fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RK_BP_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = r, .iov_len = sizeof(*r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int n = 0;

	assert_int_equal(recvmsg(s, &mh, 0), sizeof(*r));
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS) {
		n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
	}
	return n;
}

/* the child's half: batches of fresh sockets; the parent connects them */
static void test_child_sockets(void **state)
{
	struct rk_bp_req q = { .seq = 7, .family = AF_INET, .type = SOCK_STREAM,
			       .count = 3 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct rk_bp_rep r;
	int sv[2], l, fds[RK_BP_MAX_FDS], n, c, type;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	l = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);

	assert_int_equal(send(sv[0], &q, sizeof(q), 0), sizeof(q));
	assert_int_equal(send(sv[0], "x", 1, 0), 1);		/* malformed */
	q.seq = 8;
	q.family = AF_UNIX;					/* bad family */
	assert_int_equal(send(sv[0], &q, sizeof(q), 0), sizeof(q));
	q.seq = 9;
	q.family = AF_INET6;
	q.type = SOCK_DGRAM;
	q.count = RK_BP_MAX_FDS + 1;				/* too many */
	assert_int_equal(send(sv[0], &q, sizeof(q), 0), sizeof(q));
	assert_int_equal(rk_builtin_child_serve(sv[1]), 0);

	n = recv_reply(sv[0], &r, fds);
	assert_int_equal(r.seq, 7);
	assert_int_equal(r.errnum, 0);
	assert_int_equal(r.count, 3);
	assert_int_equal(n, 3);
	/* fresh, non-blocking TCP sockets that connect where we ask */
	alen = sizeof(type);
	assert_int_equal(getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &type, &alen), 0);
	assert_int_equal(type, SOCK_STREAM);
	assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	assert_true(connect(fds[0], (struct sockaddr *)&a, sizeof(a)) == 0 ||
		    errno == EINPROGRESS);
	c = accept(l, NULL, NULL);
	assert_true(c >= 0);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	assert_int_equal(recv_reply(sv[0], &r, fds), 0);
	assert_int_equal(r.errnum, EINVAL);
	assert_int_equal(recv_reply(sv[0], &r, fds), 0);
	assert_int_equal(r.seq, 8);
	assert_int_equal(r.errnum, EINVAL);
	assert_int_equal(recv_reply(sv[0], &r, fds), 0);
	assert_int_equal(r.seq, 9);
	assert_int_equal(r.errnum, EINVAL);

	/* parent gone: the child learns it from EOF */
	close(sv[0]);
	assert_int_equal(rk_builtin_child_serve(sv[1]), -1);
	close(sv[1]);
	close(c);
	close(l);
}

static int calls;

static void count_cb(struct rk_watch *w, uint32_t ev)
{
	(void)w;
	(void)ev;
	calls++;
}

struct pair {
	struct rk_watch a, b;
	struct rk_loop *l;
};

/* a_cb() - closes and frees the object owning the other watch, which has
 * an event in the same batch: its callback must not run */
static void a_cb(struct rk_watch *w, uint32_t ev)
{
	struct pair *p = container_of(w, struct pair, a);

	(void)ev;
	calls++;
	rk_loop_close(p->l, &p->a);
	rk_loop_close(p->l, &p->b);
	rk_loop_free_later(p->l, p);
}

static void test_loop(void **state)
{
	struct rk_loop l;
	struct rk_err err;
	struct pair *p = calloc(1, sizeof(*p));
	int e1[2], e2[2];

	(void)state;
	assert_int_equal(rk_loop_init(&l, &err), 0);
	assert_int_equal(pipe(e1), 0);
	assert_int_equal(pipe(e2), 0);
	p->l = &l;
	p->a = (struct rk_watch){ .fd = e1[0], .cb = a_cb };
	p->b = (struct rk_watch){ .fd = e2[0], .cb = a_cb };
	assert_int_equal(rk_loop_add(&l, &p->a, EPOLLIN), 0);
	assert_int_equal(rk_loop_add(&l, &p->b, EPOLLIN), 0);
	assert_int_equal(write(e1[1], "x", 1), 1);
	assert_int_equal(write(e2[1], "x", 1), 1);
	calls = 0;
	assert_int_equal(rk_loop_run_once(&l, 1000), 2);
	assert_int_equal(calls, 1);	/* the second watch was skipped */

	/* rk_loop_again(): called once more after the batch, without events */
	struct rk_watch w = { .fd = e1[1], .cb = count_cb };

	calls = 0;
	assert_int_equal(rk_loop_again(&l, &w), 0);
	assert_int_equal(rk_loop_again(&l, &w), 0);	/* queued once */
	assert_int_equal(rk_loop_run_once(&l, -1), 0);	/* no wait */
	assert_int_equal(calls, 1);
	close(e1[1]);
	close(e2[1]);
	rk_loop_fini(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manager),
		cmocka_unit_test(test_child_sockets),
		cmocka_unit_test(test_loop),
	};

	return cmocka_run_group_tests_name("ports", tests, NULL, NULL);
}
