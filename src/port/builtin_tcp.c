// SPDX-License-Identifier: Apache-2.0
/*
 * builtin_tcp.c - the builtin port driver, parent side: TCP connections
 *
 * Theory of operation.  A new client is accepted at once and gets a
 * socket from the pool of its family (builtin.c), a fresh, unconnected
 * socket the child created in its network namespace; connect() on it
 * reaches the target inside the namespace.  A connection that finds the
 * pool empty waits on it and goes on in conn_ready() when the refill
 * arrives.  Both sockets then join the loop edge-triggered; data moves
 * with splice(2) socket -> pipe -> socket, so payload never enters user
 * space.  Pipes come from a pool and are held only while data is in them,
 * which keeps idle connections at two fds and no pipe.  EOF in one
 * direction is passed on as shutdown(SHUT_WR) once the pipe is empty; the
 * connection is closed when both directions are done or on any error.
 * Where splice is refused (EINVAL) or no pipe can be had (EMFILE), that
 * direction falls back to read/write through a buffer.  A direction that
 * moved a lot in one go yields (rk_loop_again()) so one fast flow cannot
 * starve others.  Both sockets of a connection have TCP keepalive
 * (--builtin-tcp-keepalive, Go's 15 s idle, 15 s interval, 9 probes), so
 * a peer that vanished without a FIN is cleared after about 10 intervals.
 * Out of fds, accept() takes and closes the client with a reserved fd, so
 * the listener does not spin and the other connections go on.
 */
#include "builtin_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "transparent.h"

#define YIELD_BYTES	((size_t)8 << 20)	/* per direction per turn */
#define ACCEPT_BATCH	64
#define KEEPALIVE_PROBES 9		/* Go's default (net.KeepAliveConfig) */

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

/* bp_probe_pipe_size() - see builtin_int.h */
int bp_probe_pipe_size(void)
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

/* bp_pipes_fini() - see builtin_int.h */
void bp_pipes_fini(struct bp *b)
{
	for (int i = 0; i < b->npipes; i++) {
		close(b->pipes[i][0]);
		close(b->pipes[i][1]);
	}
	b->npipes = 0;
	free(b->pipes);
	b->pipes = NULL;
}

/* ---- connections --------------------------------------------------------- */

/* bp_conn_close() - see builtin_int.h */
void bp_conn_close(struct bp_conn *c)
{
	struct bp *b = c->port->b;

	bp_cancel(&c->wt);
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
			bp_conn_close(c);
			return;
		}
		c->connecting = false;
	}
	r0 = pump(c, 0);
	r1 = r0 < 0 ? -1 : pump(c, 1);
	if (r0 < 0 || r1 < 0 || (c->d[0].shut && c->d[1].shut)) {
		bp_conn_close(c);
		return;
	}
	if ((r0 > 0 || r1 > 0) && rk_loop_again(c->port->b->loop, &c->cw) < 0)
		bp_conn_close(c);
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
	if (fd >= 0 && connect(fd, &p->target.sa, rk_sa_len(&p->target)) < 0 &&
	    errno != EINPROGRESS) {
		errnum = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		rk_debug("builtin: connect to %s in the child: %s",
			 rk_sa_str(&p->target, t, sizeof(t)), strerror(errnum));
		bp_conn_close(c);
		return;
	}
	c->sw.fd = fd;
	c->connecting = true;
	set_keepalive(fd, p->b->tcp_keepalive);
	if (rk_loop_add(p->b->loop, &c->sw, ev) < 0 ||
	    rk_loop_add(p->b->loop, &c->cw, ev) < 0) {
		bp_conn_close(c);
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
	fd = bp_pool_take(b, p->target.sa.sa_family, SOCK_STREAM, &c->wt);
	if (fd == -1)
		c->pending = true;	/* conn_ready() when the pool is refilled */
	else
		conn_ready(&c->wt, fd, errno);
	return 1;
}

/* bp_tcp_listen_cb() - see builtin_int.h */
void bp_tcp_listen_cb(struct rk_watch *w, uint32_t events)
{
	struct bp_port *p = container_of(w, struct bp_port, lw);
	int i, r = 1;

	/* level-triggered: whatever is left after a batch fires again */
	for (i = 0; i < ACCEPT_BATCH && (r = accept_one(p)) > 0; i++)
		;
	if (r < 0)
		rk_debug("builtin: accept: %s", strerror(errno));
}
