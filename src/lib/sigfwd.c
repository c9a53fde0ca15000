// SPDX-License-Identifier: Apache-2.0
/*
 * sigfwd.c - signal forwarding, see sigfwd.h
 */
#include "sigfwd.h"

#include <errno.h>
#include <sys/signalfd.h>
#include <unistd.h>

void rk_sigfwd_set(sigset_t *set, bool with_sigchld)
{
	int sig;

	sigemptyset(set);
	for (sig = 1; sig < 32; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD ||
		    sig == SIGPIPE || sig == SIGURG)
			continue;
		sigaddset(set, sig);
	}
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
	if (with_sigchld)
		sigaddset(set, SIGCHLD);
}

int rk_sigfwd_open(bool with_sigchld)
{
	sigset_t set;

	rk_sigfwd_set(&set, with_sigchld);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int rk_sigfwd_read(int sfd)
{
	struct signalfd_siginfo si;
	ssize_t n;

	do
		n = read(sfd, &si, sizeof(si));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n != sizeof(si))
		return -1;
	return (int)si.ssi_signo;
}
