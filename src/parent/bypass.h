/* SPDX-License-Identifier: Apache-2.0
 *
 * bypass.h - --bypass4netns, the parent's side: serving the command's
 * seccomp notifications (see bypass.c for the theory of operation)
 */
#ifndef RK_PARENT_BYPASS_H
#define RK_PARENT_BYPASS_H

#include <jansson.h>
#include <sys/types.h>

#include "../cmd/opts.h"
#include "../lib/err.h"
#include "../lib/loop.h"
#include "../net/net.h"
#include "../port/port.h"

struct rk_bypass;

/* rk_bypass_validate() - the --bypass4netns flags against the network
 * (a namespace of its own is needed) and the ignore CIDRs' syntax;
 * returns 0 or -1 with @err set */
int rk_bypass_validate(const struct rk_opts *o, struct rk_err *err);

/*
 * rk_bypass_start() - serve the channel @chan (ownership taken) on @loop:
 * the listener the command sends, then its notifications
 * @child:	the child, whose network namespace is the one bypassed
 * @cfg:	the namespace's network (its own subnet stays on the normal path)
 * @ports:	the port table (published ports; builtin driver steps aside)
 * @info:	the /v1/info object; its "bypass4netns" member is kept current
 *
 * Return: the state, or NULL with @err set
 */
struct rk_bypass *rk_bypass_start(struct rk_loop *loop, int chan,
				  const struct rk_opts *o, pid_t child,
				  const struct rk_netcfg *cfg,
				  struct rk_ports *ports, json_t *info,
				  struct rk_err *err);

/* rk_bypass_info() - the "bypass4netns" object of /v1/info for @o:
 * {"enabled": bool, "active": bool, "ignore": [CIDR...]}; new reference */
json_t *rk_bypass_info(const struct rk_opts *o);

/* rk_bypass_stop() - close everything, give published ports back to the
 * port driver; NULL is fine */
void rk_bypass_stop(struct rk_bypass *b);

#endif
