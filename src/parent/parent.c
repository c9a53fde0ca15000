// SPDX-License-Identifier: Apache-2.0
/*
 * parent.c - the parent process
 *
 * Theory of operation: everything that can be checked is checked before
 * anything is created, so a bad flag leaves no state directory behind.
 * Then: state directory and locks; two close-on-exec pipes; clone() of the
 * child into its new namespaces (see child.c for the handshake); uid/gid
 * maps; network driver; child_pid; then an event loop that forwards
 * signals to the child and ends when the child's pidfd says it exited.
 * Every wait for the child (pipe reads, slirp4netns readiness) also sees
 * the child's death: a read returns EOF because the child held the only
 * write end, and the parent reports "child exited: <status>" instead of
 * hanging as upstream can.  At the end: stop helpers, remove $SD.
 */
#include "parent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../child/child.h"
#include "../child/mount.h"
#include "../lib/log.h"
#include "../lib/msg.h"
#include "../lib/proc.h"
#include "../lib/sigfwd.h"
#include "../lib/signame.h"
#include "../lib/loop.h"
#include "../lib/util.h"
#include "../api/server.h"
#include "../net/net.h"
#include "../port/builtin.h"
#include "../port/port.h"
#include "bypass.h"
#include "cgroup2.h"
#include "idmap.h"
#include "statedir.h"
#include "supervise.h"

struct parent {
	struct rk_opts *o;
	struct rk_net net;
	struct rk_statedir sd;
	bool reaper;
	pid_t child;
	int child_pidfd;
	int helper_pidfd;	/* network helper, watched during set-up */
	int p2c, c2p;		/* our ends: write to child, read from child */
	int sfd;		/* signalfd */
	int chan[2];		/* builtin port driver: ours, the child's */
	int bypass_chan[2];	/* --bypass4netns: ours, the child's */
	struct rk_bypass *bypass;
	struct rk_loop loop;	/* after set-up: signals, child, API, ports */
	struct rk_watch sigw, childw;
	bool child_exited;
	struct rk_ports ports;
	struct rk_api api;
	int tp_mask;		/* RK_TP_* from ChildInitCompleted */
	const struct port_driver_kind *pdk;	/* --port-driver */
	struct rk_supervise sup; /* the network helper after set-up */
};

/* preflight() - upstream's warnings about the environment */
static void preflight(void)
{
	char buf[64];
	int v;

	if (geteuid() == 0)
		rk_warn("Running RootlessKit as the root user is unsupported.");
	if (rk_read_file("/proc/sys/kernel/unprivileged_userns_clone", buf,
			 sizeof(buf)) > 0 && atoi(buf) == 0)
		rk_warn("/proc/sys/kernel/unprivileged_userns_clone needs to be set to 1.");
	if (rk_read_file("/proc/sys/user/max_user_namespaces", buf,
			 sizeof(buf)) > 0) {
		v = atoi(buf);
		if (v == 0)
			rk_warn("/proc/sys/user/max_user_namespaces needs to be set to non-zero.");
		else if (v < 1024)
			rk_warn("/proc/sys/user/max_user_namespaces=%d may be low. Consider setting to >= 1024.",
				v);
	}
}

/* warn_propagation() - a non-private propagation needs a shared host "/" */
static void warn_propagation(const char *p)
{
	cleanup_free char *buf = malloc(1 << 20);
	char *line, *save = NULL;

	if (!buf || strstr(p, "private") ||
	    rk_read_file("/proc/self/mountinfo", buf, 1 << 20) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char mp[4096], *opt, *sep;
		int i;

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    strcmp(mp, "/"))
			continue;
		opt = line;
		for (i = 0; i < 6 && opt; i++)
			opt = strchr(opt + 1, ' ');
		sep = opt ? strstr(opt, " - ") : NULL;
		if (!opt || !sep)
			return;
		*sep = '\0';	/* opt: " shared:1 master:2" or "" */
		if (!strstr(opt, "shared"))
			rk_warn("The host root filesystem is mounted as \"%s\". Setting child propagation to \"%s\" is not supported.",
				*opt ? opt + 1 : "", p);
		return;
	}
}

int rk_parent_validate(struct rk_opts *o, struct rk_err *err)
{
	int i;

	if (*o->evacuate_cgroup2) {
		if (!o->cgroupns)
			return rk_err_set(err, "evacuate-cgroup2 requires --cgroupns");
		if (!o->pidns)
			return rk_err_set(err, "evacuate-cgroup2 requires --pidns");
		/* upstream checks the name only when it evacuates */
		if (rk_cgroup2_check_name(o->evacuate_cgroup2, err) < 0)
			return -1;
	}
	if (strcmp(o->reaper, "auto") && strcmp(o->reaper, "true") &&
	    strcmp(o->reaper, "false"))
		return rk_err_set(err, "unknown reaper mode: %s", o->reaper);
	if (!strcmp(o->reaper, "true") && !o->pidns)
		return rk_err_set(err, "reaper requires --pidns");
	if (strcmp(o->copy_up_mode, "tmpfs+symlink"))
		return rk_err_set(err, "unknown copy-up mode: %s",
				  o->copy_up_mode);
	if (!rk_propagation_flags(o->propagation))
		return rk_err_set(err, "unknown propagation: %s (expected private, rprivate, shared, rshared, slave or rslave)",
				  o->propagation);
	if (o->copy_up.n && strstr(o->propagation, "shared"))
		return rk_err_set(err, "propagation %s does not support copy-up driver tmpfs+symlink",
				  o->propagation);
	for (i = 0; i < o->copy_up.n; i++) {
		char d[4096];

		snprintf(d, sizeof(d), "%s", o->copy_up.v[i]);
		rk_clean_path(d);
		if (d[0] != '/')
			return rk_err_set(err, "copy-up directory must be absolute: %s",
					  o->copy_up.v[i]);
		if (!strcmp(d, "/tmp"))
			return rk_err_set(err, "/tmp cannot be copied up");
	}
	if (rk_bypass_validate(o, err) < 0)
		return -1;
	if (strcmp(o->subid_source, "auto") &&
	    strcmp(o->subid_source, "dynamic") &&
	    strcmp(o->subid_source, "static"))
		return rk_err_set(err, "unknown subid source \"%s\"",
				  o->subid_source);
	return 0;
}

/* The port drivers (--port-driver): what each needs and how it is made. */
struct port_driver_kind {
	const char *name;
	const char *const *protos;	/* what -p may ask for; NULL: no -p */
	const char *net;		/* the --net it requires, or NULL */
	/* check(): further checks of the flags, or NULL; 0 or -1 */
	int (*check)(const struct rk_opts *o, struct rk_err *err);
	/* create(): the driver, or NULL with @err set; NULL: no driver */
	struct rk_port_driver *(*create)(struct parent *p, struct rk_err *err);
	bool non_host;			/* requires a network other than host */
	bool chan;			/* the child makes its sockets: a channel */
	bool quoted_unsupported;	/* a proto it lacks: "unsupported protocol
					 * \"P\"" (else "unsupported port protocol P") */
	bool helper_forwards;		/* the network helper forwards ports
					 * itself (pasta, implicit) */
	bool helper_api;		/* ports go through the network helper's
					 * API socket (slirp4netns) */
	bool colon_unsupported;		/* ... "unsupported protocol: P" */
};

static int check_none(const struct rk_opts *o, struct rk_err *err)
{
	if (o->publish.n)
		return rk_err_set(err, "port driver \"none\" does not support publishing ports");
	return 0;
}

static int check_implicit(const struct rk_opts *o, struct rk_err *err)
{
	if (o->publish.n)
		rk_warn("--publish is ignored with --port-driver=implicit: pasta forwards every port bound in the namespace by itself");
	return 0;
}

static int check_socat(const struct rk_opts *o, struct rk_err *err)
{
	char bin[4096];

	rk_warn("--port-driver=socat is deprecated (upstream removed it in v0.14.0); use --port-driver=builtin");
	if (rk_lookpath("socat", bin, sizeof(bin), err) < 0)
		return rk_err_wrap(err, "--port-driver=socat needs socat (install the Debian package \"socat\")");
	if (rk_lookpath("nsenter", bin, sizeof(bin), err) < 0)
		return rk_err_wrap(err, "--port-driver=socat needs nsenter (install the Debian package \"util-linux\")");
	return 0;
}

/* check_builtin() - the --builtin-* flags (checked for slirp4netns too) */
static int check_builtin(const struct rk_opts *o, struct rk_err *err)
{
	if (o->busy_poll_us < 0 || o->busy_poll_us > 1000000)
		return rk_err_set(err, "invalid --builtin-busy-poll: %d (must be 0..1000000)",
				  o->busy_poll_us);
	if (o->builtin_udp_timeout < 1)
		return rk_err_set(err, "invalid --builtin-udp-timeout: %d (must be >= 1)",
				  o->builtin_udp_timeout);
	if (o->builtin_udp_max_flows < 1 || o->builtin_udp_max_flows > 1000000)
		return rk_err_set(err, "invalid --builtin-udp-max-flows: %d (must be 1..1000000)",
				  o->builtin_udp_max_flows);
	if (o->builtin_tcp_keepalive < 0 || o->builtin_tcp_keepalive > 32767)
		return rk_err_set(err, "invalid --builtin-tcp-keepalive: %d (must be 0..32767)",
				  o->builtin_tcp_keepalive);
	return 0;
}

/* check_gvisor() - the port driver needs the in-process stack, i.e.
 * --net=gvisor-tap-vsock (upstream fails with this message only once the
 * child is up; we fail before anything is created) */
static int check_gvisor(const struct rk_opts *o, struct rk_err *err)
{
	rk_warn("\"gvisor-tap-vsock\" port driver is experimental");
	if (strcmp(o->net, "gvisor-tap-vsock"))
		return rk_err_set(err, "Virtual network services mux not available in child context");
	return 0;
}

/* raise_nofile() - RLIMIT_NOFILE soft limit to the hard limit, as Go
 * does.  Called once the child is cloned, so the command keeps the
 * user's limit, and before the network helper starts, so slirp4netns and
 * pasta inherit it: a user-mode stack keeps a host socket per connection
 * of the namespace, and those linger after close (with 1024, a connection
 * loop from the namespace soon saw "network unreachable" from slirp4netns
 * and from the in-process libslirp); the builtin driver spends two fds per
 * forwarded TCP connection. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static struct rk_port_driver *create_builtin(struct parent *p, struct rk_err *err)
{
	struct rk_builtin_cfg cfg = {
		.udp_timeout = p->o->builtin_udp_timeout,
		.udp_max_flows = p->o->builtin_udp_max_flows,
		.tcp_keepalive = p->o->builtin_tcp_keepalive,
		.tp_mask = p->tp_mask,
	};

	return rk_builtin_new(&p->loop, rk_steal_fd(&p->chan[0]), &cfg, err);
}

static struct rk_port_driver *create_socat(struct parent *p, struct rk_err *err)
{
	return rk_socat_port_new(&p->loop, p->child, p->net.netns, err);
}

static struct rk_port_driver *create_slirp4netns(struct parent *p, struct rk_err *err)
{
	return rk_slirp4netns_port_new(p->net.api_socket, p->net.cfg.ip, err);
}

static struct rk_port_driver *create_usernet(struct parent *p, struct rk_err *err)
{
	return rk_usernet_port_new(p->net.usernet, p->net.cfg.ip, err);
}

static const struct port_driver_kind port_drivers[] = {
	{ .name = "none", .check = check_none },
	{ .name = "implicit", .net = "pasta", .helper_forwards = true,
	  .check = check_implicit },
	{ .name = "builtin", .protos = rk_builtin_protos, .non_host = true,
	  .chan = true, .check = check_builtin, .create = create_builtin },
	{ .name = "slirp4netns", .protos = rk_slirp4netns_protos,
	  .quoted_unsupported = true, .net = "slirp4netns", .non_host = true,
	  .helper_api = true, .check = check_builtin,
	  .create = create_slirp4netns },
	{ .name = "socat", .protos = rk_socat_protos,
	  .quoted_unsupported = true, .non_host = true, .check = check_socat,
	  .create = create_socat },
	{ .name = "gvisor-tap-vsock", .protos = rk_usernet_protos,
	  .colon_unsupported = true, .non_host = true, .check = check_gvisor,
	  .create = create_usernet },
};

/* check_publish() - every -p spec parses and validates, and port driver
 * @k serves its protocol (each driver's own message: builtin refuses
 * sctp, slirp4netns and socat also *6); returns 0 or -1 */
static int check_publish(const struct rk_opts *o, const struct port_driver_kind *k,
			 struct rk_err *err)
{
	for (int i = 0; i < o->publish.n; i++) {
		const char *s = o->publish.v[i];
		struct rk_port_spec sp;
		bool served = false;

		if (rk_port_spec_parse(s, &sp, err) < 0 ||
		    rk_port_spec_validate(&sp, NULL, 0, err) < 0)
			return -1;
		for (const char *const *q = k->protos; *q && !served; q++)
			served = !strcmp(*q, sp.proto);
		if (served)
			continue;
		if (k->colon_unsupported)
			return rk_err_set(err, "failed to expose port %s: unsupported protocol: %s",
					  s, sp.proto);
		if (k->quoted_unsupported)
			return rk_err_set(err, "failed to expose port %s: unsupported protocol \"%s\"",
					  s, sp.proto);
		return rk_err_set(err, "failed to expose port %s: unsupported port protocol %s",
				  s, sp.proto);
	}
	return 0;
}

/* validate_ports() - port-driver checks that depend on the network; sets
 * *@kind to the driver's entry.  Returns 0 or -1 */
static int validate_ports(const struct rk_opts *o,
			  const struct port_driver_kind **kind, struct rk_err *err)
{
	const struct port_driver_kind *k = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(port_drivers) && !k; i++) {
		if (!strcmp(port_drivers[i].name, o->port_driver))
			k = &port_drivers[i];
	}
	if (!k)
		return rk_err_set(err, "unknown port driver: %s", o->port_driver);
	*kind = k;
	if (k->net && strcmp(o->net, k->net))
		return rk_err_set(err, "port driver requires %s network", k->net);
	if (k->non_host && !strcmp(o->net, "host"))
		return rk_err_set(err, "port driver requires non-host network");
	if (k->check && k->check(o, err) < 0)
		return -1;
	return k->protos ? check_publish(o, k, err) : 0;
}

static int send_msg(struct parent *p, json_t *m, struct rk_err *err)
{
	int r = rk_msg_send(p->p2c, m, err);

	json_decref(m);
	return r;
}

/* reap_child() - wait for the child; returns 0 if it exited 0, else -1
 * with "child exited: <status>" and the exit code to propagate */
static int reap_child(struct parent *p, struct rk_err *err)
{
	char st[64];
	int status;

	while (waitpid(p->child, &status, 0) < 0) {
		if (errno != EINTR)
			return rk_err_errno(err, errno, "wait for the child");
	}
	p->child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	rk_err_set(err, "child exited: %s",
		   rk_wait_status_str(status, st, sizeof(st)));
	err->exit_code = rk_wait_status_exit_code(status);
	return -1;
}

/* child_failed() - the child died before finishing set-up */
static int child_failed(struct parent *p, struct rk_err *err)
{
	if (reap_child(p, err) == 0)
		return rk_err_set(err, "child exited before completing set-up");
	return -1;
}

/* expect_msg() - wait for message @name from the child, watching the
 * network helper meanwhile; stores it in *@out if @out is not NULL */
static int expect_msg(struct parent *p, const char *name, json_t **out,
		      struct rk_err *err)
{
	json_t *m;

	while (p->helper_pidfd >= 0) {
		struct pollfd pf[2] = {
			{ .fd = p->c2p, .events = POLLIN },
			{ .fd = p->helper_pidfd, .events = POLLIN },
		};

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return rk_err_errno(err, errno, "poll");
		}
		if (pf[0].revents)
			break;
		if (pf[1].revents)
			return rk_net_helper_failed(&p->net, p->net.kind == RK_NET_PASTA ?
						    "pasta" : "slirp4netns", err);
	}
	m = rk_msg_recv(p->c2p, name, err);

	if (!m) {
		if (strstr(err->msg, "got EOF") || err->errnum == EPIPE)
			return child_failed(p, err);
		return -1;
	}
	if (out)
		*out = m;
	else
		json_decref(m);
	return 0;
}

/* expect() - expect_msg() without keeping the message */
static int expect(struct parent *p, const char *name, struct rk_err *err)
{
	return expect_msg(p, name, NULL, err);
}

/* start_child() - clone the child into its namespaces; returns 0 or -1 */
static int start_child(struct parent *p, struct rk_err *err)
{
	unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD;
	int p2c[2], c2p[2], listen_fds = 0;
	bool fix_listen_pid = false;
	const char *lp = getenv("LISTEN_PID"), *lf = getenv("LISTEN_FDS");
	char buf[32];
	pid_t pid;

	/* --detach-netns: the child makes $SD/netns and stays in ours */
	if (p->net.kind != RK_NET_HOST && !p->o->detach_netns)
		flags |= CLONE_NEWNET;
	if (p->o->pidns)
		flags |= CLONE_NEWPID;
	if (p->o->utsns)
		flags |= CLONE_NEWUTS;
	if (p->o->ipcns)
		flags |= CLONE_NEWIPC;
	if (p->o->cgroupns)
		flags |= CLONE_NEWCGROUP;
	if (lp && lf && rk_parse_int(lp, &listen_fds) == 0 &&
	    rk_parse_int(lf, &listen_fds) == 0 && listen_fds > 0) {
		int lpid = 0;

		rk_parse_int(lp, &lpid);
		fix_listen_pid = lpid == getpid();
	} else {
		listen_fds = 0;
	}

	setenv("ROOTLESSKIT_STATE_DIR", p->sd.path, 1);
	snprintf(buf, sizeof(buf), "%u", (unsigned)geteuid());
	setenv("ROOTLESSKIT_PARENT_EUID", buf, 1);
	snprintf(buf, sizeof(buf), "%u", (unsigned)getegid());
	setenv("ROOTLESSKIT_PARENT_EGID", buf, 1);

	/* the builtin port driver's channel; gvisor-tap-vsock: the child
	 * sends the TAP device on it */
	if ((p->pdk->chan || p->net.kind == RK_NET_USERNET) &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p->chan) < 0)
		return rk_err_errno(err, errno, "socketpair");
	if (p->o->bypass4netns &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		       p->bypass_chan) < 0)
		return rk_err_errno(err, errno, "socketpair");
	if (pipe2(p2c, O_CLOEXEC) < 0)
		return rk_err_errno(err, errno, "pipe");
	if (pipe2(c2p, O_CLOEXEC) < 0) {
		close(p2c[0]);
		close(p2c[1]);
		return rk_err_errno(err, errno, "pipe");
	}
	fflush(NULL);
	pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		struct rk_child_ctx c = {
			.o = p->o, .net = p->net.kind, .statedir = p->sd.path,
			.statedir_fd = p->sd.dirfd,
			.rfd = p2c[0], .wfd = c2p[1], .sfd = -1, .reaper = p->reaper,
			.listen_fds = listen_fds,
			.fix_listen_pid = fix_listen_pid,
			.port_fd = p->pdk->chan ? p->chan[1] : -1,
			.tap_chan = p->net.kind == RK_NET_USERNET ? p->chan[1] : -1,
			.bypass_fd = p->bypass_chan[1],
			.watch_fd = -1,
		};

		close(p2c[1]);
		if (p->chan[0] >= 0)
			close(p->chan[0]);
		if (p->bypass_chan[0] >= 0)
			close(p->bypass_chan[0]);
		close(c2p[0]);
		close(p->sd.lockfd);	/* dirfd: the child creates files there */
		_exit(rk_child_main(&c));
	}
	close(p2c[0]);
	close(c2p[1]);
	if (p->chan[1] >= 0) {
		close(p->chan[1]);
		p->chan[1] = -1;
	}
	if (p->bypass_chan[1] >= 0) {
		close(p->bypass_chan[1]);
		p->bypass_chan[1] = -1;
	}
	p->p2c = p2c[1];
	p->c2p = c2p[0];
	if (pid < 0) {
		int e = errno;
		char ap[256];

		if (e == EACCES &&
		    rk_read_file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
				 ap, sizeof(ap)) > 0 && atoi(ap) == 1)
			rk_warn("This error might have happened because /proc/sys/kernel/apparmor_restrict_unprivileged_userns is set to 1; allow user namespaces for rootlesskit with an AppArmor profile (\"userns,\").");
		return rk_err_errno(err, e, "failed to start the child");
	}
	p->child = pid;
	p->child_pidfd = rk_pidfd_open(pid);
	if (p->child_pidfd < 0)
		return rk_err_errno(err, errno, "pidfd_open");
	return 0;
}

/* netcfg_msg() - ParentInitNetworkDriverCompleted */
static json_t *netcfg_msg(const struct rk_netcfg *c)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:b}", "Name",
			 "ParentInitNetworkDriverCompleted", "Dev", c->dev, "IP",
			 c->ip, "Netmask", c->prefix, "Gateway", c->gateway,
			 "DNS0", c->dns, "MTU", c->mtu, "ConfiguresInterface",
			 c->configures_iface);
}

/* write_child_pid() - $SD/child_pid, 0444, no newline, atomically: a new
 * .child_pid.tmp renamed into place; returns 0 or -1 */
static int write_child_pid(struct parent *p, struct rk_err *err)
{
	char s[32];
	int n = snprintf(s, sizeof(s), "%d", (int)p->child);

	if (rk_create_file_at(p->sd.dirfd, ".child_pid.tmp", s, (size_t)n,
			      0444) < 0)
		return rk_err_errno(err, errno, "write %s/.child_pid.tmp",
				    p->sd.path);
	if (renameat(p->sd.dirfd, ".child_pid.tmp", p->sd.dirfd,
		     "child_pid") < 0) {
		int e = errno;

		unlinkat(p->sd.dirfd, ".child_pid.tmp", 0);
		return rk_err_errno(err, e, "write %s/child_pid", p->sd.path);
	}
	return 0;
}

/* sig_cb() - forward signals to the child */
static void sig_cb(struct rk_watch *w, uint32_t events)
{
	struct parent *p = container_of(w, struct parent, sigw);
	int sig;

	while ((sig = rk_sigfwd_read(w->fd)) > 0)
		kill(p->child, sig);
}

/* child_cb() - the child's pidfd is readable: it exited */
static void child_cb(struct rk_watch *w, uint32_t events)
{
	container_of(w, struct parent, childw)->child_exited = true;
}

/* start_ports() - the event loop, the port driver and every -p port;
 * returns 0 or -1 ("failed to expose port SPEC: ...") */
static int start_ports(struct parent *p, struct rk_err *err)
{
	if (rk_loop_init(&p->loop, err) < 0)
		return -1;
	p->loop.busy_ns = (uint64_t)p->o->busy_poll_us * 1000;
	p->sigw = (struct rk_watch){ .fd = p->sfd, .cb = sig_cb };
	p->childw = (struct rk_watch){ .fd = p->child_pidfd, .cb = child_cb };
	if (rk_loop_add(&p->loop, &p->sigw, EPOLLIN) < 0 ||
	    rk_loop_add(&p->loop, &p->childw, EPOLLIN) < 0)
		return rk_err_errno(err, errno, "epoll_ctl");
	if (rk_net_attach(&p->net, &p->loop, p->chan[0], err) < 0)
		return -1;
	if (!p->pdk->chan && p->chan[0] >= 0) {
		close(p->chan[0]);	/* the TAP device was all it carried */
		p->chan[0] = -1;
	}
	if (!p->pdk->create)
		return 0;
	p->ports.drv = p->pdk->create(p, err);
	if (!p->ports.drv)
		return -1;
	for (int i = 0; i < p->o->publish.n; i++) {
		const char *s = p->o->publish.v[i];
		struct rk_port_spec sp;
		struct rk_port_status st;

		if (rk_port_spec_parse(s, &sp, err) < 0 ||
		    rk_ports_add(&p->ports, &sp, &st, err) < 0)
			return rk_err_wrap(err, "failed to expose port %s", s);
		rk_debug("exposed port %s as ID %d", s, st.id);
	}
	return 0;
}

/* net_info() - NetworkDriverInfo for /v1/info; NULL for the host network */
static json_t *net_info(const struct parent *p)
{
	json_t *o;

	if (p->net.kind == RK_NET_HOST)
		return NULL;
	o = json_pack("{s:s}", "driver", p->o->net);
	if (o && p->net.cfg.dns[0])
		json_object_set_new(o, "dns", json_pack("[s]", p->net.cfg.dns));
	if (o && p->net.cfg.ip[0])
		json_object_set_new(o, "childIP", json_string(p->net.cfg.ip));
	/* lxc-user-nic: the child's address comes by DHCP, as upstream */
	if (o && p->net.kind == RK_NET_LXC_USER_NIC)
		json_object_set_new(o, "dynamicChildIP", json_true());
	return o;
}

/* start_api() - serve $SD/api.sock; returns 0 or -1 */
static int start_api(struct parent *p, struct rk_err *err)
{
	char path[4200];
	json_t *info = json_pack("{s:s, s:s, s:s, s:i}", "apiVersion",
				 RK_API_VERSION, "version", RK_VERSION,
				 "stateDir", p->sd.path, "childPID", (int)p->child);
	json_t *ni = net_info(p);

	if (!info)
		return rk_err_set(err, "out of memory");
	if (ni)
		json_object_set_new(info, "networkDriver", ni);
	json_object_set_new(info, "bypass4netns", rk_bypass_info(p->o));
	snprintf(path, sizeof(path), "%s/api.sock", p->sd.path);
	return rk_api_start(&p->api, &p->loop, path, &p->ports, info, err);
}

/* run() - from the child's clone to its exit; returns 0 or -1 */
static int run(struct parent *p, struct rk_err *err)
{
	json_t *m;

	if (start_child(p, err) < 0)
		return -1;
	if (send_msg(p, json_pack("{s:s}", "Name", "ParentHello"), err) < 0 ||
	    expect(p, "ChildHello", err) < 0)
		return -1;
	if (rk_idmap_setup(p->child, p->o->subid_source, err) < 0)
		return -1;
	if (send_msg(p, json_pack("{s:s}", "Name", "ParentInitIdmapCompleted"),
		     err) < 0 ||
	    expect(p, "ChildInitUserNSCompleted", err) < 0)
		return -1;

	p->sfd = rk_sigfwd_open(false);
	if (p->sfd < 0)
		return rk_err_errno(err, errno, "signalfd");

	if (*p->o->evacuate_cgroup2 &&
	    rk_cgroup2_evacuate(p->o->evacuate_cgroup2, err) < 0)
		return -1;
	raise_nofile();
	if (rk_net_start(&p->net, p->child, p->child_pidfd, p->sd.path,
			 err) < 0) {
		if (err->errnum == ECHILD)
			return child_failed(p, err);
		return -1;
	}
	if (p->net.helper > 0) {
		p->helper_pidfd = rk_pidfd_open(p->net.helper);
		if (p->helper_pidfd < 0)
			return rk_err_errno(err, errno, "pidfd_open");
	}
	if (send_msg(p, netcfg_msg(&p->net.cfg), err) < 0 ||
	    send_msg(p, json_pack("{s:s}", "Name",
				  "ParentInitPortDriverCompleted"), err) < 0)
		return -1;
	if (expect_msg(p, "ChildInitCompleted", &m, err) < 0)
		return -1;
	/* what source-IP transparency the child could set up (RK_TP_*) */
	p->tp_mask = (int)json_integer_value(json_object_get(m, "SourceIPTransparent"));
	json_decref(m);
	if (p->helper_pidfd >= 0) {
		close(p->helper_pidfd);
		p->helper_pidfd = -1;
	}
	if (start_ports(p, err) < 0)
		return -1;
	/* api.sock listens before child_pid appears, so a client that waits
	 * for child_pid can connect at once (upstream has a window there);
	 * requests are answered once the loop below runs */
	if (start_api(p, err) < 0)
		return -1;
	/* the command's seccomp listener arrives once it starts */
	if (p->o->bypass4netns) {
		p->bypass = rk_bypass_start(&p->loop, rk_steal_fd(&p->bypass_chan[0]),
					    p->o, p->child, &p->net.cfg,
					    &p->ports, p->api.info, err);
		if (!p->bypass)
			return -1;
	}
	if (write_child_pid(p, err) < 0)
		return -1;
	/* EOF on the pipe lets the child start the command */
	close(p->p2c);
	p->p2c = -1;
	rk_debug("child %d is ready", (int)p->child);

	/* one thread from here on: signals, the child, the API, the ports,
	 * the network helper (restarted if it dies) */
	if (rk_supervise_start(&p->sup, &p->net, &p->ports, &p->loop, p->child,
			       p->child_pidfd, p->sd.path, err) < 0)
		return -1;
	while (!p->child_exited && !p->sup.failed) {
		if (rk_loop_run_once(&p->loop, -1) < 0)
			return rk_err_errno(err, errno, "epoll_wait");
	}
	if (!p->child_exited) {
		*err = p->sup.err;
		return -1;
	}
	return reap_child(p, err);
}

int rk_parent_main(struct rk_opts *o, struct rk_err *err)
{
	struct parent p = { .o = o, .child_pidfd = -1, .helper_pidfd = -1,
			    .p2c = -1, .c2p = -1, .sfd = -1, .chan = { -1, -1 },
			    .bypass_chan = { -1, -1 },
			    .loop = { .epfd = -1 } };
	/* unix sockets made in the state dir: their paths must fit */
	const char *socks[] = { "api.sock", NULL, NULL };
	int r;

	if (o->ntarget < 1)
		return rk_err_set(err, "no command specified");
	preflight();
	if (rk_parent_validate(o, err) < 0 ||
	    rk_net_prepare(&p.net, o, err) < 0 || validate_ports(o, &p.pdk, err) < 0)
		return -1;
	warn_propagation(o->propagation);
	p.net.auto_ports = p.pdk->helper_forwards;
	p.net.port_api = p.pdk->helper_api;
	if (p.net.port_api)
		socks[1] = ".s4nn.sock";
	p.reaper = !strcmp(o->reaper, "true") ||
		   (!strcmp(o->reaper, "auto") && o->pidns);

	if (rk_statedir_open(&p.sd, o->state_dir, socks, err) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);	/* splice() cannot say MSG_NOSIGNAL */
	/* With file capabilities (setcap cap_net_bind_service=ep, for ports
	 * below 1024) the kernel makes us non-dumpable: /proc/<pid> of the
	 * child would then belong to root and newuidmap and slirp4netns could
	 * not use it.  The capability is the user's to use anyway. */
	if (prctl(PR_GET_DUMPABLE) != 1)
		prctl(PR_SET_DUMPABLE, 1);
	r = run(&p, err);
	rk_supervise_stop(&p.sup);
	rk_bypass_stop(p.bypass);
	rk_api_stop(&p.api);
	rk_ports_fini(&p.ports);
	if (r < 0 && p.child > 0) {
		kill(p.child, SIGKILL);
		waitpid(p.child, NULL, 0);
	}
	rk_net_stop(&p.net);
	rk_statedir_remove(&p.sd);
	if (p.child_pidfd >= 0)
		close(p.child_pidfd);
	if (p.helper_pidfd >= 0)
		close(p.helper_pidfd);
	if (p.p2c >= 0)
		close(p.p2c);
	if (p.c2p >= 0)
		close(p.c2p);
	if (p.loop.epfd >= 0) {
		/* the signalfd and pidfd watches are closed below */
		rk_loop_fini(&p.loop);
	}
	if (p.sfd >= 0)
		close(p.sfd);
	for (int i = 0; i < 2; i++) {
		if (p.chan[i] >= 0)
			close(p.chan[i]);
		if (p.bypass_chan[i] >= 0)
			close(p.bypass_chan[i]);
	}
	return r;
}
