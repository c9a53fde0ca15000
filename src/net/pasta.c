// SPDX-License-Identifier: Apache-2.0
/*
 * pasta.c - the pasta network driver (parent side)
 *
 * Theory of operation: pasta (Debian package "passt") joins the child's
 * namespaces by PID and creates and configures the TAP device itself
 * (--config-net).  Upstream lets it fork into the background, but the pasta
 * in Debian 12 does not quit when the namespace's process dies, so a
 * backgrounded pasta would outlive rootlesskit.  We run it in the
 * foreground (--foreground) under PDEATHSIG=SIGKILL instead, and the child
 * waits, on netlink notifications, until the interface has its address and
 * default route (netsetup.c).  The parent watches pasta's pidfd meanwhile,
 * so a failing pasta is reported with its output.  With the implicit port
 * driver it forwards every port bound in the namespace
 * (--tcp-ports=auto --udp-ports=auto).
 */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../lib/log.h"
#include "../lib/proc.h"
#include "../lib/signame.h"

/**
 * rk_pasta_prepare() - find pasta and probe it
 * @n:		driver
 * @err:	error out
 *
 * Return: 0, or -1 with @err set
 */
int rk_pasta_prepare(struct rk_net *n, struct rk_err *err)
{
	char *ver[] = { n->bin, "--version", NULL };
	char *lo[] = { n->bin, "--host-lo-to-ns-lo", "--version", NULL };
	char out[4096], st[64];
	int status;

	if (rk_lookpath(n->o->pasta_binary, n->bin, sizeof(n->bin), err) < 0) {
		if (!strcmp(n->o->pasta_binary, "pasta"))
			rk_err_wrap(err, "--net=pasta needs pasta (install the Debian package \"passt\")");
		return -1;
	}
	if (rk_run(ver, out, sizeof(out), &status, err) < 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return rk_err_set(err, "command \"%s --version\" failed, make sure pasta is installed: \"%s\": %s",
				  n->bin, out,
				  rk_wait_status_str(status, st, sizeof(st)));
	n->host_lo_to_ns_lo = rk_run(lo, out, sizeof(out), &status, err) == 0 &&
			      WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return 0;
}

/**
 * rk_pasta_start() - start pasta in the foreground
 * @n:		driver
 * @pid:	child PID
 * @err:	error out
 *
 * Return: 0 when pasta runs (n->helper is its PID), -1 with @err set
 */
int rk_pasta_start(struct rk_net *n, pid_t pid, struct rk_err *err)
{
	char ifname[64], mtu[32], addr[64], mask[32], gw[64], dns[64];
	char pidstr[16], userns[64], netns[PATH_MAX + 16];
	char *argv[24];
	struct rk_spawn sp = { .argv = argv, .stdout_fd = -1, .stderr_fd = -1,
			       .setpgid = true };
	int argc = 0;

	snprintf(ifname, sizeof(ifname), "--ns-ifname=%s", n->cfg.dev);
	snprintf(mtu, sizeof(mtu), "--mtu=%d", n->cfg.mtu);
	snprintf(addr, sizeof(addr), "--address=%s", n->cfg.ip);
	snprintf(mask, sizeof(mask), "--netmask=%d", n->cfg.prefix);
	snprintf(gw, sizeof(gw), "--gateway=%s", n->cfg.gateway);
	snprintf(dns, sizeof(dns), "--dns-forward=%s", n->cfg.dns);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	argv[argc++] = n->bin;
	argv[argc++] = "--foreground";
	argv[argc++] = "--stderr";
	argv[argc++] = ifname;
	argv[argc++] = mtu;
	argv[argc++] = "--config-net";
	argv[argc++] = addr;
	argv[argc++] = mask;
	argv[argc++] = gw;
	argv[argc++] = dns;
	if (n->o->disable_host_loopback)
		argv[argc++] = "--no-map-gw";
	if (!n->o->ipv6)
		argv[argc++] = "--ipv4-only";
	argv[argc++] = n->auto_ports ? "--tcp-ports=auto" : "--tcp-ports=none";
	argv[argc++] = n->auto_ports ? "--udp-ports=auto" : "--udp-ports=none";
	if (n->host_lo_to_ns_lo)
		argv[argc++] = "--host-lo-to-ns-lo";
	if (*n->netns) {
		/* detached: the parked netns, in the child's user namespace */
		snprintf(userns, sizeof(userns), "--userns=/proc/%d/ns/user",
			 (int)pid);
		snprintf(netns, sizeof(netns), "--netns=%s", n->netns);
		argv[argc++] = userns;
		argv[argc++] = netns;
	} else {
		argv[argc++] = pidstr;
	}
	argv[argc] = NULL;

	if (!rk_log_debug_enabled()) {
		n->helper_out = memfd_create("pasta-output", MFD_CLOEXEC);
		if (n->helper_out < 0)
			return rk_err_errno(err, errno, "memfd_create");
		sp.stdout_fd = sp.stderr_fd = n->helper_out;
	}
	rk_debug("network/pasta: starting %s ... %s", n->bin, pidstr);
	n->helper = rk_spawn(&sp, err);
	if (n->helper < 0) {
		n->helper = 0;
		return rk_err_wrap(err, "setting up network");
	}
	return 0;
}
