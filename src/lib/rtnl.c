// SPDX-License-Identifier: Apache-2.0
/*
 * rtnl.c - minimal rtnetlink requests (routes of type local, fib rules,
 * route lookups)
 *
 * Theory of operation: each call builds one message (header, family
 * header, attributes) in a stack buffer, sends it with NLM_F_ACK and reads
 * the kernel's answer, an NLMSG_ERROR whose error field is 0 or -errno.
 * The kernel answers synchronously, so the read never waits for long.
 */
#include "rtnl.h"

#include <assert.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

struct nlreq {
	struct nlmsghdr h;
	union {
		struct rtmsg rt;
		struct fib_rule_hdr fr;
	} u;
	char attrs[128];
};

int rk_rtnl_open(void)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	/* connected to the kernel: the namespace's root cannot unicast
	 * forged answers to it (ECONNREFUSED); a lost answer costs at
	 * most a second, never a hang */
	if (fd >= 0 && (connect(fd, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ||
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* add_attr() - append attribute @type with @len bytes of @data to @r; the
 * callers' attributes are fixed and small, so running out of room is a bug */
static void add_attr(struct nlreq *r, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(void *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	assert(NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len) <= sizeof(*r));
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* route_of() - fill @out from the RTM_NEWROUTE message @h */
static void route_of(const struct nlmsghdr *h, struct rk_route *out)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	size_t l = RTM_PAYLOAD(h);

	*out = (struct rk_route){ .type = rt->rtm_type };
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, l); a = RTA_NEXT(a, l)) {
		if (a->rta_type == RTA_OIF)
			memcpy(&out->oif, RTA_DATA(a), sizeof(int));
		else if (a->rta_type == RTA_GATEWAY || a->rta_type == RTA_VIA)
			out->via_gateway = true;
	}
}

/* talk() - send @r and read the kernel's answer: its acknowledgement, or
 * with @route (a RTM_GETROUTE) the route, into @route.  Returns 0 or
 * -errno */
static int talk(int fd, struct nlreq *r, struct rk_route *route)
{
	static uint32_t seq;
	union {
		char buf[1024];
		struct nlmsghdr align;
	} u;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	r->h.nlmsg_flags |= NLM_F_REQUEST | (route ? 0 : NLM_F_ACK);
	r->h.nlmsg_seq = ++seq;
	while (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		      sizeof(kernel)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	for (;;) {
		struct nlmsghdr *h = &u.align;

		n = recv(fd, u.buf, sizeof(u.buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq)
				continue;	/* an answer to an earlier call */
			if (h->nlmsg_type == NLMSG_ERROR &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (route && h->nlmsg_type == RTM_NEWROUTE &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct rtmsg))) {
				route_of(h, route);
				return 0;
			}
		}
	}
}

int rk_rtnl_local_route(int fd, bool add, int family, const void *dst,
			int plen, const void *src, int table,
			struct rk_err *err)
{
	struct nlreq r = { 0 };
	size_t alen = family == AF_INET6 ? 16 : 4;
	uint32_t t = (uint32_t)table, oif = 1;	/* lo is always ifindex 1 */
	int e;

	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	r.h.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	r.u.rt = (struct rtmsg){ .rtm_family = (unsigned char)family,
				 .rtm_dst_len = (unsigned char)plen,
				 .rtm_table = RT_TABLE_UNSPEC,
				 .rtm_protocol = RTPROT_BOOT,
				 .rtm_scope = RT_SCOPE_HOST,
				 .rtm_type = RTN_LOCAL };
	add_attr(&r, RTA_TABLE, &t, sizeof(t));
	if (dst)
		add_attr(&r, RTA_DST, dst, alen);
	if (src)
		add_attr(&r, RTA_PREFSRC, src, alen);
	add_attr(&r, RTA_OIF, &oif, sizeof(oif));
	e = talk(fd, &r, NULL);
	if (e == 0 || (add && e == -EEXIST) || (!add && e == -ESRCH))
		return 0;
	return rk_err_errno(err, -e, "%s %s local route in table %d",
			    add ? "add" : "delete",
			    family == AF_INET6 ? "IPv6" : "IPv4", table);
}

int rk_rtnl_rule(int fd, int family, unsigned fwmark, int ipproto,
		 int table, int priority, struct rk_err *err)
{
	struct nlreq r = { 0 };
	uint32_t t = (uint32_t)table, prio = (uint32_t)priority, m = fwmark;
	uint8_t p = (uint8_t)ipproto;
	int e;

	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct fib_rule_hdr));
	r.h.nlmsg_type = RTM_NEWRULE;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	r.u.fr = (struct fib_rule_hdr){ .family = (unsigned char)family,
					.action = FR_ACT_TO_TBL };
	add_attr(&r, FRA_TABLE, &t, sizeof(t));
	add_attr(&r, FRA_PRIORITY, &prio, sizeof(prio));
	if (fwmark)
		add_attr(&r, FRA_FWMARK, &m, sizeof(m));
	if (ipproto)
		add_attr(&r, FRA_IP_PROTO, &p, sizeof(p));
	e = talk(fd, &r, NULL);
	if (e == 0 || e == -EEXIST)
		return 0;
	return rk_err_errno(err, -e, "add %s rule for table %d",
			    family == AF_INET6 ? "IPv6" : "IPv4", table);
}

int rk_rtnl_route_get(int fd, int family, const void *dst,
		      struct rk_route *out)
{
	struct nlreq r = { 0 };
	size_t alen = family == AF_INET6 ? 16 : 4;

	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h.nlmsg_type = RTM_GETROUTE;
	r.u.rt = (struct rtmsg){ .rtm_family = (unsigned char)family,
				 .rtm_dst_len = (unsigned char)(alen * 8) };
	add_attr(&r, RTA_DST, dst, alen);
	return talk(fd, &r, out);
}
