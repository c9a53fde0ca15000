// SPDX-License-Identifier: Apache-2.0
/*
 * builtin_child.c - the child half of the builtin port driver
 *
 * Theory of operation: the child is namespace root inside the network
 * namespace, so it is the one that can reach the forwarded service.  For
 * every request the parent sends it creates a non-blocking socket of the
 * requested type, starts connect() to the target and passes the socket
 * back with SCM_RIGHTS, without waiting for the handshake: the parent's
 * event loop sees the connection complete (or fail).  The child therefore
 * never blocks on the network and keeps no state per flow.
 */
#include "builtin.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* reply() - send @r, with @fd attached if >= 0; returns 0 or -1 */
static int reply(int chan, const struct rk_bp_rep *r, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)r, .iov_len = sizeof(*r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(chan, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* dial() - start connecting to @q->target; returns the socket or -errno */
static int dial(const struct rk_bp_req *q)
{
	int fam = q->target.sa.sa_family, s;
	socklen_t len = fam == AF_INET6 ? sizeof(q->target.in6) :
					  sizeof(q->target.in);

	if ((fam != AF_INET && fam != AF_INET6) ||
	    (q->type != SOCK_STREAM && q->type != SOCK_DGRAM))
		return -EINVAL;
	s = socket(fam, q->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, &q->target.sa, len) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(s);
		return -e;
	}
	return s;
}

int rk_builtin_child_serve(int chan)
{
	for (;;) {
		struct rk_bp_req q;
		struct rk_bp_rep r = { 0 };
		ssize_t n = recv(chan, &q, sizeof(q), MSG_DONTWAIT);
		int s;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return -1;
		r.seq = q.seq;
		s = n == (ssize_t)sizeof(q) ? dial(&q) : -EPROTO;
		r.errnum = s < 0 ? -s : 0;
		if (reply(chan, &r, s) < 0) {
			if (s >= 0)
				close(s);
			return -1;
		}
		if (s >= 0)
			close(s);
	}
}
