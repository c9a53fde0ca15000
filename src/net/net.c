// SPDX-License-Identifier: Apache-2.0
/*
 * net.c - network driver selection, validation and configuration, see net.h
 */
#include "net.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../child/tap.h"
#include "../lib/cidr.h"
#include "../lib/log.h"
#include "../lib/proc.h"
#include "../lib/signame.h"
#include "../lib/util.h"
#include "usernet.h"

/* compute_cfg() - addresses from --cidr: child +100, gateway +@gw_off,
 * DNS +@dns_off (slirp4netns and pasta: 2 and 3; gvisor-tap-vsock: 1, 1) */
static int compute_cfg(struct rk_net *n, uint32_t gw_off, uint32_t dns_off,
		       struct rk_err *err)
{
	struct rk_cidr c = { .net = 0x0a000200, .prefix = 24 };	/* 10.0.2.0/24 */
	uint32_t ip, gw, dns;

	if (*n->o->cidr && rk_cidr_parse(n->o->cidr, &c, err) < 0)
		return -1;
	if (rk_ip4_add(c.net, 100, &ip, err) < 0 ||
	    rk_ip4_add(c.net, gw_off, &gw, err) < 0 ||
	    rk_ip4_add(c.net, dns_off, &dns, err) < 0)
		return -1;
	rk_ip4_str(ip, n->cfg.ip);
	rk_ip4_str(gw, n->cfg.gateway);
	rk_ip4_str(dns, n->cfg.dns);
	n->cfg.prefix = c.prefix;
	n->cidr_net = c.net;
	n->cfg.mtu = n->o->mtu ? n->o->mtu : 65520;
	snprintf(n->cfg.dev, sizeof(n->cfg.dev), "%s",
		 *n->o->ifname ? n->o->ifname : "tap0");
	return 0;
}

/* Networks that work with only some port drivers, with upstream's messages
 * (the reverse rule, a port driver that needs one network, is in
 * parent.c's table of port drivers) */
static const struct {
	const char *net;
	const char *port_drivers[2];
	const char *msg;
} net_port_rules[] = {
	{ "none", { "none", "builtin" },
	  "network \"none\" requires either port driver \"none\" or \"builtin\"" },
	{ "pasta", { "none", "implicit" },
	  "network \"pasta\" requires port driver \"none\" or \"implicit\"" },
};

/* check_port_driver() - returns 0 if network @o->net works with port
 * driver @o->port_driver, else -1 with @err set */
static int check_port_driver(const struct rk_opts *o, struct rk_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(net_port_rules); i++) {
		if (strcmp(net_port_rules[i].net, o->net))
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(net_port_rules[i].port_drivers); j++) {
			if (!strcmp(net_port_rules[i].port_drivers[j], o->port_driver))
				return 0;
		}
		return rk_err_set(err, "%s", net_port_rules[i].msg);
	}
	return 0;
}

/* host_like_checks() - mtu/cidr/ifname make no sense without a driver */
static int host_like_checks(const struct rk_opts *o, const char *name,
			    struct rk_err *err)
{
	if (o->mtu)
		rk_warn("unsupported mtu for --net=%s: %d", name, o->mtu);
	if (*o->cidr)
		return rk_err_set(err, "custom cidr is not supported for --net=%s",
				  name);
	if (*o->ifname)
		return rk_err_set(err, "ifname cannot be specified for --net=%s",
				  name);
	return 0;
}

int rk_net_prepare(struct rk_net *n, const struct rk_opts *o,
		   struct rk_err *err)
{
	memset(n, 0, sizeof(*n));
	n->o = o;
	n->helper_out = -1;
	if (o->mtu < 0 || o->mtu > 65521)
		return rk_err_set(err, "mtu must be <= 65521, got %d", o->mtu);
	if (*o->cidr) {
		struct rk_cidr c;

		if (rk_cidr_parse(o->cidr, &c, err) < 0)
			return -1;
	}
	if (strchr(o->ifname, '/'))
		return rk_err_set(err, "ifname must not contain \"/\"");
	if (strlen(o->ifname) >= IFNAMSIZ)
		return rk_err_set(err, "ifname must be shorter than %d bytes: %s",
				  IFNAMSIZ, o->ifname);
	if (o->ipv6) {
		rk_warn("ipv6 is experimental");
		if (strcmp(o->net, "pasta") && strcmp(o->net, "slirp4netns"))
			rk_warn("--ipv6 is discarded for --net=%s", o->net);
	}
	if (strcmp(o->net, "host") && !o->disable_host_loopback)
		rk_warn("specifying --disable-host-loopback is highly recommended to prohibit connecting to 127.0.0.1:* on the host namespace (requires pasta, slirp4netns, or VPNKit)");
	if (!strcmp(o->net, "host")) {
		n->kind = RK_NET_HOST;
		return host_like_checks(o, "host", err);
	}
	if (!strcmp(o->net, "none")) {
		n->kind = RK_NET_NONE;
		if (host_like_checks(o, "none", err) < 0)
			return -1;
		return check_port_driver(o, err);
	}
	if (!strcmp(o->net, "slirp4netns")) {
		n->kind = RK_NET_SLIRP4NETNS;
		if (compute_cfg(n, 2, 3, err) < 0)
			return -1;
		return rk_slirp4netns_prepare(n, err);
	}
	if (!strcmp(o->net, "pasta")) {
		n->kind = RK_NET_PASTA;
		rk_warn("\"pasta\" network driver is experimental. Needs very recent version of pasta (see docs/network.md). Make sure to use pasta without AppArmor.");
		if (compute_cfg(n, 2, 3, err) < 0)
			return -1;
		n->cfg.configures_iface = true;
		if (check_port_driver(o, err) < 0)
			return -1;
		return rk_pasta_prepare(n, err);
	}
	if (!strcmp(o->net, "lxc-user-nic")) {
		n->kind = RK_NET_LXC_USER_NIC;
		return rk_lxc_user_nic_prepare(n, err);
	}
	if (!strcmp(o->net, "gvisor-tap-vsock")) {
		n->kind = RK_NET_USERNET;
		rk_warn("\"gvisor-tap-vsock\" network driver is experimental");
		/* upstream also warns that --disable-host-loopback is not
		 * supported, but honours it; so do we, without the warning */
		if (o->ipv6)
			return rk_err_set(err, "--ipv6 is not supported for gvisor-tap-vsock");
		return compute_cfg(n, 1, 1, err);
	}
	if (!strcmp(o->net, "vpnkit"))
		return rk_err_set(err, "network driver \"%s\" is not supported by this implementation (supported: host, none, pasta, slirp4netns, lxc-user-nic, gvisor-tap-vsock)",
				  o->net);
	return rk_err_set(err, "unknown network mode: %s", o->net);
}

int rk_net_start(struct rk_net *n, pid_t pid, int child_pidfd,
		 const char *statedir, struct rk_err *err)
{
	/* the parked netns, seen through the child's mount namespace */
	if (n->o->detach_netns &&
	    (size_t)snprintf(n->netns, sizeof(n->netns), "/proc/%d/root%s/netns",
			     (int)pid, statedir) >= sizeof(n->netns))
		return rk_err_set(err, "state dir path too long: %s", statedir);
	switch (n->kind) {
	case RK_NET_SLIRP4NETNS:
		if (n->port_api &&
		    (size_t)snprintf(n->api_socket, sizeof(n->api_socket),
				     "%s/.s4nn.sock", statedir) >= sizeof(n->api_socket))
			return rk_err_set(err, "state dir path too long: %s", statedir);
		return rk_slirp4netns_start(n, pid, child_pidfd, err);
	case RK_NET_PASTA:
		return rk_pasta_start(n, pid, err);
	case RK_NET_LXC_USER_NIC:
		return rk_lxc_user_nic_start(n, pid, err);
	case RK_NET_HOST:
	case RK_NET_NONE:
	case RK_NET_USERNET:	/* started by rk_net_attach() */
		break;
	}
	return 0;
}

int rk_net_attach(struct rk_net *n, struct rk_loop *loop, int chan,
		  struct rk_err *err)
{
	int tapfd;

	if (n->kind != RK_NET_USERNET)
		return 0;
	tapfd = rk_tap_receive(chan, err);
	if (tapfd < 0)
		return rk_err_wrap(err, "setting up network");
	n->usernet = rk_usernet_new(&n->cfg, n->cidr_net, n->cfg.prefix,
				    n->o->disable_host_loopback, tapfd, loop,
				    err);
	return n->usernet ? 0 : -1;
}

void rk_net_stop(struct rk_net *n)
{
	rk_usernet_free(n->usernet);
	n->usernet = NULL;
	if (n->helper > 0) {
		kill(n->helper, SIGKILL);
		waitpid(n->helper, NULL, 0);
		n->helper = 0;
	}
	if (n->helper_out >= 0) {
		close(n->helper_out);
		n->helper_out = -1;
	}
}

int rk_net_helper_failed(struct rk_net *n, const char *name,
			 struct rk_err *err)
{
	char out[2048], st[64];
	int status = 0;

	while (waitpid(n->helper, &status, 0) < 0 && errno == EINTR)
		;
	n->helper = 0;
	rk_read_output(n->helper_out, out, sizeof(out));
	return rk_err_set(err, "setting up network: %s %s (%s): %s", name,
			  WIFSIGNALED(status) ? "killed by signal" : "failed",
			  rk_wait_status_str(status, st, sizeof(st)),
			  *out ? out : "(no output; try --debug)");
}
