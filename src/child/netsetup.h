/* SPDX-License-Identifier: Apache-2.0
 *
 * netsetup.h - network configuration inside the child's namespaces
 */
#ifndef RK_NETSETUP_H
#define RK_NETSETUP_H

#include <stdbool.h>

#include "../lib/err.h"
#include "../net/net.h"

/**
 * rk_link_up() - set IFF_UP on an interface
 * @dev:	interface name
 * @err:	error out
 *
 * Return: 0, -1 with @err set
 */
int rk_link_up(const char *dev, struct rk_err *err);

/**
 * rk_child_net_iface() - inside the network namespace: lo up, then the
 * device configured (or, for pasta, waited for)
 * @kind:	network driver
 * @cfg:	configuration computed by the parent
 * @err:	error out
 *
 * Return: 0, -1 with @err set
 */
int rk_child_net_iface(enum rk_net_kind kind, const struct rk_netcfg *cfg,
		       struct rk_err *err);

/**
 * rk_child_net_setup() - configure the child's network
 * @kind:	network driver
 * @cfg:	configuration computed by the parent
 * @statedir:	state directory
 * @statedir_fd: its fd; hosts and resolv.conf must not exist in it yet
 *		(the parent removed them), they are made with O_EXCL and
 *		O_NOFOLLOW
 * @etc_copied:	/etc was copied up
 * @detached:	--detach-netns: only write $SD/hosts and $SD/resolv.conf;
 *		the namespace is set up by rk_child_net_iface() elsewhere and
 *		nothing is mounted on /etc (the command is in the host netns)
 * @err:	error out
 *
 * Return: 0, -1 with @err set
 */
int rk_child_net_setup(enum rk_net_kind kind, const struct rk_netcfg *cfg,
		       const char *statedir, int statedir_fd, bool etc_copied,
		       bool detached,
		       struct rk_err *err);

/**
 * rk_child_net_watch_open() - a netlink socket that wakes up on link
 * changes in the current network namespace, for rk_child_net_watch()
 *
 * Return: the socket (non-blocking), or -1
 */
int rk_child_net_watch_open(void);

/**
 * rk_child_net_watch() - after link changes: a TAP device that came back
 * unconfigured (slirp4netns was restarted by the parent and made a new
 * one) gets its MTU, address and default route again
 * @nl:		socket from rk_child_net_watch_open(), drained here
 * @cfg:	the configuration to restore
 */
void rk_child_net_watch(int nl, const struct rk_netcfg *cfg);

#endif
