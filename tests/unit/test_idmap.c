// SPDX-License-Identifier: Apache-2.0
/* test_idmap.c - sub-ID parsing and newuidmap arguments (src/parent/idmap.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "parent/idmap.h"

static void test_args_upstream_example(void **state)
{
	struct rk_subid r[] = { { 100000, 65536 }, { 200000, 65536 } };
	char buf[256];

	(void)state;
	assert_int_equal(rk_idmap_args(1001, r, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0 1001 1 1 100000 65536 65537 200000 65536");
	assert_int_equal(rk_idmap_args(1001, r, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0 1001 1");
	assert_int_equal(rk_idmap_args(1001, r, 2, buf, 12), -1);
}

static void test_static(void **state)
{
	const char *f = "# comment\n\nalice:100000:65536\nbob:165536:65536\n"
			"1000:200000:1000\nalice:300000:10\n";
	struct rk_subid r[8];
	struct rk_err err;

	(void)state;
	assert_int_equal(rk_subid_parse_static(f, "subuid", 1000, "alice", r, 8, &err), 3);
	assert_int_equal(r[0].start, 100000);
	assert_int_equal(r[1].start, 200000);
	assert_int_equal(r[1].count, 1000);
	assert_int_equal(r[2].start, 300000);
	assert_int_equal(rk_subid_parse_static(f, "subuid", 4242, "carol", r, 8, &err), 0);
	assert_int_equal(rk_subid_parse_static("alice:1\n", "subuid", 1, "alice", r, 8, &err), -1);
	assert_string_equal(err.msg, "Cannot parse subuid/gid information: Format not correct for subuid file");
	assert_int_equal(rk_subid_parse_static("alice:1:2:3\n", "subgid", 1, "alice", r, 8, &err), -1);
	assert_int_equal(rk_subid_parse_static("alice:x:2\n", "subgid", 1, "alice", r, 8, &err), -1);
}

static void test_getsubids(void **state)
{
	struct rk_subid r[8];
	int n;

	(void)state;
	n = rk_subid_parse_getsubids("# foo\n0: foo 100000 655360\n", r, 0, 8);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].start, 100000);
	assert_int_equal(r[0].count, 655360);
	/* the uid query repeats the name query's range: de-duplicated */
	n = rk_subid_parse_getsubids("0: 1000 100000 655360\n1: 1000 900000 5\n", r, n, 8);
	assert_int_equal(n, 2);
	assert_int_equal(r[1].start, 900000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_upstream_example),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_getsubids),
	};

	return cmocka_run_group_tests_name("idmap", tests, NULL, NULL);
}
