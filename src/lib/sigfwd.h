/* SPDX-License-Identifier: Apache-2.0
 *
 * sigfwd.h - signal forwarding parent -> child -> command
 *
 * Theory of operation: every catchable signal except SIGCHLD, SIGPIPE and
 * SIGURG is blocked and read from a signalfd, then re-sent with kill(2) to
 * the next process down the chain, as upstream does.  Blocked signals are
 * never dropped by the kernel, even for a PID-namespace init, so the child
 * can forward them in --pidns mode too.
 */
#ifndef RK_SIGFWD_H
#define RK_SIGFWD_H

#include <signal.h>
#include <stdbool.h>

/**
 * rk_sigfwd_set() - fill the set of signals forwarded down the chain
 * @set:	output
 * @with_sigchld: also include SIGCHLD (for reaping, never forwarded)
 */
void rk_sigfwd_set(sigset_t *set, bool with_sigchld);

/**
 * rk_sigfwd_open() - start catching the forwarded signals
 * @with_sigchld: also catch SIGCHLD
 *
 * Return: signalfd, -1 with errno set
 */
int rk_sigfwd_open(bool with_sigchld);

/**
 * rk_sigfwd_read() - dequeue one signal
 * @sfd:	signalfd from rk_sigfwd_open()
 *
 * Return: signal number, 0 when nothing is pending, -1 on error
 */
int rk_sigfwd_read(int sfd);

#endif
