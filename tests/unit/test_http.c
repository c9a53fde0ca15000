// SPDX-License-Identifier: Apache-2.0
/* test_http.c - the HTTP/1.1 engine of the API server (src/api/http.c):
 * framing, limits and errors, byte by byte and pipelined */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_continue),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
