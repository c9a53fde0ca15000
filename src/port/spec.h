/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RK_PORT_SPEC_H
#define RK_PORT_SPEC_H

#include <stdbool.h>

#include <jansson.h>

#include "../lib/err.h"

/*
 * A port spec as the API and `-p` carry it (upstream's port.Spec).
 * Empty strings and zero ports mean "not set"; JSON omits them.
 */
struct rk_port_spec {
	char proto[8];		/* tcp tcp4 tcp6 udp udp4 udp6 sctp sctp4 sctp6 */
	char parent_ip[64];	/* "" = all addresses; no brackets */
	int parent_port;
	int child_port;
	char child_ip[64];	/* "" = driver default; no brackets */
};

/* An exposed port: the driver's ID and the spec as given. */
struct rk_port_status {
	int id;
	struct rk_port_spec spec;
};

/*
 * rk_port_spec_parse() - parse "PARENTIP:PARENTPORT[:CHILDIP]:CHILDPORT/PROTO"
 * (IPv6 in brackets) with upstream's grammar and messages, except that the
 * message names the field that is actually wrong.  Does not check ranges
 * (see rk_port_spec_validate()).  Returns 0, or -1 with @err set.
 */
int rk_port_spec_parse(const char *s, struct rk_port_spec *out,
		       struct rk_err *err);

/*
 * rk_port_spec_validate() - upstream's ValidatePortSpec: proto, IPs, port
 * ranges, then the conflict rule against @existing (same proto string, same
 * parent IP string, same parent port -> "conflict with ID N").
 * Returns 0, or -1 with @err set.
 */
int rk_port_spec_validate(const struct rk_port_spec *spec,
			  const struct rk_port_status *existing, int n,
			  struct rk_err *err);

/* rk_port_spec_conflicts() - the conflict rule of rk_port_spec_validate():
 * @a and @b have the same proto string, parent IP string and parent port */
bool rk_port_spec_conflicts(const struct rk_port_spec *a,
			    const struct rk_port_spec *b);

/* rk_port_proto_valid() - true if @proto is one of the nine known protos */
bool rk_port_proto_valid(const char *proto);

/* rk_ip_valid() - true if @s is a dotted IPv4 (no leading zeros) or an
 * IPv6 address without zone, as Go's net.ParseIP accepts */
bool rk_ip_valid(const char *s);

/*
 * rk_port_spec_to_json() - the Spec object with upstream's key order
 * (proto, parentIP, parentPort, childPort, childIP) and omission rules.
 * Returns a new reference, or NULL on allocation failure.
 */
json_t *rk_port_spec_to_json(const struct rk_port_spec *spec);

/* rk_port_status_to_json() - {"id": N, "spec": {...}}; new reference */
json_t *rk_port_status_to_json(const struct rk_port_status *st);

/*
 * rk_port_spec_from_json() - decode a Spec object as Go's encoding/json
 * would: keys matched case-insensitively, unknown keys ignored, wrong types
 * are errors ("json: cannot unmarshal string into Go struct field
 * Spec.parentPort of type int").  No validation.  Returns 0 or -1.
 */
int rk_port_spec_from_json(json_t *obj, struct rk_port_spec *out,
			   struct rk_err *err);

/* rk_port_status_from_json() - decode {"id":..,"spec":{..}}; 0 or -1 */
int rk_port_status_from_json(json_t *obj, struct rk_port_status *out,
			     struct rk_err *err);

/* rk_port_spec_str() - format @spec back into the -p string form
 * (brackets around IPv6); returns @buf */
char *rk_port_spec_str(const struct rk_port_spec *spec, char *buf, int cap);

#endif
