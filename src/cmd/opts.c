// SPDX-License-Identifier: Apache-2.0
/*
 * opts.c - rootlesskit flag table, parser and --help, see opts.h
 */
#include "opts.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../lib/util.h"

enum opt_type { T_BOOL, T_STRING, T_INT, T_SLICE };

struct opt_def {
	const char *name;
	const char *alias;	/* one-letter alias or NULL */
	enum opt_type type;
	size_t off;		/* offset in struct rk_opts */
	const char *category;
	const char *usage;
	const char *def;	/* default as shown by --help, NULL: none */
};

#define O(f) offsetof(struct rk_opts, f)

/* Categories are printed in this (alphabetical) order, like upstream.
 * Upstream lists only the drivers compiled in, and scripts grep --help
 * to pick one: "Network [vpnkit]" is left out, so its flag is accepted
 * but not advertised. */
static const char *const categories[] = {
	"Misc", "Mount", "Network", "Network [lxc-user-nic]",
	"Network [pasta]", "Network [slirp4netns]",
	"Port", "Process", "State", "SubID",
};

static const struct opt_def defs[] = {
	{ "debug", NULL, T_BOOL, O(debug), "Misc", "debug mode", "false" },
	{ "print-semver", NULL, T_STRING, O(print_semver), "Misc",
	  "print a version component as a decimal integer [major, minor, patch]",
	  NULL },
	{ "help", "h", T_BOOL, O(help), "Misc", "show help", "false" },
	{ "version", "v", T_BOOL, O(version), "Misc", "print the version",
	  "false" },
	{ "copy-up", NULL, T_SLICE, O(copy_up), "Mount",
	  "mount a filesystem and copy-up the contents. e.g. \"--copy-up=/etc\" (typically required for non-host network)",
	  NULL },
	{ "copy-up-mode", NULL, T_STRING, O(copy_up_mode), "Mount",
	  "copy-up mode [tmpfs+symlink]", "\"tmpfs+symlink\"" },
	{ "propagation", NULL, T_STRING, O(propagation), "Mount",
	  "mount propagation [rprivate, rslave]", "\"rprivate\"" },
	{ "net", NULL, T_STRING, O(net), "Network",
	  "network driver [host, none, pasta(experimental), slirp4netns, lxc-user-nic(experimental), gvisor-tap-vsock(experimental)]",
	  "\"host\"" },
	{ "mtu", NULL, T_INT, O(mtu), "Network",
	  "MTU for non-host network (default: 65520 for pasta, slirp4netns and gvisor-tap-vsock, 1500 for others)",
	  "0" },
	{ "cidr", NULL, T_STRING, O(cidr), "Network",
	  "CIDR for pasta, slirp4netns and gvisor-tap-vsock networks (default: 10.0.2.0/24)",
	  NULL },
	{ "ifname", NULL, T_STRING, O(ifname), "Network",
	  "Network interface name (default: tap0 for pasta, slirp4netns and gvisor-tap-vsock; eth0 for lxc-user-nic)",
	  NULL },
	{ "disable-host-loopback", NULL, T_BOOL, O(disable_host_loopback),
	  "Network", "prohibit connecting to 127.0.0.1:* on the host namespace",
	  "false" },
	{ "ipv6", NULL, T_BOOL, O(ipv6), "Network",
	  "enable IPv6 routing. Unrelated to port forwarding. Only supported for pasta and slirp4netns. (experimental)",
	  "false" },
	{ "detach-netns", NULL, T_BOOL, O(detach_netns), "Network",
	  "detach network namespaces ",
	  "false" },
	{ "lxc-user-nic-binary", NULL, T_STRING, O(lxc_user_nic_binary),
	  "Network [lxc-user-nic]",
	  "path of lxc-user-nic binary for --net=lxc-user-nic", NULL },
	{ "lxc-user-nic-bridge", NULL, T_STRING, O(lxc_user_nic_bridge),
	  "Network [lxc-user-nic]", "lxc-user-nic bridge name", "\"lxcbr0\"" },
	{ "pasta-binary", NULL, T_STRING, O(pasta_binary), "Network [pasta]",
	  "path of pasta binary for --net=pasta", "\"pasta\"" },
	{ "slirp4netns-binary", NULL, T_STRING, O(slirp4netns_binary),
	  "Network [slirp4netns]",
	  "path of slirp4netns binary for --net=slirp4netns", "\"slirp4netns\"" },
	{ "slirp4netns-sandbox", NULL, T_STRING, O(slirp4netns_sandbox),
	  "Network [slirp4netns]",
	  "enable slirp4netns sandbox (experimental) [auto, true, false] (the default is planned to be \"auto\" in future)",
	  "\"false\"" },
	{ "slirp4netns-seccomp", NULL, T_STRING, O(slirp4netns_seccomp),
	  "Network [slirp4netns]",
	  "enable slirp4netns seccomp (experimental) [auto, true, false] (the default is planned to be \"auto\" in future)",
	  "\"false\"" },
	{ "vpnkit-binary", NULL, T_STRING, O(vpnkit_binary), "Network [vpnkit]",
	  "path of VPNKit binary for --net=vpnkit (network driver not supported by this implementation)",
	  "\"vpnkit\"" },
	{ "port-driver", NULL, T_STRING, O(port_driver), "Port",
	  "port driver for non-host network. [none, implicit (for pasta), builtin, slirp4netns, gvisor-tap-vsock(experimental), socat (deprecated)]",
	  "\"none\"" },
	{ "publish", "p", T_SLICE, O(publish), "Port",
	  "publish ports. e.g. \"127.0.0.1:8080:80/tcp\"", NULL },
	{ "source-ip-transparent", NULL, T_BOOL, O(source_ip_transparent),
	  "Port",
	  "Enable source IP transparency for the builtin port driver", "true" },
	{ "bypass4netns", NULL, T_BOOL, O(bypass4netns), "Port",
	  "bypass the network namespace for the command's TCP/UDP sockets that go outside it or bind a published port: they become host sockets (seccomp user notification, Linux >= 5.9; off by default) (extension)",
	  "false" },
	{ "bypass4netns-ignore", NULL, T_SLICE, O(bypass4netns_ignore), "Port",
	  "with --bypass4netns, destinations in this CIDR (IPv4 or IPv6) keep the normal path; repeatable (extension)",
	  NULL },
	{ "builtin-busy-poll", NULL, T_INT, O(busy_poll_us), "Port",
	  "after handling traffic, the builtin port driver polls for this many microseconds before sleeping: lower latency for some CPU (extension)",
	  "0" },
	{ "builtin-udp-timeout", NULL, T_INT, O(builtin_udp_timeout), "Port",
	  "idle timeout of a UDP flow of the builtin port driver, in seconds (extension)",
	  "90" },
	{ "builtin-udp-max-flows", NULL, T_INT, O(builtin_udp_max_flows), "Port",
	  "most UDP flows (clients) at once per UDP port of the builtin port driver; at the cap the least recently used flow is dropped (extension)",
	  "1024" },
	{ "builtin-tcp-keepalive", NULL, T_INT, O(builtin_tcp_keepalive), "Port",
	  "TCP keepalive of both sides of every connection of the builtin port driver: idle time and probe interval in seconds, 9 probes, so a vanished peer is cleared after 10x this; 0 disables (extension)",
	  "15" },
	{ "pidns", NULL, T_BOOL, O(pidns), "Process", "create a PID namespace",
	  "false" },
	{ "cgroupns", NULL, T_BOOL, O(cgroupns), "Process",
	  "create a cgroup namespace", "false" },
	{ "utsns", NULL, T_BOOL, O(utsns), "Process", "create a UTS namespace",
	  "false" },
	{ "ipcns", NULL, T_BOOL, O(ipcns), "Process",
	  "create an IPC namespace", "false" },
	{ "reaper", NULL, T_STRING, O(reaper), "Process",
	  "enable process reaper. Requires --pidns. [auto,true,false]",
	  "\"auto\"" },
	{ "evacuate-cgroup2", NULL, T_STRING, O(evacuate_cgroup2), "Process",
	  "evacuate processes into the specified subgroup. Requires --pidns and --cgroupns",
	  NULL },
	{ "state-dir", NULL, T_STRING, O(state_dir), "State", "state directory",
	  NULL },
	{ "subid-source", NULL, T_STRING, O(subid_source), "SubID",
	  "the source of the subids. \"dynamic\" executes /usr/bin/getsubids. \"static\" reads /etc/{subuid,subgid}. [auto,dynamic,static]",
	  "\"auto\"" },
};

/* lxc_user_nic_default() - upstream's default --lxc-user-nic-binary: the
 * first of its candidates that exists, else "" */
static const char *lxc_user_nic_default(void)
{
	static char ubuntu[sizeof(((struct utsname *)0)->machine) + 40];
	const char *cand[] = { "/usr/libexec/lxc/lxc-user-nic",	/* Debian */
			       ubuntu, "/usr/lib/lxc/lxc-user-nic" };
	struct utsname u;

	if (uname(&u) == 0)
		snprintf(ubuntu, sizeof(ubuntu),
			 "/usr/lib/%s-linux-gnu/lxc/lxc-user-nic", u.machine);
	for (size_t i = 0; i < ARRAY_SIZE(cand); i++) {
		if (*cand[i] && access(cand[i], F_OK) == 0)
			return cand[i];
	}
	return "";
}

static void set_defaults(struct rk_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->net = "host";
	o->builtin_udp_timeout = 90;
	o->builtin_udp_max_flows = 1024;
	o->builtin_tcp_keepalive = 15;
	o->pasta_binary = "pasta";
	o->slirp4netns_binary = "slirp4netns";
	o->slirp4netns_sandbox = "false";
	o->slirp4netns_seccomp = "false";
	o->vpnkit_binary = "vpnkit";
	o->lxc_user_nic_binary = lxc_user_nic_default();
	o->lxc_user_nic_bridge = "lxcbr0";
	o->port_driver = "none";
	o->source_ip_transparent = true;
	o->copy_up_mode = "tmpfs+symlink";
	o->propagation = "rprivate";
	o->reaper = "auto";
	o->subid_source = "auto";
	o->print_semver = "";
	o->state_dir = "";
	o->cidr = "";
	o->ifname = "";
	o->evacuate_cgroup2 = "";
}

/* strv_add_split() - append @val split on commas, each part trimmed, like
 * urfave/cli's StringSliceFlag; returns 0 or -1 on ENOMEM */
static int strv_add_split(struct rk_strv *sv, const char *val)
{
	const char *p = val;

	for (;;) {
		const char *end = strchrnul(p, ',');
		const char *b = p, *e = end;
		char **nv;

		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		nv = realloc(sv->v, sizeof(char *) * (size_t)(sv->n + 2));
		if (!nv)
			return -1;
		sv->v = nv;
		sv->v[sv->n] = strndup(b, (size_t)(e - b));
		if (!sv->v[sv->n])
			return -1;
		sv->v[++sv->n] = NULL;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

static const struct opt_def *find_def(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(defs); i++) {
		if ((strlen(defs[i].name) == len &&
		     !strncmp(defs[i].name, name, len)) ||
		    (defs[i].alias && strlen(defs[i].alias) == len &&
		     !strncmp(defs[i].alias, name, len)))
			return &defs[i];
	}
	return NULL;
}

int rk_opts_parse(struct rk_opts *o, int argc, char **argv,
		  struct rk_err *err)
{
	int i;

	set_defaults(o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val = NULL;
		const struct opt_def *d;
		size_t nlen;
		char *field;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;	/* first positional word */
		name = a + 1 + (a[1] == '-');
		if (*name == '-' || *name == '=' || *name == '\0')
			return rk_err_set(err, "bad flag syntax: %s", a);
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		d = find_def(name, nlen);
		if (!d)
			return rk_err_set(err,
					  "flag provided but not defined: -%.*s",
					  (int)nlen, name);
		field = (char *)o + d->off;
		if (d->type == T_BOOL) {
			int b = 1;

			if (eq && rk_parse_bool(eq + 1, &b) < 0)
				return rk_err_set(err,
						  "invalid boolean value \"%s\" for -%s: parse error",
						  eq + 1, d->name);
			*(bool *)field = b;
			continue;
		}
		if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc)
				return rk_err_set(err,
						  "flag needs an argument: -%.*s",
						  (int)nlen, name);
			val = argv[++i];
		}
		switch (d->type) {
		case T_STRING:
			*(const char **)field = val;
			break;
		case T_INT:
			if (rk_parse_int(val, (int *)field) < 0)
				return rk_err_set(err,
						  "invalid value \"%s\" for flag -%s: parse error",
						  val, d->name);
			break;
		case T_SLICE:
			if (strv_add_split((struct rk_strv *)field, val) < 0)
				return rk_err_errno(err, ENOMEM, "parse -%s",
						    d->name);
			break;
		case T_BOOL:
			break;
		}
	}
	o->target = argv + i;
	o->ntarget = argc - i;
	return 0;
}

static void strv_free(struct rk_strv *sv)
{
	int i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void rk_opts_free(struct rk_opts *o)
{
	strv_free(&o->publish);
	strv_free(&o->copy_up);
	strv_free(&o->bypass4netns_ignore);
}

static void flag_label(const struct opt_def *d, char *buf, size_t len)
{
	const char *v = d->type == T_BOOL ? "" : " value";

	if (d->alias)
		snprintf(buf, len, "--%s%s, -%s%s", d->name, v, d->alias, v);
	else
		snprintf(buf, len, "--%s%s", d->name, v);
}

void rk_opts_help(FILE *f)
{
	char label[128];
	size_t c, i, w = 0;

	for (i = 0; i < ARRAY_SIZE(defs); i++) {
		flag_label(&defs[i], label, sizeof(label));
		if (strlen(label) > w)
			w = strlen(label);
	}
	fputs("NAME:\n"
	      "   rootlesskit - Linux-native fakeroot using user namespaces\n\n"
	      "USAGE:\n"
	      "   rootlesskit [global options] [arguments...]\n\n"
	      "VERSION:\n"
	      "   " RK_VERSION "\n\n"
	      "DESCRIPTION:\n"
	      "   RootlessKit is a Linux-native implementation of \"fake root\" using user_namespaces(7).\n"
	      "   \n"
	      "   This is the C implementation; it is a drop-in replacement for upstream RootlessKit v3.0.1.\n"
	      "   \n"
	      "   Examples:\n"
	      "     # spawn a shell with a new user namespace and a mount namespace\n"
	      "     rootlesskit bash\n"
	      "   \n"
	      "     # make /etc writable\n"
	      "     rootlesskit --copy-up=/etc bash\n"
	      "   \n"
	      "     # set mount propagation to rslave\n"
	      "     rootlesskit --propagation=rslave bash\n"
	      "   \n"
	      "     # create a network namespace with slirp4netns\n"
	      "     rootlesskit --copy-up=/etc --net=slirp4netns --disable-host-loopback bash\n"
	      "   \n"
	      "   Note: RootlessKit requires /etc/subuid and /etc/subgid to be configured by the real root user.\n"
	      "   See https://rootlesscontaine.rs/getting-started/common/ .\n\n"
	      "OPTIONS:\n", f);
	for (c = 0; c < ARRAY_SIZE(categories); c++) {
		fprintf(f, "  %s:\n", categories[c]);
		for (i = 0; i < ARRAY_SIZE(defs); i++) {
			const struct opt_def *d = &defs[i];

			if (strcmp(d->category, categories[c]))
				continue;
			flag_label(d, label, sizeof(label));
			fprintf(f, "    %-*s  %s", (int)w, label, d->usage);
			if (d->def)
				fprintf(f, " (default: %s)", d->def);
			else if (d->off == O(lxc_user_nic_binary) &&
				 *lxc_user_nic_default())
				fprintf(f, " (default: \"%s\")",
					lxc_user_nic_default());
			fputc('\n', f);
		}
		fputc('\n', f);
	}
}
