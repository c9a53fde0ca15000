// SPDX-License-Identifier: Apache-2.0
/*
 * detach.c - --detach-netns: a network namespace parked at $SD/netns
 *
 * Theory of operation: with --detach-netns the child is cloned without a
 * network namespace of its own, so the command runs in the host's network
 * namespace (and so can reach the host's network directly), while the
 * network driver (slirp4netns, pasta, none) works on a new namespace that
 * nobody lives in: it is bind-mounted on $SD/netns, visible in the child's
 * mount namespace, where `nsenter -n$ROOTLESSKIT_STATE_DIR/netns` enters
 * it (dockerd does, for its containers).
 *
 * A process can enter a network namespace owned by its user namespace,
 * but never return to the host's, which the initial user namespace owns.
 * So the child itself never enters $SD/netns: short-lived or dedicated
 * processes do.
 *
 *   rk_netns_create()       before ChildInitUserNSCompleted (the parent
 *                           points slirp4netns or pasta at the namespace
 *                           through /proc/CHILD/root$SD/netns): a forked
 *                           process unshare()s a network namespace and
 *                           bind-mounts its /proc/self/ns/net on the file,
 *                           then exits; the mount keeps the namespace.
 *   rk_netns_agent_start()  after ParentInitNetworkDriverCompleted: a
 *                           forked agent setns()es into $SD/netns, brings
 *                           up lo, makes the TAP device and sends it to
 *                           the parent (gvisor-tap-vsock, src/child/tap.c),
 *                           configures the device (or waits for pasta to;
 *                           lxc-user-nic: leases an address by DHCP first,
 *                           see dhcp.c), sets up source-IP transparency and
 *                           writes the result, with the lease, to a pipe.
 *                           With the builtin port driver it stays, and
 *                           serves the port channel from inside the
 *                           namespace: every socket it hands the parent
 *                           belongs there.  With lxc-user-nic it stays
 *                           too, for the DHCP renew loop (its own, or a
 *                           forked one beside the port channel).
 *
 * Upstream runs itself as an embedded unshare(1) for the first step
 * (Ubuntu's AppArmor profile confines /usr/bin/unshare); we need no
 * binary at all.  The agent has PDEATHSIG=SIGKILL, so it ends with the
 * child.
 */
#include "detach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/proc.h"
#include "../lib/util.h"
#include "../port/builtin.h"
#include "dhcp.h"
#include "netsetup.h"
#include "tap.h"
#include "transparent.h"

int rk_netns_create(int dirfd, const char *path, struct rk_err *err)
{
	static const char *const steps[] = { "unshare(CLONE_NEWNET)",
					     "mount --bind /proc/self/ns/net" };
	cleanup_fd int fd = openat(dirfd, "netns", O_WRONLY | O_CREAT | O_EXCL |
					   O_CLOEXEC | O_NOFOLLOW, 0400);
	int rfd = -1, wfd = -1, fail[2] = { 0, 0 };
	pid_t pid;

	if (fd < 0)
		return rk_err_errno(err, errno,
				    "failed to create a detached netns on \"%s\": open", path);
	pid = rk_fork_piped(&rfd, &wfd, err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* report {step, errno} of a failure; nothing on success */
		int f[2] = { 0, 0 };

		if (unshare(CLONE_NEWNET) < 0)
			f[1] = errno;
		else if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
			f[0] = 1, f[1] = errno;
		if (f[1])
			rk_write_all(wfd, f, sizeof(f));
		_exit(f[1] ? 1 : 0);
	}
	if (rk_read_all(rfd, fail, sizeof(fail)) < 0)
		fail[1] = errno;
	close(rfd);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (!fail[1])
		return 0;
	return rk_err_errno(err, fail[1], "failed to create a detached netns on \"%s\": %s",
			    path, steps[fail[0] ? 1 : 0]);
}

/* What the agent reports once the namespace is set up */
struct agent_result {
	int ok;
	int tp;			/* RK_TP_* */
	struct rk_netcfg cfg;	/* lxc-user-nic: with the DHCP lease */
	struct rk_err err;
};

/* agent() - body of the agent; never returns */
static void __attribute__((noreturn)) agent(const struct rk_netns_agent_args *a,
					    int res)
{
	struct agent_result r = { .ok = 1 };
	bool lxc = a->kind == RK_NET_LXC_USER_NIC;
	uint32_t lease = 0;
	int nsfd, watch = -1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (size_t i = 0; i < ARRAY_SIZE(a->close_fds); i++) {
		if (a->close_fds[i] >= 0)
			close(a->close_fds[i]);
	}
	nsfd = open(a->netns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		r.ok = 0;
		rk_err_errno(&r.err, errno, "entering the detached netns \"%s\"",
			     a->netns);
	} else if ((lxc && rk_dhcp_lease(a->cfg, &lease, &r.err) < 0) ||
		   (a->tap_chan >= 0 &&
		    rk_tap_hand_over(a->cfg->dev, a->tap_chan, &r.err) < 0) ||
		   rk_child_net_iface(a->kind, a->cfg, &r.err) < 0) {
		r.ok = 0;
	} else if (a->port_fd >= 0 && a->source_ip_transparent) {
		r.tp = rk_transparent_setup();
		/* the parent adds per-client routes for UDP with this socket */
		if ((r.tp & (RK_TP_UDP4 | RK_TP_UDP6)) &&
		    rk_builtin_child_send_rtnl(a->port_fd) < 0)
			r.tp &= ~(RK_TP_UDP4 | RK_TP_UDP6);
	}
	if (nsfd >= 0)
		close(nsfd);
	/* beside a port channel the renew loop needs a process of its own */
	if (r.ok && lxc && a->port_fd >= 0 &&
	    rk_dhcp_renew_start(a->cfg, lease, a->dhcp_fd, &r.err) < 0)
		r.ok = 0;
	r.cfg = *a->cfg;
	/* a restarted slirp4netns makes a new TAP device to configure */
	if (r.ok && a->kind == RK_NET_SLIRP4NETNS)
		watch = rk_child_net_watch_open();
	if (rk_write_all(res, &r, sizeof(r)) < 0 || !r.ok)
		_exit(r.ok ? 0 : 1);
	close(res);
	if (lxc && a->port_fd < 0)
		rk_dhcp_renew_loop(a->cfg, lease, a->dhcp_fd);
	if (lxc)
		close(a->dhcp_fd);
	if (a->port_fd < 0 && watch < 0)
		_exit(0);
	/* the builtin port driver's sockets, made in this namespace */
	for (;;) {
		struct pollfd p[2] = { { .fd = a->port_fd, .events = POLLIN },
				       { .fd = watch, .events = POLLIN } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[0].revents && rk_builtin_child_serve(a->port_fd) < 0)
			_exit(0);
		if (p[1].revents)
			rk_child_net_watch(watch, a->cfg);
	}
}

int rk_netns_agent_start(const struct rk_netns_agent_args *a, int *tp,
			 pid_t *agent_pid, struct rk_err *err)
{
	struct agent_result r = { 0 };
	int rfd = -1, wfd = -1;
	ssize_t n;
	pid_t pid;

	*tp = 0;
	*agent_pid = 0;
	pid = rk_fork_piped(&rfd, &wfd, err);
	if (pid < 0)
		return -1;
	if (pid == 0)
		agent(a, wfd);
	n = rk_read_all(rfd, &r, sizeof(r));
	close(rfd);
	if (n != (ssize_t)sizeof(r)) {
		int status = 0;

		waitpid(pid, &status, 0);
		return rk_err_set(err, "setting up the detached netns: its agent exited (status 0x%x)",
				  status);
	}
	if (!r.ok) {
		waitpid(pid, NULL, 0);
		r.err.msg[sizeof(r.err.msg) - 1] = '\0';
		*err = r.err;
		return -1;
	}
	*tp = r.tp;
	*a->cfg = r.cfg;
	if (a->port_fd < 0 && a->kind != RK_NET_SLIRP4NETNS &&
	    a->kind != RK_NET_LXC_USER_NIC)
		waitpid(pid, NULL, 0);
	else
		*agent_pid = pid;
	return 0;
}
