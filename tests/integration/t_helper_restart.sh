#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The network helper dies (kill -9) while the command runs: rootlesskit
# logs it, reaps it, starts a new one; outbound traffic works again (the
# child reconfigures slirp4netns's new TAP device), the slirp4netns port
# driver's ports are exposed again under their IDs; pasta likewise; after
# 5 failed restarts in a row rootlesskit ends with a clear error.
. "$(dirname "$0")/lib.sh"
peer_tools
set -- $(free_ports 4)
PH=$1 P1=$2 P2=$3 PP=$4
# a server on the host's loopback, which the namespace reaches at the
# gateway 10.0.2.2 (no --disable-host-loopback)
bg python3 "$TMP/peer_server.py" "$PH" "$TMP/host.ready"
wait_file "$TMP/host.ready" || diag "host server not ready"
cli() { python3 "$TMP/peer_client.py" "$@" 2>/dev/null; }
# out NSENTER-ARGS... - from inside the namespace, the host server's answer
out() { nsenter -U --preserve-credentials "$@" python3 "$TMP/peer_client.py" tcp 10.0.2.2 "$PH" 2>/dev/null; }
# helper_of RKPID NAME - the PID of rootlesskit's helper NAME
# (by argv[0]: pasta re-executes itself as passt.avx2)
helper_of() { pgrep -P "$1" -f "^[^ ]*$2 "; }

SD=$TMP/sd1
bg "$RK" --state-dir="$SD" --net=slirp4netns --port-driver=slirp4netns \
	-p "127.0.0.1:$P1:80/tcp" python3 "$TMP/peer_server.py" 80 "$TMP/s1.ready" 2>"$TMP/err1"
rk=$BG
wait_file "$SD/child_pid" && wait_file "$TMP/s1.ready" || diag "rootlesskit not ready"
child=$(cat "$SD/child_pid")
case $(out -n -t "$child") in 10.0.2.*|127.0.0.1) ok "slirp4netns: outbound works" ;; *) not_ok "slirp4netns: outbound works" ;; esac
old=$(helper_of "$rk" slirp4netns)
kill -9 "$old"
got=$(poll_output 200 grep -F "network/slirp4netns: restarted" "$TMP/err1")
check "kill -9 slirp4netns: it is restarted" test -n "$got"
contains "$TMP/err1" "network/slirp4netns: slirp4netns exited unexpectedly (signal: killed); restarting it" "the death is logged"
check "the old slirp4netns is reaped (no zombie)" test ! -e "/proc/$old"
new=$(helper_of "$rk" slirp4netns)
check "a new slirp4netns runs" test -n "$new" -a "$new" != "$old"
got=$(poll_output 100 out -n -t "$child")
check "outbound works again (tap0 configured again)" test -n "$got"
is "$(cli tcp 127.0.0.1 "$P1")" "10.0.2.2" "the slirp4netns-driver port is exposed again"
"$RKCTL" --socket "$SD/api.sock" list-ports --json >"$TMP/ports1"
contains "$TMP/ports1" "{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$P1,\"childPort\":80}}" "it keeps its ID"
is "$("$RKCTL" --socket "$SD/api.sock" add-ports "127.0.0.1:$P2:80/tcp" 2>&1)" 2 "a new port gets the next ID"
is "$(cli tcp 127.0.0.1 "$P2")" "10.0.2.2" "and works"
is "$("$RKCTL" --socket "$SD/api.sock" remove-ports 1 2>&1)" 1 "the re-added port can be removed"
check "and is gone from the host" sh -c "! python3 '$TMP/peer_client.py' tcp 127.0.0.1 $P1 2>/dev/null"
kill "$rk"
wait "$rk" 2>/dev/null

# --detach-netns: the agent in $SD/netns configures the new device
SD=$TMP/sd2
bg "$RK" --state-dir="$SD" --net=slirp4netns --port-driver=builtin --detach-netns \
	sleep 600 2>"$TMP/err2"
rk=$BG
wait_file "$SD/child_pid" || diag "rootlesskit not ready"
child=$(cat "$SD/child_pid")
ns=--net=/proc/$child/root$SD/netns
check "detached: outbound works" test -n "$(out -t "$child" "$ns")"
kill -9 "$(helper_of "$rk" slirp4netns)"
got=$(poll_output 200 grep -F "network/slirp4netns: restarted" "$TMP/err2")
check "detached: slirp4netns is restarted" test -n "$got"
got=$(poll_output 100 out -t "$child" "$ns")
check "detached: outbound works again" test -n "$got"
kill "$rk"
wait "$rk" 2>/dev/null

if command -v pasta >/dev/null; then
	SD=$TMP/sd3
	bg "$RK" --state-dir="$SD" --net=pasta sleep 600 2>"$TMP/err3"
	rk=$BG
	wait_file "$SD/child_pid" || diag "rootlesskit not ready"
	child=$(cat "$SD/child_pid")
	check "pasta: outbound works" test -n "$(out -n -t "$child")"
	kill -9 "$(helper_of "$rk" pasta)"
	got=$(poll_output 200 grep -F "network/pasta: restarted" "$TMP/err3")
	check "kill -9 pasta: it is restarted" test -n "$got"
	contains "$TMP/err3" "network/pasta: pasta exited unexpectedly (signal: killed); restarting it" "the death is logged"
	got=$(poll_output 100 out -n -t "$child")
	check "pasta: outbound works again" test -n "$got"
	kill "$rk"
	wait "$rk" 2>/dev/null
else
	skip "pasta not installed"
fi

# a helper that cannot be started again: 5 failures, then a clear error
real=$(command -v slirp4netns)
cat >"$TMP/s4wrap" <<SH
#!/bin/sh
[ "\$1" = --help ] && exec "$real" "\$@"
[ -e "$TMP/s4wrap.used" ] && { echo "slirp4netns wrapper: refusing to start again" >&2; exit 1; }
: >"$TMP/s4wrap.used"
exec "$real" "\$@"
SH
chmod 755 "$TMP/s4wrap"
SD=$TMP/sd4
bg "$RK" --state-dir="$SD" --net=slirp4netns --slirp4netns-binary="$TMP/s4wrap" \
	sleep 600 2>"$TMP/err4"
rk=$BG
wait_file "$SD/child_pid" || diag "rootlesskit not ready"
child=$(cat "$SD/child_pid")
kill -9 "$(helper_of "$rk" slirp4netns)"
wait "$rk"
is "$?" 1 "a helper that keeps failing: rootlesskit exits 1"
contains "$TMP/err4" "[rootlesskit:parent] error: network driver slirp4netns exited and could not be restarted (5 failures in a row)" "with a clear error"
is "$(grep -c 'restart failed' "$TMP/err4")" 4 "after 4 logged failed restarts"
check "the command was killed" test ! -e "/proc/$child"
check "the state dir is removed" test ! -e "$SD"
done_testing
