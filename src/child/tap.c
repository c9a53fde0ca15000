// SPDX-License-Identifier: Apache-2.0
/*
 * tap.c - the TAP device of --net=gvisor-tap-vsock
 *
 * Theory of operation: the user-mode network stack runs inside the parent
 * (src/net/usernet.c), in the host's network namespace; the TAP device it
 * feeds must live in the child's network namespace (or in the detached one
 * at $SD/netns).  A TAP device is created in the network namespace of the
 * process that calls TUNSETIFF, and its frames are read and written
 * through the fd that made it, wherever that fd goes later.  So the child
 * (or the --detach-netns agent, from inside $SD/netns) opens /dev/net/tun,
 * makes a non-persistent TAP device and passes the fd to the parent over
 * the socketpair made before the clone, then closes its own copy.  No
 * process has to stay in the namespace to pump frames (upstream's child
 * copies every frame over a unix socket to the parent), and the device
 * disappears with the parent's fd: nothing is left behind.
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "../lib/util.h"

static const char tap_magic[4] = "TAP";

int rk_tap_hand_over(const char *dev, int chan, struct rk_err *err)
{
	cleanup_fd int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)tap_magic,
			     .iov_len = sizeof(tap_magic) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;

	if (fd < 0)
		return rk_err_errno(err, errno, "open /dev/net/tun");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return rk_err_errno(err, errno, "creating tap %s", dev);
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	while (sendmsg(chan, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return rk_err_errno(err, errno, "handing tap %s to the parent",
					    dev);
	}
	return 0;
}

int rk_tap_receive(int chan, struct rk_err *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char magic[sizeof(tap_magic)] = "";
	struct iovec iov = { .iov_base = magic, .iov_len = sizeof(magic) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	do {
		n = recvmsg(chan, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN)
		return rk_err_errno(err, errno, "receiving the tap device");
	c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (fd >= 0 && n == (ssize_t)sizeof(magic) &&
	    !memcmp(magic, tap_magic, sizeof(magic)) &&
	    !(mh.msg_flags & MSG_CTRUNC)) {
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
			return fd;
		rk_err_errno(err, errno, "tap device: fcntl");
		close(fd);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return rk_err_set(err, "the child did not hand over the tap device");
}
