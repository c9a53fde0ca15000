/* SPDX-License-Identifier: Apache-2.0
 *
 * child.h - the child process: namespace root, runs the command
 */
#ifndef RK_CHILD_H
#define RK_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include "../cmd/opts.h"
#include "../net/net.h"

struct rk_child_ctx {
	struct rk_opts *o;
	enum rk_net_kind net;
	const char *statedir;
	int statedir_fd;	/* the parent's checked fd of statedir */
	int rfd;		/* parent -> child messages */
	int wfd;		/* child -> parent messages */
	int sfd;		/* signalfd, opened before ChildInitCompleted */
	bool reaper;
	int listen_fds;		/* socket-activation fds 3..3+n-1 to pass on */
	bool fix_listen_pid;	/* LISTEN_PID was the parent's: set the command's */
	int port_fd;		/* builtin port driver channel, or -1 */
	int tap_chan;		/* gvisor-tap-vsock: where the TAP fd goes
				   (src/child/tap.c), or -1; may be port_fd */
	int bypass_fd;		/* --bypass4netns channel, or -1 */
	pid_t agent;		/* --detach-netns: the netns agent, or 0 */
	struct rk_netcfg cfg;	/* from ParentInitNetworkDriverCompleted */
	int watch_fd;		/* slirp4netns: link changes (netsetup.c), or -1 */
	int dhcp_fd;		/* lxc-user-nic: the DHCP renew loop reports a
				 * failure here (dhcp.c), or -1 */
};

/**
 * rk_child_main() - body of the child process
 * @c:		context inherited from the parent
 *
 * Return: the exit status for the child process: the command's status,
 * 255 when it died by a signal, 1 on a set-up error
 */
int rk_child_main(struct rk_child_ctx *c);

#endif
