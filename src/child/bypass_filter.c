// SPDX-License-Identifier: Apache-2.0
/*
 * bypass_filter.c - the seccomp filter that lets the parent bypass the
 * network namespace (--bypass4netns), installed on the command
 *
 * Theory of operation: between fork and exec of the command (rk_spawn()'s
 * pre_exec hook) the new process loads a seccomp filter whose action for a
 * few socket calls is SECCOMP_RET_USER_NOTIF, and sends the listener fd to
 * the parent over a SOCK_SEQPACKET channel made before clone.  The filter
 * is inherited by everything the command starts, including processes that
 * later enter other network namespaces: the parent tells those apart by
 * the socket's own namespace, never by the process.
 *
 * What is trapped, and why only this:
 *   connect()                      every call: the destination decides
 *   bind()                         every call: a published port's child
 *                                  side is taken over by a host socket
 *   sendto() with an address       UDP's first datagram out decides; the
 *                                  hot send()/write() path (NULL address)
 *                                  is not trapped
 *   sendmsg(), sendmmsg() with     TCP Fast Open connects like connect()
 *   MSG_FASTOPEN
 *   io_uring_setup()               refused (ENOSYS): io_uring's connect
 *                                  and sendmsg are no system calls
 * Nothing else (no close, read, write, accept, getsockname...): once a
 * socket is replaced by a host socket, later calls go to that socket
 * directly.  On a socket of the namespace, a call that is not trapped
 * takes the namespace's normal path.  On a host socket (a twin) it reaches
 * what the user reaches on the host; with --disable-host-loopback the
 * parent refuses the trapped calls that could connect a twin to the
 * host's loopback, but 32-bit compat calls are not trapped, and a thread
 * that dup2()s a twin over an fd between the check and a CONTINUE'd call
 * gets the twin connected (docs/port.md, "Bypassing the namespace").
 *
 * The filter does not set no_new_privs: the command is uid 0 with
 * CAP_SYS_ADMIN in its user namespace, which is what seccomp() requires
 * instead, so setuid programs keep working.  Calls from other
 * architectures (32-bit compat) are allowed and not trapped.  When the
 * kernel refuses (Linux < 5.9, seccomp disabled, or the test hook
 * RK_BYPASS_REFUSE_ENV), the errno goes to the parent, which warns once;
 * the command runs anyway, on the normal path.
 */
#include "bypass_filter.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* load() - build and load the filter; returns the listener fd, or -errno */
static int load(void)
{
	scmp_filter_ctx ctx;
	int r, fd;
	const char *t = getenv(RK_BYPASS_REFUSE_ENV);

	if (t && !strcmp(t, "1"))
		return -ENOSYS;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* no no_new_privs (see above); other architectures pass */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(bind), 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendto), 1,
				     SCMP_A4(SCMP_CMP_NE, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendmsg), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, MSG_FASTOPEN,
					     MSG_FASTOPEN));
	/* sendmmsg() with MSG_FASTOPEN connects like sendmsg() */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendmmsg), 1,
				     SCMP_A3(SCMP_CMP_MASKED_EQ, MSG_FASTOPEN,
					     MSG_FASTOPEN));
	/* io_uring's connect and sendmsg are no system calls, so no filter
	 * sees them: without io_uring, programs use the calls above */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(io_uring_setup), 0);
	if (!r)
		r = seccomp_load(ctx);
	fd = r ? r : seccomp_notify_fd(ctx);
	seccomp_release(ctx);
	return fd;
}

void rk_bypass_filter_pre_exec(void *arg)
{
	int chan = *(int *)arg, fd = load();
	struct rk_bypass_hello h = { .errnum = fd < 0 ? -fd : 0 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	unsetenv(RK_BYPASS_REFUSE_ENV);
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
	/* sendmsg() without MSG_FASTOPEN is not trapped */
	if (sendmsg(chan, &mh, MSG_NOSIGNAL) < 0) {
		/* the parent is gone; PDEATHSIG ends us */
	}
	if (fd >= 0)
		close(fd);
	close(chan);
}
