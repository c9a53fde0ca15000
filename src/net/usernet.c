// SPDX-License-Identifier: Apache-2.0
/*
 * usernet.c - --net=gvisor-tap-vsock: a user-mode TCP/IP stack in the parent
 *
 * Theory of operation: upstream runs the Go gVisor stack of
 * gvisor-tap-vsock inside its parent.  We run libslirp (the stack inside
 * slirp4netns and QEMU) inside ours instead: no helper process, no gVisor.
 * The child creates the TAP device in its network namespace and hands us
 * its fd (src/child/tap.c); from then on the whole data path is this file,
 * driven by the parent's one epoll loop (src/lib/loop.c):
 *
 *   TAP fd readable   read up to RX_BATCH frames, slirp_input() each, then
 *                     one round (below).  Frames slirp sends to the
 *                     namespace (send_packet) are written to the TAP fd at
 *                     once; a write that would block queues the frame
 *                     (bounded) and waits for EPOLLOUT.
 *   inner epoll fd    libslirp's host sockets live in an epoll set of
 *                     their own, which sits in the loop as one fd; when it
 *                     is readable, one round.
 *   timerfd           slirp's TCP timers and its own timers: one round.
 *
 * libslirp's interface is poll(2)-shaped: slirp_pollfds_fill() names
 * every fd it wants watched on each call, slirp_pollfds_poll() asks for
 * each one's revents.  A round maps that onto epoll without a poll array:
 * gather the inner epoll's ready events into a table indexed by fd, run
 * the due timers and slirp_pollfds_poll() (the "index" add_poll hands out
 * is the fd itself), then slirp_pollfds_fill() with an add_poll that
 * issues epoll_ctl() only for fds whose interest changed, and finally
 * drop from the set every fd slirp did not name this time (closed, or not
 * wanted now: level-triggered epoll would otherwise spin on it).  In a
 * steady bulk transfer a round costs one epoll_wait() and no epoll_ctl().
 * unregister_poll_fd (called before slirp closes a socket) forgets the fd,
 * so a reused fd number is registered afresh.  The timerfd is re-armed
 * only when a round needs an earlier deadline than the armed one.
 *
 * Addresses are upstream's: gateway and DNS both at CIDR+1.  libslirp
 * serves host loopback at its "host" address and DNS at its "nameserver"
 * address, and refuses every port but 53 on the latter, so the two must
 * differ: the nameserver is CIDR+3 inside the stack, and DNS packets (TCP
 * and UDP, port 53) from the namespace to CIDR+1 are rewritten to CIDR+3
 * on the way in, their replies from CIDR+3 back to CIDR+1 on the way out
 * (address and checksums, incrementally).  Everything else addressed to
 * the gateway reaches the host's 127.0.0.1, unless --disable-host-loopback.
 * DNS is forwarded to the first nameserver of the host's /etc/resolv.conf.
 */
#include "usernet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "net.h"

#define RX_BATCH	64		/* frames read from the TAP per callback */
#define TXQ_MAX		512		/* frames queued while the TAP is full */
#define FRAME_MAX	(65536 + 64)	/* MTU <= 65521, plus Ethernet header */

/* One fd of libslirp, indexed by its number */
struct fdent {
	uint32_t want;		/* epoll events registered, if pos >= 0 */
	uint32_t revents;	/* gathered from the inner epoll this round */
	unsigned gen;		/* round in which slirp last named it */
	int pos;		/* index in rk_usernet.reg, or -1 */
};

/* A libslirp timer */
struct utimer {
	struct utimer *next;
	SlirpTimerCb cb;	/* timer_new(), or NULL: slirp_handle_timer() */
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms;	/* -1: not armed */
};

struct txframe {
	size_t len;
	uint8_t *buf;
};

struct rk_usernet {
	Slirp *slirp;
	struct rk_loop *loop;
	struct rk_watch tapw;	/* the TAP device */
	struct rk_watch pollw;	/* inner epoll set of slirp's sockets */
	struct rk_watch timerw;	/* timerfd */
	uint32_t tap_events;	/* registered for tapw */
	struct fdent *fds;
	int nfds;
	int *reg;		/* fds in the inner epoll set */
	int nreg, capreg;
	unsigned gen;
	struct utimer *timers;
	int64_t armed_ms;	/* deadline on the timerfd, 0: none */
	struct txframe txq[TXQ_MAX];
	int txhead, txn;
	uint32_t gw, dns;	/* CIDR+1 and the internal nameserver, network order */
	uint8_t rx[FRAME_MAX];
	uint8_t tx[FRAME_MAX];	/* an outgoing frame being rewritten */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- DNS address translation ------------------------------------------ */

/* csum_replace4() - fix the 16-bit one's complement checksum at @c for a
 * 32-bit field changing from @from to @to (RFC 1624, eqn. 3) */
static void csum_replace4(uint8_t *c, uint32_t from, uint32_t to, bool udp)
{
	uint16_t hc;
	uint32_t s, f = ntohl(from), t = ntohl(to);

	memcpy(&hc, c, 2);
	hc = ntohs(hc);
	if (udp && hc == 0)
		return;		/* no UDP checksum */
	s = (uint16_t)~hc;
	s += (uint16_t)~(f >> 16) + (uint16_t)~(f & 0xffff);
	s += (t >> 16) + (t & 0xffff);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	hc = (uint16_t)~s;
	if (udp && hc == 0)
		hc = 0xffff;
	hc = htons(hc);
	memcpy(c, &hc, 2);
}

/*
 * nat() - rewrite the IPv4 address at offset @field (12: source, 16:
 * destination) of the frame from @from to @to, if it is @from and, when
 * @dport53 is set, the packet is TCP or UDP to port 53
 * Return: true if the frame was changed
 */
static bool nat(uint8_t *f, size_t len, int field, uint32_t from, uint32_t to,
		bool dport53)
{
	uint8_t *ip = f + 14, *l4;
	size_t ihl;
	uint16_t frag, port;
	uint32_t a;
	bool first;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4)
		return false;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	memcpy(&a, ip + field, 4);
	if (ihl < 20 || len < 14 + ihl || a != from)
		return false;
	memcpy(&frag, ip + 6, 2);
	first = (ntohs(frag) & 0x1fff) == 0;
	l4 = ip + ihl;
	if (dport53) {
		if ((ip[9] != IPPROTO_TCP && ip[9] != IPPROTO_UDP) || !first ||
		    len < 14 + ihl + 4)
			return false;
		memcpy(&port, l4 + 2, 2);
		if (ntohs(port) != 53)
			return false;
	}
	memcpy(ip + field, &to, 4);
	csum_replace4(ip + 10, from, to, false);
	if (first && ip[9] == IPPROTO_TCP && len >= 14 + ihl + 18)
		csum_replace4(l4 + 16, from, to, false);
	else if (first && ip[9] == IPPROTO_UDP && len >= 14 + ihl + 8)
		csum_replace4(l4 + 6, from, to, true);
	return true;
}

/* ---- frames to the namespace -------------------------------------------- */

static void tap_want_out(struct rk_usernet *u, bool out)
{
	uint32_t ev = EPOLLIN | (out ? EPOLLOUT : 0);

	if (u->tapw.fd >= 0 && ev != u->tap_events &&
	    rk_loop_mod(u->loop, &u->tapw, ev) == 0)
		u->tap_events = ev;
}

/* tx_queue() - keep a copy of a frame the TAP could not take; drops it
 * when the queue is full (TCP retransmits) */
static void tx_queue(struct rk_usernet *u, const uint8_t *buf, size_t len)
{
	struct txframe *t;

	if (u->txn == TXQ_MAX)
		return;
	t = &u->txq[(u->txhead + u->txn) % TXQ_MAX];
	t->buf = malloc(len);
	if (!t->buf)
		return;
	memcpy(t->buf, buf, len);
	t->len = len;
	u->txn++;
	tap_want_out(u, true);
}

/* tx_flush() - write queued frames until the TAP is full again */
static void tx_flush(struct rk_usernet *u)
{
	while (u->txn) {
		struct txframe *t = &u->txq[u->txhead];

		if (write(u->tapw.fd, t->buf, t->len) < 0 &&
		    (errno == EAGAIN || errno == EINTR))
			return;
		free(t->buf);
		t->buf = NULL;
		u->txhead = (u->txhead + 1) % TXQ_MAX;
		u->txn--;
	}
	tap_want_out(u, false);
}

/* send_packet() - libslirp's output: one Ethernet frame to the namespace */
static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct rk_usernet *u = opaque;
	const uint8_t *f = buf;

	if (u->tapw.fd < 0 || len > sizeof(u->tx))
		return (ssize_t)len;
	if (len >= 14 + 20 && !memcmp((const uint8_t *)buf + 14 + 12, &u->dns, 4)) {
		memcpy(u->tx, buf, len);
		nat(u->tx, len, 12, u->dns, u->gw, false);
		f = u->tx;
	}
	if (u->txn) {
		tx_queue(u, f, len);	/* keep the order */
		return (ssize_t)len;
	}
	while (write(u->tapw.fd, f, len) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			tx_queue(u, f, len);
		/* else (EIO: the device is down) the frame is lost */
		break;
	}
	return (ssize_t)len;
}

/* ---- libslirp's fds and timers ------------------------------------------ */

static uint32_t to_epoll(int ev)
{
	return (ev & SLIRP_POLL_IN ? EPOLLIN : 0) |
	       (ev & SLIRP_POLL_OUT ? EPOLLOUT : 0) |
	       (ev & SLIRP_POLL_PRI ? EPOLLPRI : 0);
}

static int from_epoll(uint32_t ev)
{
	return (ev & EPOLLIN ? SLIRP_POLL_IN : 0) |
	       (ev & EPOLLOUT ? SLIRP_POLL_OUT : 0) |
	       (ev & EPOLLPRI ? SLIRP_POLL_PRI : 0) |
	       (ev & EPOLLERR ? SLIRP_POLL_ERR : 0) |
	       (ev & EPOLLHUP ? SLIRP_POLL_HUP : 0);
}

/* fd_entry() - the table entry of @fd, growing the table; NULL if out of
 * memory */
static struct fdent *fd_entry(struct rk_usernet *u, int fd)
{
	if (fd >= u->nfds) {
		int n = u->nfds ? u->nfds : 64;
		struct fdent *v;

		while (n <= fd)
			n *= 2;
		v = realloc(u->fds, (size_t)n * sizeof(*v));
		if (!v)
			return NULL;
		for (int i = u->nfds; i < n; i++)
			v[i] = (struct fdent){ .pos = -1 };
		u->fds = v;
		u->nfds = n;
	}
	return &u->fds[fd];
}

/* fd_forget() - take @fd out of the inner epoll set and the table */
static void fd_forget(struct rk_usernet *u, int fd)
{
	struct fdent *e;
	int last;

	if (fd < 0 || fd >= u->nfds || u->fds[fd].pos < 0)
		return;
	e = &u->fds[fd];
	epoll_ctl(u->pollw.fd, EPOLL_CTL_DEL, fd, NULL);
	last = u->reg[--u->nreg];
	u->reg[e->pos] = last;
	u->fds[last].pos = e->pos;
	e->pos = -1;
	e->want = 0;
	e->revents = 0;
}

/* add_poll() - slirp_pollfds_fill()'s callback: slirp wants @fd watched
 * for @events this round; returns the index for get_revents(): the fd */
static int add_poll(int fd, int events, void *opaque)
{
	struct rk_usernet *u = opaque;
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };
	struct fdent *e = fd_entry(u, fd);

	if (!e)
		return -1;
	e->gen = u->gen;
	if (e->pos < 0) {
		if (u->nreg == u->capreg) {
			int c = u->capreg ? u->capreg * 2 : 64;
			int *v = realloc(u->reg, (size_t)c * sizeof(*v));

			if (!v)
				return -1;
			u->reg = v;
			u->capreg = c;
		}
		if (epoll_ctl(u->pollw.fd, EPOLL_CTL_ADD, fd, &ev) < 0 &&
		    (errno != EEXIST ||
		     epoll_ctl(u->pollw.fd, EPOLL_CTL_MOD, fd, &ev) < 0))
			return -1;
		e->pos = u->nreg;
		u->reg[u->nreg++] = fd;
	} else if (e->want != ev.events &&
		   epoll_ctl(u->pollw.fd, EPOLL_CTL_MOD, fd, &ev) < 0 &&
		   (errno != ENOENT ||
		    epoll_ctl(u->pollw.fd, EPOLL_CTL_ADD, fd, &ev) < 0)) {
		return -1;
	}
	e->want = ev.events;
	return fd;
}

/* get_revents() - slirp_pollfds_poll()'s callback */
static int get_revents(int idx, void *opaque)
{
	struct rk_usernet *u = opaque;
	uint32_t ev;

	if (idx < 0 || idx >= u->nfds)
		return 0;
	ev = u->fds[idx].revents;
	u->fds[idx].revents = 0;
	return from_epoll(ev);
}

static void register_poll_fd(int fd, void *opaque)
{
	/* a new socket: if its number was ours before, start afresh */
	fd_forget(opaque, fd);
}

static void unregister_poll_fd(int fd, void *opaque)
{
	fd_forget(opaque, fd);
}

static int64_t clock_get_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *timer_add(struct rk_usernet *u, SlirpTimerCb cb, SlirpTimerId id,
		       void *cb_opaque)
{
	struct utimer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	*t = (struct utimer){ .next = u->timers, .cb = cb, .id = id,
			      .cb_opaque = cb_opaque, .expire_ms = -1 };
	u->timers = t;
	return t;
}

static void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return timer_add(opaque, cb, SLIRP_TIMER_NUM, cb_opaque);
}

static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	return timer_add(opaque, NULL, id, cb_opaque);
}

static void timer_free(void *timer, void *opaque)
{
	struct rk_usernet *u = opaque;

	for (struct utimer **pp = &u->timers; *pp; pp = &(*pp)->next) {
		if (*pp == timer) {
			*pp = ((struct utimer *)timer)->next;
			free(timer);
			return;
		}
	}
}

static void timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	((struct utimer *)timer)->expire_ms = expire_time;
}

static void guest_error(const char *msg, void *opaque)
{
	rk_debug("network/gvisor-tap-vsock: %s", msg);
}

static void notify(void *opaque)
{
	/* only guestfwd (unused) needs it */
}

/* run_timers() - fire slirp's due timers; returns the earliest deadline
 * still armed (ms), or -1 */
static int64_t run_timers(struct rk_usernet *u)
{
	int64_t now = now_ms(), next = -1;
	struct utimer *t;

again:
	for (t = u->timers; t; t = t->next) {
		if (t->expire_ms >= 0 && t->expire_ms <= now) {
			t->expire_ms = -1;
			/* the callback may add, modify or free timers */
			if (t->cb)
				t->cb(t->cb_opaque);
			else
				slirp_handle_timer(u->slirp, t->id, t->cb_opaque);
			goto again;
		}
	}
	for (t = u->timers; t; t = t->next) {
		if (t->expire_ms >= 0 && (next < 0 || t->expire_ms < next))
			next = t->expire_ms;
	}
	return next;
}

/* arm() - make sure the timerfd fires by @deadline (ms, CLOCK_MONOTONIC) */
static void arm(struct rk_usernet *u, int64_t deadline)
{
	struct itimerspec its = { 0 };

	if (u->armed_ms && u->armed_ms <= deadline && u->armed_ms > now_ms())
		return;
	its.it_value.tv_sec = deadline / 1000;
	its.it_value.tv_nsec = (deadline % 1000) * 1000000;
	if (timerfd_settime(u->timerw.fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		u->armed_ms = deadline;
}

/* turn() - one turn of libslirp: ready fds and due timers handled, the
 * fds it wants next registered, the timer armed */
static void turn(struct rk_usernet *u)
{
	struct epoll_event ev[64];
	uint32_t timeout = UINT32_MAX;
	int64_t next;
	int n;

	do {
		n = epoll_wait(u->pollw.fd, ev, 64, 0);
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd >= 0 && fd < u->nfds && u->fds[fd].pos >= 0)
				u->fds[fd].revents |= ev[i].events;
		}
	} while (n == 64);
	next = run_timers(u);
	slirp_pollfds_poll(u->slirp, 0, get_revents, u);
	u->gen++;
	slirp_pollfds_fill(u->slirp, &timeout, add_poll, u);
	for (int i = 0; i < u->nreg;) {
		struct fdent *e = &u->fds[u->reg[i]];

		e->revents = 0;
		if (e->gen != u->gen)
			fd_forget(u, u->reg[i]);	/* moves the last one to i */
		else
			i++;
	}
	if (timeout > 60000)
		timeout = 60000;
	if (next < 0 || next > now_ms() + timeout)
		next = now_ms() + timeout;
	arm(u, next);
}

/* ---- the loop's callbacks ----------------------------------------------- */

static void tap_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_usernet *u = container_of(w, struct rk_usernet, tapw);
	int i;

	if (events & EPOLLOUT)
		tx_flush(u);
	for (i = 0; i < RX_BATCH && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)); i++) {
		ssize_t n = read(w->fd, u->rx, sizeof(u->rx));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* the namespace and its device are gone */
			rk_debug("network/gvisor-tap-vsock: tap: %s",
				 n < 0 ? strerror(errno) : "EOF");
			rk_loop_close(u->loop, w);
			break;
		}
		nat(u->rx, (size_t)n, 16, u->gw, u->dns, true);
		slirp_input(u->slirp, u->rx, (int)n);
	}
	if (i == RX_BATCH)
		rk_loop_again(u->loop, w);	/* more, after the others */
	turn(u);
}

static void poll_cb(struct rk_watch *w, uint32_t events)
{
	turn(container_of(w, struct rk_usernet, pollw));
}

static void timer_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_usernet *u = container_of(w, struct rk_usernet, timerw);
	uint64_t x;

	if (read(w->fd, &x, sizeof(x)) < 0 && errno == EAGAIN)
		return;
	u->armed_ms = 0;
	turn(u);
}

static const SlirpCb callbacks = {
	.send_packet = send_packet,
	.guest_error = guest_error,
	.clock_get_ns = clock_get_ns,
	.timer_new = timer_new,
	.timer_free = timer_free,
	.timer_mod = timer_mod,
	.register_poll_fd = register_poll_fd,
	.unregister_poll_fd = unregister_poll_fd,
	.notify = notify,
	.timer_new_opaque = timer_new_opaque,
};

struct rk_usernet *rk_usernet_new(const struct rk_netcfg *cfg, uint32_t net,
				  int prefix, bool disable_host_loopback,
				  int tapfd, struct rk_loop *loop,
				  struct rk_err *err)
{
	struct rk_usernet *u = calloc(1, sizeof(*u));
	SlirpConfig sc = { .version = 4, .in_enabled = true };
	uint32_t mask = prefix ? ~0U << (32 - prefix) : 0;

	if (!u) {
		close(tapfd);
		rk_err_errno(err, ENOMEM, "setting up network");
		return NULL;
	}
	u->loop = loop;
	u->tapw = (struct rk_watch){ .fd = tapfd, .cb = tap_cb };
	u->pollw = (struct rk_watch){ .fd = epoll_create1(EPOLL_CLOEXEC),
				      .cb = poll_cb };
	u->timerw = (struct rk_watch){
		.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
		.cb = timer_cb };
	if (u->pollw.fd < 0 || u->timerw.fd < 0) {
		rk_err_errno(err, errno, "setting up network");
		goto fail;
	}
	inet_pton(AF_INET, cfg->gateway, &u->gw);
	/* the nameserver inside the stack: CIDR+3 (see the top of the file) */
	u->dns = htonl(net + 3);
	sc.vnetwork.s_addr = htonl(net);
	sc.vnetmask.s_addr = htonl(mask);
	sc.vhost.s_addr = u->gw;
	sc.vnameserver.s_addr = u->dns;
	sc.vdhcp_start.s_addr = htonl(net + 15);
	sc.disable_dhcp = true;
	sc.if_mtu = (size_t)cfg->mtu;
	sc.if_mru = (size_t)cfg->mtu;
	sc.disable_host_loopback = disable_host_loopback;
	u->slirp = slirp_new(&sc, &callbacks, u);
	if (!u->slirp) {
		rk_err_set(err, "setting up network: libslirp refused the configuration (mtu %d, %s/%d)",
			   cfg->mtu, cfg->gateway, prefix);
		goto fail;
	}
	u->tap_events = EPOLLIN;
	if (rk_loop_add(loop, &u->tapw, EPOLLIN) < 0 ||
	    rk_loop_add(loop, &u->pollw, EPOLLIN) < 0 ||
	    rk_loop_add(loop, &u->timerw, EPOLLIN) < 0) {
		rk_err_errno(err, errno, "setting up network: epoll_ctl");
		goto fail;
	}
	rk_debug("network/gvisor-tap-vsock: libslirp %s, gateway %s, mtu %d",
		 slirp_version_string(), cfg->gateway, cfg->mtu);
	turn(u);
	return u;
fail:
	rk_usernet_free(u);
	return NULL;
}

void rk_usernet_free(struct rk_usernet *u)
{
	if (!u)
		return;
	if (u->slirp)
		slirp_cleanup(u->slirp);	/* closes its sockets, frees its timers */
	while (u->timers) {
		struct utimer *t = u->timers;

		u->timers = t->next;
		free(t);
	}
	for (; u->txn; u->txn--) {
		free(u->txq[u->txhead].buf);
		u->txhead = (u->txhead + 1) % TXQ_MAX;
	}
	rk_loop_close(u->loop, &u->tapw);
	rk_loop_close(u->loop, &u->pollw);
	rk_loop_close(u->loop, &u->timerw);
	free(u->fds);
	free(u->reg);
	free(u);
}

/* deepen_backlog() - libslirp listens with a backlog of 1; give the new
 * listener of host port @port (network order) a real one, so that bursts
 * of connections are not refused */
static void deepen_backlog(struct rk_usernet *u, struct in_addr host,
			   uint16_t port)
{
	for (int i = 0; i < u->nreg; i++) {
		struct sockaddr_in sa = { 0 };
		socklen_t len = sizeof(sa);
		int acc = 0;
		socklen_t alen = sizeof(acc);

		if (getsockopt(u->reg[i], SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) == 0 &&
		    acc && getsockname(u->reg[i], (struct sockaddr *)&sa, &len) == 0 &&
		    sa.sin_family == AF_INET && sa.sin_port == port &&
		    sa.sin_addr.s_addr == host.s_addr) {
			listen(u->reg[i], SOMAXCONN);
			return;
		}
	}
}

int rk_usernet_hostfwd(struct rk_usernet *u, bool add, bool udp,
		       struct in_addr host, int host_port, struct in_addr guest,
		       int guest_port)
{
	int r;

	errno = 0;
	if (add)
		r = slirp_add_hostfwd(u->slirp, udp, host, host_port, guest,
				      guest_port);
	else
		r = slirp_remove_hostfwd(u->slirp, udp, host, host_port);
	if (r < 0) {
		if (!errno)
			errno = add ? EINVAL : ENOENT;
		return -1;
	}
	turn(u);	/* watch the new listener now */
	if (add && !udp)
		deepen_backlog(u, host, htons((uint16_t)host_port));
	return 0;
}
