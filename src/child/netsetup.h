/* SPDX-License-Identifier: Apache-2.0
 *
 * netsetup.h - network configuration inside the child's namespaces
 */
#ifndef RK_NETSETUP_H
#define RK_NETSETUP_H

#include <stdbool.h>

#include "../lib/err.h"
#include "../net/net.h"

/* rk_link_up() - bring interface @dev up; returns 0 or -1 */
int rk_link_up(const char *dev, struct rk_err *err);

/* rk_child_net_iface() - in the current network namespace: loopback up,
 * interface address/MTU/route (unless the driver does it, then wait for
 * it); returns 0 or -1 */
int rk_child_net_iface(enum rk_net_kind kind, const struct rk_netcfg *cfg,
		       struct rk_err *err);

/* rk_child_net_setup() - rk_child_net_iface() (unless @detached), then
 * $SD/hosts and $SD/resolv.conf (new files in @statedir_fd), bind-mounted
 * onto /etc unless @detached; returns 0 or -1 */
int rk_child_net_setup(enum rk_net_kind kind, const struct rk_netcfg *cfg,
		       const char *statedir, int statedir_fd, bool etc_copied,
		       bool detached,
		       struct rk_err *err);

/* rk_child_net_watch_open() - netlink socket woken by link changes, or -1 */
int rk_child_net_watch_open(void);

/* rk_child_net_watch() - drain @nl; reconfigure @cfg->dev if it came back
 * unconfigured (a restarted slirp4netns) */
void rk_child_net_watch(int nl, const struct rk_netcfg *cfg);

#endif
