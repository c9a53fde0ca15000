/* SPDX-License-Identifier: Apache-2.0
 *
 * builtin_int.h - the builtin port driver's state, shared by its parts:
 * builtin.c (the channel to the child, socket pools, exposing and removing
 * ports), builtin_tcp.c (connections: accept, splice pump) and
 * builtin_udp.c (flows, LRU, GSO sends, expiry).  Private to them.
 *
 * One struct bp per driver owns the pools, the pipe pool, the UDP buffer
 * and the timers; a struct bp_port per exposed port owns its listener,
 * connections and flows.  Everything runs on the parent's single loop.
 */
#ifndef RK_PORT_BUILTIN_INT_H
#define RK_PORT_BUILTIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../lib/loop.h"
#include "../lib/sockaddr.h"
#include "builtin.h"
#include "transparent.h"

#define PIPE_POOL_MAX	64		/* idle pipes kept */
#define UDP_VLEN	32		/* datagrams per recvmmsg() */
#define UDP_BUF		((size_t)65536)	/* > 65507, the largest UDPv4 payload */
#define UDP_QUEUE	64		/* datagrams held while the pool refills */
#define POOL_BATCH	32		/* sockets per refill */

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

/* ---- builtin.c: socket pools --------------------------------------------- */

/*
 * bp_pool_take() - a fresh socket of @family/@type for @w.
 * Return: the socket; or -1 with @w queued (its done() runs when a socket
 * arrives); or -2 with errno set when none can come (the child is gone).
 */
int bp_pool_take(struct bp *b, int family, int type, struct bp_waiter *w);

/* bp_cancel() - take @w off its pool's wait list (its owner goes away) */
void bp_cancel(struct bp_waiter *w);

/* ---- builtin_tcp.c ------------------------------------------------------- */

/* bp_tcp_listen_cb() - clients waiting on a TCP listener */
void bp_tcp_listen_cb(struct rk_watch *w, uint32_t events);

/* bp_conn_close() - close both sides of @c and free it after this batch */
void bp_conn_close(struct bp_conn *c);

/* bp_probe_pipe_size() - the largest pipe size up to 1 MiB we may set */
int bp_probe_pipe_size(void);

/* bp_pipes_fini() - close the idle pipes, free the pipe pool */
void bp_pipes_fini(struct bp *b);

/* ---- builtin_udp.c ------------------------------------------------------- */

/* bp_udp_listen_cb() - datagrams from clients: pass them on per flow,
 * consecutive datagrams of one flow in one send */
void bp_udp_listen_cb(struct rk_watch *w, uint32_t events);

/* bp_flow_close() - drop @f from its port and free it after this batch */
void bp_flow_close(struct bp_flow *f);

/* bp_udp_timer_cb() - the flow timer: expire idle UDP flows */
void bp_udp_timer_cb(struct rk_watch *w, uint32_t events);

#endif
