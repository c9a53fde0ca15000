/* SPDX-License-Identifier: Apache-2.0
 *
 * loop.h - a small epoll event loop for the parent's single thread
 */
#ifndef RK_LOOP_H
#define RK_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct rk_watch;
typedef void (*rk_watch_cb)(struct rk_watch *w, uint32_t events);

/*
 * One registered file descriptor.  Embed it in the object that owns the
 * fd and use container_of() in the callback.  A callback is never called
 * for a watch whose fd was set to -1 (closed) earlier in the same batch.
 */
struct rk_watch {
	int fd;
	rk_watch_cb cb;
	bool again;		/* queued with rk_loop_again() */
};

struct rk_loop {
	int epfd;
	struct rk_watch **again;	/* to call once more after this batch */
	size_t nagain, capagain;
	void **graveyard;		/* freed after this batch */
	size_t ngrave, capgrave;
	uint64_t busy_ns;		/* poll this long after work, 0: never */
	uint64_t busy_until;		/* CLOCK_MONOTONIC ns, 0: not polling */
};

/* rk_loop_init() - create the epoll instance; returns 0 or -1 with @err */
int rk_loop_init(struct rk_loop *l, struct rk_err *err);

/* rk_loop_fini() - close the epoll instance and free pending garbage */
void rk_loop_fini(struct rk_loop *l);

/* rk_loop_add() - register @w->fd for @events; returns 0 or -1 (errno) */
int rk_loop_add(struct rk_loop *l, struct rk_watch *w, uint32_t events);

/* rk_loop_mod() - change the events of @w; returns 0 or -1 (errno) */
int rk_loop_mod(struct rk_loop *l, struct rk_watch *w, uint32_t events);

/* rk_loop_close() - deregister and close @w->fd, set it to -1 (no more
 * callbacks for it); safe to call twice */
void rk_loop_close(struct rk_loop *l, struct rk_watch *w);

/* rk_loop_close_sole() - like rk_loop_close() for an fd that is the only
 * reference to its file (e.g. from accept() in this process): close()
 * deregisters it, one syscall saved on a per-connection path */
void rk_loop_close_sole(struct rk_watch *w);

/* rk_loop_again() - call @w once more (events = EPOLLIN|EPOLLOUT) after the
 * current batch, for work cut short to stay fair; returns 0 or -1 (ENOMEM) */
int rk_loop_again(struct rk_loop *l, struct rk_watch *w);

/* rk_loop_free_later() - free(@p) after the current batch, so callbacks
 * still queued in it can look at the object's (closed) watches; 0 or -1 */
int rk_loop_free_later(struct rk_loop *l, void *p);

/*
 * rk_loop_run_once() - wait up to @timeout_ms (-1 = forever; 0 if work is
 * queued with rk_loop_again()) and dispatch one batch of events.
 * Returns the number of events dispatched, or -1 with errno (not EINTR).
 */
int rk_loop_run_once(struct rk_loop *l, int timeout_ms);

#endif
