# SPDX-License-Identifier: Apache-2.0
# lib.sh - tiny TAP helpers for the integration tests (sourced).
#
# Every test file sources this, calls `ok`/`not_ok` (or `check`) once per
# assertion and ends with `done_testing`.  RK is the rootlesskit binary.
# Tests run as an unprivileged user with /etc/subuid and /etc/subgid
# ranges (see run).  TMP is a private scratch directory removed at exit.
# PATH is $RK_BIN plus the system's executables minus Go RootlessKit's
# (clean_path).

set -u
RK=${RK_BIN:?}/rootlesskit
RKCTL=$RK_BIN/rootlessctl
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rk-test.XXXXXX")
_n=0
_failed=0
_bg_pids=
trap '_cleanup' EXIT

_cleanup() {
	for p in $_bg_pids; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}

# clean_path - PATH=$RK_BIN:$TMP/path, where $TMP/path holds a symlink to
# every executable of the usual bin directories except rootlesskit*,
# *-rootlesskit and rootlessctl: Debian's Go "rootlesskit" package installs
# /usr/bin/rootlesskit, rootlessctl and rootlesskit-docker-proxy, and a
# client script (dockerd-rootless.sh, dockerd itself) that looks one of them
# up in PATH must find ours or nothing.  Called when lib.sh is sourced.
clean_path() {
	_cp=$TMP/path
	mkdir -p "$_cp"
	for _d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		[ -d "$_d" ] || continue
		for _f in "$_d"/*; do
			_b=${_f##*/}
			case $_b in *rootlesskit* | rootlessctl) continue ;; esac
			[ -x "$_f" ] && [ ! -d "$_f" ] || continue
			[ -e "$_cp/$_b" ] || [ -L "$_cp/$_b" ] || printf '%s\n' "$_f"
		done | xargs -r -d '\n' ln -s -t "$_cp"
	done
	PATH=$RK_BIN:$_cp
	export PATH
}

# check_path - one assertion: rootlesskit, rootlessctl and
# rootlesskit-docker-proxy resolve into $RK_BIN, or not at all
check_path() {
	_bad=
	for _b in rootlesskit rootlessctl rootlesskit-docker-proxy docker-rootlesskit; do
		_w=$(command -v "$_b" 2>/dev/null) || continue
		[ "$_w" = "$RK_BIN/$_b" ] || _bad="$_bad $_b=$_w"
	done
	if [ -z "$_bad" ]; then
		ok "PATH: rootlesskit, rootlessctl, rootlesskit-docker-proxy are ours or absent"
	else
		not_ok "PATH: rootlesskit, rootlessctl, rootlesskit-docker-proxy are ours or absent"
		diag "outside \$RK_BIN:$_bad"
	fi
}

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
diag() { echo "# $*"; }
skip() { _n=$((_n + 1)); echo "ok $_n - # SKIP $*"; }

# check DESC CMD... - one assertion: CMD must succeed
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; diag "got '$1', want '$2'"; fi
}

# contains FILE TEXT DESC
contains() {
	if grep -qF -- "$2" "$1"; then ok "$3"; else not_ok "$3"; diag "'$2' not in $1:"; sed 's/^/#   /' "$1"; fi
}

done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}

# bg CMD... - start CMD in the background, remembered for cleanup; sets BG
bg() {
	"$@" &
	BG=$!
	_bg_pids="$_bg_pids $BG"
}

# wait_file FILE [SECONDS] - wait until FILE exists (child_pid is rootlesskit's
# readiness signal); fails after the timeout (default 20 s)
wait_file() {
	_t=$(( ${2:-20} * 20 ))
	while [ ! -e "$1" ]; do
		_t=$((_t - 1))
		[ "$_t" -gt 0 ] || return 1
		sleep 0.05
	done
}

# wait_gone PID [SECONDS] - wait until PID no longer exists
wait_gone() {
	_t=$(( ${2:-5} * 20 ))
	while kill -0 "$1" 2>/dev/null; do
		_t=$((_t - 1))
		[ "$_t" -gt 0 ] || return 1
		sleep 0.05
	done
}

# poll_output TRIES CMD... - run CMD until it succeeds, at most TRIES
# times 0.05 s apart, and print its output; fails if it never succeeded
# (for what has no readiness signal: a restarted socat, pasta's port scan)
# conn_loop_py - writes $TMP/loop.py and prints its path: N sequential
# HTTP/1.0 requests to HOST:PORT, then "OK FAILED" (a user-mode stack's
# lingering host sockets: t_net.sh, t_gvisor.sh)
conn_loop_py() {
	cat >"$TMP/loop.py" <<'PY'
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ok = 0
for _ in range(n):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        while s.recv(4096):
            pass
        ok += 1
    except OSError:
        pass
    s.close()
print(ok, n - ok)
PY
	echo "$TMP/loop.py"
}

poll_output() {
	_tries=$1
	shift
	while [ "$_tries" -gt 0 ]; do
		_out=$("$@" 2>/dev/null) && { printf '%s\n' "$_out"; return 0; }
		_tries=$((_tries - 1))
		sleep 0.05
	done
	return 1
}

# free_port - a TCP port that is free on 127.0.0.1 right now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + $$ % 20000))
}

# free_ports N - N distinct TCP ports free on 127.0.0.1 right now (ports
# next to a free one may be in use, e.g. by outgoing connections)
free_ports() {
	python3 -c 'import socket,sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

# client_ns NS HOSTIF PEERIF NET - as root: network namespace NS joined to
# the host by a veth pair, host side HOSTIF with NET.1/24, NS side PEERIF
# with NET.2/24, both up, lo up in NS; both are removed at exit.  Fails
# (status 1, nothing made) if a network namespace cannot be created.
client_ns() {
	ip netns add "$1" 2>/dev/null || return 1
	trap 'ip netns del "'"$1"'" 2>/dev/null; ip link del "'"$2"'" 2>/dev/null; _cleanup' EXIT
	ip link add "$2" type veth peer name "$3" && ip link set "$3" netns "$1" &&
	ip addr add "$4.1/24" dev "$2" && ip link set "$2" up &&
	ip -n "$1" addr add "$4.2/24" dev "$3" &&
	ip -n "$1" link set "$3" up && ip -n "$1" link set lo up || diag "veth set-up failed"
}

# peer_tools - write $TMP/peer_server.py and $TMP/peer_client.py.
#   python3 $TMP/peer_server.py PORT READYFILE: answers every TCP connection
#   and every UDP datagram on PORT (IPv4 and IPv6) with the address of the
#   peer as it saw it (v4-mapped addresses printed as IPv4), then creates
#   READYFILE once both sockets are bound.
#   python3 $TMP/peer_client.py tcp|udp HOST PORT [BINDIP]: prints that
#   answer (UDP: up to 5 tries, 1 s each); exit status 1 if none came.
peer_tools() {
	cat >"$TMP/peer_server.py" <<'PY'
import socket, sys, threading
port = int(sys.argv[1])
def norm(a):
    return a[7:] if a.startswith("::ffff:") else a
def sock(kind):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    return s
t, u = sock(socket.SOCK_STREAM), sock(socket.SOCK_DGRAM)
t.listen(64)
def udp():
    while True:
        d, a = u.recvfrom(2048)
        u.sendto((norm(a[0]) + "\n").encode(), a)
threading.Thread(target=udp, daemon=True).start()
open(sys.argv[2], "w").close()
while True:
    c, a = t.accept()
    c.sendall((norm(a[0]) + "\n").encode())
    c.close()
PY
	cat >"$TMP/peer_client.py" <<'PY'
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
if len(sys.argv) > 4:
    s.bind((sys.argv[4], 0))
s.settimeout(1 if proto == "udp" else 5)
if proto == "tcp":
    s.connect((host, port))
    print(s.recv(200).decode().strip())
    sys.exit(0)
for i in range(5):
    s.sendto(b"x", (host, port))
    try:
        print(s.recv(200).decode().strip())
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY
	chmod a+r "$TMP/peer_server.py" "$TMP/peer_client.py"
}

clean_path

# busybox_rootfs DIR - a container root file system in DIR: /bin/busybox
# (Debian's busybox-static) with symlinks for the applets the real-client
# tests run, /bin/udpecho (a static UDP echo server built here, since
# busybox's nc has no UDP), /www/index.html ("hello from busybox") and
# /etc/passwd.  Fails if busybox-static or a static libc is missing.
busybox_rootfs() {
	mkdir -p "$1/bin" "$1/www" "$1/etc" "$1/tmp" "$1/proc" "$1/sys" "$1/dev" || return 1
	[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q "not a dynamic" || return 1
	cp /bin/busybox "$1/bin/busybox" || return 1
	for _a in sh echo cat httpd nc sleep ls ps id hostname wget true; do
		ln -s busybox "$1/bin/$_a"
	done
	cat >"$TMP/udpecho.c" <<'C'
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
/* udpecho PORT: answer each datagram with its own bytes; "ready" once bound */
int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (argc < 2 || s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return perror("udpecho"), 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		char b[2048];
		struct sockaddr_storage p;
		socklen_t pl = sizeof(p);
		ssize_t n = recvfrom(s, b, sizeof(b), 0, (struct sockaddr *)&p, &pl);
		if (n >= 0)
			sendto(s, b, n, 0, (struct sockaddr *)&p, pl);
	}
}
C
	cc -static -O2 -o "$1/bin/udpecho" "$TMP/udpecho.c" || return 1
	echo "hello from busybox" >"$1/www/index.html"
	echo "root:x:0:0:root:/:/bin/sh" >"$1/etc/passwd"
	echo "root:x:0:" >"$1/etc/group"
}

# leftover_procs USERNS MARK - "PID COMMAND" of every process of this user
# that is in user namespace USERNS (as readlink /proc/PID/ns/user prints
# it) or has MARK in its environment, other than this shell and its
# descendants: what is left of a rootlesskit session once it has ended
# (set MARK in the environment the session was started with)
leftover_procs() {
	python3 - "$$" "$1" "$2" <<'PY'
import os, sys
me, ns, mark = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
uid, parent, info = os.getuid(), {}, {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    pid = int(d)
    try:
        if os.stat("/proc/%d" % pid).st_uid != uid:
            continue
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        comm = st[st.index("(") + 1:st.rindex(")")]
        parent[pid] = int(st[st.rindex(")") + 2:].split()[1])
        try:
            mine = os.readlink("/proc/%d/ns/user" % pid) == ns
        except OSError:
            mine = False
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                mine = mine or mark in f.read().split(b"\0")
        except OSError:
            pass
        info[pid] = (comm, mine)
    except (OSError, ValueError):
        continue
def descends(pid):
    while pid > 1:
        if pid == me:
            return True
        pid = parent.get(pid, 0)
    return False
for pid in sorted(info):
    comm, mine = info[pid]
    if mine and not descends(pid):
        print(pid, comm)
PY
}

# oci_archive LAYER_TAR OUT NAME - an OCI image layout tarball at OUT
# (what `ctr images import` reads) holding one uncompressed layer
# LAYER_TAR, named NAME (e.g. docker.io/library/rkbox:test)
oci_archive() {
	_o=$TMP/oci.$$
	rm -rf "$_o"
	mkdir -p "$_o/blobs/sha256" || return 1
	_arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
	_l=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$_o/blobs/sha256/$_l" || return 1
	printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$_arch" "$_l" >"$_o/config"
	_c=$(sha256sum "$_o/config" | cut -d' ' -f1)
	mv "$_o/config" "$_o/blobs/sha256/$_c"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$_c" "$(stat -c %s "$_o/blobs/sha256/$_c")" "$_l" "$(stat -c %s "$1")" >"$_o/manifest"
	_m=$(sha256sum "$_o/manifest" | cut -d' ' -f1)
	_ms=$(stat -c %s "$_o/manifest")
	mv "$_o/manifest" "$_o/blobs/sha256/$_m"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
		"$_m" "$_ms" "$3" "${3##*:}" >"$_o/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$_o/oci-layout"
	tar -C "$_o" -cf "$2" oci-layout index.json blobs || return 1
	rm -rf "$_o"
}

# no_sanitizer_report DESC FILE... - one assertion: no ASan/UBSan/LSan
# report in FILEs (the stderr of rootlesskit and what it ran, for the
# ASan+UBSan run of make check)
no_sanitizer_report() {
	_d=$1
	shift
	if cat "$@" 2>/dev/null | grep -q "AddressSanitizer\|LeakSanitizer\|runtime error:"; then
		not_ok "$_d"
		cat "$@" 2>/dev/null | grep -A15 "AddressSanitizer\|LeakSanitizer\|runtime error:" | head -40 | sed 's/^/#   /'
	else
		ok "$_d"
	fi
}
