/* SPDX-License-Identifier: Apache-2.0
 *
 * listen.h - the host side of a port: Go's listen semantics, shared by the
 * builtin and socat drivers (see listen.c)
 */
#ifndef RK_PORT_LISTEN_H
#define RK_PORT_LISTEN_H

#include "../lib/err.h"
#include "spec.h"

/* rk_priv_port_hint() - the message for a privileged-port bind failure:
 * upstream's "cannot expose privileged port ..." prefix for @port when it
 * is below net.ipv4.ip_unprivileged_port_start, else "" */
void rk_priv_port_hint(int port, char *buf, int cap);

/*
 * rk_port_listen() - bind (and, for SOCK_STREAM, listen on) the host side
 * of @s with Go's semantics (docs/port.md), non-blocking.  Returns the
 * socket, or -1 with upstream's message in @err ("listen tcp
 * 127.0.0.1:8080: bind: address already in use")
 */
int rk_port_listen(const struct rk_port_spec *s, int type, struct rk_err *err);

#endif
