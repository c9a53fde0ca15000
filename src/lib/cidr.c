// SPDX-License-Identifier: Apache-2.0
/*
 * cidr.c - IPv4 network arithmetic, see cidr.h
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int rk_cidr_parse(const char *s, struct rk_cidr *out, struct rk_err *err)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	struct in_addr in;
	uint32_t ip, mask;
	int prefix;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return rk_err_set(err, "invalid CIDR address: %s", s);
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1) {
		struct in6_addr in6;

		if (inet_pton(AF_INET6, addr, &in6) == 1)
			return rk_err_set(err, "expected IPv4 address, got %s",
					  addr);
		return rk_err_set(err, "invalid CIDR address: %s", s);
	}
	if (slash[1] == '+' || slash[1] == '-' ||
	    rk_parse_int(slash + 1, &prefix) < 0 || prefix < 0 || prefix > 32)
		return rk_err_set(err, "invalid CIDR address: %s", s);
	ip = ntohl(in.s_addr);
	mask = prefix ? ~0U << (32 - prefix) : 0;
	if (ip & ~mask)
		return rk_err_set(err, "cidr must be like 10.0.2.0/24, not like 10.0.2.100/24");
	out->net = ip;
	out->prefix = prefix;
	return 0;
}

const char *rk_ip4_str(uint32_t ip, char *buf)
{
	snprintf(buf, INET_ADDRSTRLEN, "%u.%u.%u.%u", ip >> 24,
		 (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

int rk_ip4_add(uint32_t base, uint32_t n, uint32_t *out, struct rk_err *err)
{
	char buf[INET_ADDRSTRLEN];

	if ((uint64_t)base + n > UINT32_MAX)
		return rk_err_set(err, "%s + %u overflows",
				  rk_ip4_str(base, buf), n);
	*out = base + n;
	return 0;
}
