/* SPDX-License-Identifier: Apache-2.0
 *
 * detach.h - --detach-netns: the parked network namespace at $SD/netns and
 * the agent process that works inside it (see detach.c)
 */
#ifndef RK_CHILD_DETACH_H
#define RK_CHILD_DETACH_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "../net/net.h"

/*
 * rk_netns_create() - create the empty file "netns" (0400) in the state
 * directory @dirfd (O_EXCL, O_NOFOLLOW; @path names it) and bind-mount a
 * brand-new network namespace on it, without entering it.  The namespace
 * is owned by the current user namespace and lives as long as the mount.
 * Return: 0, or -1 with @err set
 */
int rk_netns_create(int dirfd, const char *path, struct rk_err *err);

struct rk_netns_agent_args {
	const char *netns;		/* $SD/netns */
	enum rk_net_kind kind;
	struct rk_netcfg *cfg;		/* lxc-user-nic: completed by DHCP */
	int port_fd;			/* builtin port channel, or -1 */
	int dhcp_fd;			/* lxc-user-nic: for the renew loop */
	int tap_chan;			/* gvisor-tap-vsock: send the TAP here, or -1 */
	bool source_ip_transparent;
	int close_fds[3];		/* the child's own fds, -1 if unused */
};

/*
 * rk_netns_agent_start() - fork the agent: it enters @a->netns, brings up
 * lo, leases an address by DHCP (lxc-user-nic: @a->cfg gets it) and
 * configures the device (or waits for the driver to), sets up source-IP
 * transparency, reports back, and then, with a builtin port channel,
 * serves it from inside the namespace until the channel closes; for
 * lxc-user-nic it runs the DHCP renew loop (itself, or forked when it
 * serves a port channel).  *@tp gets the RK_TP_* bits that work; *@agent
 * the agent's PID, or 0 when it has already exited (nothing to serve).
 * Return: 0, or -1 with @err set to the agent's error
 */
int rk_netns_agent_start(const struct rk_netns_agent_args *a, int *tp,
			 pid_t *agent, struct rk_err *err);

#endif
