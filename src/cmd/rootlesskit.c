// SPDX-License-Identifier: Apache-2.0
/*
 * rootlesskit.c - entry point of the rootlesskit command
 *
 * Parses the command line, handles --help/--version/--print-semver, then
 * hands over to the parent (src/parent/).  This is the one place where
 * errors are printed ("[rootlesskit:parent] error: ...") and turned into
 * the exit status: the command's status, 255 for a signal death, 1 for
 * everything else.
 */
#include <stdio.h>
#include <string.h>

#include "../lib/err.h"
#include "../lib/log.h"
#include "../parent/parent.h"
#include "opts.h"

static int print_semver(const char *what, struct rk_err *err)
{
	int major = 0, minor = 0, patch = 0;

	sscanf(RK_UPSTREAM_VERSION, "%d.%d.%d", &major, &minor, &patch);
	if (!strcmp(what, "major"))
		printf("%d\n", major);
	else if (!strcmp(what, "minor"))
		printf("%d\n", minor);
	else if (!strcmp(what, "patch"))
		printf("%d\n", patch);
	else
		return rk_err_set(err, "expected --print-semver=(major|minor|patch), got \"%s\"",
				  what);
	return 0;
}

int main(int argc, char **argv)
{
	struct rk_err err = { 0 };
	struct rk_opts o;
	int r;

	rk_log_init("parent", false);
	r = rk_opts_parse(&o, argc, argv, &err);
	if (r == 0) {
		rk_log_init("parent", o.debug);
		if (o.help) {
			rk_opts_help(stdout);
		} else if (o.version) {
			printf("rootlesskit version %s\n", RK_VERSION);
		} else if (*o.print_semver) {
			r = print_semver(o.print_semver, &err);
		} else {
			r = rk_parent_main(&o, &err);
		}
	}
	rk_opts_free(&o);
	if (r < 0) {
		rk_log_fatal(err.msg);
		return err.exit_code ? err.exit_code : 1;
	}
	return 0;
}
