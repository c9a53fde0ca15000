// SPDX-License-Identifier: Apache-2.0
/*
 * rootlesskit-docker-proxy.c - drop-in replacement for Docker's docker-proxy
 * (deprecated upstream since 2.3.0; used by dockerd before v28)
 *
 * Theory of operation: dockerd runs this, inside the RootlessKit namespaces,
 * once per published port, with docker-proxy's Go-style flags and fd 3 as a
 * status pipe ("0\n" = listening, "1\n<error>" = failed).  We ask the
 * RootlessKit API ($ROOTLESSKIT_STATE_DIR/api.sock) which port driver runs:
 *
 *   - none, implicit or no port driver: exec the real docker-proxy with our
 *     own arguments; it answers on fd 3 itself.
 *   - a driver that lacks the proto (tcp6 on slirp4netns): warn, "0\n" on
 *     fd 3, exit 0 without a real proxy (upstream issue #250).
 *   - otherwise: POST the port (host-ip:host-port in the parent, to
 *     CHILDIP:host-port in the namespace), then run the real docker-proxy
 *     listening on CHILDIP:host-port and forwarding to the container.  It
 *     inherits fd 3 and writes the status itself.
 *
 * SIGINT and SIGTERM are blocked (and read from a signalfd) before the port
 * is added, so no signal can come between adding the port and watching for
 * it.  We then poll that signalfd and a pidfd of the real proxy: a signal
 * kills the proxy (SIGKILL, as upstream), a proxy that exits on its own
 * ends us too; either way the port is removed before we exit.
 *
 * Errors travel up as struct rk_err; main() prints them once, like Go's
 * log.Fatal, and writes "1\n<msg>" to fd 3 unless the real proxy already
 * owns the status pipe.  Flag errors follow Go's flag package (message and
 * usage on stderr, exit 2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../api/client.h"
#include "../lib/proc.h"
#include "../lib/signame.h"
#include "../lib/util.h"

#define REAL_PROXY "docker-proxy"
#define STATUS_FD 3

extern char **environ;

struct proxy_opts {
	const char *container_ip;
	long long container_port;
	const char *host_ip;
	long long host_port;
	const char *proto;
};

/* go_quote() - @s as Go's %q prints an ASCII string, into @out */
static void go_quote(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	if (cap < 8)
		return;
	out[o++] = '"';
	for (; *s && o + 6 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch == '\n') {
			o += (size_t)snprintf(out + o, cap - o, "\\n");
		} else if (ch == '\t') {
			o += (size_t)snprintf(out + o, cap - o, "\\t");
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* warn() - one logrus-style warning line on stderr (time="..."
 * level=warning msg="...") */
static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	char msg[1024], q[2200], ts[64], tz[8];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	go_quote(msg, q, sizeof(q));
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(tz, sizeof(tz), "%z", &tm);
	if (!strcmp(tz, "+0000"))
		snprintf(tz, sizeof(tz), "Z");
	else
		memmove(tz + 4, tz + 3, 3), tz[3] = ':';	/* +0100 -> +01:00 */
	fprintf(stderr, "time=\"%s%s\" level=warning msg=%s\n", ts, tz, q);
	fflush(stderr);
}

/* fatal_line() - @msg on stderr the way Go's log.Fatal prints it
 * ("2006/01/02 15:04:05 msg") */
static void fatal_line(const char *msg)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y/%m/%d %H:%M:%S", &tm);
	fprintf(stderr, "%s %s\n", ts, msg);
	fflush(stderr);
}

/* status_fd_open() - true if fd 3 (dockerd's status pipe) is open */
static bool status_fd_open(void)
{
	return fcntl(STATUS_FD, F_GETFD) >= 0;
}

/* write_status() - write @s to fd 3 if it is open; a reader that is gone
 * (EPIPE) is ignored, as Go does for fds other than 1 and 2 */
static void write_status(const char *s)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	if (!status_fd_open())
		return;
	sigaction(SIGPIPE, &ign, &old);
	if (rk_write_all(STATUS_FD, s, strlen(s)) < 0) {
		/* nobody left to tell */
	}
	sigaction(SIGPIPE, &old, NULL);
}

/* ---- Go's flag package --------------------------------------------- */

static const char usage_fmt[] =
	"Usage of %s:\n"
	"  -container-ip string\n"
	"    \tcontainer ip\n"
	"  -container-port int\n"
	"    \tcontainer port (default -1)\n"
	"  -host-ip string\n"
	"    \thost ip\n"
	"  -host-port int\n"
	"    \thost port (default -1)\n"
	"  -proto string\n"
	"    \tproxy protocol (default \"tcp\")\n";

/*
 * go_parse_int() - strconv.ParseInt(s, 0, 64) without '_' separators:
 * optional sign, then 0x/0o/0b, a leading 0 (octal) or decimal digits.
 * Returns 0, -1 for a syntax error, -2 when out of range.
 */
static int go_parse_int(const char *s, long long *out)
{
	const char *p = s;
	bool neg = false;
	unsigned long long v = 0, lim;
	int base = 10;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p += 1;
	if (!*p)
		return -1;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	for (; *p; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'z')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'Z')
			d = *p - 'A' + 10;
		else
			return -1;
		if (d >= base)
			return -1;
		if (v > (lim - (unsigned long long)d) / (unsigned long long)base) {
			/* keep scanning: a later bad digit is a syntax error */
			for (p++; *p; p++) {
				if (!strchr("0123456789abcdefABCDEF", *p))
					return -1;
			}
			return -2;
		}
		v = v * (unsigned long long)base + (unsigned long long)d;
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

/* set_flag() - give flag @name the value @val; 0, or -1 with @err set
 * (Go's "invalid value ..." text) */
static int set_flag(struct proxy_opts *o, const char *name, const char *val,
		    struct rk_err *err)
{
	long long *ip = NULL;
	int r;

	if (!strcmp(name, "container-ip"))
		o->container_ip = val;
	else if (!strcmp(name, "host-ip"))
		o->host_ip = val;
	else if (!strcmp(name, "proto"))
		o->proto = val;
	else if (!strcmp(name, "container-port"))
		ip = &o->container_port;
	else
		ip = &o->host_port;
	if (!ip)
		return 0;
	r = go_parse_int(val, ip);
	if (r < 0)
		return rk_err_set(err, "invalid value \"%s\" for flag -%s: %s", val,
				  name, r == -1 ? "parse error" : "value out of range");
	return 0;
}

/* is_flag() - true if @name is one of our five flags */
static bool is_flag(const char *name)
{
	static const char *const names[] = {
		"container-ip", "container-port", "host-ip", "host-port", "proto",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(names[i], name))
			return true;
	}
	return false;
}

/*
 * parse_flags() - Go's flag.Parse over @argv: "-x v", "-x=v", "--x v",
 * "--x=v"; stops at the first non-flag, "-" or after "--".  Returns 0,
 * 1 for -h/-help (usage printed), or -1 with @err set (the caller prints
 * the message and the usage).
 */
static int parse_flags(struct proxy_opts *o, int argc, char **argv,
		       struct rk_err *err)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i], *val = NULL, *eq;
		char name[256];

		if (strlen(s) < 2 || s[0] != '-')
			break;
		if (!strcmp(s, "--"))
			break;
		s += s[1] == '-' ? 2 : 1;
		if (!*s || *s == '-' || *s == '=')
			return rk_err_set(err, "bad flag syntax: %s", argv[i]);
		eq = strchr(s + 1, '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - s) : strlen(s)), s);
		if (eq)
			val = eq + 1;
		if (!is_flag(name)) {
			if (!strcmp(name, "help") || !strcmp(name, "h"))
				return 1;
			return rk_err_set(err, "flag provided but not defined: -%s", name);
		}
		if (!val) {
			if (i + 1 >= argc)
				return rk_err_set(err, "flag needs an argument: -%s", name);
			val = argv[++i];
		}
		if (set_flag(o, name, val, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- the proxy ------------------------------------------------------ */

/* is_ipv6() - Go's net.ParseIP(s) != nil && To4() == nil: a valid IPv6
 * address that is not IPv4-mapped */
static bool is_ipv6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1 && !IN6_IS_ADDR_V4MAPPED(&a);
}

/* exec_real_proxy() - replace this process with docker-proxy and our own
 * arguments; returns -1 with @err set only when that fails */
static int exec_real_proxy(int argc, char **argv, struct rk_err *err)
{
	char path[4096];
	char **av;
	int e;

	if (rk_lookpath(REAL_PROXY, path, sizeof(path), err) < 0)
		return -1;
	av = calloc((size_t)argc + 1, sizeof(*av));
	if (!av)
		return rk_err_errno(err, ENOMEM, "exec");
	av[0] = (char *)REAL_PROXY;
	for (int i = 1; i < argc; i++)
		av[i] = argv[i];
	execve(path, av, environ);
	e = errno;
	free(av);
	return rk_err_set(err, "%s", rk_strerror(e));
}

/*
 * child_ip() - where the port driver delivers inside the namespace:
 * 127.0.0.1 or ::1, or the network driver's childIP when the driver does
 * not allow loopback.  Fills @out; returns 0, or -1 with @err set.
 */
static int child_ip(json_t *info, const char *host_ip, char *out, size_t cap,
		    struct rk_err *err)
{
	json_t *pd = json_object_get(info, "portDriver"),
	       *nd = json_object_get(info, "networkDriver");
	const char *ip;

	snprintf(out, cap, "%s", is_ipv6(host_ip) ? "::1" : "127.0.0.1");
	if (!json_is_true(json_object_get(pd, "disallowLoopbackChildIP")))
		return 0;
	ip = json_string_value(json_object_get(nd, "childIP"));
	if (!ip || !*ip) {
		char pq[128], nq[128];

		go_quote(json_string_value(json_object_get(pd, "driver")) ?: "", pq, sizeof(pq));
		go_quote(json_string_value(json_object_get(nd, "driver")) ?: "", nq, sizeof(nq));
		return rk_err_set(err, "port driver (%s) does not allow loopback child IP, but network driver (%s) has no non-loopback IP",
				  pq, nq);
	}
	snprintf(out, cap, "%s", ip);
	return 0;
}

/* driver_serves() - true if the port driver's "protos" list has @proto */
static bool driver_serves(json_t *pd, const char *proto)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(pd, "protos"), i, v) {
		if (json_string_value(v) && !strcmp(json_string_value(v), proto))
			return true;
	}
	return false;
}

/* remove_port() - DELETE the port; a failure is only a warning, as
 * upstream (the proxy is going away anyway) */
static void remove_port(struct rk_client *cl, int id)
{
	struct rk_err err = { 0 };

	if (rk_client_remove_port(cl, id, &err) < 0)
		warn("error while calling PortManager.RemovePort(): %s", err.msg);
}

/*
 * supervise() - start the real proxy (signals already blocked, @sfd their
 * signalfd) and wait for a signal or its exit.  Sets *@started once the
 * proxy owns fd 3.  Returns 0 (exit 0), or -1 with @err set; for a proxy
 * that failed on its own err->exit_code is its status.
 */
static int supervise(const struct proxy_opts *o, const char *cip, int sfd,
		     bool *started, struct rk_err *err)
{
	char cport[32], hport[32], st[64];
	char *argv[] = {
		(char *)REAL_PROXY,
		(char *)"-container-ip", (char *)o->container_ip,
		(char *)"-container-port", cport,
		(char *)"-host-ip", (char *)cip,
		(char *)"-host-port", hport,
		(char *)"-proto", (char *)o->proto,
		NULL,
	};
	struct rk_spawn sp = { .argv = argv, .stdout_fd = -1, .stderr_fd = -1 };
	cleanup_fd int pidfd = -1;
	struct pollfd pfd[2];
	int status;
	pid_t pid;

	snprintf(cport, sizeof(cport), "%lld", o->container_port);
	snprintf(hport, sizeof(hport), "%lld", o->host_port);
	if (status_fd_open()) {
		sp.nfds = 1;
		sp.fds[0] = STATUS_FD;
	}
	pid = rk_spawn(&sp, err);
	if (pid < 0)
		return rk_err_wrap(err, "error while starting %s", REAL_PROXY);
	*started = true;
	pidfd = rk_pidfd_open(pid);
	if (pidfd < 0) {
		int e = errno;

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return rk_err_errno(err, e, "pidfd_open");
	}
	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	while (poll(pfd, 2, -1) < 0) {
		if (errno != EINTR) {
			int e = errno;

			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return rk_err_errno(err, e, "poll");
		}
	}
	if (pfd[0].revents) {		/* SIGINT or SIGTERM: stop it */
		if (kill(pid, SIGKILL) < 0 && errno != ESRCH) {
			int e = errno;

			waitpid(pid, NULL, 0);
			return rk_err_errno(err, e, "error while killing %s", REAL_PROXY);
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return 0;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return rk_err_errno(err, errno, "wait %s", REAL_PROXY);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	rk_err_set(err, "%s exited: %s", REAL_PROXY,
		   rk_wait_status_str(status, st, sizeof(st)));
	err->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return -1;
}

/*
 * run() - everything after flag parsing.  Returns 0 for exit 0, or -1
 * with @err set; *@started tells whether the real proxy had taken over fd
 * 3 by then.  Does not return when it execs the real proxy.
 */
static int run(const struct proxy_opts *o, int argc, char **argv,
	       bool *started, struct rk_err *err)
{
	const char *sd = getenv("ROOTLESSKIT_STATE_DIR");
	struct rk_port_spec spec = { 0 };
	struct rk_port_status ps;
	struct rk_client cl;
	char sock[4200], cip[64], aproto[64];
	json_t *info = NULL, *pd;
	cleanup_fd int sfd = -1;
	sigset_t mask, old;
	int ret = -1;

	if (!sd || !*sd)
		return rk_err_set(err, "$ROOTLESSKIT_STATE_DIR needs to be set");
	snprintf(sock, sizeof(sock), "%s/api.sock", sd);
	if (rk_client_init(&cl, sock, false, err) < 0)
		return rk_err_wrap(err, "error while connecting to RootlessKit API socket");
	if (rk_client_info(&cl, &info, err) < 0)
		return rk_err_wrap(err, "failed to call info API, probably RootlessKit binary is too old (needs to be v0.14.0 or later)");
	pd = json_object_get(info, "portDriver");
	if (!json_is_object(pd) ||
	    !strcmp(json_string_value(json_object_get(pd, "driver")) ?: "", "none") ||
	    !strcmp(json_string_value(json_object_get(pd, "driver")) ?: "", "implicit")) {
		json_decref(info);
		return exec_real_proxy(argc, argv, err);
	}
	if (child_ip(info, o->host_ip, cip, sizeof(cip), err) < 0)
		goto out;

	snprintf(aproto, sizeof(aproto), "%s", o->proto);
	if (!*o->proto || (o->proto[strlen(o->proto) - 1] != '4' &&
			   o->proto[strlen(o->proto) - 1] != '6'))
		snprintf(aproto, sizeof(aproto), "%s%s", o->proto,
			 is_ipv6(o->host_ip) ? "6" : "4");
	if (!driver_serves(pd, aproto) || strlen(aproto) >= sizeof(spec.proto)) {
		char hp[128], q[160], pq[160], dq[128];

		snprintf(hp, sizeof(hp), strchr(o->host_ip, ':') ? "[%s]:%lld" : "%s:%lld",
			 o->host_ip, o->host_port);
		go_quote(hp, q, sizeof(q));
		go_quote(aproto, pq, sizeof(pq));
		go_quote(json_string_value(json_object_get(pd, "driver")) ?: "", dq, sizeof(dq));
		warn("protocol %s is not supported by the RootlessKit port driver %s, discarding request for %s",
		     pq, dq, q);
		write_status("0\n");
		ret = 0;
		goto out;
	}
	if (o->host_port < INT_MIN || o->host_port > INT_MAX) {
		rk_err_set(err, "error while calling PortManager.AddPort(): invalid ParentPort: %lld",
			   o->host_port);
		goto out;
	}
	/* fits: its length was checked above (gcc -O0/-O1 cannot see that) */
	memcpy(spec.proto, aproto, strlen(aproto) + 1);
	snprintf(spec.parent_ip, sizeof(spec.parent_ip), "%s", o->host_ip);
	spec.parent_port = (int)o->host_port;
	snprintf(spec.child_ip, sizeof(spec.child_ip), "%s", cip);
	spec.child_port = (int)o->host_port;

	/* from here on a SIGINT/SIGTERM is read, not fatal: nothing can
	 * slip between adding the port and watching for signals */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		rk_err_errno(err, errno, "signalfd");
		goto out;
	}
	if (rk_client_add_port(&cl, &spec, &ps, err) < 0) {
		rk_err_wrap(err, "error while calling PortManager.AddPort()");
		goto out;
	}
	ret = supervise(o, cip, sfd, started, err);
	remove_port(&cl, ps.id);
out:
	json_decref(info);
	return ret;
}

int main(int argc, char **argv)
{
	struct proxy_opts o = {
		.container_ip = "", .container_port = -1,
		.host_ip = "", .host_port = -1, .proto = "tcp",
	};
	struct rk_err err = { 0 };
	bool started = false;
	int r;

	r = parse_flags(&o, argc, argv, &err);
	if (r != 0) {
		if (r < 0)
			fprintf(stderr, "%s\n", err.msg);
		fprintf(stderr, usage_fmt, argv[0] ? argv[0] : "rootlesskit-docker-proxy");
		if (r < 0) {
			char buf[RK_ERR_MSG_MAX + 4];

			snprintf(buf, sizeof(buf), "1\n%s", err.msg);
			write_status(buf);
		}
		return r < 0 ? 2 : 0;
	}
	if (run(&o, argc, argv, &started, &err) == 0)
		return 0;
	if (!started) {
		char buf[RK_ERR_MSG_MAX + 4];

		snprintf(buf, sizeof(buf), "1\n%s", err.msg);
		write_status(buf);
	}
	fatal_line(err.msg);
	return err.exit_code ? err.exit_code : 1;
}
