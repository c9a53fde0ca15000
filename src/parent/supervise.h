/* SPDX-License-Identifier: Apache-2.0
 *
 * supervise.h - the network helper (slirp4netns, pasta) after start-up:
 * noticed when it dies, reaped, logged and restarted (see supervise.c)
 */
#ifndef RK_PARENT_SUPERVISE_H
#define RK_PARENT_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "../lib/loop.h"
#include "../net/net.h"
#include "../port/port.h"

#define RK_SUPERVISE_MAX_TRIES	5	/* failed restarts in a row, then give up */

struct rk_supervise {
	struct rk_net *net;
	struct rk_ports *ports;		/* re-exposed after a restart */
	struct rk_loop *loop;
	pid_t child;
	int child_pidfd;
	const char *statedir;
	struct rk_watch pw;		/* pidfd of the running helper */
	struct rk_watch tw;		/* timerfd: the next restart */
	uint64_t started_ms;		/* when the running helper started */
	int tries;			/* failed restarts in a row */
	int restarts;			/* successful restarts so far */
	bool failed;			/* gave up: @err says why */
	struct rk_err err;
};

/**
 * rk_supervise_start() - watch the network helper
 * @s:		state, filled here
 * @net:	the started network driver
 * @ports:	the port table (its driver may need reattach())
 * @loop:	the parent's event loop
 * @child:	the child's PID
 * @child_pidfd: its pidfd (a restart's wait ends if the child dies)
 * @statedir:	the state directory
 * @err:	error out
 *
 * Return: 0, or -1 with @err set
 */
int rk_supervise_start(struct rk_supervise *s, struct rk_net *net,
		       struct rk_ports *ports, struct rk_loop *loop, pid_t child,
		       int child_pidfd, const char *statedir, struct rk_err *err);

/* rk_supervise_stop() - stop watching (the helper itself is stopped by
 * rk_net_stop()) */
void rk_supervise_stop(struct rk_supervise *s);

#endif
