// SPDX-License-Identifier: Apache-2.0
/* test_bypass.c - --bypass4netns: the address policy, CIDR parsing, host
 * twins and the sock_diag liveness check (src/parent/bypass_sock.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parent/bypass_int.h"

/* sa() - @s parsed as an address; v4-mapped IPv6 kept as IPv6 */
static union rk_sa sa(const char *s)
{
	union rk_sa a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		return a;
	}
	assert_int_equal(inet_pton(AF_INET6, s, &a.in6.sin6_addr), 1);
	a.in6.sin6_family = AF_INET6;
	return a;
}

static void test_net_parse(void **state)
{
	static const char *const bad[] = { "", "10.0.0.0", "10.0.0.0/33",
					   "10.0.0.0/-1", "fd00::/129", "x/8",
					   "10.0.0.0/8x", "/8" };
	struct rk_bp_net n;
	struct rk_err err = { 0 };

	(void)state;
	assert_int_equal(rk_bp_net_parse("192.168.0.0/16", &n, &err), 0);
	assert_int_equal(n.family, AF_INET);
	assert_int_equal(n.prefix, 16);
	assert_int_equal(rk_bp_net_parse("fd00::/8", &n, &err), 0);
	assert_int_equal(n.family, AF_INET6);
	assert_int_equal(n.prefix, 8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err.msg[0] = '\0';
		assert_int_equal(rk_bp_net_parse(bad[i], &n, &err), -1);
		assert_non_null(strstr(err.msg, "invalid CIDR address"));
	}
}

static void test_dest_policy(void **state)
{
	static const char *const never[] = {
		"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "0.0.0.0",
		"::", "169.254.1.1", "fe80::1", "224.0.0.1", "ff02::1",
		"255.255.255.255",
	};
	struct rk_bp_net ign[2];
	struct rk_bp_policy p = { .ignore = ign, .nignore = 2 };
	struct rk_err err = { 0 };
	union rk_sa a;

	(void)state;
	assert_int_equal(rk_bp_net_parse("10.0.2.0/24", &p.own[0], &err), 0);
	p.nown = 1;
	assert_int_equal(rk_bp_net_parse("198.51.100.0/24", &ign[0], &err), 0);
	assert_int_equal(rk_bp_net_parse("2001:db8::/32", &ign[1], &err), 0);
	for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++) {
		a = sa(never[i]);
		assert_false(rk_bp_dest_ok(&p, &a));
	}
	/* the namespace's own network, v4 and v4-mapped */
	a = sa("10.0.2.2");
	assert_false(rk_bp_dest_ok(&p, &a));
	a = sa("::ffff:10.0.2.3");
	assert_false(rk_bp_dest_ok(&p, &a));
	/* ignored networks */
	a = sa("198.51.100.7");
	assert_false(rk_bp_dest_ok(&p, &a));
	a = sa("2001:db8::5");
	assert_false(rk_bp_dest_ok(&p, &a));
	/* the rest of the world */
	a = sa("10.0.3.1");
	assert_true(rk_bp_dest_ok(&p, &a));
	a = sa("198.18.0.2");
	assert_true(rk_bp_dest_ok(&p, &a));
	a = sa("::ffff:198.18.0.2");
	assert_true(rk_bp_dest_ok(&p, &a));
	a = sa("2001:db9::1");
	assert_true(rk_bp_dest_ok(&p, &a));
}

static void test_sa_norm(void **state)
{
	union rk_sa a = sa("::ffff:192.0.2.9"), n;

	(void)state;
	a.in6.sin6_port = htons(80);
	n = rk_bp_sa_norm(&a);
	assert_int_equal(n.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(n.in.sin_port), 80);
	assert_int_equal(ntohl(n.in.sin_addr.s_addr), 0xc0000209);
	a = sa("2001:db8::1");
	n = rk_bp_sa_norm(&a);
	assert_int_equal(n.sa.sa_family, AF_INET6);
}

static void test_twin(void **state)
{
	int one = 1, v;
	socklen_t l = sizeof(v);
	int s = socket(AF_INET, SOCK_STREAM, 0), t;

	(void)state;
	assert_true(s >= 0);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	t = rk_bp_twin(s, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_true(t >= 0);
	assert_int_not_equal(t, s);
	assert_true(fcntl(t, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(t, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(getsockopt(t, SOL_SOCKET, SO_REUSEADDR, &v, &l), 0);
	assert_int_not_equal(v, 0);
	assert_int_equal(getsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, &l), 0);
	assert_int_not_equal(v, 0);
	assert_int_equal(getsockopt(t, IPPROTO_TCP, TCP_NODELAY, &v, &l), 0);
	assert_int_not_equal(v, 0);
	close(t);
	close(s);
}

static void test_sock_ns_and_diag(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	struct stat ns, st;
	ino_t ino;
	int s = socket(AF_INET, SOCK_STREAM, 0), nul;

	(void)state;
	assert_true(s >= 0);
	assert_int_equal(stat("/proc/self/ns/net", &ns), 0);
	assert_int_equal(rk_bp_sock_ns(s, &ino), 0);
	assert_int_equal(ino, ns.st_ino);
	nul = open("/dev/null", O_RDONLY);
	assert_true(nul >= 0);
	assert_int_equal(rk_bp_sock_ns(nul, &ino), -1);	/* not a socket */
	close(nul);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
	assert_int_equal(fstat(s, &st), 0);
	assert_true(rk_bp_diag_has(AF_INET, IPPROTO_TCP, st.st_ino));
	close(s);
	assert_false(rk_bp_diag_has(AF_INET, IPPROTO_TCP, st.st_ino));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_parse),
		cmocka_unit_test(test_dest_policy),
		cmocka_unit_test(test_sa_norm),
		cmocka_unit_test(test_twin),
		cmocka_unit_test(test_sock_ns_and_diag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
