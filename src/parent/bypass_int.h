/* SPDX-License-Identifier: Apache-2.0
 *
 * bypass_int.h - shared by bypass.c (notifications, decisions, published
 * ports) and bypass_sock.c (socket translation and address policy)
 */
#ifndef RK_PARENT_BYPASS_INT_H
#define RK_PARENT_BYPASS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "../lib/sockaddr.h"

/* A network, IPv4 or IPv6 (IPv4 kept as plain AF_INET) */
struct rk_bp_net {
	int family;
	uint8_t addr[16];
	int prefix;
};

/* The address policy: what stays on the normal path */
struct rk_bp_policy {
	struct rk_bp_net own[4];	/* the namespace's own networks */
	int nown;
	struct rk_bp_net *ignore;	/* --bypass4netns-ignore */
	int nignore;
};

/**
 * rk_bp_net_parse() - parse a CIDR
 * @s:		"a.b.c.d/n" or an IPv6 "addr/n"
 * @out:	result (v4-mapped IPv6 networks are kept as IPv6)
 * @err:	error out
 *
 * Return: 0, or -1 with "invalid CIDR address: S" in @err
 */
int rk_bp_net_parse(const char *s, struct rk_bp_net *out, struct rk_err *err);

/* rk_bp_dest_ok() - true if @a (IPv4, IPv6 or v4-mapped) may be reached
 * from the host: not loopback, unspecified, link-local, multicast or
 * broadcast, not in the namespace's own networks or an ignored one */
bool rk_bp_dest_ok(const struct rk_bp_policy *p, const union rk_sa *a);

/**
 * rk_bp_sa_norm() - undo v4-mapping
 * @a:		an address
 *
 * Return: @a, or its IPv4 form if it is ::ffff:a.b.c.d
 */
union rk_sa rk_bp_sa_norm(const union rk_sa *a);

/* rk_bp_sock_ns() - the inode of @fd's network namespace (SIOCGSKNS);
 * returns 0 and sets *@ino, or -1 with errno (ENOTTY/ENOTSOCK: not a
 * socket; EPERM: a namespace we hold no capability over, e.g. the host's) */
int rk_bp_sock_ns(int fd, ino_t *ino);

/**
 * rk_bp_twin() - the host twin of a socket
 * @orig:	the program's socket (a duplicate of its fd)
 * @family:	its SO_DOMAIN
 * @type:	its SO_TYPE
 * @proto:	its SO_PROTOCOL
 *
 * Return: a non-blocking, close-on-exec socket in our (the host's) network
 * namespace with @orig's options, or -1 with errno
 */
int rk_bp_twin(int orig, int family, int type, int proto);

/**
 * rk_bp_diag_has() - is a socket still open in our network namespace?
 * @family:	AF_INET or AF_INET6
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @ino:	its inode
 *
 * Return: true if found, or if the dump failed (do not give up a port on
 * an error); false once it is gone
 */
bool rk_bp_diag_has(int family, int proto, ino_t ino);

/**
 * rk_bp_readmem() - read a caller's memory (process_vm_readv())
 * @tid:	the calling thread
 * @addr:	where, in its address space
 * @buf:	out
 * @len:	how much (0: nothing to read)
 *
 * Return: 0, or -EFAULT unless all @len bytes were read
 */
int rk_bp_readmem(pid_t tid, uint64_t addr, void *buf, size_t len);

/**
 * rk_bp_readaddr() - a call's sockaddr, as the kernel reads it
 * (move_addr_to_kernel())
 * @tid:	the calling thread
 * @addr:	where it is
 * @len:	its length as the call gave it
 * @ss:		out, zeroed first
 *
 * Return: its length (0: none), or -EINVAL (negative or too long) or
 * -EFAULT (unreadable, or a NULL address with a length)
 */
int rk_bp_readaddr(pid_t tid, uint64_t addr, int64_t len,
		   struct sockaddr_storage *ss);

/* A call bypass_delegate.c does for a caller (--disable-host-loopback) */
enum rk_bp_op {
	RK_BP_CONNECT,		/* connect(s, sa, salen) */
	RK_BP_BIND,		/* bind(s, sa, salen) */
	RK_BP_SENDTO32,		/* socketcall(SYS_SENDTO, a) */
	RK_BP_SENDMSG32,	/* socketcall(SYS_SENDMSG, a) */
	RK_BP_SENDMMSG32,	/* socketcall(SYS_SENDMMSG, a) */
};

struct rk_bp_job {
	int notif;		/* the listener: the delegate answers on it */
	size_t resp_size;	/* seccomp_notif_sizes.seccomp_notif_resp */
	uint64_t id;		/* the notification */
	pid_t tid;		/* the calling thread */
	int pidfd;		/* its process */
	int s;			/* the socket we checked (ours, a duplicate) */
	enum rk_bp_op op;
	struct sockaddr_storage sa;	/* connect, bind: read once */
	socklen_t salen;
	uint32_t a[6];		/* socketcall(): its arguments, read once */
};

/* A 32-bit sendmsg() message read from a caller, ready for sendmsg() */
struct rk_bp_msg {
	struct msghdr m;
	struct iovec iov;	/* all the data, gathered */
	struct sockaddr_storage name;
	char *data;
	char *ctrl;		/* native control messages */
	int fds[64];		/* SCM_RIGHTS taken from the caller */
	int nfds;
};

/**
 * rk_bp_msg32_read() - read a caller's 32-bit struct msghdr (i386, x32)
 * @j:		the call (@j->tid's memory is read; SCM_RIGHTS fds are taken
 *		through @j->pidfd)
 * @addr:	where the msghdr is
 * @o:		the result; free with rk_bp_msg32_free() even on failure
 *
 * Return: 0, or -errno (EFAULT, EINVAL, EMSGSIZE, ENOBUFS, EBADF, ENOMEM)
 * as the kernel's sendmsg() would answer
 */
int rk_bp_msg32_read(const struct rk_bp_job *j, uint64_t addr,
		     struct rk_bp_msg *o);

/* rk_bp_msg32_free() - free what rk_bp_msg32_read() made, close its fds */
void rk_bp_msg32_free(struct rk_bp_msg *o);

/**
 * rk_bp_delegate() - fork a process that does @j's call as the caller
 * (its namespaces, root, cwd and credentials) and answers it
 * @j:		the call
 * @pid:	the process
 *
 * Return: a pidfd of the process, readable when it has exited (reap it
 * with waitpid(); if it answered nothing, answer for it), or -1 with errno
 */
int rk_bp_delegate(const struct rk_bp_job *j, pid_t *pid);

#endif
