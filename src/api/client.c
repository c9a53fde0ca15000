// SPDX-License-Identifier: Apache-2.0
/*
 * client.c - REST API client
 *
 * Theory of operation: one libcurl easy request per call, over the unix
 * socket (CURLOPT_UNIX_SOCKET_PATH; the host part of the URL is ignored).
 * Replies are decoded into the same structs the server uses.  A non-2xx
 * reply becomes an error carrying the server's {"message": ...}, or, when
 * the body is not that, Go's `unexpected HTTP status <status>, body="..."`
 * as upstream's client words it.
 */
#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/util.h"

struct buf {
	char *p;
	size_t len;
};

struct reply {
	long code;
	char status[128];	/* "404 Not Found" */
	struct buf body;
};

/* on_body() - libcurl write callback: append to the body */
static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct buf *b = user;
	char *np = realloc(b->p, b->len + size * n + 1);

	if (!np)
		return 0;
	memcpy(np + b->len, data, size * n);
	b->p = np;
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

/* on_header() - keep the status text of the status line */
static size_t on_header(char *data, size_t size, size_t n, void *user)
{
	struct reply *r = user;
	size_t len = size * n;

	if (len > 9 && !strncmp(data, "HTTP/", 5)) {
		const char *sp = memchr(data, ' ', len);

		if (sp) {
			size_t l = len - (size_t)(sp + 1 - data);

			while (l && (sp[l] == '\r' || sp[l] == '\n'))
				l--;
			snprintf(r->status, sizeof(r->status), "%.*s", (int)l, sp + 1);
			while (strlen(r->status) &&
			       strchr("\r\n", r->status[strlen(r->status) - 1]))
				r->status[strlen(r->status) - 1] = '\0';
		}
	}
	return len;
}

/* go_quote() - @s as Go's %q would print it */
static void go_quote(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < len && o + 6 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"': o += (size_t)snprintf(out + o, cap - o, "\\\""); break;
		case '\\': o += (size_t)snprintf(out + o, cap - o, "\\\\"); break;
		case '\n': o += (size_t)snprintf(out + o, cap - o, "\\n"); break;
		case '\r': o += (size_t)snprintf(out + o, cap - o, "\\r"); break;
		case '\t': o += (size_t)snprintf(out + o, cap - o, "\\t"); break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
			else
				out[o++] = (char)ch;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
}

/*
 * request() - one HTTP request; fills @r.  Returns 0 for a 2xx reply, -1
 * with @err set otherwise (transport error or the server's message).
 */
static int request(struct rk_client *c, const char *method, const char *path,
		   const char *body, struct reply *r, struct rk_err *err)
{
	struct curl_slist *hdr = NULL;
	char url[256];
	CURLcode rc;
	CURL *h;

	memset(r, 0, sizeof(*r));
	h = curl_easy_init();
	if (!h)
		return rk_err_set(err, "curl_easy_init failed");
	snprintf(url, sizeof(url), "http://rootlesskit%s", path);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	if (c->debug)
		fprintf(stderr, "DEBU[0000] %s %s (socket %s)\n", method, url, c->socket);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK)
		return rk_err_set(err, "%s %s: %s", method, url, curl_easy_strerror(rc));
	if (c->debug)
		fprintf(stderr, "DEBU[0000] reply: %s %.*s\n", r->status,
			(int)(r->body.len && r->body.p[r->body.len - 1] == '\n' ?
			      r->body.len - 1 : r->body.len),
			r->body.p ? r->body.p : "");
	if (r->code / 100 == 2)
		return 0;
	{
		json_auto_t *j = r->body.len ? json_loadb(r->body.p, r->body.len, 0, NULL) : NULL;
		const char *m = json_string_value(json_object_get(j, "message"));
		char q[1024];

		if (m) {
			rk_err_set(err, "%s", m);
		} else {
			go_quote(r->body.p ? r->body.p : "", r->body.len, q, sizeof(q));
			rk_err_set(err, "unexpected HTTP status %s, body=%s", r->status, q);
		}
	}
	free(r->body.p);
	r->body.p = NULL;
	return -1;
}

/* decode() - the reply body as JSON; NULL with @err set */
static json_t *decode(struct reply *r, struct rk_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(r->body.p ? r->body.p : "", r->body.len,
			       JSON_DECODE_ANY, &je);

	free(r->body.p);
	r->body.p = NULL;
	if (!j)
		rk_err_set(err, "invalid reply: %s", je.text);
	return j;
}

int rk_client_init(struct rk_client *c, const char *socket, bool debug,
		   struct rk_err *err)
{
	struct stat st;

	memset(c, 0, sizeof(*c));
	if (stat(socket, &st) < 0)
		return rk_err_errno(err, errno, "stat %s", socket);
	snprintf(c->socket, sizeof(c->socket), "%s", socket);
	c->debug = debug;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

int rk_client_info(struct rk_client *c, json_t **out, struct rk_err *err)
{
	struct reply r;

	if (request(c, "GET", "/v1/info", NULL, &r, err) < 0)
		return -1;
	*out = decode(&r, err);
	return *out ? 0 : -1;
}

int rk_client_list_ports(struct rk_client *c, struct rk_port_status **out,
			 int *n, struct rk_err *err)
{
	struct reply r;
	json_auto_t *j = NULL;
	json_t *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (request(c, "GET", "/v1/ports", NULL, &r, err) < 0 ||
	    !(j = decode(&r, err)))
		return -1;
	if (json_is_null(j))		/* upstream's empty list */
		return 0;
	if (!json_is_array(j))
		return rk_err_set(err, "invalid reply: not a list of ports");
	*out = calloc(json_array_size(j) + 1, sizeof(**out));
	if (!*out)
		return rk_err_errno(err, ENOMEM, "list ports");
	json_array_foreach(j, i, v) {
		if (rk_port_status_from_json(v, &(*out)[i], err) < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	*n = (int)json_array_size(j);
	return 0;
}

int rk_client_add_port(struct rk_client *c, const struct rk_port_spec *spec,
		       struct rk_port_status *out, struct rk_err *err)
{
	json_auto_t *js = rk_port_spec_to_json(spec), *j = NULL;
	cleanup_free char *body = js ? json_dumps(js, JSON_COMPACT |
						  JSON_PRESERVE_ORDER) : NULL;
	struct reply r;

	if (!body)
		return rk_err_errno(err, ENOMEM, "add port");
	if (request(c, "POST", "/v1/ports", body, &r, err) < 0 ||
	    !(j = decode(&r, err)))
		return -1;
	return rk_port_status_from_json(j, out, err);
}

int rk_client_remove_port(struct rk_client *c, int id, struct rk_err *err)
{
	struct reply r;
	char path[64];

	snprintf(path, sizeof(path), "/v1/ports/%d", id);
	if (request(c, "DELETE", path, NULL, &r, err) < 0)
		return -1;
	free(r.body.p);
	return 0;
}
