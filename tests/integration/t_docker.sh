#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Rootless Docker from Debian 12 (docker.io 20.10) on our rootlesskit: the
# real /usr/share/docker.io/contrib/dockerd-rootless.sh, run as this
# unprivileged user with XDG_RUNTIME_DIR and HOME in $TMP and only our
# rootlesskit, rootlessctl and rootlesskit-docker-proxy in PATH (dockerd
# 20.10 refuses to start under RootlessKit without the proxy, so a missing
# $RK_BIN/rootlesskit-docker-proxy is a failure).  No registry: the image is
# a `docker import` of a busybox-static rootfs.  Checks docker run, -p on
# 127.0.0.1, on 0.0.0.0/:: (reached over 127.0.0.1 and [::1]) and UDP, that
# `docker rm -f` frees the host port, the slirp4netns port driver, and that
# SIGTERM to rootlesskit ends dockerd and everything under it.  Debian's
# script passes no --state-dir, so the state dir is a temp dir in $TMPDIR;
# the slirp4netns run adds the current script's
# --state-dir=$XDG_RUNTIME_DIR/dockerd-rootless through
# DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS; the third run uses
# DOCKERD_ROOTLESS_ROOTLESSKIT_NET=gvisor-tap-vsock and its port driver; the
# fourth --bypass4netns.
. "$(dirname "$0")/lib.sh"
SCRIPT=/usr/share/docker.io/contrib/dockerd-rootless.sh
check_path
check "rootlesskit-docker-proxy is in \$RK_BIN" test -x "$RK_BIN/rootlesskit-docker-proxy"
if [ ! -x "$SCRIPT" ] || ! command -v docker >/dev/null; then
	not_ok "docker.io is installed ($SCRIPT, docker)"
	done_testing
	exit 1
fi

export XDG_RUNTIME_DIR="$TMP/run" HOME="$TMP/home"
export DOCKER_HOST="unix://$XDG_RUNTIME_DIR/docker.sock"
mkdir -p "$XDG_RUNTIME_DIR" "$HOME"
chmod 700 "$XDG_RUNTIME_DIR"
RKPID=
USERNS=none
SD=

# left - what is left of the session: processes in rootlesskit's user
# namespace or with our XDG_RUNTIME_DIR in their environment
left() { leftover_procs "$USERNS" "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"; }

# left_after_stop - left, once the session's last processes had up to 10 s
# to go: dockerd's docker-proxy children and the shims die just after it
# (Go RootlessKit too)
left_after_stop() {
	_t=50
	while [ -n "$(left)" ] && [ "$_t" -gt 0 ]; do
		_t=$((_t - 1))
		sleep 0.2
	done
	left
}

dk() { timeout 60 docker "$@"; }

# start_dockerd - run dockerd-rootless.sh (ENV from the caller), wait until
# the daemon answers; sets RKPID (the script execs rootlesskit), SD (the
# state dir: --state-dir from DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS, else the
# one temp dir in $TMP/tmp) and USERNS (the child's user namespace)
start_dockerd() {
	mkdir -p "$TMP/tmp"
	# sanitizer reports (ASan+UBSan build) of rootlesskit-docker-proxy, whose
	# stderr dockerd drops, go to $TMP/san.PID
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/san \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$TMP/san \
		TMPDIR=$TMP/tmp bg "$SCRIPT" >"$TMP/dockerd.log" 2>&1
	RKPID=$BG
	_t=600
	while ! docker version -f '{{.Server.Version}}' >/dev/null 2>&1; do
		_t=$((_t - 1))
		if [ "$_t" -le 0 ] || ! kill -0 "$RKPID" 2>/dev/null; then
			diag "dockerd did not come up; the end of its log:"
			tail -25 "$TMP/dockerd.log" | sed 's/^/#   /'
			cat "$TMP/dockerd.log" >>"$TMP/all.log"
			return 1
		fi
		sleep 0.1
	done
	case ${DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS:-} in
	*--state-dir=*) SD=${DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS#*--state-dir=} SD=${SD%% *} ;;
	*) SD=$(echo "$TMP/tmp"/rootlesskit*) ;;
	esac
	USERNS=$(readlink "/proc/$(cat "$SD/child_pid")/ns/user")
}

# dkq ARGS... - docker ARGS, quiet; its error goes to the TAP output
dkq() {
	dk "$@" >/dev/null 2>"$TMP/err" && return 0
	sed 's/^/#   /' "$TMP/err"
	return 1
}

# dkrun NAME ARGS... - docker run -d --init --name NAME ARGS...
dkrun() {
	_name=$1
	shift
	dkq run -d --init --name "$_name" "$@"
}

# stop_dockerd - SIGTERM to rootlesskit, wait for it (dockerd stops its
# containers first)
stop_dockerd() {
	kill -TERM "$RKPID" 2>/dev/null
	wait_gone "$RKPID" 40
	_rc=$?
	cat "$TMP/dockerd.log" >>"$TMP/all.log"
	return $_rc
}

cleanup_docker() {
	if [ -n "$RKPID" ] && kill -0 "$RKPID" 2>/dev/null; then
		kill -TERM "$RKPID" 2>/dev/null
		wait_gone "$RKPID" 20 || kill -9 "$RKPID" 2>/dev/null
	fi
	# containerd-shims outlive a killed rootlesskit; nothing of ours may stay
	left | while read -r pid _; do kill -9 "$pid" 2>/dev/null; done
	# image layers hold files of sub-IDs: remove them as root of a user namespace
	[ ! -d "$HOME/.local" ] || "$RK" --net=host rm -rf "$HOME/.local" 2>/dev/null
}
trap 'cleanup_docker; _cleanup' EXIT
trap 'exit 1' INT TERM HUP

# port_free PROTO PORT - nothing listens on the host's PORT, and socat can
# bind it on 127.0.0.1 (socat then waits: timeout's status 124; reuseaddr
# for the TIME_WAIT of the connections the test made)
port_free() {
	case $1 in tcp) _o=-Htln _a=TCP4-LISTEN ;; udp) _o=-Huln _a=UDP4-RECV ;; esac
	_t=100
	while [ -n "$(ss "$_o" "sport = :$2")" ]; do
		_t=$((_t - 1))
		if [ "$_t" -le 0 ]; then
			ss -p "$_o" "sport = :$2" | sed 's/^/#   /'
			return 1
		fi
		sleep 0.1
	done
	timeout 0.5 socat -u "$_a:$2,bind=127.0.0.1,reuseaddr" /dev/null 2>"$TMP/socat.err"
	[ $? -eq 124 ] && return 0
	sed 's/^/#   /' "$TMP/socat.err"
	return 1
}

# the image
busybox_rootfs "$TMP/rootfs" || { not_ok "busybox rootfs (busybox-static, cc -static)"; done_testing; exit 1; }
tar --numeric-owner --owner=0 --group=0 -C "$TMP/rootfs" -cf "$TMP/rootfs.tar" . ||
	{ not_ok "rootfs tarball"; done_testing; exit 1; }

# shellcheck disable=SC2046
set -- $(free_ports 6)
P_LO=$1 P_ALL=$2 P_UDP=$3 P_SLIRP=$4 P_LAST=$5 P_UDPALL=$6

#
# 1. the default settings: slirp4netns, builtin port driver
#
if ! start_dockerd; then
	not_ok "dockerd-rootless.sh: dockerd is up"
	done_testing
	exit 1
fi
ok "dockerd-rootless.sh: dockerd is up"
is "$(readlink "/proc/$RKPID/exe")" "$RK" "the script runs our rootlesskit"
check "state dir (in \$TMPDIR) has child_pid and api.sock" test -s "$SD/child_pid" -a -S "$SD/api.sock"
dk info -f '{{.CgroupDriver}} {{.SecurityOptions}}' >"$TMP/info" 2>&1
contains "$TMP/info" "rootless" "docker info: rootless"

check "docker import of the busybox rootfs" dkq import "$TMP/rootfs.tar" rkbox:test
is "$(dk run --rm rkbox:test echo hi 2>&1)" "hi" "docker run --rm rkbox echo hi"
is "$(dk run --rm rkbox:test id -u 2>&1)" "0" "the container runs as root"

# TCP on 127.0.0.1
check "docker run -d -p 127.0.0.1:$P_LO:80 httpd" dkrun lo -p "127.0.0.1:$P_LO:80" rkbox:test httpd -f -p 80 -h /www
is "$(poll_output 200 curl -sf --max-time 2 "http://127.0.0.1:$P_LO/")" "hello from busybox" "curl 127.0.0.1:$P_LO"
"$RKCTL" --socket="$SD/api.sock" list-ports >"$TMP/ports" 2>&1
is "$(awk -v a="$P_LO" 'NR > 1 && $4 == a {print $2, $3, $6}' "$TMP/ports")" "tcp4 127.0.0.1 $P_LO" \
	"rootlessctl list-ports shows the port the proxy added (child port = host port)"

# TCP on 0.0.0.0 (and :: : dockerd 20.10 publishes both)
check "docker run -d -p $P_ALL:80 httpd" dkrun all -p "$P_ALL:80" rkbox:test httpd -f -p 80 -h /www
is "$(poll_output 200 curl -sf --max-time 2 "http://127.0.0.1:$P_ALL/")" "hello from busybox" "-p $P_ALL:80 reached over 127.0.0.1"
is "$(poll_output 200 curl -sf --max-time 2 "http://[::1]:$P_ALL/")" "hello from busybox" "-p $P_ALL:80 reached over [::1]"

# UDP
check "docker run -d -p 127.0.0.1:$P_UDP:$P_UDP/udp udpecho" dkrun udp -p "127.0.0.1:$P_UDP:$P_UDP/udp" rkbox:test udpecho "$P_UDP"
poll_output 100 sh -c 'docker logs udp 2>&1 | grep -qx ready' >/dev/null
is "$(poll_output 10 sh -c "echo ping-$$ | socat -T 2 - UDP4:127.0.0.1:$P_UDP")" "ping-$$" "UDP echo through 127.0.0.1:$P_UDP (socat)"
# UDP on 0.0.0.0 (and ::)
check "docker run -d -p $P_UDPALL:$P_UDPALL/udp udpecho" dkrun udpall -p "$P_UDPALL:$P_UDPALL/udp" rkbox:test udpecho "$P_UDPALL"
poll_output 100 sh -c 'docker logs udpall 2>&1 | grep -qx ready' >/dev/null
is "$(poll_output 10 sh -c "echo ping4-$$ | socat -T 2 - UDP4:127.0.0.1:$P_UDPALL")" "ping4-$$" "UDP -p $P_UDPALL/udp reached over 127.0.0.1"
is "$(poll_output 10 sh -c "echo ping6-$$ | socat -T 2 - UDP6:[::1]:$P_UDPALL")" "ping6-$$" "UDP -p $P_UDPALL/udp reached over [::1]"

# docker rm -f releases the host port
check "docker rm -f lo" dkq rm -f -v lo
check "after docker rm -f, TCP $P_LO is free again (ss, socat binds it)" port_free tcp "$P_LO"
check "docker rm -f udp" dkq rm -f -v udp
check "after docker rm -f, UDP $P_UDP is free again (ss, socat binds it)" port_free udp "$P_UDP"
check "docker rm -f udpall" dkq rm -f -v udpall
check "after docker rm -f, UDP $P_UDPALL is free again" port_free udp "$P_UDPALL"
"$RKCTL" --socket="$SD/api.sock" list-ports >"$TMP/ports" 2>&1
is "$(awk -v a="$P_LO" -v b="$P_UDP" 'NR > 1 && ($4 == a || $4 == b)' "$TMP/ports")" "" \
	"rootlessctl list-ports: the removed ports are gone"

# SIGTERM to rootlesskit with a container still running ("all")
stop_dockerd
is "$?" 0 "SIGTERM: rootlesskit exited"
wait "$RKPID" 2>/dev/null
is "$(left_after_stop)" "" "SIGTERM: nothing of the session left (dockerd, containerd, shims, proxies, httpd)"
check "SIGTERM: state dir removed" test ! -e "$SD"
check "SIGTERM: TCP $P_ALL free on the host" port_free tcp "$P_ALL"
RKPID=

#
# 2. DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=slirp4netns
#
export DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=slirp4netns
export DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS="--state-dir=$XDG_RUNTIME_DIR/dockerd-rootless"
if start_dockerd; then
	ok "slirp4netns port driver: dockerd is up"
	tr '\0' ' ' <"/proc/$RKPID/cmdline" >"$TMP/cmdline"
	contains "$TMP/cmdline" "--port-driver=slirp4netns" "slirp4netns port driver: rootlesskit runs with --port-driver=slirp4netns"
	check "slirp4netns port driver: state dir $SD has api.sock" test -S "$SD/api.sock"
	check "slirp4netns port driver: docker run -d -p 127.0.0.1:$P_SLIRP:80" \
		dkrun slirp1 -p "127.0.0.1:$P_SLIRP:80" rkbox:test httpd -f -p 80 -h /www
	is "$(poll_output 200 curl -sf --max-time 2 "http://127.0.0.1:$P_SLIRP/")" "hello from busybox" \
		"slirp4netns port driver: curl 127.0.0.1:$P_SLIRP"
	check "slirp4netns port driver: docker run -d -p $P_LAST:80 (the proxy skips the tcp6 half)" \
		dkrun slirp2 -p "$P_LAST:80" rkbox:test httpd -f -p 80 -h /www
	is "$(poll_output 200 curl -sf --max-time 2 "http://127.0.0.1:$P_LAST/")" "hello from busybox" \
		"slirp4netns port driver: curl 127.0.0.1:$P_LAST"
	check "slirp4netns port driver: docker rm -f slirp1" dkq rm -f -v slirp1
	check "slirp4netns port driver: TCP $P_SLIRP free again" port_free tcp "$P_SLIRP"
	stop_dockerd
	is "$?" 0 "slirp4netns port driver: SIGTERM ends rootlesskit"
	wait "$RKPID" 2>/dev/null
	is "$(left_after_stop)" "" "slirp4netns port driver: nothing of the session left"
	check "slirp4netns port driver: state dir $SD removed" test ! -e "$SD"
	check "slirp4netns port driver: TCP $P_LAST free on the host" port_free tcp "$P_LAST"
	RKPID=
else
	not_ok "slirp4netns port driver: dockerd is up"
fi

#
# 3. DOCKERD_ROOTLESS_ROOTLESSKIT_NET=gvisor-tap-vsock (what current
#    dockerd-rootless.sh picks when no network helper is installed), with
#    its port driver
#
export DOCKERD_ROOTLESS_ROOTLESSKIT_NET=gvisor-tap-vsock
export DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=gvisor-tap-vsock
P_GV=22110
if start_dockerd; then
	ok "gvisor-tap-vsock: dockerd is up"
	tr '\0' ' ' <"/proc/$RKPID/cmdline" >"$TMP/cmdline"
	contains "$TMP/cmdline" "--net=gvisor-tap-vsock" "gvisor-tap-vsock: rootlesskit runs with --net=gvisor-tap-vsock"
	check "gvisor-tap-vsock: docker run -d -p 127.0.0.1:$P_GV:80" \
		dkrun gv1 -p "127.0.0.1:$P_GV:80" rkbox:test httpd -f -p 80 -h /www
	is "$(poll_output 200 curl -sf --max-time 2 "http://127.0.0.1:$P_GV/")" "hello from busybox" \
		"gvisor-tap-vsock: curl 127.0.0.1:$P_GV"
	"$RKCTL" --socket="$SD/api.sock" list-ports >"$TMP/ports" 2>&1
	contains "$TMP/ports" "$P_GV" "gvisor-tap-vsock: the port is in rootlessctl list-ports"
	check "gvisor-tap-vsock: docker rm -f gv1" dkq rm -f -v gv1
	check "gvisor-tap-vsock: TCP $P_GV free again" port_free tcp "$P_GV"
	stop_dockerd
	is "$?" 0 "gvisor-tap-vsock: SIGTERM ends rootlesskit"
	wait "$RKPID" 2>/dev/null
	is "$(left_after_stop)" "" "gvisor-tap-vsock: nothing of the session left"
	check "gvisor-tap-vsock: state dir $SD removed" test ! -e "$SD"
	RKPID=
else
	not_ok "gvisor-tap-vsock: dockerd is up"
fi

#
# 4. --bypass4netns in DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS: the script always
#    adds --disable-host-loopback, so every connect of dockerd, containerd,
#    the shims, runc and the containers that is not bypassed is done by
#    rootlesskit, AF_UNIX ones as the caller (bypass_delegate.c)
#
unset DOCKERD_ROOTLESS_ROOTLESSKIT_NET
export DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=builtin
export DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS="--state-dir=$XDG_RUNTIME_DIR/dockerd-bypass --bypass4netns"
P_BP=22111
if start_dockerd; then
	ok "--bypass4netns --disable-host-loopback: dockerd is up"
	is "$(curl -s --unix-socket "$SD/api.sock" http://x/v1/info |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["bypass4netns"]["active"])')" True \
		"--bypass4netns: /v1/info says active"
	check "--bypass4netns: docker run -d -p 127.0.0.1:$P_BP:80" \
		dkrun bp1 -p "127.0.0.1:$P_BP:80" rkbox:test httpd -f -p 80 -h /www
	is "$(poll_output 200 curl -sf --max-time 2 "http://127.0.0.1:$P_BP/")" "hello from busybox" \
		"--bypass4netns: curl 127.0.0.1:$P_BP"
	is "$(dk exec bp1 sh -c 'wget -qO- http://127.0.0.1:80/ && echo exec-ok')" "hello from busybox
exec-ok" "--bypass4netns: docker exec, and a container's own loopback connect"
	check "--bypass4netns: docker rm -f bp1" dkq rm -f -v bp1
	check "--bypass4netns: TCP $P_BP free again" port_free tcp "$P_BP"
	stop_dockerd
	is "$?" 0 "--bypass4netns: SIGTERM ends rootlesskit"
	wait "$RKPID" 2>/dev/null
	is "$(left_after_stop)" "" "--bypass4netns: nothing of the session left"
	RKPID=
else
	not_ok "--bypass4netns --disable-host-loopback: dockerd is up"
fi

no_sanitizer_report "no sanitizer report from rootlesskit or rootlesskit-docker-proxy" "$TMP/all.log" "$TMP"/san.*
done_testing
