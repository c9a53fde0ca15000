/* SPDX-License-Identifier: Apache-2.0
 *
 * port.h - port drivers and the port manager
 */
#ifndef RK_PORT_H
#define RK_PORT_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "../lib/loop.h"
#include "spec.h"

/*
 * A port driver exposes ports of the child's network namespace on the
 * host.  The manager (below) validates specs, checks conflicts and keeps
 * the table; the driver only binds/unbinds.
 */
struct rk_port_driver {
	const char *name;		/* "builtin", ... */
	const char *const *protos;	/* NULL-terminated, for /v1/info */
	bool disallow_loopback_child_ip;
	/* a failed unexpose() leaves the port in place (slirp4netns: the
	 * forward still exists); otherwise the entry is dropped anyway */
	bool keep_on_unexpose_error;
	/* removing an unknown ID says "unknown port id: N" (gvisor-tap-vsock)
	 * instead of "unknown id: N" */
	bool unknown_port_id_msg;
	/* if not NULL: the child address stored in the table for a spec
	 * without one (gvisor-tap-vsock shows where the port goes) */
	const char *default_child_ip;
	/* expose(): start forwarding @spec (already validated); returns the
	 * port's ID (> 0) and stores per-port state in *@priv, or -1 */
	int (*expose)(struct rk_port_driver *d, const struct rk_port_spec *spec,
		      void **priv, struct rk_err *err);
	/* unexpose(): stop forwarding port @id, close live connections;
	 * 0 or -1 */
	int (*unexpose)(struct rk_port_driver *d, int id, void *priv,
			struct rk_err *err);
	/* reattach(): optional; the driver's helper was restarted (slirp4netns):
	 * forward port @id's @spec again, updating *@priv; 0 or -1 */
	int (*reattach)(struct rk_port_driver *d, int id,
			const struct rk_port_spec *spec, void **priv,
			struct rk_err *err);
	/* step_aside(): optional (builtin); @aside: close port @priv's host
	 * listener (a --bypass4netns host socket takes the address over),
	 * else listen on @spec again; 0 or -1 */
	int (*step_aside)(struct rk_port_driver *d, void *priv,
			  const struct rk_port_spec *spec, bool aside,
			  struct rk_err *err);
	/* destroy(): unexpose nothing more, free the driver */
	void (*destroy)(struct rk_port_driver *d);
};

struct rk_port_entry {
	struct rk_port_status st;
	void *priv;
};

/* The table of exposed ports, sorted by ID. */
struct rk_ports {
	struct rk_port_driver *drv;	/* NULL: "no PortDriver is available" */
	struct rk_port_entry *v;
	int n, cap;
};

/*
 * rk_ports_add() - validate @spec against the table, expose it and record
 * it; fills @out.  Returns 0, or -1 with @err set (nothing changed).
 */
int rk_ports_add(struct rk_ports *m, const struct rk_port_spec *spec,
		 struct rk_port_status *out, struct rk_err *err);

/* rk_ports_remove() - unexpose port @id ("unknown id: N" if absent); the
 * entry is dropped even if the driver reports an error, unless the driver
 * sets keep_on_unexpose_error.  0 or -1 */
int rk_ports_remove(struct rk_ports *m, int id, struct rk_err *err);

/* rk_ports_reattach() - after a restart of the driver's helper, forward
 * every port again (drivers with reattach() only); a port that fails is
 * warned about and kept.  Returns the number of ports that failed */
int rk_ports_reattach(struct rk_ports *m);

/* rk_ports_fini() - unexpose everything, destroy the driver */
void rk_ports_fini(struct rk_ports *m);

/* What each driver serves (NULL-terminated; its protos, for /v1/info and
 * for checking -p before the driver exists). */
extern const char *const rk_builtin_protos[];
extern const char *const rk_slirp4netns_protos[];
extern const char *const rk_socat_protos[];
extern const char *const rk_usernet_protos[];

/* rk_port_driver_serves() - true if @proto is in @d's protos list */
bool rk_port_driver_serves(const struct rk_port_driver *d, const char *proto);

/*
 * rk_slirp4netns_port_new() - the slirp4netns port driver, talking to the
 * slirp4netns API at @api_sock; @child_ip is the default guest address.
 * Return: the driver, or NULL with @err set
 */
struct rk_port_driver *rk_slirp4netns_port_new(const char *api_sock,
					       const char *child_ip,
					       struct rk_err *err);

/*
 * rk_socat_port_new() - the deprecated socat port driver: one socat per
 * port in the parent, joining @child's namespaces with nsenter per client
 * (its network namespace, or the detached one at path @netns if not "").
 * Return: the driver, or NULL with @err set
 */
struct rk_port_driver *rk_socat_port_new(struct rk_loop *loop, pid_t child,
					 const char *netns, struct rk_err *err);

struct rk_usernet;

/*
 * rk_usernet_port_new() - the gvisor-tap-vsock port driver: host forwards
 * of the in-process network stack @net (NULL: not that network), to
 * @child_ip unless a spec names another child address.
 * Return: the driver, or NULL with @err set (upstream's messages)
 */
struct rk_port_driver *rk_usernet_port_new(struct rk_usernet *net,
					   const char *child_ip,
					   struct rk_err *err);

#endif
