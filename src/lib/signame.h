/* SPDX-License-Identifier: Apache-2.0
 *
 * signame.h - wait statuses and signal names spelled the way Go prints them
 * ("exit status 42", "signal: user defined signal 1"), because upstream's
 * integration tests and users grep for these texts.
 */
#ifndef RK_SIGNAME_H
#define RK_SIGNAME_H

#include <stddef.h>

/**
 * rk_signame() - name a signal like Go's syscall.Signal.String()
 * @sig:	signal number
 * @buf:	scratch buffer for unnamed signals
 * @len:	size of @buf
 *
 * Return: static name, or @buf holding "signal N"
 */
const char *rk_signame(int sig, char *buf, size_t len);

/**
 * rk_wait_status_str() - format a wait status like Go's ProcessState.String()
 * @status:	status from waitpid()
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: @buf
 */
const char *rk_wait_status_str(int status, char *buf, size_t len);

/**
 * rk_wait_status_exit_code() - exit code rootlesskit propagates
 * @status:	status from waitpid()
 *
 * Return: the exit status, or 255 when the process died by a signal
 */
int rk_wait_status_exit_code(int status);

#endif
