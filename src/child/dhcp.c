// SPDX-License-Identifier: Apache-2.0
/*
 * dhcp.c - a small DHCPv4 client for --net=lxc-user-nic
 *
 * Theory of operation: lxc-user-nic (setuid, run by the parent) moves one
 * end of a veth pair into our network namespace as eth0 and leaves the
 * other end on a host bridge, where a DHCP server (lxc-net's dnsmasq)
 * hands out addresses.  The child asks it for one, as upstream does with
 * insomniacslk/dhcp's client4:
 *
 *   DISCOVER  ->  broadcast, re-sent after 1, 2, 4, 4... s
 *             <-  OFFER (our xid)
 *   REQUEST   ->  requested IP + server identifier of the offer
 *             <-  ACK (or NAK: "did not get DHCPACK")
 *
 * each wait bounded at 30 s (upstream's read/write timeouts) and retried
 * on EINTR.  The interface has no address yet, so the kernel's UDP stack
 * cannot be used to receive (a reply to an address we do not have is
 * dropped, and rp_filter may drop even broadcasts): like client4 and
 * udhcpc we talk through an AF_PACKET socket bound to the device,
 * building the IPv4 and UDP headers ourselves, and ask for broadcast
 * replies.  Received UDP checksums are not checked: on a veth the sender's
 * checksum may legitimately be left to offload (lxc-net's
 * "CHECKSUM --checksum-fill" rule exists for that).
 *
 * The ACK must carry a non-zero address, a router and a DNS server
 * (upstream's errors); the netmask gives the prefix.  The caller then
 * configures the device like any other driver's (netsetup.c).
 *
 * Renewal: upstream runs a goroutine that repeats the whole exchange at
 * 0.9 x the lease (1 h if none was given) and panics, ending rootlesskit,
 * if the address changed.  We fork a small process for it, so that a
 * server that is slow to answer never stalls the child's signal
 * forwarding.  It dies with the process that forked it (PDEATHSIG) and
 * reports a failure as text on a pipe that the child polls; the child
 * then stops the command and exits with the error.
 */
#include "dhcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "netsetup.h"

#define DHCP_FIXED	236		/* op .. file */
#define DHCP_MIN	300		/* BOOTP minimum message size */
#define DHCP_TIMEOUT_MS	30000		/* upstream's read/write timeouts */
#define DEFAULT_LEASE	3600		/* upstream: time.Hour */
static const uint8_t cookie[4] = { 99, 130, 83, 99 };

size_t rk_dhcp_build(uint8_t *buf, size_t cap, int type, uint32_t xid,
		     const uint8_t mac[6], uint32_t req_ip, uint32_t server)
{
	static const uint8_t params[] = { 1, 3, 6, 15, 26, 51 };
	uint32_t nxid = htonl(xid);
	size_t o = DHCP_FIXED;

	if (cap < DHCP_MIN)
		return 0;
	memset(buf, 0, DHCP_MIN);
	buf[0] = 1;			/* BOOTREQUEST */
	buf[1] = 1;			/* Ethernet */
	buf[2] = 6;
	memcpy(buf + 4, &nxid, 4);
	buf[10] = 0x80;			/* flags: broadcast */
	memcpy(buf + 28, mac, 6);
	memcpy(buf + o, cookie, 4);
	o += 4;
	buf[o++] = 53;
	buf[o++] = 1;
	buf[o++] = (uint8_t)type;
	if (req_ip) {
		buf[o++] = 50;
		buf[o++] = 4;
		memcpy(buf + o, &req_ip, 4);
		o += 4;
	}
	if (server) {
		buf[o++] = 54;
		buf[o++] = 4;
		memcpy(buf + o, &server, 4);
		o += 4;
	}
	buf[o++] = 55;
	buf[o++] = sizeof(params);
	memcpy(buf + o, params, sizeof(params));
	o += sizeof(params);
	buf[o++] = 255;
	return o < DHCP_MIN ? DHCP_MIN : o;
}

int rk_dhcp_parse(const uint8_t *buf, size_t len, uint32_t xid,
		  struct rk_dhcp_msg *m, struct rk_err *err)
{
	uint32_t nxid = htonl(xid);
	size_t o = DHCP_FIXED + 4;

	memset(m, 0, sizeof(*m));
	if (len < DHCP_FIXED + 4 || buf[0] != 2)
		return rk_err_set(err, "not a DHCP reply");
	if (memcmp(buf + 4, &nxid, 4))
		return rk_err_set(err, "DHCP reply for another transaction");
	if (memcmp(buf + DHCP_FIXED, cookie, 4))
		return rk_err_set(err, "DHCP reply without the magic cookie");
	memcpy(&m->yiaddr, buf + 16, 4);
	while (o < len && buf[o] != 255) {
		uint8_t code = buf[o], l;
		const uint8_t *v;

		if (code == 0) {		/* pad */
			o++;
			continue;
		}
		if (o + 2 > len || o + 2 + buf[o + 1] > len)
			return rk_err_set(err, "DHCP option %u runs past the message",
					  code);
		l = buf[o + 1];
		v = buf + o + 2;
		switch (code) {
		case 53:
			if (l >= 1)
				m->type = v[0];
			break;
		case 1:
			if (l >= 4)
				memcpy(&m->mask, v, 4);
			break;
		case 3:
			if (l >= 4)
				memcpy(&m->router, v, 4);
			break;
		case 6:
			if (l >= 4)
				memcpy(&m->dns, v, 4);
			break;
		case 54:
			if (l >= 4)
				memcpy(&m->server, v, 4);
			break;
		case 51:
			if (l >= 4) {
				memcpy(&m->lease, v, 4);
				m->lease = ntohl(m->lease);
			}
			break;
		default:
			break;
		}
		o += 2 + (size_t)l;
	}
	return 0;
}

int rk_dhcp_check_ack(const struct rk_dhcp_msg *m, struct rk_err *err)
{
	if (m->type != RK_DHCP_ACK)
		return rk_err_set(err, "did not get DHCPACK");
	if (!m->yiaddr)
		return rk_err_set(err, "got zero YourIPAddr");
	if (!m->router)
		return rk_err_set(err, "got no Router");
	if (!m->dns)
		return rk_err_set(err, "got no DNS");
	return 0;
}

/* csum() - the Internet checksum of @len bytes, folded, not inverted,
 * starting from @sum */
static uint32_t csum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* A client: the packet socket on the device and what identifies us */
struct client {
	int fd;
	int ifindex;
	uint8_t mac[6];
	uint32_t xid;
	const char *dev;
};

/* client_open() - AF_PACKET socket bound to @dev for IPv4, and its MAC;
 * returns 0 or -1 with @err set */
static int client_open(struct client *c, const char *dev, struct rk_err *err)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_IP) };
	struct ifreq ifr = { 0 };

	c->dev = dev;
	c->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (c->fd < 0)
		return rk_err_errno(err, errno, "socket(AF_PACKET)");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(c->fd, SIOCGIFHWADDR, &ifr) < 0)
		return rk_err_errno(err, errno, "get the MAC address of %s", dev);
	memcpy(c->mac, ifr.ifr_hwaddr.sa_data, 6);
	c->ifindex = (int)if_nametoindex(dev);
	sll.sll_ifindex = c->ifindex;
	if (!c->ifindex ||
	    bind(c->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return rk_err_errno(err, errno, "bind to %s", dev);
	if (getrandom(&c->xid, sizeof(c->xid), 0) != sizeof(c->xid))
		c->xid = (uint32_t)getpid() ^ (uint32_t)rk_now_ms();
	return 0;
}

/* client_send() - @dhcp (@len bytes) in IPv4/UDP 0.0.0.0:68 ->
 * 255.255.255.255:67, to the Ethernet broadcast address; returns 0 or -1
 * with @err set */
static int client_send(struct client *c, const uint8_t *dhcp, size_t len,
		       struct rk_err *err)
{
	uint8_t pkt[sizeof(struct iphdr) + sizeof(struct udphdr) + 576];
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(pkt + sizeof(*ip));
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = c->ifindex, .sll_halen = 6 };
	uint8_t pseudo[12] = { 0 };
	size_t ulen = sizeof(*udp) + len;
	uint32_t s;

	if (len > 576)
		return rk_err_set(err, "DHCP message too long");
	memset(pkt, 0, sizeof(*ip) + sizeof(*udp));
	memcpy(pkt + sizeof(*ip) + sizeof(*udp), dhcp, len);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + ulen));
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->daddr = INADDR_BROADCAST;
	ip->check = htons((uint16_t)~csum(ip, sizeof(*ip), 0));
	udp->source = htons(68);
	udp->dest = htons(67);
	udp->len = htons((uint16_t)ulen);
	memset(pseudo + 4, 0xff, 4);	/* 0.0.0.0 -> 255.255.255.255 */
	pseudo[9] = IPPROTO_UDP;
	pseudo[10] = (uint8_t)(ulen >> 8);
	pseudo[11] = (uint8_t)ulen;
	s = (uint16_t)~csum(udp, ulen, csum(pseudo, sizeof(pseudo), 0));
	udp->check = htons(s ? (uint16_t)s : 0xffff);
	memset(to.sll_addr, 0xff, 6);
	while (sendto(c->fd, pkt, sizeof(*ip) + ulen, 0, (struct sockaddr *)&to,
		      sizeof(to)) < 0) {
		if (errno != EINTR)
			return rk_err_errno(err, errno, "send DHCP message on %s",
					    c->dev);
	}
	return 0;
}

/* client_recv() - one DHCP reply of type @want (or a NAK) for our xid
 * within @deadline (rk_now_ms()), sending @req again after 1, 2, 4, 4...
 * s; returns 0 with @m filled, or -1 with @err set */
static int client_recv(struct client *c, const uint8_t *req, size_t reqlen,
		       int want, uint64_t deadline, struct rk_dhcp_msg *m,
		       struct rk_err *err)
{
	uint64_t next = rk_now_ms() + 1000;
	int backoff = 1000;

	for (;;) {
		uint8_t b[2048];
		struct sockaddr_ll from = { 0 };
		socklen_t fl = sizeof(from);
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		uint64_t now = rk_now_ms();
		const struct iphdr *ip = (const struct iphdr *)b;
		const struct udphdr *udp;
		struct rk_err perr;
		size_t ihl;
		ssize_t n;

		if (now >= deadline)
			return rk_err_set(err, "timed out waiting for DHCP%s",
					  want == RK_DHCP_OFFER ? "OFFER" : "ACK");
		if (now >= next) {
			if (client_send(c, req, reqlen, err) < 0)
				return -1;
			backoff = backoff < 4000 ? backoff * 2 : 4000;
			next = now + (uint64_t)backoff;
		}
		n = poll(&p, 1, (int)((next < deadline ? next : deadline) - now));
		if (n < 0 && errno != EINTR)
			return rk_err_errno(err, errno, "poll");
		if (n <= 0)
			continue;
		n = recvfrom(c->fd, b, sizeof(b), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return rk_err_errno(err, errno, "receive on %s", c->dev);
		}
		if (from.sll_pkttype == PACKET_OUTGOING ||
		    (size_t)n < sizeof(*ip) || ip->version != 4 ||
		    ip->protocol != IPPROTO_UDP)
			continue;
		ihl = (size_t)ip->ihl * 4;
		if (ihl < sizeof(*ip) || (size_t)n < ihl + sizeof(*udp))
			continue;
		udp = (const struct udphdr *)(b + ihl);
		if (udp->dest != htons(68) || udp->source != htons(67))
			continue;
		if (ntohs(udp->len) < sizeof(*udp) ||
		    ihl + ntohs(udp->len) > (size_t)n)
			continue;
		if (rk_dhcp_parse(b + ihl + sizeof(*udp),
				  ntohs(udp->len) - sizeof(*udp), c->xid, m,
				  &perr) < 0)
			continue;
		if (m->type == want || m->type == RK_DHCP_NAK)
			return 0;
	}
}

/* exchange() - DISCOVER/OFFER/REQUEST/ACK on @dev (@hint: the address
 * to ask for, or 0); returns 0 with @ack filled and checked, or -1 with
 * @err set ("could not exchange DHCP with <dev>: ..." or upstream's
 * checks of the ACK) */
static int exchange(const char *dev, uint32_t hint, struct rk_dhcp_msg *ack,
		    struct rk_err *err)
{
	struct client c = { .fd = -1 };
	struct rk_dhcp_msg offer = { 0 };
	uint8_t req[DHCP_MIN + 64];
	bool wrap = true;	/* an I/O failure, not the server's answer */
	size_t len;
	int r = -1;

	memset(ack, 0, sizeof(*ack));

	rk_debug("exchanging DHCP messages using %s, may take a few seconds",
		 dev);
	if (client_open(&c, dev, err) < 0)
		goto out;
	len = rk_dhcp_build(req, sizeof(req), RK_DHCP_DISCOVER, c.xid, c.mac,
			    hint, 0);
	if (client_send(&c, req, len, err) < 0 ||
	    client_recv(&c, req, len, RK_DHCP_OFFER,
			rk_now_ms() + DHCP_TIMEOUT_MS, &offer, err) < 0)
		goto out;
	if (offer.type == RK_DHCP_NAK) {
		rk_err_set(err, "did not get DHCPACK");
		wrap = false;
		goto out;
	}
	len = rk_dhcp_build(req, sizeof(req), RK_DHCP_REQUEST, c.xid, c.mac,
			    offer.yiaddr, offer.server);
	if (client_send(&c, req, len, err) < 0 ||
	    client_recv(&c, req, len, RK_DHCP_ACK,
			rk_now_ms() + DHCP_TIMEOUT_MS, ack, err) < 0)
		goto out;
	r = 0;
out:
	if (c.fd >= 0)
		close(c.fd);
	if (r < 0 && wrap)
		return rk_err_wrap(err, "could not exchange DHCP with %s", dev);
	return r < 0 ? r : rk_dhcp_check_ack(ack, err);
}

/* prefix_len() - Go's net.IPMask.Size(): the prefix of a canonical mask,
 * 0 for a non-canonical or absent one */
static int prefix_len(uint32_t nmask)
{
	uint32_t h = ntohl(nmask);
	int n = __builtin_popcount(h);

	return h == (n ? ~0U << (32 - n) : 0) ? n : 0;
}

int rk_dhcp_lease(struct rk_netcfg *cfg, uint32_t *lease_s,
		  struct rk_err *err)
{
	struct rk_dhcp_msg ack = { 0 };

	if (!cfg->dev[0])
		return rk_err_set(err, "could not determine the dev");
	if (rk_link_up(cfg->dev, err) < 0 || exchange(cfg->dev, 0, &ack, err) < 0)
		return -1;
	inet_ntop(AF_INET, &ack.yiaddr, cfg->ip, sizeof(cfg->ip));
	inet_ntop(AF_INET, &ack.router, cfg->gateway, sizeof(cfg->gateway));
	inet_ntop(AF_INET, &ack.dns, cfg->dns, sizeof(cfg->dns));
	cfg->prefix = prefix_len(ack.mask);
	*lease_s = ack.lease ? ack.lease : DEFAULT_LEASE;
	rk_debug("DHCP: %s/%d gateway %s dns %s lease %us", cfg->ip,
		 cfg->prefix, cfg->gateway, cfg->dns, *lease_s);
	return 0;
}

void rk_dhcp_renew_loop(const struct rk_netcfg *cfg, uint32_t lease_s,
			int notify_fd)
{
	struct rk_err err = { 0 };
	uint32_t ip;

	inet_pton(AF_INET, cfg->ip, &ip);
	for (;;) {
		struct rk_dhcp_msg ack = { 0 };
		char got[INET_ADDRSTRLEN];
		uint64_t ms = (uint64_t)lease_s * 900;	/* 0.9 x lease */

		/* an "infinite" lease (0xffffffff) is never renewed */
		if (lease_s == UINT32_MAX)
			for (;;)
				pause();
		rk_debug("DHCP lease=%us, sleeping lease * 0.9", lease_s);
		while (ms > 0) {
			unsigned int chunk = ms > 1000000 ? 1000000 : (unsigned int)ms;

			poll(NULL, 0, (int)chunk);
			ms -= chunk;
		}
		if (exchange(cfg->dev, ip, &ack, &err) < 0) {
			rk_err_wrap(&err, "DHCP renewal");
			break;
		}
		if (ack.yiaddr != ip) {
			inet_ntop(AF_INET, &ack.yiaddr, got, sizeof(got));
			rk_err_set(&err, "DHCP renewal: expected to retain %s, got %s",
				   cfg->ip, got);
			break;
		}
		if (ack.lease)
			lease_s = ack.lease;
	}
	rk_write_all(notify_fd, err.msg, strlen(err.msg));
	_exit(1);
}

pid_t rk_dhcp_renew_start(const struct rk_netcfg *cfg, uint32_t lease_s,
			  int notify_fd, struct rk_err *err)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		return rk_err_errno(err, errno, "fork");
	if (pid == 0) {
		/* keep stdio and the pipe; nothing of the child's channels */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent ||
		    dup2(notify_fd, 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		rk_dhcp_renew_loop(cfg, lease_s, 3);
	}
	return pid;
}
