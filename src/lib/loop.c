// SPDX-License-Identifier: Apache-2.0
/*
 * loop.c - a small epoll event loop
 *
 * Theory of operation: the parent runs one thread.  Every fd it waits on
 * (signalfd, the child's pidfd, the API server, port listeners, forwarded
 * connections, the channel to the child) is a struct rk_watch embedded in
 * its owner, registered with epoll_event.data.ptr pointing at the watch.
 * A callback may close and free other objects whose events are still in
 * the same batch: closing sets the watch's fd to -1 so the dispatcher skips
 * it, and rk_loop_free_later() keeps the memory valid until the batch ends.
 * rk_loop_again() lets a busy connection yield after a bounded amount of
 * work and be resumed after everyone else in the batch had their turn.
 * Rule for owners: close every watch of an object (fd = -1) before handing
 * it to rk_loop_free_later().
 */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define RK_LOOP_BATCH 128

int rk_loop_init(struct rk_loop *l, struct rk_err *err)
{
	*l = (struct rk_loop){ .epfd = epoll_create1(EPOLL_CLOEXEC) };
	if (l->epfd < 0)
		return rk_err_errno(err, errno, "epoll_create1");
	return 0;
}

/* collect() - free the graveyard */
static void collect(struct rk_loop *l)
{
	for (size_t i = 0; i < l->ngrave; i++)
		free(l->graveyard[i]);
	l->ngrave = 0;
}

void rk_loop_fini(struct rk_loop *l)
{
	collect(l);
	free(l->graveyard);
	free(l->again);
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int rk_loop_add(struct rk_loop *l, struct rk_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

int rk_loop_mod(struct rk_loop *l, struct rk_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void rk_loop_close(struct rk_loop *l, struct rk_watch *w)
{
	if (w->fd < 0)
		return;
	/* explicit: close() deregisters only when no other reference to
	 * the file exists (another process may still hold one) */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
}

void rk_loop_close_sole(struct rk_watch *w)
{
	if (w->fd < 0)
		return;
	close(w->fd);	/* the last reference: this deregisters it */
	w->fd = -1;
}

/* push() - append @p to a growable pointer array; returns 0 or -1 */
static int push(void ***v, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void **nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = p;
	return 0;
}

int rk_loop_again(struct rk_loop *l, struct rk_watch *w)
{
	if (w->again)
		return 0;
	if (push((void ***)&l->again, &l->nagain, &l->capagain, w) < 0)
		return -1;
	w->again = true;
	return 0;
}

int rk_loop_free_later(struct rk_loop *l, void *p)
{
	if (push(&l->graveyard, &l->ngrave, &l->capgrave, p) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int rk_loop_run_once(struct rk_loop *l, int timeout_ms)
{
	struct epoll_event ev[RK_LOOP_BATCH];
	size_t nagain;
	int n;

	if (l->nagain)
		timeout_ms = 0;
	n = epoll_wait(l->epfd, ev, RK_LOOP_BATCH, l->busy_until ? 0 : timeout_ms);
	if (n == 0 && l->busy_until) {
		/* right after work, poll for a moment before sleeping: a reply
		 * that comes within microseconds is then handled without the
		 * cost of a wake-up (see RK_LOOP_BUSY_NS) */
		struct timespec ts;
		uint64_t now;

		do {
			n = epoll_wait(l->epfd, ev, RK_LOOP_BATCH, 0);
			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		} while (n == 0 && now < l->busy_until);
		l->busy_until = 0;
		if (n == 0)
			n = epoll_wait(l->epfd, ev, RK_LOOP_BATCH, timeout_ms);
	}
	if (n > 0 && l->busy_ns) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		l->busy_until = (uint64_t)ts.tv_sec * 1000000000u +
				(uint64_t)ts.tv_nsec + l->busy_ns;
	}
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		struct rk_watch *w = ev[i].data.ptr;

		if (w->fd >= 0)
			w->cb(w, ev[i].events);
	}
	/* resume yielded work; entries queued meanwhile wait for next time */
	nagain = l->nagain;
	for (size_t i = 0; i < nagain; i++) {
		struct rk_watch *w = l->again[i];

		w->again = false;
		if (w->fd >= 0)
			w->cb(w, EPOLLIN | EPOLLOUT);
	}
	/* keep what was queued meanwhile, minus closed watches: their owners
	 * may be in the graveyard, which is emptied now */
	size_t k = 0;

	for (size_t i = nagain; i < l->nagain; i++) {
		if (l->again[i]->fd >= 0)
			l->again[k++] = l->again[i];
	}
	l->nagain = k;
	collect(l);
	return n;
}
