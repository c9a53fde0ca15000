// SPDX-License-Identifier: Apache-2.0
/*
 * socat.c - the socat port driver (deprecated; upstream v0.2.0 - v0.13.x)
 *
 * Theory of operation: each port is one socat process in the parent's
 * namespaces, listening on the host and, per client, forking a child that
 * execs "nsenter -U -n --preserve-credentials -t CHILDPID socat STDIN
 * TCP4:CHILDIP:CHILDPORT" (UDP4 likewise), i.e. a socat inside the
 * namespace connected to the service.  Every socat of a port runs in one
 * process group, which removal kills as a whole.  A socat that exits is
 * restarted after (tries x 100 ms) mod 30 s, as upstream did; its pidfd
 * and a timerfd sit in the parent's event loop.
 *
 * Before starting socat we bind the port ourselves once, to give the
 * caller upstream's builtin message when it is taken; after starting it we
 * wait (at most 2 s) until /proc/net shows the port bound, so the port
 * works when the API answers, and report socat's own output if it died
 * instead.
 */
#include "port.h"
#include "listen.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/proc.h"
#include "../lib/signame.h"
#include "../lib/util.h"

struct sc_drv {
	struct rk_port_driver drv;
	struct rk_loop *loop;
	pid_t child;		/* rootlesskit's child, for nsenter -t */
	char nsopt[PATH_MAX + 8]; /* "-n" or, detached, "-n/proc/CHILD/root$SD/netns" */
	int next_id;
};

struct sc_port {
	struct sc_drv *d;
	struct rk_port_spec spec;
	int type;
	pid_t pid;		/* socat's pid (and process group), 0 if none */
	struct rk_watch pw;	/* pidfd of socat */
	struct rk_watch tw;	/* restart timer */
	int tries;
	int out;		/* memfd: socat's output */
};

const char *const rk_socat_protos[] = { "tcp", "tcp4", "udp", "udp4", NULL };

/* sc_start() - start socat for @p; returns 0 or -1 with @err set */
static int sc_start(struct sc_port *p, struct rk_err *err)
{
	const struct rk_port_spec *s = &p->spec;
	bool tcp = p->type == SOCK_STREAM;
	char listen[160], exec[PATH_MAX + 320];
	char *argv[] = { "socat", listen, exec, NULL };
	struct rk_spawn sp = { .argv = argv, .setpgid = true,
			       .stdout_fd = p->out, .stderr_fd = p->out };

	snprintf(listen, sizeof(listen), "%s:%d,bind=%s,reuseaddr,fork%s",
		 tcp ? "TCP-LISTEN" : "UDP-LISTEN", s->parent_port,
		 s->parent_ip[0] ? s->parent_ip : "0.0.0.0",
		 tcp ? ",rcvbuf=65536,sndbuf=65536" : "");
	snprintf(exec, sizeof(exec),
		 "EXEC:\"nsenter -U %s --preserve-credentials -t %d socat STDIN %s:%s:%d\",nofork",
		 p->d->nsopt, (int)p->d->child, tcp ? "TCP4" : "UDP4",
		 s->child_ip[0] ? s->child_ip : "127.0.0.1", s->child_port);
	if (p->out >= 0 && ftruncate(p->out, 0) == 0)
		lseek(p->out, 0, SEEK_SET);
	rk_debug("socat: starting socat %s %s", listen, exec);
	p->pid = rk_spawn(&sp, err);
	if (p->pid < 0) {
		p->pid = 0;
		return -1;
	}
	p->pw = (struct rk_watch){ .fd = rk_pidfd_open(p->pid), .cb = p->pw.cb };
	if (p->pw.fd < 0 || rk_loop_add(p->d->loop, &p->pw, EPOLLIN) < 0)
		return rk_err_errno(err, errno, "socat: pidfd");
	return 0;
}

/* sc_reap() - socat exited: reap it; returns its wait status */
static int sc_reap(struct sc_port *p)
{
	int status = 0;

	rk_loop_close(p->d->loop, &p->pw);
	if (p->pid > 0) {
		kill(-p->pid, SIGKILL);	/* its forked children too */
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	p->pid = 0;
	return status;
}

/* sc_exit_cb() - socat exited by itself: restart it after a back-off */
static void sc_exit_cb(struct rk_watch *w, uint32_t events)
{
	struct sc_port *p = container_of(w, struct sc_port, pw);
	char st[64], out[512];
	int status = sc_reap(p);
	long ms = ((long)++p->tries * 100) % 30000;
	struct itimerspec its = { .it_value = { .tv_sec = ms / 1000,
						 .tv_nsec = (ms % 1000) * 1000000 + 1 } };

	rk_warn("socat for port %d exited (%s), restarting in %ld ms: %s",
		p->spec.parent_port, rk_wait_status_str(status, st, sizeof(st)),
		ms, rk_read_output(p->out, out, sizeof(out)));
	if (timerfd_settime(p->tw.fd, 0, &its, NULL) < 0)
		rk_warn("socat: timerfd: %s", rk_strerror(errno));
}

/* sc_timer_cb() - the back-off is over: start socat again */
static void sc_timer_cb(struct rk_watch *w, uint32_t events)
{
	struct sc_port *p = container_of(w, struct sc_port, tw);
	struct rk_err err;
	uint64_t n;

	if (read(w->fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	if (!p->pid && sc_start(p, &err) < 0)
		rk_warn("socat for port %d: %s", p->spec.parent_port, err.msg);
}

/* bound() - true once a socket in this network namespace listens on (TCP)
 * or is bound to (UDP) the port of @s: socat has started; reading
 * /proc/net/{tcp,udp} does not disturb socat as a probe bind() could */
static bool bound(const struct rk_port_spec *s, int type)
{
	const char *files[] = { type == SOCK_STREAM ? "/proc/net/tcp" : "/proc/net/udp",
				type == SOCK_STREAM ? "/proc/net/tcp6" : "/proc/net/udp6" };
	/* st: 0A is TCP_LISTEN, 07 is TCP_CLOSE, what an unconnected UDP
	 * socket shows */
	unsigned want = type == SOCK_STREAM ? 0x0A : 0x07;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		FILE *f = fopen(files[i], "re");
		char line[512];

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned port, st;
			char addr[64];

			if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x",
				   addr, &port, &st) == 3 &&
			    port == (unsigned)s->parent_port && st == want) {
				fclose(f);
				return true;
			}
		}
		fclose(f);
	}
	return false;
}

/* sc_free() - stop socat and free @p */
static void sc_free(struct sc_port *p)
{
	if (p->pid)
		sc_reap(p);
	rk_loop_close(p->d->loop, &p->pw);
	rk_loop_close(p->d->loop, &p->tw);
	if (p->out >= 0)
		close(p->out);
	rk_loop_free_later(p->d->loop, p);
}

/* sc_expose() - rk_port_driver.expose; returns the new ID or -1 */
static int sc_expose(struct rk_port_driver *drv, const struct rk_port_spec *s,
		     void **priv, struct rk_err *err)
{
	struct sc_drv *d = container_of(drv, struct sc_drv, drv);
	struct sc_port *p;
	int fd, type;

	if (!rk_port_driver_serves(drv, s->proto))
		return rk_err_set(err, "unsupported protocol \"%s\"", s->proto);
	if (strchr(s->parent_ip, ':') || strchr(s->child_ip, ':'))
		return rk_err_set(err, "socat port driver: IPv6 addresses are not supported: \"%s\"",
				  strchr(s->parent_ip, ':') ? s->parent_ip : s->child_ip);
	type = s->proto[0] == 't' ? SOCK_STREAM : SOCK_DGRAM;
	/* upstream's message for a port that is taken */
	fd = rk_port_listen(s, type, err);
	if (fd < 0)
		return -1;
	close(fd);
	p = calloc(1, sizeof(*p));
	if (!p)
		return rk_err_errno(err, ENOMEM, "socat port driver");
	*p = (struct sc_port){ .d = d, .spec = *s, .type = type,
			       .pw = { .fd = -1, .cb = sc_exit_cb },
			       .tw = { .cb = sc_timer_cb },
			       .out = memfd_create("socat-output", MFD_CLOEXEC) };
	p->tw.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (p->tw.fd < 0 || rk_loop_add(d->loop, &p->tw, EPOLLIN) < 0) {
		rk_err_errno(err, errno, "socat port driver: timerfd");
		sc_free(p);
		return -1;
	}
	if (sc_start(p, err) < 0) {
		sc_free(p);
		return -1;
	}
	/* wait until socat has bound the port, or died */
	for (int i = 0; i < 400 && !bound(s, type); i++) {
		struct pollfd pf = { .fd = p->pw.fd, .events = POLLIN };

		if (poll(&pf, 1, 5) > 0) {
			char st[64], out[512];
			int status = sc_reap(p);

			rk_err_set(err, "socat exited (%s): %s",
				   rk_wait_status_str(status, st, sizeof(st)),
				   rk_read_output(p->out, out, sizeof(out)));
			sc_free(p);
			return -1;
		}
	}
	*priv = p;
	return d->next_id++;
}

/* sc_unexpose() - rk_port_driver.unexpose: kill socat and its children */
static int sc_unexpose(struct rk_port_driver *drv, int id, void *priv,
		       struct rk_err *err)
{
	sc_free(priv);
	return 0;
}

static void sc_destroy(struct rk_port_driver *drv)
{
	free(container_of(drv, struct sc_drv, drv));
}

struct rk_port_driver *rk_socat_port_new(struct rk_loop *loop, pid_t child,
					 const char *netns, struct rk_err *err)
{
	struct sc_drv *d;

	/* the path goes into socat's EXEC address, split on these */
	if (strpbrk(netns, " \t\"'\\,:!")) {
		rk_err_set(err, "--port-driver=socat cannot use the netns path %s",
			   netns);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		rk_err_errno(err, ENOMEM, "socat port driver");
		return NULL;
	}
	d->drv = (struct rk_port_driver){
		.name = "socat", .protos = rk_socat_protos,
		.expose = sc_expose, .unexpose = sc_unexpose,
		.destroy = sc_destroy,
	};
	d->loop = loop;
	d->child = child;
	snprintf(d->nsopt, sizeof(d->nsopt), "-n%s", netns);
	d->next_id = 1;
	return &d->drv;
}
