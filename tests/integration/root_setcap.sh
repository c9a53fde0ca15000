#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Privileged ports: without help, binding port 80 fails with upstream's
# hint; with `setcap cap_net_bind_service=ep` on the binary (docs/port.md)
# it works for the unprivileged user, and the file capability does not stop
# newuidmap or slirp4netns from using the child's /proc entries.
. "$(dirname "$0")/lib.sh"
: "${RK_USER:?}"
start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
if [ "$start" -le 80 ] || ! command -v setcap >/dev/null; then
	skip "needs ip_unprivileged_port_start > 80 and setcap"
	done_testing
	exit
fi
chmod 755 "$TMP"
mkdir -p "$TMP/www" "$TMP/bin" "$TMP/run"
chown "$RK_USER" "$TMP/run"
echo privileged-ok >"$TMP/www/index.html"
cp "$RK" "$TMP/bin/rootlesskit"
chmod -R a+rX "$TMP"

wait_gone_dir() {
	for i in $(seq 100); do [ -e "$1" ] || return 0; sleep 0.05; done
	return 1
}

# as_user SD BIN - rootlesskit with -p 0.0.0.0:80:80/tcp as the test user
as_user() {
	runuser -u "$RK_USER" -- "$2" --state-dir="$1" --net=slirp4netns \
		--port-driver=builtin -p 0.0.0.0:80:80/tcp \
		busybox httpd -f -p 80 -h "$TMP/www"
}

as_user "$TMP/run/sd1" "$TMP/bin/rootlesskit" >"$TMP/out1" 2>&1
is "$?" 1 "port 80 without the capability: exit status 1"
contains "$TMP/out1" "[rootlesskit:parent] error: failed to expose port 0.0.0.0:80:80/tcp: cannot expose privileged port 80, you can add 'net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf (currently $start), or set CAP_NET_BIND_SERVICE on rootlesskit binary, or choose a larger port number (>= $start): listen tcp 0.0.0.0:80: bind: permission denied" \
	"upstream's privileged-port message"
check "nothing left in the state dir" test ! -e "$TMP/run/sd1/child_pid"

if ! setcap cap_net_bind_service=ep "$TMP/bin/rootlesskit" 2>/dev/null; then
	skip "setcap failed on $TMP (no xattr support?)"
	done_testing
	exit
fi
bg runuser -u "$RK_USER" -- "$TMP/bin/rootlesskit" --state-dir="$TMP/run/sd2" \
	--net=slirp4netns --port-driver=builtin -p 0.0.0.0:80:80/tcp \
	busybox httpd -f -p 80 -h "$TMP/www" >"$TMP/out2" 2>&1
pid=$BG
wait_file "$TMP/run/sd2/child_pid" || diag "no child_pid"
got=$(poll_output 100 curl -fsS --max-time 2 http://127.0.0.1:80/)
is "$got" privileged-ok "with cap_net_bind_service=ep, port 80 is published"
kill "$pid"
wait "$pid" 2>/dev/null
check "state dir removed after SIGTERM" wait_gone_dir "$TMP/run/sd2"
done_testing
