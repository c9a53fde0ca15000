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
 * what the user reaches on the host.
 *
 * With --disable-host-loopback ("strict") that is too much: a twin must
 * never connect to the host's 127.0.0.1.  The parent then answers every
 * trapped connecting call itself (src/parent/bypass_delegate.c), so the
 * filter also traps the 32-bit ABIs, which a 64-bit program reaches with
 * int 0x80 too: connect, bind, Fast Open sends, and socketcall()'s
 * connect, bind, sendto, sendmsg and sendmmsg, whose fd and flags are in
 * memory and so cannot be judged by the filter.  Without strict, 32-bit calls pass
 * untrapped: on a twin they reach what the user reaches on the host.
 *
 * The filter does not set no_new_privs: the command is uid 0 with
 * CAP_SYS_ADMIN in its user namespace, which is what seccomp() requires
 * instead, so setuid programs keep working.  Calls from architectures
 * the filter does not name are allowed.  When the
 * kernel refuses (Linux < 5.9, seccomp disabled, or the test hook
 * RK_BYPASS_REFUSE_ENV), the errno goes to the parent, which warns once;
 * the command runs anyway, on the normal path.
 */
#include "bypass_filter.h"

#include <errno.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/rtnl.h"

/* ctx_new() - an empty filter: no no_new_privs (see above), other
 * architectures pass; NULL on error */
static scmp_filter_ctx ctx_new(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	if (ctx && (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) ||
		    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				     SCMP_ACT_ALLOW))) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* fastopen() - trap @nr when its flags argument @arg has MSG_FASTOPEN;
 * returns 0 or -errno */
static int fastopen(scmp_filter_ctx ctx, int nr, unsigned int arg)
{
	return seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
				SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, MSG_FASTOPEN,
					 MSG_FASTOPEN));
}

/* compat() - the rules for the 32-bit ABIs (i386, also reached with
 * int 0x80 from 64-bit code, and x32), --disable-host-loopback only:
 * every connect and bind, Fast Open sends, and socketcall()'s connect,
 * bind and sends,
 * whose flags and fd live in memory; returns 0 or -errno */
static int compat(scmp_filter_ctx native)
{
	static const int sc[] = { SYS_CONNECT, SYS_BIND, SYS_SENDTO,
				  SYS_SENDMSG, SYS_SENDMMSG };
	scmp_filter_ctx ctx = ctx_new();
	int r;

	if (!ctx)
		return -ENOMEM;
	r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	if (!r)
		r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (!r)
		r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(bind), 0);
	if (!r)
		r = fastopen(ctx, SCMP_SYS(sendto), 3);
	if (!r)
		r = fastopen(ctx, SCMP_SYS(sendmsg), 2);
	if (!r)
		r = fastopen(ctx, SCMP_SYS(sendmmsg), 3);
	/* libseccomp also emits socketcall() forms of the three rules
	 * above, testing register arguments socketcall() does not use:
	 * these unconditional rules supersede them (x86 only) */
	for (size_t i = 0; !r && i < sizeof(sc) / sizeof(sc[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(socketcall),
				     1, SCMP_A0(SCMP_CMP_EQ, sc[i]));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(io_uring_setup), 0);
	if (!r)
		return seccomp_merge(native, ctx);	/* takes ctx */
	seccomp_release(ctx);
	return r;
}

/* load() - build and load the filter; returns the listener fd, or -errno */
static int load(bool strict)
{
	scmp_filter_ctx ctx;
	int r, fd;
	const char *t = getenv(RK_BYPASS_REFUSE_ENV);

	if (t && !strcmp(t, "1"))
		return -ENOSYS;
	ctx = ctx_new();
	if (!ctx)
		return -ENOMEM;
	r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(bind), 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendto), 1,
				     SCMP_A4(SCMP_CMP_NE, 0));
	if (!r)
		r = fastopen(ctx, SCMP_SYS(sendmsg), 2);
	/* sendmmsg() with MSG_FASTOPEN connects like sendmsg() */
	if (!r)
		r = fastopen(ctx, SCMP_SYS(sendmmsg), 3);
	/* io_uring's connect and sendmsg are no system calls, so no filter
	 * sees them: without io_uring, programs use the calls above */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(io_uring_setup), 0);
	if (!r && strict)
		r = compat(ctx);
	if (!r)
		r = seccomp_load(ctx);
	fd = r ? r : seccomp_notify_fd(ctx);
	seccomp_release(ctx);
	return fd;
}

void rk_bypass_filter_pre_exec(void *arg)
{
	const struct rk_bypass_filter_arg *fa = arg;
	/* a route socket of this (the child's) network namespace: the parent
	 * asks it which destinations are outside.  Made before the filter,
	 * whose connect() trap would wait for a listener not yet sent */
	int rt = rk_rtnl_open(), chan = fa->chan, fd = load(fa->strict);
	int fds[2] = { fd, rt };
	struct rk_bypass_hello h = { .errnum = fd < 0 ? -fd : 0 };
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	unsetenv(RK_BYPASS_REFUSE_ENV);
	if (fd >= 0) {
		/* without the route socket, nothing is bypassed */
		size_t n = fds[1] >= 0 ? 2 : 1;
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	/* sendmsg() without MSG_FASTOPEN is not trapped */
	if (sendmsg(chan, &mh, MSG_NOSIGNAL) < 0) {
		/* the parent is gone; PDEATHSIG ends us */
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(chan);
}
