// SPDX-License-Identifier: Apache-2.0
/* test_spec.c - port spec strings, validation, conflicts, JSON (src/port/spec.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "port/spec.h"

struct ok_case {
	const char *in, *proto, *pip;
	int pport;
	const char *cip;
	int cport;
};

/* upstream's accepted table (portutil_test.go) plus derived cases */
static const struct ok_case ok_cases[] = {
	{ "127.0.0.1:8080:80/tcp", "tcp", "127.0.0.1", 8080, "", 80 },
	{ "127.0.0.1:8080:80/tcp4", "tcp4", "127.0.0.1", 8080, "", 80 },
	{ "127.0.0.1:8080:10.0.2.100:80/tcp", "tcp", "127.0.0.1", 8080, "10.0.2.100", 80 },
	{ "[::1]:8080:80/tcp", "tcp", "::1", 8080, "", 80 },
	{ "[::1]:8080:[::2]:80/udp", "udp", "::1", 8080, "::2", 80 },
	{ ":8080:80/tcp", "tcp", "", 8080, "", 80 },
	{ "0.0.0.0:8080:[::1]:80/tcp4", "tcp4", "0.0.0.0", 8080, "::1", 80 },
	{ "[::]:8080:[::1]:80/tcp6", "tcp6", "::", 8080, "::1", 80 },
	{ "[::]:8080:80/tcp6", "tcp6", "::", 8080, "", 80 },
	{ "[::]:8080:[127.0.0.1]:80/tcp", "tcp", "::", 8080, "127.0.0.1", 80 },
	{ "0.0.0.0:8080:80/udp6", "udp6", "0.0.0.0", 8080, "", 80 },
	{ "0.0.0.0:5201:5201/sctp", "sctp", "0.0.0.0", 5201, "", 5201 },
	{ " 127.0.0.1 : 8080 :80/tcp", "tcp", "127.0.0.1", 8080, "", 80 },
	{ "[ ::1 ]:8080:80/tcp", "tcp", "::1", 8080, "", 80 },
	{ "[::ffff:127.0.0.1]:8080:80/tcp", "tcp", "::ffff:127.0.0.1", 8080, "", 80 },
	/* parsing does not check ranges; validation does */
	{ "127.0.0.1:0:70000/tcp", "tcp", "127.0.0.1", 0, "", 70000 },
	{ "127.0.0.1:+8080:-1/udp", "udp", "127.0.0.1", 8080, "", -1 },
};

struct bad_case {
	const char *in, *msg;
};

static const struct bad_case bad_cases[] = {
	/* upstream's rejected strings */
	{ "bad", "missing proto in PortSpec string: \"bad\"" },
	{ "8080", "missing proto in PortSpec string: \"8080\"" },
	{ "8080:80/tcp", "unexpected ParentIP in PortSpec string: \"8080:80/tcp\"" },
	{ "127.0.0.1:8080:80/tcp,127.0.0.1:4040:40/tcp",
	  "unexpected PortSpec string: \"127.0.0.1:8080:80/tcp,127.0.0.1:4040:40/tcp\"" },
	{ "127.0.0.1:8080:80/TCP", "invalid PortSpec string: \"127.0.0.1:8080:80/TCP\": unknown proto: \"TCP\"" },
	{ "127.0.0.1:8080:80/", "invalid PortSpec string: \"127.0.0.1:8080:80/\": unknown proto: \"\"" },
	{ "80/tcp", "unexpected PortSpec string: \"80/tcp\"" },
	/* fixed labels: the wrong field is named */
	{ "127.0.0.1:x:80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1:x:80/tcp\": strconv.Atoi: parsing \"x\": invalid syntax" },
	{ "127.0.0.1:8080:y/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:y/tcp\": strconv.Atoi: parsing \"y\": invalid syntax" },
	{ "127.0.0.1:8080:10.0.2.300:80/tcp",
	  "unexpected ChildIP in PortSpec string: \"127.0.0.1:8080:10.0.2.300:80/tcp\"" },
	{ "256.0.0.1:8080:80/tcp", "unexpected ParentIP in PortSpec string: \"256.0.0.1:8080:80/tcp\"" },
	{ "127.0.0.01:8080:80/tcp", "unexpected ParentIP in PortSpec string: \"127.0.0.01:8080:80/tcp\"" },
	{ "[fe80::1%eth0]:8080:80/tcp", "unexpected ParentIP in PortSpec string: \"[fe80::1%eth0]:8080:80/tcp\"" },
	/* empty parts */
	{ "127.0.0.1::80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1::80/tcp\": strconv.Atoi: parsing \"\": invalid syntax" },
	{ "127.0.0.1:8080:/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:/tcp\": strconv.Atoi: parsing \"\": invalid syntax" },
	{ "/tcp", "unexpected PortSpec string: \"/tcp\"" },
	{ "", "missing proto in PortSpec string: \"\"" },
	/* extra colons, trailing garbage, unbracketed IPv6, huge numbers */
	{ "127.0.0.1:8080:10.0.2.100:99:80/tcp",
	  "unexpected PortSpec string: \"127.0.0.1:8080:10.0.2.100:99:80/tcp\"" },
	{ "::1:8080:80/tcp", "unexpected PortSpec string: \"::1:8080:80/tcp\"" },
	{ "[::1]x:8080:80/tcp", "unexpected PortSpec string: \"[::1]x:8080:80/tcp\"" },
	{ "[::1:8080:80/tcp", "unexpected PortSpec string: \"[::1:8080:80/tcp\"" },
	{ "1[::1]:8080:80/tcp", "unexpected PortSpec string: \"1[::1]:8080:80/tcp\"" },
	{ "127.0.0.1:8080:80/tcp ", "invalid PortSpec string: \"127.0.0.1:8080:80/tcp \": unknown proto: \"tcp \"" },
	{ "127.0.0.1:8080:80x/tcp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:80x/tcp\": strconv.Atoi: parsing \"80x\": invalid syntax" },
	{ "127.0.0.1:99999999999999999999:80/tcp",
	  "unexpected ParentPort in PortSpec string: \"127.0.0.1:99999999999999999999:80/tcp\": strconv.Atoi: parsing \"99999999999999999999\": value out of range" },
	{ "127.0.0.1:8080:99999999999/udp",
	  "unexpected ChildPort in PortSpec string: \"127.0.0.1:8080:99999999999/udp\": strconv.Atoi: parsing \"99999999999\": value out of range" },
};

static void test_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
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
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct rk_port_spec s;
		struct rk_err err = { 0 };

		if (rk_port_spec_parse(bad_cases[i].in, &s, &err) == 0)
			fail_msg("accepted: \"%s\"", bad_cases[i].in);
		assert_string_equal(err.msg, bad_cases[i].msg);
	}
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
	assert_int_equal(r, -1);
	assert_string_equal(err.msg, want);
}

static void test_validate(void **state)
{
	static const int good_ports[] = { 20, 500, 1337, 65000, 1, 65535 };
	static const int bad_ports[] = { -200, 0, 1000000, 65536 };
	const struct rk_port_status ex[] = {
		{ 1, mk("tcp", "", 80, "", 80) },
		{ 2, mk("tcp", "10.10.10.10", 8080, "", 8080) },
	};
	char want[64];

	(void)state;
	expect_valid(mk("", "", 80, "", 80), NULL, 0, "unknown proto: \"\"");
	expect_valid(mk("NaN", "", 80, "", 80), NULL, 0, "unknown proto: \"NaN\"");
	expect_valid(mk("TCP", "", 80, "", 80), NULL, 0, "unknown proto: \"TCP\"");
	expect_valid(mk("udp", "", 80, "", 80), NULL, 0, NULL);
	expect_valid(mk("tcp", "", 80, "", 80), NULL, 0, NULL);
	expect_valid(mk("sctp", "", 80, "", 80), NULL, 0, NULL);
	expect_valid(mk("tcp", "1.2.3", 80, "", 80), NULL, 0, "invalid ParentIP: \"1.2.3\"");
	expect_valid(mk("tcp", "", 80, "::g", 80), NULL, 0, "invalid ChildIP: \"::g\"");
	expect_valid(mk("tcp6", "::1", 80, "::2", 80), NULL, 0, NULL);
	for (size_t i = 0; i < sizeof(good_ports) / sizeof(good_ports[0]); i++) {
		expect_valid(mk("tcp", "", good_ports[i], "", 80), NULL, 0, NULL);
		expect_valid(mk("tcp", "", 80, "", good_ports[i]), NULL, 0, NULL);
	}
	for (size_t i = 0; i < sizeof(bad_ports) / sizeof(bad_ports[0]); i++) {
		snprintf(want, sizeof(want), "invalid ParentPort: %d", bad_ports[i]);
		expect_valid(mk("tcp", "", bad_ports[i], "", 80), NULL, 0, want);
		snprintf(want, sizeof(want), "invalid ChildPort: %d", bad_ports[i]);
		expect_valid(mk("tcp", "", 80, "", bad_ports[i]), NULL, 0, want);
	}
	/* upstream's conflict cases */
	expect_valid(mk("udp", "", 80, "", 80), ex, 2, NULL);
	expect_valid(mk("tcp", "10.10.10.11", 8080, "", 8080), ex, 2, NULL);
	expect_valid(mk("tcp", "10.10.10.10", 8081, "", 8080), ex, 2, NULL);
	expect_valid(mk("tcp", "", 80, "", 90), ex, 2, "conflict with ID 1");
	expect_valid(mk("tcp", "10.10.10.10", 8080, "", 8080), ex, 2, "conflict with ID 2");
	/* only identical strings conflict: tcp vs tcp4, "" vs 0.0.0.0 */
	expect_valid(mk("tcp4", "", 80, "", 80), ex, 2, NULL);
	expect_valid(mk("tcp", "0.0.0.0", 80, "", 80), ex, 2, NULL);
}

/* dump() - compact JSON text of @j (stolen) */
static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	return s;
}

static void test_json(void **state)
{
	struct rk_port_status st = { 3, mk("tcp", "0.0.0.0", 8080, "", 80) };
	struct rk_port_spec s;
	struct rk_err err = { 0 };
	char *t, buf[128];
	json_t *j;

	(void)state;
	t = dump(rk_port_status_to_json(&st));
	assert_string_equal(t, "{\"id\":3,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"0.0.0.0\",\"parentPort\":8080,\"childPort\":80}}");
	free(t);
	st.spec = mk("udp6", "::1", 53, "::2", 5353);
	t = dump(rk_port_spec_to_json(&st.spec));
	assert_string_equal(t, "{\"proto\":\"udp6\",\"parentIP\":\"::1\",\"parentPort\":53,\"childPort\":5353,\"childIP\":\"::2\"}");
	free(t);

	/* Go-style decoding: case-insensitive keys, unknown keys ignored */
	j = json_loads("{\"PROTO\":\"tcp\",\"parentip\":\"127.0.0.1\",\"ParentPort\":8080,\"childPort\":80,\"x\":[1],\"childIP\":null}", 0, NULL);
	assert_int_equal(rk_port_spec_from_json(j, &s, &err), 0);
	json_decref(j);
	assert_string_equal(s.proto, "tcp");
	assert_string_equal(s.parent_ip, "127.0.0.1");
	assert_int_equal(s.parent_port, 8080);
	assert_int_equal(s.child_port, 80);
	assert_string_equal(s.child_ip, "");
	assert_string_equal(rk_port_spec_str(&s, buf, sizeof(buf)), "127.0.0.1:8080:80/tcp");
	assert_string_equal(rk_port_spec_str(&st.spec, buf, sizeof(buf)), "[::1]:53:[::2]:5353/udp6");

	j = json_loads("{\"proto\":\"tcp\",\"parentPort\":\"80\"}", 0, NULL);
	assert_int_equal(rk_port_spec_from_json(j, &s, &err), -1);
	json_decref(j);
	assert_string_equal(err.msg, "json: cannot unmarshal string into Go struct field Spec.parentPort of type int");
	j = json_loads("{\"childPort\":1.5}", 0, NULL);
	assert_int_equal(rk_port_spec_from_json(j, &s, &err), -1);
	json_decref(j);
	assert_string_equal(err.msg, "json: cannot unmarshal number 1.5 into Go struct field Spec.childPort of type int");
	j = json_loads("{\"proto\":6}", 0, NULL);
	assert_int_equal(rk_port_spec_from_json(j, &s, &err), -1);
	json_decref(j);
	assert_string_equal(err.msg, "json: cannot unmarshal number into Go struct field Spec.proto of type string");
	j = json_loads("[1]", 0, NULL);
	assert_int_equal(rk_port_spec_from_json(j, &s, &err), -1);
	json_decref(j);
	assert_string_equal(err.msg, "json: cannot unmarshal array into Go value of type port.Spec");
	memset(buf, 'a', 100);
	buf[100] = '\0';
	j = json_pack("{s:s}", "parentIP", buf);
	assert_int_equal(rk_port_spec_from_json(j, &s, &err), -1);
	json_decref(j);

	j = json_loads("{\"id\":4,\"spec\":{\"proto\":\"udp\",\"parentPort\":53,\"childPort\":53}}", 0, NULL);
	assert_int_equal(rk_port_status_from_json(j, &st, &err), 0);
	json_decref(j);
	assert_int_equal(st.id, 4);
	assert_string_equal(st.spec.proto, "udp");
	assert_int_equal(st.spec.child_port, 53);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}
