#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Source-IP propagation (--source-ip-transparent) for the builtin driver,
# and the client address seen through the slirp4netns driver.  As root
# this test makes a client network namespace joined to the host by a veth
# pair (198.18.213.0/24, fd42:213::/64: benchmark and ULA ranges of our
# own choosing); rootlesskit runs as the unprivileged user; the service in
# the child prints the peer address it saw.
. "$(dirname "$0")/lib.sh"
: "${RK_USER:?}"
NS=rkc$$
H=rkh$$
if ! client_ns "$NS" "$H" rkp$$ 198.18.213; then
	skip "cannot create a network namespace"
	done_testing
	exit
fi
v6=1
{ ip -6 addr add fd42:213::1/64 dev "$H" nodad &&
  ip -n "$NS" -6 addr add fd42:213::2/64 dev rkp$$ nodad; } 2>/dev/null || v6=
chmod 755 "$TMP"
mkdir -p "$TMP/run"
chown "$RK_USER" "$TMP/run"
peer_tools
uid=$(id -u "$RK_USER")
gid=$(id -g "$RK_USER")

# as_user ARGS... - exec rootlesskit as the test user, with an ordinary
# user's PATH (no /usr/sbin); for bg, whose pid is then rootlesskit's
as_user() {
	exec setpriv --reuid="$uid" --regid="$gid" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "$RK" "$@"
}
# no_sbin ARGS... - as_user with /usr/sbin (so iptables-restore) hidden
no_sbin() {
	exec unshare -m sh -c 'mount -t tmpfs none /usr/sbin && exec "$@"' sh \
		setpriv --reuid="$uid" --regid="$gid" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "$RK" "$@"
}
# start N LAUNCHER ARGS... - LAUNCHER (as_user or no_sbin) runs rootlesskit
# ARGS with state dir $TMP/run/sdN and the peer server on port 80, in the
# background, stderr in $TMP/errN; waits until both are up; sets SD and rk
start() {
	_sn=$1 _sl=$2
	shift 2
	SD=$TMP/run/sd$_sn
	# shellcheck disable=SC2086 # WRAP: an optional command prefix
	bg "$_sl" --state-dir="$SD" "$@" ${WRAP:-} python3 "$TMP/peer_server.py" 80 \
		"$TMP/run/ready$_sn" 2>"$TMP/err$_sn"
	rk=$BG
	wait_file "$SD/child_pid" && wait_file "$TMP/run/ready$_sn" || diag "rootlesskit $_sn not ready"
}
stop() { kill "$rk"; wait "$rk" 2>/dev/null; }
client() { ip netns exec "$NS" python3 "$TMP/peer_client.py" "$@" 2>&1; }

set -- $(free_ports 3)
P=$1 P6=$2 P3=$3
start 1 as_user --net=slirp4netns --port-driver=builtin \
	--builtin-udp-timeout=2 \
	-p "0.0.0.0:$P:80/tcp" -p "0.0.0.0:$P:80/udp" \
	-p "[::]:$P6:[::1]:80/tcp6" -p "[::]:$P6:[::1]:80/udp6"
is "$(client tcp 198.18.213.1 "$P")" 198.18.213.2 "TCP: the service sees the client's address"
is "$(client udp 198.18.213.1 "$P")" 198.18.213.2 "UDP: the service sees the client's address, and its reply comes back"
is "$(python3 "$TMP/peer_client.py" tcp 127.0.0.1 "$P")" 127.0.0.1 "TCP from loopback: plain path"
is "$(python3 "$TMP/peer_client.py" udp 127.0.0.1 "$P")" 127.0.0.1 "UDP from loopback: plain path"
child=$(cat "$SD/child_pid")
route=$(nsenter -t "$child" -n ip route show table 101)
case $route in
*"local 198.18.213.2 dev lo"*"src 127.0.0.1"*) ok "a route for the UDP client while its flow lives" ;;
*) not_ok "a route for the UDP client while its flow lives"; diag "table 101: $route" ;;
esac
gone=
for i in $(seq 100); do
	[ -z "$(nsenter -t "$child" -n ip route show table 101)" ] && { gone=1; break; }
	sleep 0.05
done
check "the route goes with the flow (--builtin-udp-timeout=2)" test -n "$gone"
if [ -n "$v6" ]; then
	is "$(client tcp fd42:213::1 "$P6")" fd42:213::2 "TCP over IPv6: the client's address"
	is "$(client udp fd42:213::1 "$P6")" fd42:213::2 "UDP over IPv6: the client's address"
else
	skip "no IPv6 on the host"
	skip "no IPv6 on the host"
fi
check "no warning when iptables is there" sh -c "! grep -q 'source IP transparent' '$TMP/err1'"
stop

# --net=none: no route out of the namespace at all; the replies still
# come back over lo
start 5 as_user --net=none --port-driver=builtin \
	-p "0.0.0.0:$P:80/tcp" -p "0.0.0.0:$P:80/udp"
is "$(client tcp 198.18.213.1 "$P")" 198.18.213.2 "--net=none: TCP sees the client's address"
is "$(client udp 198.18.213.1 "$P")" 198.18.213.2 "--net=none: UDP sees the client's address"
stop

# --detach-netns: the service runs in $SD/netns, and the routes, rules and
# iptables marks are set up in there
printf '#!/bin/sh\nexec nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" "$@"\n' >"$TMP/innetns.sh"
WRAP="sh $TMP/innetns.sh"
start 6 as_user --net=slirp4netns --port-driver=builtin --detach-netns \
	-p "0.0.0.0:$P:80/tcp" -p "0.0.0.0:$P:80/udp"
WRAP=
is "$(client tcp 198.18.213.1 "$P")" 198.18.213.2 "--detach-netns: TCP sees the client's address"
is "$(client udp 198.18.213.1 "$P")" 198.18.213.2 "--detach-netns: UDP sees the client's address"
stop

# --source-ip-transparent=false: the namespace's own address
start 2 as_user --net=slirp4netns --port-driver=builtin \
	--source-ip-transparent=false \
	-p "0.0.0.0:$P:80/tcp" -p "0.0.0.0:$P:80/udp"
is "$(client tcp 198.18.213.1 "$P")" 127.0.0.1 "--source-ip-transparent=false: TCP sees 127.0.0.1"
is "$(client udp 198.18.213.1 "$P")" 127.0.0.1 "--source-ip-transparent=false: UDP sees 127.0.0.1"
stop

# no iptables-restore anywhere: one warning; TCP takes the plain path, UDP
# (routes only, no iptables) still propagates
start 3 no_sbin --net=slirp4netns --port-driver=builtin \
	-p "0.0.0.0:$P:80/tcp" -p "0.0.0.0:$P:80/udp"
is "$(grep -c 'source IP transparent' "$TMP/err3")" 1 "without iptables-restore: one warning"
contains "$TMP/err3" "falling back to non-transparent mode for TCP, client source IPs will not be preserved" "it says TCP falls back"
is "$(client tcp 198.18.213.1 "$P")" 127.0.0.1 "without iptables: TCP works, plain path"
is "$(client udp 198.18.213.1 "$P")" 198.18.213.2 "without iptables: UDP still propagates"
stop

# the slirp4netns driver: slirp4netns NATs, the source is kept
start 4 as_user --net=slirp4netns --port-driver=slirp4netns \
	-p "0.0.0.0:$P3:80/tcp" -p "0.0.0.0:$P3:80/udp"
is "$(client tcp 198.18.213.1 "$P3")" 198.18.213.2 "slirp4netns driver: TCP sees the client's address"
is "$(client udp 198.18.213.1 "$P3")" 198.18.213.2 "slirp4netns driver: UDP sees the client's address"
stop
done_testing
