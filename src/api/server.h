/* SPDX-License-Identifier: Apache-2.0
 *
 * server.h - the REST API on $STATE_DIR/api.sock
 */
#ifndef RK_API_SERVER_H
#define RK_API_SERVER_H

#include <jansson.h>

#include "../lib/err.h"
#include "../lib/loop.h"
#include "../port/port.h"
#include "http.h"

#define RK_API_VERSION "1.1.1"

struct rk_api {
	struct rk_http_server http;
	bool started;
	struct rk_ports *ports;
	json_t *info;		/* the Info object, portDriver included */
	char path[4200];
};

/*
 * rk_api_start() - listen on @path (mode 0600, a stale socket is replaced)
 * and serve the API from @loop.  @info is the Info object without
 * portDriver (reference stolen).  Returns 0 or -1 with @err set.
 */
int rk_api_start(struct rk_api *a, struct rk_loop *loop, const char *path,
		 struct rk_ports *ports, json_t *info, struct rk_err *err);

/* rk_api_stop() - close every connection and the socket, remove it */
void rk_api_stop(struct rk_api *a);

#endif
