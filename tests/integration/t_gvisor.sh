#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --net=gvisor-tap-vsock and --port-driver=gvisor-tap-vsock: libslirp in
# the parent on the child's TAP device.  Addresses (gateway and DNS at
# CIDR+1, child at +100), flags and their messages, the host's loopback at
# the gateway (and not with --disable-host-loopback), --detach-netns, the
# port driver (TCP and UDP: -p, add, list, remove, conflict, bad specs, a
# host port in use), /v1/info, no fd growth, and nothing left after the end
# or a kill.  A server on another network and DNS: root_gvisor.sh.
. "$(dirname "$0")/lib.sh"
peer_tools
# ports of this test: 22100-22119
PH=22100 P1=22101 P2=22102 P3=22103 PBUSY=22104 P5=22105
GV=--net=gvisor-tap-vsock
python3 "$TMP/peer_server.py" "$PH" "$TMP/hready" &
_bg_pids="$_bg_pids $!"
wait_file "$TMP/hready" || diag "host server not ready"
client() { python3 "$TMP/peer_client.py" "$@" 2>&1; }

# --help and the flag checks
"$RK" --help >"$TMP/help" 2>&1
contains "$TMP/help" "gvisor-tap-vsock(experimental)" "--help lists the network and port driver"
"$RK" $GV --ipv6 true >"$TMP/o" 2>"$TMP/e"
is "$?" 1 "--ipv6 fails"
contains "$TMP/e" "error: --ipv6 is not supported for gvisor-tap-vsock" "--ipv6: upstream's message"
before=$(ls /tmp | grep -c rootlesskit)
"$RK" $GV --cidr=10.0.2.100/24 true 2>"$TMP/e"
is "$?" 1 "a malformed --cidr fails"
contains "$TMP/e" "cidr must be like 10.0.2.0/24, not like 10.0.2.100/24" "--cidr with host bits: upstream's message"
"$RK" $GV --cidr=10.0.2.0/33 true 2>"$TMP/e"
contains "$TMP/e" "invalid CIDR address: 10.0.2.0/33" "unparsable --cidr: upstream's message"
is "$(ls /tmp | grep -c rootlesskit)" "$before" "a bad --cidr leaves no state directory behind"
"$RK" --net=slirp4netns --port-driver=gvisor-tap-vsock true 2>"$TMP/e"
contains "$TMP/e" "Virtual network services mux not available in child context" "the port driver needs the gvisor-tap-vsock network"
"$RK" --port-driver=gvisor-tap-vsock true 2>"$TMP/e"
contains "$TMP/e" "port driver requires non-host network" "the port driver on the host network"
"$RK" $GV --port-driver=gvisor-tap-vsock -p "127.0.0.1:$P1:80/sctp" true 2>"$TMP/e"
contains "$TMP/e" "failed to expose port 127.0.0.1:$P1:80/sctp: unsupported protocol: sctp" "-p sctp: upstream's message"

# defaults
"$RK" $GV --copy-up=/etc sh -c 'ip -4 -o addr show tap0; cat /sys/class/net/tap0/mtu; ip route show default; cat /etc/resolv.conf' >"$TMP/d" 2>"$TMP/d.err"
is "$?" 0 "--net=gvisor-tap-vsock runs"
contains "$TMP/d.err" '"gvisor-tap-vsock" network driver is experimental' "experimental warning"
contains "$TMP/d" "inet 10.0.2.100/24" "tap0 is 10.0.2.100/24"
contains "$TMP/d" "65520" "MTU 65520"
contains "$TMP/d" "default via 10.0.2.1 dev tap0" "default route via 10.0.2.1"
contains "$TMP/d" "nameserver 10.0.2.1" "resolv.conf names 10.0.2.1"
is "$("$RK" $GV --copy-up=/etc python3 "$TMP/peer_client.py" tcp 10.0.2.1 "$PH" 2>/dev/null)" 127.0.0.1 \
	"tcp: the host's 127.0.0.1 is reachable at 10.0.2.1"
is "$("$RK" $GV --copy-up=/etc python3 "$TMP/peer_client.py" udp 10.0.2.1 "$PH" 2>/dev/null)" 127.0.0.1 \
	"udp: likewise"
"$RK" $GV --disable-host-loopback --copy-up=/etc python3 "$TMP/peer_client.py" tcp 10.0.2.1 "$PH" >"$TMP/o" 2>"$TMP/e"
rc=$?
check "--disable-host-loopback: 10.0.2.1 does not reach the host's 127.0.0.1" [ "$rc" -ne 0 ] && [ ! -s "$TMP/o" ]
check "--disable-host-loopback: no warning that it is unsupported (it is honoured)" \
	sh -c "! grep -q 'not yet supported' '$TMP/e'"

# libslirp keeps a host socket per connection, lingering after close: the
# parent runs with the hard RLIMIT_NOFILE (with 1024, connection 1020 on
# failed), the command with the user's soft limit
mkdir -p "$TMP/www"
echo hi >"$TMP/www/index.html"
wport=$(free_port)
bg busybox httpd -f -p "127.0.0.1:$wport" -h "$TMP/www"
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$wport/" >/dev/null && break; sleep 0.05; done
"$RK" $GV sh -c 'ulimit -n; python3 "$1" 10.0.2.1 "$2" 3000' sh "$(conn_loop_py)" "$wport" >"$TMP/lp" 2>/dev/null
is "$(sed -n 2p "$TMP/lp")" "3000 0" "3000 connections in a row from the namespace, none failed"
is "$(sed -n 1p "$TMP/lp")" "$(ulimit -n)" "the command keeps the user's soft RLIMIT_NOFILE"

# --cidr, --mtu, --ifname: the gateway of the CIDR leads to the host
"$RK" $GV --cidr=10.0.7.0/24 --mtu=1500 --ifname=eth3 --copy-up=/etc sh -c 'ip -4 -o addr show eth3; cat /sys/class/net/eth3/mtu; ip route show default; cat /etc/resolv.conf; python3 "$1" tcp 10.0.7.1 "$2"' sh "$TMP/peer_client.py" "$PH" >"$TMP/c" 2>/dev/null
contains "$TMP/c" "inet 10.0.7.100/24" "--cidr/--ifname: eth3 is 10.0.7.100/24"
contains "$TMP/c" "1500" "--mtu=1500"
contains "$TMP/c" "default via 10.0.7.1 dev eth3" "--cidr: gateway 10.0.7.1"
contains "$TMP/c" "nameserver 10.0.7.1" "--cidr: DNS 10.0.7.1"
contains "$TMP/c" "127.0.0.1" "--cidr: the host's loopback at 10.0.7.1 (upstream: only at 10.0.2.1)"

# --detach-netns: the command is in the host's netns, the device in $SD/netns
"$RK" $GV --detach-netns --copy-up=/etc sh -c 'nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" sh -c "ip -4 -o addr show tap0; python3 $1 tcp 10.0.2.1 $2"' sh "$TMP/peer_client.py" "$PH" >"$TMP/dn" 2>"$TMP/dn.err"
contains "$TMP/dn" "inet 10.0.2.100/24" "--detach-netns: tap0 in \$SD/netns"
contains "$TMP/dn" "127.0.0.1" "--detach-netns: the host's loopback at 10.0.2.1"
"$RK" $GV --detach-netns --disable-host-loopback sh -c 'nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" python3 "$1" tcp 10.0.2.1 "$2"' sh "$TMP/peer_client.py" "$PH" >"$TMP/o" 2>/dev/null
check "--detach-netns --disable-host-loopback: not reachable" [ $? -ne 0 ]

# the port driver, with a detached netns: the service runs in $SD/netns
SD=$TMP/sd
bg "$RK" --state-dir="$SD" $GV --detach-netns --port-driver=gvisor-tap-vsock \
	-p "127.0.0.1:$P1:80/tcp" -p "0.0.0.0:$P1:80/udp4" \
	sh -c 'exec nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" python3 "$1" 80 "$2"' sh \
	"$TMP/peer_server.py" "$TMP/ready" 2>"$TMP/p.err"
rk=$BG
wait_file "$SD/child_pid" && wait_file "$TMP/ready" || diag "not ready"
ctl() { "$RKCTL" --socket "$SD/api.sock" "$@"; }
contains "$TMP/p.err" '"gvisor-tap-vsock" port driver is experimental' "port driver: experimental warning"
is "$(client tcp 127.0.0.1 "$P1")" 10.0.2.1 "-p tcp: reaches the child (client seen as the gateway)"
is "$(client udp 127.0.0.1 "$P1")" 10.0.2.1 "-p udp4: likewise"
ctl info --json | python3 -c 'import json, sys
d = json.load(sys.stdin)
for k in ("networkDriver", "portDriver"):
    print(json.dumps(d.get(k), separators=(",", ":")))' >"$TMP/info"
contains "$TMP/info" '{"driver":"gvisor-tap-vsock","dns":["10.0.2.1"],"childIP":"10.0.2.100"}' "/info: networkDriver"
contains "$TMP/info" '{"driver":"gvisor-tap-vsock","protos":["tcp","tcp4","udp","udp4"],"disallowLoopbackChildIP":true}' "/info: portDriver"
is "$(ctl add-ports "127.0.0.1:$P2:80/tcp4")" 3 "add-ports tcp4: ID 3"
is "$(ctl add-ports "127.0.0.1:$P2:80/udp")" 4 "add-ports udp on the same port: ID 4"
is "$(client tcp 127.0.0.1 "$P2")" 10.0.2.1 "the added tcp4 port works"
is "$(client udp 127.0.0.1 "$P2")" 10.0.2.1 "the added udp port works"
ctl list-ports >"$TMP/l"
contains "$TMP/l" "3     tcp4     127.0.0.1    $P2         10.0.2.100    80" "list-ports: the child IP is filled in"
is "$(grep -c 10.0.2.100 "$TMP/l")" 4 "list-ports: four ports"
ctl add-ports "127.0.0.1:$P2:80/tcp4" >"$TMP/o" 2>&1
contains "$TMP/o" "conflict with ID 3" "a conflicting port: the manager's check"
ctl add-ports "127.0.0.1:$P3:80/tcp6" >"$TMP/o" 2>&1
contains "$TMP/o" "unsupported protocol: tcp6" "tcp6 is refused"
ctl add-ports "[::1]:$P3:80/tcp" >"$TMP/o" 2>&1
contains "$TMP/o" "unsupported IP (v6?): ::1" "an IPv6 parent IP is refused"
ctl add-ports "bad" >"$TMP/o" 2>&1
check "a bad spec is refused" [ $? -ne 0 ]
python3 -c 'import socket,time,sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); open(sys.argv[2], "w").close(); time.sleep(30)' "$PBUSY" "$TMP/busy" &
busy=$!
_bg_pids="$_bg_pids $busy"
wait_file "$TMP/busy"
ctl add-ports "127.0.0.1:$PBUSY:80/tcp" >"$TMP/o" 2>&1
contains "$TMP/o" "listen tcp 127.0.0.1:$PBUSY: bind: address already in use" "a host port in use: a clear error"
kill "$busy"
is "$(ctl remove-ports 3)" 3 "remove-ports 3"
client tcp 127.0.0.1 "$P2" >"$TMP/o"
check "the removed port is closed" [ $? -ne 0 ]
is "$(client udp 127.0.0.1 "$P2")" 10.0.2.1 "the udp port on the same number still works"
ctl remove-ports 9 >"$TMP/o" 2>&1
contains "$TMP/o" "unknown port id: 9" "remove an unknown ID: upstream's message"
# no fd growth over many adds and removes
pid=$(pgrep -o -f "state-dir=$SD")
fds0=$(ls "/proc/$pid/fd" | wc -l)
check "the parent's fds can be counted" [ "$fds0" -gt 5 ]
i=0
while [ $i -lt 20 ]; do
	id=$(ctl add-ports "127.0.0.1:$P5:80/tcp") && ctl remove-ports "$id" >/dev/null
	client tcp 127.0.0.1 "$P1" >/dev/null
	i=$((i + 1))
done
is "$(ls "/proc/$pid/fd" | wc -l)" "$fds0" "20 adds, removes and connections: the parent's fds stay at $fds0"
USERNS=$(readlink "/proc/$(cat "$SD/child_pid")/ns/user")
kill "$rk"
wait "$rk" 2>/dev/null
is "$(leftover_procs "$USERNS" none)" "" "SIGTERM: no process left"
check "SIGTERM: the state dir is gone" [ ! -e "$SD" ]
client tcp 127.0.0.1 "$P1" >"$TMP/o"
check "SIGTERM: the published port is closed" [ $? -ne 0 ]

# SIGKILL of the parent: the stack was in it, so nothing of it is left
bg "$RK" --state-dir="$SD" $GV --port-driver=gvisor-tap-vsock --pidns \
	-p "127.0.0.1:$P1:80/tcp" python3 "$TMP/peer_server.py" 80 "$TMP/ready2" 2>/dev/null
rk=$BG
wait_file "$SD/child_pid" && wait_file "$TMP/ready2" || diag "not ready"
is "$(client tcp 127.0.0.1 "$P1")" 10.0.2.1 "--pidns: the port works"
USERNS=$(readlink "/proc/$(cat "$SD/child_pid")/ns/user")
kill -9 "$rk"
wait "$rk" 2>/dev/null
_t=100
while [ -n "$(leftover_procs "$USERNS" none)" ] && [ $_t -gt 0 ]; do sleep 0.05; _t=$((_t - 1)); done
is "$(leftover_procs "$USERNS" none)" "" "SIGKILL: no process left"
client tcp 127.0.0.1 "$P1" >"$TMP/o"
check "SIGKILL: the published port is closed" [ $? -ne 0 ]
is "$(ls -A "$SD" | grep -v -e '^lock$' -e '^child_pid$' -e '^api.sock$' -e '^hosts$' -e '^resolv.conf$')" "" \
	"SIGKILL: \$SD holds no stack state (no socket directory, unlike upstream)"
done_testing
