#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The deprecated socat port driver (one socat per port, nsenter per
# client, restarted when it exits, killed on removal and at exit), and the
# manual socat recipe from the documentation.
. "$(dirname "$0")/lib.sh"
peer_tools
SD=$TMP/sd
set -- $(free_ports 5)
P1=$1 P2=$2 P3=$3 P4=$4 P5=$5
bg "$RK" --state-dir="$SD" --net=slirp4netns --port-driver=socat \
	-p "127.0.0.1:$P1:80/tcp" -p "127.0.0.1:$P1:80/udp" \
	python3 "$TMP/peer_server.py" 80 "$TMP/ready" 2>"$TMP/err"
rk=$BG
wait_file "$SD/child_pid" && wait_file "$TMP/ready" || diag "not ready"
ctl() { "$RKCTL" --socket "$SD/api.sock" "$@"; }
contains "$TMP/err" "--port-driver=socat is deprecated" "deprecation warning at start"
is "$(python3 "$TMP/peer_client.py" tcp 127.0.0.1 "$P1")" 127.0.0.1 "tcp through socat reaches the child"
is "$(python3 "$TMP/peer_client.py" udp 127.0.0.1 "$P1")" 127.0.0.1 "udp through socat reaches the child"
curl -sS --unix-socket "$SD/api.sock" http://x/v1/info >"$TMP/info"
contains "$TMP/info" '"portDriver":{"driver":"socat","protos":["tcp","tcp4","udp","udp4"]}' "info: socat, tcp tcp4 udp udp4"

id=$(ctl add-ports "127.0.0.1:$P2:80/tcp4")
is "$id" 3 "add-ports: ID 3"
is "$(python3 "$TMP/peer_client.py" tcp 127.0.0.1 "$P2")" 127.0.0.1 "the added port works as soon as the API answered"
is "$(ctl add-ports "127.0.0.1:$P3:80/tcp6" 2>&1)" 'error: unsupported protocol "tcp6"' "tcp6 refused"
python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); open(sys.argv[2],"w").close(); time.sleep(60)' "$P4" "$TMP/busy" &
busy=$!
_bg_pids="$_bg_pids $busy"
wait_file "$TMP/busy" 5
is "$(ctl add-ports "127.0.0.1:$P4:80/tcp" 2>&1)" \
	"error: listen tcp 127.0.0.1:$P4: bind: address already in use" "a port in use: upstream's message"
kill "$busy"

# socat exits: restarted
old=$(pgrep -u "$(id -u)" -f "^socat TCP-LISTEN:$P2," | head -1)
kill -9 "$old"
got=$(poll_output 60 python3 "$TMP/peer_client.py" tcp 127.0.0.1 "$P2")
is "$got" 127.0.0.1 "killed socat is restarted and the port works again"
new=$(pgrep -u "$(id -u)" -f "^socat TCP-LISTEN:$P2," | head -1)
check "by a new process" test -n "$new" -a "$new" != "$old"
contains "$TMP/err" "socat for port $P2 exited (signal: killed), restarting in 100 ms" "the restart is logged"

is "$(ctl remove-ports 3)" 3 "remove-ports 3"
check "removed port refuses at once" sh -c "! python3 '$TMP/peer_client.py' tcp 127.0.0.1 $P2 2>/dev/null"
check "its socat is gone" sh -c "! pgrep -u $(id -u) -f '^socat TCP-LISTEN:$P2,' >/dev/null"
kill "$rk"
wait "$rk" 2>/dev/null
check "no socat left after exit" sh -c "! pgrep -u $(id -u) -f '^socat (TCP|UDP)-LISTEN:$P1,' >/dev/null"
check "state dir removed" test ! -e "$SD"

# bad start-up input fails before anything is created
"$RK" --state-dir="$SD" --net=slirp4netns --port-driver=socat \
	-p "127.0.0.1:$P3:80/udp6" true >"$TMP/out" 2>&1
is "$?" 1 "-p with udp6: exit status 1"
contains "$TMP/out" "failed to expose port 127.0.0.1:$P3:80/udp6: unsupported protocol \"udp6\"" "-p with udp6: message"
mkdir "$TMP/nobin"
env PATH="$TMP/nobin" "$RK" --state-dir="$SD" --net=slirp4netns \
	--slirp4netns-binary=/usr/bin/slirp4netns --port-driver=socat true >"$TMP/out" 2>&1
is "$?" 1 "no socat in PATH: exit status 1"
contains "$TMP/out" '--port-driver=socat needs socat (install the Debian package "socat"): exec: "socat": executable file not found in $PATH' \
	"no socat in PATH: message"
check "nothing left behind" test ! -e "$SD"

# the manual recipe (docs/port.md), with --port-driver=none; socat 1.7.4
# splits EXEC's command at colons unless they are escaped
bg "$RK" --state-dir="$SD" --net=slirp4netns \
	python3 "$TMP/peer_server.py" 80 "$TMP/ready2" 2>/dev/null
rk=$BG
wait_file "$SD/child_pid" && wait_file "$TMP/ready2" || diag "not ready"
bg socat "TCP-LISTEN:$P5,bind=127.0.0.1,reuseaddr,fork" \
	EXEC:"nsenter -U -n -t $(cat "$SD/child_pid") socat STDIN TCP4\:127.0.0.1\:80"
got=$(poll_output 60 python3 "$TMP/peer_client.py" tcp 127.0.0.1 "$P5")
is "$got" 127.0.0.1 "the manual socat + nsenter recipe reaches the child"
kill "$BG"
kill "$rk"
wait "$rk" 2>/dev/null
done_testing
