/* SPDX-License-Identifier: Apache-2.0
 *
 * signame.h - wait statuses and signal names spelled the way Go prints them
 * ("exit status 42", "signal: user defined signal 1"), because upstream's
 * integration tests and users grep for these texts.
 */
#ifndef RK_SIGNAME_H
#define RK_SIGNAME_H

#include <stddef.h>

/* rk_signame() - Go's name for @sig ("terminated"), or "signal N" */
const char *rk_signame(int sig, char *buf, size_t len);

/* rk_wait_status_str() - "exit status N" / "signal: NAME[ (core dumped)]";
 * returns @buf */
const char *rk_wait_status_str(int status, char *buf, size_t len);

/* rk_wait_status_exit_code() - N for an exit, 255 for a signal death */
int rk_wait_status_exit_code(int status);

#endif
