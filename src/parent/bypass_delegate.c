// SPDX-License-Identifier: Apache-2.0
/*
 * bypass_delegate.c - --bypass4netns with --disable-host-loopback: socket
 * calls done on a caller's behalf, as the caller, instead of CONTINUE
 *
 * Theory of operation.  SECCOMP_USER_NOTIF_FLAG_CONTINUE makes the kernel
 * run the trapped call again from the start: it looks the fd up again and
 * reads the address (for socketcall(), also the fd and the flags) from the
 * caller's memory again.  Another thread can put one of our host twins on
 * that fd number with dup2(), and a host address in that memory, between
 * our check and the call; the twin would then connect to the host's
 * 127.0.0.1.  With --disable-host-loopback no connecting call is therefore
 * CONTINUE'd: bypass.c does inet connects itself on the socket it checked
 * (pidfd_getfd()'s duplicate is the same socket), and the rest comes here.
 *
 * What comes here needs the caller's context, not ours: an AF_UNIX path is
 * looked up in the caller's mount namespace, from its root and cwd, with
 * its credentials, and the server reads those credentials (SO_PEERCRED,
 * SCM_CREDENTIALS).  So a short-lived process forked from the parent
 *
 *  1. copies what the call needs from the caller's memory (once) and takes
 *     the caller's SCM_RIGHTS fds with pidfd_getfd(), while it still has
 *     the parent's access;
 *  2. joins the user namespace owning the caller's mount namespace (the
 *     parent owns the child's user namespace, so it may), that mount
 *     namespace, then the caller's user namespace; takes the caller's root
 *     and cwd (opened beforehand through /proc/TID);
 *  3. takes the caller's uids, gids, groups and capabilities (read from
 *     /proc/TID/status, translated through its uid_map and gid_map);
 *     anything it cannot take exactly fails the call with EACCES;
 *  4. does the call on the checked socket with the copies, blocking if the
 *     socket blocks, and answers the notification itself.
 *
 * The parent watches the process's pidfd and answers EAGAIN for it if it
 * died without answering (an answer after the real one is ignored by the
 * kernel).  What differs from the kernel doing the call: a server sees
 * this process's pid in SO_PEERCRED and SCM_CREDENTIALS (it is gone by
 * then), and a sendmsg() of more than RK_BP_DATA_MAX bytes is cut there
 * (a short count, as for a non-blocking stream socket).
 */
#include "bypass_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/proc.h"
#include "../lib/util.h"

#define RK_BP_DATA_MAX	(4 << 20)	/* bytes one sendmsg() takes */
#define MMSG_MAX	1024		/* UIO_MAXIOV, as the kernel */
#define CTRL_MAX	65536

/* The 32-bit ABIs' structures (i386 and x32 alike) */
struct msghdr32 {
	uint32_t name;
	int32_t namelen;
	uint32_t iov;
	uint32_t iovlen;
	uint32_t control;
	uint32_t controllen;
	uint32_t flags;
};

struct mmsghdr32 {
	struct msghdr32 hdr;
	uint32_t len;
};

struct iovec32 {
	uint32_t base;
	uint32_t len;
};

struct cmsghdr32 {
	uint32_t len;
	int32_t level;
	int32_t type;
};

#define CMSG32_ALIGN(n)	(((n) + 3u) & ~3u)

int rk_bp_readmem(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { .iov_base = buf, .iov_len = len };
	/* an address in the caller's memory, not ours */
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, // NOLINT(performance-no-int-to-ptr)
			   .iov_len = len };

	if (!len)
		return 0;
	return process_vm_readv(tid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

int rk_bp_readaddr(pid_t tid, uint64_t addr, int64_t len,
		   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (len < 0 || (uint64_t)len > sizeof(*ss))
		return -EINVAL;
	if (!len)
		return 0;
	if (!addr || rk_bp_readmem(tid, addr, ss, (size_t)len) < 0)
		return -EFAULT;
	return (int)len;
}

/* rd_name() - the optional name of a message (NULL: none), read as
 * rk_bp_readaddr() does; returns its length or -errno */
static int rd_name(pid_t tid, uint64_t addr, int32_t len,
		   struct sockaddr_storage *ss)
{
	return addr ? rk_bp_readaddr(tid, addr, len, ss) : 0;
}

/* rd_cmsgs() - convert @m32's control messages; SCM_RIGHTS fds are
 * duplicated from the caller (@pidfd).  Returns 0 or -errno */
static int rd_cmsgs(const struct rk_bp_job *j, const struct msghdr32 *m32,
		    struct rk_bp_msg *o)
{
	cleanup_free char *c32 = NULL;
	size_t at = 0, out = 0, cap;

	if (!m32->control || !m32->controllen)
		return 0;
	if (m32->controllen > CTRL_MAX)
		return -ENOBUFS;
	cap = m32->controllen * 2 + 64;
	c32 = malloc(m32->controllen);
	o->ctrl = calloc(1, cap);
	if (!c32 || !o->ctrl)
		return -ENOMEM;
	if (rk_bp_readmem(j->tid, m32->control, c32, m32->controllen) < 0)
		return -EFAULT;
	while (at + sizeof(struct cmsghdr32) <= m32->controllen) {
		struct cmsghdr32 h;
		struct cmsghdr *c = (struct cmsghdr *)(void *)(o->ctrl + out);
		size_t n;

		memcpy(&h, c32 + at, sizeof(h));
		if (h.len < sizeof(h) || h.len > m32->controllen - at)
			return -EINVAL;
		n = h.len - sizeof(h);
		if (out + CMSG_SPACE(n) > cap)
			return -ENOBUFS;
		c->cmsg_len = CMSG_LEN(n);
		c->cmsg_level = h.level;
		c->cmsg_type = h.type;
		memcpy(CMSG_DATA(c), c32 + at + sizeof(h), n);
		if (h.level == SOL_SOCKET && h.type == SCM_RIGHTS) {
			int *fd = (int *)(void *)CMSG_DATA(c);

			for (size_t i = 0; i < n / sizeof(int); i++) {
				if (o->nfds == (int)(sizeof(o->fds) / sizeof(int)))
					return -EINVAL;
				fd[i] = (int)syscall(SYS_pidfd_getfd, j->pidfd,
						     fd[i], 0);
				if (fd[i] < 0)
					return -EBADF;
				o->fds[o->nfds++] = fd[i];
			}
		}
		out += CMSG_SPACE(n);
		at += CMSG32_ALIGN(h.len);
	}
	o->m.msg_control = o->ctrl;
	o->m.msg_controllen = out;
	return 0;
}

int rk_bp_msg32_read(const struct rk_bp_job *j, uint64_t addr, struct rk_bp_msg *o)
{
	struct msghdr32 m32;
	struct iovec32 *v = NULL;
	size_t total = 0;
	int r;

	memset(o, 0, sizeof(*o));
	if (rk_bp_readmem(j->tid, addr, &m32, sizeof(m32)) < 0)
		return -EFAULT;
	if (m32.iovlen > MMSG_MAX)
		return -EMSGSIZE;
	r = rd_name(j->tid, m32.name, m32.namelen, &o->name);
	if (r < 0)
		return r;
	o->m.msg_name = r ? &o->name : NULL;
	o->m.msg_namelen = (socklen_t)r;
	v = calloc(m32.iovlen + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (rk_bp_readmem(j->tid, m32.iov, v, m32.iovlen * sizeof(*v)) < 0) {
		free(v);
		return -EFAULT;
	}
	for (uint32_t i = 0; i < m32.iovlen; i++)
		total += v[i].len;
	if (total > RK_BP_DATA_MAX)
		total = RK_BP_DATA_MAX;
	o->data = malloc(total ? total : 1);
	r = o->data ? 0 : -ENOMEM;
	for (size_t i = 0, at = 0; !r && i < m32.iovlen && at < total; i++) {
		size_t n = v[i].len < total - at ? v[i].len : total - at;

		r = rk_bp_readmem(j->tid, v[i].base, o->data + at, n);
		at += n;
	}
	free(v);
	o->iov = (struct iovec){ .iov_base = o->data, .iov_len = total };
	o->m.msg_iov = &o->iov;
	o->m.msg_iovlen = 1;
	return r ? r : rd_cmsgs(j, &m32, o);
}

void rk_bp_msg32_free(struct rk_bp_msg *o)
{
	for (int i = 0; i < o->nfds; i++)
		close(o->fds[i]);
	free(o->data);
	free(o->ctrl);
}

/* ---- the caller's context -------------------------------------------------- */

/* host_to_ns() - the id @id (as the parent sees it) inside the namespace
 * of @map (an opened uid_map or gid_map); returns it or -1 */
static long host_to_ns(const char *map, unsigned long id)
{
	unsigned long in, out, n;
	const char *l = map;
	int k;

	while (sscanf(l, "%lu %lu %lu%n", &in, &out, &n, &k) == 3) {
		if (id >= out && id - out < n)
			return (long)(in + (id - out));
		l += k;
	}
	return -1;
}

/* field() - the values of the line "\n@key:" of /proc/TID/status @st (the
 * name, which the thread sets, is the first line: hence the newline);
 * returns them after the colon, or NULL */
static const char *field(const char *st, const char *key)
{
	char k[32];
	const char *l;

	snprintf(k, sizeof(k), "\n%s:", key);
	l = strstr(st, k);
	return l ? l + strlen(k) : NULL;
}

/* ids() - up to @cap ids of @st's line @key, as the parent sees them;
 * returns how many, or -1 */
static int ids(const char *st, const char *key, unsigned long *v, int cap)
{
	const char *l = field(st, key), *end;
	int n = 0;

	if (!l || !(end = strchr(l, '\n')))
		return -1;
	for (;;) {
		char *e;

		while (l < end && (*l == ' ' || *l == '\t'))
			l++;
		if (l == end)
			return n;
		if (n == cap)
			return -1;	/* more than we take */
		v[n++] = strtoul(l, &e, 10);
		if (e == l || e > end)
			return -1;
		l = e;
	}
}

/* mapped() - @n ids through @map; returns 0, or -1 if one is not mapped */
static int mapped(const char *map, const unsigned long *v, int n, gid_t *out)
{
	for (int i = 0; i < n; i++) {
		long x = host_to_ns(map, v[i]);

		if (x < 0)
			return -1;
		out[i] = (gid_t)x;
	}
	return 0;
}

/* caps() - the capability mask of @st's line @key; 0 if absent */
static uint64_t caps(const char *st, const char *key)
{
	const char *l = field(st, key);
	unsigned long long v = 0;

	if (l)
		sscanf(l, " %llx", &v);
	return v;
}

/* same_groups() - whether our supplementary groups are @v (host ids) */
static bool same_groups(const unsigned long *v, int n)
{
	gid_t have[256];
	int k = getgroups(256, have);

	if (k != n)
		return false;
	for (int i = 0; i < n; i++) {
		bool found = false;

		for (int m = 0; m < k && !found; m++)
			found = have[m] == v[i];
		if (!found)
			return false;
	}
	return true;
}

/* readall() - /proc/TID/@name into @buf; returns 0, or -1 if unreadable or
 * too long for @cap */
static int readall(pid_t tid, const char *name, char *buf, size_t cap)
{
	char p[64];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%d/%s", (int)tid, name);
	n = rk_read_file(p, buf, cap);
	return n < 0 || (size_t)n >= cap - 1 ? -1 : 0;
}

/* become() - the caller's namespaces, root, cwd and credentials; returns
 * 0 or -EACCES (fail closed: whatever cannot be taken exactly) */
static int become(const struct rk_bp_job *j)
{
	static const char *const names[] = { "root", "cwd", "ns/mnt", "ns/user" };
	char p[64], st[8192], umap[1024], gmap[1024];
	cleanup_fd int owner = -1;
	int fd[4] = { -1, -1, -1, -1 }, r = -EACCES, ngrp;
	unsigned long u[4], g[4], grp[256];
	gid_t nu[4], ng[4], ngr[256];
	struct __user_cap_header_struct ch = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct cd[2] = { 0 };
	uint64_t inh, prm, eff;
	bool keep_groups;

	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "/proc/%d/%s", (int)j->tid, names[i]);
		fd[i] = open(p, (i < 2 ? O_PATH : O_RDONLY) | O_CLOEXEC);
		if (fd[i] < 0)
			goto out;
	}
	if (readall(j->tid, "status", st, sizeof(st)) < 0 ||
	    readall(j->tid, "uid_map", umap, sizeof(umap)) < 0 ||
	    readall(j->tid, "gid_map", gmap, sizeof(gmap)) < 0 ||
	    ids(st, "Uid", u, 5) != 4 || ids(st, "Gid", g, 5) != 4 ||
	    (ngrp = ids(st, "Groups", grp, 256)) < 0 ||
	    mapped(umap, u, 4, nu) < 0 || mapped(gmap, g, 4, ng) < 0)
		goto out;
	/* the same groups as ours (host ids, before any namespace): keep
	 * ours, so groups the namespace does not map stay as they are; else
	 * all of them must be mapped */
	keep_groups = same_groups(grp, ngrp);
	if (!keep_groups && mapped(gmap, grp, ngrp, ngr) < 0)
		goto out;
	{
		const char *m = field(st, "Umask");

		/* an AF_UNIX bind creates the socket file with it */
		umask(m ? (mode_t)strtoul(m, NULL, 8) & 0777 : 022);
	}
	inh = caps(st, "CapInh");
	prm = caps(st, "CapPrm");
	eff = caps(st, "CapEff");
	owner = ioctl(fd[2], NS_GET_USERNS);
	if (owner < 0 || setns(owner, CLONE_NEWUSER) < 0 ||
	    setns(fd[2], CLONE_NEWNS) < 0)
		goto out;
	/* the caller's own user namespace, if below the mount's owner
	 * (EINVAL: it is the same one) */
	if (setns(fd[3], CLONE_NEWUSER) < 0 && errno != EINVAL)
		goto out;
	if (fchdir(fd[0]) < 0 || chroot(".") < 0 || fchdir(fd[1]) < 0)
		goto out;
	if (!keep_groups && setgroups((size_t)ngrp, ngr) < 0)
		goto out;
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setresgid(ng[0], ng[1], ng[2]) < 0 ||
	    setresuid(nu[0], nu[1], nu[2]) < 0)
		goto out;
	setfsgid(ng[3]);
	setfsuid(nu[3]);
	cd[0] = (struct __user_cap_data_struct){ (uint32_t)eff, (uint32_t)prm,
						 (uint32_t)inh };
	cd[1] = (struct __user_cap_data_struct){ (uint32_t)(eff >> 32),
						 (uint32_t)(prm >> 32),
						 (uint32_t)(inh >> 32) };
	if (syscall(SYS_capset, &ch, cd) == 0 &&
	    (uid_t)setfsuid((uid_t)-1) == nu[3] &&
	    (gid_t)setfsgid((gid_t)-1) == ng[3])
		r = 0;
out:
	for (int i = 0; i < 4; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return r;
}

/* ---- the calls --------------------------------------------------------------- */

/* ready() - become() the caller, then check that its call is still
 * waiting (an interrupted call restarts as a new notification, which gets
 * its own delegate: this one must not do it too); returns 0 or -errno */
static int ready(const struct rk_bp_job *j)
{
	uint64_t id = j->id;
	int r = become(j);

	if (!r && ioctl(j->notif, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		r = -EINTR;
	return r;
}

/* run() - @j's call; returns its result or -errno */
static long run(const struct rk_bp_job *j)
{
	cleanup_fd int mem = -1;
	struct sockaddr_storage to;
	struct rk_bp_msg one;
	struct rk_bp_msg *v = NULL;
	uint32_t n = 0;
	long r = 0;
	int tl;

	switch (j->op) {
	case RK_BP_CONNECT:
		r = ready(j);
		if (!r)
			r = connect(j->s, (const struct sockaddr *)&j->sa,
				    j->salen) < 0 ? -errno : 0;
		return r;
	case RK_BP_BIND:
		r = ready(j);
		if (!r)
			r = bind(j->s, (const struct sockaddr *)&j->sa,
				 j->salen) < 0 ? -errno : 0;
		return r;
	case RK_BP_SENDTO32:
		/* fd, buf, len, flags, addr, addrlen */
		tl = rd_name(j->tid, j->a[4], (int32_t)j->a[5], &to);
		memset(&one, 0, sizeof(one));
		n = j->a[2] < RK_BP_DATA_MAX ? j->a[2] : RK_BP_DATA_MAX;
		one.data = malloc(n ? n : 1);
		if (tl < 0 || !one.data || rk_bp_readmem(j->tid, j->a[1], one.data, n) < 0)
			r = tl < 0 ? tl : one.data ? -EFAULT : -ENOMEM;
		if (!r)
			r = ready(j);
		if (!r) {
			ssize_t k = sendto(j->s, one.data, n, (int)j->a[3],
					   tl ? (struct sockaddr *)&to : NULL,
					   (socklen_t)tl);

			r = k < 0 ? -errno : k;
		}
		free(one.data);
		return r;
	case RK_BP_SENDMSG32:
		/* fd, msg, flags */
		r = rk_bp_msg32_read(j, j->a[1], &one);
		if (!r)
			r = ready(j);
		if (!r) {
			ssize_t k = sendmsg(j->s, &one.m, (int)j->a[2]);

			r = k < 0 ? -errno : k;
		}
		rk_bp_msg32_free(&one);
		return r;
	case RK_BP_SENDMMSG32:
		/* fd, msgvec, vlen, flags: msg_len is written back, through
		 * /proc/TID/mem opened while we may */
		n = j->a[2] < MMSG_MAX ? j->a[2] : MMSG_MAX;
		v = calloc(n + 1, sizeof(*v));
		r = v ? 0 : -ENOMEM;
		for (uint32_t i = 0, total = 0; !r && i < n; i++) {
			r = rk_bp_msg32_read(j, j->a[1] + i * sizeof(struct mmsghdr32), &v[i]);
			total += (uint32_t)(v[i].iov.iov_len + v[i].m.msg_controllen);
			if (i && (r || total > RK_BP_DATA_MAX)) {
				/* as many messages as fit or can be read: a
				 * short count, as sendmmsg() gives */
				rk_bp_msg32_free(&v[i]);
				memset(&v[i], 0, sizeof(v[i]));
				n = i;
				r = 0;
				break;
			}
		}
		if (!r) {
			char p[64];

			snprintf(p, sizeof(p), "/proc/%d/mem", (int)j->tid);
			mem = open(p, O_WRONLY | O_CLOEXEC);
			r = mem < 0 ? -EFAULT : ready(j);
		}
		if (!r) {
			struct mmsghdr *mv = calloc(n + 1, sizeof(*mv));
			int k = -1;

			if (mv) {
				for (uint32_t i = 0; i < n; i++)
					mv[i].msg_hdr = v[i].m;
				k = sendmmsg(j->s, mv, n, (int)j->a[3]);
			}
			r = !mv ? -ENOMEM : k < 0 ? -errno : k;
			for (int i = 0; mv && i < k; i++) {
				uint32_t len = mv[i].msg_len;
				off_t at = (off_t)(j->a[1] + i * sizeof(struct mmsghdr32) +
						   offsetof(struct mmsghdr32, len));

				if (pwrite(mem, &len, sizeof(len), at) != sizeof(len))
					break;
			}
			free(mv);
		}
		for (uint32_t i = 0; v && i < n; i++)
			rk_bp_msg32_free(&v[i]);
		free(v);
		return r;
	}
	return -ENOSYS;
}

/* keep_only() - close all fds but @j's: a delegate that blocks must not
 * hold the parent's listeners (a removed port would stay bound) */
static void keep_only(const struct rk_bp_job *j)
{
	int k[3] = { j->s, j->notif, j->pidfd }, lo = 3;

	/* sort the three */
	for (int a = 0; a < 3; a++)
		for (int b = a + 1; b < 3; b++)
			if (k[b] < k[a]) {
				int t = k[a];

				k[a] = k[b];
				k[b] = t;
			}
	for (int i = 0; i < 3; i++) {
		if (k[i] > lo)
			close_range((unsigned int)lo, (unsigned int)k[i] - 1, 0);
		if (k[i] >= lo)
			lo = k[i] + 1;
	}
	close_range((unsigned int)lo, ~0u, 0);
}

int rk_bp_delegate(const struct rk_bp_job *j, pid_t *pid)
{
	pid_t parent = getpid();
	int pfd;

	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0) {
		struct seccomp_notif_resp *resp = calloc(1, j->resp_size);
		long r;

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		/* never dumpable: the caller, whose credentials we take, must
		 * not ptrace us or take our fds (the listener among them) */
		if (prctl(PR_SET_DUMPABLE, 0) < 0)
			_exit(1);
		keep_only(j);
		r = run(j);
		if (resp) {
			resp->id = j->id;
			resp->val = r < 0 ? 0 : r;
			resp->error = r < 0 ? (int32_t)r : 0;
			ioctl(j->notif, SECCOMP_IOCTL_NOTIF_SEND, resp);
		}
		_exit(0);
	}
	pfd = rk_pidfd_open(*pid);
	if (pfd < 0) {
		int e = errno;

		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		errno = e;
	}
	return pfd;
}
