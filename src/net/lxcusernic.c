// SPDX-License-Identifier: Apache-2.0
/*
 * lxcusernic.c - the lxc-user-nic network driver (parent side)
 *
 * Theory of operation: lxc-user-nic (Debian package liblxc-common, pulled
 * in by "lxc") is a setuid-root helper that creates a veth pair, attaches
 * the host end to a bridge (lxcbr0 by default, set up by lxc-net with a
 * dnsmasq for DHCP and DNS) and moves the other end, renamed to eth0, into
 * the network namespace of a given PID, as far as /etc/lxc/lxc-usernet
 * allows the calling user.  The parent runs
 *
 *   lxc-user-nic create /dev/null dummy PID veth BRIDGE IFNAME
 *
 * once, synchronously, and sends the child only the device name and MTU:
 * the child learns its address, gateway and DNS server by DHCP (dhcp.c)
 * and keeps renewing the lease.  The veth pair lives as long as the
 * namespace: when the last process in it is gone, the kernel deletes both
 * ends, so nothing needs undoing here.
 *
 * With --detach-netns the namespace is parked at $SD/netns and has no
 * process that lxc-user-nic could be pointed at.  Upstream starts
 * "nsenter ... sleep infinity" in it for the rest of the session; we fork
 * a process that joins the child's user namespace and then the parked
 * network namespace, use its PID for the one command, then kill and reap
 * it.
 *
 * The host's loopback is not reachable: the namespace is on a real bridge,
 * and 127.0.0.1 is its own loopback.  So --disable-host-loopback is
 * implied, as upstream says in its warning.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/proc.h"
#include "../lib/signame.h"
#include "../lib/util.h"

/**
 * rk_lxc_user_nic_prepare() - validate the flags and find lxc-user-nic
 * @n:		driver
 * @err:	error out
 *
 * Return: 0, or -1 with @err set (upstream's messages)
 */
int rk_lxc_user_nic_prepare(struct rk_net *n, struct rk_err *err)
{
	const struct rk_opts *o = n->o;

	rk_warn("\"lxc-user-nic\" network driver is experimental");
	if (*o->cidr)
		return rk_err_set(err, "custom cidr is not supported for --net=lxc-user-nic");
	if (!o->disable_host_loopback)
		rk_warn("--disable-host-loopback is implicitly set for lxc-user-nic");
	if (rk_lookpath(o->lxc_user_nic_binary, n->bin, sizeof(n->bin), err) < 0) {
		if (!*o->lxc_user_nic_binary)
			rk_err_wrap(err, "--net=lxc-user-nic needs lxc-user-nic (none of the usual paths exists; install the Debian package \"lxc\" or pass --lxc-user-nic-binary)");
		return -1;
	}
	if (!*o->lxc_user_nic_bridge)
		return rk_err_set(err, "got empty bridge");
	snprintf(n->cfg.dev, sizeof(n->cfg.dev), "%s",
		 *o->ifname ? o->ifname : "eth0");
	n->cfg.mtu = o->mtu ? o->mtu : 1500;
	return 0;
}

/* netns_holder() - fork a process that sits in the parked netns @netns
 * (owned by the user namespace of @child) until killed; returns its PID
 * once it is there, or -1 with @err set */
static pid_t netns_holder(pid_t child, const char *netns, struct rk_err *err)
{
	char userns[64];
	int rfd = -1, wfd = -1, e = 0;
	pid_t parent = getpid(), pid;
	ssize_t r;

	snprintf(userns, sizeof(userns), "/proc/%d/ns/user", (int)child);
	pid = rk_fork_piped(&rfd, &wfd, err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* open both first: the netns path is seen from the host */
		int u = open(userns, O_RDONLY | O_CLOEXEC);
		int nfd = open(netns, O_RDONLY | O_CLOEXEC);

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		if (u < 0 || nfd < 0 || setns(u, CLONE_NEWUSER) < 0 ||
		    setns(nfd, CLONE_NEWNET) < 0)
			e = errno;
		rk_write_all(wfd, &e, sizeof(e));
		if (e)
			_exit(1);
		close(wfd);
		for (;;)
			pause();
	}
	r = rk_read_all(rfd, &e, sizeof(e));
	close(rfd);
	if (r != (ssize_t)sizeof(e) || e) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return rk_err_errno(err, r == (ssize_t)sizeof(e) ? e : ECHILD,
				    "entering the detached netns \"%s\"", netns);
	}
	return pid;
}

/**
 * rk_lxc_user_nic_start() - create the veth pair into the child's netns
 * @n:		prepared driver
 * @pid:	child PID
 * @err:	error out
 *
 * Return: 0, or -1 with @err set to "<bin> failed: <output>: <status>"
 */
int rk_lxc_user_nic_start(struct rk_net *n, pid_t pid, struct rk_err *err)
{
	char pidstr[16], out[4096], st[64];
	char *argv[] = { n->bin, "create", "/dev/null", "dummy", pidstr, "veth",
			 (char *)n->o->lxc_user_nic_bridge, n->cfg.dev, NULL };
	pid_t holder = 0;
	int status = 0, r;

	if (*n->netns) {
		holder = netns_holder(pid, n->netns, err);
		if (holder < 0)
			return -1;
		pid = holder;
	}
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	rk_debug("network/lxc-user-nic: %s create /dev/null dummy %s veth %s %s",
		 n->bin, pidstr, n->o->lxc_user_nic_bridge, n->cfg.dev);
	r = rk_run(argv, out, sizeof(out), &status, err);
	if (holder > 0) {
		kill(holder, SIGKILL);
		while (waitpid(holder, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (r < 0)
		return rk_err_wrap(err, "%s failed", n->bin);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		size_t l = strlen(out);

		while (l && (out[l - 1] == '\n' || out[l - 1] == ' '))
			out[--l] = '\0';
		return rk_err_set(err, "%s failed: %s: %s", n->bin, out,
				  rk_wait_status_str(status, st, sizeof(st)));
	}
	return 0;
}
