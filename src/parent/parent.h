/* SPDX-License-Identifier: Apache-2.0
 *
 * parent.h - the parent process: stays in the host namespaces
 */
#ifndef RK_PARENT_H
#define RK_PARENT_H

#include "../cmd/opts.h"
#include "../lib/err.h"

/* rk_parent_validate() - all option checks that need no side effects, in
 * upstream's order; returns 0 or -1 with @err set */
int rk_parent_validate(struct rk_opts *o, struct rk_err *err);

/* rk_parent_main() - run rootlesskit; returns 0 when the command exited 0,
 * else -1 with @err set (err->exit_code is the status to exit with) */
int rk_parent_main(struct rk_opts *o, struct rk_err *err);

#endif
