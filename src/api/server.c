// SPDX-License-Identifier: Apache-2.0
/*
 * server.c - the REST API (HTTP/1.1 on a unix socket)
 *
 * Theory of operation: http.c speaks HTTP/1.1 (keep-alive, chunked bodies,
 * "Expect: 100-continue", limits, malformed requests) without a thread or
 * a blocking call, inside the parent's epoll loop next to the port driver,
 * so a slow or stalled API client cannot hold up forwarded traffic, and
 * port handlers run on the same thread as the data plane, with no locks.
 * Adding or removing a port is synchronous: the reply is sent after the
 * listener is bound or closed.
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

/* set() - @resp = @status with @body (copied) */
static void set(struct rk_http_resp *resp, int status, const char *ctype,
		const char *body)
{
	resp->status = status;
	resp->ctype = ctype;
	resp->body = body ? strdup(body) : NULL;
	resp->len = resp->body ? strlen(resp->body) : 0;
	if (body && !resp->body)
		resp->status = 500;
}

/* set_json() - @j (stolen) as JSON + newline, like Go's json.Encoder */
static void set_json(struct rk_http_resp *resp, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
				 JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	resp->status = s ? status : 500;
	resp->ctype = "application/json";
	if (s && asprintf(&resp->body, "%s\n", s) >= 0) {
		resp->len = strlen(resp->body);
	} else {
		resp->body = NULL;
		resp->status = 500;
	}
	free(s);
}

/* set_error() - {"message": @msg} with @status */
static void set_error(struct rk_http_resp *resp, int status, const char *msg)
{
	set_json(resp, status, json_pack("{s:s}", "message", msg));
}

/* get_ports() - GET /v1/ports */
static void get_ports(struct rk_api *a, struct rk_http_resp *resp)
{
	json_t *arr = json_array();

	for (int i = 0; i < a->ports->n; i++)
		json_array_append_new(arr, rk_port_status_to_json(&a->ports->v[i].st));
	set_json(resp, 200, arr);
}

/* post_ports() - POST /v1/ports with a Spec body */
static void post_ports(struct rk_api *a, const struct rk_http_req *req,
		       struct rk_http_resp *resp)
{
	struct rk_port_spec spec;
	struct rk_port_status st;
	struct rk_err err = { 0 };
	json_error_t je;
	json_auto_t *j = NULL;

	if (req->body_len == 0) {
		set_error(resp, 400, "EOF");
		return;
	}
	j = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, &je);
	if (!j) {
		set_error(resp, 400, je.text);
		return;
	}
	if (rk_port_spec_from_json(j, &spec, &err) < 0) {
		set_error(resp, 400, err.msg);
		return;
	}
	if (rk_ports_add(a->ports, &spec, &st, &err) < 0) {
		set_error(resp, 400, err.msg);
		return;
	}
	rk_debug("api: exposed port %d", st.id);
	set_json(resp, 201, rk_port_status_to_json(&st));
}

/* delete_port() - DELETE /v1/ports/{id} */
static void delete_port(struct rk_api *a, const char *ids,
			struct rk_http_resp *resp)
{
	struct rk_err err = { 0 };
	char msg[2200];
	int id;

	if (rk_parse_int(ids, &id) < 0) {
		snprintf(msg, sizeof(msg),
			 "bad id %s: strconv.Atoi: parsing \"%s\": invalid syntax",
			 ids, ids);
		set_error(resp, 400, msg);
		return;
	}
	if (rk_ports_remove(a->ports, id, &err) < 0) {
		set_error(resp, 400, err.msg);
		return;
	}
	set(resp, 200, NULL, NULL);
}

/* route() - the http.c handler: dispatch one request */
static void route(void *cls, const struct rk_http_req *req,
		  struct rk_http_resp *resp)
{
	struct rk_api *a = cls;
	const char *url = req->path, *m = req->method;
	bool get = !strcmp(m, "GET");

	if (!strcmp(url, "/v1/info")) {
		if (!get)
			set(resp, 405, NULL, NULL);
		else
			set_json(resp, 200, json_incref(a->info));
	} else if (!strcmp(url, "/v1/ports")) {
		if (!get && strcmp(m, "POST"))
			set(resp, 405, NULL, NULL);
		else if (!a->ports->drv)
			set_error(resp, 400, "no PortDriver is available");
		else if (get)
			get_ports(a, resp);
		else
			post_ports(a, req, resp);
	} else if (!strncmp(url, "/v1/ports/", 10) && url[10] &&
		   !strchr(url + 10, '/')) {
		if (strcmp(m, "DELETE"))
			set(resp, 405, NULL, NULL);
		else if (!a->ports->drv)
			set_error(resp, 400, "no PortDriver is available");
		else
			delete_port(a, url + 10, resp);
	} else {
		set(resp, 404, "text/plain; charset=utf-8", "404 page not found\n");
	}
}

/* listen_unix() - a listening unix socket at @path, mode 0600; a stale
 * socket there is removed, anything else makes bind fail; returns the fd
 * or -1 */
static int listen_unix(const char *path, struct rk_err *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return rk_err_set(err, "listen unix %s: path too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
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
	int fd;

	*a = (struct rk_api){ .ports = ports, .info = info };
	snprintf(a->path, sizeof(a->path), "%s", path);
	if (ports->drv)
		json_object_set_new(info, "portDriver", port_driver_info(ports->drv));
	fd = listen_unix(path, err);
	if (fd < 0)
		return -1;
	if (rk_http_start(&a->http, loop, fd, route, a, err) < 0) {
		unlink(path);
		return -1;
	}
	a->started = true;
	return 0;
}

void rk_api_stop(struct rk_api *a)
{
	if (a->started) {
		rk_http_stop(&a->http);
		unlink(a->path);
		a->started = false;
	}
	json_decref(a->info);
	a->info = NULL;
}
