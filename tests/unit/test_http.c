// SPDX-License-Identifier: Apache-2.0
/* test_http.c - the HTTP/1.1 engine of the API server (src/api/http.c):
 * framing, limits and errors, byte by byte and pipelined; which connection
 * is evicted at the cap, the per-request deadline, and a real server in
 * a loop that takes more clients than the cap and still answers */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/http.h"

static int calls;
static char last_body[RK_HTTP_MAX_BODY + 1];
static char last_path[1024], last_method[16];

/* echo() - answers 200 with "<method> <path> <body>" */
static void echo(void *cls, const struct rk_http_req *req, struct rk_http_resp *resp)
{
	(void)cls;
	calls++;
	memcpy(last_body, req->body, req->body_len);
	last_body[req->body_len] = '\0';
	snprintf(last_path, sizeof(last_path), "%s", req->path);
	snprintf(last_method, sizeof(last_method), "%s", req->method);
	resp->status = 200;
	resp->ctype = "text/plain";
	if (asprintf(&resp->body, "%s %s %s", req->method, req->path, last_body) < 0)
		resp->body = NULL;
	resp->len = resp->body ? strlen(resp->body) : 0;
}

/* feed() - run @in through a fresh connection in pieces of @step bytes;
 * returns the output (static buffer); *closing tells if it ends */
static const char *feed(const char *in, size_t len, size_t step, bool *closing)
{
	static char out[1 << 20];
	struct rk_http_conn c = { 0 };

	calls = 0;
	for (size_t off = 0; off < len && !c.closing; off += step) {
		size_t n = len - off < step ? len - off : step;

		c.in = realloc(c.in, c.in_len + n);
		memcpy(c.in + c.in_len, in + off, n);
		c.in_len += n;
		assert_int_equal(rk_http_process(&c, echo, NULL), 0);
	}
	assert_true(c.out_len < sizeof(out));
	memcpy(out, c.out ? c.out : "", c.out_len);
	out[c.out_len] = '\0';
	if (closing)
		*closing = c.closing;
	free(c.in);
	free(c.out);
	return out;
}

static void test_requests(void **state)
{
	static const char get[] = "GET /v1/info?x=1 HTTP/1.1\r\nHost: rootlesskit\r\n\r\n";
	static const char post[] = "POST /v1/ports HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
	static const char chunked[] = "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n";
	static const char pipelined[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n";
	bool closing;
	const char *o;

	(void)state;
	for (size_t step = 1; step <= sizeof(get); step += 7) {
		o = feed(get, strlen(get), step, &closing);
		assert_string_equal(o, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nGET /v1/info ");
		assert_false(closing);
	}
	for (size_t step = 1; step <= sizeof(post); step += 5) {
		o = feed(post, strlen(post), step, NULL);
		assert_string_equal(last_body, "hello");
		assert_non_null(strstr(o, "\r\n\r\nPOST /v1/ports hello"));
	}
	for (size_t step = 1; step <= sizeof(chunked); step += 3) {
		feed(chunked, strlen(chunked), step, NULL);
		assert_int_equal(calls, 1);
		assert_string_equal(last_body, "abcdefg");
	}
	o = feed(pipelined, strlen(pipelined), strlen(pipelined), &closing);
	assert_int_equal(calls, 2);	/* nothing after "Connection: close" */
	assert_true(closing);
	assert_non_null(strstr(o, "GET /a"));
	assert_non_null(strstr(o, "Connection: close\r\n\r\nGET /b"));
	/* HTTP/1.0 closes unless asked to keep alive; absolute form */
	feed("GET http://rootlesskit/v1/ports HTTP/1.0\r\n\r\n", 44, 44, &closing);
	assert_true(closing);
	assert_string_equal(last_path, "/v1/ports");
	feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 42, 42, &closing);
	assert_false(closing);
	/* bare LF line ends, as Go accepts */
	feed("DELETE /v1/ports/1 HTTP/1.1\nHost: x\n\n", 38, 1, NULL);
	assert_string_equal(last_method, "DELETE");
}

static void test_continue(void **state)
{
	static const char head[] = "POST /p HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
	struct rk_http_conn c = { 0 };

	(void)state;
	c.in = strdup(head);
	c.in_len = strlen(head);
	assert_int_equal(rk_http_process(&c, echo, NULL), 0);
	assert_int_equal(c.out_len, 25);
	assert_memory_equal(c.out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	assert_int_equal(rk_http_process(&c, echo, NULL), 0);
	assert_int_equal(c.out_len, 25);	/* said once */
	c.in = realloc(c.in, c.in_len + 2);
	memcpy(c.in + c.in_len, "ok", 2);
	c.in_len += 2;
	assert_int_equal(rk_http_process(&c, echo, NULL), 0);
	assert_string_equal(last_body, "ok");
	assert_int_equal(c.in_len, 0);
	free(c.in);
	free(c.out);
}

static void test_errors(void **state)
{
	static const struct {
		const char *in;
		int status;
	} cases[] = {
		{ "THIS IS NOT HTTP\r\n\r\n", 400 },
		{ "GET /x HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
		{ "GET /x HTTP/1.1\r\n\r\n", 400 },				/* no Host */
		{ "GET x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },			/* not a path */
		{ "G(T /x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },			/* bad method */
		{ "GET /x HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n", 413 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n20000\r\n", 413 },
		{ "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX", 400 },
	};
	char want[64], *big;
	bool closing;
	const char *o;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = feed(cases[i].in, strlen(cases[i].in), strlen(cases[i].in), &closing);
		snprintf(want, sizeof(want), "HTTP/1.1 %d ", cases[i].status);
		if (strncmp(o, want, strlen(want)))
			fail_msg("case %zu: got \"%.40s\", want %d", i, o, cases[i].status);
		assert_true(closing);
		assert_int_equal(calls, 0);
		assert_non_null(strstr(o, "Connection: close"));
	}
	/* headers beyond 64 KiB: 431, with or without the blank line */
	big = malloc(RK_HTTP_MAX_HEADER + 100);
	memset(big, 'a', RK_HTTP_MAX_HEADER + 100);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	o = feed(big, RK_HTTP_MAX_HEADER + 100, 4096, &closing);
	assert_memory_equal(o, "HTTP/1.1 431 ", 13);
	assert_true(closing);
	free(big);
}

static void test_victim(void **state)
{
	struct rk_http_server s = { 0 };
	struct rk_http_conn c[4] = { 0 };

	(void)state;
	assert_null(rk_http_victim(&s));
	for (int i = 0; i < 4; i++) {
		c[i].next = i < 3 ? &c[i + 1] : NULL;
		c[i].last = 1000;
	}
	s.conns = &c[0];
	c[0].last = 100;	/* oldest, but writing a response */
	c[0].out_len = 10;
	c[1].last = 500;	/* partial request since 500 */
	c[1].in_len = 3;
	c[2].last = 400;	/* idle since 400: the stalest */
	c[3].last = 50;		/* answered, draining */
	c[3].closing = true;
	c[3].drain_until = 2050;
	assert_ptr_equal(rk_http_victim(&s), &c[3]);
	c[2].next = NULL;
	assert_ptr_equal(rk_http_victim(&s), &c[2]);
	c[2].last = 600;	/* a partial request older than any idle */
	assert_ptr_equal(rk_http_victim(&s), &c[1]);
	c[0].next = NULL;	/* only writers left: the oldest of them */
	assert_ptr_equal(rk_http_victim(&s), &c[0]);
}

static void test_expired(void **state)
{
	struct rk_http_conn c = { .last = 1000 };

	(void)state;
	/* idle keep-alive */
	assert_false(rk_http_expired(&c, 1000 + RK_HTTP_IDLE_MS - 1));
	assert_true(rk_http_expired(&c, 1000 + RK_HTTP_IDLE_MS));
	/* a partial request: counted from its first byte, whatever came since */
	c.in_len = 5;
	c.req_start = 2000;
	assert_false(rk_http_expired(&c, 2000 + RK_HTTP_REQUEST_MS - 1));
	assert_true(rk_http_expired(&c, 2000 + RK_HTTP_REQUEST_MS));
	/* an answer the client does not read */
	c.out_len = 7;
	c.out_since = 3000;
	assert_false(rk_http_expired(&c, 3000 + RK_HTTP_WRITE_MS - 1));
	assert_true(rk_http_expired(&c, 3000 + RK_HTTP_WRITE_MS));
	/* draining after an error */
	c.drain_until = 4000;
	assert_false(rk_http_expired(&c, 3999));
	assert_true(rk_http_expired(&c, 4000));
}

/* connect_to() - a client socket connected to @path, the loop turning
 * while the backlog is full */
static int connect_to(struct rk_loop *l, const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	while (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0) {
		assert_int_equal(errno, EAGAIN);
		assert_true(rk_loop_run_once(l, 100) >= 0);
	}
	return fd;
}

/* answer() - send a GET on @fd and turn @l until the answer's status line
 * arrives; returns the bytes read (0: EOF) */
static ssize_t answer(struct rk_loop *l, int fd, char *buf, size_t cap)
{
	static const char req[] = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
	ssize_t n = -1;

	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	for (int i = 0; i < 100 && n < 0; i++) {
		assert_true(rk_loop_run_once(l, 10) >= 0);
		n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
	}
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void test_server_cap(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	enum { N = RK_HTTP_MAX_CONNS + 44 };
	static int fds[N];
	struct rk_http_server s;
	struct rk_err err = { 0 };
	struct rk_loop l;
	char dir[] = "/tmp/rk-http.XXXXXX", buf[512];
	int lfd, keep;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 64), 0);
	assert_int_equal(rk_loop_init(&l, &err), 0);
	assert_int_equal(rk_http_start(&s, &l, lfd, echo, NULL, &err), 0);

	/* a keep-alive client that has just been answered is not the one to
	 * go, though it is the oldest connection */
	keep = connect_to(&l, &sun);
	for (int i = 0; i < N; i++) {
		fds[i] = connect_to(&l, &sun);
		if (i == N - 100) {
			usleep(2000);	/* a later millisecond than the others */
			assert_true(answer(&l, keep, buf, sizeof(buf)) > 0);
		}
		while (rk_loop_run_once(&l, 0) > 0)
			;
	}
	assert_int_equal(s.nconns, RK_HTTP_MAX_CONNS);
	/* the newest client is served; the oldest idle ones were closed */
	assert_true(answer(&l, fds[N - 1], buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n", 17);
	assert_int_equal(recv(fds[0], buf, sizeof(buf), MSG_DONTWAIT), 0);
	assert_true(answer(&l, keep, buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n", 17);
	assert_int_equal(s.nconns, RK_HTTP_MAX_CONNS);

	rk_http_stop(&s);
	rk_loop_fini(&l);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	close(keep);
	unlink(sun.sun_path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_continue),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_victim),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_server_cap),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
