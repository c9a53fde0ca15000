/* SPDX-License-Identifier: Apache-2.0
 *
 * err.h - errors as values
 *
 * Theory of operation: every fallible function takes a `struct rk_err *err`
 * as its last argument and returns a negative value on failure after filling
 * it with rk_err_set() (a message, optionally the errno text appended the way
 * Go prints it: "open /x: no such file or directory").  Callers add context
 * with rk_err_wrap() ("child exited: exit status 3").  Only the entry points
 * (src/cmd/) print the error, once, as "[rootlesskit:parent] error: <msg>",
 * and turn err->exit_code into the process exit status.
 */
#ifndef RK_ERR_H
#define RK_ERR_H

#include <stddef.h>

#define RK_ERR_MSG_MAX 2048

struct rk_err {
	int errnum;		/* errno of the root cause, 0 if none */
	int exit_code;		/* process exit status to use (default 1) */
	char msg[RK_ERR_MSG_MAX];
};

/**
 * rk_err_set() - record an error
 * @err:	error to fill
 * @fmt:	printf format of the message
 *
 * Return: -1, so that callers can write "return rk_err_set(...)"
 */
int rk_err_set(struct rk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * rk_err_errno() - record an error caused by a failed system call
 * @err:	error to fill
 * @errnum:	errno value, appended as ": <text>"
 * @fmt:	printf format of the context
 *
 * Return: -1
 */
int rk_err_errno(struct rk_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * rk_err_wrap() - add context in front of an existing error
 * @err:	error to extend (errnum and exit_code are kept)
 * @fmt:	printf format of the context
 *
 * Return: -1
 */
int rk_err_wrap(struct rk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * rk_strerror() - errno text as Go prints it
 * @errnum:	errno value
 *
 * glibc's strerror() capitalises ("No such file or directory"); Go's syscall
 * table is lower-case.  Upstream messages that users grep carry Go's form.
 *
 * Return: pointer to a static, lower-cased string (thread-local buffer)
 */
const char *rk_strerror(int errnum);

#endif
