/* SPDX-License-Identifier: Apache-2.0
 *
 * parent.h - the parent process: stays in the host namespaces
 */
#ifndef RK_PARENT_H
#define RK_PARENT_H

#include "../cmd/opts.h"
#include "../lib/err.h"

/**
 * rk_parent_validate() - check options before creating anything
 * @o:		options
 * @err:	error out
 *
 * Return: 0, or -1 with @err set
 */
int rk_parent_validate(struct rk_opts *o, struct rk_err *err);

/**
 * rk_parent_main() - the whole life of rootlesskit in the parent
 * @o:		options
 * @err:	error out
 *
 * Return: 0 when the command exited 0, -1 with @err set otherwise
 */
int rk_parent_main(struct rk_opts *o, struct rk_err *err);

#endif
