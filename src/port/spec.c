// SPDX-License-Identifier: Apache-2.0
/*
 * spec.c - port specs: the -p / add-ports string form, validation, JSON
 *
 * Theory of operation: the string grammar is upstream's
 * (PARENTIP:PARENTPORT[:CHILDIP]:CHILDPORT/PROTO, IPv6 in brackets): the
 * proto is what follows the last '/', the child port is the raw text between
 * the last ':' and that '/', and what precedes the last ':' is split into
 * parent IP, parent port and child IP.  Upstream runs Go's text/scanner over
 * that part, so whitespace (space, tab, CR, LF) is dropped and a '[' makes
 * ':' ordinary text up to the matching ']'.  Messages are upstream's, quoted
 * the way Go's %q quotes, with fixes: a wrong field is named correctly
 * (upstream swaps ParentPort/ChildPort and calls a bad child IP "ParentIP"),
 * and shapes upstream mangles silently (text beyond the child IP, which it
 * glues onto the child port; text around a bracketed address, which it
 * swallows) are rejected as "unexpected PortSpec string".  Ports are parsed
 * with strconv.Atoi's rules and texts, narrowed to a C int.  Ranges are
 * checked by rk_port_spec_validate(), which also carries the conflict rule.
 *
 * JSON decoding mimics Go's encoding/json, since clients send what Go
 * would: keys match case-insensitively, the last duplicate wins, null leaves
 * a field alone, unknown keys are ignored and the first type error is
 * reported with Go's text.  A string too long for the fixed buffers (or
 * holding a NUL) cannot be a valid proto or address, so it is reported with
 * the message validation would give for it.
 */
#include "spec.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/util.h"

/* room for a %q-quoted user string inside a message */
#define QBUF 768

static const char *const protos[] = {
	"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "sctp", "sctp4", "sctp6",
};

bool rk_port_proto_valid(const char *proto)
{
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
		if (!strcmp(proto, protos[i]))
			return true;
	}
	return false;
}

bool rk_ip_valid(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/*
 * utf8_len() - length of the valid UTF-8 sequence at @p (at most @n bytes);
 * returns 2..4 and the code point in @cp, or 0 if it is not valid UTF-8
 */
static size_t utf8_len(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2, c = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3, c = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * goq() - @len bytes of @s quoted like Go's strconv.Quote (%q): '"' and
 * '\\' escaped, C escapes for \a\b\f\n\r\t\v, \xNN for other control bytes
 * and invalid UTF-8, \u00NN for C1 controls, other UTF-8 kept.  Output is
 * cut (still quoted) if @cap is too small.  Returns @buf.
 */
static const char *goq(const char *s, size_t len, char *buf, size_t cap)
{
	static const char esc[] = "\a\b\f\n\r\t\v", let[] = "abfnrtv";
	size_t o = 0;

	buf[o++] = '"';
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		char tmp[16];
		const char *e;
		uint32_t cp;
		size_t n = 1, tl;

		if (c == '"' || c == '\\') {
			snprintf(tmp, sizeof(tmp), "\\%c", c);
		} else if (c && (e = strchr(esc, c))) {
			snprintf(tmp, sizeof(tmp), "\\%c", let[e - esc]);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		} else if (c < 0x80) {
			tmp[0] = (char)c, tmp[1] = '\0';
		} else if ((n = utf8_len((const unsigned char *)s + i, len - i, &cp)) == 0) {
			n = 1;
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		} else if (cp < 0xa0) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
		} else {
			memcpy(tmp, s + i, n);
			tmp[n] = '\0';
		}
		tl = strlen(tmp);
		if (o + tl + 2 > cap)
			break;
		memcpy(buf + o, tmp, tl);
		o += tl;
		i += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/*
 * atoi_go() - Go's strconv.Atoi (64-bit int) over @len bytes of @s, then
 * narrowed to a C int; on failure writes Go's text
 * ("strconv.Atoi: parsing \"x\": invalid syntax" or "...: value out of
 * range") to @msg.  Like Go, an overflow found before a stray character
 * wins over it only for inputs of 19 bytes or more (Go's slow path).
 * Returns 0, or -1.
 */
static int atoi_go(const char *s, size_t len, int *out, char *msg, size_t cap)
{
	const char *p = s, *end = s + len;
	const char *why = "invalid syntax";
	uint64_t n = 0;
	bool neg = false;
	char q[QBUF];

	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (p == end)
		goto fail;
	for (; p < end; p++) {
		unsigned d = (unsigned char)*p - '0';

		if (d > 9)
			goto fail;
		/* below 19 bytes nothing can overflow 64 bits (Go's fast path) */
		if (n >= UINT64_MAX / 10 + 1 || n * 10 + d < n * 10) {
			why = "value out of range";
			goto fail;
		}
		n = n * 10 + d;
	}
	if ((!neg && n > (uint64_t)INT_MAX) ||
	    (neg && n > (uint64_t)INT_MAX + 1)) {
		why = "value out of range";
		goto fail;
	}
	*out = neg ? (int)(0 - n) : (int)n;
	return 0;
fail:
	snprintf(msg, cap, "strconv.Atoi: parsing %s: %s", goq(s, len, q, sizeof(q)), why);
	return -1;
}

/* go_space() - true for the bytes Go's text/scanner skips (GoWhitespace) */
static bool go_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * split_fields() - the @len bytes before the last ':' into parent IP,
 * parent port and child IP; each @f[k] has room for @len + 1 bytes and
 * starts empty.  Whitespace is dropped.  A bracketed part must be a whole
 * field: '[' only at a field's start, and only whitespace then ':' or the
 * end after its ']'.  Returns 0, or -1 if the text does not have that shape
 * (more than three fields, even an empty fourth one; an unclosed '['; a
 * stray ']'; text around brackets).
 */
static int split_fields(const char *s, size_t len, char *f[3])
{
	size_t i = 0, fl[3] = { 0, 0, 0 };
	int idx = 0;

	while (i < len) {
		char c = s[i++];

		if (go_space(c))
			continue;
		if (idx > 2)
			return -1;
		if (c == ':') {
			idx++;
			continue;
		}
		if (c == ']')
			return -1;
		if (c != '[') {
			f[idx][fl[idx]++] = c;
			continue;
		}
		if (fl[idx])
			return -1;	/* text before '[' */
		for (; i < len && s[i] != ']'; i++) {
			if (!go_space(s[i]))
				f[idx][fl[idx]++] = s[i];
		}
		if (i == len)
			return -1;	/* no ']' */
		for (i++; i < len && go_space(s[i]); i++)
			;
		if (i == len)
			break;
		if (s[i++] != ':')
			return -1;	/* text after ']' */
		idx++;
	}
	/* a trailing ':' after the child IP opens a fourth field */
	return idx > 2 ? -1 : 0;
}

int rk_port_spec_parse(const char *s, struct rk_port_spec *out,
		       struct rk_err *err)
{
	const char *slash = strrchr(s, '/'), *colon;
	size_t len = strlen(s), n;
	cleanup_free char *mem = NULL;
	int pport, cport;
	char *f[3], msg[2 * QBUF], q[QBUF];

	memset(out, 0, sizeof(*out));
	goq(s, len, q, sizeof(q));
	if (!slash)
		return rk_err_set(err, "missing proto in PortSpec string: %s", q);
	if (!rk_port_proto_valid(slash + 1))
		return rk_err_set(err, "invalid PortSpec string: %s: unknown proto: %s",
				  q, goq(slash + 1, strlen(slash + 1), msg, sizeof(msg)));
	colon = memrchr(s, ':', (size_t)(slash - s));
	if (!colon)
		return rk_err_set(err, "unexpected PortSpec string: %s", q);
	n = (size_t)(colon - s);
	mem = calloc(3, n + 1);
	if (!mem)
		return rk_err_errno(err, ENOMEM, "parsing PortSpec string");
	for (int k = 0; k < 3; k++)
		f[k] = mem + (size_t)k * (n + 1);
	if (split_fields(s, n, f) < 0)
		return rk_err_set(err, "unexpected PortSpec string: %s", q);
	/* a valid address is at most 45 bytes, so it fits the spec's buffers */
	if (f[0][0] && !rk_ip_valid(f[0]))
		return rk_err_set(err, "unexpected ParentIP in PortSpec string: %s", q);
	if (f[2][0] && !rk_ip_valid(f[2]))
		return rk_err_set(err, "unexpected ChildIP in PortSpec string: %s", q);
	if (atoi_go(f[1], strlen(f[1]), &pport, msg, sizeof(msg)) < 0)
		return rk_err_set(err, "unexpected ParentPort in PortSpec string: %s: %s",
				  q, msg);
	if (atoi_go(colon + 1, (size_t)(slash - colon - 1), &cport, msg, sizeof(msg)) < 0)
		return rk_err_set(err, "unexpected ChildPort in PortSpec string: %s: %s",
				  q, msg);
	out->parent_port = pport;
	out->child_port = cport;
	snprintf(out->proto, sizeof(out->proto), "%s", slash + 1);
	snprintf(out->parent_ip, sizeof(out->parent_ip), "%s", f[0]);
	snprintf(out->child_ip, sizeof(out->child_ip), "%s", f[2]);
	return 0;
}

int rk_port_spec_validate(const struct rk_port_spec *spec,
			  const struct rk_port_status *existing, int n,
			  struct rk_err *err)
{
	char q[QBUF];

	if (!rk_port_proto_valid(spec->proto))
		return rk_err_set(err, "unknown proto: %s",
				  goq(spec->proto, strnlen(spec->proto, sizeof(spec->proto)),
				      q, sizeof(q)));
	if (spec->parent_ip[0] && !rk_ip_valid(spec->parent_ip))
		return rk_err_set(err, "invalid ParentIP: %s",
				  goq(spec->parent_ip, strlen(spec->parent_ip), q, sizeof(q)));
	if (spec->child_ip[0] && !rk_ip_valid(spec->child_ip))
		return rk_err_set(err, "invalid ChildIP: %s",
				  goq(spec->child_ip, strlen(spec->child_ip), q, sizeof(q)));
	if (spec->parent_port < 1 || spec->parent_port > 65535)
		return rk_err_set(err, "invalid ParentPort: %d", spec->parent_port);
	if (spec->child_port < 1 || spec->child_port > 65535)
		return rk_err_set(err, "invalid ChildPort: %d", spec->child_port);
	for (int i = 0; i < n; i++) {
		if (rk_port_spec_conflicts(&existing[i].spec, spec))
			return rk_err_set(err, "conflict with ID %d", existing[i].id);
	}
	return 0;
}

bool rk_port_spec_conflicts(const struct rk_port_spec *a,
			    const struct rk_port_spec *b)
{
	return !strcmp(a->proto, b->proto) &&
	       !strcmp(a->parent_ip, b->parent_ip) &&
	       a->parent_port == b->parent_port;
}

json_t *rk_port_spec_to_json(const struct rk_port_spec *s)
{
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	if (s->proto[0])
		r |= json_object_set_new(o, "proto", json_string(s->proto));
	if (s->parent_ip[0])
		r |= json_object_set_new(o, "parentIP", json_string(s->parent_ip));
	if (s->parent_port)
		r |= json_object_set_new(o, "parentPort", json_integer(s->parent_port));
	if (s->child_port)
		r |= json_object_set_new(o, "childPort", json_integer(s->child_port));
	if (s->child_ip[0])
		r |= json_object_set_new(o, "childIP", json_string(s->child_ip));
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *rk_port_status_to_json(const struct rk_port_status *st)
{
	json_t *spec = rk_port_spec_to_json(&st->spec);

	if (!spec)
		return NULL;
	/* "o" steals @spec even when packing fails */
	return json_pack("{s:i, s:o}", "id", st->id, "spec", spec);
}

/* go_type() - the JSON type name Go's UnmarshalTypeError uses for @v */
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

/*
 * Decoding state for one Spec: @ctx is the Go field path prefix ("" at the
 * top, "spec." inside a Status); @long_* mark strings that did not fit,
 * whose values are kept in @*_v / @*_n for the message.
 */
struct dec {
	const char *ctx;
	bool long_proto, long_pip, long_cip;
	const char *proto_v, *pip_v, *cip_v;
	size_t proto_n, pip_n, cip_n;
};

/*
 * get_string() - decode string field @name into @out (@cap bytes); null
 * leaves it alone.  A string that does not fit (or holds a NUL) is
 * remembered in @long_flag/@val/@vlen and reported after decoding.
 * Returns 0, or -1 on a type error (@err set).
 */
static int get_string(json_t *v, struct dec *d, const char *name, char *out,
		      size_t cap, bool *long_flag, const char **val,
		      size_t *vlen, struct rk_err *err)
{
	size_t n;

	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return rk_err_set(err, "json: cannot unmarshal %s into Go struct field Spec.%s%s of type string",
				  go_type(v), d->ctx, name);
	n = json_string_length(v);
	*long_flag = n >= cap || strlen(json_string_value(v)) != n;
	*val = json_string_value(v);
	*vlen = n;
	if (!*long_flag)
		memcpy(out, *val, n + 1);
	return 0;
}

/*
 * number_text() - shortest %g text that reads back as @x (what the JSON
 * text most likely said); returns @buf
 */
static const char *number_text(double x, char *buf, size_t cap)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, cap, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	return buf;
}

/*
 * get_int() - decode an int field (Go int: integral JSON numbers only,
 * narrowed to a C int); null leaves it alone.  @st is the Go struct name
 * and @ctx the field path prefix for the message.  Returns 0, or -1 (@err set).
 */
static int get_int(json_t *v, const char *st, const char *ctx,
		   const char *name, int *out, struct rk_err *err)
{
	char num[64];

	if (json_is_null(v))
		return 0;
	if (json_is_real(v))
		return rk_err_set(err, "json: cannot unmarshal number %s into Go struct field %s.%s%s of type int",
				  number_text(json_real_value(v), num, sizeof(num)),
				  st, ctx, name);
	if (!json_is_integer(v))
		return rk_err_set(err, "json: cannot unmarshal %s into Go struct field %s.%s%s of type int",
				  go_type(v), st, ctx, name);
	if (json_integer_value(v) > INT_MAX || json_integer_value(v) < INT_MIN)
		return rk_err_set(err, "json: cannot unmarshal number %" JSON_INTEGER_FORMAT
				  " into Go struct field %s.%s%s of type int",
				  json_integer_value(v), st, ctx, name);
	*out = (int)json_integer_value(v);
	return 0;
}

/*
 * spec_from_json() - rk_port_spec_from_json() with the Go field path prefix
 * @ctx ("" or "spec."); returns 0 or -1
 */
static int spec_from_json(json_t *obj, const char *ctx,
			  struct rk_port_spec *out, struct rk_err *err)
{
	struct dec d = { .ctx = ctx };
	char q[QBUF];
	const char *key;
	json_t *v;

	memset(out, 0, sizeof(*out));
	json_object_foreach(obj, key, v) {
		int r = 0;

		if (!strcasecmp(key, "proto"))
			r = get_string(v, &d, "proto", out->proto, sizeof(out->proto),
				       &d.long_proto, &d.proto_v, &d.proto_n, err);
		else if (!strcasecmp(key, "parentIP"))
			r = get_string(v, &d, "parentIP", out->parent_ip,
				       sizeof(out->parent_ip), &d.long_pip,
				       &d.pip_v, &d.pip_n, err);
		else if (!strcasecmp(key, "childIP"))
			r = get_string(v, &d, "childIP", out->child_ip,
				       sizeof(out->child_ip), &d.long_cip,
				       &d.cip_v, &d.cip_n, err);
		else if (!strcasecmp(key, "parentPort"))
			r = get_int(v, "Spec", ctx, "parentPort", &out->parent_port, err);
		else if (!strcasecmp(key, "childPort"))
			r = get_int(v, "Spec", ctx, "childPort", &out->child_port, err);
		if (r < 0)
			return -1;
	}
	/* what validation would say about the value Go would have kept */
	if (d.long_proto)
		return rk_err_set(err, "unknown proto: %s",
				  goq(d.proto_v, d.proto_n, q, sizeof(q)));
	if ((d.long_pip || d.long_cip) && !rk_port_proto_valid(out->proto))
		return rk_err_set(err, "unknown proto: %s",
				  goq(out->proto, strlen(out->proto), q, sizeof(q)));
	if (d.long_pip)
		return rk_err_set(err, "invalid ParentIP: %s",
				  goq(d.pip_v, d.pip_n, q, sizeof(q)));
	if (d.long_cip)
		return rk_err_set(err, "invalid ChildIP: %s",
				  goq(d.cip_v, d.cip_n, q, sizeof(q)));
	return 0;
}

int rk_port_spec_from_json(json_t *obj, struct rk_port_spec *out,
			   struct rk_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!obj)
		return rk_err_set(err, "unexpected end of JSON input");
	if (json_is_null(obj))
		return 0;	/* Go: null into a struct is a no-op */
	if (!json_is_object(obj))
		return rk_err_set(err, "json: cannot unmarshal %s into Go value of type port.Spec",
				  go_type(obj));
	return spec_from_json(obj, "", out, err);
}

int rk_port_status_from_json(json_t *obj, struct rk_port_status *out,
			     struct rk_err *err)
{
	struct rk_port_spec spec;
	const char *key;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (!obj)
		return rk_err_set(err, "unexpected end of JSON input");
	if (json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return rk_err_set(err, "json: cannot unmarshal %s into Go value of type port.Status",
				  go_type(obj));
	json_object_foreach(obj, key, v) {
		if (!strcasecmp(key, "id")) {
			if (get_int(v, "Status", "", "id", &out->id, err) < 0)
				return -1;
		} else if (!strcasecmp(key, "spec") && !json_is_null(v)) {
			if (!json_is_object(v))
				return rk_err_set(err, "json: cannot unmarshal %s into Go struct field Status.spec of type port.Spec",
						  go_type(v));
			if (spec_from_json(v, "spec.", &spec, err) < 0)
				return -1;
			out->spec = spec;
		}
	}
	return 0;
}

/* host_str() - @ip in brackets if it is IPv6, into @buf of @cap bytes */
static void host_str(const char *ip, char *buf, size_t cap)
{
	snprintf(buf, cap, strchr(ip, ':') ? "[%s]" : "%s", ip);
}

char *rk_port_spec_str(const struct rk_port_spec *s, char *buf, int cap)
{
	char pip[80], cip[80];

	if (cap <= 0)
		return buf;
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
