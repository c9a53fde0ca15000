// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_http.c - libFuzzer target for the API's HTTP engine (src/api/http.c)
 *
 *   make fuzz          # clang -fsanitize=fuzzer,address,undefined, 60 s
 *
 * The input is split at its first byte's value into two deliveries, so
 * requests arriving in pieces are covered as well as whole ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"

static void handler(void *cls, const struct rk_http_req *req, struct rk_http_resp *resp)
{
	(void)cls;
	resp->status = req->body_len ? 201 : 200;
	resp->ctype = "application/json";
	resp->body = malloc(req->body_len + 1);
	if (resp->body) {
		memcpy(resp->body, req->body, req->body_len);
		resp->len = req->body_len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rk_http_conn c = { 0 };
	size_t cut = size ? data[0] * size / 256 : 0;

	c.in = malloc(size + 1);
	if (!c.in)
		return 0;
	memcpy(c.in, data, cut);
	c.in_len = cut;
	if (rk_http_process(&c, handler, NULL) == 0 && !c.closing) {
		memcpy(c.in + c.in_len, data + cut, size - cut);
		c.in_len += size - cut;
		rk_http_process(&c, handler, NULL);
	}
	free(c.in);
	free(c.out);
	return 0;
}
