// SPDX-License-Identifier: Apache-2.0
/*
 * spec.c - port specs: the -p / add-ports string form, validation, JSON
 *
 * Theory of operation: the string grammar is upstream's
 * (PARENTIP:PARENTPORT[:CHILDIP]:CHILDPORT/PROTO, IPv6 in brackets): the
 * proto is what follows the last '/', the child port sits between the last
 * ':' and that '/', and what precedes the last ':' is split into parent IP,
 * parent port and child IP, where a '[' makes ':' ordinary text up to the
 * matching ']'.  Messages are upstream's, with two fixes: a wrong field is
 * named correctly (upstream swaps ParentPort/ChildPort and calls a bad
 * child IP "ParentIP"), and text beyond the child IP is an error instead
 * of being glued onto the child port.  Ranges are checked by
 * rk_port_spec_validate(), which also carries the conflict rule.  JSON
 * decoding mimics Go's encoding/json, since clients send what Go would.
 */
#include "spec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const protos[] = {
	"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "sctp", "sctp4", "sctp6",
};

bool rk_port_proto_valid(const char *proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (!strcmp(proto, protos[i]))
			return true;
	}
	return false;
}

bool rk_ip_valid(const char *s)
{
	unsigned char buf[16];

	/* glibc's inet_pton() refuses leading zeros in IPv4 and zones in
	 * IPv6, as Go's net.ParseIP does */
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/*
 * atoi_go() - Go's strconv.Atoi into an int; returns 0, or -1 with the
 * Go error text ("strconv.Atoi: parsing \"x\": invalid syntax") in @msg
 */
static int atoi_go(const char *s, int *out, char *msg, size_t cap)
{
	const char *p = s;
	long long v = 0;
	bool neg = false;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		goto syntax;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto syntax;
		v = v * 10 + (*p - '0');
		if (v > (long long)INT_MAX + 1) {
			for (p++; *p; p++) {
				if (*p < '0' || *p > '9')
					goto syntax;
			}
			snprintf(msg, cap, "strconv.Atoi: parsing \"%s\": value out of range", s);
			return -1;
		}
	}
	if (neg)
		v = -v;
	if (v > INT_MAX || v < INT_MIN) {
		snprintf(msg, cap, "strconv.Atoi: parsing \"%s\": value out of range", s);
		return -1;
	}
	*out = (int)v;
	return 0;
syntax:
	snprintf(msg, cap, "strconv.Atoi: parsing \"%s\": invalid syntax", s);
	return -1;
}

/* append() - add @c to field @f; returns 0, or -1 if it does not fit */
static int append(char *f, size_t cap, char c)
{
	size_t n = strlen(f);

	if (n + 1 >= cap)
		return -1;
	f[n] = c;
	f[n + 1] = '\0';
	return 0;
}

/*
 * split_fields() - the part before the last ':' into parent IP, parent port
 * and child IP (@f, each @cap bytes); whitespace is dropped.
 * Returns 0, or -1 if the text does not have that shape.
 */
static int split_fields(const char *s, size_t len, char f[3][64], size_t cap)
{
	size_t i = 0;
	int idx = 0;

	while (i < len) {
		char c = s[i++];

		if (isspace((unsigned char)c))
			continue;
		if (idx > 2)
			return -1;
		if (c == ':') {
			idx++;
			continue;
		}
		if (c == '[') {
			/* only a whole field can be bracketed */
			if (f[idx][0])
				return -1;
			while (i < len && s[i] != ']') {
				if (!isspace((unsigned char)s[i]) &&
				    append(f[idx], cap, s[i]) < 0)
					return -1;
				i++;
			}
			if (i == len)
				return -1;	/* no ']' */
			i++;
			while (i < len && isspace((unsigned char)s[i]))
				i++;
			/* the bracket ends the field: ':' or the end must follow */
			if (i < len && s[i] != ':')
				return -1;
			if (i < len)
				i++;
			idx++;
			continue;
		}
		if (c == ']' || append(f[idx], cap, c) < 0)
			return -1;
	}
	return 0;
}

int rk_port_spec_parse(const char *s, struct rk_port_spec *out,
		       struct rk_err *err)
{
	const char *slash = strrchr(s, '/'), *colon;
	char f[3][64] = { "", "", "" }, cport[64], msg[256];
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!slash)
		return rk_err_set(err, "missing proto in PortSpec string: \"%s\"", s);
	if (!rk_port_proto_valid(slash + 1))
		return rk_err_set(err, "invalid PortSpec string: \"%s\": unknown proto: \"%s\"",
				  s, slash + 1);
	snprintf(out->proto, sizeof(out->proto), "%s", slash + 1);
	colon = memrchr(s, ':', (size_t)(slash - s));
	if (!colon)
		return rk_err_set(err, "unexpected PortSpec string: \"%s\"", s);
	n = (size_t)(slash - colon - 1);
	if (n >= sizeof(cport))
		n = sizeof(cport) - 1;
	memcpy(cport, colon + 1, n);
	cport[n] = '\0';
	if (split_fields(s, (size_t)(colon - s), f, sizeof(f[0])) < 0)
		return rk_err_set(err, "unexpected PortSpec string: \"%s\"", s);
	if (f[0][0] && !rk_ip_valid(f[0]))
		return rk_err_set(err, "unexpected ParentIP in PortSpec string: \"%s\"", s);
	if (f[2][0] && !rk_ip_valid(f[2]))
		return rk_err_set(err, "unexpected ChildIP in PortSpec string: \"%s\"", s);
	if (atoi_go(f[1], &out->parent_port, msg, sizeof(msg)) < 0)
		return rk_err_set(err, "unexpected ParentPort in PortSpec string: \"%s\": %s",
				  s, msg);
	if (atoi_go(cport, &out->child_port, msg, sizeof(msg)) < 0)
		return rk_err_set(err, "unexpected ChildPort in PortSpec string: \"%s\": %s",
				  s, msg);
	snprintf(out->parent_ip, sizeof(out->parent_ip), "%s", f[0]);
	snprintf(out->child_ip, sizeof(out->child_ip), "%s", f[2]);
	return 0;
}

int rk_port_spec_validate(const struct rk_port_spec *spec,
			  const struct rk_port_status *existing, int n,
			  struct rk_err *err)
{
	if (!rk_port_proto_valid(spec->proto))
		return rk_err_set(err, "unknown proto: \"%s\"", spec->proto);
	if (spec->parent_ip[0] && !rk_ip_valid(spec->parent_ip))
		return rk_err_set(err, "invalid ParentIP: \"%s\"", spec->parent_ip);
	if (spec->child_ip[0] && !rk_ip_valid(spec->child_ip))
		return rk_err_set(err, "invalid ChildIP: \"%s\"", spec->child_ip);
	if (spec->parent_port < 1 || spec->parent_port > 65535)
		return rk_err_set(err, "invalid ParentPort: %d", spec->parent_port);
	if (spec->child_port < 1 || spec->child_port > 65535)
		return rk_err_set(err, "invalid ChildPort: %d", spec->child_port);
	for (int i = 0; i < n; i++) {
		const struct rk_port_spec *e = &existing[i].spec;

		if (!strcmp(e->proto, spec->proto) &&
		    !strcmp(e->parent_ip, spec->parent_ip) &&
		    e->parent_port == spec->parent_port)
			return rk_err_set(err, "conflict with ID %d", existing[i].id);
	}
	return 0;
}

json_t *rk_port_spec_to_json(const struct rk_port_spec *s)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (s->proto[0])
		json_object_set_new(o, "proto", json_string(s->proto));
	if (s->parent_ip[0])
		json_object_set_new(o, "parentIP", json_string(s->parent_ip));
	if (s->parent_port)
		json_object_set_new(o, "parentPort", json_integer(s->parent_port));
	if (s->child_port)
		json_object_set_new(o, "childPort", json_integer(s->child_port));
	if (s->child_ip[0])
		json_object_set_new(o, "childIP", json_string(s->child_ip));
	return o;
}

json_t *rk_port_status_to_json(const struct rk_port_status *st)
{
	json_t *spec = rk_port_spec_to_json(&st->spec);

	if (!spec)
		return NULL;
	return json_pack("{s:i, s:o}", "id", st->id, "spec", spec);
}

/* go_type() - the JSON type name Go uses in unmarshal errors */
static const char *go_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	default:
		return "number";
	}
}

/* get_string() - a string field; JSON null leaves it empty; 0 or -1 */
static int get_string(json_t *v, const char *name, char *out, size_t cap,
		      struct rk_err *err)
{
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return rk_err_set(err, "json: cannot unmarshal %s into Go struct field Spec.%s of type string",
				  go_type(v), name);
	if (json_string_length(v) >= cap)
		return rk_err_set(err, "json: value of Spec.%s is too long", name);
	snprintf(out, cap, "%s", json_string_value(v));
	return 0;
}

/* get_int() - an int field (Go int: integral JSON numbers only); 0 or -1 */
static int get_int(json_t *v, const char *struct_name, const char *name,
		   int *out, struct rk_err *err)
{
	if (json_is_null(v))
		return 0;
	if (json_is_real(v))
		return rk_err_set(err, "json: cannot unmarshal number %g into Go struct field %s.%s of type int",
				  json_real_value(v), struct_name, name);
	if (!json_is_integer(v))
		return rk_err_set(err, "json: cannot unmarshal %s into Go struct field %s.%s of type int",
				  go_type(v), struct_name, name);
	if (json_integer_value(v) > INT_MAX || json_integer_value(v) < INT_MIN)
		return rk_err_set(err, "json: cannot unmarshal number %" JSON_INTEGER_FORMAT
				  " into Go struct field %s.%s of type int",
				  json_integer_value(v), struct_name, name);
	*out = (int)json_integer_value(v);
	return 0;
}

int rk_port_spec_from_json(json_t *obj, struct rk_port_spec *out,
			   struct rk_err *err)
{
	const char *key;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return rk_err_set(err, "json: cannot unmarshal %s into Go value of type port.Spec",
				  go_type(obj));
	/* Go matches keys case-insensitively; unknown keys are ignored */
	json_object_foreach(obj, key, v) {
		int r = 0;

		if (!strcasecmp(key, "proto"))
			r = get_string(v, "proto", out->proto, sizeof(out->proto), err);
		else if (!strcasecmp(key, "parentIP"))
			r = get_string(v, "parentIP", out->parent_ip,
				       sizeof(out->parent_ip), err);
		else if (!strcasecmp(key, "childIP"))
			r = get_string(v, "childIP", out->child_ip,
				       sizeof(out->child_ip), err);
		else if (!strcasecmp(key, "parentPort"))
			r = get_int(v, "Spec", "parentPort", &out->parent_port, err);
		else if (!strcasecmp(key, "childPort"))
			r = get_int(v, "Spec", "childPort", &out->child_port, err);
		if (r < 0)
			return -1;
	}
	return 0;
}

int rk_port_status_from_json(json_t *obj, struct rk_port_status *out,
			     struct rk_err *err)
{
	const char *key;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return rk_err_set(err, "json: cannot unmarshal %s into Go value of type port.Status",
				  go_type(obj));
	json_object_foreach(obj, key, v) {
		if (!strcasecmp(key, "id") &&
		    get_int(v, "Status", "id", &out->id, err) < 0)
			return -1;
		if (!strcasecmp(key, "spec") && !json_is_null(v) &&
		    rk_port_spec_from_json(v, &out->spec, err) < 0)
			return -1;
	}
	return 0;
}

/* host_str() - @ip in brackets if it is IPv6 */
static void host_str(const char *ip, char *buf, size_t cap)
{
	snprintf(buf, cap, strchr(ip, ':') ? "[%s]" : "%s", ip);
}

char *rk_port_spec_str(const struct rk_port_spec *s, char *buf, int cap)
{
	char pip[80], cip[80];

	host_str(s->parent_ip, pip, sizeof(pip));
	host_str(s->child_ip, cip, sizeof(cip));
	if (s->child_ip[0])
		snprintf(buf, (size_t)cap, "%s:%d:%s:%d/%s", pip, s->parent_port,
			 cip, s->child_port, s->proto);
	else
		snprintf(buf, (size_t)cap, "%s:%d:%d/%s", pip, s->parent_port,
			 s->child_port, s->proto);
	return buf;
}
