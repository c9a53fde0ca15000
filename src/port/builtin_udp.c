// SPDX-License-Identifier: Apache-2.0
/*
 * builtin_udp.c - the builtin port driver, parent side: UDP flows
 *
 * Theory of operation.  Each UDP port has a flow table keyed by client
 * address.  A new client gets a UDP socket from the pool (builtin.c),
 * connected to the target; if the pool is empty, its datagrams wait in
 * the flow until the refill arrives (at most UDP_QUEUE per flow and
 * UDP_QUEUE_BYTES in all).  Datagrams are read with recvmmsg() and passed
 * on in batches, in both directions: consecutive datagrams of one flow
 * and equal size go out as one UDP GSO send (UDP_SEGMENT), the rest with
 * sendmmsg(); a listener yields after 8 batches, so a flood of datagrams
 * cannot keep the loop from TCP and the API.  Flows are kept in
 * least-recently-used order, so expiring idle ones (90 s by default) only
 * ever looks at list heads; one timerfd fires at the next expiry.  A port
 * has at most --builtin-udp-max-flows flows: a new client at the cap
 * first evicts the head of the list, the flow idle the longest, so fds
 * stay bounded under a flood of source addresses.
 */
#include "builtin_int.h"

#include <errno.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "transparent.h"

#define UDP_QUEUE_BYTES	((size_t)4 << 20)	/* all flows' held datagrams */
#define UDP_HASH	256
#define GSO_MAX_SEGS	64		/* UDP_MAX_SEGMENTS */
#define GSO_MAX_PAYLOAD	65000		/* one UDP GSO send: < 64 KiB */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif

/* timer_arm() - fire at the earliest flow expiry, or disarm */
static void timer_arm(struct bp *b)
{
	struct itimerspec its = { 0 };
	uint64_t first = 0, now = rk_now_ms();

	for (struct bp_port *p = b->ports; p; p = p->next) {
		if (p->lru_head && (!first || p->lru_head->last < first))
			first = p->lru_head->last;
	}
	if (first) {
		uint64_t at = first + (uint64_t)b->udp_timeout_ms;
		uint64_t in = at > now ? at - now : 1;

		its.it_value.tv_sec = (time_t)(in / 1000);
		its.it_value.tv_nsec = (long)(in % 1000) * 1000000;
	}
	if (first || b->timer_armed)
		timerfd_settime(b->timer.fd, 0, &its, NULL);
	b->timer_armed = first != 0;
}

/* lru_unlink(), lru_append() - LRU list of a port's flows */
static void lru_unlink(struct bp_port *p, struct bp_flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		p->lru_head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		p->lru_tail = f->prev;
	f->prev = f->next = NULL;
}

static void lru_append(struct bp_port *p, struct bp_flow *f)
{
	f->prev = p->lru_tail;
	f->next = NULL;
	if (p->lru_tail)
		p->lru_tail->next = f;
	else
		p->lru_head = f;
	p->lru_tail = f;
}

/* flow_touch() - @f saw traffic now */
static void flow_touch(struct bp_flow *f, uint64_t now)
{
	f->last = now;
	if (f->port->lru_tail != f) {
		lru_unlink(f->port, f);
		lru_append(f->port, f);
	}
}

/* flow_drop_queue() - free the datagrams held in @f */
static void flow_drop_queue(struct bp_flow *f)
{
	for (int i = 0; i < f->nq; i++) {
		f->port->b->qbytes -= f->q[i]->len;
		free(f->q[i]);
	}
	f->nq = 0;
}

/* bp_flow_close() - see builtin_int.h */
void bp_flow_close(struct bp_flow *f)
{
	struct bp_port *p = f->port;
	struct bp_flow **pp = &p->hash[rk_sa_hash(&f->client) % UDP_HASH];

	bp_cancel(&f->wt);
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(p, f);
	p->nflows--;
	rk_loop_close(p->b->loop, &f->w);
	if (f->tp)
		rk_tp_release(&p->b->tp, &f->client);
	f->tp = false;
	flow_drop_queue(f);
	rk_loop_free_later(p->b->loop, f);
}

/*
 * send_run() - send @n datagrams (@mm, iov_len set, one destination) on
 * @fd.  Consecutive datagrams of equal size (the last of a group may be
 * shorter) go out as one UDP GSO send (UDP_SEGMENT): one trip through the
 * stack for up to 64 of them.  Elsewhere, and where the kernel refuses
 * GSO, sendmmsg().  What cannot be sent at once is dropped, as UDP may.
 */
static void send_run(struct bp *b, int fd, struct mmsghdr *mm, int n)
{
	int i = 0;

	while (i < n) {
		size_t seg = mm[i].msg_hdr.msg_iov->iov_len, total = seg;
		int j = i + 1, m;

		while (!b->no_gso && seg && j < n && j - i < GSO_MAX_SEGS) {
			size_t l = mm[j].msg_hdr.msg_iov->iov_len;

			if (l > seg || total + l > GSO_MAX_PAYLOAD)
				break;
			total += l;
			j++;
			if (l < seg)
				break;
		}
		if (j - i >= 2) {
			union {
				char buf[CMSG_SPACE(sizeof(uint16_t))];
				struct cmsghdr align;
			} u;
			struct iovec iov[GSO_MAX_SEGS];
			struct msghdr mh = { .msg_name = mm[i].msg_hdr.msg_name,
					     .msg_namelen = mm[i].msg_hdr.msg_namelen,
					     .msg_iov = iov, .msg_iovlen = (size_t)(j - i),
					     .msg_control = u.buf,
					     .msg_controllen = sizeof(u.buf) };
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			uint16_t gso = (uint16_t)seg;

			for (int k = i; k < j; k++)
				iov[k - i] = *mm[k].msg_hdr.msg_iov;
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(gso));
			memcpy(CMSG_DATA(c), &gso, sizeof(gso));
			if (sendmsg(fd, &mh, MSG_DONTWAIT) >= 0 ||
			    (errno != EINVAL && errno != EOPNOTSUPP && errno != EIO)) {
				i = j;
				continue;
			}
			rk_debug("builtin: UDP GSO unavailable (%s), using sendmmsg",
				 strerror(errno));
			b->no_gso = true;
		}
		if (b->no_gso)
			j = n;
		m = sendmmsg(fd, mm + i, (unsigned)(j - i), MSG_DONTWAIT);
		i += m > 0 ? m : j - i;
	}
}

/* udp_reply_cb() - datagrams from the target: send them to the client */
static void udp_reply_cb(struct rk_watch *w, uint32_t events)
{
	struct bp_flow *f = container_of(w, struct bp_flow, w);
	struct bp *b = f->port->b;
	struct mmsghdr mm[UDP_VLEN];
	struct iovec iov[UDP_VLEN];
	int n, rounds = 0;

	do {
		for (int i = 0; i < UDP_VLEN; i++) {
			iov[i] = (struct iovec){ b->ubuf + (size_t)i * UDP_BUF, UDP_BUF };
			mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
							       .msg_iovlen = 1 } };
		}
		n = recvmmsg(w->fd, mm, UDP_VLEN, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == ECONNREFUSED || errno == EINTR)
				continue;	/* the target is not listening (yet) */
			break;
		}
		for (int i = 0; i < n; i++) {
			iov[i].iov_len = mm[i].msg_len;
			mm[i].msg_hdr.msg_name = &f->client;
			mm[i].msg_hdr.msg_namelen = f->clen;
		}
		send_run(b, f->port->lw.fd, mm, n);
		if (n > 0)
			flow_touch(f, rk_now_ms());
	} while (n == UDP_VLEN && ++rounds < 8);
	if (n == UDP_VLEN)
		rk_loop_again(b->loop, w);
}

/* flow_ready() - @fd is a fresh UDP socket in the child's namespace:
 * connect it to the target and send what waited */
static void flow_ready(struct bp_waiter *wt, int fd, int errnum)
{
	struct bp_flow *f = container_of(wt, struct bp_flow, wt);
	const union rk_sa *t = &f->port->target;

	f->pending = false;
	if (fd >= 0)
		f->tp = rk_tp_bind(&f->port->b->tp, fd, SOCK_DGRAM, t, &f->client);
	if (fd >= 0 && connect(fd, &t->sa, rk_sa_len(t)) < 0) {
		errnum = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		char ts[80];

		rk_debug("builtin: Can't proxy a datagram to udp/%s: %s",
			 rk_sa_str(t, ts, sizeof(ts)), strerror(errnum));
		bp_flow_close(f);
		return;
	}
	f->w.fd = fd;
	if (rk_loop_add(f->port->b->loop, &f->w, EPOLLIN) < 0) {
		bp_flow_close(f);
		return;
	}
	for (int i = 0; i < f->nq; i++)
		send(fd, f->q[i]->data, f->q[i]->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	flow_drop_queue(f);
}

/* flow_get() - the flow of @client, created (and connected) if new, after
 * evicting the flow idle the longest if @p is at its cap; NULL if none can
 * be made */
static struct bp_flow *flow_get(struct bp_port *p, const union rk_sa *client,
				socklen_t clen, uint64_t now)
{
	struct bp *b = p->b;
	struct bp_flow *f;
	unsigned h = rk_sa_hash(client) % UDP_HASH;
	int fd;

	if (!p->hash) {
		p->hash = calloc(UDP_HASH, sizeof(struct bp_flow *));
		if (!p->hash)
			return NULL;
	}
	for (f = p->hash[h]; f; f = f->hnext) {
		if (rk_sa_equal(&f->client, client))
			return f;
	}
	if (p->nflows >= b->udp_max_flows && p->lru_head) {
		char cs[80];

		rk_debug("builtin: %d UDP flows: dropping the one of %s", p->nflows,
			 rk_sa_str(&p->lru_head->client, cs, sizeof(cs)));
		bp_flow_close(p->lru_head);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	p->nflows++;
	f->wt.done = flow_ready;
	f->port = p;
	f->w = (struct rk_watch){ .fd = -1, .cb = udp_reply_cb };
	f->client = *client;
	f->clen = clen;
	f->last = now;
	f->hnext = p->hash[h];
	p->hash[h] = f;
	lru_append(p, f);
	if (!b->timer_armed)
		timer_arm(b);
	fd = bp_pool_take(b, p->target.sa.sa_family, SOCK_DGRAM, &f->wt);
	if (fd == -1) {
		f->pending = true;	/* flow_ready() when the pool is refilled */
		return f;
	}
	flow_ready(&f->wt, fd, errno);
	return f->w.fd >= 0 ? f : NULL;
}

/* bp_udp_listen_cb() - see builtin_int.h */
void bp_udp_listen_cb(struct rk_watch *w, uint32_t events)
{
	struct bp_port *p = container_of(w, struct bp_port, lw);
	struct bp *b = p->b;
	union rk_sa from[UDP_VLEN];
	struct mmsghdr mm[UDP_VLEN];
	struct iovec iov[UDP_VLEN];
	struct bp_flow *fl[UDP_VLEN];
	int n, rounds = 0;

	do {
		uint64_t now = rk_now_ms();

		for (int i = 0; i < UDP_VLEN; i++) {
			iov[i] = (struct iovec){ b->ubuf + (size_t)i * UDP_BUF, UDP_BUF };
			mm[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		n = recvmmsg(w->fd, mm, UDP_VLEN, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct bp_flow *f = flow_get(p, &from[i],
						     mm[i].msg_hdr.msg_namelen, now);

			fl[i] = f;
			iov[i].iov_len = mm[i].msg_len;
			mm[i].msg_hdr.msg_name = NULL;
			mm[i].msg_hdr.msg_namelen = 0;
			if (!f)
				continue;
			flow_touch(f, now);
			if (f->pending) {
				struct udp_dgram *d;

				fl[i] = NULL;
				if (f->nq == UDP_QUEUE ||
				    b->qbytes + mm[i].msg_len > UDP_QUEUE_BYTES)
					continue;
				d = malloc(sizeof(*d) + mm[i].msg_len);
				if (!d)
					continue;
				d->len = mm[i].msg_len;
				memcpy(d->data, iov[i].iov_base, d->len);
				f->q[f->nq++] = d;
				b->qbytes += d->len;
			}
		}
		for (int i = 0; i < n;) {
			int j = i + 1;

			/* a flow of this batch may have been evicted since */
			if (!fl[i] || fl[i]->w.fd < 0) {
				i++;
				continue;
			}
			while (j < n && fl[j] == fl[i])
				j++;
			send_run(b, fl[i]->w.fd, mm + i, j - i);
			i = j;
		}
	} while (n == UDP_VLEN && ++rounds < 8);
	if (n == UDP_VLEN)
		rk_loop_again(b->loop, w);
}

/* bp_udp_timer_cb() - see builtin_int.h */
void bp_udp_timer_cb(struct rk_watch *w, uint32_t events)
{
	struct bp *b = container_of(w, struct bp, timer);
	uint64_t ticks, now = rk_now_ms();

	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	for (struct bp_port *p = b->ports; p; p = p->next) {
		while (p->lru_head &&
		       p->lru_head->last + (uint64_t)b->udp_timeout_ms <= now)
			bp_flow_close(p->lru_head);
	}
	b->timer_armed = true;
	timer_arm(b);
}
