/* SPDX-License-Identifier: Apache-2.0
 *
 * usernet.h - --net=gvisor-tap-vsock: a user-mode TCP/IP stack (libslirp)
 * inside the parent, fed by the child's TAP device (see usernet.c)
 */
#ifndef RK_USERNET_H
#define RK_USERNET_H

#include <netinet/in.h>
#include <stdbool.h>

#include "../lib/err.h"
#include "../lib/loop.h"

struct rk_netcfg;
struct rk_usernet;

/*
 * rk_usernet_new() - start the stack for the addresses of @cfg (network
 * @net/@prefix, gateway and DNS as in @cfg) on @tapfd, in @loop
 * @cfg:	the child's configuration (gateway, DNS, MTU)
 * @net:	network address of --cidr, host byte order
 * @prefix:	its prefix length
 * @disable_host_loopback: the gateway does not lead to the host's 127.0.0.1
 * @tapfd:	the TAP device (non-blocking), owned by the stack from now on
 *		(closed here on failure too)
 * @loop:	the parent's event loop
 * @err:	error out
 *
 * Return: the stack, or NULL with @err set
 */
struct rk_usernet *rk_usernet_new(const struct rk_netcfg *cfg, uint32_t net,
				  int prefix, bool disable_host_loopback,
				  int tapfd, struct rk_loop *loop,
				  struct rk_err *err);

/* rk_usernet_free() - close every socket of the stack and the TAP device
 * (the device disappears with it); NULL is fine */
void rk_usernet_free(struct rk_usernet *u);

/*
 * rk_usernet_hostfwd() - add (@add) or remove a forward from the host's
 * @host:@host_port (IPv4, INADDR_ANY for all addresses) to the namespace's
 * @guest:@guest_port
 * @udp:	UDP, else TCP
 *
 * Return: 0, or -1 with errno set (EADDRINUSE, EACCES, ...; ENOENT when
 * removing a forward that does not exist)
 */
int rk_usernet_hostfwd(struct rk_usernet *u, bool add, bool udp,
		       struct in_addr host, int host_port, struct in_addr guest,
		       int guest_port);

#endif
