// SPDX-License-Identifier: Apache-2.0
/*
 * proc.c - helper process management, see proc.h
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

void rk_reset_signals(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		signal(sig, SIG_DFL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int rk_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

int rk_lookpath(const char *name, char *out, size_t cap, struct rk_err *err)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	if (!*name)
		return rk_err_set(err, "exec: no command");
	if (strchr(name, '/')) {
		if (!is_executable(name))
			return rk_err_errno(err, errno ? errno : EACCES,
					    "exec: \"%s\"", name);
		snprintf(out, cap, "%s", name);
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchrnul(p, ':');
		if (end == p)
			snprintf(out, cap, "./%s", name);
		else
			snprintf(out, cap, "%.*s/%s", (int)(end - p), p, name);
		if (is_executable(out))
			return 0;
		if (!*end)
			break;
	}
	return rk_err_set(err,
			  "exec: \"%s\": executable file not found in $PATH",
			  name);
}

/* exec_child() - in the forked process: arrange fds and exec; never returns */
static void exec_child(const struct rk_spawn *sp, const char *path,
		       pid_t parent, int errpipe)
{
	int hi[RK_SPAWN_MAX_FDS];
	int i, e;

	rk_reset_signals();
	if (!sp->no_pdeathsig) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
	}
	if (sp->setsid)
		setsid();
	else if (sp->setpgid)
		setpgid(0, 0);
	if (sp->set_listen_pid) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%d", (int)getpid());
		setenv("LISTEN_PID", buf, 1);
	}
	/* move sources out of the way first, so that overlapping mappings
	 * (fds[0] == 4, fds[1] == 3) work */
	for (i = 0; i < sp->nfds; i++) {
		hi[i] = fcntl(sp->fds[i], F_DUPFD_CLOEXEC, 3 + RK_SPAWN_MAX_FDS);
		if (hi[i] < 0)
			goto fail;
	}
	if (sp->stdout_fd >= 0 && dup2(sp->stdout_fd, 1) < 0)
		goto fail;
	if (sp->stderr_fd >= 0 && dup2(sp->stderr_fd, 2) < 0)
		goto fail;
	for (i = 0; i < sp->nfds; i++)
		if (dup2(hi[i], 3 + i) < 0)
			goto fail;
	if (sp->pre_exec)
		sp->pre_exec(sp->pre_exec_arg);
	/* nothing but what was asked for crosses into the program */
	close_range(3U + (unsigned)sp->nfds + (unsigned)sp->keep_fds, ~0U, 0);
	execve(path, sp->argv, sp->envp ? sp->envp : environ);
fail:
	e = errno;
	if (write(errpipe, &e, sizeof(e)) < 0) {
		/* nothing left to report to */
	}
	_exit(127);
}

pid_t rk_spawn(const struct rk_spawn *sp, struct rk_err *err)
{
	char path[4096];
	int pfd[2], e, n;
	pid_t pid, self = getpid();

	if (rk_lookpath(sp->argv[0], path, sizeof(path), err) < 0)
		return -1;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return rk_err_errno(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return rk_err_errno(err, e, "fork %s", sp->argv[0]);
	}
	if (pid == 0) {
		close(pfd[0]);
		exec_child(sp, path, self, pfd[1]);
	}
	close(pfd[1]);
	n = (int)rk_read_all(pfd[0], &e, sizeof(e));
	close(pfd[0]);
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		return rk_err_errno(err, e, "exec: \"%s\"", path);
	}
	return pid;
}

/**
 * rk_run() - run a program and collect its combined output
 * @argv:	program and arguments
 * @out:	output buffer (may be NULL when @cap is 0)
 * @cap:	size of @out
 * @status:	wait status out
 * @err:	error out
 *
 * Output goes to an anonymous memory file rather than a pipe: programs that
 * daemonise (pasta) keep their stdio open after the foreground process
 * exits, so waiting for EOF on a pipe would hang.
 *
 * Return: 0 when the program ran (whatever its status), -1 with @err set
 */
char *rk_read_output(int fd, char *buf, size_t cap)
{
	ssize_t n = fd >= 0 ? pread(fd, buf, cap - 1, 0) : -1;

	if (n < 0)
		n = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return buf;
}

int rk_run(char *const argv[], char *out, size_t cap, int *status,
	   struct rk_err *err)
{
	struct rk_spawn sp = { .argv = argv };
	cleanup_fd int mfd = memfd_create("rk-output", MFD_CLOEXEC);
	pid_t pid;
	ssize_t n;

	if (mfd < 0)
		return rk_err_errno(err, errno, "memfd_create");
	sp.stdout_fd = sp.stderr_fd = mfd;
	pid = rk_spawn(&sp, err);
	if (pid < 0)
		return -1;
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return rk_err_errno(err, errno, "wait %s", argv[0]);
	}
	if (out && cap) {
		n = pread(mfd, out, cap - 1, 0);
		out[n > 0 ? n : 0] = '\0';
	}
	return 0;
}

pid_t rk_fork_piped(int *rfd, int *wfd, struct rk_err *err)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return rk_err_errno(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return rk_err_errno(err, errno, "fork");
	}
	close(p[pid == 0 ? 0 : 1]);
	*rfd = p[0];
	*wfd = p[1];
	return pid;
}
