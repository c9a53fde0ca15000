#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# -p/--publish: ports are exposed before child_pid appears; any failure
# aborts start-up with "failed to expose port SPEC: ...", exit status 1,
# the command never runs, and nothing is left behind (state dir, helper
# processes, listeners of the ports exposed before the failing one).
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/tmpdir"
# our own path to slirp4netns, so that the leak check sees only ours
mkdir -p "$TMP/s4" && ln -s "$(command -v slirp4netns)" "$TMP/s4/slirp4netns"
set -- $(free_ports 2)
p=$1 q=$2

# start_fail DESC WANT ARGS... - rootlesskit must fail with WANT on stderr
start_fail() {
	_d=$1
	_want=$2
	shift 2
	rm -f "$TMP/ran"
	TMPDIR="$TMP/tmpdir" "$RK" --net=slirp4netns --slirp4netns-binary="$TMP/s4/slirp4netns" \
		--port-driver=builtin "$@" touch "$TMP/ran" 2>"$TMP/err"
	is "$?" 1 "$_d: exit status 1"
	contains "$TMP/err" "[rootlesskit:parent] error: $_want" "$_d: message"
	check "$_d: the command did not run" test ! -e "$TMP/ran"
	is "$(ls "$TMP/tmpdir" | wc -l)" 0 "$_d: no state dir left"
	is "$(pgrep -c -f "^$TMP/s4/slirp4netns" || true)" 0 "$_d: no slirp4netns left"
}

# a host process holds 127.0.0.1:$q
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); open(sys.argv[2],"w").close(); time.sleep(60)' "$q" "$TMP/held" &
holder=$!
_bg_pids="$_bg_pids $holder"
for i in $(seq 100); do [ -e "$TMP/held" ] && break; sleep 0.05; done

start_fail "port in use" "failed to expose port 127.0.0.1:$q:80/tcp: listen tcp 127.0.0.1:$q: bind: address already in use" \
	-p "127.0.0.1:$p:80/tcp" -p "127.0.0.1:$q:80/tcp"
check "the port exposed before the failing one was released" \
	python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$p"
start_fail "bad spec" 'unexpected ParentPort in PortSpec string: "127.0.0.1:x:80/tcp": strconv.Atoi: parsing "x": invalid syntax' \
	-p "127.0.0.1:x:80/tcp"
start_fail "bad port" "invalid ChildPort: 0" -p "127.0.0.1:$p:0/tcp"
start_fail "sctp" "failed to expose port 0.0.0.0:$p:80/sctp: unsupported port protocol sctp" -p "0.0.0.0:$p:80/sctp"
start_fail "conflicting -p" "failed to expose port 127.0.0.1:$p:81/tcp: conflict with ID 1" \
	-p "127.0.0.1:$p:80/tcp" -p "127.0.0.1:$p:81/tcp"
kill "$holder"

# success: the port answers as soon as child_pid exists
sd="$TMP/sd"
bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin -p "127.0.0.1:$p:80/tcp" sleep infinity 2>/dev/null
pid=$BG
wait_file "$sd/child_pid"
check "the -p port listens when child_pid appears" \
	python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)' "$p"
check "api.sock is listening when child_pid appears" test -S "$sd/api.sock"
kill "$pid"
wait "$pid" 2>/dev/null

# --builtin-busy-poll: same forwarding, bad values refused before start
start_fail "negative busy poll" "invalid --builtin-busy-poll: -1 (must be 0..1000000)" --builtin-busy-poll=-1
start_fail "zero UDP flow cap" "invalid --builtin-udp-max-flows: 0 (must be 1..1000000)" --builtin-udp-max-flows=0
start_fail "negative keepalive" "invalid --builtin-tcp-keepalive: -1 (must be 0..32767)" --builtin-tcp-keepalive=-1
sd="$TMP/sd-busy"
bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin --pidns --builtin-busy-poll=50 \
	-p "127.0.0.1:$p:7000/tcp" socat TCP-LISTEN:7000,fork,reuseaddr EXEC:cat 2>/dev/null
pid=$BG
wait_file "$sd/child_pid"
got=$(python3 - "$p" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        c.sendall(b"busy"); d = c.recv(4)
        if d:
            print(d.decode()); break
    except OSError:
        pass
    time.sleep(0.05)
PY
)
is "$got" busy "forwarding with --builtin-busy-poll=50"
kill "$pid"
wait "$pid" 2>/dev/null
done_testing
