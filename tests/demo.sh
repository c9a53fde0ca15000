#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# demo.sh - the README's "make run": the seed example.
#
# Launches rootlesskit the way rootless Docker does (--net=slirp4netns
# --disable-host-loopback --copy-up=/etc), starts a web server inside the
# new namespaces, publishes its port 80 on the host's 127.0.0.1:8080 with
# the builtin port driver (-p), fetches a page through it, then adds and
# lists a second port with rootlessctl.  As root it runs everything as the
# unprivileged user "rktest" (created by setup-user.sh), because the
# rootless path is the point.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${RK_BIN:?}"
if [ "$(id -u)" -eq 0 ]; then
	"$here/setup-user.sh"
	work=$(mktemp -d /tmp/rk-demo.XXXXXX)
	cp "$RK_BIN/rootlesskit" "$RK_BIN/rootlessctl" "$here/demo.sh" "$work/"
	chmod -R a+rX "$work"
	cd /tmp
	runuser -u rktest -- env RK_BIN="$work" sh "$work/demo.sh"
	rc=$?
	rm -rf "$work"
	exit $rc
fi
RK="$RK_BIN/rootlesskit"
CTL="$RK_BIN/rootlessctl"
port=${DEMO_PORT:-8080}
sd=$(mktemp -d /tmp/rk-demo-sd.XXXXXX)
rmdir "$sd"
www=$(mktemp -d /tmp/rk-demo-www.XXXXXX)
trap 'rm -rf "$www"' EXIT
echo "\$ rootlesskit --state-dir=$sd --net=slirp4netns --disable-host-loopback --copy-up=/etc --port-driver=builtin -p 127.0.0.1:$port:80/tcp sh -c '...web server on port 80...'"
"$RK" --state-dir="$sd" --net=slirp4netns --disable-host-loopback --copy-up=/etc \
	--port-driver=builtin -p "127.0.0.1:$port:80/tcp" \
	sh -c 'echo "inside: $(id)"; ip -4 -o addr show tap0 | sed "s/^/inside: /"
	       echo "hello from inside the rootless namespaces" >"$1/index.html"
	       exec busybox httpd -f -p 80 -h "$1"' sh "$www" &
pid=$!
i=0
while [ ! -e "$sd/child_pid" ]; do
	i=$((i + 1)); [ $i -lt 400 ] || { echo "demo: rootlesskit did not start" >&2; exit 1; }
	sleep 0.05
done
echo "host: child_pid=$(cat "$sd/child_pid"); port published before child_pid appeared"
echo "\$ curl http://127.0.0.1:$port/"
i=0
until out=$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null); do
	# the port is up; the web server inside may still be starting
	i=$((i + 1)); [ $i -lt 100 ] || { echo "demo: web server did not answer" >&2; kill "$pid"; exit 1; }
	sleep 0.05
done
echo "$out"
echo "\$ rootlessctl --socket=$sd/api.sock add-ports 127.0.0.1:$((port + 1)):80/tcp"
"$CTL" --socket="$sd/api.sock" add-ports "127.0.0.1:$((port + 1)):80/tcp"
echo "\$ rootlessctl --socket=$sd/api.sock list-ports"
"$CTL" --socket="$sd/api.sock" list-ports
echo "\$ curl http://127.0.0.1:$((port + 1))/"
curl -fsS "http://127.0.0.1:$((port + 1))/"
echo "host: stopping rootlesskit (SIGTERM; it reports how the command ended)"
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
[ ! -e "$sd" ] && echo "host: rootlesskit exited and removed its state dir"
echo "demo: OK"
