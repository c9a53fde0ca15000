// SPDX-License-Identifier: Apache-2.0
/* test_sockaddr.c - socket addresses (src/lib/sockaddr.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "lib/sockaddr.h"

static const char *str(const union rk_sa *a)
{
	static char buf[80];

	return rk_sa_str(a, buf, sizeof(buf));
}

static void test_parse(void **state)
{
	static const char *const bad[] = { "", "bogus", "1.2.3", "1.2.3.4:80",
					   "[::1]", "::1%lo", "256.0.0.1", " 1.2.3.4" };
	union rk_sa a;

	(void)state;
	assert_int_equal(rk_sa_parse("10.0.2.100", &a), 0);
	assert_int_equal(a.sa.sa_family, AF_INET);
	assert_int_equal(a.in.sin_port, 0);
	assert_string_equal(str(&a), "10.0.2.100:0");
	assert_int_equal(rk_sa_parse("fd00::1", &a), 0);
	assert_int_equal(a.sa.sa_family, AF_INET6);
	assert_string_equal(str(&a), "[fd00::1]:0");
	/* v4-mapped IPv6 becomes IPv4 */
	assert_int_equal(rk_sa_parse("::ffff:192.0.2.1", &a), 0);
	assert_int_equal(a.sa.sa_family, AF_INET);
	assert_string_equal(str(&a), "192.0.2.1:0");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(rk_sa_parse(bad[i], &a), -1);
}

static void test_port_str_len(void **state)
{
	union rk_sa a;

	(void)state;
	assert_int_equal(rk_sa_parse("127.0.0.1", &a), 0);
	rk_sa_set_port(&a, 8080);
	assert_int_equal(ntohs(a.in.sin_port), 8080);
	assert_string_equal(str(&a), "127.0.0.1:8080");
	assert_int_equal(rk_sa_len(&a), sizeof(struct sockaddr_in));
	assert_int_equal(rk_sa_parse("::1", &a), 0);
	rk_sa_set_port(&a, 65535);
	assert_string_equal(str(&a), "[::1]:65535");
	assert_int_equal(rk_sa_len(&a), sizeof(struct sockaddr_in6));
}

static void test_unspec_v6(void **state)
{
	union rk_sa a;

	(void)state;
	assert_int_equal(rk_sa_parse("0.0.0.0", &a), 0);
	assert_true(rk_sa_is_unspec(&a));
	rk_sa_to_v6(&a);	/* 0.0.0.0 -> :: */
	assert_int_equal(a.sa.sa_family, AF_INET6);
	assert_true(rk_sa_is_unspec(&a));
	assert_string_equal(str(&a), "[::]:0");
	assert_int_equal(rk_sa_parse("::", &a), 0);
	assert_true(rk_sa_is_unspec(&a));
	assert_int_equal(rk_sa_parse("10.1.2.3", &a), 0);
	assert_false(rk_sa_is_unspec(&a));
	rk_sa_set_port(&a, 53);
	rk_sa_to_v6(&a);	/* v4-mapped, port dropped */
	assert_string_equal(str(&a), "[::ffff:10.1.2.3]:0");
	rk_sa_set_port(&a, 53);
	rk_sa_to_v6(&a);	/* IPv6 stays as it is */
	assert_string_equal(str(&a), "[::ffff:10.1.2.3]:53");
}

static void test_equal_hash(void **state)
{
	union rk_sa a, b, m, n;

	(void)state;
	rk_sa_parse("192.0.2.7", &a);
	rk_sa_set_port(&a, 1000);
	b = a;
	assert_true(rk_sa_equal(&a, &b));
	assert_int_equal(rk_sa_hash(&a), rk_sa_hash(&b));
	rk_sa_set_port(&b, 1001);
	assert_false(rk_sa_equal(&a, &b));
	assert_int_not_equal(rk_sa_hash(&a), rk_sa_hash(&b));
	rk_sa_parse("192.0.2.8", &b);
	rk_sa_set_port(&b, 1000);
	assert_false(rk_sa_equal(&a, &b));
	/* the v4-mapped spelling of a socket's peer is a different key ... */
	memset(&m, 0, sizeof(m));
	m.in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &m.in6.sin6_addr);
	m.in6.sin6_port = htons(1000);
	m.in6.sin6_scope_id = 3;
	assert_false(rk_sa_equal(&a, &m));
	/* ... but the same address once the port is dropped */
	rk_sa_addr_only(&m, &n);
	assert_int_equal(n.sa.sa_family, AF_INET);
	assert_string_equal(str(&n), "192.0.2.7:0");
	rk_sa_addr_only(&a, &b);
	assert_true(rk_sa_equal(&n, &b));
	assert_int_equal(rk_sa_hash(&n), rk_sa_hash(&b));
	/* IPv6: port, address and nothing else (scope and flow dropped) */
	rk_sa_parse("fe80::1", &a);
	a.in6.sin6_scope_id = 2;
	a.in6.sin6_flowinfo = 7;
	rk_sa_set_port(&a, 5);
	rk_sa_addr_only(&a, &b);
	assert_int_equal(b.in6.sin6_scope_id, 0);
	assert_int_equal(b.in6.sin6_flowinfo, 0);
	assert_int_equal(b.in6.sin6_port, 0);
	assert_string_equal(str(&b), "[fe80::1]:0");
	rk_sa_parse("fe80::1", &n);
	assert_true(rk_sa_equal(&b, &n));
	assert_int_equal(rk_sa_hash(&b), rk_sa_hash(&n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_port_str_len),
		cmocka_unit_test(test_unspec_v6),
		cmocka_unit_test(test_equal_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
