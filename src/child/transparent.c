// SPDX-License-Identifier: Apache-2.0
/*
 * transparent.c - routing for source-IP transparency, in the child's
 * network namespace, once at start-up
 *
 * Theory of operation: the parent connects sockets of the child's
 * namespace for each client (src/port/builtin.c).  With
 * --source-ip-transparent it sets IP_TRANSPARENT on such a socket and
 * binds it to the client's address and port, so the service sees the real
 * client.  The service's replies are addressed to that foreign address and
 * would leave by the default route (slirp4netns's tap) or fail with no
 * route (--net=none); they must come back to the socket over lo instead.
 *
 * TCP, as upstream v3.0.1: table 100 routes everything locally ("local
 * default dev lo"); a rule sends packets marked 100 to it; iptables marks
 * the connections of sockets with a non-local source (CONNMARK in mangle
 * OUTPUT) and copies the connection mark onto their packets (MARK in
 * mangle PREROUTING); net.ipv4.tcp_fwmark_accept=1 gives the accepted
 * socket the SYN's mark, so every reply is routed by table 100.
 *
 * UDP, which upstream gave up on (its issue 592): a UDP service has no
 * per-client socket to carry a mark, and a service bound to the wildcard
 * picks the reply's source address from the route to the client, before
 * any netfilter hook runs, so the reply does not even match the flow's
 * conntrack entry.  Instead a rule "ipproto udp lookup 101" consults table
 * 101 first, where the parent keeps one route per active client while its
 * flows live: "local CLIENT dev lo src TARGET".  The reply is then routed
 * over lo with the target address as its source, which is exactly what
 * the flow socket (bound to the client, connected to the target) accepts.
 * No iptables is involved; an empty table 101 falls through to the main
 * table, so other UDP traffic is unaffected.
 */
#include "transparent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/proc.h"
#include "../lib/rtnl.h"
#include "../lib/signame.h"
#include "../lib/util.h"

static const char rules_fmt[] =
	"*mangle\n"
	"-A OUTPUT -p tcp -m addrtype ! --src-type LOCAL -j CONNMARK --set-mark %d\n"
	"-A PREROUTING -p tcp -m connmark --mark %d -j MARK --set-mark %d\n"
	"COMMIT\n";

/* find_tool() - @name in $PATH, else in /usr/sbin or /sbin (an ordinary
 * user's PATH often lacks them); returns 0 or -1 with @err set */
static int find_tool(const char *name, char *out, size_t cap, struct rk_err *err)
{
	const char *dirs[] = { "/usr/sbin", "/sbin" };

	if (rk_lookpath(name, out, cap, err) == 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(out, cap, "%s/%s", dirs[i], name);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* iptables_rules() - upstream's mangle rules with @tool (iptables-restore
 * or ip6tables-restore); returns 0 or -1 with @err set */
static int iptables_rules(const char *tool, struct rk_err *err)
{
	char bin[4096], rules[512], out[1024], st[64];
	char *argv[] = { bin, "--noflush", "/dev/fd/3", NULL };
	struct rk_spawn sp = { .argv = argv, .nfds = 1 };
	cleanup_fd int rfd = memfd_create("rk-rules", MFD_CLOEXEC);
	cleanup_fd int ofd = memfd_create("rk-output", MFD_CLOEXEC);
	int status = 0, n;
	pid_t pid;

	if (find_tool(tool, bin, sizeof(bin), err) < 0)
		return -1;
	if (rfd < 0 || ofd < 0)
		return rk_err_errno(err, errno, "memfd_create");
	n = snprintf(rules, sizeof(rules), rules_fmt, RK_TP_MARK, RK_TP_MARK,
		     RK_TP_MARK);
	if (rk_write_all(rfd, rules, (size_t)n) < 0)
		return rk_err_errno(err, errno, "write rules");
	sp.fds[0] = rfd;
	sp.stdout_fd = sp.stderr_fd = ofd;
	pid = rk_spawn(&sp, err);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return rk_err_errno(err, errno, "wait %s", bin);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return rk_err_set(err, "%s: %s: %s", bin,
			  rk_wait_status_str(status, st, sizeof(st)),
			  rk_read_output(ofd, out, sizeof(out)));
}

/* sysctl_on() - write "1" to the sysctl file @path; returns 0 or -1/errno */
static int sysctl_on(const char *path)
{
	cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "1", 1) != 1)
		return -1;
	return 0;
}

/* family_setup() - routes, rules and iptables for one family; returns the
 * RK_TP_* bits that work, with @why describing what does not */
static int family_setup(int nl, int family, char *why, size_t cap)
{
	bool v6 = family == AF_INET6;
	struct rk_err err = { 0 };
	int ok = 0;

	if (v6 && access("/proc/sys/net/ipv6", F_OK) < 0) {
		snprintf(why, cap, "IPv6 is disabled");
		return 0;
	}
	if (rk_rtnl_rule(nl, family, 0, IPPROTO_UDP, RK_TP_TABLE_UDP, 99, &err) == 0)
		ok |= v6 ? RK_TP_UDP6 : RK_TP_UDP4;
	else
		snprintf(why, cap, "%s", err.msg);
	if (rk_rtnl_local_route(nl, true, family, NULL, 0, NULL,
				RK_TP_TABLE_TCP, &err) < 0 ||
	    rk_rtnl_rule(nl, family, RK_TP_MARK, 0, RK_TP_TABLE_TCP, 100, &err) < 0 ||
	    iptables_rules(v6 ? "ip6tables-restore" : "iptables-restore", &err) < 0) {
		snprintf(why, cap, "%s", err.msg);
		return ok;
	}
	return ok | (v6 ? RK_TP_TCP6 : RK_TP_TCP4);
}

int rk_transparent_setup(void)
{
	char why4[RK_ERR_MSG_MAX] = "", why6[RK_ERR_MSG_MAX] = "";
	cleanup_fd int nl = rk_rtnl_open();
	int ok;

	if (nl < 0) {
		rk_warn("source IP transparent: falling back to non-transparent mode, client source IPs will not be preserved: netlink: %s",
			rk_strerror(errno));
		return 0;
	}
	ok = family_setup(nl, AF_INET, why4, sizeof(why4));
	ok |= family_setup(nl, AF_INET6, why6, sizeof(why6));
	if ((ok & RK_TP_TCP4) && sysctl_on("/proc/sys/net/ipv4/tcp_fwmark_accept") < 0) {
		/* without it the SYN-ACK would leave by the default route */
		rk_warn("source IP transparent: falling back to non-transparent mode for TCP, client source IPs will not be preserved: net.ipv4.tcp_fwmark_accept: %s",
			rk_strerror(errno));
		ok &= ~(RK_TP_TCP4 | RK_TP_TCP6);
		*why4 = '\0';
	}
	if (*why4 && (!(ok & RK_TP_TCP4) || !(ok & RK_TP_UDP4)))
		rk_warn("source IP transparent: falling back to non-transparent mode%s, client source IPs will not be preserved: %s",
			ok & RK_TP_TCP4 ? " for UDP" : ok & RK_TP_UDP4 ? " for TCP" : "",
			why4);
	else if (*why6)
		rk_debug("source IP transparent: not for IPv6: %s", why6);
	return ok;
}
