// SPDX-License-Identifier: Apache-2.0
/*
 * supervise.c - keep the network helper alive after start-up
 *
 * Theory of operation: slirp4netns or pasta is the namespace's only way
 * out.  Upstream never looks at it again once it is up, so after a crash
 * or a kill -9 the command keeps running with its network silently dead
 * and the helper stays a zombie.  Here its pidfd sits in the parent's
 * event loop.  When it exits:
 *
 *   1. it is reaped at once, and a warning says how it ended (its output
 *      goes to the --debug log);
 *   2. a timerfd starts a new one after a back-off: at once if the helper
 *      had run for 30 s or more, else 100 ms doubling with every failure
 *      in a row (a helper that died within 30 s, or a restart that failed);
 *   3. the new helper is started exactly as the first (rk_net_start(): the
 *      same argv, the same readiness wait).  pasta configures the new
 *      interface itself; slirp4netns makes a new, unconfigured TAP device,
 *      which the child (or, with --detach-netns, its netns agent) sees on
 *      netlink and configures again (src/child/netsetup.c);
 *   4. ports of the slirp4netns port driver, which live inside slirp4netns,
 *      are exposed again (rk_ports_reattach()), keeping their IDs.
 *
 * After RK_SUPERVISE_MAX_TRIES failed attempts in a row it gives up:
 * s->failed is set with the reason, and the parent ends (killing the
 * child) with that error, instead of running on without a network.
 * The restart blocks the loop for slirp4netns's readiness wait (a few
 * milliseconds), which also ends if the child dies meanwhile.
 */
#include "supervise.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/proc.h"
#include "../lib/signame.h"
#include "../lib/util.h"

#define HEALTHY_MS	(30ULL * 1000ULL)

static const char *helper_name(const struct rk_supervise *s)
{
	return s->net->kind == RK_NET_PASTA ? "pasta" : "slirp4netns";
}

/* watch_helper() - the running helper's pidfd into the loop; 0 or -1 */
static int watch_helper(struct rk_supervise *s, struct rk_err *err)
{
	s->pw.fd = rk_pidfd_open(s->net->helper);
	if (s->pw.fd < 0 || rk_loop_add(s->loop, &s->pw, EPOLLIN) < 0) {
		rk_loop_close(s->loop, &s->pw);
		return rk_err_errno(err, errno, "watching %s", helper_name(s));
	}
	s->started_ms = rk_now_ms();
	return 0;
}

/* arm() - next restart in @ms milliseconds (0: at once) */
static void arm(struct rk_supervise *s, long ms)
{
	struct itimerspec its = { .it_value = { .tv_sec = ms / 1000,
						.tv_nsec = (ms % 1000) * 1000000 + !ms } };

	if (timerfd_settime(s->tw.fd, 0, &its, NULL) < 0) {
		s->failed = true;
		rk_err_errno(&s->err, errno, "timerfd_settime");
	}
}

/* restart() - start a new helper and expose ports again; 0 or -1 */
static int restart(struct rk_supervise *s, struct rk_err *err)
{
	struct stat st;

	/* slirp4netns cannot bind its API socket over the dead one's */
	if (*s->net->api_socket && lstat(s->net->api_socket, &st) == 0 &&
	    S_ISSOCK(st.st_mode))
		unlink(s->net->api_socket);
	if (rk_net_start(s->net, s->child, s->child_pidfd, s->statedir, err) < 0)
		return -1;
	if (watch_helper(s, err) < 0)
		return -1;
	s->restarts++;
	rk_warn("network/%s: restarted (restart %d)", helper_name(s),
		s->restarts);
	if (s->ports->drv && s->ports->drv->reattach &&
	    rk_ports_reattach(s->ports) == 0 && s->ports->n)
		rk_warn("network/%s: %d port(s) exposed again", helper_name(s),
			s->ports->n);
	return 0;
}

/* fail() - one more failure in a row: give up after
 * RK_SUPERVISE_MAX_TRIES, else arm the next restart after the back-off */
static void fail(struct rk_supervise *s, const char *why)
{
	s->tries++;
	if (s->tries >= RK_SUPERVISE_MAX_TRIES) {
		s->failed = true;
		rk_err_set(&s->err, "network driver %s exited and could not be restarted (%d failures in a row): %s",
			   helper_name(s), s->tries, why);
		return;
	}
	arm(s, 100L << (s->tries - 1));
}

/* timer_cb() - time for the next restart */
static void timer_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_supervise *s = container_of(w, struct rk_supervise, tw);
	struct rk_err err = { 0 };
	uint64_t n;

	if (read(w->fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	if (restart(s, &err) == 0) {
		return;
	}
	if (err.errnum == ECHILD)
		return;		/* the child is gone: the parent ends anyway */
	rk_warn("network/%s: restart failed: %s", helper_name(s), err.msg);
	fail(s, err.msg);
}

/* helper_cb() - the helper exited: reap, log, schedule the restart */
static void helper_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_supervise *s = container_of(w, struct rk_supervise, pw);
	char out[1024], st[64];
	int status = 0;

	rk_loop_close(s->loop, &s->pw);
	while (waitpid(s->net->helper, &status, 0) < 0 && errno == EINTR)
		;
	s->net->helper = 0;
	rk_read_output(s->net->helper_out, out, sizeof(out));
	if (s->net->helper_out >= 0) {
		close(s->net->helper_out);
		s->net->helper_out = -1;
	}
	rk_wait_status_str(status, st, sizeof(st));
	rk_warn("network/%s: %s exited unexpectedly (%s); restarting it",
		helper_name(s), helper_name(s), st);
	rk_debug("network/%s: its output: %s", helper_name(s), out);
	if (rk_now_ms() - s->started_ms >= HEALTHY_MS) {
		s->tries = 0;
		arm(s, 0);
	} else {
		fail(s, st);
	}
}

int rk_supervise_start(struct rk_supervise *s, struct rk_net *net,
		       struct rk_ports *ports, struct rk_loop *loop, pid_t child,
		       int child_pidfd, const char *statedir, struct rk_err *err)
{
	*s = (struct rk_supervise){
		.net = net, .ports = ports, .loop = loop, .child = child,
		.child_pidfd = child_pidfd, .statedir = statedir,
		.pw = { .fd = -1, .cb = helper_cb },
		.tw = { .fd = -1, .cb = timer_cb },
	};
	if (net->helper <= 0)
		return 0;
	s->tw.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->tw.fd < 0 || rk_loop_add(loop, &s->tw, EPOLLIN) < 0) {
		rk_loop_close(loop, &s->tw);
		return rk_err_errno(err, errno, "timerfd");
	}
	return watch_helper(s, err);
}

void rk_supervise_stop(struct rk_supervise *s)
{
	if (!s->loop)
		return;
	rk_loop_close(s->loop, &s->pw);
	rk_loop_close(s->loop, &s->tw);
}
