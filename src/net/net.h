/* SPDX-License-Identifier: Apache-2.0
 *
 * net.h - network drivers, parent side
 *
 * Theory of operation: rk_net_prepare() runs before anything is created: it
 * validates the network flags with upstream's messages, finds and probes
 * the helper binary, and computes the configuration the child will apply
 * (struct rk_netcfg).  rk_net_start() runs once the child's user namespace
 * is mapped: slirp4netns is started and waited for on its ready fd (the
 * wait also watches the child's pidfd, so a child that dies early never
 * hangs the parent); pasta is started in the foreground and configures the
 * interface itself, which the child waits for.  Helpers run with
 * PDEATHSIG=SIGKILL in their own process group; rk_net_stop() kills them.
 *
 *   host         no network namespace
 *   none         network namespace with loopback only
 *   slirp4netns  tap0 10.0.2.100/24, gateway .2 (host loopback), DNS .3
 *   pasta        same addresses, configured by pasta (--config-net)
 *   lxc-user-nic eth0 on a host bridge, addresses by DHCP in the child
 *                (lxcusernic.c, src/child/dhcp.c)
 *   gvisor-tap-vsock  tap0 10.0.2.100/24, gateway and DNS .1: libslirp in
 *                the parent (usernet.c) on a TAP device the child makes
 *                and hands over (src/child/tap.c); rk_net_attach() starts
 *                it in the parent's event loop once the child is set up
 */
#ifndef RK_NET_H
#define RK_NET_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../cmd/opts.h"
#include "../lib/err.h"
#include "../lib/loop.h"

enum rk_net_kind { RK_NET_HOST, RK_NET_NONE, RK_NET_SLIRP4NETNS, RK_NET_PASTA,
		  RK_NET_LXC_USER_NIC,
		  RK_NET_USERNET /* --net=gvisor-tap-vsock */ };

/* What the child needs to configure its side (sent in
 * ParentInitNetworkDriverCompleted). */
struct rk_netcfg {
	char dev[IFNAMSIZ];
	char ip[INET_ADDRSTRLEN];
	int prefix;
	char gateway[INET_ADDRSTRLEN];
	char dns[INET_ADDRSTRLEN];
	int mtu;
	bool configures_iface;	/* the driver configured dev itself (pasta) */
};

struct rk_net {
	enum rk_net_kind kind;
	const struct rk_opts *o;
	struct rk_netcfg cfg;
	char bin[PATH_MAX];	/* resolved helper binary */
	bool sandbox, seccomp;	/* slirp4netns features to enable */
	bool host_lo_to_ns_lo;	/* pasta supports --host-lo-to-ns-lo */
	/* what the port driver asks of the helper, set by the parent between
	 * rk_net_prepare() and rk_net_start() */
	bool auto_ports;	/* pasta forwards ports (port driver implicit) */
	bool port_api;		/* slirp4netns serves its API (port driver
				   slirp4netns) */
	char api_socket[PATH_MAX]; /* slirp4netns --api-socket, "" if none */
	char netns[PATH_MAX];	/* --detach-netns: /proc/CHILD/root$SD/netns,
				   else "" (the child's own netns) */
	pid_t helper;		/* slirp4netns or pasta, or 0 */
	int helper_out;		/* memfd with the helper's output, or -1 */
	uint32_t cidr_net;	/* --cidr's network address, host order */
	struct rk_usernet *usernet; /* gvisor-tap-vsock: the stack, or NULL */
};

/**
 * rk_net_prepare() - validate the network flags and probe the driver
 * @n:		driver state to initialise
 * @o:		options
 * @err:	error out
 *
 * Return: 0, or -1 with @err set (upstream's messages, in upstream's order)
 */
int rk_net_prepare(struct rk_net *n, const struct rk_opts *o,
		   struct rk_err *err);

/**
 * rk_net_start() - bring up the driver for the child
 * @n:		prepared driver
 * @pid:	child PID (host PID namespace)
 * @child_pidfd: pidfd of the child, watched while waiting
 * @statedir:	state directory
 * @err:	error out
 *
 * Return: 0, or -1 with @err set
 */
int rk_net_start(struct rk_net *n, pid_t pid, int child_pidfd,
		 const char *statedir, struct rk_err *err);

/**
 * rk_net_attach() - once the child is set up: gvisor-tap-vsock takes the
 * TAP device the child sent and starts its stack (other drivers: nothing)
 * @n:		started driver
 * @loop:	the parent's event loop
 * @chan:	socket the child sent the TAP fd on (src/child/tap.c)
 * @err:	error out
 *
 * Return: 0, or -1 with @err set
 */
int rk_net_attach(struct rk_net *n, struct rk_loop *loop, int chan,
		  struct rk_err *err);

/**
 * rk_net_stop() - stop helpers started by rk_net_start() and the stack
 * started by rk_net_attach()
 * @n:		driver
 */
void rk_net_stop(struct rk_net *n);

/**
 * rk_net_helper_failed() - report a network helper that exited
 * @n:		driver whose helper exited
 * @name:	"slirp4netns" or "pasta"
 * @err:	error out
 *
 * Return: -1 with @err set to "<name> failed (<status>): <its output>"
 */
int rk_net_helper_failed(struct rk_net *n, const char *name,
			 struct rk_err *err);

/* Per-driver hooks, in slirp4netns.c, pasta.c and lxcusernic.c */
int rk_slirp4netns_prepare(struct rk_net *n, struct rk_err *err);
int rk_slirp4netns_start(struct rk_net *n, pid_t pid, int child_pidfd,
			 struct rk_err *err);
int rk_pasta_prepare(struct rk_net *n, struct rk_err *err);
int rk_pasta_start(struct rk_net *n, pid_t pid, struct rk_err *err);
int rk_lxc_user_nic_prepare(struct rk_net *n, struct rk_err *err);
int rk_lxc_user_nic_start(struct rk_net *n, pid_t pid, struct rk_err *err);

#endif
