// SPDX-License-Identifier: Apache-2.0
/* test_lib.c - CIDR arithmetic, message framing, Go-style texts (src/lib/) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child/mount.h"
#include "lib/cidr.h"
#include "lib/msg.h"
#include "lib/signame.h"
#include "lib/util.h"

static void test_cidr(void **state)
{
	static const char *const bad[] = { "bogus", "10.0.2.0", "10.0.2.0/33",
					   "10.0.2.0/-1", "10.0.2.0/", "10.0.2/24" };
	struct rk_cidr c;
	struct rk_err err;
	char buf[32], want[64];
	uint32_t ip;
	size_t i;

	(void)state;
	assert_int_equal(rk_cidr_parse("10.0.2.0/24", &c, &err), 0);
	assert_int_equal(c.prefix, 24);
	assert_string_equal(rk_ip4_str(c.net, buf), "10.0.2.0");
	assert_int_equal(rk_cidr_parse("10.0.2.100/24", &c, &err), -1);
	assert_string_equal(err.msg, "cidr must be like 10.0.2.0/24, not like 10.0.2.100/24");
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(rk_cidr_parse(bad[i], &c, &err), -1);
		snprintf(want, sizeof(want), "invalid CIDR address: %s", bad[i]);
		assert_string_equal(err.msg, want);
	}
	assert_int_equal(rk_cidr_parse("fd00::/64", &c, &err), -1);
	assert_non_null(strstr(err.msg, "expected IPv4 address"));
	/* upstream's iputils tests */
	assert_int_equal(rk_ip4_add(0x0a000200, 100, &ip, &err), 0);
	assert_string_equal(rk_ip4_str(ip, buf), "10.0.2.100");
	assert_int_equal(rk_ip4_add(0xffffff64, 155, &ip, &err), 0);
	assert_string_equal(rk_ip4_str(ip, buf), "255.255.255.255");
	assert_int_equal(rk_ip4_add(0xffffff64, 156, &ip, &err), -1);
	assert_string_equal(err.msg, "255.255.255.100 + 156 overflows");
}

static void test_frame_roundtrip(void **state)
{
	static char big[RK_MSG_MAX], got[RK_MSG_MAX];
	unsigned char hdr[4];
	struct rk_err err;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(big, 'x', sizeof(big));
	/* a 64 KiB frame does not fit a socket buffer at once: write from a
	 * child process while reading */
	if (fork() == 0) {
		rk_frame_write(sv[0], "a", 1, &err);
		rk_frame_write(sv[0], big, sizeof(big), &err);
		_exit(0);
	}
	assert_int_equal(rk_frame_read(sv[1], got, sizeof(got), &err), 1);
	assert_int_equal(got[0], 'a');
	assert_int_equal(rk_frame_read(sv[1], got, sizeof(got), &err), RK_MSG_MAX);
	assert_memory_equal(got, big, sizeof(big));
	/* little-endian header */
	assert_int_equal(rk_frame_write(sv[0], "hello", 5, &err), 0);
	assert_int_equal(read(sv[1], hdr, 4), 4);
	assert_int_equal(hdr[0], 5);
	assert_int_equal(hdr[1] | hdr[2] | hdr[3], 0);
	assert_int_equal(read(sv[1], got, 5), 5);
	/* bad lengths */
	assert_int_equal(rk_frame_write(sv[0], big, 0, &err), -1);
	assert_int_equal(rk_frame_write(sv[0], big, RK_MSG_MAX + 1, &err), -1);
	assert_string_equal(err.msg, "bad message length: 65537 (max: 65536)");
	hdr[0] = 0x70; hdr[1] = 0x11; hdr[2] = 0x01; hdr[3] = 0;	/* 70000 */
	assert_int_equal(write(sv[0], hdr, 4), 4);
	assert_int_equal(rk_frame_read(sv[1], got, sizeof(got), &err), -1);
	assert_string_equal(err.msg, "bad message length: 70000 (max: 65536)");
	/* truncated body, then clean EOF */
	hdr[0] = 10; hdr[1] = hdr[2] = hdr[3] = 0;
	assert_int_equal(write(sv[0], hdr, 4), 4);
	assert_int_equal(write(sv[0], "abc", 3), 3);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(rk_frame_read(sv[1], got, sizeof(got), &err), -1);
	assert_string_equal(err.msg, "read 3 bytes, expected 10 bytes");
	assert_int_equal(rk_frame_read(sv[1], got, sizeof(got), &err), 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_msg_json(void **state)
{
	struct rk_err err;
	json_t *m;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	m = json_pack("{s:s, s:i}", "Name", "ParentHello", "X", 7);
	assert_int_equal(rk_msg_send(sv[0], m, &err), 0);
	assert_int_equal(rk_msg_send(sv[0], m, &err), 0);
	json_decref(m);
	m = rk_msg_recv(sv[1], "ParentHello", &err);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "X")), 7);
	json_decref(m);
	assert_null(rk_msg_recv(sv[1], "ChildHello", &err));
	assert_string_equal(err.msg, "expected \"ChildHello\", got {\"Name\":\"ParentHello\",\"X\":7}");
	close(sv[0]);
	assert_null(rk_msg_recv(sv[1], "ChildHello", &err));
	assert_string_equal(err.msg, "expected \"ChildHello\", got EOF");
	close(sv[1]);
}

static void test_go_texts(void **state)
{
	char buf[64];
	struct rk_err err;

	(void)state;
	assert_string_equal(rk_signame(SIGUSR1, buf, sizeof(buf)), "user defined signal 1");
	assert_string_equal(rk_signame(SIGTERM, buf, sizeof(buf)), "terminated");
	assert_string_equal(rk_signame(34, buf, sizeof(buf)), "signal 34");
	assert_string_equal(rk_wait_status_str(42 << 8, buf, sizeof(buf)), "exit status 42");
	assert_string_equal(rk_wait_status_str(SIGUSR1, buf, sizeof(buf)), "signal: user defined signal 1");
	assert_string_equal(rk_wait_status_str(SIGSEGV | 0x80, buf, sizeof(buf)), "signal: segmentation fault (core dumped)");
	assert_int_equal(rk_wait_status_exit_code(42 << 8), 42);
	assert_int_equal(rk_wait_status_exit_code(SIGKILL), 255);
	rk_err_errno(&err, ENOENT, "open %s", "/x");
	assert_string_equal(err.msg, "open /x: no such file or directory");
	rk_err_wrap(&err, "setting up %d", 1);
	assert_string_equal(err.msg, "setting up 1: open /x: no such file or directory");
	assert_int_equal(err.errnum, ENOENT);
}

static void test_parse_and_paths(void **state)
{
	char p[64];
	int v;

	(void)state;
	assert_int_equal(rk_parse_int("-7", &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(rk_parse_int("+3", &v), 0);
	assert_int_equal(rk_parse_int("", &v), -1);
	assert_int_equal(rk_parse_int("4x", &v), -1);
	assert_int_equal(rk_parse_int(" 4", &v), -1);
	assert_int_equal(rk_parse_int("99999999999", &v), -1);
	assert_int_equal(rk_parse_bool("True", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(rk_parse_bool("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(rk_parse_bool("yes", &v), -1);
	strcpy(p, "/etc/");
	rk_clean_path(p);
	assert_string_equal(p, "/etc");
	strcpy(p, "/a/../b/./c//");
	rk_clean_path(p);
	assert_string_equal(p, "/b/c");
	strcpy(p, "/..");
	rk_clean_path(p);
	assert_string_equal(p, "/");
	assert_true(rk_propagation_flags("rslave") != 0);
	assert_true(rk_propagation_flags("rslave") != rk_propagation_flags("slave"));
	assert_int_equal(rk_propagation_flags("bogus"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_frame_roundtrip),
		cmocka_unit_test(test_msg_json),
		cmocka_unit_test(test_go_texts),
		cmocka_unit_test(test_parse_and_paths),
	};

	return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
