// SPDX-License-Identifier: Apache-2.0
/*
 * child.c - the child process
 *
 * Theory of operation: the parent clone()s the child straight into new user
 * and mount namespaces (plus network, PID, UTS, IPC and cgroup namespaces
 * as asked).  Unlike upstream there is no re-exec: a process that creates a
 * user namespace holds every capability in it, and it becomes uid 0 as soon
 * as the parent has written the maps.  The child then follows the
 * handshake below, sets up mounts and the network, tells the parent it is
 * ready, and runs the command, forwarding signals to it and, in reaper
 * mode (--pidns), reaping every orphan of the PID namespace.
 *
 *   parent                              child
 *   ParentHello                 ->
 *                               <-      ChildHello
 *   (newuidmap/newgidmap)
 *   ParentInitIdmapCompleted    ->
 *                                       mount /proc (--pidns)
 *                               <-      ChildInitUserNSCompleted
 *   (start slirp4netns/pasta)
 *   ParentInitNetworkDriverCompleted ->
 *   ParentInitPortDriverCompleted    ->
 *                                       propagation, copy-up, sysfs, network
 *                               <-      ChildInitCompleted
 *   write $SD/child_pid                 start the command
 *
 * ChildInitCompleted is ours: upstream writes child_pid before the child
 * has configured its network, so a script polling child_pid could race it.
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/msg.h"
#include "../lib/proc.h"
#include "../lib/sigfwd.h"
#include "../lib/signame.h"
#include "../lib/util.h"
#include "../port/builtin.h"
#include "bypass_filter.h"
#include "detach.h"
#include "dhcp.h"
#include "mount.h"
#include "tap.h"
#include "netsetup.h"
#include "transparent.h"

static int send_name(int fd, const char *name, struct rk_err *err)
{
	json_auto_t *m = json_pack("{s:s}", "Name", name);

	return rk_msg_send(fd, m, err);
}

static int wait_name(int fd, const char *name, struct rk_err *err)
{
	json_auto_t *m = rk_msg_recv(fd, name, err);

	return m ? 0 : -1;
}

/* recv_netcfg() - ParentInitNetworkDriverCompleted into @cfg */
static int recv_netcfg(int fd, struct rk_netcfg *cfg, struct rk_err *err)
{
	json_auto_t *m = rk_msg_recv(fd, "ParentInitNetworkDriverCompleted", err);
	const char *dev = "", *ip = "", *gw = "", *dns = "";
	int cfgif = 0;
	json_error_t jerr;

	if (!m)
		return -1;
	memset(cfg, 0, sizeof(*cfg));
	if (json_unpack_ex(m, &jerr, 0, "{s?s, s?s, s?i, s?s, s?s, s?i, s?b}",
			   "Dev", &dev, "IP", &ip, "Netmask", &cfg->prefix,
			   "Gateway", &gw, "DNS0", &dns, "MTU", &cfg->mtu,
			   "ConfiguresInterface", &cfgif) < 0) {
		return rk_err_set(err, "bad ParentInitNetworkDriverCompleted: %s",
				  jerr.text);
	}
	snprintf(cfg->dev, sizeof(cfg->dev), "%s", dev);
	snprintf(cfg->ip, sizeof(cfg->ip), "%s", ip);
	snprintf(cfg->gateway, sizeof(cfg->gateway), "%s", gw);
	snprintf(cfg->dns, sizeof(cfg->dns), "%s", dns);
	cfg->configures_iface = cfgif;
	return 0;
}

/* setup() - everything between clone and the command; returns 0 or -1 */
static int setup(struct rk_child_ctx *c, struct rk_err *err)
{
	struct rk_netcfg cfg = { 0 };
	char netns[4200] = "";
	bool etc_copied = false, tap_own;
	bool agent = c->o->detach_netns && c->net != RK_NET_HOST;
	int tp = 0, r, notify[2] = { -1, -1 };
	json_t *m;

	c->dhcp_fd = -1;

	if (wait_name(c->rfd, "ParentHello", err) < 0 ||
	    send_name(c->wfd, "ChildHello", err) < 0 ||
	    wait_name(c->rfd, "ParentInitIdmapCompleted", err) < 0)
		return -1;
	/* we are uid 0 now; re-arm the parent-death signal as upstream does */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return rk_err_errno(err, errno, "prctl(PR_SET_PDEATHSIG)");
	if (c->o->pidns)
		rk_mount_proc();
	if (c->o->detach_netns) {
		snprintf(netns, sizeof(netns), "%s/netns", c->statedir);
		if (rk_netns_create(c->statedir_fd, netns, err) < 0)
			return -1;
	}
	if (send_name(c->wfd, "ChildInitUserNSCompleted", err) < 0 ||
	    recv_netcfg(c->rfd, &cfg, err) < 0 ||
	    wait_name(c->rfd, "ParentInitPortDriverCompleted", err) < 0)
		return -1;
	if (rk_set_propagation(c->o->propagation, err) < 0 ||
	    rk_copy_up(c->o->copy_up.v, c->o->copy_up.n, &etc_copied, err) < 0)
		return -1;
	/* detached: /sys keeps showing the host's network, as upstream */
	if (!c->o->detach_netns &&
	    rk_mount_sysfs(c->net == RK_NET_HOST, *c->o->evacuate_cgroup2,
			   err) < 0)
		return -1;
	/* lxc-user-nic: the address, gateway and DNS come by DHCP, here or
	 * in the agent; the renew loop reports a failure on this pipe */
	if (c->net == RK_NET_LXC_USER_NIC) {
		uint32_t lease;

		if (pipe2(notify, O_CLOEXEC) < 0)
			return rk_err_errno(err, errno, "pipe");
		c->dhcp_fd = notify[0];
		if (!agent && (rk_dhcp_lease(&cfg, &lease, err) < 0 ||
			       rk_dhcp_renew_start(&cfg, lease, notify[1], err) < 0)) {
			close(notify[1]);
			return -1;
		}
	}
	/* gvisor-tap-vsock: the device the parent's stack will feed, sent on
	 * its own socket or on the builtin port driver's channel (detached:
	 * by the agent) */
	tap_own = c->tap_chan >= 0 && c->tap_chan != c->port_fd;
	if (c->tap_chan >= 0 && !agent &&
	    rk_tap_hand_over(cfg.dev, c->tap_chan, err) < 0)
		return -1;
	/* detached: the agent first, it may learn the DNS server by DHCP */
	if (agent) {
		struct rk_netns_agent_args a = {
			.netns = netns, .kind = c->net, .cfg = &cfg,
			.port_fd = c->port_fd, .tap_chan = c->tap_chan,
			.source_ip_transparent = c->o->source_ip_transparent,
			.close_fds = { c->rfd, c->wfd, notify[0] },
			.dhcp_fd = notify[1],
		};

		r = rk_netns_agent_start(&a, &tp, &c->agent, err);
		if (notify[1] >= 0)
			close(notify[1]);
		if (r < 0)
			return -1;
		/* the agent serves the port channel from the namespace */
		if (c->agent > 0 && c->port_fd >= 0) {
			close(c->port_fd);
			c->port_fd = -1;
		}
	} else if (notify[1] >= 0) {
		close(notify[1]);
	}
	if (rk_child_net_setup(c->net, &cfg, c->statedir, c->statedir_fd,
			       etc_copied,
			       c->o->detach_netns, err) < 0)
		return -1;
	if (!agent && c->port_fd >= 0 && c->o->source_ip_transparent) {
		tp = rk_transparent_setup();
		/* the parent adds per-client routes for UDP with this socket */
		if ((tp & (RK_TP_UDP4 | RK_TP_UDP6)) &&
		    rk_builtin_child_send_rtnl(c->port_fd) < 0)
			tp &= ~(RK_TP_UDP4 | RK_TP_UDP6);
	}
	if (tap_own)
		close(c->tap_chan);
	c->tap_chan = -1;
	/* a restarted slirp4netns makes a new, unconfigured TAP device
	 * (detached: the agent watches) */
	c->cfg = cfg;
	if (c->net == RK_NET_SLIRP4NETNS && !c->o->detach_netns)
		c->watch_fd = rk_child_net_watch_open();
	/* catch signals before the parent may start forwarding them */
	c->sfd = rk_sigfwd_open(true);
	if (c->sfd < 0)
		return rk_err_errno(err, errno, "signalfd");
	m = json_pack("{s:s, s:i}", "Name", "ChildInitCompleted",
		      "SourceIPTransparent", tp);
	r = rk_msg_send(c->wfd, m, err);
	json_decref(m);
	return r;
}

/* argv_str() - "[a b c]" like Go's %v of a []string */
static void argv_str(char *const *argv, char *buf, size_t cap)
{
	size_t len = 0;
	int i;

	len += (size_t)snprintf(buf, cap, "[");
	for (i = 0; argv[i] && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
					i ? " " : "", argv[i]);
	if (len < cap)
		snprintf(buf + len, cap - len, "]");
}

/* dhcp_renew_failed() - the renew loop's report on @fd into @err (EOF:
 * it died without one); returns -1 */
static int dhcp_renew_failed(int fd, struct rk_err *err)
{
	char msg[RK_ERR_MSG_MAX - 64];
	ssize_t n;

	while ((n = read(fd, msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return rk_err_set(err, "the DHCP renew loop exited");
	msg[n] = '\0';
	return rk_err_set(err, "%s", msg);
}

/* run_command() - start the command and wait for it, forwarding signals;
 * returns 0 when it exited 0, else -1 with @err set and err->exit_code
 * carrying its status */
static int run_command(struct rk_child_ctx *c, struct rk_err *err)
{
	struct rk_spawn sp = {
		.argv = c->o->target, .stdout_fd = -1, .stderr_fd = -1,
		.keep_fds = c->listen_fds, .setsid = c->reaper,
		.set_listen_pid = c->fix_listen_pid,
	};
	struct rk_bypass_filter_arg fa;
	char cmd[1024], st[64];
	int sfd = c->sfd, status = 0;
	bool failed = false;	/* @err is set, the command is gone */
	pid_t pid;

	argv_str(c->o->target, cmd, sizeof(cmd));
	unsetenv("_ROOTLESSKIT_PIPEFD_UNDOCUMENTED");
	/* start only once the parent has published every -p port and
	 * written child_pid: it closes its end of the pipe then (if it fails
	 * instead, it kills us and the command never runs) */
	for (;;) {
		char b[16];
		ssize_t r = read(c->rfd, b, sizeof(b));

		if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
	close(c->rfd);
	c->rfd = -1;
	if (c->bypass_fd >= 0) {
		fa = (struct rk_bypass_filter_arg){
			.chan = c->bypass_fd,
			.strict = c->o->disable_host_loopback };
		sp.pre_exec = rk_bypass_filter_pre_exec;
		sp.pre_exec_arg = &fa;
	}
	pid = rk_spawn(&sp, err);
	if (c->bypass_fd >= 0) {
		close(c->bypass_fd);
		c->bypass_fd = -1;
	}
	close(c->wfd);
	c->wfd = -1;
	if (pid < 0) {
		close(sfd);
		return rk_err_wrap(err, "command %s exited", cmd);
	}
	for (;;) {
		/* only the fds in use: poll() fails with EINVAL when nfds
		 * exceeds RLIMIT_NOFILE, which a user may lower on us */
		int fds[4] = { sfd, c->port_fd, c->watch_fd, c->dhcp_fd };
		short ev[4] = { 0 };
		struct pollfd p[4];
		nfds_t n = 0;
		int sig;

		for (int i = 0; i < 4; i++) {
			if (fds[i] >= 0)
				p[n++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		}
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			rk_err_errno(err, errno, "poll");
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			failed = true;
			goto done;
		}
		for (int i = 0, j = 0; i < 4; i++) {
			if (fds[i] >= 0)
				ev[i] = p[j++].revents;
		}
		/* the DHCP renew loop failed (or died): stop, as upstream */
		if (c->dhcp_fd >= 0 && ev[3]) {
			dhcp_renew_failed(c->dhcp_fd, err);
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			failed = true;
			goto done;
		}
		if (c->watch_fd >= 0 && ev[2])
			rk_child_net_watch(c->watch_fd, &c->cfg);
		/* builtin port driver: sockets for the parent; EOF = parent gone */
		if (c->port_fd >= 0 && ev[1] &&
		    rk_builtin_child_serve(c->port_fd) < 0) {
			close(c->port_fd);
			c->port_fd = -1;
		}
		while (ev[0] && (sig = rk_sigfwd_read(sfd)) > 0) {
			pid_t w;
			int ws;

			if (sig != SIGCHLD) {
				kill(pid, sig);
				continue;
			}
			/* reaper: collect every zombie; else only ours */
			while ((w = waitpid(c->reaper ? -1 : pid, &ws,
					    WNOHANG)) > 0) {
				if (w == pid) {
					status = ws;
					goto done;
				}
			}
		}
	}
done:
	close(sfd);
	if (c->port_fd >= 0)
		close(c->port_fd);
	if (c->watch_fd >= 0)
		close(c->watch_fd);
	if (c->dhcp_fd >= 0)
		close(c->dhcp_fd);
	if (c->agent > 0)
		kill(c->agent, SIGKILL);
	if (failed)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	rk_err_set(err, "command %s exited: %s", cmd,
		   rk_wait_status_str(status, st, sizeof(st)));
	err->exit_code = rk_wait_status_exit_code(status);
	return -1;
}

int rk_child_main(struct rk_child_ctx *c)
{
	struct rk_err err = { 0 };

	rk_log_init("child ", c->o->debug);
	if (setup(c, &err) < 0 || run_command(c, &err) < 0) {
		rk_log_fatal(err.msg);
		return err.exit_code ? err.exit_code : 1;
	}
	return 0;
}
