// SPDX-License-Identifier: Apache-2.0
/* test_cgroup2.c - --evacuate-cgroup2 parsing: mountinfo, /proc/<pid>/cgroup
 * and the group name (src/parent/cgroup2.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "parent/cgroup2.h"

/* this machine's hybrid layout: cgroup v1 hierarchies plus cgroup2 */
static const char hybrid[] =
	"23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void test_find_mount(void **state)
{
	char mnt[64];

	(void)state;
	assert_int_equal(rk_cgroup2_find_mount(hybrid, mnt, sizeof(mnt)), 1);
	assert_string_equal(mnt, "/sys/fs/cgroup/unified");

	/* unified layout, optional fields before " - ", no final newline */
	assert_int_equal(rk_cgroup2_find_mount(
		"35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 master:3 - cgroup2 cgroup2 rw,nsdelegate",
		mnt, sizeof(mnt)), 1);
	assert_string_equal(mnt, "/sys/fs/cgroup");

	/* two mounts: the first one counts, both are reported */
	assert_int_equal(rk_cgroup2_find_mount(
		"1 0 0:1 / /a rw - cgroup2 none rw\n2 0 0:1 / /b rw - cgroup2 none rw\n",
		mnt, sizeof(mnt)), 2);
	assert_string_equal(mnt, "/a");

	/* octal escapes in the mount point */
	assert_int_equal(rk_cgroup2_find_mount(
		"1 0 0:1 / /my\\040cg\\134x rw - cgroup2 none rw\n", mnt,
		sizeof(mnt)), 1);
	assert_string_equal(mnt, "/my cg\\x");

	/* cgroup v1 only, a "cgroup2" source or mount point, junk lines */
	assert_int_equal(rk_cgroup2_find_mount(
		"1 0 0:1 / /cgroup2 rw - cgroup cgroup2 rw\n"
		"short line\n"
		"1 0 0:1 / /x rw\n"
		"\n"
		"1 0 0:1 / /y rw - cgroup2x none rw\n",
		mnt, sizeof(mnt)), 0);
	assert_string_equal(mnt, "");
	assert_int_equal(rk_cgroup2_find_mount("", mnt, sizeof(mnt)), 0);

	/* a mount point that does not fit is treated as none */
	assert_int_equal(rk_cgroup2_find_mount(
		"1 0 0:1 / /a/very/long/mount/point rw - cgroup2 none rw\n",
		mnt, 8), 1);
	assert_string_equal(mnt, "");
}

static void test_group(void **state)
{
	char g[64];

	(void)state;
	assert_int_equal(rk_cgroup2_group("9:name=systemd:/\n4:memory:/x\n0::/user.slice/u\n",
					  g, sizeof(g)), 0);
	assert_string_equal(g, "/user.slice/u");
	assert_int_equal(rk_cgroup2_group("0::/", g, sizeof(g)), 0);
	assert_string_equal(g, "/");
	/* only a line that starts with "0::" */
	assert_int_equal(rk_cgroup2_group("10::/x\n1:cpu:/\n", g, sizeof(g)), -1);
	assert_string_equal(g, "");
	assert_int_equal(rk_cgroup2_group("", g, sizeof(g)), -1);
}

static void test_name(void **state)
{
	struct rk_err err;

	(void)state;
	assert_int_equal(rk_cgroup2_check_name("evac", &err), 0);
	assert_int_equal(rk_cgroup2_check_name("", &err), -1);
	assert_string_equal(err.msg, "got empty evacuation group name");
	assert_int_equal(rk_cgroup2_check_name("a/b", &err), -1);
	assert_string_equal(err.msg,
			    "unexpected evacuation group name \"a/b\": must not contain \"/\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_mount),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_name),
	};

	return cmocka_run_group_tests_name("cgroup2", tests, NULL, NULL);
}
