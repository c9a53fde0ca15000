/* SPDX-License-Identifier: Apache-2.0
 *
 * opts.h - the rootlesskit command line
 *
 * Theory of operation: one table (opts.c) lists every upstream v3.0.1 flag
 * with its type, default, help category and text.  rk_opts_parse() walks
 * argv the way urfave/cli does: "--x value", "--x=value", "-x", booleans
 * with an optional "=true|false", comma-split repeatable flags, and options
 * end at the first positional word or "--".  The same table prints --help.
 */
#ifndef RK_OPTS_H
#define RK_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "../lib/err.h"

/*
 * RK_UPSTREAM_VERSION is the upstream release whose behaviour we follow; it
 * is what --print-semver answers.  RK_VERSION, printed by --version and
 * returned as "version" by GET /v1/info, adds our own build as semver build
 * metadata: "3.0.1+c.<git describe --always --dirty>".  The Makefile passes
 * -DRK_GIT_VERSION; outside git (a tarball) it passes the release number.
 */
#define RK_UPSTREAM_VERSION "3.0.1"
#ifndef RK_GIT_VERSION
#define RK_GIT_VERSION "unknown"
#endif
#define RK_VERSION RK_UPSTREAM_VERSION "+c." RK_GIT_VERSION

struct rk_strv {
	char **v;
	int n;
};

struct rk_opts {
	bool debug, help, version;
	const char *print_semver;
	const char *state_dir;
	const char *net;
	int mtu;
	const char *cidr, *ifname;
	bool disable_host_loopback, ipv6, detach_netns;
	const char *pasta_binary, *slirp4netns_binary;
	const char *slirp4netns_sandbox, *slirp4netns_seccomp;
	const char *vpnkit_binary, *lxc_user_nic_binary, *lxc_user_nic_bridge;
	const char *port_driver;
	struct rk_strv publish;
	bool source_ip_transparent;
	bool bypass4netns;		/* extension, src/parent/bypass.c */
	struct rk_strv bypass4netns_ignore;	/* CIDRs (extension) */
	int builtin_udp_timeout;	/* seconds (extension) */
	int builtin_udp_max_flows;	/* per UDP port (extension) */
	int builtin_tcp_keepalive;	/* seconds, 0: off (extension) */
	int busy_poll_us;		/* extension */
	struct rk_strv copy_up;
	const char *copy_up_mode, *propagation;
	bool pidns, cgroupns, utsns, ipcns;
	const char *reaper, *evacuate_cgroup2, *subid_source;
	char **target;		/* NULL-terminated, points into argv */
	int ntarget;
};

/**
 * rk_opts_parse() - parse the rootlesskit command line
 * @o:		result; string values point into @argv
 * @argc:	argument count
 * @argv:	arguments, argv[0] is the program
 * @err:	error out
 *
 * Return: 0 on success, -1 with @err set.  Messages follow Go's flag
 * package: "flag provided but not defined: -x", "flag needs an argument:
 * -x", "invalid value "v" for flag -x: parse error".
 */
int rk_opts_parse(struct rk_opts *o, int argc, char **argv,
		  struct rk_err *err);

void rk_opts_free(struct rk_opts *o);

/**
 * rk_opts_help() - print --help in upstream's layout
 * @f:		stream (stdout for --help)
 */
void rk_opts_help(FILE *f);

#endif
