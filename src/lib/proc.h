/* SPDX-License-Identifier: Apache-2.0
 *
 * proc.h - starting helper programs (slirp4netns, pasta, newuidmap, the
 * target command) in a known state
 *
 * Theory of operation: rk_spawn() forks; the new process resets its signal
 * mask and dispositions (the parent blocks signals for its signalfd), arms
 * PR_SET_PDEATHSIG=SIGKILL so that no helper outlives rootlesskit, places
 * requested fds at fixed numbers and execs.  Every other fd of ours is
 * O_CLOEXEC, so nothing else leaks.  An exec failure travels back over a
 * close-on-exec pipe, so the caller gets "exec: ...: <reason>" instead of a
 * mysterious exit status 127.
 */
#ifndef RK_PROC_H
#define RK_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

#define RK_SPAWN_MAX_FDS 8

struct rk_spawn {
	char *const *argv;	/* argv[0] is looked up in $PATH unless it has a '/' */
	char *const *envp;	/* NULL: inherit environ */
	int stdout_fd;		/* -1: inherit */
	int stderr_fd;		/* -1: inherit */
	int nfds;		/* fds[i] is placed at fd 3+i */
	int fds[RK_SPAWN_MAX_FDS];
	bool no_pdeathsig;	/* for a helper that daemonises itself anyway */
	int keep_fds;		/* fds 3..3+keep_fds-1 are inherited as they are
				 * (socket activation); all others above the
				 * mapped ones are closed */
	bool setsid;		/* start a new session (reaper mode) */
	bool setpgid;		/* own process group: a terminal's ^C goes to
				 * rootlesskit, which forwards it, not to the
				 * network helpers */
	bool set_listen_pid;	/* LISTEN_PID=<own pid> (socket activation) */
	/* runs in the new process just before the fds are closed and the
	 * program is exec'd (the --bypass4netns filter); NULL: none */
	void (*pre_exec)(void *arg);
	void *pre_exec_arg;
};

/**
 * rk_spawn() - start a helper program
 * @sp:		what to run and how
 * @err:	error out
 *
 * Return: pid of the running program, -1 with @err set (exec failures
 * included: the child is reaped before returning)
 */
pid_t rk_spawn(const struct rk_spawn *sp, struct rk_err *err);

/* rk_run() - run a program to completion, capturing stdout+stderr into
 * @out (NUL-terminated, truncated to @cap-1); returns 0 and the wait status
 * in @status, -1 with @err set when it could not be started */
int rk_run(char *const argv[], char *out, size_t cap, int *status,
	   struct rk_err *err);

/* rk_read_output() - what a helper wrote to the memory file @fd (from the
 * start, at most @cap-1 bytes), trailing newlines and spaces removed, into
 * @buf; "" if @fd is -1 or empty.  Returns @buf */
char *rk_read_output(int fd, char *buf, size_t cap);

/**
 * rk_lookpath() - find an executable
 * @name:	program name or path
 * @out:	resolved path
 * @cap:	size of @out
 * @err:	error out
 *
 * Return: 0 on success, -1 with @err set (Go's exec.LookPath wording)
 */
int rk_lookpath(const char *name, char *out, size_t cap, struct rk_err *err);

/**
 * rk_pidfd_open() - open a pidfd
 * @pid:	process
 *
 * Return: a close-on-exec pidfd, -1 with errno set
 */
int rk_pidfd_open(pid_t pid);

/* rk_reset_signals() - empty signal mask and default dispositions; for code
 * that runs between fork and exec */
void rk_reset_signals(void);

/**
 * rk_fork_piped() - fork with a pipe from the new process back to the caller
 * @rfd:	in the caller: the read end
 * @wfd:	in the new process: the write end
 * @err:	error out
 *
 * Return: fork()'s value (the other end is closed on each side; both ends
 * are close-on-exec), or -1 with @err set
 */
pid_t rk_fork_piped(int *rfd, int *wfd, struct rk_err *err);

#endif
