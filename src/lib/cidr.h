/* SPDX-License-Identifier: Apache-2.0
 *
 * cidr.h - IPv4 network arithmetic for the network drivers: the default
 * 10.0.2.0/24 gives the child 10.0.2.100, gateway .2 and DNS .3.
 */
#ifndef RK_CIDR_H
#define RK_CIDR_H

#include <netinet/in.h>
#include <stdint.h>

#include "err.h"

struct rk_cidr {
	uint32_t net;	/* network address, host byte order */
	int prefix;	/* 0..32 */
};

/**
 * rk_cidr_parse() - parse an IPv4 CIDR like Go's net.ParseCIDR + host check
 * @s:		text such as "10.0.2.0/24"
 * @out:	result
 * @err:	error out
 *
 * Return: 0, or -1 with "invalid CIDR address: <s>" or "cidr must be like
 * 10.0.2.0/24, not like 10.0.2.100/24"
 */
int rk_cidr_parse(const char *s, struct rk_cidr *out, struct rk_err *err);

/**
 * rk_ip4_add() - add an offset to an address
 * @base:	host byte order
 * @n:		offset
 * @out:	result
 * @err:	error out
 *
 * Return: 0, or -1 with "<ip> + <n> overflows"
 */
int rk_ip4_add(uint32_t base, uint32_t n, uint32_t *out, struct rk_err *err);

/**
 * rk_ip4_str() - format an address
 * @ip:		host byte order
 * @buf:	at least INET_ADDRSTRLEN bytes
 *
 * Return: @buf
 */
const char *rk_ip4_str(uint32_t ip, char *buf);

#endif
