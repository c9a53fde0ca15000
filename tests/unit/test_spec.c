// SPDX-License-Identifier: Apache-2.0
/* test_spec.c - port spec strings, validation, conflicts, JSON (src/port/spec.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port/spec.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct ok_case {
	const char *in, *proto, *pip;
	long pport;		/* long: no padding between the pointers */
	const char *cip;
	long cport;
};

/* upstream's accepted table (portutil_test.go, spec 3.3) plus derived cases */
static const struct ok_case ok_cases[] = {
	{ "127.0.0.1:8080:80/tcp", "tcp", "127.0.0.1", 8080, "", 80 },
	{ "127.0.0.1:8080:10.0.2.100:80/tcp", "tcp", "127.0.0.1", 8080, "10.0.2.100", 80 },
	{ "[::1]:8080:80/tcp", "tcp", "::1", 8080, "", 80 },
	{ "[::1]:8080:[::2]:80/udp", "udp", "::1", 8080, "::2", 80 },
	{ "127.0.0.1:8080:80/tcp4", "tcp4", "127.0.0.1", 8080, "", 80 },
	{ ":8080:80/tcp", "tcp", "", 8080, "", 80 },
	{ "0.0.0.0:8080:[::1]:80/tcp4", "tcp4", "0.0.0.0", 8080, "::1", 80 },
	/* every proto */
	{ "0.0.0.0:1:2/tcp6", "tcp6", "0.0.0.0", 1, "", 2 },
	{ "0.0.0.0:1:2/udp4", "udp4", "0.0.0.0", 1, "", 2 },
	{ "0.0.0.0:8080:80/udp6", "udp6", "0.0.0.0", 8080, "", 80 },
	{ "0.0.0.0:5201:5201/sctp", "sctp", "0.0.0.0", 5201, "", 5201 },
	{ "0.0.0.0:1:2/sctp4", "sctp4", "0.0.0.0", 1, "", 2 },
	{ "0.0.0.0:1:2/sctp6", "sctp6", "0.0.0.0", 1, "", 2 },
	/* bracket forms */
	{ "[::]:8080:[::1]:80/tcp6", "tcp6", "::", 8080, "::1", 80 },
	{ "[::]:8080:80/tcp6", "tcp6", "::", 8080, "", 80 },
	{ "[::]:8080:[127.0.0.1]:80/tcp", "tcp", "::", 8080, "127.0.0.1", 80 },
	{ "[::ffff:127.0.0.1]:8080:80/tcp", "tcp", "::ffff:127.0.0.1", 8080, "", 80 },
	{ "[2001:db8::1]:443:[fe80::1]:8443/tcp", "tcp", "2001:db8::1", 443, "fe80::1", 8443 },
	{ "[]:8080:80/tcp", "tcp", "", 8080, "", 80 },	/* as upstream: all addresses */
	{ "127.0.0.1:8080:[]:80/tcp", "tcp", "127.0.0.1", 8080, "", 80 },
	{ "127.0.0.1:8080::80/tcp", "tcp", "127.0.0.1", 8080, "", 80 },	/* as upstream */
	/* whitespace before the last ':' is dropped (Go's text/scanner) */
	{ " 127.0.0.1 : 8080 :80/tcp", "tcp", "127.0.0.1", 8080, "", 80 },
	{ "\t127.0.0.1\r\n:8080:80/tcp", "tcp", "127.0.0.1", 8080, "", 80 },
	{ "[ ::1 ]:8080:80/tcp", "tcp", "::1", 8080, "", 80 },
	{ "[::1] :8080: [::2] :80/tcp", "tcp", "::1", 8080, "::2", 80 },
	{ "127.0.0.1:80 80:80/tcp", "tcp", "127.0.0.1", 8080, "", 80 },
	/* Atoi: sign and leading zeros allowed; ranges are validation's job */
	{ "127.0.0.1:0:70000/tcp", "tcp", "127.0.0.1", 0, "", 70000 },
	{ "127.0.0.1:+8080:-1/udp", "udp", "127.0.0.1", 8080, "", -1 },
	{ "127.0.0.1:0080:080/udp", "udp", "127.0.0.1", 80, "", 80 },
	{ "127.0.0.1:-2147483648:2147483647/tcp", "tcp", "127.0.0.1", INT_MIN, "", INT_MAX },
};

struct bad_case {
	const char *in, *msg;
};

static const struct bad_case bad_cases[] = {
	/* upstream's rejected strings */
	{ "bad", "missing proto in PortSpec string: \"bad\"" },
	{ "8080", "missing proto in PortSpec string: \"8080\"" },
	{ "127.0.0.1:8080:80/tcp,127.0.0.1:4040:40/tcp",
	  "unexpected PortSpec string: \"127.0.0.1:8080:80/tcp,127.0.0.1:4040:40/tcp\"" },
	/* spec 3.3's derived errors */
	{ "8080:80/tcp", "unexpected ParentIP in PortSpec string: \"8080:80/tcp\"" },
	{ "", "missing proto in PortSpec string: \"\"" },
	{ "127.0.0.1:8080:80/TCP",
	  "invalid PortSpec string: \"127.0.0.1:8080:80/TCP\": unknown proto: \"TCP\"" },
	{ "127.0.0.1:8080:80/", "invalid PortSpec string: \"127.0.0.1:8080:80/\": unknown proto: \"\"" },
	{ "127.0.0.1:8080:80/sctp7",
	  "invalid PortSpec string: \"127.0.0.1:8080:80/sctp7\": unknown proto: \"sctp7\"" },
	{ "127.0.0.1:8080:80/tcp ",
	  "invalid PortSpec string: \"127.0.0.1:8080:80/tcp \": unknown proto: \"tcp \"" },
	{ "80/tcp", "unexpected PortSpec string: \"80/tcp\"" },
	{ "/tcp", "unexpected PortSpec string: \"/tcp\"" },
	/* fixed labels: the wrong field is named */
	{ "127.0.0.1:x:80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1:x:80/tcp\": strconv.Atoi: parsing \"x\": invalid syntax" },
	{ "127.0.0.1:8080:y/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:y/tcp\": strconv.Atoi: parsing \"y\": invalid syntax" },
	{ "127.0.0.1:8080:10.0.2.300:80/tcp",
	  "unexpected ChildIP in PortSpec string: \"127.0.0.1:8080:10.0.2.300:80/tcp\"" },
	{ "[::1]:8080:[::g]:80/tcp", "unexpected ChildIP in PortSpec string: \"[::1]:8080:[::g]:80/tcp\"" },
	{ "256.0.0.1:8080:80/tcp", "unexpected ParentIP in PortSpec string: \"256.0.0.1:8080:80/tcp\"" },
	{ "127.0.0.01:8080:80/tcp", "unexpected ParentIP in PortSpec string: \"127.0.0.01:8080:80/tcp\"" },
	{ "localhost:8080:80/tcp", "unexpected ParentIP in PortSpec string: \"localhost:8080:80/tcp\"" },
	{ "[fe80::1%eth0]:8080:80/tcp", "unexpected ParentIP in PortSpec string: \"[fe80::1%eth0]:8080:80/tcp\"" },
	{ "[::ffff:127.0.0.01]:8080:80/tcp",
	  "unexpected ParentIP in PortSpec string: \"[::ffff:127.0.0.01]:8080:80/tcp\"" },
	{ "[[::1]]:8080:80/tcp", "unexpected PortSpec string: \"[[::1]]:8080:80/tcp\"" },
	{ "1.2.3.4/8:8080:80/tcp", "unexpected ParentIP in PortSpec string: \"1.2.3.4/8:8080:80/tcp\"" },
	/* the IP is checked before the ports, as upstream */
	{ "x:y:80/tcp", "unexpected ParentIP in PortSpec string: \"x:y:80/tcp\"" },
	{ "127.0.0.1:y:z:80/tcp", "unexpected ChildIP in PortSpec string: \"127.0.0.1:y:z:80/tcp\"" },
	/* empty parts */
	{ "127.0.0.1::80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1::80/tcp\": strconv.Atoi: parsing \"\": invalid syntax" },
	{ "127.0.0.1:8080:/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:/tcp\": strconv.Atoi: parsing \"\": invalid syntax" },
	{ "127.0.0.1::10.0.2.100:80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1::10.0.2.100:80/tcp\": strconv.Atoi: parsing \"\": invalid syntax" },
	{ "127.0.0.1:8080:10.0.2.100:/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:10.0.2.100:/tcp\": strconv.Atoi: parsing \"\": invalid syntax" },
	{ ":80/tcp", "unexpected ParentPort in PortSpec string: \":80/tcp\": strconv.Atoi: parsing \"\": invalid syntax" },
	{ ":/tcp", "unexpected ParentPort in PortSpec string: \":/tcp\": strconv.Atoi: parsing \"\": invalid syntax" },
	{ "127.0.0.1:+:80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1:+:80/tcp\": strconv.Atoi: parsing \"+\": invalid syntax" },
	/* extra colons (upstream glues the extra text onto the child port) */
	{ "127.0.0.1:8080:10.0.2.100:99:80/tcp",
	  "unexpected PortSpec string: \"127.0.0.1:8080:10.0.2.100:99:80/tcp\"" },
	{ "127.0.0.1:8080:10.0.2.100::80/tcp",
	  "unexpected PortSpec string: \"127.0.0.1:8080:10.0.2.100::80/tcp\"" },
	{ "1:2:3:4:5/tcp", "unexpected PortSpec string: \"1:2:3:4:5/tcp\"" },
	{ "[::1]:8080:[::2]::80/tcp", "unexpected PortSpec string: \"[::1]:8080:[::2]::80/tcp\"" },
	{ "[::1]:8080:[::2]:[80]:80/tcp", "unexpected PortSpec string: \"[::1]:8080:[::2]:[80]:80/tcp\"" },
	/* IPv6 without brackets */
	{ "::1:8080:80/tcp", "unexpected PortSpec string: \"::1:8080:80/tcp\"" },
	{ "fe80::1:8080:80/tcp", "unexpected PortSpec string: \"fe80::1:8080:80/tcp\"" },
	{ "127.0.0.1:8080:::2:80/tcp", "unexpected PortSpec string: \"127.0.0.1:8080:::2:80/tcp\"" },
	/* garbage around brackets (upstream swallows it) */
	{ "[::1]x:8080:80/tcp", "unexpected PortSpec string: \"[::1]x:8080:80/tcp\"" },
	{ "[::1]]:8080:80/tcp", "unexpected PortSpec string: \"[::1]]:8080:80/tcp\"" },
	{ "1[::1]:8080:80/tcp", "unexpected PortSpec string: \"1[::1]:8080:80/tcp\"" },
	{ "[::1]:8080:[::2]x:80/tcp", "unexpected PortSpec string: \"[::1]:8080:[::2]x:80/tcp\"" },
	{ "[::1:8080:80/tcp", "unexpected PortSpec string: \"[::1:8080:80/tcp\"" },
	{ "[::1]:8080:[::2:80/tcp", "unexpected PortSpec string: \"[::1]:8080:[::2:80/tcp\"" },
	{ "::1]:8080:80/tcp", "unexpected PortSpec string: \"::1]:8080:80/tcp\"" },
	{ "]:8080:80/tcp", "unexpected PortSpec string: \"]:8080:80/tcp\"" },
	/* trailing garbage and whitespace in the ports */
	{ "127.0.0.1:8080:80x/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:80x/tcp\": strconv.Atoi: parsing \"80x\": invalid syntax" },
	{ "127.0.0.1:8080: 80/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080: 80/tcp\": strconv.Atoi: parsing \" 80\": invalid syntax" },
	{ "127.0.0.1:8080:80/tcp/udp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:80/tcp/udp\": strconv.Atoi: parsing \"80/tcp\": invalid syntax" },
	{ "127.0.0.1:8080:0x50/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:0x50/tcp\": strconv.Atoi: parsing \"0x50\": invalid syntax" },
	{ "127.0.0.1:8_080:80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1:8_080:80/tcp\": strconv.Atoi: parsing \"8_080\": invalid syntax" },
	/* huge numbers */
	{ "127.0.0.1:99999999999999999999:80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1:99999999999999999999:80/tcp\": strconv.Atoi: parsing \"99999999999999999999\": value out of range" },
	{ "127.0.0.1:8080:99999999999/udp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:99999999999/udp\": strconv.Atoi: parsing \"99999999999\": value out of range" },
	{ "127.0.0.1:2147483648:80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1:2147483648:80/tcp\": strconv.Atoi: parsing \"2147483648\": value out of range" },
	{ "127.0.0.1:80:-2147483649/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:80:-2147483649/tcp\": strconv.Atoi: parsing \"-2147483649\": value out of range" },
	/* Go: a short string is checked for syntax, a long one stops at the overflow */
	{ "127.0.0.1:80:9999999999x/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:80:9999999999x/tcp\": strconv.Atoi: parsing \"9999999999x\": invalid syntax" },
	{ "127.0.0.1:80:999999999999999999999x/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:80:999999999999999999999x/tcp\": strconv.Atoi: parsing \"999999999999999999999x\": value out of range" },
	/* messages quote like Go's %q */
	{ "a\"b\\c/tcp", "unexpected PortSpec string: \"a\\\"b\\\\c/tcp\"" },
	{ "1.2.3.4\x01:80:80/tcp", "unexpected ParentIP in PortSpec string: \"1.2.3.4\\x01:80:80/tcp\"" },
	{ "\xff\t:80:80/tcp", "unexpected ParentIP in PortSpec string: \"\\xff\\t:80:80/tcp\"" },
	{ "\xc3\xa9:80:80/tcp", "unexpected ParentIP in PortSpec string: \"\xc3\xa9:80:80/tcp\"" },
	{ "\x1b:80:80/udp\n", "invalid PortSpec string: \"\\x1b:80:80/udp\\n\": unknown proto: \"udp\\n\"" },
};

static void test_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(ok_cases); i++) {
		const struct ok_case *c = &ok_cases[i];
		struct rk_port_spec s;
		struct rk_err err = { 0 };

		if (rk_port_spec_parse(c->in, &s, &err) < 0)
			fail_msg("%s: %s", c->in, err.msg);
		assert_string_equal(s.proto, c->proto);
		assert_string_equal(s.parent_ip, c->pip);
		assert_int_equal(s.parent_port, c->pport);
		assert_string_equal(s.child_ip, c->cip);
		assert_int_equal(s.child_port, c->cport);
	}
}

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(bad_cases); i++) {
		struct rk_port_spec s;
		struct rk_err err = { 0 };

		if (rk_port_spec_parse(bad_cases[i].in, &s, &err) == 0)
			fail_msg("accepted: \"%s\"", bad_cases[i].in);
		if (strcmp(err.msg, bad_cases[i].msg))
			fail_msg("%s:\n got  %s\n want %s", bad_cases[i].in, err.msg,
				 bad_cases[i].msg);
		/* a failed parse leaves nothing half-filled */
		assert_string_equal(s.proto, "");
		assert_int_equal(s.parent_port, 0);
	}
}

/* long inputs: nothing is cut off silently, nothing overflows */
static void test_parse_long(void **state)
{
	struct rk_port_spec s;
	struct rk_err err = { 0 };
	char in[600], want[800];

	(void)state;
	/* an overlong parent IP is an invalid one */
	memset(in, '1', 200);
	snprintf(in + 200, sizeof(in) - 200, ":80:80/tcp");
	assert_int_equal(rk_port_spec_parse(in, &s, &err), -1);
	snprintf(want, sizeof(want), "unexpected ParentIP in PortSpec string: \"%s\"", in);
	assert_string_equal(err.msg, want);
	/* a 100-digit port is out of range, and quoted whole */
	in[0] = ':';
	memset(in + 1, '7', 100);
	snprintf(in + 101, sizeof(in) - 101, ":80/tcp");
	assert_int_equal(rk_port_spec_parse(in, &s, &err), -1);
	assert_non_null(strstr(err.msg, "unexpected ParentPort"));
	assert_non_null(strstr(err.msg, "value out of range"));
	memset(in, '7', 100);
	in[100] = '\0';
	assert_non_null(strstr(err.msg, in));
	/* the child port likewise, 70 digits (more than any field buffer) */
	snprintf(in, sizeof(in), ":80:");
	memset(in + 4, '8', 70);
	snprintf(in + 74, sizeof(in) - 74, "/udp");
	assert_int_equal(rk_port_spec_parse(in, &s, &err), -1);
	snprintf(want, sizeof(want),
		 "unexpected ChildPort in PortSpec string: \"%s\": strconv.Atoi: parsing \"%.70s\": value out of range",
		 in, in + 4);
	assert_string_equal(err.msg, want);
	/* a very long string: the message is cut, not overflowed */
	{
		char *big = malloc(10000);

		assert_non_null(big);
		memset(big, 'a', 9990);
		snprintf(big + 9990, 10, ":1:2/tcp");
		assert_int_equal(rk_port_spec_parse(big, &s, &err), -1);
		assert_true(strlen(err.msg) < sizeof(err.msg));
		assert_non_null(strstr(err.msg, "unexpected ParentIP in PortSpec string: \"aaa"));
		assert_int_equal(err.msg[strlen(err.msg) - 1], '"');
		free(big);
	}
}

static void test_ip_proto(void **state)
{
	static const char *const good_ip[] = {
		"127.0.0.1", "0.0.0.0", "255.255.255.255", "10.0.2.100", "::", "::1",
		"::ffff:1.2.3.4", "::FFFF:1.2.3.4", "1:2:3:4:5:6:7::", "FE80::1",
		"2001:db8::1", "1:2:3:4:5:6:1.2.3.4", "0:0:0:0:0:0:0:1",
	};
	static const char *const bad_ip[] = {
		"", "1.2.3", "01.2.3.4", "1.2.3.04", "1.2.3.256", "1.2.3.4.5",
		"fe80::1%eth0", "[::1]", "::ffff:1.2.3.04", "00000::1", "1::2::3",
		" 1.2.3.4", "1.2.3.4 ", "localhost", "0x1.2.3.4", ":::",
		"::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "invalid",
	};
	static const char *const good_proto[] = {
		"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "sctp", "sctp4", "sctp6",
	};
	static const char *const bad_proto[] = {
		"", "NaN", "TCP", "Udp", "tcp ", "tcp46", "icmp", "sctp7", "tc",
	};

	(void)state;
	for (size_t i = 0; i < N(good_ip); i++) {
		if (!rk_ip_valid(good_ip[i]))
			fail_msg("rejected %s", good_ip[i]);
	}
	for (size_t i = 0; i < N(bad_ip); i++) {
		if (rk_ip_valid(bad_ip[i]))
			fail_msg("accepted %s", bad_ip[i]);
	}
	for (size_t i = 0; i < N(good_proto); i++)
		assert_true(rk_port_proto_valid(good_proto[i]));
	for (size_t i = 0; i < N(bad_proto); i++)
		assert_false(rk_port_proto_valid(bad_proto[i]));
}

static struct rk_port_spec mk(const char *proto, const char *pip, int pp,
			      const char *cip, int cp)
{
	struct rk_port_spec s = { .parent_port = pp, .child_port = cp };

	snprintf(s.proto, sizeof(s.proto), "%s", proto);
	snprintf(s.parent_ip, sizeof(s.parent_ip), "%s", pip);
	snprintf(s.child_ip, sizeof(s.child_ip), "%s", cip);
	return s;
}

/* expect_valid() - validate against @ex; @want is NULL or the message */
static void expect_valid(struct rk_port_spec s, const struct rk_port_status *ex,
			 int n, const char *want)
{
	struct rk_err err = { 0 };
	int r = rk_port_spec_validate(&s, ex, n, &err);

	if (!want) {
		if (r < 0)
			fail_msg("%s %s:%d: %s", s.proto, s.parent_ip, s.parent_port, err.msg);
		return;
	}
	if (r == 0)
		fail_msg("accepted %s %s:%d->%s:%d, want %s", s.proto, s.parent_ip,
			 s.parent_port, s.child_ip, s.child_port, want);
	assert_int_equal(r, -1);
	assert_string_equal(err.msg, want);
}

/* upstream's TestValidatePortSpec, with exact messages */
static void test_validate_upstream(void **state)
{
	static const char *const bad_protos[] = { "", "NaN", "TCP" };
	static const char *const good_protos[] = { "udp", "tcp", "sctp" };
	static const int bad_ports[] = { -200, 0, 1000000 };
	static const int good_ports[] = { 20, 500, 1337, 65000 };
	const struct rk_port_status ex[] = {
		{ 1, mk("tcp", "", 80, "", 80) },		/* all host IPs */
		{ 2, mk("tcp", "10.10.10.10", 8080, "", 8080) },
	};
	const struct rk_port_spec base = mk("tcp", "127.0.0.1", 1001, "", 1001);
	struct rk_port_spec s;
	char want[64];

	(void)state;
	for (size_t i = 0; i < N(bad_protos); i++) {
		s = base;
		snprintf(s.proto, sizeof(s.proto), "%s", bad_protos[i]);
		snprintf(want, sizeof(want), "unknown proto: \"%s\"", bad_protos[i]);
		expect_valid(s, ex, 2, want);
	}
	for (size_t i = 0; i < N(good_protos); i++) {
		s = base;
		snprintf(s.proto, sizeof(s.proto), "%s", good_protos[i]);
		expect_valid(s, ex, 2, NULL);
	}
	expect_valid(mk("tcp", "invalid", 80, "", 80), ex, 2, "invalid ParentIP: \"invalid\"");
	expect_valid(mk("tcp", "", 80, "invalid", 80), ex, 2, "invalid ChildIP: \"invalid\"");
	for (size_t i = 0; i < N(bad_ports); i++) {
		s = base;
		s.parent_port = bad_ports[i];
		snprintf(want, sizeof(want), "invalid ParentPort: %d", bad_ports[i]);
		expect_valid(s, ex, 2, want);
		s = base;
		s.child_port = bad_ports[i];
		snprintf(want, sizeof(want), "invalid ChildPort: %d", bad_ports[i]);
		expect_valid(s, ex, 2, want);
	}
	for (size_t i = 0; i < N(good_ports); i++) {
		s = base;
		s.parent_port = good_ports[i];
		expect_valid(s, ex, 2, NULL);
		s = base;
		s.child_port = good_ports[i];
		expect_valid(s, ex, 2, NULL);
	}
	/* udp does not conflict with tcp */
	expect_valid(mk("udp", "", 80, "", 80), ex, 2, NULL);
	/* same ports, different IP */
	expect_valid(mk("tcp", "10.10.10.11", 8080, "", 8080), ex, 2, NULL);
	/* same IP, different parent port, same child port */
	expect_valid(mk("tcp", "10.10.10.10", 8081, "", 8080), ex, 2, NULL);
	/* same parent IP and port conflict, whatever the child port */
	expect_valid(mk("tcp", "", 80, "", 90), ex, 2, "conflict with ID 1");
	expect_valid(mk("tcp", "10.10.10.10", 8080, "", 8080), ex, 2, "conflict with ID 2");
}

static void test_validate_more(void **state)
{
	const struct rk_port_status ex[] = {
		{ 7, mk("tcp", "", 80, "", 80) },
		{ 9, mk("sctp", "::1", 5000, "10.0.2.100", 5000) },
		{ 11, mk("tcp", "", 80, "", 81) },	/* duplicate: first wins */
	};

	(void)state;
	/* ranges: 1 and 65535 are the bounds */
	expect_valid(mk("tcp", "", 1, "", 65535), NULL, 0, NULL);
	expect_valid(mk("tcp", "", 65536, "", 80), NULL, 0, "invalid ParentPort: 65536");
	expect_valid(mk("tcp", "", 80, "", 65536), NULL, 0, "invalid ChildPort: 65536");
	expect_valid(mk("tcp", "", INT_MIN, "", 80), NULL, 0, "invalid ParentPort: -2147483648");
	expect_valid(mk("tcp", "", 80, "", INT_MAX), NULL, 0, "invalid ChildPort: 2147483647");
	/* upstream's order: proto, parent IP, child IP, parent port, child port */
	expect_valid(mk("x", "bad", 0, "bad", 0), NULL, 0, "unknown proto: \"x\"");
	expect_valid(mk("tcp", "bad", 0, "bad", 0), NULL, 0, "invalid ParentIP: \"bad\"");
	expect_valid(mk("tcp", "", 0, "bad", 0), NULL, 0, "invalid ChildIP: \"bad\"");
	expect_valid(mk("tcp", "", 0, "", 0), NULL, 0, "invalid ParentPort: 0");
	expect_valid(mk("tcp", "", 80, "", 0), NULL, 0, "invalid ChildPort: 0");
	/* Go's net.ParseIP rules */
	expect_valid(mk("tcp", "127.0.0.01", 80, "", 80), NULL, 0, "invalid ParentIP: \"127.0.0.01\"");
	expect_valid(mk("tcp", "fe80::1%lo", 80, "", 80), NULL, 0, "invalid ParentIP: \"fe80::1%lo\"");
	expect_valid(mk("tcp", "[::1]", 80, "", 80), NULL, 0, "invalid ParentIP: \"[::1]\"");
	expect_valid(mk("tcp6", "::1", 80, "::ffff:10.0.2.100", 80), NULL, 0, NULL);
	expect_valid(mk("tcp", "1.2.3", 80, "", 80), NULL, 0, "invalid ParentIP: \"1.2.3\"");
	expect_valid(mk("tcp", "", 80, "::g", 80), NULL, 0, "invalid ChildIP: \"::g\"");
	/* quoted like Go's %q */
	expect_valid(mk("t\"c\n", "", 80, "", 80), NULL, 0, "unknown proto: \"t\\\"c\\n\"");
	expect_valid(mk("tcp", "a\tb", 80, "", 80), NULL, 0, "invalid ParentIP: \"a\\tb\"");
	/* only identical strings conflict: tcp vs tcp4, "" vs 0.0.0.0, :: */
	expect_valid(mk("tcp4", "", 80, "", 80), ex, 3, NULL);
	expect_valid(mk("tcp6", "", 80, "", 80), ex, 3, NULL);
	expect_valid(mk("tcp", "0.0.0.0", 80, "", 80), ex, 3, NULL);
	expect_valid(mk("tcp", "::", 80, "", 80), ex, 3, NULL);
	expect_valid(mk("udp", "", 80, "", 80), ex, 3, NULL);
	expect_valid(mk("tcp", "", 80, "10.0.2.5", 8080), ex, 3, "conflict with ID 7");
	/* child IP and port play no part */
	expect_valid(mk("sctp", "::1", 5000, "", 1), ex, 3, "conflict with ID 9");
	expect_valid(mk("sctp", "::1", 5001, "10.0.2.100", 5000), ex, 3, NULL);
	expect_valid(mk("sctp", "::2", 5000, "", 5000), ex, 3, NULL);
	/* validity is checked before conflicts */
	expect_valid(mk("tcp", "", 80, "", 0), ex, 3, "invalid ChildPort: 0");
	/* NULL list with n == 0 */
	expect_valid(mk("udp6", "::", 53, "", 53), NULL, 0, NULL);
}

/* every accepted spec-3.3 example is also valid */
static void test_parse_then_validate(void **state)
{
	static const char *const in[] = {
		"127.0.0.1:8080:80/tcp", "127.0.0.1:8080:80/tcp4",
		"127.0.0.1:8080:10.0.2.100:80/tcp", "[::1]:8080:80/tcp",
		"[::1]:8080:[::2]:80/udp", ":8080:80/tcp", "0.0.0.0:8080:[::1]:80/tcp4",
		"[::]:8080:[::1]:80/tcp6",
	};

	(void)state;
	for (size_t i = 0; i < N(in); i++) {
		struct rk_port_spec s;
		struct rk_err err = { 0 };

		if (rk_port_spec_parse(in[i], &s, &err) < 0 ||
		    rk_port_spec_validate(&s, NULL, 0, &err) < 0)
			fail_msg("%s: %s", in[i], err.msg);
	}
}

/* dump() - compact JSON text of @j (stolen); caller frees */
static char *dump(json_t *j)
{
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void assert_spec_equal(const struct rk_port_spec *a, const struct rk_port_spec *b)
{
	assert_string_equal(a->proto, b->proto);
	assert_string_equal(a->parent_ip, b->parent_ip);
	assert_int_equal(a->parent_port, b->parent_port);
	assert_int_equal(a->child_port, b->child_port);
	assert_string_equal(a->child_ip, b->child_ip);
}

static void assert_spec_is(const struct rk_port_spec *a, struct rk_port_spec b)
{
	assert_spec_equal(a, &b);
}

static void test_json_encode(void **state)
{
	struct rk_port_status st = { 3, mk("tcp", "0.0.0.0", 8080, "", 80) };
	struct rk_port_spec empty = { 0 }, tmp;
	char *t;

	(void)state;
	t = dump(rk_port_status_to_json(&st));
	assert_string_equal(t, "{\"id\":3,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"0.0.0.0\",\"parentPort\":8080,\"childPort\":80}}");
	free(t);
	tmp = mk("udp6", "::1", 53, "::2", 5353);
	t = dump(rk_port_spec_to_json(&tmp));
	assert_string_equal(t, "{\"proto\":\"udp6\",\"parentIP\":\"::1\",\"parentPort\":53,\"childPort\":5353,\"childIP\":\"::2\"}");
	free(t);
	/* omitempty: nothing set, nothing emitted; the id is always there */
	t = dump(rk_port_spec_to_json(&empty));
	assert_string_equal(t, "{}");
	free(t);
	st.id = 0;
	st.spec = empty;
	t = dump(rk_port_status_to_json(&st));
	assert_string_equal(t, "{\"id\":0,\"spec\":{}}");
	free(t);
	tmp = mk("", "", 0, "10.0.2.100", -1);
	t = dump(rk_port_spec_to_json(&tmp));
	assert_string_equal(t, "{\"childPort\":-1,\"childIP\":\"10.0.2.100\"}");
	free(t);
}

/* parse -> JSON -> text -> JSON -> spec, and spec -> string -> parse */
static void test_json_roundtrip(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(ok_cases); i++) {
		struct rk_port_spec s, back;
		struct rk_port_status st = { .id = (int)i + 1 }, stback;
		struct rk_err err = { 0 };
		char *t, buf[256];
		json_t *j;

		assert_int_equal(rk_port_spec_parse(ok_cases[i].in, &s, &err), 0);
		t = dump(rk_port_spec_to_json(&s));
		j = json_loads(t, 0, NULL);
		assert_non_null(j);
		if (rk_port_spec_from_json(j, &back, &err) < 0)
			fail_msg("%s: %s", t, err.msg);
		json_decref(j);
		free(t);
		assert_spec_equal(&s, &back);

		st.spec = s;
		t = dump(rk_port_status_to_json(&st));
		j = json_loads(t, 0, NULL);
		assert_int_equal(rk_port_status_from_json(j, &stback, &err), 0);
		json_decref(j);
		free(t);
		assert_int_equal(stback.id, st.id);
		assert_spec_equal(&s, &stback.spec);

		rk_port_spec_str(&s, buf, sizeof(buf));
		if (rk_port_spec_parse(buf, &back, &err) < 0)
			fail_msg("%s -> %s: %s", ok_cases[i].in, buf, err.msg);
		assert_spec_equal(&s, &back);
	}
}

/* decode_spec() - rk_port_spec_from_json() on @text; returns its result */
static int decode_spec(const char *text, struct rk_port_spec *s, struct rk_err *err)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	int r;

	if (!j)
		fail_msg("%s: %s", text, jerr.text);
	r = rk_port_spec_from_json(j, s, err);
	json_decref(j);
	return r;
}

static int decode_status(const char *text, struct rk_port_status *st, struct rk_err *err)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
	int r;

	assert_non_null(j);
	r = rk_port_status_from_json(j, st, err);
	json_decref(j);
	return r;
}

static void test_json_decode(void **state)
{
	static const struct bad_case bad[] = {
		{ "{\"proto\":\"tcp\",\"parentPort\":\"80\"}",
		  "json: cannot unmarshal string into Go struct field Spec.parentPort of type int" },
		{ "{\"childPort\":1.5}",
		  "json: cannot unmarshal number 1.5 into Go struct field Spec.childPort of type int" },
		{ "{\"parentPort\":0.1}",
		  "json: cannot unmarshal number 0.1 into Go struct field Spec.parentPort of type int" },
		{ "{\"parentPort\":80.25}",
		  "json: cannot unmarshal number 80.25 into Go struct field Spec.parentPort of type int" },
		{ "{\"parentPort\":3000000000}",
		  "json: cannot unmarshal number 3000000000 into Go struct field Spec.parentPort of type int" },
		{ "{\"childport\":true}",
		  "json: cannot unmarshal bool into Go struct field Spec.childPort of type int" },
		{ "{\"childPort\":[80]}",
		  "json: cannot unmarshal array into Go struct field Spec.childPort of type int" },
		{ "{\"proto\":6}",
		  "json: cannot unmarshal number into Go struct field Spec.proto of type string" },
		{ "{\"parentIP\":false}",
		  "json: cannot unmarshal bool into Go struct field Spec.parentIP of type string" },
		{ "{\"CHILDIP\":{}}",
		  "json: cannot unmarshal object into Go struct field Spec.childIP of type string" },
		{ "[1]", "json: cannot unmarshal array into Go value of type port.Spec" },
		{ "\"tcp\"", "json: cannot unmarshal string into Go value of type port.Spec" },
		{ "42", "json: cannot unmarshal number into Go value of type port.Spec" },
		/* strings too long to store: what validation says of them */
		{ "{\"proto\":\"tcpxxxxxx\"}", "unknown proto: \"tcpxxxxxx\"" },
		{ "{\"proto\":\"tcp\\u0000\"}", "unknown proto: \"tcp\\x00\"" },
		{ "{\"proto\":\"tcp\",\"childIP\":\"1.2.3.4\\u0000x\"}", "invalid ChildIP: \"1.2.3.4\\x00x\"" },
		{ "{\"proto\":\"x\",\"childIP\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}",
		  "unknown proto: \"x\"" },
		/* a type error wins over an overlong string, as in Go */
		{ "{\"proto\":\"tcpxxxxxx\",\"parentPort\":\"1\"}",
		  "json: cannot unmarshal string into Go struct field Spec.parentPort of type int" },
	};
	struct rk_port_spec s;
	struct rk_err err = { 0 };
	char longip[200], want[256];
	json_t *j;

	(void)state;
	/* case-insensitive keys, unknown keys ignored, null leaves a field empty */
	assert_int_equal(decode_spec("{\"PROTO\":\"tcp\",\"parentip\":\"127.0.0.1\",\"ParentPort\":8080,"
				     "\"childPort\":80,\"x\":[1],\"childIP\":null,\"id\":5}", &s, &err), 0);
	assert_spec_is(&s, mk("tcp", "127.0.0.1", 8080, "", 80));
	assert_int_equal(decode_spec("{\"pRoTo\":\"udp6\",\"PARENTIP\":\"::1\",\"PARENTPORT\":53,"
				     "\"CHILDPORT\":5353,\"ChildIp\":\"::2\"}", &s, &err), 0);
	assert_spec_is(&s, mk("udp6", "::1", 53, "::2", 5353));
	/* the last duplicate wins; null after a value keeps the value (exact
	 * duplicates are merged by jansson's parser, so differ in case here) */
	assert_int_equal(decode_spec("{\"proto\":\"tcp\",\"PROTO\":\"udp\",\"parentPort\":1,"
				     "\"PARENTPORT\":null}", &s, &err), 0);
	assert_string_equal(s.proto, "udp");
	assert_int_equal(s.parent_port, 1);
	/* a short value after an overlong one replaces it */
	assert_int_equal(decode_spec("{\"proto\":\"tcpxxxxxxxxx\",\"Proto\":\"tcp\"}", &s, &err), 0);
	assert_string_equal(s.proto, "tcp");
	/* no validation here; integral numbers of any sign are fine */
	assert_int_equal(decode_spec("{\"proto\":\"TCP\",\"parentIP\":\"bogus\",\"parentPort\":-5,"
				     "\"childPort\":2147483647}", &s, &err), 0);
	assert_spec_is(&s, mk("TCP", "bogus", -5, "", INT_MAX));
	/* empty object, JSON null (Go: no-op), nothing at all */
	assert_int_equal(decode_spec("{}", &s, &err), 0);
	assert_spec_equal(&s, &(struct rk_port_spec){ 0 });
	assert_int_equal(decode_spec("null", &s, &err), 0);
	assert_spec_equal(&s, &(struct rk_port_spec){ 0 });
	assert_int_equal(rk_port_spec_from_json(NULL, &s, &err), -1);
	assert_string_equal(err.msg, "unexpected end of JSON input");

	for (size_t i = 0; i < N(bad); i++) {
		if (decode_spec(bad[i].in, &s, &err) == 0)
			fail_msg("accepted %s", bad[i].in);
		if (strcmp(err.msg, bad[i].msg))
			fail_msg("%s:\n got  %s\n want %s", bad[i].in, err.msg, bad[i].msg);
	}

	/* the longest valid IPv6 text fits; anything longer than the buffer
	 * cannot be an address */
	j = json_pack("{s:s}", "parentIP", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	assert_int_equal(rk_port_spec_from_json(j, &s, &err), 0);
	json_decref(j);
	assert_string_equal(s.parent_ip, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	memset(longip, 'a', 64);
	longip[64] = '\0';
	j = json_pack("{s:s, s:s}", "proto", "tcp", "parentIP", longip);
	assert_int_equal(rk_port_spec_from_json(j, &s, &err), -1);
	json_decref(j);
	snprintf(want, sizeof(want), "invalid ParentIP: \"%s\"", longip);
	assert_string_equal(err.msg, want);
	longip[63] = '\0';	/* 63 bytes fit; validation then rejects it */
	j = json_pack("{s:s, s:s}", "proto", "tcp", "parentIP", longip);
	assert_int_equal(rk_port_spec_from_json(j, &s, &err), 0);
	json_decref(j);
	assert_string_equal(s.parent_ip, longip);
	assert_int_equal(rk_port_spec_validate(&s, NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, "invalid ParentIP: \"aaa"));
}

static void test_json_status(void **state)
{
	static const struct bad_case bad[] = {
		{ "{\"id\":\"1\"}", "json: cannot unmarshal string into Go struct field Status.id of type int" },
		{ "{\"id\":1.5}", "json: cannot unmarshal number 1.5 into Go struct field Status.id of type int" },
		{ "{\"id\":1,\"spec\":5}",
		  "json: cannot unmarshal number into Go struct field Status.spec of type port.Spec" },
		{ "{\"id\":1,\"spec\":[]}",
		  "json: cannot unmarshal array into Go struct field Status.spec of type port.Spec" },
		{ "{\"id\":1,\"spec\":{\"parentPort\":\"x\"}}",
		  "json: cannot unmarshal string into Go struct field Spec.spec.parentPort of type int" },
		{ "{\"spec\":{\"proto\":true}}",
		  "json: cannot unmarshal bool into Go struct field Spec.spec.proto of type string" },
		{ "{\"spec\":{\"proto\":\"tcp\",\"childIP\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}}",
		  "invalid ChildIP: \"0123456789012345678901234567890123456789012345678901234567890123456789\"" },
		{ "[]", "json: cannot unmarshal array into Go value of type port.Status" },
		{ "true", "json: cannot unmarshal bool into Go value of type port.Status" },
	};
	struct rk_port_status st;
	struct rk_err err = { 0 };

	(void)state;
	assert_int_equal(decode_status("{\"id\":4,\"spec\":{\"proto\":\"udp\",\"parentPort\":53,\"childPort\":53}}",
				       &st, &err), 0);
	assert_int_equal(st.id, 4);
	assert_spec_is(&st.spec, mk("udp", "", 53, "", 53));
	assert_int_equal(decode_status("{\"ID\":6,\"Spec\":{\"PROTO\":\"tcp6\",\"parentIp\":\"::\"},\"extra\":1}",
				       &st, &err), 0);
	assert_int_equal(st.id, 6);
	assert_spec_is(&st.spec, mk("tcp6", "::", 0, "", 0));
	assert_int_equal(decode_status("{\"id\":7,\"spec\":null}", &st, &err), 0);
	assert_int_equal(st.id, 7);
	assert_spec_equal(&st.spec, &(struct rk_port_spec){ 0 });
	assert_int_equal(decode_status("null", &st, &err), 0);
	assert_int_equal(st.id, 0);
	assert_int_equal(rk_port_status_from_json(NULL, &st, &err), -1);
	assert_string_equal(err.msg, "unexpected end of JSON input");
	for (size_t i = 0; i < N(bad); i++) {
		if (decode_status(bad[i].in, &st, &err) == 0)
			fail_msg("accepted %s", bad[i].in);
		if (strcmp(err.msg, bad[i].msg))
			fail_msg("%s:\n got  %s\n want %s", bad[i].in, err.msg, bad[i].msg);
	}
}

static void test_str(void **state)
{
	struct rk_port_spec s;
	char buf[128], small[8];

	(void)state;
	s = mk("udp", "::1", 8080, "::2", 80);
	assert_string_equal(rk_port_spec_str(&s, buf, sizeof(buf)), "[::1]:8080:[::2]:80/udp");
	s = mk("tcp", "", 8080, "", 80);
	assert_string_equal(rk_port_spec_str(&s, buf, sizeof(buf)), ":8080:80/tcp");
	s = mk("tcp", "127.0.0.1", 8080, "10.0.2.100", 80);
	assert_string_equal(rk_port_spec_str(&s, buf, sizeof(buf)), "127.0.0.1:8080:10.0.2.100:80/tcp");
	s = mk("tcp4", "0.0.0.0", 8080, "::1", 80);
	assert_string_equal(rk_port_spec_str(&s, buf, sizeof(buf)), "0.0.0.0:8080:[::1]:80/tcp4");
	s = mk("tcp6", "::", 8080, "", 80);
	assert_string_equal(rk_port_spec_str(&s, buf, sizeof(buf)), "[::]:8080:80/tcp6");
	s = mk("tcp", "", 8080, "127.0.0.1", 80);
	assert_string_equal(rk_port_spec_str(&s, buf, sizeof(buf)), ":8080:127.0.0.1:80/tcp");
	/* cut to fit; a zero size leaves the buffer alone */
	assert_string_equal(rk_port_spec_str(&s, small, sizeof(small)), ":8080:1");
	small[0] = 'Z';
	assert_ptr_equal(rk_port_spec_str(&s, small, 0), small);
	assert_int_equal(small[0], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_ip_proto),
		cmocka_unit_test(test_validate_upstream),
		cmocka_unit_test(test_validate_more),
		cmocka_unit_test(test_parse_then_validate),
		cmocka_unit_test(test_json_encode),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_decode),
		cmocka_unit_test(test_json_status),
		cmocka_unit_test(test_str),
	};

	return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}
