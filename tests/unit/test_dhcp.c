// SPDX-License-Identifier: Apache-2.0
/* test_dhcp.c - the DHCPv4 messages of --net=lxc-user-nic (src/child/dhcp.c):
 * what the client sends, how replies are read, upstream's ACK checks */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "child/dhcp.h"

static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static uint32_t ip(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* find_opt() - the value of option @code in a built message, or NULL */
static const uint8_t *find_opt(const uint8_t *b, size_t len, uint8_t code,
			       uint8_t *olen)
{
	size_t o = 240;

	while (o < len && b[o] != 255) {
		if (b[o] == 0) {
			o++;
			continue;
		}
		if (b[o] == code) {
			*olen = b[o + 1];
			return b + o + 2;
		}
		o += 2 + b[o + 1];
	}
	return NULL;
}

static void test_build_discover(void **state)
{
	uint8_t b[600], l = 0;
	const uint8_t *v;
	size_t n;

	(void)state;
	assert_int_equal(rk_dhcp_build(b, 299, RK_DHCP_DISCOVER, 1, mac, 0, 0), 0);
	n = rk_dhcp_build(b, sizeof(b), RK_DHCP_DISCOVER, 0x01020304, mac, 0, 0);
	assert_int_equal(n, 300);		/* padded to the BOOTP minimum */
	assert_int_equal(b[0], 1);		/* BOOTREQUEST */
	assert_int_equal(b[1], 1);		/* Ethernet */
	assert_int_equal(b[2], 6);
	assert_memory_equal(b + 4, "\x01\x02\x03\x04", 4);
	assert_int_equal(b[10], 0x80);		/* broadcast replies, please */
	assert_memory_equal(b + 28, mac, 6);
	assert_memory_equal(b + 236, "\x63\x82\x53\x63", 4);
	v = find_opt(b, n, 53, &l);
	assert_non_null(v);
	assert_int_equal(l, 1);
	assert_int_equal(v[0], RK_DHCP_DISCOVER);
	assert_null(find_opt(b, n, 50, &l));
	assert_null(find_opt(b, n, 54, &l));
	v = find_opt(b, n, 55, &l);		/* asks for mask, router, DNS, lease */
	assert_non_null(v);
	assert_non_null(memchr(v, 1, l));
	assert_non_null(memchr(v, 3, l));
	assert_non_null(memchr(v, 6, l));
	assert_non_null(memchr(v, 51, l));
}

static void test_build_request(void **state)
{
	uint8_t b[600], l = 0;
	const uint8_t *v;
	size_t n;

	(void)state;
	n = rk_dhcp_build(b, sizeof(b), RK_DHCP_REQUEST, 7, mac,
			  ip("10.0.3.50"), ip("10.0.3.1"));
	assert_true(n >= 300);
	v = find_opt(b, n, 53, &l);
	assert_non_null(v);
	assert_int_equal(v[0], RK_DHCP_REQUEST);
	v = find_opt(b, n, 50, &l);
	assert_non_null(v);
	assert_int_equal(l, 4);
	assert_memory_equal(v, "\x0a\x00\x03\x32", 4);
	v = find_opt(b, n, 54, &l);
	assert_non_null(v);
	assert_memory_equal(v, "\x0a\x00\x03\x01", 4);
}

/* reply() - a server's BOOTREPLY for @xid with @opts appended after the
 * cookie; returns its length */
static size_t reply(uint8_t *b, uint32_t xid, const char *yi,
		    const uint8_t *opts, size_t olen)
{
	uint32_t nx = htonl(xid), y = ip(yi);

	memset(b, 0, 240);
	b[0] = 2;
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 4, &nx, 4);
	memcpy(b + 16, &y, 4);
	memcpy(b + 236, "\x63\x82\x53\x63", 4);
	memcpy(b + 240, opts, olen);
	return 240 + olen;
}

static void test_parse_ack(void **state)
{
	static const uint8_t opts[] = {
		53, 1, 5,
		0, 0,					/* pad */
		54, 4, 10, 0, 3, 1,
		51, 4, 0, 0, 0x0e, 0x10,		/* 3600 s */
		1, 4, 255, 255, 255, 0,
		3, 8, 10, 0, 3, 1, 10, 0, 3, 254,	/* two routers */
		6, 4, 10, 0, 3, 1,
		255,
		6, 4, 9, 9, 9, 9,			/* after END: ignored */
	};
	struct rk_dhcp_msg m;
	struct rk_err err = { 0 };
	uint8_t b[600];
	size_t n = reply(b, 42, "10.0.3.50", opts, sizeof(opts));

	(void)state;
	assert_int_equal(rk_dhcp_parse(b, n, 42, &m, &err), 0);
	assert_int_equal(m.type, RK_DHCP_ACK);
	assert_int_equal(m.yiaddr, ip("10.0.3.50"));
	assert_int_equal(m.server, ip("10.0.3.1"));
	assert_int_equal(m.lease, 3600);
	assert_int_equal(m.mask, ip("255.255.255.0"));
	assert_int_equal(m.router, ip("10.0.3.1"));	/* the first one */
	assert_int_equal(m.dns, ip("10.0.3.1"));
	assert_int_equal(rk_dhcp_check_ack(&m, &err), 0);
}

static void test_parse_bad(void **state)
{
	static const uint8_t ack[] = { 53, 1, 5, 255 };
	static const uint8_t overrun[] = { 53, 1, 5, 6, 200, 1, 2 };
	struct rk_dhcp_msg m;
	struct rk_err err = { 0 };
	uint8_t b[600];
	size_t n = reply(b, 42, "10.0.3.50", ack, sizeof(ack));

	(void)state;
	/* another transaction, a request, no cookie, too short */
	assert_int_equal(rk_dhcp_parse(b, n, 43, &m, &err), -1);
	assert_string_equal(err.msg, "DHCP reply for another transaction");
	b[0] = 1;
	assert_int_equal(rk_dhcp_parse(b, n, 42, &m, &err), -1);
	b[0] = 2;
	b[236] = 0;
	assert_int_equal(rk_dhcp_parse(b, n, 42, &m, &err), -1);
	b[236] = 0x63;
	assert_int_equal(rk_dhcp_parse(b, 200, 42, &m, &err), -1);
	assert_int_equal(rk_dhcp_parse(b, n, 42, &m, &err), 0);
	/* an option running past the end of the message */
	n = reply(b, 42, "10.0.3.50", overrun, sizeof(overrun));
	assert_int_equal(rk_dhcp_parse(b, n, 42, &m, &err), -1);
	assert_string_equal(err.msg, "DHCP option 6 runs past the message");
}

/* upstream's errors, in upstream's order */
static void test_check_ack(void **state)
{
	struct rk_dhcp_msg m = { .type = RK_DHCP_ACK, .yiaddr = ip("10.0.3.50"),
				 .router = ip("10.0.3.1"), .dns = ip("10.0.3.1") };
	struct rk_dhcp_msg t;
	struct rk_err err = { 0 };

	(void)state;
	assert_int_equal(rk_dhcp_check_ack(&m, &err), 0);
	t = m;
	t.type = RK_DHCP_NAK;
	assert_int_equal(rk_dhcp_check_ack(&t, &err), -1);
	assert_string_equal(err.msg, "did not get DHCPACK");
	t = m;
	t.yiaddr = 0;
	assert_int_equal(rk_dhcp_check_ack(&t, &err), -1);
	assert_string_equal(err.msg, "got zero YourIPAddr");
	t = m;
	t.router = 0;
	assert_int_equal(rk_dhcp_check_ack(&t, &err), -1);
	assert_string_equal(err.msg, "got no Router");
	t = m;
	t.dns = 0;
	assert_int_equal(rk_dhcp_check_ack(&t, &err), -1);
	assert_string_equal(err.msg, "got no DNS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_discover),
		cmocka_unit_test(test_build_request),
		cmocka_unit_test(test_parse_ack),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_check_ack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
