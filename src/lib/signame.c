// SPDX-License-Identifier: Apache-2.0
/*
 * signame.c - Go-compatible signal and wait-status texts, see signame.h
 */
#include "signame.h"

#include <stdio.h>
#include <sys/wait.h>

/* Go's syscall.signals table for linux, index = signal number */
static const char *const go_signames[] = {
	[1] = "hangup",
	[2] = "interrupt",
	[3] = "quit",
	[4] = "illegal instruction",
	[5] = "trace/breakpoint trap",
	[6] = "aborted",
	[7] = "bus error",
	[8] = "floating point exception",
	[9] = "killed",
	[10] = "user defined signal 1",
	[11] = "segmentation fault",
	[12] = "user defined signal 2",
	[13] = "broken pipe",
	[14] = "alarm clock",
	[15] = "terminated",
	[16] = "stack fault",
	[17] = "child exited",
	[18] = "continued",
	[19] = "stopped (signal)",
	[20] = "stopped",
	[21] = "stopped (tty input)",
	[22] = "stopped (tty output)",
	[23] = "urgent I/O condition",
	[24] = "CPU time limit exceeded",
	[25] = "file size limit exceeded",
	[26] = "virtual timer expired",
	[27] = "profiling timer expired",
	[28] = "window changed",
	[29] = "I/O possible",
	[30] = "power failure",
	[31] = "bad system call",
};

const char *rk_signame(int sig, char *buf, size_t len)
{
	if (sig > 0 && sig < (int)(sizeof(go_signames) / sizeof(*go_signames)))
		return go_signames[sig];
	snprintf(buf, len, "signal %d", sig);
	return buf;
}

const char *rk_wait_status_str(int status, char *buf, size_t len)
{
	char tmp[32];

	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal: %s%s",
			 rk_signame(WTERMSIG(status), tmp, sizeof(tmp)),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "exited with WAITSTATUS=0x%08x",
			 (unsigned)status);
	return buf;
}

int rk_wait_status_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 255;
}
