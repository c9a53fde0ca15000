// SPDX-License-Identifier: Apache-2.0
/*
 * log.c - stderr logging, see log.h
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char log_id[32] = "parent";
static bool log_debug;

/**
 * rk_log_init() - set the process role shown in every line
 * @id:		"parent", "child " or another short tag
 * @debug:	whether rk_debug() prints
 */
void rk_log_init(const char *id, bool debug)
{
	snprintf(log_id, sizeof(log_id), "%s", id);
	log_debug = debug;
}

/* rk_log_debug_enabled() - returns true when --debug is on */
bool rk_log_debug_enabled(void)
{
	return log_debug;
}

static void vlog(const char *level, const char *fmt, va_list ap)
{
	char line[4096];
	int n = snprintf(line, sizeof(line), "[rootlesskit:%s] %s", log_id,
			 level);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* one write per line so that lines of several processes never mix */
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

void rk_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

void rk_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void rk_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void rk_log_fatal(const char *msg)
{
	fprintf(stderr, "[rootlesskit:%s] error: %s\n", log_id, msg);
	fflush(stderr);
}
