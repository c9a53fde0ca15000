// SPDX-License-Identifier: Apache-2.0
/* test_opts.c - rootlesskit command-line parsing (src/cmd/opts.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "cmd/opts.h"

#define ARGV(...) ((char *[]){ "rootlesskit", __VA_ARGS__, NULL })

/* parse() - run the parser on a NULL-terminated argv; returns its result */
static int parse(struct rk_opts *o, char **argv, struct rk_err *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return rk_opts_parse(o, argc, argv, err);
}

static void test_defaults(void **state)
{
	struct rk_opts o;
	struct rk_err err;

	(void)state;
	assert_int_equal(parse(&o, ARGV("sh"), &err), 0);
	assert_string_equal(o.net, "host");
	assert_string_equal(o.port_driver, "none");
	assert_int_equal(o.mtu, 0);
	assert_string_equal(o.propagation, "rprivate");
	assert_string_equal(o.reaper, "auto");
	assert_string_equal(o.subid_source, "auto");
	assert_true(o.source_ip_transparent);
	assert_string_equal(o.copy_up_mode, "tmpfs+symlink");
	assert_string_equal(o.slirp4netns_sandbox, "false");
	assert_false(o.pidns);
	assert_int_equal(o.ntarget, 1);
	assert_string_equal(o.target[0], "sh");
	rk_opts_free(&o);
}

static void test_forms(void **state)
{
	struct rk_opts o;
	struct rk_err err;

	(void)state;
	assert_int_equal(parse(&o, ARGV("--net", "slirp4netns", "--mtu=1500", "-state-dir=/x", "--pidns", "--utsns=true", "--ipcns=false", "--source-ip-transparent=0", "cmd", "arg"), &err), 0);
	assert_string_equal(o.net, "slirp4netns");
	assert_int_equal(o.mtu, 1500);
	assert_string_equal(o.state_dir, "/x");
	assert_true(o.pidns);
	assert_true(o.utsns);
	assert_false(o.ipcns);
	assert_false(o.source_ip_transparent);
	assert_int_equal(o.ntarget, 2);
	assert_string_equal(o.target[1], "arg");
	rk_opts_free(&o);
	/* a word after a boolean is not its value: it starts the command */
	assert_int_equal(parse(&o, ARGV("--pidns", "true", "x"), &err), 0);
	assert_true(o.pidns);
	assert_string_equal(o.target[0], "true");
	rk_opts_free(&o);
	/* options end at the first positional word, and at -- */
	assert_int_equal(parse(&o, ARGV("sh", "--net=x"), &err), 0);
	assert_string_equal(o.net, "host");
	assert_string_equal(o.target[1], "--net=x");
	rk_opts_free(&o);
	assert_int_equal(parse(&o, ARGV("--", "--net=x"), &err), 0);
	assert_string_equal(o.target[0], "--net=x");
	rk_opts_free(&o);
	assert_int_equal(parse(&o, ARGV("-h"), &err), 0);
	assert_true(o.help);
	assert_int_equal(o.ntarget, 0);
	rk_opts_free(&o);
	assert_int_equal(parse(&o, ARGV("--version"), &err), 0);
	assert_true(o.version);
	rk_opts_free(&o);
}

static void test_slices(void **state)
{
	struct rk_opts o;
	struct rk_err err;

	(void)state;
	assert_int_equal(parse(&o, ARGV("-p", "a,b", "--publish= c , d", "--copy-up=/etc,/run", "--copy-up", "/var", "sh"), &err), 0);
	assert_int_equal(o.publish.n, 4);
	assert_string_equal(o.publish.v[0], "a");
	assert_string_equal(o.publish.v[1], "b");
	assert_string_equal(o.publish.v[2], "c");
	assert_string_equal(o.publish.v[3], "d");
	assert_int_equal(o.copy_up.n, 3);
	assert_string_equal(o.copy_up.v[2], "/var");
	rk_opts_free(&o);
}

static void test_errors(void **state)
{
	struct rk_opts o;
	struct rk_err err;

	(void)state;
	assert_int_equal(parse(&o, ARGV("--bogus", "sh"), &err), -1);
	assert_string_equal(err.msg, "flag provided but not defined: -bogus");
	rk_opts_free(&o);
	assert_int_equal(parse(&o, ARGV("--bogus=1"), &err), -1);
	assert_string_equal(err.msg, "flag provided but not defined: -bogus");
	rk_opts_free(&o);
	assert_int_equal(parse(&o, ARGV("--net"), &err), -1);
	assert_string_equal(err.msg, "flag needs an argument: -net");
	rk_opts_free(&o);
	assert_int_equal(parse(&o, ARGV("--mtu=abc", "sh"), &err), -1);
	assert_string_equal(err.msg, "invalid value \"abc\" for flag -mtu: parse error");
	rk_opts_free(&o);
	assert_int_equal(parse(&o, ARGV("--pidns=maybe", "sh"), &err), -1);
	assert_non_null(strstr(err.msg, "maybe"));
	rk_opts_free(&o);
	assert_int_equal(parse(&o, ARGV("---net=host", "sh"), &err), -1);
	rk_opts_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("opts", tests, NULL, NULL);
}
