// SPDX-License-Identifier: Apache-2.0
/*
 * server.c - the REST API (HTTP/1.1 on a unix socket)
 *
 * Theory of operation: libmicrohttpd does the HTTP (keep-alive, chunked
 * bodies, "Expect: 100-continue", malformed requests, header size limits)
 * in "external epoll" mode: it never blocks and owns no thread; its epoll
 * fd sits in the parent's loop next to the port driver, so a slow or
 * stalled API client cannot hold up forwarded traffic, and port handlers
 * run on the same thread as the data plane, with no locks.  Adding or
 * removing a port is synchronous: the reply is sent after the listener is
 * bound or closed.
 *
 * Routes, status codes and texts follow upstream (gorilla/mux + Go's
 * net/http): exact paths, 404 "404 page not found" for unknown paths, 405
 * with an empty body for a known path with another method, 400 with
 * {"message": ...} for driver errors, 201 for a new port.  Bodies over
 * 64 KiB get 413.  Upstream returns `null` for an empty port list; we
 * return `[]`, which every client (Go's included) accepts.
 */
#include "server.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/util.h"

#define MAX_BODY ((size_t)64 * 1024)

/* Per-request state: the body collected so far. */
struct req {
	char *body;
	size_t len;
	bool too_big;
};

/* respond() - queue @body with @status; returns MHD's result */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status,
			       const char *ctype, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* respond_json() - @j (stolen) as JSON + newline, like Go's json.Encoder */
static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status,
				    json_t *j)
{
	cleanup_free char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
					      JSON_ENCODE_ANY) : NULL;
	cleanup_free char *body = NULL;

	json_decref(j);
	if (!s || asprintf(&body, "%s\n", s) < 0) {
		body = NULL;
		return MHD_NO;
	}
	return respond(c, status, "application/json", body);
}

/* respond_error() - {"message": @msg} with @status */
static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status,
				     const char *msg)
{
	return respond_json(c, status, json_pack("{s:s}", "message", msg));
}

/* get_ports() - GET /v1/ports */
static enum MHD_Result get_ports(struct rk_api *a, struct MHD_Connection *c)
{
	json_t *arr = json_array();

	for (int i = 0; i < a->ports->n; i++)
		json_array_append_new(arr, rk_port_status_to_json(&a->ports->v[i].st));
	return respond_json(c, MHD_HTTP_OK, arr);
}

/* post_ports() - POST /v1/ports with a Spec body */
static enum MHD_Result post_ports(struct rk_api *a, struct MHD_Connection *c,
				  struct req *q)
{
	struct rk_port_spec spec;
	struct rk_port_status st;
	struct rk_err err = { 0 };
	json_error_t je;
	json_t *j;

	if (q->len == 0)
		return respond_error(c, MHD_HTTP_BAD_REQUEST, "EOF");
	j = json_loadb(q->body, q->len, JSON_DECODE_ANY, &je);
	if (!j)
		return respond_error(c, MHD_HTTP_BAD_REQUEST, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return respond_error(c, MHD_HTTP_BAD_REQUEST,
				     "json: cannot unmarshal non-object into Go value of type port.Spec");
	}
	if (rk_port_spec_from_json(j, &spec, &err) < 0) {
		json_decref(j);
		return respond_error(c, MHD_HTTP_BAD_REQUEST, err.msg);
	}
	json_decref(j);
	if (rk_ports_add(a->ports, &spec, &st, &err) < 0)
		return respond_error(c, MHD_HTTP_BAD_REQUEST, err.msg);
	rk_debug("api: exposed port %d", st.id);
	return respond_json(c, MHD_HTTP_CREATED, rk_port_status_to_json(&st));
}

/* delete_port() - DELETE /v1/ports/{id} */
static enum MHD_Result delete_port(struct rk_api *a, struct MHD_Connection *c,
				   const char *ids)
{
	struct rk_err err = { 0 };
	char msg[512];
	int id;

	if (rk_parse_int(ids, &id) < 0) {
		snprintf(msg, sizeof(msg),
			 "bad id %s: strconv.Atoi: parsing \"%s\": invalid syntax",
			 ids, ids);
		return respond_error(c, MHD_HTTP_BAD_REQUEST, msg);
	}
	if (rk_ports_remove(a->ports, id, &err) < 0)
		return respond_error(c, MHD_HTTP_BAD_REQUEST, err.msg);
	return respond(c, MHD_HTTP_OK, NULL, "");
}

/* route() - dispatch a complete request */
static enum MHD_Result route(struct rk_api *a, struct MHD_Connection *c,
			     const char *url, const char *m, struct req *q)
{
	bool get = !strcmp(m, "GET");

	if (q->too_big)
		return respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				     "request body too large");
	if (!strcmp(url, "/v1/info")) {
		if (!get)
			return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "");
		return respond_json(c, MHD_HTTP_OK, json_incref(a->info));
	}
	if (!strcmp(url, "/v1/ports")) {
		if (!get && strcmp(m, "POST"))
			return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "");
		if (!a->ports->drv)
			return respond_error(c, MHD_HTTP_BAD_REQUEST,
					     "no PortDriver is available");
		return get ? get_ports(a, c) : post_ports(a, c, q);
	}
	if (!strncmp(url, "/v1/ports/", 10) && url[10] && !strchr(url + 10, '/')) {
		if (strcmp(m, "DELETE"))
			return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "");
		if (!a->ports->drv)
			return respond_error(c, MHD_HTTP_BAD_REQUEST,
					     "no PortDriver is available");
		return delete_port(a, c, url + 10);
	}
	return respond(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
		       "404 page not found\n");
}

/* handler() - libmicrohttpd's access handler: collects the body, then routes */
static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *data,
			       size_t *size, void **state)
{
	struct rk_api *a = cls;
	struct req *q = *state;

	if (!q) {
		const char *cl = MHD_lookup_connection_value(
			c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*state = q;
		/* refuse before "100 Continue" is sent */
		if (cl && strtoull(cl, NULL, 10) > MAX_BODY) {
			q->too_big = true;
			return respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
					     "request body too large");
		}
		return MHD_YES;
	}
	if (*size) {
		if (!q->too_big && q->len + *size <= MAX_BODY) {
			char *nb = realloc(q->body, q->len + *size);

			if (!nb)
				return MHD_NO;
			memcpy(nb + q->len, data, *size);
			q->body = nb;
			q->len += *size;
		} else {
			q->too_big = true;	/* drain, answer 413 at the end */
		}
		*size = 0;
		return MHD_YES;
	}
	return route(a, c, url, method, q);
}

/* completed() - free the per-request state */
static void completed(void *cls, struct MHD_Connection *c, void **state,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *q = *state;

	if (q) {
		free(q->body);
		free(q);
		*state = NULL;
	}
}

/* api_cb() - libmicrohttpd has something to do */
static void api_cb(struct rk_watch *w, uint32_t events)
{
	rk_api_run(container_of(w, struct rk_api, w));
}

/* listen_unix() - a listening unix socket at @path, mode 0600 */
static int listen_unix(const char *path, struct rk_err *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return rk_err_set(err, "listen unix %s: path too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return rk_err_errno(err, errno, "socket");
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0) {
		int e = errno;

		close(fd);
		return rk_err_errno(err, e, "listen unix %s", path);
	}
	return fd;
}

/* port_driver_info() - PortDriverInfo of @d */
static json_t *port_driver_info(const struct rk_port_driver *d)
{
	json_t *protos = json_array(), *o;

	for (const char *const *p = d->protos; *p; p++)
		json_array_append_new(protos, json_string(*p));
	o = json_pack("{s:s, s:o}", "driver", d->name, "protos", protos);
	if (o && d->disallow_loopback_child_ip)
		json_object_set_new(o, "disallowLoopbackChildIP", json_true());
	return o;
}

int rk_api_start(struct rk_api *a, struct rk_loop *loop, const char *path,
		 struct rk_ports *ports, json_t *info, struct rk_err *err)
{
	const union MHD_DaemonInfo *di;
	int fd;

	*a = (struct rk_api){ .loop = loop, .ports = ports, .info = info,
			      .w = { .fd = -1, .cb = api_cb } };
	snprintf(a->path, sizeof(a->path), "%s", path);
	if (ports->drv)
		json_object_set_new(info, "portDriver", port_driver_info(ports->drv));
	fd = listen_unix(path, err);
	if (fd < 0)
		return -1;
	a->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_SUPPRESS_DATE_NO_CLOCK, 0, NULL, NULL,
		handler, a, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		MHD_OPTION_END);
	if (!a->mhd) {
		close(fd);
		unlink(path);
		return rk_err_set(err, "listen unix %s: cannot start the HTTP server",
				  path);
	}
	di = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	a->w.fd = di ? di->epoll_fd : -1;
	if (a->w.fd < 0 || rk_loop_add(loop, &a->w, EPOLLIN) < 0) {
		int e = errno;

		rk_api_stop(a);
		return rk_err_errno(err, e, "api server epoll");
	}
	return 0;
}

int rk_api_timeout_ms(struct rk_api *a)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (!a->mhd || MHD_get_timeout(a->mhd, &t) != MHD_YES)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}

void rk_api_run(struct rk_api *a)
{
	if (a->mhd)
		MHD_run(a->mhd);
}

void rk_api_stop(struct rk_api *a)
{
	if (a->w.fd >= 0) {
		/* the fd belongs to libmicrohttpd: only deregister it */
		epoll_ctl(a->loop->epfd, EPOLL_CTL_DEL, a->w.fd, NULL);
		a->w.fd = -1;
	}
	if (a->mhd) {
		MHD_stop_daemon(a->mhd);
		a->mhd = NULL;
		unlink(a->path);
	}
	json_decref(a->info);
	a->info = NULL;
}
