// SPDX-License-Identifier: Apache-2.0
/*
 * builtin.c - the builtin port driver, parent side: the channel to the
 * child, the socket pools, and exposing and removing ports
 *
 * Theory of operation.  Each exposed port is a listening socket in the
 * host namespace, registered in the parent's single epoll loop; its
 * clients are served by builtin_tcp.c (connections) or builtin_udp.c
 * (flows), which share this file's state through builtin_int.h.
 *
 * Both need sockets of the child's network namespace: fresh, unconnected
 * sockets that the child creates (builtin_child.c) and sends over the
 * channel, a SOCK_SEQPACKET socketpair, in batches.  They wait here in a
 * pool per family and type; connect() on one reaches the target inside
 * the namespace.  A pool is refilled ahead of need, so a forwarded
 * connection costs no round trip to the child.  A connection or flow that
 * finds its pool empty waits on it (struct bp_waiter, in order) until the
 * refill arrives.
 *
 * The pool of a family and type has at most one refill in flight.  A
 * refill that brings no socket (the child or the parent out of fds) fails
 * the connections and flows waiting for it and holds the pool back for
 * 10 ms, doubling up to 1 s while refills keep failing, so an exhausted
 * child is not asked again in a tight loop; one timerfd ends the back-offs.
 *
 * Removing a port closes its listener, its connections and its flows
 * before returning, so the port can be bound again at once.
 */
#include "builtin_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "listen.h"
#include "transparent.h"

#define POOL_LOW	8		/* refill below this */
#define BACKOFF_MIN_MS	10		/* after a refill that brought nothing */
#define BACKOFF_MAX_MS	1000

const char *const rk_builtin_protos[] = {
	"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", NULL
};

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

/* bp_pool_take() - see builtin_int.h */
int bp_pool_take(struct bp *b, int family, int type, struct bp_waiter *w)
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

/* bp_cancel() - see builtin_int.h */
void bp_cancel(struct bp_waiter *w)
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

		bp_cancel(w);
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

/* ---- ports --------------------------------------------------------------- */

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
	if (rk_sa_parse(ip, t) < 0)
		return rk_err_set(err, "invalid IP: \"%s\"", ip);
	rk_sa_set_port(t, s->child_port);
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
	p->lw = (struct rk_watch){ .cb = type == SOCK_STREAM ? bp_tcp_listen_cb :
								bp_udp_listen_cb };
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
		bp_conn_close(p->conns);
	while (p->lru_head)
		bp_flow_close(p->lru_head);
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

/* bp_step_aside() - rk_port_driver.step_aside: the listener goes (live
 * TCP connections stay; UDP flows go, their replies left through it) or
 * comes back */
static int bp_step_aside(struct rk_port_driver *d, void *priv,
			 const struct rk_port_spec *s, bool aside,
			 struct rk_err *err)
{
	struct bp *b = container_of(d, struct bp, drv);
	struct bp_port *p = priv;

	if (aside) {
		rk_loop_close(b->loop, &p->lw);
		while (p->lru_head)
			bp_flow_close(p->lru_head);
		return 0;
	}
	if (p->lw.fd >= 0)
		return 0;
	p->lw.fd = rk_port_listen(s, p->type, err);
	if (p->lw.fd < 0)
		return -1;
	if (rk_loop_add(b->loop, &p->lw, EPOLLIN) < 0) {
		rk_err_errno(err, errno, "epoll_ctl");
		close(p->lw.fd);
		p->lw.fd = -1;
		return -1;
	}
	return 0;
}

/* bp_destroy() - rk_port_driver.destroy (ports are already unexposed) */
static void bp_destroy(struct rk_port_driver *d)
{
	struct bp *b = container_of(d, struct bp, drv);

	rk_loop_close(b->loop, &b->chan);
	rk_loop_close(b->loop, &b->timer);
	rk_loop_close(b->loop, &b->retry);
	bp_pipes_fini(b);
	if (b->reserve_fd >= 0)
		close(b->reserve_fd);
	for (size_t i = 0; i < ARRAY_SIZE(b->pools); i++) {
		while (b->pools[i].n)
			close(b->pools[i].fds[--b->pools[i].n]);
	}
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
		.name = "builtin", .protos = rk_builtin_protos,
		.expose = bp_expose, .unexpose = bp_unexpose,
		.step_aside = bp_step_aside, .destroy = bp_destroy,
	};
	b->loop = loop;
	b->next_id = 1;
	b->tp.mask = cfg->tp_mask;
	b->tp.rtnl = -1;
	for (int i = 0; i < 4; i++) {
		b->pools[i].family = i / 2 ? AF_INET6 : AF_INET;
		b->pools[i].type = i % 2 ? SOCK_DGRAM : SOCK_STREAM;
	}
	b->pipe_size = bp_probe_pipe_size();
	b->udp_timeout_ms = cfg->udp_timeout * 1000;
	b->udp_max_flows = cfg->udp_max_flows > 0 ? cfg->udp_max_flows : 1024;
	b->tcp_keepalive = cfg->tcp_keepalive;
	b->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	host_gateway_ip(b->host_gw, sizeof(b->host_gw));
	b->chan = (struct rk_watch){ .fd = chan, .cb = chan_cb };
	b->timer = (struct rk_watch){ .cb = bp_udp_timer_cb,
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
