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

/* rk_sigfwd_set() - the set of forwarded signals (plus SIGCHLD if asked) */
void rk_sigfwd_set(sigset_t *set, bool with_sigchld);

/* rk_sigfwd_open() - block the forwarded signals (+SIGCHLD if asked) and
 * return a close-on-exec, non-blocking signalfd, or -1 with errno */
int rk_sigfwd_open(bool with_sigchld);

/* rk_sigfwd_read() - read one signal from @sfd; returns its number, 0 if
 * none is pending, -1 on error */
int rk_sigfwd_read(int sfd);

#endif
