// SPDX-License-Identifier: Apache-2.0
/*
 * usernet.c - the gvisor-tap-vsock port driver
 *
 * Theory of operation: with --net=gvisor-tap-vsock the namespace's network
 * stack (libslirp, src/net/usernet.c) runs inside the parent, so a port is
 * one host forward of that stack: libslirp listens on the host address,
 * accepts, and opens the connection (or relays the datagrams) inside the
 * namespace to the child address, NAT style, so the service sees the
 * gateway as the client.  Upstream drives gvisor-tap-vsock's forwarder
 * over its in-process HTTP API; here it is a function call.  Listeners are
 * IPv4 only (tcp, tcp4, udp, udp4, as upstream; "" and 0.0.0.0 mean every
 * IPv4 address), the child address is IPv4 and defaults to the child's
 * address on the TAP device.  IDs count from 1 and are never reused.
 * The manager's conflict check applies (upstream's driver has none and
 * relies on the forwarder's own error).
 */
#include "port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/err.h"
#include "../lib/log.h"
#include "../net/usernet.h"

const char *const rk_usernet_protos[] = { "tcp", "tcp4", "udp", "udp4", NULL };

struct un_drv {
	struct rk_port_driver drv;
	struct rk_usernet *net;
	struct in_addr child;
	char child_ip[64];	/* the default child address, for the table */
	int last_id;
};

/* One exposed port: what rk_usernet_hostfwd() needs to remove it */
struct un_port {
	bool udp;
	struct in_addr host;
	int host_port;
};

static int un_expose(struct rk_port_driver *drv, const struct rk_port_spec *s,
		     void **priv, struct rk_err *err)
{
	struct un_drv *d = container_of(drv, struct un_drv, drv);
	struct un_port p = { .udp = s->proto[0] == 'u', .host_port = s->parent_port };
	struct in_addr guest = d->child;
	struct un_port *copy;
	struct in6_addr a6;
	char where[96];

	if (!rk_port_driver_serves(drv, s->proto))
		return rk_err_set(err, "unsupported protocol: %s", s->proto);
	if (s->parent_ip[0] && inet_pton(AF_INET, s->parent_ip, &p.host) != 1) {
		if (inet_pton(AF_INET6, s->parent_ip, &a6) == 1)
			return rk_err_set(err, "unsupported IP (v6?): %s", s->parent_ip);
		return rk_err_set(err, "invalid IP: \"%s\"", s->parent_ip);
	}
	if (s->child_ip[0] && inet_pton(AF_INET, s->child_ip, &guest) != 1) {
		if (inet_pton(AF_INET6, s->child_ip, &a6) == 1)
			return rk_err_set(err, "unsupported IP (v6?): %s", s->child_ip);
		return rk_err_set(err, "invalid IP: \"%s\"", s->child_ip);
	}
	snprintf(where, sizeof(where), "%s:%d", s->parent_ip, s->parent_port);
	if (rk_usernet_hostfwd(d->net, true, p.udp, p.host, p.host_port, guest,
			       s->child_port) < 0)
		return rk_err_errno(err, errno, "listen %s %s: bind",
				    p.udp ? "udp" : "tcp", where);
	copy = malloc(sizeof(*copy));
	if (!copy) {
		rk_usernet_hostfwd(d->net, false, p.udp, p.host, p.host_port,
				   guest, 0);
		return rk_err_errno(err, ENOMEM, "add port");
	}
	*copy = p;
	*priv = copy;
	return ++d->last_id;
}

static int un_unexpose(struct rk_port_driver *drv, int id, void *priv,
		       struct rk_err *err)
{
	struct un_drv *d = container_of(drv, struct un_drv, drv);
	struct un_port *p = priv;
	struct in_addr none = { 0 };

	/* as upstream: a failure is only warned about, the port is gone */
	if (rk_usernet_hostfwd(d->net, false, p->udp, p->host, p->host_port,
			       none, 0) < 0)
		rk_warn("port/gvisor-tap-vsock: removing port %d: %s", id,
			rk_strerror(errno));
	free(p);
	return 0;
}

static void un_destroy(struct rk_port_driver *drv)
{
	free(container_of(drv, struct un_drv, drv));
}

struct rk_port_driver *rk_usernet_port_new(struct rk_usernet *net,
					   const char *child_ip,
					   struct rk_err *err)
{
	struct un_drv *d;

	if (!net) {
		rk_err_set(err, "Virtual network services mux not available in child context");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		rk_err_errno(err, ENOMEM, "port driver");
		return NULL;
	}
	if (inet_pton(AF_INET, child_ip, &d->child) != 1) {
		free(d);
		rk_err_set(err, "child context IP is required");
		return NULL;
	}
	d->net = net;
	d->drv = (struct rk_port_driver){
		.name = "gvisor-tap-vsock",
		.protos = rk_usernet_protos,
		.disallow_loopback_child_ip = true,
		.unknown_port_id_msg = true,
		.expose = un_expose,
		.unexpose = un_unexpose,
		.destroy = un_destroy,
	};
	snprintf(d->child_ip, sizeof(d->child_ip), "%s", child_ip);
	d->drv.default_child_ip = d->child_ip;
	return &d->drv;
}
