// SPDX-License-Identifier: Apache-2.0
/*
 * netsetup.c - child-side network set-up
 *
 * Theory of operation: the child is root in its user namespace and owns
 * its network namespace, so it configures the interface with plain ioctls
 * (up, MTU, address, netmask, default route) instead of running ip(8)
 * four times as upstream does; that is faster and needs no iproute2 in the
 * namespace.  Then it writes $SD/hosts and $SD/resolv.conf and bind-mounts
 * them on /etc/hosts and /etc/resolv.conf (after turning the copied-up
 * symlinks into plain files when /etc was copied up).  With
 * --detach-netns the files are written but not mounted, as upstream, and
 * the namespace part (rk_child_net_iface()) runs in the agent of detach.c.
 */
#include "netsetup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "../lib/log.h"
#include "../lib/util.h"

static int set_sin(struct sockaddr *sa, const char *ip)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	return inet_pton(AF_INET, ip, &sin->sin_addr) == 1 ? 0 : -1;
}

int rk_link_up(const char *dev, struct rk_err *err)
{
	cleanup_fd int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };

	if (s < 0)
		return rk_err_errno(err, errno, "socket");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return rk_err_errno(err, errno, "get flags of %s", dev);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return rk_err_errno(err, errno, "set %s up", dev);
	return 0;
}

/* configure_dev() - MTU, address, netmask and default route of @cfg->dev */
static int configure_dev(const struct rk_netcfg *cfg, struct rk_err *err)
{
	cleanup_fd int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	struct rtentry rt = { 0 };
	uint32_t mask = cfg->prefix ? ~0U << (32 - cfg->prefix) : 0;
	char maskstr[INET_ADDRSTRLEN];
	struct in_addr m = { .s_addr = htonl(mask) };

	if (s < 0)
		return rk_err_errno(err, errno, "socket");
	if (rk_link_up(cfg->dev, err) < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->dev);
	ifr.ifr_mtu = cfg->mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		return rk_err_errno(err, errno, "set mtu %d on %s", cfg->mtu,
				    cfg->dev);
	if (set_sin(&ifr.ifr_addr, cfg->ip) < 0 ||
	    ioctl(s, SIOCSIFADDR, &ifr) < 0)
		return rk_err_errno(err, errno, "add address %s/%d to %s",
				    cfg->ip, cfg->prefix, cfg->dev);
	inet_ntop(AF_INET, &m, maskstr, sizeof(maskstr));
	if (set_sin(&ifr.ifr_netmask, maskstr) < 0 ||
	    ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		return rk_err_errno(err, errno, "set netmask of %s", cfg->dev);
	set_sin(&rt.rt_dst, "0.0.0.0");
	set_sin(&rt.rt_genmask, "0.0.0.0");
	if (set_sin(&rt.rt_gateway, cfg->gateway) < 0)
		return rk_err_set(err, "bad gateway %s", cfg->gateway);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = (char *)cfg->dev;
	if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST)
		return rk_err_errno(err, errno, "add default route via %s dev %s",
				    cfg->gateway, cfg->dev);
	return 0;
}

/* is_configured() - @cfg->dev carries @cfg->ip and a default route exists */
static bool is_configured(const struct rk_netcfg *cfg)
{
	cleanup_fd int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	char addr[INET_ADDRSTRLEN], routes[8192], *line, *save = NULL;

	if (s < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->dev);
	if (ioctl(s, SIOCGIFADDR, &ifr) < 0)
		return false;
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr,
		  addr, sizeof(addr));
	if (strcmp(addr, cfg->ip))
		return false;
	if (rk_read_file("/proc/net/route", routes, sizeof(routes)) < 0)
		return false;
	for (line = strtok_r(routes, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char dev[IFNAMSIZ + 1];
		unsigned long dst;

		if (sscanf(line, "%16s %lx", dev, &dst) == 2 &&
		    !strcmp(dev, cfg->dev) && dst == 0)
			return true;
	}
	return false;
}

/* wait_configured() - wait until the driver (pasta) has configured
 * @cfg->dev, woken by netlink link/address/route notifications; returns 0,
 * or -1 after 30 s */
static int wait_configured(const struct rk_netcfg *cfg, struct rk_err *err)
{
	cleanup_fd int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC |
					       SOCK_NONBLOCK, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
					       RTMGRP_IPV4_ROUTE };
	uint64_t start;
	char buf[8192];

	if (nl < 0 || bind(nl, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return rk_err_errno(err, errno, "netlink");
	start = rk_now_ms();
	while (!is_configured(cfg)) {
		struct pollfd p = { .fd = nl, .events = POLLIN };
		long left = 30000 - (long)(rk_now_ms() - start);

		if (left <= 0)
			return rk_err_set(err, "timed out waiting for the network driver to configure %s",
					  cfg->dev);
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return rk_err_errno(err, errno, "poll");
		while (recv(nl, buf, sizeof(buf), 0) > 0)
			;	/* drain; the state is re-read above */
	}
	return 0;
}

int rk_child_net_watch_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_ROUTE);

	if (nl >= 0 && bind(nl, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(nl);
		return -1;
	}
	return nl;
}

void rk_child_net_watch(int nl, const struct rk_netcfg *cfg)
{
	char buf[8192];
	struct rk_err err = { 0 };

	while (recv(nl, buf, sizeof(buf), 0) > 0)
		;	/* drain; the state is re-read below */
	if (cfg->configures_iface || !if_nametoindex(cfg->dev) ||
	    is_configured(cfg))
		return;
	if (configure_dev(cfg, &err) < 0)
		rk_warn("reconfiguring %s after the network driver restarted: %s",
			cfg->dev, err.msg);
	else
		rk_info("reconfigured %s after the network driver restarted",
			cfg->dev);
}

/* write_hosts() - host /etc/hosts plus this host name on loopback, as the
 * new file "hosts" in @dirfd (@path names it); returns 0 or -1 */
static int write_hosts(int dirfd, const char *path, struct rk_err *err)
{
	cleanup_free char *buf = malloc(1 << 20);
	char host[256] = "localhost";
	ssize_t n;
	size_t len;

	if (!buf)
		return rk_err_errno(err, ENOMEM, "generating hosts");
	n = rk_read_file("/etc/hosts", buf, (1 << 20) - 600);
	len = n > 0 ? (size_t)n : 0;
	gethostname(host, sizeof(host) - 1);
	len += (size_t)snprintf(buf + len, (1 << 20) - len,
				"\n127.0.0.1 %s\n::1 %s\n", host, host);
	if (rk_create_file_at(dirfd, "hosts", buf, len, 0644) < 0)
		return rk_err_errno(err, errno, "writing %s", path);
	return 0;
}

/* replace_with_file() - a copied-up symlink becomes an empty regular file,
 * so that a bind mount onto it does not follow the link to the host */
static int replace_with_file(const char *f, struct rk_err *err)
{
	if (unlink(f) < 0 && errno != ENOENT)
		return rk_err_errno(err, errno,
				    "failed to remove copied-up link \"%s\"", f);
	if (rk_write_file(f, "", 0, 0644) < 0)
		return rk_err_errno(err, errno, "writing %s", f);
	return 0;
}

int rk_child_net_iface(enum rk_net_kind kind, const struct rk_netcfg *cfg,
		       struct rk_err *err)
{
	if (kind == RK_NET_HOST)
		return 0;
	if (rk_link_up("lo", err) < 0)
		return -1;
	if (kind == RK_NET_NONE)
		return 0;
	if (cfg->configures_iface)
		return wait_configured(cfg, err);
	if (configure_dev(cfg, err) < 0)
		return rk_err_wrap(err, "configuring %s", cfg->dev);
	return 0;
}

int rk_child_net_setup(enum rk_net_kind kind, const struct rk_netcfg *cfg,
		       const char *statedir, int statedir_fd, bool etc_copied,
		       bool detached, struct rk_err *err)
{
	char hosts[4096], resolv[4096], line[64];
	int len;

	if (kind == RK_NET_HOST)
		return 0;
	if (kind == RK_NET_NONE)
		return detached ? 0 : rk_child_net_iface(kind, cfg, err);
	snprintf(hosts, sizeof(hosts), "%s/hosts", statedir);
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", statedir);
	if (write_hosts(statedir_fd, hosts, err) < 0)
		return -1;
	len = snprintf(line, sizeof(line), "nameserver %s\n", cfg->dns);
	if (rk_create_file_at(statedir_fd, "resolv.conf", line, (size_t)len,
			      0644) < 0)
		return rk_err_errno(err, errno, "writing %s", resolv);
	if (detached)
		return 0;
	if (rk_child_net_iface(kind, cfg, err) < 0)
		return -1;
	if (etc_copied) {
		if (replace_with_file("/etc/resolv.conf", err) < 0 ||
		    replace_with_file("/etc/hosts", err) < 0)
			return -1;
	} else {
		rk_warn("Mounting /etc/resolv.conf without copying-up /etc. Note that /etc/resolv.conf in the namespace will be unmounted when it is recreated on the host. Unless /etc/resolv.conf is statically configured, copying-up /etc is highly recommended. Please refer to RootlessKit documentation for further information.");
	}
	if (mount(resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
		return rk_err_errno(err, errno,
				    "failed to create bind mount /etc/resolv.conf for %s",
				    resolv);
	if (mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL) < 0)
		return rk_err_errno(err, errno,
				    "failed to create bind mount /etc/hosts for %s",
				    hosts);
	return 0;
}
