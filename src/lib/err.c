// SPDX-License-Identifier: Apache-2.0
/*
 * err.c - errors as values, see err.h
 */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *rk_strerror(int errnum)
{
	static __thread char buf[128];
	char tmp[128];
	const char *s = strerror_r(errnum, tmp, sizeof(tmp));

	snprintf(buf, sizeof(buf), "%s", s);
	if (buf[0] >= 'A' && buf[0] <= 'Z' &&
	    !(buf[1] >= 'A' && buf[1] <= 'Z'))	/* keep acronyms */
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

static void vset(struct rk_err *err, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int rk_err_set(struct rk_err *err, const char *fmt, ...)
{
	va_list ap;

	err->errnum = 0;
	err->exit_code = 1;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

int rk_err_errno(struct rk_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	err->errnum = errnum;
	err->exit_code = 1;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
		 rk_strerror(errnum));
	return -1;
}

int rk_err_wrap(struct rk_err *err, const char *fmt, ...)
{
	char ctx[RK_ERR_MSG_MAX], old[RK_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%.1000s: %.1000s", ctx, old);
	return -1;
}
