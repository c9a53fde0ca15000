// SPDX-License-Identifier: Apache-2.0
/*
 * bypass.c - --bypass4netns: sockets of the command that leave the network
 * namespace, or that bind a published port, become host sockets
 *
 * Theory of operation.  The command runs under a seccomp filter whose
 * listener fd reaches us over a channel (src/child/bypass_filter.c says
 * which calls trap).  For each notification, in the single event loop:
 *
 *  1. pidfd_open(pid), then SECCOMP_IOCTL_NOTIF_ID_VALID (the pid was
 *     still the caller's); pidfd_getfd() duplicates the caller's socket.
 *  2. The socket itself says where it lives (SIOCGSKNS).  Only a TCP or
 *     UDP, IPv4 or IPv6 socket in the child's own network namespace is a
 *     candidate.  A socket of any other namespace (a nested `unshare -n`,
 *     a container's bridge network) takes the normal path (pass()): the
 *     call as if we did not exist, in that namespace.
 *  3. The address is read once from the caller's memory
 *     (process_vm_readv), then ID_VALID again.  Everything is decided on
 *     that copy: connect()/sendto() to a destination rk_bp_dest_ok()
 *     accepts and the namespace routes through the network driver's
 *     gateway (outside(): a route lookup on a NETLINK_ROUTE socket of the
 *     namespace, sent by the command with the listener), bind() to the
 *     child side of a published port.  The rest
 *     takes the normal path: CONTINUE, which is harmless without strict
 *     (below): the call then happens in the namespace, re-reading the
 *     address, so nothing is widened.
 *  4. An eligible call is done by us on a twin socket made in the host
 *     namespace (rk_bp_twin(): options copied) with the address we
 *     checked, never with CONTINUE, so swapping the address from another
 *     thread after the check changes nothing.  The twin is installed over
 *     the caller's fd with SECCOMP_IOCTL_NOTIF_ADDFD + SETFD (keeping its
 *     close-on-exec flag; file status flags copied), then the call is
 *     answered with our result.  A non-blocking connect answers
 *     EINPROGRESS at once; a blocking one is finished in the loop (the
 *     twin is non-blocking until then; EPOLLOUT, SO_ERROR), and only then
 *     installed and answered.  If the caller was interrupted meanwhile,
 *     ADDFD fails and the twin is dropped; the restarted call starts over.
 *
 * Threads: the notification names the calling thread; pidfd_open() takes
 * its process (Tgid), as fds are the process's.
 *
 * Host sockets: sockets already in the host namespace (our twins) are not
 * in the child's namespace, so later calls on them are CONTINUE'd: they
 * reach what the same user reaches on the host, no more.
 *
 * Strict (--disable-host-loopback): a twin must never reach the host's
 * 127.0.0.1, and CONTINUE looks the fd and the address up again, which a
 * second thread can change after our check (bypass_delegate.c).  So no
 * connecting call (connect, Fast Open send; the filter then also traps
 * the 32-bit ABIs) is ever CONTINUE'd: an inet connect() that is not
 * bypassed is done here on the checked socket (direct_connect()), others
 * by a delegate as the caller; connect() on a host TCP socket is answered
 * from its state (EALREADY, EISCONN; EPERM for one that could connect);
 * Fast Open sends not bypassed get EOPNOTSUPP; UDP is never bypassed.
 * Sends without MSG_FASTOPEN ignore the address of a TCP socket.
 *
 * Published ports (builtin driver): a bind() of the child port (on the
 * wildcard address, loopback, the child's IP or the spec's child IP) gets
 * a twin bound to the parent side; the driver's listener steps aside
 * first (rk_port_driver.step_aside) and the program accepts the clients
 * itself, seeing their real addresses.  A TCP twin gets SO_REUSEADDR, as
 * the driver's listener has, so that the TIME_WAIT of its connections does
 * not keep the driver from listening again.  We keep no reference to the twin:
 * a 1 s timer asks NETLINK_SOCK_DIAG whether its inode still exists in the
 * host namespace, and when the last one of a port is gone the driver
 * listens again (retried each tick while the address is busy).
 *
 * Failure: a refused filter (the command's hello carries the errno) or a
 * refused ADDFD gives one warning and the normal path (pass()) for
 * everything after.
 */
#include "bypass.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/net.h>
#include <linux/rtnetlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../child/bypass_filter.h"
#include "../lib/log.h"
#include "../lib/proc.h"
#include "../lib/rtnl.h"
#include "../lib/util.h"
#include "bypass_int.h"

#define SEND_MAX	65536	/* largest datagram we send for a caller */
#define PEND_MAX	4096	/* blocking connects finished at once */
#define PEND_SWEEP	256	/* ... past which gone callers' are dropped */
#define DLG_MAX		1024	/* delegates at once */
#define DLG_PER_PROC	64	/* ... for one process */
#define DLG_MS		30000	/* a delegate blocked longer is ended */

/* The 32-bit system call numbers the filter traps (strict only) */
#define X32_BIT		0x40000000u
#define I386_SOCKETCALL	102
#define I386_BIND	361
#define I386_CONNECT	362
#define I386_SENDTO	369
#define I386_SENDMSG	370
#define I386_SENDMMSG	345
#define X32_BIND	49
#define X32_SENDMSG	518
#define X32_SENDMMSG	538

/* A blocking connect() being finished for a caller */
struct pend {
	struct rk_watch w;	/* the twin */
	struct rk_bypass *b;
	uint64_t id;		/* notification */
	int tfd;		/* the caller's fd number */
	bool cloexec;
	int fl;			/* the caller's file status flags */
	bool direct;		/* the caller's own socket: just answer */
	struct pend *prev, *next;
};

/* A delegate (bypass_delegate.c) doing a call for a caller */
struct dlg {
	struct rk_watch w;	/* its pidfd */
	struct rk_bypass *b;
	pid_t pid;
	pid_t caller;		/* the caller's process */
	uint64_t start;		/* rk_now_ms() */
	uint64_t id;
	struct dlg *next;
};

/* A notification, whatever the ABI: which call, on which fd, where its
 * address and flags are */
enum { OP_OTHER, OP_CONNECT, OP_BIND, OP_SENDTO, OP_SENDMSG, OP_SENDMMSG };

struct call {
	int op;
	bool compat;		/* a 32-bit ABI (i386, int 0x80, x32) */
	bool sc;		/* through socketcall(): a[] read from memory */
	bool connecting;	/* connect, or a Fast Open send */
	int fd;
	uint64_t addr, alen;	/* connect, bind, sendto: the address */
	uint64_t flags;
	uint32_t a[6];		/* socketcall()'s arguments */
};

/* The notification being decided */
struct ask {
	const struct seccomp_notif *rq;
	struct call c;
	pid_t tid;		/* the calling thread */
	int pidfd;		/* its process */
	int s;			/* the socket it names (our duplicate) */
	struct sockaddr_storage ss;	/* the call's address, read once */
	int sslen;		/* its length; 0: none; -errno: unreadable */
};

/* A published port's address held by a twin */
struct aside {
	int port_id;
	int family, proto;
	ino_t ino;		/* 0: gone, the driver could not listen yet */
	struct aside *next;
};

struct rk_bypass {
	struct rk_loop *loop;
	struct rk_watch chan, notif, timer;
	bool no_host_lo;
	bool off;		/* ADDFD refused: CONTINUE everything */
	ino_t child_ns;
	struct rk_bp_policy pol;
	struct rk_ports *ports;
	json_t *info;		/* the "bypass4netns" object, live */
	char child_ip[INET6_ADDRSTRLEN];
	struct seccomp_notif_sizes sz;
	int rtnl;		/* NETLINK_ROUTE in the child's namespace */
	int ext_oif;		/* its interface to the network driver */
	char gateway[INET_ADDRSTRLEN];	/* the network driver's */
	struct pend *pend;
	struct dlg *dlg;
	int ndlg;
	struct aside *aside;
};

/* ---- the kernel interface ------------------------------------------------ */

static void respond(struct rk_bypass *b, uint64_t id, int64_t val, int error,
		    bool cont)
{
	struct seccomp_notif_resp *r = calloc(1, b->sz.seccomp_notif_resp);

	if (!r)
		return;
	r->id = id;
	r->val = val;
	r->error = error;
	r->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	if (ioctl(b->notif.fd, SECCOMP_IOCTL_NOTIF_SEND, r) < 0 &&
	    errno != ENOENT)
		rk_debug("bypass4netns: NOTIF_SEND: %s", strerror(errno));
	free(r);
}

static void cont(struct rk_bypass *b, uint64_t id)
{
	respond(b, id, 0, 0, true);
}

/* unplaced() - a twin that could not be installed (errno @e): the normal
 * path, but never a CONTINUE under --disable-host-loopback, where the
 * caller could have swapped the fd (and made ADDFD fail on purpose) */
static void unplaced(struct rk_bypass *b, uint64_t id, int e)
{
	if (b->no_host_lo)
		respond(b, id, 0, -e, false);
	else
		cont(b, id);
}

static bool id_valid(struct rk_bypass *b, uint64_t id)
{
	return ioctl(b->notif.fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* install() - @t over the caller's fd @tfd with its flags; closes @t;
 * returns 0 or -1 (errno; a kernel without ADDFD switches us off) */
static int install(struct rk_bypass *b, uint64_t id, int t, int tfd, int fl,
		   bool cloexec)
{
	struct seccomp_notif_addfd a = {
		.id = id, .flags = SECCOMP_ADDFD_FLAG_SETFD, .srcfd = (uint32_t)t,
		.newfd = (uint32_t)tfd, .newfd_flags = cloexec ? O_CLOEXEC : 0,
	};
	int r, e;

	fcntl(t, F_SETFL, fl);
	r = (int)ioctl(b->notif.fd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	e = errno;
	close(t);
	if (r >= 0)
		return 0;
	/* only a kernel without ADDFD switches us off: the caller can make
	 * ADDFD fail otherwise (EBADF: an fd above its RLIMIT_NOFILE) */
	if ((e == EINVAL || e == ENOTTY) && !b->off) {
		rk_warn("--bypass4netns: the kernel refused SECCOMP_IOCTL_NOTIF_ADDFD (%s; Linux >= 5.9 is needed): sockets take the normal path",
			strerror(e));
		b->off = true;
		json_object_set_new(b->info, "active", json_false());
	}
	errno = e;
	return -1;
}

/* fd_cloexec() - whether fd @tfd of @pid is close-on-exec (fdinfo) */
static bool fd_cloexec(pid_t pid, int tfd)
{
	char path[64], buf[256], *f;
	unsigned long fl;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, tfd);
	if (rk_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	f = strstr(buf, "flags:");
	return f && sscanf(f + 6, "%lo", &fl) == 1 && (fl & O_CLOEXEC);
}

/* inet_sa() - @q's address as an IPv4 or IPv6 sockaddr of family
 * @family, long enough for it; returns its length or 0 */
static socklen_t inet_sa(const struct ask *q, int family, union rk_sa *sa)
{
	socklen_t need = family == AF_INET ? sizeof(sa->in) : sizeof(sa->in6);

	memset(sa, 0, sizeof(*sa));
	if (q->sslen < (int)need || q->ss.ss_family != family)
		return 0;
	memcpy(sa, &q->ss, need);
	return need;
}

/* unused_sock() - @fd is neither bound nor connected */
static bool unused_sock(int fd)
{
	union rk_sa a = { 0 };
	socklen_t l = sizeof(a);

	if (getsockname(fd, &a.sa, &l) < 0)
		return false;
	if ((a.sa.sa_family == AF_INET && a.in.sin_port) ||
	    (a.sa.sa_family == AF_INET6 && a.in6.sin6_port))
		return false;
	l = sizeof(a);
	return getpeername(fd, &a.sa, &l) < 0 && errno == ENOTCONN;
}

/* ---- connect and sendto ---------------------------------------------------- */

static void pend_free(struct pend *p)
{
	rk_loop_close(p->b->loop, &p->w);
	if (p->prev)
		p->prev->next = p->next;
	else
		p->b->pend = p->next;
	if (p->next)
		p->next->prev = p->prev;
	rk_loop_free_later(p->b->loop, p);
}

/* pend_new() - room for one more pend; past PEND_SWEEP pending, those of
 * callers interrupted or gone (a signal restarts the call as a new
 * notification) are dropped first.  Returns it zeroed, or NULL when
 * PEND_MAX are pending */
static struct pend *pend_new(struct rk_bypass *b)
{
	struct pend *p, *next;
	int n = 0;

	for (p = b->pend; p; p = p->next)
		n++;
	if (n >= PEND_SWEEP) {
		for (n = 0, p = b->pend; p; p = next) {
			next = p->next;
			if (!id_valid(b, p->id))
				pend_free(p);
			else
				n++;
		}
	}
	return n < PEND_MAX ? calloc(1, sizeof(struct pend)) : NULL;
}

/* pend_add() - watch @p (filled in) until its connect finishes; returns 0,
 * or -1 having closed its fd and freed it */
static int pend_add(struct rk_bypass *b, struct pend *p)
{
	if (rk_loop_add(b->loop, &p->w, EPOLLOUT) < 0) {
		close(p->w.fd);
		free(p);
		return -1;
	}
	p->next = b->pend;
	if (b->pend)
		b->pend->prev = p;
	b->pend = p;
	return 0;
}

/* pend_cb() - a blocking connect() finished: install and answer */
static void pend_cb(struct rk_watch *w, uint32_t events)
{
	struct pend *p = container_of(w, struct pend, w);
	int e = 0, t;
	socklen_t l = sizeof(e);

	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		e = errno;
	if (!e && !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		return;
	if (e || p->direct) {
		respond(p->b, p->id, 0, -e, false);
	} else {
		t = fcntl(w->fd, F_DUPFD_CLOEXEC, 0);
		if (t >= 0 && install(p->b, p->id, t, p->tfd, p->fl,
				      p->cloexec) == 0)
			respond(p->b, p->id, 0, 0, false);
		else if (errno != ENOENT)
			unplaced(p->b, p->id, errno);
	}
	pend_free(p);
}

static void pass(struct rk_bypass *b, const struct ask *q);

/* do_connect() - connect a twin of @q's socket to @sa and answer */
static void do_connect(struct rk_bypass *b, const struct ask *q,
		       const int sk[3], const union rk_sa *sa, socklen_t salen)
{
	const struct seccomp_notif *rq = q->rq;
	int tfd = q->c.fd, fl = fcntl(q->s, F_GETFL);
	bool cloexec = fd_cloexec(q->tid, tfd);
	int t = rk_bp_twin(q->s, sk[0], sk[1], sk[2]), e;
	struct pend *p;

	if (t < 0 || fl < 0) {
		if (t >= 0)
			close(t);
		pass(b, q);
		return;
	}
	/* errno only when connect() failed: after a success it may still hold
	 * an EINPROGRESS of an earlier call */
	e = connect(t, &sa->sa, salen) < 0 ? errno : 0;
	if (e && e != EINPROGRESS) {
		respond(b, rq->id, 0, -e, false);
		close(t);
		return;
	}
	if (e != EINPROGRESS || (fl & O_NONBLOCK)) {
		bool inprog = e == EINPROGRESS;

		if (install(b, rq->id, t, tfd, fl, cloexec) == 0)
			respond(b, rq->id, 0, inprog ? -EINPROGRESS : 0, false);
		else if (errno != ENOENT)
			unplaced(b, rq->id, errno);
		return;
	}
	p = pend_new(b);
	if (!p) {
		close(t);
		pass(b, q);
		return;
	}
	*p = (struct pend){ .w = { .fd = t, .cb = pend_cb }, .b = b,
			    .id = rq->id, .tfd = tfd, .cloexec = cloexec,
			    .fl = fl };
	if (pend_add(b, p) < 0)
		pass(b, q);
}

/* outside() - whether the child's namespace routes @sa out through the network driver: a unicast route via a
 * gateway on the driver's interface.  Addresses it reaches by other
 * interfaces (a Docker bridge, a veth of its own) or directly are not
 * outside, whatever their number */
static bool outside(struct rk_bypass *b, const union rk_sa *sa)
{
	struct rk_route r;
	union rk_sa n = rk_bp_sa_norm(sa);
	const union rk_sa *a = &n;
	const void *ip = a->sa.sa_family == AF_INET ? (const void *)&a->in.sin_addr :
			 (const void *)&a->in6.sin6_addr;

	if (b->rtnl < 0)
		return false;
	if (!b->ext_oif && b->gateway[0]) {
		struct in_addr gw;

		if (inet_pton(AF_INET, b->gateway, &gw) == 1 &&
		    rk_rtnl_route_get(b->rtnl, AF_INET, &gw, &r) == 0)
			b->ext_oif = r.oif;
	}
	return rk_rtnl_route_get(b->rtnl, a->sa.sa_family, ip, &r) == 0 &&
	       r.type == RTN_UNICAST && r.via_gateway &&
	       (!b->ext_oif || r.oif == b->ext_oif);
}

/* do_sendto() - the first datagram of an unused UDP socket to outside */
static void do_sendto(struct rk_bypass *b, const struct ask *q,
		      const int sk[3], const union rk_sa *sa, socklen_t salen)
{
	const struct seccomp_notif *rq = q->rq;
	const __u64 *a = rq->data.args;
	int s = q->s, tfd = (int)a[0], fl = fcntl(s, F_GETFL), t, t2;
	size_t len = (size_t)a[2];
	cleanup_free char *buf = malloc(len ? len : 1);
	ssize_t n;

	if (!buf || fl < 0 || rk_bp_readmem((pid_t)rq->pid, a[1], buf, len) < 0 ||
	    !id_valid(b, rq->id)) {
		cont(b, rq->id);
		return;
	}
	t = rk_bp_twin(s, sk[0], sk[1], sk[2]);
	t2 = t >= 0 ? fcntl(t, F_DUPFD_CLOEXEC, 0) : -1;
	if (t2 < 0) {
		if (t >= 0)
			close(t);
		cont(b, rq->id);
		return;
	}
	if (install(b, rq->id, t, tfd, fl, fd_cloexec((pid_t)rq->pid, tfd)) < 0) {
		if (errno != ENOENT)
			unplaced(b, rq->id, errno);
		close(t2);
		return;
	}
	n = sendto(t2, buf, len, (int)a[3] | MSG_DONTWAIT | MSG_NOSIGNAL,
		   &sa->sa, salen);
	respond(b, rq->id, n < 0 ? 0 : n, n < 0 ? -errno : 0, false);
	close(t2);
}

/* ---- published ports ------------------------------------------------------- */

static struct rk_port_entry *port_by_id(struct rk_bypass *b, int id)
{
	for (int i = 0; i < b->ports->n; i++)
		if (b->ports->v[i].st.id == id)
			return &b->ports->v[i];
	return NULL;
}

/* ip_is() - @a's address is the text address @ip */
static bool ip_is(const union rk_sa *a, const char *ip)
{
	union rk_sa x = { 0 };

	if (!ip[0])
		return false;
	if (inet_pton(AF_INET, ip, &x.in.sin_addr) == 1)
		x.sa.sa_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &x.in6.sin6_addr) == 1)
		x.sa.sa_family = AF_INET6;
	else
		return false;
	x = rk_bp_sa_norm(&x);
	if (x.sa.sa_family != a->sa.sa_family)
		return false;
	return x.sa.sa_family == AF_INET ?
	       x.in.sin_addr.s_addr == a->in.sin_addr.s_addr :
	       !memcmp(&x.in6.sin6_addr, &a->in6.sin6_addr, 16);
}

/* published() - the port whose child side @sa (of a @family/@type socket)
 * binds; fills @host with its parent side.  Returns the entry or NULL */
static struct rk_port_entry *published(struct rk_bypass *b, int family,
				       int type, const union rk_sa *sa,
				       union rk_sa *host)
{
	union rk_sa n = rk_bp_sa_norm(sa);
	int port = ntohs(n.sa.sa_family == AF_INET ? n.in.sin_port :
			 n.in6.sin6_port);
	bool any = n.sa.sa_family == AF_INET ? !n.in.sin_addr.s_addr :
		   IN6_IS_ADDR_UNSPECIFIED(&n.in6.sin6_addr);

	if (!b->ports->drv || !b->ports->drv->step_aside)
		return NULL;
	for (int i = 0; i < b->ports->n; i++) {
		const struct rk_port_spec *s = &b->ports->v[i].st.spec;
		const char *pfx = type == SOCK_STREAM ? "tcp" : "udp";

		if (strncmp(s->proto, pfx, 3) || s->child_port != port ||
		    (s->proto[3] == '4' && family != AF_INET) ||
		    (s->proto[3] == '6' && family != AF_INET6))
			continue;
		if (!any && !ip_is(&n, "127.0.0.1") && !ip_is(&n, "::1") &&
		    !ip_is(&n, b->child_ip) && !ip_is(&n, s->child_ip))
			continue;
		memset(host, 0, sizeof(*host));
		host->sa.sa_family = (sa_family_t)family;
		if (s->parent_ip[0]) {
			struct in_addr v4;

			if (family == AF_INET &&
			    inet_pton(AF_INET, s->parent_ip, &host->in.sin_addr) != 1)
				continue;
			if (family == AF_INET6 &&
			    inet_pton(AF_INET6, s->parent_ip, &host->in6.sin6_addr) != 1) {
				if (inet_pton(AF_INET, s->parent_ip, &v4) != 1)
					continue;
				host->in6.sin6_addr.s6_addr[10] = 0xff;
				host->in6.sin6_addr.s6_addr[11] = 0xff;
				memcpy(&host->in6.sin6_addr.s6_addr[12], &v4, 4);
			}
		}
		if (family == AF_INET)
			host->in.sin_port = htons((uint16_t)s->parent_port);
		else
			host->in6.sin6_port = htons((uint16_t)s->parent_port);
		return &b->ports->v[i];
	}
	return NULL;
}

static bool port_aside(struct rk_bypass *b, int id)
{
	for (struct aside *a = b->aside; a; a = a->next)
		if (a->port_id == id)
			return true;
	return false;
}

static void timer_arm(struct rk_bypass *b, bool on)
{
	struct itimerspec its = { .it_interval = { .tv_sec = on },
				  .it_value = { .tv_sec = on } };

	timerfd_settime(b->timer.fd, 0, &its, NULL);
}

/* do_bind() - a twin bound to the parent side of published port @e */
static void do_bind(struct rk_bypass *b, const struct ask *q,
		    const int sk[3], struct rk_port_entry *e,
		    const union rk_sa *host)
{
	const struct seccomp_notif *rq = q->rq;
	int s = q->s;
	struct rk_err err = { 0 };
	int tfd = (int)rq->data.args[0], fl = fcntl(s, F_GETFL), t;
	bool was = port_aside(b, e->st.id);
	struct aside *a = calloc(1, sizeof(*a));
	struct stat st;

	t = a && fl >= 0 ? rk_bp_twin(s, sk[0], sk[1], sk[2]) : -1;
	if (t < 0 || fstat(t, &st) < 0 ||
	    (!was && b->ports->drv->step_aside(b->ports->drv, e->priv,
					       &e->st.spec, true, &err) < 0)) {
		if (t >= 0)
			close(t);
		free(a);
		pass(b, q);
		return;
	}
	/* as the driver's own listener: its connections' TIME_WAIT must
	 * not keep the driver from listening again */
	if (sk[1] == SOCK_STREAM)
		setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	/* a TCP twin listens at once (the program's listen() only sets its
	 * backlog): sock_diag lists a bound TCP socket only once it listens
	 * on Linux < 6.7, and the driver must not take the port back */
	if (bind(t, &host->sa, rk_sa_len(host)) < 0 ||
	    (sk[1] == SOCK_STREAM && listen(t, SOMAXCONN) < 0)) {
		rk_debug("bypass4netns: bind of port %d on the host: %s; normal path",
			 e->st.spec.parent_port, strerror(errno));
		if (!was && b->ports->drv->step_aside(b->ports->drv, e->priv,
						      &e->st.spec, false, &err) < 0)
			rk_warn("--bypass4netns: port %d: %s", e->st.spec.parent_port,
				err.msg);
		close(t);
		free(a);
		pass(b, q);
		return;
	}
	*a = (struct aside){ .port_id = e->st.id, .family = sk[0],
			     .proto = sk[2], .ino = st.st_ino, .next = b->aside };
	b->aside = a;
	timer_arm(b, true);
	if (install(b, rq->id, t, tfd, fl, fd_cloexec((pid_t)rq->pid, tfd)) == 0)
		respond(b, rq->id, 0, 0, false);
	else if (errno != ENOENT)
		unplaced(b, rq->id, errno);
	/* a twin that never got installed is closed: the timer notices */
}

/* timer_cb() - give back the ports whose twins are all closed */
static void timer_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_bypass *b = container_of(w, struct rk_bypass, timer);
	struct aside **pp = &b->aside, *a;
	uint64_t n;

	if (read(w->fd, &n, sizeof(n)) < 0) {
		/* spurious wake-up */
	}
	for (a = b->aside; a; a = a->next)
		if (a->ino && !rk_bp_diag_has(a->family, a->proto, a->ino))
			a->ino = 0;
	while ((a = *pp)) {
		struct rk_port_entry *e = port_by_id(b, a->port_id);
		bool held = false;
		struct rk_err err = { 0 };

		for (struct aside *o = b->aside; o; o = o->next)
			held |= o->port_id == a->port_id && o->ino;
		if (a->ino || (held && e)) {
			if (!a->ino) {
				*pp = a->next;
				free(a);
				continue;
			}
			pp = &a->next;
			continue;
		}
		if (e && b->ports->drv->step_aside(b->ports->drv, e->priv,
						   &e->st.spec, false, &err) < 0) {
			rk_debug("bypass4netns: port %d not back yet: %s",
				 e->st.spec.parent_port, err.msg);
			pp = &a->next;	/* retry next tick */
			continue;
		}
		if (e)
			rk_debug("bypass4netns: port %d is served by the port driver again",
				 e->st.spec.parent_port);
		*pp = a->next;
		free(a);
	}
	if (!b->aside)
		timer_arm(b, false);
}

/* ---- notifications --------------------------------------------------------- */

/* from_state() - connect() on a host TCP socket (a twin) under
 * --disable-host-loopback, answered from its state, never done: it could
 * reach the host's loopback */
static void from_state(struct rk_bypass *b, const struct ask *q)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	if (getsockopt(q->s, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0 ||
	    ti.tcpi_state == TCP_CLOSE)
		respond(b, q->rq->id, 0, -EPERM, false);
	else if (ti.tcpi_state == TCP_SYN_SENT || ti.tcpi_state == TCP_SYN_RECV)
		respond(b, q->rq->id, 0, -EALREADY, false);
	else
		respond(b, q->rq->id, 0, -EISCONN, false);
}

/* direct_connect() - connect @q's own socket (an inet one) to its address
 * read once, and answer; a blocking socket is made non-blocking for the
 * call only (nothing else can use a socket being connected) and its
 * connect is finished in the loop */
static void direct_connect(struct rk_bypass *b, const struct ask *q)
{
	int fl = fcntl(q->s, F_GETFL), e;
	bool nb = fl >= 0 && (fl & O_NONBLOCK);
	struct pend *p;

	if (fl >= 0 && !nb)
		fcntl(q->s, F_SETFL, fl | O_NONBLOCK);
	e = connect(q->s, (const struct sockaddr *)&q->ss,
		    (socklen_t)q->sslen) < 0 ? errno : 0;
	if (fl >= 0 && !nb)
		fcntl(q->s, F_SETFL, fl);
	if (nb || (e != EINPROGRESS && e != EALREADY)) {
		respond(b, q->rq->id, 0, -e, false);
		return;
	}
	p = pend_new(b);
	if (p) {
		*p = (struct pend){ .b = b, .id = q->rq->id, .direct = true,
				    .w = { .cb = pend_cb,
					   .fd = fcntl(q->s, F_DUPFD_CLOEXEC, 0) } };
		if (p->w.fd < 0)
			free(p);
		else if (pend_add(b, p) == 0)
			return;
	}
	respond(b, q->rq->id, 0, -EAGAIN, false);
}

static pid_t tgid(pid_t tid);

static void dlg_cb(struct rk_watch *w, uint32_t events)
{
	struct dlg *d = container_of(w, struct dlg, w), **pp;

	while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR)
		;
	/* ignored (ENOENT) if the delegate answered */
	respond(d->b, d->id, 0, -EAGAIN, false);
	for (pp = &d->b->dlg; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	d->b->ndlg--;
	rk_loop_close(d->b->loop, w);
	rk_loop_free_later(d->b->loop, d);
}

/* dlg_room() - whether @caller may have one more delegate: those of
 * callers gone or interrupted are killed first (a caller's blocking
 * connect can block its delegate for long); a process may have
 * DLG_PER_PROC, all together DLG_MAX */
static bool dlg_room(struct rk_bypass *b, pid_t caller)
{
	int mine = 0;

	uint64_t now = rk_now_ms();

	for (struct dlg *d = b->dlg; d; d = d->next) {
		/* gone, interrupted, or blocked for DLG_MS: dlg_cb() reaps
		 * it and answers EAGAIN */
		if (!id_valid(b, d->id) || now - d->start > DLG_MS)
			kill(d->pid, SIGKILL);
		else if (d->caller == caller)
			mine++;
	}
	return b->ndlg < DLG_MAX && mine < DLG_PER_PROC;
}

/* delegate() - have @op done as the caller (bypass_delegate.c) */
static void delegate(struct rk_bypass *b, const struct ask *q, enum rk_bp_op op)
{
	pid_t caller = tgid(q->tid);
	struct rk_bp_job *j = calloc(1, sizeof(*j));
	struct dlg *d = dlg_room(b, caller) ? calloc(1, sizeof(*d)) : NULL;

	if (!j || !d) {
		free(j);
		free(d);
		respond(b, q->rq->id, 0, -EAGAIN, false);
		return;
	}
	*j = (struct rk_bp_job){ .notif = b->notif.fd,
				 .resp_size = b->sz.seccomp_notif_resp,
				 .id = q->rq->id, .tid = q->tid,
				 .pidfd = q->pidfd, .s = q->s, .op = op,
				 .sa = q->ss, .salen = (socklen_t)q->sslen };
	memcpy(j->a, q->c.a, sizeof(j->a));
	*d = (struct dlg){ .b = b, .id = q->rq->id, .caller = caller,
			   .start = rk_now_ms(), .w = { .cb = dlg_cb } };
	d->w.fd = rk_bp_delegate(j, &d->pid);
	free(j);
	if (d->w.fd < 0 || rk_loop_add(b->loop, &d->w, EPOLLIN) < 0) {
		if (d->w.fd >= 0) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, NULL, 0);
			close(d->w.fd);
		}
		free(d);
		respond(b, q->rq->id, 0, -EAGAIN, false);
		return;
	}
	d->next = b->dlg;
	b->dlg = d;
	b->ndlg++;
}

/* strict_sock() - what strict_connect() and strict_bind() need of @q:
 * its socket's family and type, and whether it is a host socket (SIOCGSKNS
 * refused).  Returns 0, or -1 having answered (an unreadable address, not
 * a socket) */
static int strict_sock(struct rk_bypass *b, const struct ask *q, int *dom,
		       int *type, bool *host)
{
	socklen_t l = sizeof(int);
	ino_t ino;

	if (q->sslen < 0) {
		respond(b, q->rq->id, 0, q->sslen, false);
		return -1;
	}
	if (getsockopt(q->s, SOL_SOCKET, SO_DOMAIN, dom, &l) < 0 ||
	    getsockopt(q->s, SOL_SOCKET, SO_TYPE, type, &l) < 0) {
		respond(b, q->rq->id, 0, -errno, false);
		return -1;
	}
	*host = rk_bp_sock_ns(q->s, &ino) < 0 && errno == EPERM;
	return 0;
}

/* strict_connect() - a connect() not bypassed, under
 * --disable-host-loopback: done by us on the socket checked, with the
 * address read once, never CONTINUE'd (bypass_delegate.c says why) */
static void strict_connect(struct rk_bypass *b, const struct ask *q)
{
	int dom = 0, type = 0;
	bool host;

	if (strict_sock(b, q, &dom, &type, &host) < 0)
		return;
	if (host) {
		/* a twin (answered from its state), or a socket the user
		 * passed in (not connected by us) */
		if ((dom == AF_INET || dom == AF_INET6) && type == SOCK_STREAM)
			from_state(b, q);
		else
			respond(b, q->rq->id, 0, -EPERM, false);
	} else if (dom == AF_INET || dom == AF_INET6)
		direct_connect(b, q);
	else
		delegate(b, q, RK_BP_CONNECT);
}

/* guarded() - a call never CONTINUE'd under --disable-host-loopback: one
 * that connects, or binds (a swapped-in host socket bound to the host's
 * 127.0.0.1 would listen there) */
static bool guarded(const struct rk_bypass *b, const struct ask *q)
{
	return b->no_host_lo && (q->c.connecting || q->c.op == OP_BIND);
}

/* strict_bind() - a bind() not bypassed, under --disable-host-loopback:
 * done on the socket checked, never CONTINUE'd.  An inet bind below port
 * 1024 is done as the caller (it needs CAP_NET_BIND_SERVICE, which we
 * have and the caller may not), as are the other families (an AF_UNIX
 * path is the caller's); a host socket is never bound by the program */
static void strict_bind(struct rk_bypass *b, const struct ask *q)
{
	int dom = 0, type = 0, port = 0;
	bool host;

	if (strict_sock(b, q, &dom, &type, &host) < 0)
		return;
	if (host) {
		respond(b, q->rq->id, 0, -EPERM, false);
		return;
	}
	if (dom == AF_INET && q->sslen >= (int)sizeof(struct sockaddr_in))
		port = ntohs(((const struct sockaddr_in *)(const void *)&q->ss)->sin_port);
	else if (dom == AF_INET6 && q->sslen >= (int)sizeof(struct sockaddr_in6))
		port = ntohs(((const struct sockaddr_in6 *)(const void *)&q->ss)->sin6_port);
	if ((dom == AF_INET || dom == AF_INET6) && (port == 0 || port >= 1024))
		respond(b, q->rq->id, 0,
			bind(q->s, (const struct sockaddr *)&q->ss,
			     (socklen_t)q->sslen) < 0 ? -errno : 0, false);
	else
		delegate(b, q, RK_BP_BIND);
}

/* pass() - the normal path for @q: CONTINUE, except for a guarded() call
 * under --disable-host-loopback, which is done by us (connect, bind) or
 * refused as by a kernel without Fast Open (EOPNOTSUPP) */
static void pass(struct rk_bypass *b, const struct ask *q)
{
	if (!guarded(b, q))
		cont(b, q->rq->id);
	else if (q->c.op == OP_CONNECT)
		strict_connect(b, q);
	else if (q->c.op == OP_BIND)
		strict_bind(b, q);
	else
		respond(b, q->rq->id, 0, -EOPNOTSUPP, false);
}

/* decide() - a native notification (see the header) */
static void decide(struct rk_bypass *b, struct ask *q)
{
	int sk[3], op = q->c.op;
	socklen_t l = sizeof(int), salen = 0;
	struct rk_port_entry *e;
	union rk_sa sa, host;
	ino_t ino;

	if (rk_bp_sock_ns(q->s, &ino) < 0 || ino != b->child_ns ||
	    getsockopt(q->s, SOL_SOCKET, SO_DOMAIN, &sk[0], &l) < 0 ||
	    getsockopt(q->s, SOL_SOCKET, SO_TYPE, &sk[1], &l) < 0 ||
	    getsockopt(q->s, SOL_SOCKET, SO_PROTOCOL, &sk[2], &l) < 0 ||
	    (sk[0] != AF_INET && sk[0] != AF_INET6) ||
	    !((sk[1] == SOCK_STREAM && sk[2] == IPPROTO_TCP) ||
	      (sk[1] == SOCK_DGRAM && sk[2] == IPPROTO_UDP)) ||
	    (sk[1] == SOCK_DGRAM && b->no_host_lo) ||
	    (op == OP_SENDTO && (sk[1] != SOCK_DGRAM ||
				 q->rq->data.args[2] > SEND_MAX)) ||
	    !(salen = inet_sa(q, sk[0], &sa))) {
		pass(b, q);
		return;
	}
	if (op == OP_BIND && (e = published(b, sk[0], sk[1], &sa, &host)))
		do_bind(b, q, sk, e, &host);
	else if (op == OP_CONNECT && rk_bp_dest_ok(&b->pol, &sa) &&
		 unused_sock(q->s) && outside(b, &sa))
		do_connect(b, q, sk, &sa, salen);
	else if (op == OP_SENDTO && !q->c.connecting &&
		 rk_bp_dest_ok(&b->pol, &sa) && unused_sock(q->s) &&
		 outside(b, &sa))
		do_sendto(b, q, sk, &sa, salen);
	else
		pass(b, q);
}

/* compat() - a 32-bit notification (only trapped under
 * --disable-host-loopback): nothing is bypassed, nothing connecting is
 * CONTINUE'd; socketcall()'s sends, whose fd and flags a thread can change
 * in memory, are done as the caller on the socket checked */
static void compat(struct rk_bypass *b, const struct ask *q)
{
	if (q->c.op == OP_CONNECT)
		strict_connect(b, q);
	else if (q->c.op == OP_BIND)
		strict_bind(b, q);
	else if (q->c.flags & MSG_FASTOPEN)
		respond(b, q->rq->id, 0, -EOPNOTSUPP, false);
	else if (q->c.sc)
		delegate(b, q, q->c.op == OP_SENDTO ? RK_BP_SENDTO32 :
			       q->c.op == OP_SENDMSG ? RK_BP_SENDMSG32 :
			       RK_BP_SENDMMSG32);
	else
		cont(b, q->rq->id);	/* flags in registers, no Fast Open */
}

/* parse() - @q->c from @q->rq for each ABI; socketcall()'s arguments are
 * read once.  Returns 0, or -errno to answer with */
static int parse(struct ask *q)
{
	const struct seccomp_notif *rq = q->rq;
	const __u64 *r = rq->data.args;
	uint32_t nr = (uint32_t)rq->data.nr;
	struct call *c = &q->c;
	/* where fd, address, address length and flags are, per call */
	static const struct { int op, nargs, addr, alen, flags; } at[] = {
		[OP_CONNECT] = { OP_CONNECT, 3, 1, 2, -1 },
		[OP_BIND] = { OP_BIND, 3, 1, 2, -1 },
		[OP_SENDTO] = { OP_SENDTO, 6, 4, 5, 3 },
		[OP_SENDMSG] = { OP_SENDMSG, 3, -1, -1, 2 },
		[OP_SENDMMSG] = { OP_SENDMMSG, 4, -1, -1, 3 },
	};
	uint64_t v[6];

	memset(c, 0, sizeof(*c));
	if (rq->data.arch == seccomp_arch_native() &&
	    (rq->data.arch != AUDIT_ARCH_X86_64 || !(nr & X32_BIT))) {
		c->op = nr == SYS_connect ? OP_CONNECT : nr == SYS_bind ? OP_BIND :
			nr == SYS_sendto ? OP_SENDTO : nr == SYS_sendmsg ? OP_SENDMSG :
			nr == SYS_sendmmsg ? OP_SENDMMSG : OP_OTHER;
	} else if (rq->data.arch == AUDIT_ARCH_X86_64) {
		nr &= ~X32_BIT;
		c->compat = true;
		c->op = nr == SYS_connect ? OP_CONNECT : nr == SYS_sendto ? OP_SENDTO :
			nr == X32_BIND ? OP_BIND : nr == X32_SENDMSG ? OP_SENDMSG :
			nr == X32_SENDMMSG ? OP_SENDMMSG : OP_OTHER;
	} else if (rq->data.arch == AUDIT_ARCH_I386) {
		c->compat = true;
		if (nr == I386_SOCKETCALL) {
			c->sc = true;
			c->op = r[0] == SYS_CONNECT ? OP_CONNECT :
				r[0] == SYS_BIND ? OP_BIND :
				r[0] == SYS_SENDTO ? OP_SENDTO :
				r[0] == SYS_SENDMSG ? OP_SENDMSG :
				r[0] == SYS_SENDMMSG ? OP_SENDMMSG : OP_OTHER;
		} else {
			c->op = nr == I386_CONNECT ? OP_CONNECT :
				nr == I386_BIND ? OP_BIND :
				nr == I386_SENDTO ? OP_SENDTO :
				nr == I386_SENDMSG ? OP_SENDMSG :
				nr == I386_SENDMMSG ? OP_SENDMMSG : OP_OTHER;
		}
	}
	if (c->op == OP_OTHER)
		return 0;
	for (int i = 0; i < 6; i++)
		v[i] = c->compat ? (uint32_t)r[i] : r[i];
	if (c->sc) {
		if (rk_bp_readmem(q->tid, r[1], c->a,
			    (size_t)at[c->op].nargs * sizeof(uint32_t)) < 0)
			return -EFAULT;
		for (int i = 0; i < 6; i++)
			v[i] = c->a[i];
	}
	c->fd = (int)v[0];
	if (at[c->op].addr >= 0) {
		c->addr = v[at[c->op].addr];
		c->alen = v[at[c->op].alen];
		if (c->compat)	/* an int */
			c->alen = (uint64_t)(int64_t)(int32_t)c->alen;
	}
	if (at[c->op].flags >= 0)
		c->flags = v[at[c->op].flags];
	c->connecting = c->op == OP_CONNECT ||
			(c->op != OP_BIND && (c->flags & MSG_FASTOPEN)) ||
			(c->sc && c->op != OP_BIND);
	return 0;
}

/* tgid() - the process of thread @tid (pidfd_open() takes processes
 * only); returns it, or @tid if unknown */
static pid_t tgid(pid_t tid)
{
	char path[64], buf[512], *t;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (rk_read_file(path, buf, sizeof(buf)) < 0 ||
	    !(t = strstr(buf, "\nTgid:")))
		return tid;
	return (pid_t)atoi(t + 6);
}

/* notif_cb() - one notification per wake-up (the loop is level-triggered) */
static void notif_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_bypass *b = container_of(w, struct rk_bypass, notif);
	cleanup_free struct seccomp_notif *rq = calloc(1, b->sz.seccomp_notif);
	cleanup_fd int pidfd = -1;
	cleanup_fd int s = -1;
	struct ask q = { .rq = rq, .s = -1, .pidfd = -1 };
	int r;

	if (!rq)
		return;
	if (ioctl(w->fd, SECCOMP_IOCTL_NOTIF_RECV, rq) < 0) {
		if (errno != ENOENT && errno != EINTR && (events & EPOLLHUP))
			rk_loop_close(b->loop, w);	/* no process left */
		else if (errno != ENOENT && errno != EINTR)
			rk_debug("bypass4netns: NOTIF_RECV: %s", strerror(errno));
		return;
	}
	q.tid = (pid_t)rq->pid;
	r = parse(&q);
	if (r < 0 || q.c.op == OP_OTHER) {
		respond(b, rq->id, 0, r, r == 0);
		return;
	}
	if (b->off && !guarded(b, &q)) {
		cont(b, rq->id);
		return;
	}
	/* the thread's process, checked to be the caller still */
	pidfd = rk_pidfd_open(q.tid);
	if (pidfd < 0)	/* not the main thread (EINVAL or ENOENT) */
		pidfd = rk_pidfd_open(tgid(q.tid));
	if (pidfd < 0 || !id_valid(b, rq->id)) {
		pass(b, &q);	/* gone, or our pidfd_open() failed */
		return;
	}
	q.pidfd = pidfd;
	s = (int)syscall(SYS_pidfd_getfd, pidfd, q.c.fd, 0);
	if (s < 0) {
		/* EBADF and the like: the kernel would say it too */
		if (guarded(b, &q))
			respond(b, rq->id, 0, -errno, false);
		else
			cont(b, rq->id);
		return;
	}
	q.s = s;
	if (q.c.addr || q.c.alen)
		q.sslen = rk_bp_readaddr(q.tid, q.c.addr, (int64_t)q.c.alen, &q.ss);
	if (!id_valid(b, rq->id))
		return;		/* the caller is gone: our reads may be another's */
	if (q.c.compat)
		compat(b, &q);
	else
		decide(b, &q);
}

/* chan_cb() - the command's hello: the listener, or why there is none */
static void chan_cb(struct rk_watch *w, uint32_t events)
{
	struct rk_bypass *b = container_of(w, struct rk_bypass, chan);
	struct rk_bypass_hello h = { .errnum = EPIPE };
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(w->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	int fds[2] = { -1, -1 }, fd;

	if (n < 0 && errno == EAGAIN)
		return;
	for (c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fds, CMSG_DATA(c),
			       c->cmsg_len - CMSG_LEN(0) < sizeof(fds) ?
			       c->cmsg_len - CMSG_LEN(0) : sizeof(fds));
	fd = fds[0];
	b->rtnl = fds[1];
	if (b->rtnl < 0 && fd >= 0)
		rk_warn("--bypass4netns: no route socket in the namespace: nothing is bypassed");
	rk_loop_close(b->loop, w);
	if (n == (ssize_t)sizeof(h) && !h.errnum && fd >= 0) {
		b->notif = (struct rk_watch){ .fd = fd, .cb = notif_cb };
		if (rk_loop_add(b->loop, &b->notif, EPOLLIN) == 0) {
			rk_debug("bypass4netns: serving the command's socket calls");
			return;
		}
		h.errnum = errno;
		close(fd);
		b->notif.fd = -1;
	} else if (fd >= 0) {
		close(fd);
	}
	if (n == 0)
		return;		/* the command never started */
	rk_warn("--bypass4netns: the seccomp user-notification filter could not be set up (%s; Linux >= 5.9 with seccomp is needed): sockets take the normal path",
		strerror(h.errnum));
	b->off = true;
	json_object_set_new(b->info, "active", json_false());
}

/* ---- set-up ---------------------------------------------------------------- */

int rk_bypass_validate(const struct rk_opts *o, struct rk_err *err)
{
	struct rk_bp_net n;

	for (int i = 0; i < o->bypass4netns_ignore.n; i++)
		if (rk_bp_net_parse(o->bypass4netns_ignore.v[i], &n, err) < 0)
			return rk_err_wrap(err, "--bypass4netns-ignore");
	if (!o->bypass4netns)
		return 0;
	if (!strcmp(o->net, "host") || o->detach_netns)
		return rk_err_set(err, "--bypass4netns requires a network namespace of its own (not --net=host, not --detach-netns)");
	return 0;
}

json_t *rk_bypass_info(const struct rk_opts *o)
{
	json_t *ign = json_array();

	for (int i = 0; i < o->bypass4netns_ignore.n; i++)
		json_array_append_new(ign, json_string(o->bypass4netns_ignore.v[i]));
	return json_pack("{s:b, s:b, s:o}", "enabled", o->bypass4netns,
			 "active", o->bypass4netns, "ignore", ign);
}

/* policy() - the own networks and the ignored ones */
static int policy(struct rk_bypass *b, const struct rk_opts *o,
		  const struct rk_netcfg *cfg, struct rk_err *err)
{
	char s[64];

	if (cfg->ip[0]) {
		snprintf(s, sizeof(s), "%s/%d", cfg->ip, cfg->prefix);
		if (rk_bp_net_parse(s, &b->pol.own[b->pol.nown], err) < 0)
			return -1;
		b->pol.nown++;
	}
	if (o->ipv6 && rk_bp_net_parse("fd00::/64", &b->pol.own[b->pol.nown],
				       err) == 0)
		b->pol.nown++;
	b->pol.ignore = calloc((size_t)o->bypass4netns_ignore.n + 1,
			       sizeof(*b->pol.ignore));
	if (!b->pol.ignore)
		return rk_err_errno(err, ENOMEM, "bypass4netns");
	for (int i = 0; i < o->bypass4netns_ignore.n; i++)
		if (rk_bp_net_parse(o->bypass4netns_ignore.v[i],
				    &b->pol.ignore[b->pol.nignore++], err) < 0)
			return -1;
	return 0;
}

struct rk_bypass *rk_bypass_start(struct rk_loop *loop, int chan,
				  const struct rk_opts *o, pid_t child,
				  const struct rk_netcfg *cfg,
				  struct rk_ports *ports, json_t *info,
				  struct rk_err *err)
{
	struct rk_bypass *b = calloc(1, sizeof(*b));
	char path[64];
	struct stat st;

	if (!b) {
		close(chan);
		rk_err_errno(err, ENOMEM, "bypass4netns");
		return NULL;
	}
	b->loop = loop;
	b->chan = (struct rk_watch){ .fd = chan, .cb = chan_cb };
	b->notif.fd = -1;
	b->rtnl = -1;
	snprintf(b->gateway, sizeof(b->gateway), "%s", cfg->gateway);
	b->timer = (struct rk_watch){ .cb = timer_cb };
	b->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	b->no_host_lo = o->disable_host_loopback;
	b->ports = ports;
	b->info = json_object_get(info, "bypass4netns");
	snprintf(b->child_ip, sizeof(b->child_ip), "%s", cfg->ip);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	if (b->timer.fd < 0 || stat(path, &st) < 0) {
		rk_err_errno(err, errno, "bypass4netns: %s", path);
		goto fail;
	}
	b->child_ns = st.st_ino;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &b->sz) < 0) {
		/* an old kernel: the command's filter is refused as well */
		b->sz = (struct seccomp_notif_sizes){
			sizeof(struct seccomp_notif),
			sizeof(struct seccomp_notif_resp),
			sizeof(struct seccomp_data) };
	}
	if (b->sz.seccomp_notif < sizeof(struct seccomp_notif))
		b->sz.seccomp_notif = sizeof(struct seccomp_notif);
	if (b->sz.seccomp_notif_resp < sizeof(struct seccomp_notif_resp))
		b->sz.seccomp_notif_resp = sizeof(struct seccomp_notif_resp);
	if (policy(b, o, cfg, err) < 0)
		goto fail;
	if (rk_loop_add(loop, &b->chan, EPOLLIN) < 0 ||
	    rk_loop_add(loop, &b->timer, EPOLLIN) < 0) {
		rk_err_errno(err, errno, "epoll_ctl");
		goto fail;
	}
	return b;
fail:
	rk_bypass_stop(b);
	return NULL;
}

void rk_bypass_stop(struct rk_bypass *b)
{
	if (!b)
		return;
	while (b->pend)
		pend_free(b->pend);
	while (b->dlg) {
		struct dlg *d = b->dlg;

		b->dlg = d->next;
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		rk_loop_close(b->loop, &d->w);
		rk_loop_free_later(b->loop, d);
	}
	/* the ports are being removed: no driver listener comes back */
	while (b->aside) {
		struct aside *a = b->aside;

		b->aside = a->next;
		free(a);
	}
	rk_loop_close(b->loop, &b->chan);
	rk_loop_close(b->loop, &b->notif);
	rk_loop_close(b->loop, &b->timer);
	if (b->rtnl >= 0)
		close(b->rtnl);
	free(b->pol.ignore);
	free(b);
}
