#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --bypass4netns without a host-side set-up (root_bypass.sh has the
# traffic tests): flag checks, /v1/info, the refused filter (test hook
# _ROOTLESSKIT_BYPASS4NETNS_REFUSE=1: one warning, the normal path), and a
# published port's listener that steps aside and comes back.
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/tmpdir"
P=23101 Q=23102

# fails DESC WANT ARGS...
fails() {
	_d=$1 _want=$2
	shift 2
	TMPDIR="$TMP/tmpdir" "$RK" "$@" true 2>"$TMP/err"
	is "$?" 1 "$_d: exit status 1"
	contains "$TMP/err" "[rootlesskit:parent] error: $_want" "$_d: message"
	is "$(ls "$TMP/tmpdir" | wc -l)" 0 "$_d: no state dir left"
}
fails "host network" "--bypass4netns requires a network namespace of its own (not --net=host, not --detach-netns)" --bypass4netns
fails "bad CIDR" "--bypass4netns-ignore: invalid CIDR address: 10.0.0.0/33" \
	--net=slirp4netns --bypass4netns --bypass4netns-ignore=10.0.0.0/33
"$RK" --help >"$TMP/help" 2>&1
contains "$TMP/help" "--bypass4netns " "--help lists --bypass4netns"
contains "$TMP/help" "--bypass4netns-ignore value" "--help lists --bypass4netns-ignore"

# info SD - the bypass4netns member of GET /v1/info
info() {
	curl -s --unix-socket "$1/api.sock" http://x/v1/info |
		python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["bypass4netns"], sort_keys=True))'
}
sd=$TMP/sd1
bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin --bypass4netns \
	--bypass4netns-ignore=192.0.2.0/24 --bypass4netns-ignore=2001:db8::/32 \
	-p "127.0.0.1:$P:$P/tcp" sh -c "python3 -c '
import socket, sys
l = socket.socket(); l.bind((\"0.0.0.0\", $P)); l.listen(); open(sys.argv[1], \"w\").close()
c, a = l.accept(); c.sendall(b\"inside\\n\"); c.close()' $TMP/up; sleep 600" 2>"$TMP/err1"
rk=$BG
wait_file "$TMP/up" || diag "not up"
is "$(info "$sd")" '{"active": true, "enabled": true, "ignore": ["192.0.2.0/24", "2001:db8::/32"]}' "/v1/info: bypass4netns"
is "$(python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1]))); print(s.recv(99).decode().strip())' "$P")" \
	inside "the program's own listener answers on the published port"
# the program closed its socket: the builtin listener comes back (1 s timer)
out=$(poll_output 100 python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.settimeout(0.2); print(s.recv(9) == b"")' "$P")
is "$out" True "the builtin listener is back after the program closed its socket"
kill "$rk"; wait "$rk" 2>/dev/null

sd=$TMP/sd2
_ROOTLESSKIT_BYPASS4NETNS_REFUSE=1 bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin --bypass4netns \
	sh -c "python3 -c '
import socket
l = socket.socket(); l.bind((\"127.0.0.1\", $Q)); l.listen()
c = socket.create_connection((\"127.0.0.1\", $Q)); print(c.getsockname()[0])' >$TMP/lo; touch $TMP/up2; sleep 600" 2>"$TMP/err2"
rk=$BG
wait_file "$TMP/up2" || diag "not up"
is "$(info "$sd")" '{"active": false, "enabled": true, "ignore": []}' "refused filter: /v1/info says not active"
is "$(grep -c 'seccomp user-notification filter could not be set up' "$TMP/err2")" 1 "refused filter: one warning"
is "$(cat "$TMP/lo")" 127.0.0.1 "refused filter: the command runs, on the normal path"
kill "$rk"; wait "$rk" 2>/dev/null
done_testing
