// SPDX-License-Identifier: Apache-2.0
/*
 * slirp4netns.c - the slirp4netns network driver (parent side)
 *
 * Theory of operation: slirp4netns joins the child's user and network
 * namespaces by PID, creates the TAP device there and writes one byte to
 * its ready fd (our fd 3) once the network is up.  We probe its features
 * from "--help" first, so that unsupported flags fail before anything is
 * created.  Its output is kept in an anonymous memory file and shown only
 * with --debug or when it fails.  It runs with PDEATHSIG=SIGKILL, so it
 * cannot outlive us, and is killed by rk_net_stop().
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include "../lib/log.h"
#include "../lib/proc.h"
#include "../lib/signame.h"
#include "../lib/util.h"

static bool kernel_supports_seccomp(void)
{
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
		return false;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) < 0 &&
	    errno == EINVAL)
		return false;
	return true;
}

/* tri_state() - "auto"/"true"/"false" option; returns 0 or -1 */
static int tri_state(const char *v, bool supported, const char *what,
		     bool *out, struct rk_err *err)
{
	if (!strcmp(v, "auto")) {
		*out = supported;
	} else if (!strcmp(v, "true")) {
		if (!supported)
			return rk_err_set(err, "this version of slirp4netns does not support --enable-%s",
					  what);
		*out = true;
	} else if (!strcmp(v, "false") || !*v) {
		*out = false;
	} else {
		return rk_err_set(err, "unsupported slirp4netns-%s mode: \"%s\"",
				  what, v);
	}
	return 0;
}

/**
 * rk_slirp4netns_prepare() - find slirp4netns and check its features
 * @n:		driver
 * @err:	error out
 *
 * Return: 0, or -1 with @err set
 */
int rk_slirp4netns_prepare(struct rk_net *n, struct rk_err *err)
{
	char *argv[] = { n->bin, "--help", NULL };
	char help[16384];
	bool kseccomp;
	int status;

	if (rk_lookpath(n->o->slirp4netns_binary, n->bin, sizeof(n->bin),
			err) < 0) {
		if (!strcmp(n->o->slirp4netns_binary, "slirp4netns"))
			rk_err_wrap(err, "--net=slirp4netns needs slirp4netns (install the Debian package \"slirp4netns\")");
		return -1;
	}
	if (rk_run(argv, help, sizeof(help), &status, err) < 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char st[64];

		return rk_err_set(err, "command \"%s --help\" failed, make sure slirp4netns v0.4.0+ is installed: \"%s\": %s",
				  n->bin, help,
				  rk_wait_status_str(status, st, sizeof(st)));
	}
	if (!strstr(help, "--netns-type"))
		return rk_err_set(err, "slirp4netns seems older than v0.4.0");
	if (n->o->disable_host_loopback && !strstr(help, "--disable-host-loopback"))
		return rk_err_set(err, "this version of slirp4netns does not support --disable-host-loopback");
	if (*n->o->cidr && !strstr(help, "--cidr"))
		return rk_err_set(err, "this version of slirp4netns does not support --cidr");
	if (n->o->ipv6 && !strstr(help, "--enable-ipv6"))
		return rk_err_set(err, "this version of slirp4netns does not support --enable-ipv6");
	/* the sandbox cannot work on a detached netns (slirp4netns issue 317) */
	if (n->o->detach_netns && !strcmp(n->o->slirp4netns_sandbox, "true"))
		return rk_err_set(err, "--slirp4netns-sandbox conflicts with --detach-netns (https://github.com/rootless-containers/slirp4netns/issues/317)");
	if (tri_state(n->o->slirp4netns_sandbox,
		      strstr(help, "--enable-sandbox") != NULL &&
		      !n->o->detach_netns, "sandbox", &n->sandbox, err) < 0)
		return -1;
	kseccomp = kernel_supports_seccomp();
	if (!strcmp(n->o->slirp4netns_seccomp, "true") && !kseccomp)
		return rk_err_set(err, "kernel doesn't support seccomp");
	if (tri_state(n->o->slirp4netns_seccomp,
		      strstr(help, "--enable-seccomp") != NULL && kseccomp,
		      "seccomp", &n->seccomp, err) < 0)
		return -1;
	return 0;
}

/**
 * rk_slirp4netns_start() - start slirp4netns and wait until it is ready
 * @n:		driver
 * @pid:	child PID
 * @child_pidfd: watched: the child dying ends the wait
 * @err:	error out
 *
 * Return: 0, or -1 with @err set ("slirp4netns failed: <output>")
 */
int rk_slirp4netns_start(struct rk_net *n, pid_t pid, int child_pidfd,
			 struct rk_err *err)
{
	char mtu[16], pidstr[16], userns[64];
	char *argv[24];
	struct rk_spawn sp = { .argv = argv, .stdout_fd = -1, .stderr_fd = -1,
			       .setpgid = true };
	cleanup_fd int rfd = -1, spfd = -1;
	int argc = 0, pfd[2];

	snprintf(mtu, sizeof(mtu), "%d", n->cfg.mtu);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	argv[argc++] = n->bin;
	argv[argc++] = "--mtu";
	argv[argc++] = mtu;
	argv[argc++] = "-r";
	argv[argc++] = "3";
	if (n->o->disable_host_loopback)
		argv[argc++] = "--disable-host-loopback";
	if (*n->o->cidr) {
		argv[argc++] = "--cidr";
		argv[argc++] = (char *)n->o->cidr;
	}
	if (*n->api_socket) {
		argv[argc++] = "--api-socket";
		argv[argc++] = n->api_socket;
	}
	if (n->sandbox)
		argv[argc++] = "--enable-sandbox";
	if (n->seccomp)
		argv[argc++] = "--enable-seccomp";
	if (n->o->ipv6)
		argv[argc++] = "--enable-ipv6";
	if (*n->netns) {
		/* detached: the netns by path, in the child's user namespace */
		snprintf(userns, sizeof(userns), "--userns-path=/proc/%d/ns/user",
			 (int)pid);
		argv[argc++] = userns;
		argv[argc++] = "--netns-type=path";
		argv[argc++] = n->netns;
	} else {
		argv[argc++] = pidstr;
	}
	argv[argc++] = n->cfg.dev;
	argv[argc] = NULL;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return rk_err_errno(err, errno, "pipe");
	rfd = pfd[0];
	if (!rk_log_debug_enabled()) {
		n->helper_out = memfd_create("slirp4netns-output", MFD_CLOEXEC);
		if (n->helper_out < 0) {
			close(pfd[1]);
			return rk_err_errno(err, errno, "memfd_create");
		}
		sp.stdout_fd = sp.stderr_fd = n->helper_out;
	}
	sp.nfds = 1;
	sp.fds[0] = pfd[1];
	rk_debug("network/slirp4netns: starting %s --mtu %s ... %s %s",
		 n->bin, mtu, pidstr, n->cfg.dev);
	n->helper = rk_spawn(&sp, err);
	close(pfd[1]);
	if (n->helper < 0) {
		n->helper = 0;
		return rk_err_wrap(err, "setting up network");
	}
	spfd = rk_pidfd_open(n->helper);
	if (spfd < 0)
		return rk_err_errno(err, errno, "pidfd_open");

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = rfd, .events = POLLIN },
			{ .fd = spfd, .events = POLLIN },
			{ .fd = child_pidfd, .events = POLLIN },
		};
		char c;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return rk_err_errno(err, errno, "poll");
		}
		if (p[0].revents) {
			ssize_t r = read(rfd, &c, 1);

			if (r == 1)
				return 0;
			if (r < 0 && errno == EINTR)
				continue;
			/* EOF without a byte: slirp4netns is exiting */
			p[1].revents = POLLIN;
		}
		if (p[1].revents)
			return rk_net_helper_failed(n, "slirp4netns", err);
		if (p[2].revents) {
			rk_err_set(err, "child exited while waiting for slirp4netns");
			err->errnum = ECHILD;
			return -1;
		}
	}
}
