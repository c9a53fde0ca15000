#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The slirp4netns port driver: ports are slirp4netns hostfwds added through
# its API socket ($SD/.s4nn.sock); IDs are slirp4netns's; IPv6 is refused;
# the service sees the client's address as slirp4netns NATs it (a loopback
# client appears as the gateway 10.0.2.2, any other client as itself).
. "$(dirname "$0")/lib.sh"
peer_tools
SD=$TMP/sd
set -- $(free_ports 4)
P1=$1 P2=$2 P3=$3 P4=$4
# our own path to slirp4netns, so that the leak check below sees only ours
mkdir -p "$TMP/s4" && ln -s "$(command -v slirp4netns)" "$TMP/s4/slirp4netns"
bg "$RK" --state-dir="$SD" --net=slirp4netns --port-driver=slirp4netns \
	--slirp4netns-binary="$TMP/s4/slirp4netns" \
	-p "127.0.0.1:$P1:80/tcp" -p "127.0.0.1:$P1:80/udp4" \
	python3 "$TMP/peer_server.py" 80 "$TMP/ready"
rk=$BG
wait_file "$SD/child_pid" && wait_file "$TMP/ready" || diag "not ready"
ctl() { "$RKCTL" --socket "$SD/api.sock" "$@"; }

is "$(python3 "$TMP/peer_client.py" tcp 127.0.0.1 "$P1")" 10.0.2.2 \
	"tcp from 127.0.0.1 reaches the child, seen as the gateway 10.0.2.2"
is "$(python3 "$TMP/peer_client.py" udp 127.0.0.1 "$P1")" 10.0.2.2 \
	"udp4 likewise"
check ".s4nn.sock exists" test -S "$SD/.s4nn.sock"

# a non-loopback address of this host, if there is one
hip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{sub("/.*", "", $4); print $4; exit}')
if [ -n "$hip" ]; then
	id=$(ctl add-ports "0.0.0.0:$P2:80/tcp")
	id2=$(ctl add-ports "0.0.0.0:$P2:80/udp")
	is "$(python3 "$TMP/peer_client.py" tcp "$hip" "$P2" "$hip")" "$hip" \
		"a TCP client at $hip is seen as $hip (slirp4netns NAT keeps the source)"
	is "$(python3 "$TMP/peer_client.py" udp "$hip" "$P2" "$hip")" "$hip" \
		"a UDP client at $hip likewise"
	ctl remove-ports "$id" "$id2" >/dev/null
else
	skip "no non-loopback IPv4 address on this host"
	skip "no non-loopback IPv4 address on this host"
fi

ctl list-ports >"$TMP/list"
check "list-ports shows the -p ports" grep -Eq "^1 +tcp +127.0.0.1 +$P1 +80" "$TMP/list"
curl -sS --unix-socket "$SD/api.sock" http://x/v1/info >"$TMP/info"
contains "$TMP/info" '"portDriver":{"driver":"slirp4netns","protos":["tcp","tcp4","udp","udp4"],"disallowLoopbackChildIP":true}' \
	"info: protos and disallowLoopbackChildIP"

for spec in "127.0.0.1:$P3:80/tcp6" "[::1]:$P3:80/udp6"; do
	out=$(ctl add-ports "$spec" 2>&1)
	is "$out" "error: unsupported protocol \"${spec##*/}\"" "$spec refused"
done
out=$(ctl add-ports "127.0.0.1:$P3:[::1]:80/tcp" 2>&1)
is "$out" "error: unsupported IP (v6?): ::1" "IPv6 child IP refused"
out=$(ctl add-ports "127.0.0.1:$P1:81/tcp" 2>&1)
is "$out" "error: conflict with ID 1" "conflict with an existing port"

# a host port that is taken: slirp4netns's error reaches the caller, 400
python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); open(sys.argv[2],"w").close(); time.sleep(60)' "$P4" "$TMP/busy" &
busy=$!
_bg_pids="$_bg_pids $busy"
wait_file "$TMP/busy" 5
code=$(curl -sS -o "$TMP/err" -w '%{http_code}' --unix-socket "$SD/api.sock" \
	-X POST -d "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$P4,\"childPort\":80}" http://x/v1/ports)
is "$code" 400 "port in use on the host: 400"
contains "$TMP/err" '{"message":"reply.Error: map[desc:bad request: add_hostfwd: slirp_add_hostfwd failed]"}' \
	"slirp4netns's message, as upstream prints it"
kill "$busy"
is "$(ctl list-ports | wc -l)" 3 "failed adds changed nothing"

id=$(ctl add-ports "127.0.0.1:$P3:80/tcp")
case $id in ''|*[!0-9]*) not_ok "add-ports printed an ID: '$id'" ;; *) ok "add-ports printed slirp4netns's ID $id" ;; esac
is "$(python3 "$TMP/peer_client.py" tcp 127.0.0.1 "$P3")" 10.0.2.2 "added port works"
is "$(ctl remove-ports "$id")" "$id" "remove-ports $id"
check "removed port no longer accepts" sh -c "! python3 '$TMP/peer_client.py' tcp 127.0.0.1 $P3 2>/dev/null"
is "$(ctl remove-ports "$id" 2>&1)" "error: unknown id: $id" "removing it again"
if [ -x /usr/bin/rootlessctl ]; then
	/usr/bin/rootlessctl --socket "$SD/api.sock" list-ports >"$TMP/golist" 2>&1
	contains "$TMP/golist" "$P1" "the Go rootlessctl lists the ports"
else
	skip "no Go rootlessctl"
fi

kill "$rk"
wait "$rk" 2>/dev/null
check "state dir removed" test ! -e "$SD"
check "no slirp4netns left" sh -c "! pgrep -f '^$TMP/s4/slirp4netns' >/dev/null"

# *6 in -p fails before anything starts
"$RK" --state-dir="$SD" --net=slirp4netns --port-driver=slirp4netns \
	-p "127.0.0.1:$P3:80/tcp6" true >"$TMP/out" 2>&1
is "$?" 1 "-p with tcp6: exit status 1"
contains "$TMP/out" "failed to expose port 127.0.0.1:$P3:80/tcp6: unsupported protocol \"tcp6\"" "-p with tcp6: message"
done_testing
