/* SPDX-License-Identifier: Apache-2.0
 *
 * http.h - a small HTTP/1.1 server for the API socket
 */
#ifndef RK_API_HTTP_H
#define RK_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"
#include "../lib/loop.h"

#define RK_HTTP_MAX_HEADER	((size_t)64 * 1024)	/* request line + headers */
#define RK_HTTP_MAX_BODY	((size_t)64 * 1024)
#define RK_HTTP_MAX_CONNS	256	/* then the stalest one is evicted */
#define RK_HTTP_IDLE_MS		60000	/* keep-alive: between requests */
#define RK_HTTP_REQUEST_MS	10000	/* first byte to complete request */
#define RK_HTTP_WRITE_MS	10000	/* a response to be read by the client */

struct rk_http_req {
	char method[16];
	char path[1024];	/* without the query string */
	const char *body;
	size_t body_len;
};

struct rk_http_resp {
	int status;
	const char *ctype;	/* NULL: no Content-Type */
	char *body;		/* malloc()ed, may be NULL */
	size_t len;
};

/* The application: fill @resp for @req. */
typedef void (*rk_http_handler)(void *cls, const struct rk_http_req *req,
				struct rk_http_resp *resp);

struct rk_http_conn;

struct rk_http_server {
	struct rk_loop *loop;
	struct rk_watch lw;		/* listening socket */
	struct rk_watch timer;		/* idle connections */
	bool ticking;
	bool paused;			/* listener off after EMFILE, no spare */
	int spare_fd;			/* closed to accept-and-close on EMFILE */
	rk_http_handler handler;
	void *cls;
	struct rk_http_conn *conns;
	int nconns;
};

/*
 * rk_http_start() - serve @listen_fd (ownership taken) from @loop with
 * @handler.  Returns 0 or -1 with @err set.
 */
int rk_http_start(struct rk_http_server *s, struct rk_loop *loop, int listen_fd,
		  rk_http_handler handler, void *cls, struct rk_err *err);

/* rk_http_stop() - close the listener and every connection */
void rk_http_stop(struct rk_http_server *s);

/*
 * rk_http_victim() - the connection of @s to close for a newcomer: one
 * already answered and draining; else the one that has gone longest
 * without a complete request (idle keep-alive or partial request alike);
 * one still writing a response only if every connection is.  Returns
 * NULL when @s has none.
 */
struct rk_http_conn *rk_http_victim(const struct rk_http_server *s);

/*
 * rk_http_expired() - whether @c has run out of time at @now (ms):
 * draining past its end, a response unread for RK_HTTP_WRITE_MS, a
 * request incomplete RK_HTTP_REQUEST_MS after its first byte, or idle
 * RK_HTTP_IDLE_MS since the last answer.  Returns true to close it.
 */
bool rk_http_expired(const struct rk_http_conn *c, uint64_t now);

/*
 * The protocol engine, without I/O (used by the server, the unit tests and
 * the fuzzer): bytes go into @in, responses come out of @out.
 */
struct rk_http_conn {
	struct rk_http_server *srv;
	struct rk_watch w;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	bool continue_sent;	/* "100 Continue" for the current request */
	bool closing;		/* close once @out is written */
	unsigned long served;	/* requests answered (counted by the engine) */
	uint64_t last;		/* accepted or last request answered, ms */
	uint64_t req_start;	/* first byte of the request in @in, ms */
	uint64_t out_since;	/* @out became non-empty, ms */
	uint64_t drain_until;	/* after an error response: ms, else 0 */
	struct rk_http_conn *prev, *next;
};

/*
 * rk_http_process() - handle every complete request in @c->in, appending
 * responses to @c->out and consuming the request bytes.  Sets @c->closing
 * after a response that ends the connection (errors, "Connection: close").
 * Counts answered requests in @c->served.  Returns 0, or -1 when out of
 * memory.
 */
int rk_http_process(struct rk_http_conn *c, rk_http_handler handler, void *cls);

#endif
