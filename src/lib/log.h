/* SPDX-License-Identifier: Apache-2.0
 *
 * log.h - stderr logging with upstream's "[rootlesskit:<id>] " prefix
 *
 * The id is "parent", "child " (padded like upstream) or "rootlessctl".
 * Warnings print as "[rootlesskit:parent] warning: <msg>", debug lines only
 * with --debug.  Errors are not logged here: they travel up as struct rk_err
 * and the entry point prints them once with rk_log_fatal().
 */
#ifndef RK_LOG_H
#define RK_LOG_H

#include <stdbool.h>

void rk_log_init(const char *id, bool debug);
bool rk_log_debug_enabled(void);

void rk_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rk_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* rk_log_fatal() - print "[rootlesskit:<id>] error: <msg>" */
void rk_log_fatal(const char *msg);

#endif
