/* SPDX-License-Identifier: Apache-2.0
 *
 * dhcp.h - the DHCPv4 client of --net=lxc-user-nic (see dhcp.c)
 */
#ifndef RK_DHCP_H
#define RK_DHCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "../net/net.h"

/* DHCP message types (option 53) */
enum {
	RK_DHCP_DISCOVER = 1, RK_DHCP_OFFER = 2, RK_DHCP_REQUEST = 3,
	RK_DHCP_ACK = 5, RK_DHCP_NAK = 6,
};

/* What a server's message says; addresses in network byte order, 0 when
 * the option is absent */
struct rk_dhcp_msg {
	int type;		/* option 53, 0 if absent */
	uint32_t yiaddr;	/* "your" address */
	uint32_t server;	/* option 54 (server identifier) */
	uint32_t mask;		/* option 1 */
	uint32_t router;	/* option 3, the first one */
	uint32_t dns;		/* option 6, the first one */
	uint32_t lease;		/* option 51, seconds; 0 if absent */
};

/* rk_dhcp_build() - a client message of @type (DISCOVER or REQUEST) into
 * @buf (at least 300 bytes): BOOTREQUEST, broadcast flag, @xid, @mac;
 * @req_ip (option 50) and @server (option 54) when non-zero.  Returns its
 * length */
size_t rk_dhcp_build(uint8_t *buf, size_t cap, int type, uint32_t xid,
		     const uint8_t mac[6], uint32_t req_ip, uint32_t server);

/* rk_dhcp_parse() - a BOOTREPLY for @xid in @buf into @m; returns 0, or -1
 * with @err set when it is not a well-formed reply to us */
int rk_dhcp_parse(const uint8_t *buf, size_t len, uint32_t xid,
		  struct rk_dhcp_msg *m, struct rk_err *err);

/* rk_dhcp_check_ack() - upstream's checks of an ACK: returns 0, or -1 with
 * "did not get DHCPACK", "got zero YourIPAddr", "got no Router" or "got no
 * DNS" */
int rk_dhcp_check_ack(const struct rk_dhcp_msg *m, struct rk_err *err);

/* rk_dhcp_lease() - in the current network namespace: @cfg->dev up, a
 * DISCOVER/OFFER/REQUEST/ACK exchange on it, and @cfg's ip, prefix,
 * gateway and dns filled from the ACK; *@lease_s gets the lease time
 * (3600 if the server gave none).  Returns 0, or -1 with @err set */
int rk_dhcp_lease(struct rk_netcfg *cfg, uint32_t *lease_s,
		  struct rk_err *err);

/* rk_dhcp_renew_start() - fork the renew loop (rk_dhcp_renew_loop()) with
 * PDEATHSIG=SIGKILL, holding only stdio and @notify_fd; returns its PID,
 * or -1 with @err set */
pid_t rk_dhcp_renew_start(const struct rk_netcfg *cfg, uint32_t lease_s,
			  int notify_fd, struct rk_err *err);

/* rk_dhcp_renew_loop() - every 0.9 x @lease_s seconds: a new
 * exchange on @cfg->dev, which must give @cfg->ip again.  On a failure the
 * error text is written to @notify_fd and the process exits; never returns */
void rk_dhcp_renew_loop(const struct rk_netcfg *cfg, uint32_t lease_s,
			int notify_fd) __attribute__((noreturn));

#endif
