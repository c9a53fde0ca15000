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

/**
 * rk_port_spec_parse() - parse a -p / add-ports string
 * @s:		"PARENTIP:PARENTPORT[:CHILDIP]:CHILDPORT/PROTO"
 * @out:	result; left zeroed on failure
 * @err:	error out
 *
 * Checks, in upstream's order: proto ("missing proto in PortSpec string:
 * "<s>"", "invalid PortSpec string: "<s>": unknown proto: "<p>""), shape
 * ("unexpected PortSpec string: "<s>""), the IPs ("unexpected ParentIP ..."
 * / "unexpected ChildIP in PortSpec string: "<s>""), the ports
 * ("unexpected ParentPort / ChildPort in PortSpec string: "<s>":
 * strconv.Atoi: ...").  Port ranges are left to rk_port_spec_validate().
 *
 * Return: 0, or -1 with @err set
 */
int rk_port_spec_parse(const char *s, struct rk_port_spec *out,
		       struct rk_err *err);

/**
 * rk_port_spec_validate() - upstream's ValidatePortSpec
 * @spec:	spec to check
 * @existing:	ports already exposed (may be NULL when @n is 0)
 * @n:		number of entries in @existing
 * @err:	error out
 *
 * In upstream's order: "unknown proto: "<p>"", "invalid ParentIP: "<ip>"",
 * "invalid ChildIP: "<ip>"", "invalid ParentPort: <n>", "invalid ChildPort:
 * <n>" (1..65535), then "conflict with ID <id>" for the first entry with the
 * same proto string, parent IP string and parent port.
 *
 * Return: 0, or -1 with @err set
 */
int rk_port_spec_validate(const struct rk_port_spec *spec,
			  const struct rk_port_status *existing, int n,
			  struct rk_err *err);

/* rk_port_spec_conflicts() - the conflict rule of rk_port_spec_validate():
 * @a and @b have the same proto string, parent IP string and parent port */
bool rk_port_spec_conflicts(const struct rk_port_spec *a,
			    const struct rk_port_spec *b);

/**
 * rk_port_proto_valid() - check a proto name
 * @proto:	e.g. "tcp6"; case-sensitive
 *
 * Return: true if @proto is one of the nine protos upstream accepts
 */
bool rk_port_proto_valid(const char *proto);

/**
 * rk_ip_valid() - check an address as Go's net.ParseIP does
 * @s:		text without brackets
 *
 * glibc's inet_pton() agrees with Go (>= 1.17) here: IPv4 must be four
 * dotted decimals without leading zeros, IPv6 groups at most four hex
 * digits, an embedded IPv4 tail is allowed, a zone ("%eth0") is not.
 *
 * Return: true if @s is a valid IPv4 or IPv6 address
 */
bool rk_ip_valid(const char *s);

/**
 * rk_port_spec_to_json() - encode a Spec
 * @s:		spec
 *
 * Keys in upstream's order (proto, parentIP, parentPort, childPort,
 * childIP); empty strings and zero ports are omitted (Go's omitempty).
 *
 * Return: a new reference, or NULL on allocation failure
 */
json_t *rk_port_spec_to_json(const struct rk_port_spec *spec);

/**
 * rk_port_status_to_json() - encode a Status
 * @st:		status
 *
 * Return: {"id": N, "spec": {...}} as a new reference, or NULL on
 * allocation failure
 */
json_t *rk_port_status_to_json(const struct rk_port_status *st);

/**
 * rk_port_spec_from_json() - decode a Spec object as Go's encoding/json would
 * @obj:	the object (not stolen)
 * @out:	result (zeroed first)
 * @err:	error out
 *
 * JSON null leaves @out empty, as in Go; a NULL @obj (nothing parsed) gives
 * Go's "unexpected end of JSON input".
 *
 * Return: 0, or -1 with @err set: Go's "json: cannot unmarshal <type> into
 * Go struct field Spec.<field> of type <type>" (or "... into Go value of
 * type port.Spec" for a non-object), or for a string too long to store the
 * message validation would give ("unknown proto: ...", "invalid ParentIP:
 * ...", "invalid ChildIP: ...")
 */
int rk_port_spec_from_json(json_t *obj, struct rk_port_spec *out,
			   struct rk_err *err);

/**
 * rk_port_status_from_json() - decode {"id": N, "spec": {...}}
 * @obj:	the object (not stolen)
 * @out:	result (zeroed first)
 * @err:	error out
 *
 * Same rules as rk_port_spec_from_json(); nested field errors name the
 * path as Go does ("Go struct field Spec.spec.parentPort").
 *
 * Return: 0, or -1 with @err set
 */
int rk_port_status_from_json(json_t *obj, struct rk_port_status *out,
			     struct rk_err *err);

/**
 * rk_port_spec_str() - format a spec in the -p string form
 * @s:		spec
 * @buf:	output
 * @cap:	size of @buf; output is cut to fit
 *
 * "[::1]:8080:[::2]:80/udp", ":8080:80/tcp" for all addresses; the child IP
 * part is left out when empty.
 *
 * Return: @buf
 */
char *rk_port_spec_str(const struct rk_port_spec *spec, char *buf, int cap);

#endif
