/* SPDX-License-Identifier: Apache-2.0
 *
 * bypass_int.h - shared by bypass.c (notifications, decisions, published
 * ports) and bypass_sock.c (socket translation and address policy)
 */
#ifndef RK_PARENT_BYPASS_INT_H
#define RK_PARENT_BYPASS_INT_H

#include <stdbool.h>
#include <stdint.h>
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

/* rk_bp_net_parse() - "a.b.c.d/n" or "x::y/n" (host bits allowed, as
 * net.ParseCIDR); returns 0 or -1 with @err set */
int rk_bp_net_parse(const char *s, struct rk_bp_net *out, struct rk_err *err);

/* rk_bp_dest_ok() - true if @a (IPv4, IPv6 or v4-mapped) may be reached
 * from the host: not loopback, unspecified, link-local, multicast or
 * broadcast, not in the namespace's own networks or an ignored one */
bool rk_bp_dest_ok(const struct rk_bp_policy *p, const union rk_sa *a);

/* rk_bp_sa_norm() - @a with a v4-mapped IPv6 address turned into IPv4 */
union rk_sa rk_bp_sa_norm(const union rk_sa *a);

/* rk_bp_sock_ns() - the inode of @fd's network namespace (SIOCGSKNS);
 * returns 0 and sets *@ino, or -1 with errno (ENOTTY/ENOTSOCK: not a
 * socket; EPERM: a namespace we hold no capability over, e.g. the host's) */
int rk_bp_sock_ns(int fd, ino_t *ino);

/* rk_bp_twin() - a host socket like @orig (family, type, protocol, the
 * options it set, non-blocking): returns the fd, or -1 with errno */
int rk_bp_twin(int orig, int family, int type, int proto);

/* rk_bp_diag_has() - true if the host network namespace still has a
 * @family/@proto socket with inode @ino (NETLINK_SOCK_DIAG); true also
 * when the question cannot be answered (keep waiting) */
bool rk_bp_diag_has(int family, int proto, ino_t ino);

#endif
