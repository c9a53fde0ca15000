// SPDX-License-Identifier: Apache-2.0
/*
 * sockaddr.c - socket addresses: parsing, conversion, text (see sockaddr.h)
 */
#include "sockaddr.h"

#include <arpa/inet.h>
#include <stdio.h>

int rk_sa_parse(const char *s, union rk_sa *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr)) {
			struct in_addr v4;

			memcpy(&v4, &a->in6.sin6_addr.s6_addr[12], 4);
			memset(a, 0, sizeof(*a));
			a->in.sin_family = AF_INET;
			a->in.sin_addr = v4;
		}
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return -1;
}

void rk_sa_set_port(union rk_sa *a, int port)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons((uint16_t)port);
	else
		a->in.sin_port = htons((uint16_t)port);
}

bool rk_sa_is_unspec(const union rk_sa *a)
{
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->in6.sin6_addr);
	return a->in.sin_addr.s_addr == htonl(INADDR_ANY);
}

void rk_sa_to_v6(union rk_sa *a)
{
	struct in_addr v4 = a->in.sin_addr;
	bool any = v4.s_addr == htonl(INADDR_ANY);

	if (a->sa.sa_family == AF_INET6)
		return;
	memset(a, 0, sizeof(*a));
	a->in6.sin6_family = AF_INET6;
	if (!any) {
		a->in6.sin6_addr.s6_addr[10] = 0xff;
		a->in6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&a->in6.sin6_addr.s6_addr[12], &v4, 4);
	}
}

void rk_sa_addr_only(const union rk_sa *in, union rk_sa *out)
{
	memset(out, 0, sizeof(*out));
	if (in->sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&in->in6.sin6_addr)) {
		out->in.sin_family = AF_INET;
		memcpy(&out->in.sin_addr, &in->in6.sin6_addr.s6_addr[12], 4);
	} else if (in->sa.sa_family == AF_INET6) {
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_addr = in->in6.sin6_addr;
	} else {
		out->in.sin_family = AF_INET;
		out->in.sin_addr = in->in.sin_addr;
	}
}

char *rk_sa_str(const union rk_sa *a, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, cap, "[%s]:%u", ip, ntohs(a->in6.sin6_port));
	} else {
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
		snprintf(buf, cap, "%s:%u", ip, ntohs(a->in.sin_port));
	}
	return buf;
}
