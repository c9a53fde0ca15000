/* SPDX-License-Identifier: Apache-2.0
 *
 * transparent.h - routing in the child's namespace for
 * --source-ip-transparent (see transparent.c)
 */
#ifndef RK_CHILD_TRANSPARENT_H
#define RK_CHILD_TRANSPARENT_H

/* What works, reported to the parent in ChildInitCompleted */
#define RK_TP_TCP4 1
#define RK_TP_TCP6 2
#define RK_TP_UDP4 4
#define RK_TP_UDP6 8

/* Routing tables and marks, in the child's network namespace */
#define RK_TP_MARK 100		/* upstream's: fwmark and connmark */
#define RK_TP_TABLE_TCP 100	/* local default dev lo */
#define RK_TP_TABLE_UDP 101	/* local CLIENT/32 dev lo src TARGET, per client */

/*
 * rk_transparent_setup() - set up the current network namespace so that
 * sockets bound to a client's address with IP_TRANSPARENT get their
 * replies: for TCP upstream's fwmark/connmark scheme (needs
 * iptables-restore), for UDP a rule "ipproto udp lookup 101" whose table
 * the parent fills with one route per client.  Warns once for what cannot
 * work.  Return: the RK_TP_* bits that work
 */
int rk_transparent_setup(void);

#endif
