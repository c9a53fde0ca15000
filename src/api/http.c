// SPDX-License-Identifier: Apache-2.0
/*
 * http.c - a small HTTP/1.1 server for the API socket
 *
 * Theory of operation: the API needs four routes with tiny JSON bodies, so
 * this is the protocol and nothing else: request line, headers, a body
 * framed by Content-Length or chunked encoding, "Expect: 100-continue",
 * keep-alive and pipelining, and firm limits (64 KiB of headers -> 431,
 * 64 KiB of body -> 413, anything malformed -> 400, all followed by
 * closing the connection).  It replaces libmicrohttpd, whose TLS stack
 * (GnuTLS, p11-kit, nettle, gmp) alone cost 2.8 MiB of resident memory in
 * each of our processes and its start-up time.
 *
 * The engine, rk_http_process(), turns bytes in into bytes out and never
 * does I/O, so the unit tests and the fuzzer (tests/fuzz/) drive it
 * directly.  The server part runs every connection non-blocking in the
 * parent's epoll loop: a client that stalls mid-request costs a buffer,
 * never a wait.  After an error response the connection stops writing and
 * drains what the client still sends for a moment before closing, so the
 * client reads the response instead of a reset.
 *
 * Abuse cannot lock a well-behaved client out (the figures are in
 * http.h).  At most 256 connections are open; a newcomer past that is
 * never refused: it evicts an answered connection that is draining, else
 * the one that has gone longest without a complete request (an idle
 * keep-alive one or a partial request alike), and one still writing a
 * response only if all are.  rootlessctl sends its request as soon as it
 * connects, so it is answered before 255 newer clients could push it
 * out.  A request must be complete (headers and body) 10 s after its
 * first byte: dripping bytes (slowloris) does not extend that, and 10 s
 * is ample for at most 192 KiB from a local client.  Between requests a
 * keep-alive connection may idle for 60 s (idle ones are the first to be
 * evicted anyway), and an answer the client does not read for 10 s
 * closes the connection; past 64 KiB of unread answers we stop reading
 * its requests, so memory stays bounded (256 x (192 KiB in + 64 KiB out
 * plus one batch of answers)).  When the process is out of fds
 * (EMFILE/ENFILE on accept4), the stalest connection is closed to make
 * room; with none, a spare fd is closed to accept and close the client
 * (as the builtin port driver does); failing that the listener is
 * unwatched until the next one-second tick, so a level-triggered
 * listener never spins.
 */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../lib/util.h"

#define IN_MAX		(RK_HTTP_MAX_HEADER + 2 * RK_HTTP_MAX_BODY + 1024)
#define DRAIN_MAX	((size_t)4 << 20)	/* bytes read and dropped after an error */
#define DRAIN_MS	2000
#define OUT_MAX		((size_t)64 * 1024)	/* unread answers before reading stops */

/* reason() - the reason phrase Go's net/http uses for @status */
static const char *reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Request Entity Too Large";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* out_append() - add @len bytes to the output; returns 0 or -1 */
static int out_append(struct rk_http_conn *c, const char *p, size_t len)
{
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 1024;
		char *n;

		while (cap < c->out_len + len)
			cap *= 2;
		n = realloc(c->out, cap);
		if (!n)
			return -1;
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, len);
	c->out_len += len;
	return 0;
}

/* respond() - append a whole response; returns 0 or -1 */
static int respond(struct rk_http_conn *c, int status, const char *ctype,
		   const char *body, size_t len, bool close)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\n%s\r\n",
			 status, reason(status), ctype ? "Content-Type: " : "",
			 ctype ? ctype : "", ctype ? "\r\n" : "", len,
			 close ? "Connection: close\r\n" : "");

	if (close)
		c->closing = true;
	if (out_append(c, head, (size_t)n) < 0)
		return -1;
	return len ? out_append(c, body, len) : 0;
}

/* fail() - an error response, then close */
static int fail(struct rk_http_conn *c, int status)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason(status));

	return respond(c, status, "text/plain; charset=utf-8", body, (size_t)n, true);
}

/* header_end() - length of the request head including the blank line, 0 if
 * incomplete (a bare LF is accepted as a line end, as Go does) */
static size_t header_end(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* is_token() - an RFC 9110 token character */
static bool is_token(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

struct head {
	int minor;		/* HTTP/1.<minor> */
	bool has_cl, chunked, expect_continue, conn_close, conn_keep, has_host;
	size_t cl;
};

/*
 * parse_head() - request line and headers of @p (@n bytes, ending with the
 * blank line) into @r and @h.  Returns 0, or the HTTP status to fail with.
 */
static int parse_head(const char *p, size_t n, struct rk_http_req *r, struct head *h)
{
	const char *end = p + n, *line = p;
	bool first = true;

	memset(h, 0, sizeof(*h));
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)(nl - line);

		if (len && line[len - 1] == '\r')
			len--;
		if (first) {
			const char *sp1 = memchr(line, ' ', len), *sp2, *t;
			size_t tl;

			first = false;
			if (!sp1 || sp1 == line || (size_t)(sp1 - line) >= sizeof(r->method))
				return 400;
			sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
			if (!sp2 || sp2 == sp1 + 1)
				return 400;
			for (t = line; t < sp1; t++) {
				if (!is_token(*t))
					return 400;
			}
			memcpy(r->method, line, (size_t)(sp1 - line));
			r->method[sp1 - line] = '\0';
			if ((size_t)(line + len - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/", 5))
				return 400;
			if (sp2[6] != '1' || sp2[7] != '.')
				return sp2[6] >= '0' && sp2[6] <= '9' ? 505 : 400;
			if (sp2[8] != '0' && sp2[8] != '1')
				return 400;
			h->minor = sp2[8] - '0';
			t = sp1 + 1;
			tl = (size_t)(sp2 - t);
			if (tl > 7 && !strncasecmp(t, "http://", 7)) {	/* absolute form */
				const char *slash = memchr(t + 7, '/', tl - 7);

				h->has_host = true;
				if (!slash)
					t = "/", tl = 1;
				else
					tl -= (size_t)(slash - t), t = slash;
			}
			if (!tl || *t != '/')
				return 400;
			for (size_t i = 0; i < tl; i++) {
				if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f)
					return 400;
				if (t[i] == '?' || t[i] == '#') {
					tl = i;
					break;
				}
			}
			if (tl >= sizeof(r->path))
				return 400;
			memcpy(r->path, t, tl);
			r->path[tl] = '\0';
		} else if (len) {
			const char *colon = memchr(line, ':', len), *v, *ve;
			size_t nl_len;

			if (!colon || colon == line)
				return 400;	/* includes obsolete line folding */
			for (const char *t = line; t < colon; t++) {
				if (!is_token(*t))
					return 400;
			}
			nl_len = (size_t)(colon - line);
			v = colon + 1;
			ve = line + len;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
#define IS(name) (nl_len == sizeof(name) - 1 && !strncasecmp(line, name, nl_len))
#define VAL(s) ((size_t)(ve - v) == sizeof(s) - 1 && !strncasecmp(v, s, sizeof(s) - 1))
			if (IS("Content-Length")) {
				size_t cl = 0;

				if (v == ve)
					return 400;
				for (const char *d = v; d < ve; d++) {
					if (*d < '0' || *d > '9' || cl > (size_t)1 << 40)
						return 400;
					cl = cl * 10 + (size_t)(*d - '0');
				}
				if (h->has_cl && h->cl != cl)
					return 400;
				h->has_cl = true;
				h->cl = cl;
			} else if (IS("Transfer-Encoding")) {
				if (!VAL("chunked"))
					return 501;
				h->chunked = true;
			} else if (IS("Expect")) {
				if (!VAL("100-continue"))
					return 417;
				h->expect_continue = true;
			} else if (IS("Connection")) {
				if (VAL("close"))
					h->conn_close = true;
				else if (VAL("keep-alive"))
					h->conn_keep = true;
			} else if (IS("Host")) {
				h->has_host = true;
			}
#undef IS
#undef VAL
		}
		line = nl + 1;
	}
	if (h->chunked && h->has_cl)
		return 400;	/* ambiguous framing: refuse rather than guess */
	if (h->minor == 1 && !h->has_host)
		return 400;
	return 0;
}

/*
 * dechunk() - decode a chunked body from @p (@n bytes) into @out (room for
 * RK_HTTP_MAX_BODY).  Returns the decoded length and sets *@used; -1 if
 * incomplete, -2 if malformed, -3 if too large.
 */
static long dechunk(const char *p, size_t n, char *out, size_t *used)
{
	size_t i = 0, total = 0;

	for (;;) {
		size_t size = 0, digits = 0;
		const char *nl;

		while (i < n && ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
				 (p[i] >= 'A' && p[i] <= 'F'))) {
			int d = p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10;

			if (size > RK_HTTP_MAX_BODY)
				return -3;
			size = size * 16 + (size_t)d;
			i++;
			digits++;
		}
		if (i == n)
			return -1;
		if (!digits || (p[i] != '\r' && p[i] != '\n' && p[i] != ';'))
			return -2;
		nl = memchr(p + i, '\n', n - i);	/* skip extensions */
		if (!nl)
			return n - i > 1024 ? -2 : -1;
		i = (size_t)(nl - p) + 1;
		if (size == 0) {
			/* trailers, then an empty line */
			for (;;) {
				nl = memchr(p + i, '\n', n - i);
				if (!nl)
					return n - i > 8192 ? -2 : -1;
				if (nl == p + i || (nl == p + i + 1 && p[i] == '\r')) {
					*used = (size_t)(nl - p) + 1;
					return (long)total;
				}
				i = (size_t)(nl - p) + 1;
			}
		}
		if (total + size > RK_HTTP_MAX_BODY)
			return -3;
		if (n - i < size)
			return -1;
		memcpy(out + total, p + i, size);
		total += size;
		i += size;
		if (i < n && p[i] == '\r')
			i++;
		if (i == n)
			return -1;
		if (p[i] != '\n')
			return -2;
		i++;
	}
}

int rk_http_process(struct rk_http_conn *c, rk_http_handler handler, void *cls)
{
	static char body[RK_HTTP_MAX_BODY];

	while (!c->closing && c->in_len) {
		struct rk_http_req req = { 0 };
		struct rk_http_resp resp = { 0 };
		struct head h;
		size_t hl = header_end(c->in, c->in_len), used = 0;
		long blen = 0;
		int st, r;

		if (!hl) {
			if (c->in_len > RK_HTTP_MAX_HEADER)
				return fail(c, 431);
			return 0;
		}
		if (hl > RK_HTTP_MAX_HEADER)
			return fail(c, 431);
		st = parse_head(c->in, hl, &req, &h);
		if (st)
			return fail(c, st);
		if (h.chunked) {
			blen = dechunk(c->in + hl, c->in_len - hl, body, &used);
			if (blen == -2)
				return fail(c, 400);
			if (blen == -3 || (blen == -1 && c->in_len >= IN_MAX))
				return fail(c, 413);
		} else if (h.has_cl) {
			if (h.cl > RK_HTTP_MAX_BODY)
				return fail(c, 413);	/* before any "100 Continue" */
			if (c->in_len - hl < h.cl) {
				blen = -1;
			} else {
				blen = (long)h.cl;
				used = h.cl;
				memcpy(body, c->in + hl, h.cl);
			}
		}
		if (blen < 0) {
			/* the body is still coming; say so if asked */
			if (h.expect_continue && !c->continue_sent) {
				c->continue_sent = true;
				if (out_append(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
					return -1;
			}
			return 0;
		}
		req.body = body;
		req.body_len = (size_t)blen;
		handler(cls, &req, &resp);
		r = respond(c, resp.status, resp.ctype, resp.body, resp.len,
			    h.conn_close || (h.minor == 0 && !h.conn_keep));
		free(resp.body);
		if (r < 0)
			return -1;
		memmove(c->in, c->in + hl + used, c->in_len - hl - used);
		c->in_len -= hl + used;
		c->continue_sent = false;
		c->served++;
	}
	return 0;
}

/* ---- the server ----------------------------------------------------------- */

/* conn_free() - close @c and forget it */
static void conn_free(struct rk_http_conn *c)
{
	struct rk_http_server *s = c->srv;

	rk_loop_close(s->loop, &c->w);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	rk_loop_free_later(s->loop, c);
}

/* reading() - whether @c takes more input now: not while it drains, and
 * not while OUT_MAX bytes of answers wait for the client to read them */
static bool reading(const struct rk_http_conn *c)
{
	return !c->closing && c->out_len - c->out_off < OUT_MAX;
}

/* conn_flush() - write pending output; returns 0, or -1 if the
 * connection is gone */
static int conn_flush(struct rk_http_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->w.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			rk_loop_mod(c->srv->loop, &c->w,
				    reading(c) ? EPOLLIN | EPOLLOUT : EPOLLOUT);
			return 0;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	rk_loop_mod(c->srv->loop, &c->w, EPOLLIN);
	if (c->closing && !c->drain_until) {
		/* error or Connection: close: stop writing, and read what the
		 * client still sends for a while, so that closing does not
		 * reset the connection before it has read the response */
		shutdown(c->w.fd, SHUT_WR);
		c->drain_until = rk_now_ms() + DRAIN_MS;
	}
	return 0;
}

/* conn_cb() - a client connection is readable or writable */
static void conn_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_http_conn *c = container_of(w, struct rk_http_conn, w);
	size_t drained = 0;
	bool eof = false;

	if (c->closing && c->out_len == 0) {
		char junk[16384];
		ssize_t n;

		/* after the response: read and drop until EOF */
		while ((n = recv(w->fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0) {
			drained += (size_t)n;
			if (drained > DRAIN_MAX)
				break;
		}
		if (n == 0 || drained > DRAIN_MAX || (n < 0 && errno != EAGAIN))
			conn_free(c);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && reading(c)) {
		uint64_t now = rk_now_ms();
		unsigned long served = c->served;
		size_t had_in = c->in_len, had_out = c->out_len;

		for (;;) {
			ssize_t n;

			if (c->in_len == c->in_cap) {
				size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
				char *nb;

				if (cap > IN_MAX)
					cap = IN_MAX;
				if (cap == c->in_cap)
					break;	/* full: rk_http_process() decides */
				nb = realloc(c->in, cap);
				if (!nb) {
					conn_free(c);
					return;
				}
				c->in = nb;
				c->in_cap = cap;
			}
			n = recv(w->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				conn_free(c);
				return;
			}
			if (n == 0)
				eof = true;	/* answer what came, then close */
			if (n <= 0)
				break;
			c->in_len += (size_t)n;
		}
		/* the request's clock starts at its first byte; more bytes
		 * do not restart it, only a complete request does */
		if (!had_in && c->in_len)
			c->req_start = now;
		if (rk_http_process(c, c->srv->handler, c->srv->cls) < 0) {
			conn_free(c);
			return;
		}
		if (c->served != served) {
			c->last = now;
			c->req_start = now;	/* for bytes after the last request */
		}
		if (!had_out && c->out_len)
			c->out_since = now;
		if (eof) {
			c->closing = true;
			if (!c->out_len) {
				conn_free(c);
				return;
			}
		}
	}
	if (c->out_len && conn_flush(c) < 0)
		conn_free(c);
}

struct rk_http_conn *rk_http_victim(const struct rk_http_server *s)
{
	struct rk_http_conn *best = NULL;
	int best_rank = 3;

	for (struct rk_http_conn *c = s->conns; c; c = c->next) {
		/* 0: answered, draining; 1: idle or partial; 2: writing */
		int rank = c->out_len ? 2 : c->closing ? 0 : 1;

		/* <=: on a tie the older connection (later in the list) */
		if (rank < best_rank || (rank == best_rank && c->last <= best->last)) {
			best = c;
			best_rank = rank;
		}
	}
	return best;
}

bool rk_http_expired(const struct rk_http_conn *c, uint64_t now)
{
	if (c->drain_until)
		return now >= c->drain_until;
	if (c->out_len)
		return now - c->out_since >= RK_HTTP_WRITE_MS;
	if (c->in_len)
		return now - c->req_start >= RK_HTTP_REQUEST_MS;
	return now - c->last >= RK_HTTP_IDLE_MS;
}

/* timer_set() - tick once a second while there are connections or the
 * listener is paused (an idle rootlesskit is never woken up) */
static void timer_set(struct rk_http_server *s, bool on)
{
	struct itimerspec its = { 0 };

	if (on == s->ticking)
		return;
	if (on)
		its.it_interval.tv_sec = its.it_value.tv_sec = 1;
	timerfd_settime(s->timer.fd, 0, &its, NULL);
	s->ticking = on;
}

/* timer_cb() - close connections out of time; resume a paused listener */
static void timer_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_http_server *s = container_of(w, struct rk_http_server, timer);
	uint64_t ticks, now = rk_now_ms();
	struct rk_http_conn *c, *next;

	if (read(w->fd, &ticks, sizeof(ticks)) < 0)
		return;
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (rk_http_expired(c, now))
			conn_free(c);
	}
	if (s->paused && rk_loop_mod(s->loop, &s->lw, EPOLLIN) == 0) {
		s->paused = false;
		if (s->spare_fd < 0)
			s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (!s->conns && !s->paused)
		timer_set(s, false);
}

/*
 * out_of_fds() - accept4() failed with EMFILE or ENFILE.  Make room by
 * closing the stalest connection, or else refuse one client with the
 * spare fd, or else stop watching the listener until the next tick, so
 * that a level-triggered listener never spins.  Returns true to try
 * accept4() again.
 */
static bool out_of_fds(struct rk_http_server *s)
{
	struct rk_http_conn *v = rk_http_victim(s);
	int fd;

	if (v) {
		conn_free(v);
		return true;
	}
	if (s->spare_fd >= 0) {
		close(s->spare_fd);
		fd = accept4(s->lw.fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && s->spare_fd >= 0)
			return true;
	}
	if (rk_loop_mod(s->loop, &s->lw, 0) == 0) {
		s->paused = true;
		timer_set(s, true);
	}
	return false;
}

/* accept_cb() - new clients; at the cap the stalest connection makes
 * room, so a newcomer is never refused */
static void accept_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_http_server *s = container_of(w, struct rk_http_server, lw);

	for (int i = 0; i < 16; i++) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct rk_http_conn *c;

		if (fd < 0) {
			if ((errno == EMFILE || errno == ENFILE) && out_of_fds(s))
				continue;
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return;
		}
		if (s->nconns >= RK_HTTP_MAX_CONNS && (c = rk_http_victim(s)))
			conn_free(c);
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = s;
		c->w = (struct rk_watch){ .fd = fd, .cb = conn_cb };
		c->last = rk_now_ms();
		if (rk_loop_add(s->loop, &c->w, EPOLLIN) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		timer_set(s, true);
	}
}

int rk_http_start(struct rk_http_server *s, struct rk_loop *loop, int listen_fd,
		  rk_http_handler handler, void *cls, struct rk_err *err)
{
	*s = (struct rk_http_server){ .loop = loop, .handler = handler, .cls = cls,
				      .lw = { .fd = listen_fd, .cb = accept_cb },
				      .timer = { .cb = timer_cb } };
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->spare_fd < 0 || s->timer.fd < 0 || rk_loop_add(loop, &s->lw, EPOLLIN) < 0 ||
	    rk_loop_add(loop, &s->timer, EPOLLIN) < 0) {
		int e = errno;

		rk_http_stop(s);
		return rk_err_errno(err, e, "api server");
	}
	return 0;
}

void rk_http_stop(struct rk_http_server *s)
{
	if (!s->loop)
		return;
	while (s->conns)
		conn_free(s->conns);
	rk_loop_close(s->loop, &s->lw);
	rk_loop_close(s->loop, &s->timer);
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	s->spare_fd = -1;
	s->loop = NULL;
}
