// SPDX-License-Identifier: Apache-2.0
/*
 * builtin.c - the builtin port driver, parent side: the proxy
 *
 * Theory of operation.  Each exposed port is a listening socket in the
 * host namespace, registered in the parent's single epoll loop.
 *
 * TCP: a new client is accepted at once and gets a socket from a pool of
 * fresh, unconnected sockets that the child created in its network
 * namespace (builtin_child.c); connect() on such a socket reaches the
 * target inside the namespace.  The pool is refilled in batches, ahead of
 * need, so a forwarded connection costs no round trip to the child.
 * Both sockets then join the loop edge-triggered; data moves with
 * splice(2) socket -> pipe -> socket, so payload never enters user space.
 * Pipes come from a pool and are held only while data is in them, which
 * keeps idle connections at two fds and no pipe.  EOF in one direction is
 * passed on as shutdown(SHUT_WR) once the pipe is empty; the connection
 * is closed when both directions are done or on any error.  Where splice
 * is refused (EINVAL) or no pipe can be had (EMFILE), that direction falls
 * back to read/write through a buffer.  A direction that moved a lot in
 * one go yields (rk_loop_again()) so one fast flow cannot starve others.
 * Both sockets of a connection have TCP keepalive (--builtin-tcp-keepalive,
 * Go's 15 s idle, 15 s interval, 9 probes), so a peer that vanished
 * without a FIN is cleared after about 10 intervals.
 *
 * The pool of a family and type has at most one refill in flight.  A
 * refill that brings no socket (the child or the parent out of fds) fails
 * the connections and flows waiting for it and holds the pool back for
 * 10 ms, doubling up to 1 s while refills keep failing, so an exhausted
 * child is not asked again in a tight loop; one timerfd ends the back-offs.
 *
 * UDP: a flow table per port keyed by client address.  A new client gets
 * a UDP socket from the pool, connected to the target; if the pool is
 * empty, its datagrams wait in the flow until the refill arrives (at most
 * UDP_QUEUE per flow and UDP_QUEUE_BYTES in all).  Datagrams are read with
 * recvmmsg() and passed on with sendmmsg() in batches, in both directions;
 * a listener yields after 8 batches, so a flood of datagrams cannot keep
 * the loop from TCP and the API.  Flows are kept in least-recently-used
 * order, so expiring idle ones (90 s by default) only ever looks at list
 * heads; one timerfd fires at the next expiry.  A port has at most
 * --builtin-udp-max-flows flows: a new client at the cap first evicts the
 * head of the list, the flow idle the longest, so fds stay bounded under
 * a flood of source addresses.
 *
 * Removing a port closes its listener, its connections and its flows
 * before returning, so the port can be bound again at once.
 */
#include "builtin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "transparent.h"

#define PIPE_POOL_MAX	64		/* idle pipes kept */
#define YIELD_BYTES	((size_t)8 << 20)	/* per direction per turn */
#define ACCEPT_BATCH	64
#define UDP_VLEN	32
#define UDP_BUF		((size_t)65536)	/* > 65507, the largest UDPv4 payload */
#define UDP_QUEUE	64		/* datagrams held while the pool refills */
#define UDP_QUEUE_BYTES	((size_t)4 << 20)	/* all flows' held datagrams */
#define UDP_HASH	256
#define GSO_MAX_SEGS	64		/* UDP_MAX_SEGMENTS */
#define GSO_MAX_PAYLOAD	65000		/* one UDP GSO send: < 64 KiB */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif
#define POOL_BATCH	32		/* sockets per refill */
#define POOL_LOW	8		/* refill below this */
#define BACKOFF_MIN_MS	10		/* after a refill that brought nothing */
#define BACKOFF_MAX_MS	1000
#define KEEPALIVE_PROBES 9		/* Go's default (net.KeepAliveConfig) */

static const char *const builtin_protos[] = {
	"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", NULL
};

struct bp;
struct bp_port;

/* A connection or flow waiting for a socket from an empty pool. */
struct bp_waiter {
	void (*done)(struct bp_waiter *w, int fd, int errnum);
	struct bp_pool *pool;		/* set while waiting */
	struct bp_waiter *prev, *next;
};

/* Fresh sockets of one family and type, made by the child. */
struct bp_pool {
	int family, type;
	int fds[2 * POOL_BATCH];
	int n;
	bool pending;			/* a refill was asked for */
	int backoff_ms;			/* after failed refills, else 0 */
	uint64_t retry_at;		/* ms: no refill before; 0: none */
	struct bp_waiter *head, *tail;	/* FIFO of waiters */
};

struct bp_dir {
	int pipe[2];		/* -1 when none is held */
	size_t inpipe;		/* bytes in the pipe */
	char *buf;		/* fallback mode: read/write buffer */
	size_t off, len;
	bool eof, shut;
};

struct bp_conn {
	struct bp_waiter wt;
	struct bp_port *port;
	struct rk_watch cw, sw;	/* client, server (child side) */
	struct bp_dir d[2];	/* 0: client -> server, 1: server -> client */
	bool pending;		/* waiting for the child */
	bool connecting;	/* server connect() in progress */
	union rk_sa client;	/* the client's address, for transparency */
	struct bp_conn *prev, *next;
};

struct udp_dgram {
	size_t len;
	char data[];
};

struct bp_flow {
	struct bp_waiter wt;
	struct bp_port *port;
	struct rk_watch w;	/* connected socket to the target */
	union rk_sa client;
	socklen_t clen;
	uint64_t last;		/* ms, CLOCK_MONOTONIC */
	bool pending;
	bool tp;		/* bound to the client's address (a route ref) */
	struct udp_dgram *q[UDP_QUEUE];
	int nq;
	struct bp_flow *hnext;		/* hash chain */
	struct bp_flow *prev, *next;	/* LRU order, oldest first */
};

struct bp_port {
	struct bp *b;
	int id;
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
	struct rk_watch lw;	/* listener */
	union rk_sa target;
	struct bp_conn *conns;
	struct bp_flow **hash;	/* UDP, allocated with the first flow */
	struct bp_flow *lru_head, *lru_tail;
	int nflows;
	struct bp_port *prev, *next;
};

struct bp {
	struct rk_port_driver drv;
	struct rk_loop *loop;
	struct rk_watch chan;
	bool chan_dead;
	struct bp_pool pools[4];	/* [IPv6?][UDP?] */
	uint32_t seq;
	int next_id;
	struct bp_port *ports;
	int reserve_fd;			/* spare fd for EMFILE on accept */
	int (*pipes)[2];		/* idle pipe pool */
	int npipes;
	int pipe_size;
	int udp_timeout_ms;
	int udp_max_flows;
	int tcp_keepalive;		/* seconds; 0: off */
	size_t qbytes;			/* held in pending flows */
	struct rk_watch timer;
	bool timer_armed;
	struct rk_watch retry;		/* ends pool back-offs */
	char *ubuf;			/* UDP_VLEN * UDP_BUF */
	bool no_gso;			/* UDP_SEGMENT refused: sendmmsg only */
	char host_gw[INET6_ADDRSTRLEN];
	struct rk_tp tp;		/* source-IP transparency */
};

char *rk_sa_str(const union rk_sa *a, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, cap, "[%s]:%u", ip, ntohs(a->in6.sin6_port));
	} else {
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
		snprintf(buf, cap, "%s:%u", ip, ntohs(a->in.sin_port));
	}
	return buf;
}

/* sa_len() - the socklen of @a's family */
static socklen_t sa_len(const union rk_sa *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

/* ---- the channel to the child: socket pools ----------------------------- */

/* pool_of() - the pool for @family and @type */
static struct bp_pool *pool_of(struct bp *b, int family, int type)
{
	return &b->pools[(family == AF_INET6) * 2 + (type == SOCK_DGRAM)];
}

/* pool_refill() - ask the child for a batch, unless one is on its way.
 * At most one request per pool is in flight, so the send cannot block. */
static void pool_refill(struct bp *b, struct bp_pool *p)
{
	struct rk_bp_req q = { .seq = b->seq++, .family = p->family,
			       .type = p->type, .count = POOL_BATCH };

	if (p->pending || b->chan_dead || p->retry_at)
		return;
	while (send(b->chan.fd, &q, sizeof(q), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		rk_debug("builtin: channel to the child: %s", strerror(errno));
		if (errno != EAGAIN)
			b->chan_dead = true;
		return;
	}
	p->pending = true;
}

/*
 * pool_take() - a fresh socket of @family/@type for @w.
 * Return: the socket; or -1 with @w queued (its done() runs when a socket
 * arrives); or -2 with errno set when none can come (the child is gone).
 */
static int pool_take(struct bp *b, int family, int type, struct bp_waiter *w)
{
	struct bp_pool *p = pool_of(b, family, type);
	int fd = -1;

	if (p->n && !p->head)
		fd = p->fds[--p->n];
	if (p->n < POOL_LOW)
		pool_refill(b, p);
	if (fd >= 0)
		return fd;
	if (b->chan_dead) {
		errno = ECONNRESET;
		return -2;
	}
	w->pool = p;
	w->next = NULL;
	w->prev = p->tail;
	if (p->tail)
		p->tail->next = w;
	else
		p->head = w;
	p->tail = w;
	return -1;
}

/* cancel() - take @w off its pool's wait list (its owner goes away) */
static void cancel(struct bp_waiter *w)
{
	struct bp_pool *p = w->pool;

	if (!p)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		p->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		p->tail = w->prev;
	w->pool = NULL;
}

/* pool_serve() - hand sockets to waiters in order; with @errnum and no
 * sockets, fail them all */
static void pool_serve(struct bp *b, struct bp_pool *p, int errnum)
{
	while (p->head && (p->n || errnum)) {
		struct bp_waiter *w = p->head;

		cancel(w);
		if (p->n)
			w->done(w, p->fds[--p->n], 0);
		else
			w->done(w, -1, errnum);
	}
	/* after a failed batch (out of fds) ask again only on the next
	 * demand, never in a ping-pong with the child */
	if (!errnum && (p->head || p->n < POOL_LOW))
		pool_refill(b, p);
}

/* retry_arm() - fire at the earliest end of a pool back-off, or disarm */
static void retry_arm(struct bp *b)
{
	struct itimerspec its = { 0 };
	uint64_t first = 0, now = rk_now_ms();

	for (size_t i = 0; i < ARRAY_SIZE(b->pools); i++) {
		uint64_t at = b->pools[i].retry_at;

		if (at && (!first || at < first))
			first = at;
	}
	if (first) {
		uint64_t in = first > now ? first - now : 1;

		its.it_value.tv_sec = (time_t)(in / 1000);
		its.it_value.tv_nsec = (long)(in % 1000) * 1000000;
	}
	timerfd_settime(b->retry.fd, 0, &its, NULL);
}

/* pool_backoff() - a refill of @p brought nothing: hold its next refill
 * back, 10 ms doubling to 1 s while refills keep failing */
static void pool_backoff(struct bp *b, struct bp_pool *p)
{
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (p->backoff_ms > BACKOFF_MAX_MS)
		p->backoff_ms = BACKOFF_MAX_MS;
	p->retry_at = rk_now_ms() + (uint64_t)p->backoff_ms;
	retry_arm(b);
}

/* retry_cb() - back-offs that are over: refill those pools if needed */
static void retry_cb(struct rk_watch *w, uint32_t events)
{
	struct bp *b = container_of(w, struct bp, retry);
	uint64_t ticks, now = rk_now_ms();

	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(b->pools); i++) {
		struct bp_pool *p = &b->pools[i];

		if (!p->retry_at || p->retry_at > now)
			continue;
		p->retry_at = 0;
		if (p->head || p->n < POOL_LOW)
			pool_refill(b, p);
	}
	retry_arm(b);
}

/* recv_batch() - one reply into its pool; returns 1, 0 if none is
 * waiting, -1 when the channel is gone */
static int recv_batch(struct bp *b)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RK_BP_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct rk_bp_rep r;
	struct iovec iov = { .iov_base = &r, .iov_len = sizeof(r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	int fds[RK_BP_MAX_FDS], n = 0, errnum;
	struct bp_pool *p;
	struct cmsghdr *c;
	ssize_t len;

	do {
		len = recvmsg(b->chan.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (len < 0 && errno == EINTR);
	if (len < 0)
		return errno == EAGAIN ? 0 : -1;
	if (len == 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
		}
	}
	/* the child's NETLINK_ROUTE socket, sent once before anything else
	 * (rk_builtin_child_send_rtnl()), for per-client UDP routes */
	if (len == (ssize_t)sizeof(r) && r.family == AF_NETLINK && n == 1 &&
	    b->tp.rtnl < 0) {
		b->tp.rtnl = fds[0];
		return 1;
	}
	if (len != (ssize_t)sizeof(r) ||
	    (r.family != AF_INET && r.family != AF_INET6)) {
		while (n--)
			close(fds[n]);
		return 1;
	}
	p = pool_of(b, r.family, r.type == SOCK_DGRAM ? SOCK_DGRAM : SOCK_STREAM);
	p->pending = false;
	/* MSG_CTRUNC: we are out of fds and got fewer than were sent */
	errnum = r.errnum ? r.errnum : (mh.msg_flags & MSG_CTRUNC) ? EMFILE : EPROTO;
	for (int i = 0; i < n; i++) {
		if (p->n < (int)ARRAY_SIZE(p->fds))
			p->fds[p->n++] = fds[i];
		else
			close(fds[i]);
	}
	if (n == 0) {
		rk_debug("builtin: no sockets from the child: %s", strerror(errnum));
		pool_backoff(b, p);
		pool_serve(b, p, errnum);
	} else {
		p->backoff_ms = 0;
		pool_serve(b, p, 0);
	}
	return 1;
}

/* chan_cb() - socket batches from the child */
static void chan_cb(struct rk_watch *w, uint32_t events)
{
	struct bp *b = container_of(w, struct bp, chan);
	int r;

	while ((r = recv_batch(b)) > 0 && b->chan.fd >= 0)
		;
	if (r < 0 && b->chan.fd >= 0) {
		/* the child is gone: fail everything still waiting */
		b->chan_dead = true;
		rk_loop_close(b->loop, &b->chan);
		for (size_t i = 0; i < ARRAY_SIZE(b->pools); i++) {
			b->pools[i].pending = false;
			pool_serve(b, &b->pools[i], ECONNRESET);
		}
	}
}

/* ---- pipes --------------------------------------------------------------- */

/* pipe_get() - a pipe from the pool or a new one; returns 0 or -1 */
static int pipe_get(struct bp *b, int p[2])
{
	if (b->npipes > 0) {
		b->npipes--;
		p[0] = b->pipes[b->npipes][0];
		p[1] = b->pipes[b->npipes][1];
		return 0;
	}
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	/* may fail past the per-user pipe quota; the default size works */
	fcntl(p[0], F_SETPIPE_SZ, b->pipe_size);
	return 0;
}

/* pipe_put() - return an empty pipe to the pool (or close it) */
static void pipe_put(struct bp *b, int p[2])
{
	if (p[0] < 0)
		return;
	if (b->npipes < PIPE_POOL_MAX) {
		b->pipes[b->npipes][0] = p[0];
		b->pipes[b->npipes][1] = p[1];
		b->npipes++;
	} else {
		close(p[0]);
		close(p[1]);
	}
	p[0] = p[1] = -1;
}

/* probe_pipe_size() - the largest pipe size up to 1 MiB we may set */
static int probe_pipe_size(void)
{
	int p[2], size = 1 << 20;

	if (pipe2(p, O_CLOEXEC) < 0)
		return 65536;
	while (size > 65536 && fcntl(p[0], F_SETPIPE_SZ, size) < 0)
		size /= 2;
	close(p[0]);
	close(p[1]);
	return size;
}

/* ---- TCP ----------------------------------------------------------------- */

/* conn_close() - close both sides of @c and free it after this batch */
static void conn_close(struct bp_conn *c)
{
	struct bp *b = c->port->b;

	cancel(&c->wt);
	rk_loop_close_sole(&c->cw);	/* accepted here, never shared */
	rk_loop_close(b->loop, &c->sw);
	for (int i = 0; i < 2; i++) {
		struct bp_dir *d = &c->d[i];

		if (d->inpipe) {
			close(d->pipe[0]);
			close(d->pipe[1]);
			d->pipe[0] = d->pipe[1] = -1;
		}
		pipe_put(b, d->pipe);
		free(d->buf);
		d->buf = NULL;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		c->port->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	rk_loop_free_later(b->loop, c);
}

/* pump_buf() - fallback: move data with read/write.  Returns bytes moved,
 * 0 if blocked, -1 on a fatal error. */
static ssize_t pump_buf(struct bp_dir *d, int src, int dst, size_t cap)
{
	ssize_t moved = 0, n;

	for (;;) {
		if (d->len == 0 && !d->eof) {
			n = read(src, d->buf, cap);
			if (n == 0) {
				d->eof = true;
			} else if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					return -1;
			} else {
				d->off = 0;
				d->len = (size_t)n;
			}
		}
		if (d->len == 0)
			return moved;
		n = send(dst, d->buf + d->off, d->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? moved : -1;
		}
		d->off += (size_t)n;
		d->len -= (size_t)n;
		moved += n;
		if (moved >= (ssize_t)YIELD_BYTES)
			return moved;
	}
}

/* to_fallback() - switch @d to read/write through a buffer as large as a
 * pipe, so what the pipe already holds fits; returns 0 or -1 */
static int to_fallback(struct bp *b, struct bp_dir *d)
{
	d->buf = malloc((size_t)b->pipe_size);
	if (!d->buf)
		return -1;
	d->off = d->len = 0;
	if (d->inpipe) {	/* keep the bytes already in the pipe */
		ssize_t n = read(d->pipe[0], d->buf, (size_t)b->pipe_size);

		if (n < 0 || (size_t)n != d->inpipe)
			return -1;
		d->len = (size_t)n;
		d->inpipe = 0;
	}
	pipe_put(b, d->pipe);
	return 0;
}

/*
 * pump() - move what can be moved in direction @i of @c without blocking.
 * Return: 1 if it stopped early to yield, 0 when blocked or done, -1 on a
 * fatal error (close the connection).
 */
static int pump(struct bp_conn *c, int i)
{
	struct bp *b = c->port->b;
	struct bp_dir *d = &c->d[i];
	int src = i ? c->sw.fd : c->cw.fd, dst = i ? c->cw.fd : c->sw.fd;
	size_t moved = 0;
	ssize_t n;

	if (d->shut)
		return 0;
	if (!d->buf && d->pipe[0] < 0 && !d->eof) {
		if (pipe_get(b, d->pipe) < 0 && to_fallback(b, d) < 0)
			return -1;
	}
	while (!d->buf) {
		bool progress = false;

		if (!d->eof && d->inpipe < (size_t)b->pipe_size) {
			n = splice(src, NULL, d->pipe[1], NULL,
				   (size_t)b->pipe_size - d->inpipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				d->inpipe += (size_t)n;
				progress = true;
			} else if (n == 0) {
				d->eof = true;
				progress = true;
			} else if (errno == EINVAL && d->inpipe == 0) {
				if (to_fallback(b, d) < 0)
					return -1;
				break;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (d->inpipe) {
			n = splice(d->pipe[0], NULL, dst, NULL, d->inpipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				d->inpipe -= (size_t)n;
				moved += (size_t)n;
				progress = true;
			} else if (n < 0 && errno == EINVAL) {
				if (to_fallback(b, d) < 0)
					return -1;
				break;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (!progress)
			break;
		if (moved >= YIELD_BYTES)
			return 1;
	}
	if (d->buf) {
		n = pump_buf(d, src, dst, (size_t)b->pipe_size);
		if (n < 0)
			return -1;
		if (n >= (ssize_t)YIELD_BYTES)
			return 1;
	}
	if (!d->buf && d->inpipe == 0)
		pipe_put(b, d->pipe);
	if (d->eof && d->inpipe == 0 && d->len == 0) {
		/* pass the half-close on; if the other direction is done
		 * too, the close() that follows sends the FIN */
		if (!c->d[!i].shut)
			shutdown(dst, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

/* set_keepalive() - TCP keepalive on @fd: first probe after @secs idle,
 * then every @secs, the connection reset after KEEPALIVE_PROBES unanswered
 * ones; nothing when @secs is 0.  Best effort: a refused option leaves the
 * connection as it was. */
static void set_keepalive(int fd, int secs)
{
	int one = 1, cnt = KEEPALIVE_PROBES;

	if (secs <= 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof(secs));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &secs, sizeof(secs));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* conn_event() - readiness on either socket of @c */
static void conn_event(struct bp_conn *c, uint32_t events)
{
	int r0, r1;

	if (c->connecting) {
		int e = 0;
		socklen_t len = sizeof(e);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		union rk_sa peer;
		socklen_t plen = sizeof(peer);

		/* connected, failed, or still in progress? */
		if (getpeername(c->sw.fd, &peer.sa, &plen) < 0) {
			if (getsockopt(c->sw.fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
				e = errno;
			if (!e)
				return;	/* EPOLLOUT will come */
		}
		if (e) {
			char t[80];

			rk_debug("builtin: connect to %s in the child: %s",
				 rk_sa_str(&c->port->target, t, sizeof(t)),
				 strerror(e));
			conn_close(c);
			return;
		}
		c->connecting = false;
	}
	r0 = pump(c, 0);
	r1 = r0 < 0 ? -1 : pump(c, 1);
	if (r0 < 0 || r1 < 0 || (c->d[0].shut && c->d[1].shut)) {
		conn_close(c);
		return;
	}
	if ((r0 > 0 || r1 > 0) && rk_loop_again(c->port->b->loop, &c->cw) < 0)
		conn_close(c);
}

/* conn_cw_cb(), conn_sw_cb() - epoll callbacks of the two sockets */
static void conn_cw_cb(struct rk_watch *w, uint32_t events)
{
	struct bp_conn *c = container_of(w, struct bp_conn, cw);

	/* the server side reports the end of connect(); a yielded
	 * connection is resumed through this watch */
	if (!c->connecting)
		conn_event(c, events);
}

static void conn_sw_cb(struct rk_watch *w, uint32_t events)
{
	conn_event(container_of(w, struct bp_conn, sw), events);
}

/*
 * conn_ready() - @fd is a fresh socket in the child's namespace: connect it
 * to the target and start forwarding once connect() completes
 */
static void conn_ready(struct bp_waiter *wt, int fd, int errnum)
{
	struct bp_conn *c = container_of(wt, struct bp_conn, wt);
	struct bp_port *p = c->port;
	const uint32_t ev = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	char t[80];

	c->pending = false;
	if (fd >= 0)
		rk_tp_bind(&p->b->tp, fd, SOCK_STREAM, &p->target, &c->client);
	if (fd >= 0 && connect(fd, &p->target.sa, sa_len(&p->target)) < 0 &&
	    errno != EINPROGRESS) {
		errnum = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		rk_debug("builtin: connect to %s in the child: %s",
			 rk_sa_str(&p->target, t, sizeof(t)), strerror(errnum));
		conn_close(c);
		return;
	}
	c->sw.fd = fd;
	c->connecting = true;
	set_keepalive(fd, p->b->tcp_keepalive);
	if (rk_loop_add(p->b->loop, &c->sw, ev) < 0 ||
	    rk_loop_add(p->b->loop, &c->cw, ev) < 0) {
		conn_close(c);
		return;
	}
	/* on loopback the handshake is usually done by now: start moving
	 * data without waiting for another turn of the loop */
	conn_event(c, EPOLLOUT);
}

/* accept_one() - accept a client on @p; returns 1 if one was accepted, 0
 * if none is waiting, -1 on a listener error */
static int accept_one(struct bp_port *p)
{
	struct bp *b = p->b;
	struct bp_conn *c;
	union rk_sa client;
	socklen_t clen = sizeof(client);
	int fd = accept4(p->lw.fd, &client.sa, &clen, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return errno == EINTR;
		if ((errno == EMFILE || errno == ENFILE) && b->reserve_fd >= 0) {
			/* out of fds: refuse this client, keep the rest going */
			close(b->reserve_fd);
			fd = accept(p->lw.fd, NULL, NULL);
			if (fd >= 0)
				close(fd);
			b->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			rk_debug("builtin: accept: too many open files");
			return fd >= 0;
		}
		if (errno == ECONNABORTED || errno == EPERM || errno == ENOBUFS ||
		    errno == ENOMEM || errno == EMFILE || errno == ENFILE)
			return 1;
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return 1;
	}
	set_keepalive(fd, b->tcp_keepalive);
	c->wt.done = conn_ready;
	c->port = p;
	c->client = client;
	c->cw = (struct rk_watch){ .fd = fd, .cb = conn_cw_cb };
	c->sw = (struct rk_watch){ .fd = -1, .cb = conn_sw_cb };
	for (int i = 0; i < 2; i++)
		c->d[i].pipe[0] = c->d[i].pipe[1] = -1;
	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	fd = pool_take(b, p->target.sa.sa_family, SOCK_STREAM, &c->wt);
	if (fd == -1)
		c->pending = true;	/* conn_ready() when the pool is refilled */
	else
		conn_ready(&c->wt, fd, errno);
	return 1;
}

/* tcp_listen_cb() - clients waiting on a TCP listener */
static void tcp_listen_cb(struct rk_watch *w, uint32_t events)
{
	struct bp_port *p = container_of(w, struct bp_port, lw);
	int i, r = 1;

	/* level-triggered: whatever is left after a batch fires again */
	for (i = 0; i < ACCEPT_BATCH && (r = accept_one(p)) > 0; i++)
		;
	if (r < 0)
		rk_debug("builtin: accept: %s", strerror(errno));
}

/* ---- UDP ----------------------------------------------------------------- */

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

/* flow_hash() - bucket of a client address */
static unsigned flow_hash(const union rk_sa *a)
{
	const unsigned char *k;
	size_t n;
	unsigned h = 2166136261u;

	if (a->sa.sa_family == AF_INET6) {
		k = (const unsigned char *)&a->in6.sin6_addr;
		n = sizeof(a->in6.sin6_addr);
		h = (h ^ a->in6.sin6_port) * 16777619u;
	} else {
		k = (const unsigned char *)&a->in.sin_addr;
		n = sizeof(a->in.sin_addr);
		h = (h ^ a->in.sin_port) * 16777619u;
	}
	while (n--)
		h = (h ^ *k++) * 16777619u;
	return h % UDP_HASH;
}

/* sa_equal() - same family, address and port */
static bool sa_equal(const union rk_sa *a, const union rk_sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
			       sizeof(a->in6.sin6_addr));
	return a->in.sin_port == b->in.sin_port &&
	       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
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

/* flow_close() - drop @f from its port and free it after this batch */
static void flow_close(struct bp_flow *f)
{
	struct bp_port *p = f->port;
	struct bp_flow **pp = &p->hash[flow_hash(&f->client)];

	cancel(&f->wt);
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
	if (fd >= 0 && connect(fd, &t->sa, sa_len(t)) < 0) {
		errnum = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		char ts[80];

		rk_debug("builtin: Can't proxy a datagram to udp/%s: %s",
			 rk_sa_str(t, ts, sizeof(ts)), strerror(errnum));
		flow_close(f);
		return;
	}
	f->w.fd = fd;
	if (rk_loop_add(f->port->b->loop, &f->w, EPOLLIN) < 0) {
		flow_close(f);
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
	unsigned h = flow_hash(client);
	int fd;

	if (!p->hash) {
		p->hash = calloc(UDP_HASH, sizeof(struct bp_flow *));
		if (!p->hash)
			return NULL;
	}
	for (f = p->hash[h]; f; f = f->hnext) {
		if (sa_equal(&f->client, client))
			return f;
	}
	if (p->nflows >= b->udp_max_flows && p->lru_head) {
		char cs[80];

		rk_debug("builtin: %d UDP flows: dropping the one of %s", p->nflows,
			 rk_sa_str(&p->lru_head->client, cs, sizeof(cs)));
		flow_close(p->lru_head);
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
	fd = pool_take(b, p->target.sa.sa_family, SOCK_DGRAM, &f->wt);
	if (fd == -1) {
		f->pending = true;	/* flow_ready() when the pool is refilled */
		return f;
	}
	flow_ready(&f->wt, fd, errno);
	return f->w.fd >= 0 ? f : NULL;
}

/* udp_listen_cb() - datagrams from clients: pass them on per flow,
 * consecutive datagrams of one flow in one sendmmsg() */
static void udp_listen_cb(struct rk_watch *w, uint32_t events)
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

/* timer_cb() - expire idle UDP flows */
static void timer_cb(struct rk_watch *w, uint32_t events)
{
	struct bp *b = container_of(w, struct bp, timer);
	uint64_t ticks, now = rk_now_ms();

	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	for (struct bp_port *p = b->ports; p; p = p->next) {
		while (p->lru_head &&
		       p->lru_head->last + (uint64_t)b->udp_timeout_ms <= now)
			flow_close(p->lru_head);
	}
	b->timer_armed = true;
	timer_arm(b);
}

/* ---- ports --------------------------------------------------------------- */

/* parse_ip() - @s into @a (port 0); returns 0 or -1 */
static int parse_ip(const char *s, union rk_sa *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr)) {
			struct in_addr v4;

			memcpy(&v4, &a->in6.sin6_addr.s6_addr[12], 4);
			memset(a, 0, sizeof(*a));
			a->in.sin_family = AF_INET;
			a->in.sin_addr = v4;
		}
		return 0;
	}
	return -1;
}

/* set_port() - the port of @a */
static void set_port(union rk_sa *a, int port)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons((uint16_t)port);
	else
		a->in.sin_port = htons((uint16_t)port);
}

/* is_unspec() - 0.0.0.0 or :: */
static bool is_unspec(const union rk_sa *a)
{
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->in6.sin6_addr);
	return a->in.sin_addr.s_addr == htonl(INADDR_ANY);
}

/* to_v6() - @a as IPv6 (v4-mapped; 0.0.0.0 becomes ::) */
static void to_v6(union rk_sa *a)
{
	struct in_addr v4 = a->in.sin_addr;
	bool any = v4.s_addr == htonl(INADDR_ANY);

	if (a->sa.sa_family == AF_INET6)
		return;
	memset(a, 0, sizeof(*a));
	a->in6.sin6_family = AF_INET6;
	if (!any) {
		a->in6.sin6_addr.s6_addr[10] = 0xff;
		a->in6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&a->in6.sin6_addr.s6_addr[12], &v4, 4);
	}
}

/*
 * listen_addr() - where to listen for @s, with Go's semantics: tcp/udp on
 * a wildcard is one dual-stack IPv6 socket, *4 is IPv4 only, *6 is IPv6
 * only.  Returns 0 (*@v6only set) or -1 with @err set.
 */
static int listen_addr(const struct rk_port_spec *s, union rk_sa *a,
		       int *v6only, const char *what, struct rk_err *err)
{
	char last = s->proto[strlen(s->proto) - 1];

	if (parse_ip(s->parent_ip[0] ? s->parent_ip : "0.0.0.0", a) < 0)
		return rk_err_set(err, "%s: invalid ParentIP: \"%s\"", what,
				  s->parent_ip);
	*v6only = 0;
	if (last == '4') {
		if (a->sa.sa_family == AF_INET6) {
			if (!is_unspec(a))
				return rk_err_set(err, "%s: address %s: non-IPv4 address",
						  what, s->parent_ip);
			parse_ip("0.0.0.0", a);
		}
	} else if (last == '6') {
		to_v6(a);
		*v6only = 1;
	} else if (is_unspec(a)) {
		to_v6(a);	/* dual-stack */
	}
	set_port(a, s->parent_port);
	return 0;
}

/* join_host_port() - Go's net.JoinHostPort(ip, port) */
static void join_host_port(const char *ip, int port, char *buf, size_t cap)
{
	snprintf(buf, cap, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
}

/* rk_port_listen() - see port.h */
int rk_port_listen(const struct rk_port_spec *s, int type,
		   struct rk_err *err)
{
	char what[128], hp[80], hint[512];
	union rk_sa a;
	int v6only, one = 1, fd, e;

	join_host_port(s->parent_ip, s->parent_port, hp, sizeof(hp));
	snprintf(what, sizeof(what), "listen %s %s", s->proto, hp);
	if (listen_addr(s, &a, &v6only, what, err) < 0)
		return -1;
	fd = socket(a.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return rk_err_errno(err, errno, "%s: socket", what);
	if (a.sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &a.sa, sa_len(&a)) < 0) {
		e = errno;
		close(fd);
		hint[0] = '\0';
		if (e == EACCES || e == EPERM)
			rk_priv_port_hint(s->parent_port, hint, sizeof(hint));
		return rk_err_errno(err, e, "%s%s: bind", hint, what);
	}
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0) {
		e = errno;
		close(fd);
		return rk_err_errno(err, e, "%s: listen", what);
	}
	return fd;
}

/* child_target() - where connections for @s go: the child IP if given;
 * else a specific parent IP (not 0.0.0.0, not the host's gateway
 * address); else 127.0.0.1 */
static int child_target(struct bp *b, const struct rk_port_spec *s,
			union rk_sa *t, struct rk_err *err)
{
	const char *ip = "127.0.0.1";

	if (s->child_ip[0])
		ip = s->child_ip;
	else if (s->parent_ip[0] && strcmp(s->parent_ip, "0.0.0.0") &&
		 strcmp(s->parent_ip, b->host_gw))
		ip = s->parent_ip;
	if (parse_ip(ip, t) < 0)
		return rk_err_set(err, "invalid IP: \"%s\"", ip);
	set_port(t, s->child_port);
	return 0;
}

/* bp_expose() - rk_port_driver.expose */
static int bp_expose(struct rk_port_driver *d, const struct rk_port_spec *s,
		     void **priv, struct rk_err *err)
{
	struct bp *b = container_of(d, struct bp, drv);
	struct bp_port *p;
	int type;

	if (!strncmp(s->proto, "tcp", 3))
		type = SOCK_STREAM;
	else if (!strncmp(s->proto, "udp", 3))
		type = SOCK_DGRAM;
	else
		return rk_err_set(err, "unsupported port protocol %s", s->proto);
	if (type == SOCK_DGRAM && !b->ubuf) {
		b->ubuf = malloc((size_t)UDP_VLEN * UDP_BUF);
		if (!b->ubuf)
			return rk_err_errno(err, ENOMEM, "expose port");
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return rk_err_errno(err, ENOMEM, "expose port");
	p->b = b;
	p->type = type;
	if (child_target(b, s, &p->target, err) < 0) {
		free(p);
		return -1;
	}
	p->lw = (struct rk_watch){ .cb = type == SOCK_STREAM ? tcp_listen_cb :
								udp_listen_cb };
	p->lw.fd = rk_port_listen(s, type, err);
	if (p->lw.fd < 0) {
		free(p);
		return -1;
	}
	if (rk_loop_add(b->loop, &p->lw, EPOLLIN) < 0) {
		rk_err_errno(err, errno, "epoll_ctl");
		close(p->lw.fd);
		free(p);
		return -1;
	}
	/* have sockets ready before the first client comes */
	if (pool_of(b, p->target.sa.sa_family, type)->n < POOL_LOW)
		pool_refill(b, pool_of(b, p->target.sa.sa_family, type));
	p->id = b->next_id++;
	p->next = b->ports;
	if (b->ports)
		b->ports->prev = p;
	b->ports = p;
	*priv = p;
	return p->id;
}

/* bp_unexpose() - rk_port_driver.unexpose: listener, connections, flows */
static int bp_unexpose(struct rk_port_driver *d, int id, void *priv,
		       struct rk_err *err)
{
	struct bp *b = container_of(d, struct bp, drv);
	struct bp_port *p = priv;

	rk_loop_close(b->loop, &p->lw);
	while (p->conns)
		conn_close(p->conns);
	while (p->lru_head)
		flow_close(p->lru_head);
	if (p->prev)
		p->prev->next = p->next;
	else
		b->ports = p->next;
	if (p->next)
		p->next->prev = p->prev;
	free(p->hash);
	p->hash = NULL;
	rk_loop_free_later(b->loop, p);
	return 0;
}

/* bp_destroy() - rk_port_driver.destroy (ports are already unexposed) */
static void bp_destroy(struct rk_port_driver *d)
{
	struct bp *b = container_of(d, struct bp, drv);

	rk_loop_close(b->loop, &b->chan);
	rk_loop_close(b->loop, &b->timer);
	rk_loop_close(b->loop, &b->retry);
	for (int i = 0; i < b->npipes; i++) {
		close(b->pipes[i][0]);
		close(b->pipes[i][1]);
	}
	if (b->reserve_fd >= 0)
		close(b->reserve_fd);
	for (size_t i = 0; i < ARRAY_SIZE(b->pools); i++) {
		while (b->pools[i].n)
			close(b->pools[i].fds[--b->pools[i].n]);
	}
	free(b->pipes);
	free(b->ubuf);
	rk_tp_fini(&b->tp);
	free(b);
}

/* host_gateway_ip() - the first non-loopback IPv4 address of the host */
static void host_gateway_ip(char *buf, size_t cap)
{
	struct ifaddrs *ifa, *i;

	buf[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		struct sockaddr_in *in = (struct sockaddr_in *)(void *)i->ifa_addr;

		if (!in || in->sin_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		inet_ntop(AF_INET, &in->sin_addr, buf, (socklen_t)cap);
		break;
	}
	freeifaddrs(ifa);
}

struct rk_port_driver *rk_builtin_new(struct rk_loop *loop, int chan,
				      const struct rk_builtin_cfg *cfg,
				      struct rk_err *err)
{
	struct bp *b = calloc(1, sizeof(*b));

	if (!b || !(b->pipes = calloc(PIPE_POOL_MAX, sizeof(*b->pipes)))) {
		free(b);
		close(chan);
		rk_err_errno(err, ENOMEM, "builtin port driver");
		return NULL;
	}
	b->drv = (struct rk_port_driver){
		.name = "builtin", .protos = builtin_protos,
		.expose = bp_expose, .unexpose = bp_unexpose,
		.destroy = bp_destroy,
	};
	b->loop = loop;
	b->next_id = 1;
	b->tp.mask = cfg->tp_mask;
	b->tp.rtnl = -1;
	for (int i = 0; i < 4; i++) {
		b->pools[i].family = i / 2 ? AF_INET6 : AF_INET;
		b->pools[i].type = i % 2 ? SOCK_DGRAM : SOCK_STREAM;
	}
	b->pipe_size = probe_pipe_size();
	b->udp_timeout_ms = cfg->udp_timeout * 1000;
	b->udp_max_flows = cfg->udp_max_flows > 0 ? cfg->udp_max_flows : 1024;
	b->tcp_keepalive = cfg->tcp_keepalive;
	b->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	host_gateway_ip(b->host_gw, sizeof(b->host_gw));
	b->chan = (struct rk_watch){ .fd = chan, .cb = chan_cb };
	b->timer = (struct rk_watch){ .cb = timer_cb,
		.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) };
	b->retry = (struct rk_watch){ .cb = retry_cb,
		.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) };
	if (b->timer.fd < 0 || b->retry.fd < 0 ||
	    rk_loop_add(loop, &b->chan, EPOLLIN) < 0 ||
	    rk_loop_add(loop, &b->timer, EPOLLIN) < 0 ||
	    rk_loop_add(loop, &b->retry, EPOLLIN) < 0) {
		rk_err_errno(err, errno, "builtin port driver");
		bp_destroy(&b->drv);
		return NULL;
	}
	/* the child sent its netlink socket before ChildInitCompleted: take
	 * it now, before any client can come */
	if (cfg->tp_mask & (RK_TP_UDP4 | RK_TP_UDP6))
		recv_batch(b);
	rk_debug("builtin: pipe size %d, host gateway IP \"%s\"", b->pipe_size,
		 b->host_gw);
	return &b->drv;
}
