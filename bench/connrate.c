// SPDX-License-Identifier: Apache-2.0
/*
 * connrate.c - connection-rate load generator and its server, for bench/
 *
 * Client (default): C threads, each in a loop for D seconds: connect(),
 * write one byte, read one byte, close().  Prints one JSON object: the
 * number of completed exchanges, the rate, p50/p99/max latency in
 * microseconds and the number of failures.
 *
 *   connrate [-c CONCURRENCY] [-d SECONDS | -n COUNT] [-h HOST] -p PORT
 *
 * With -n COUNT instead of -d, the threads share exactly COUNT attempts
 * (completed + failed) and stop when they are used up (bench/soak.sh).
 *
 * Server: one epoll loop that answers one byte with one byte and closes.
 *
 *   connrate -s PORT
 *
 * Holder: open N connections to HOST:PORT, print "held N" when all are
 * established, keep them until stdin reaches EOF.
 *
 *   connrate -H N [-h HOST] -p PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct worker {
	pthread_t t;
	struct sockaddr_in addr;
	double until;
	long *left;		/* -n: shared count of attempts still to make */
	uint32_t *lat;		/* microseconds */
	size_t n, cap;
	unsigned long fails;
};

/* now() - CLOCK_MONOTONIC in seconds */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* exchange() - one connect/write/read/close; returns 0 or -1 */
static int exchange(const struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct timeval tv = { .tv_sec = 2 };	/* a lost exchange counts as failed */
	char c = 'x';
	int r = -1;

	if (s < 0)
		return -1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, (const struct sockaddr *)a, sizeof(*a)) == 0 &&
	    write(s, &c, 1) == 1 && read(s, &c, 1) == 1)
		r = 0;
	close(s);
	return r;
}

/* run_worker() - thread body: exchanges until the deadline */
static void *run_worker(void *arg)
{
	struct worker *w = arg;

	while (w->left ? __atomic_sub_fetch(w->left, 1, __ATOMIC_RELAXED) >= 0
		       : now() < w->until) {
		double t0 = now();

		if (exchange(&w->addr) < 0) {
			w->fails++;
			continue;
		}
		if (w->n == w->cap) {
			size_t c = w->cap ? w->cap * 2 : 65536;
			uint32_t *nl = realloc(w->lat, c * sizeof(*nl));

			if (!nl)
				break;
			w->lat = nl;
			w->cap = c;
		}
		w->lat[w->n++] = (uint32_t)((now() - t0) * 1e6);
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* client() - the load generator; returns the exit status */
static int client(const char *host, int port, int conc, double secs, long count)
{
	struct worker *w = calloc((size_t)conc, sizeof(*w));
	uint32_t *all;
	size_t total = 0, k = 0;
	unsigned long fails = 0;
	double start = now();

	for (int i = 0; i < conc; i++) {
		w[i].addr.sin_family = AF_INET;
		w[i].addr.sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &w[i].addr.sin_addr);
		w[i].until = start + secs;
		w[i].left = count > 0 ? &count : NULL;
		pthread_create(&w[i].t, NULL, run_worker, &w[i]);
	}
	for (int i = 0; i < conc; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].n;
		fails += w[i].fails;
	}
	secs = now() - start;
	all = malloc((total + 1) * sizeof(*all));
	for (int i = 0; i < conc; i++) {
		memcpy(all + k, w[i].lat, w[i].n * sizeof(*all));
		k += w[i].n;
		free(w[i].lat);
	}
	qsort(all, total, sizeof(*all), cmp_u32);
	printf("{\"concurrency\":%d,\"seconds\":%.3f,\"conns\":%zu,\"rate\":%.1f,"
	       "\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u,\"failures\":%lu}\n",
	       conc, secs, total, (double)total / secs,
	       total ? all[total / 2] : 0, total ? all[total * 99 / 100] : 0,
	       total ? all[total - 1] : 0, fails);
	free(all);
	free(w);
	return total ? 0 : 1;
}

/* server() - answer one byte with one byte, then close; never returns */
static int server(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port) };
	int l = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1, zero = 0;
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = l };

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 4096) < 0) {
		perror("connrate: bind/listen");
		return 1;
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char c;

			if (fd == l) {
				int s;

				while ((s = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event e = { .events = EPOLLIN,
								 .data.fd = s };

					epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
				}
				continue;
			}
			if (read(fd, &c, 1) == 1 && write(fd, &c, 1) == 1) {
				/* answered; close below */
			}
			close(fd);
		}
	}
}

/* holder() - keep N connections open until stdin reaches EOF */
static int holder(const char *host, int port, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int *fds = calloc((size_t)n, sizeof(*fds)), held = 0;
	char buf[64];

	inet_pton(AF_INET, host, &a.sin_addr);
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] >= 0 && connect(fds[i], (struct sockaddr *)&a, sizeof(a)) == 0)
			held++;
	}
	printf("held %d\n", held);
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return held == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	int port = 0, conc = 1, serve = 0, hold = 0, opt;
	double secs = 5;
	long count = 0;
	struct rlimit rl;

	/* 1000 held connections and 64 threads need more than 1024 fds */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	while ((opt = getopt(argc, argv, "c:d:h:n:p:s:H:")) != -1) {
		switch (opt) {
		case 'c': conc = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'h': host = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 's': serve = atoi(optarg); break;
		case 'H': hold = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: connrate [-c N] [-d S | -n COUNT] [-h HOST] -p PORT | -s PORT | -H N -p PORT\n");
			return 2;
		}
	}
	if (serve)
		return server(serve);
	if (!port || conc < 1) {
		fprintf(stderr, "connrate: -p PORT is required\n");
		return 2;
	}
	if (hold)
		return holder(host, port, hold);
	return client(host, port, conc, secs, count);
}
