// SPDX-License-Identifier: Apache-2.0
/*
 * slirp4netns.c - the slirp4netns port driver
 *
 * Theory of operation: slirp4netns was started with
 * --api-socket $SD/.s4nn.sock (src/net/slirp4netns.c).  Its API takes one
 * JSON request per unix connection: we write the request and a newline,
 * shut down our write side and read the reply to EOF.  add_hostfwd makes
 * slirp4netns itself listen on the host and NAT into the namespace, so the
 * service sees the client's real address (loopback clients appear as the
 * gateway, 10.0.2.2); the port's ID is slirp4netns's hostfwd ID.  There is
 * no IPv6 hostfwd, so *6 protocols are refused and a *4 suffix is dropped.
 *
 * The calls block the parent's loop for one local round trip; a 5 s
 * timeout on the socket bounds a stuck slirp4netns.
 *
 * If slirp4netns dies, the parent starts a new one (src/net/supervise.c)
 * and re-adds every port with reattach(); the new slirp4netns numbers its
 * forwards from 1 again, so from then on each port keeps its API ID, the
 * driver maps it to slirp4netns's ID, and new ports get IDs above every ID
 * given out so far.
 */
#include "port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"

struct s4_drv {
	struct rk_port_driver drv;
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char child_ip[64];
	bool restarted;		/* slirp4netns was restarted: own API IDs */
	int last_id;		/* highest API ID given out */
	struct { int id, sid; } *map;	/* API ID -> slirp4netns's ID */
	int nmap, capmap;
};

/* map_find() - the entry for API ID @id, or -1 */
static int map_find(const struct s4_drv *d, int id)
{
	for (int i = 0; i < d->nmap; i++) {
		if (d->map[i].id == id)
			return i;
	}
	return -1;
}

/* map_set() - API ID @id is slirp4netns's @sid; returns 0 or -1 */
static int map_set(struct s4_drv *d, int id, int sid, struct rk_err *err)
{
	int i = map_find(d, id);

	if (i < 0) {
		if (d->nmap == d->capmap) {
			int c = d->capmap ? d->capmap * 2 : 16;
			void *nm = realloc(d->map, (size_t)c * sizeof(*d->map));

			if (!nm)
				return rk_err_errno(err, ENOMEM, "slirp4netns port driver");
			d->map = nm;
			d->capmap = c;
		}
		i = d->nmap++;
	}
	d->map[i].id = id;
	d->map[i].sid = sid;
	return 0;
}

const char *const rk_slirp4netns_protos[] = { "tcp", "tcp4", "udp", "udp4", NULL };

/* go_map_str() - @o printed as Go prints a map[string]interface{}:
 * "map[k1:v1 k2:v2]", keys sorted; returns @buf */
static char *go_map_str(json_t *o, char *buf, size_t cap)
{
	const char *keys[32];
	size_t n = 0, len;
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		if (n < ARRAY_SIZE(keys))
			keys[n++] = k;
	}
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	}
	len = (size_t)snprintf(buf, cap, "map[");
	for (size_t i = 0; i < n && len < cap; i++) {
		json_t *val = json_object_get(o, keys[i]);
		char *dump = json_is_string(val) ? NULL :
			     json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);

		len += (size_t)snprintf(buf + len, cap - len, "%s%s:%s",
					i ? " " : "", keys[i],
					dump ? dump : json_string_value(val));
		free(dump);
	}
	if (len < cap)
		snprintf(buf + len, cap - len, "]");
	return buf;
}

/**
 * call() - one request to the slirp4netns API
 * @d:		driver
 * @req:	request object (reference stolen)
 * @err:	error out
 *
 * Return: the reply's "return" object (new reference), or NULL with @err
 * set ("reply.Error: map[desc:...]" for an error reply)
 */
static json_t *call(struct s4_drv *d, json_t *req, struct rk_err *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	cleanup_fd int fd = -1;
	cleanup_free char *line = NULL;
	char buf[8192], *text;
	json_auto_t *rep = NULL;
	json_t *ret, *e;
	json_error_t je;
	ssize_t r;

	/* one write: slirp4netns answers after its first read */
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	free(text);
	if (!line) {
		rk_err_errno(err, ENOMEM, "slirp4netns API request");
		return NULL;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", d->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rk_err_errno(err, errno, "dial unix %s", d->sock);
		return NULL;
	}
	rk_debug("slirp4netns API: %s", line);
	if (rk_write_all(fd, line, strlen(line)) < 0 || shutdown(fd, SHUT_WR) < 0) {
		rk_err_errno(err, errno, "write unix %s", d->sock);
		return NULL;
	}
	r = rk_read_all(fd, buf, sizeof(buf) - 1);	/* to EOF */
	if (r < 0) {
		rk_err_errno(err, errno == EAGAIN ? ETIMEDOUT : errno,
			     "read unix %s", d->sock);
		return NULL;
	}
	buf[r] = '\0';
	rk_debug("slirp4netns API reply: %s", buf);
	rep = json_loads(buf, JSON_DISABLE_EOF_CHECK, &je);
	if (!json_is_object(rep)) {
		rk_err_set(err, "unexpected reply: %s", buf);
		return NULL;
	}
	e = json_object_get(rep, "error");
	if (json_is_object(e) && json_object_size(e)) {
		char m[1024];

		rk_err_set(err, "reply.Error: %s", go_map_str(e, m, sizeof(m)));
		return NULL;
	}
	ret = json_object_get(rep, "return");
	if (!json_is_object(ret)) {
		rk_err_set(err, "unexpected reply: %s", buf);
		return NULL;
	}
	return json_incref(ret);
}

/* s4_remove() - remove_hostfwd @id; returns 0 or -1 with @err set */
static int s4_remove(struct s4_drv *d, int id, struct rk_err *err)
{
	json_auto_t *ret = call(d, json_pack("{s:s, s:{s:i}}", "execute",
					     "remove_hostfwd", "arguments", "id", id),
				err);

	return ret ? 0 : -1;
}

/* s4_add() - add_hostfwd for @s; returns slirp4netns's ID or -1 */
static int s4_add(struct rk_port_driver *drv, const struct rk_port_spec *s,
		  struct rk_err *err)
{
	struct s4_drv *d = container_of(drv, struct s4_drv, drv);
	const char *guest = s->child_ip[0] ? s->child_ip : d->child_ip;
	char proto[8];
	struct in_addr a;
	json_auto_t *ret = NULL;
	json_t *id;

	if (!rk_port_driver_serves(drv, s->proto))
		return rk_err_set(err, "unsupported protocol \"%s\"", s->proto);
	snprintf(proto, sizeof(proto), "%.3s", s->proto);
	if (inet_pton(AF_INET, guest, &a) != 1) {
		struct in6_addr a6;

		if (inet_pton(AF_INET6, guest, &a6) == 1)
			return rk_err_set(err, "unsupported IP (v6?): %s", guest);
		return rk_err_set(err, "invalid IP: \"%s\"", guest);
	}
	ret = call(d, json_pack("{s:s, s:{s:s, s:s, s:i, s:s, s:i}}", "execute",
				"add_hostfwd", "arguments", "proto", proto,
				"host_addr", s->parent_ip, "host_port",
				s->parent_port, "guest_addr", guest,
				"guest_port", s->child_port), err);
	if (!ret)
		return -1;
	id = json_object_get(ret, "id");
	if (!json_is_integer(id) || json_integer_value(id) <= 0 ||
	    json_integer_value(id) > 0x7fffffff) {
		char *t = json_dumps(ret, JSON_COMPACT);

		rk_err_set(err, "unexpected reply: %s", t ? t : "?");
		free(t);
		return -1;
	}
	return (int)json_integer_value(id);
}

/* s4_expose() - rk_port_driver.expose: add_hostfwd; returns the API ID
 * (slirp4netns's, as upstream, until slirp4netns was restarted) or -1 */
static int s4_expose(struct rk_port_driver *drv, const struct rk_port_spec *s,
		     void **priv, struct rk_err *err)
{
	struct s4_drv *d = container_of(drv, struct s4_drv, drv);
	int sid = s4_add(drv, s, err), id;

	if (sid < 0)
		return -1;
	id = d->restarted ? d->last_id + 1 : sid;
	if (map_set(d, id, sid, err) < 0) {
		struct rk_err e2;

		s4_remove(d, sid, &e2);
		return -1;
	}
	if (id > d->last_id)
		d->last_id = id;
	*priv = NULL;
	return id;
}

/* s4_reattach() - rk_port_driver.reattach: add port @s again to a new
 * slirp4netns; remembers its new slirp4netns ID; 0 or -1 */
static int s4_reattach(struct rk_port_driver *drv, int id,
		       const struct rk_port_spec *s, void **priv,
		       struct rk_err *err)
{
	struct s4_drv *d = container_of(drv, struct s4_drv, drv);
	int sid;

	d->restarted = true;
	sid = s4_add(drv, s, err);
	if (sid < 0)
		return -1;
	return map_set(d, id, sid, err);
}

/* s4_unexpose() - rk_port_driver.unexpose: remove_hostfwd; 0 or -1 (the
 * port stays, keep_on_unexpose_error) */
static int s4_unexpose(struct rk_port_driver *drv, int id, void *priv,
		       struct rk_err *err)
{
	struct s4_drv *d = container_of(drv, struct s4_drv, drv);
	int i = map_find(d, id);

	if (s4_remove(d, i < 0 ? id : d->map[i].sid, err) < 0)
		return -1;
	if (i >= 0)
		d->map[i] = d->map[--d->nmap];
	return 0;
}

static void s4_destroy(struct rk_port_driver *drv)
{
	struct s4_drv *d = container_of(drv, struct s4_drv, drv);

	free(d->map);
	free(d);
}

struct rk_port_driver *rk_slirp4netns_port_new(const char *api_sock,
					       const char *child_ip,
					       struct rk_err *err)
{
	struct s4_drv *d;

	if (strlen(api_sock) >= sizeof(d->sock)) {
		rk_err_set(err, "slirp4netns API socket path too long: %s", api_sock);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		rk_err_errno(err, ENOMEM, "slirp4netns port driver");
		return NULL;
	}
	d->drv = (struct rk_port_driver){
		.name = "slirp4netns", .protos = rk_slirp4netns_protos,
		.disallow_loopback_child_ip = true,
		.keep_on_unexpose_error = true,
		.expose = s4_expose, .unexpose = s4_unexpose,
		.reattach = s4_reattach, .destroy = s4_destroy,
	};
	snprintf(d->sock, sizeof(d->sock), "%s", api_sock);
	snprintf(d->child_ip, sizeof(d->child_ip), "%s", child_ip);
	return &d->drv;
}
