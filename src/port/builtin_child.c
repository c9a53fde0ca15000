// SPDX-License-Identifier: Apache-2.0
/*
 * builtin_child.c - the child half of the builtin port driver
 *
 * Theory of operation: the child is namespace root inside the network
 * namespace.  All the parent needs from it are sockets that belong to that
 * namespace: a socket is tied to the network namespace it was created in,
 * wherever it is used later.  So the child answers each request with a
 * batch of fresh, unconnected sockets and keeps no state at all; the
 * parent connects them itself.  One request serves many connections.
 */
#include "builtin.h"
#include "../lib/rtnl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* reply() - send @r with @n fds attached; returns 0 or -1 */
static int reply(int chan, const struct rk_bp_rep *r, const int *fds, int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RK_BP_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)r, .iov_len = sizeof(*r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	while (sendmsg(chan, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int rk_builtin_child_serve(int chan)
{
	for (;;) {
		struct rk_bp_req q;
		struct rk_bp_rep r = { 0 };
		int fds[RK_BP_MAX_FDS], n = 0, ret;
		ssize_t len = recv(chan, &q, sizeof(q), MSG_DONTWAIT);

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return errno == EAGAIN ? 0 : -1;
		if (len == 0)
			return -1;
		r.seq = q.seq;
		r.family = q.family;
		r.type = q.type;
		if (len != (ssize_t)sizeof(q) || q.count < 1 || q.count > RK_BP_MAX_FDS ||
		    (q.family != AF_INET && q.family != AF_INET6) ||
		    (q.type != SOCK_STREAM && q.type != SOCK_DGRAM)) {
			r.errnum = EINVAL;
		} else {
			while (n < q.count) {
				int s = socket(q.family, q.type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

				if (s < 0) {
					r.errnum = errno;
					break;
				}
				fds[n++] = s;
			}
		}
		r.count = n;
		if (n)
			r.errnum = 0;
		ret = reply(chan, &r, fds, n);
		for (int i = 0; i < n; i++)
			close(fds[i]);
		if (ret < 0)
			return -1;
	}
}

int rk_builtin_child_send_rtnl(int chan)
{
	struct rk_bp_rep r = { .family = AF_NETLINK, .count = 1 };
	int fd = rk_rtnl_open(), ret;

	if (fd < 0)
		return -1;
	ret = reply(chan, &r, &fd, 1);
	close(fd);
	return ret;
}
