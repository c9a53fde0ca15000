/* SPDX-License-Identifier: Apache-2.0
 *
 * client.h - REST API client (libcurl over the unix socket)
 */
#ifndef RK_API_CLIENT_H
#define RK_API_CLIENT_H

#include <stdbool.h>

#include <jansson.h>

#include "../lib/err.h"
#include "../port/spec.h"

struct rk_client {
	char socket[4096];
	bool debug;		/* log requests and replies to stderr */
};

/* rk_client_init() - a client for the API socket at @socket, which must
 * exist ("stat <path>: no such file or directory"); returns 0 or -1 */
int rk_client_init(struct rk_client *c, const char *socket, bool debug,
		   struct rk_err *err);

/* rk_client_info() - GET /v1/info; *@out is a new reference; 0 or -1 */
int rk_client_info(struct rk_client *c, json_t **out, struct rk_err *err);

/* rk_client_list_ports() - GET /v1/ports; *@out is malloc()ed (free it),
 * *@n its length; 0 or -1 */
int rk_client_list_ports(struct rk_client *c, struct rk_port_status **out,
			 int *n, struct rk_err *err);

/* rk_client_add_port() - POST /v1/ports; fills @out; 0 or -1 with the
 * server's message */
int rk_client_add_port(struct rk_client *c, const struct rk_port_spec *spec,
		       struct rk_port_status *out, struct rk_err *err);

/* rk_client_remove_port() - DELETE /v1/ports/@id; 0 or -1 */
int rk_client_remove_port(struct rk_client *c, int id, struct rk_err *err);

#endif
