#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# rootlessctl compatibility, both ways: our rootlessctl and the Go one from
# Debian's rootlesskit package give the same output, errors and exit codes,
# against our api.sock and against the Go rootlesskit's (when installed).
. "$(dirname "$0")/lib.sh"
GOCTL=/usr/bin/rootlessctl
GORK=/usr/bin/rootlesskit

# ctl_out CTL ARGS... - run CTL, output to $TMP/o.<stdout|stderr|rc>
ctl_out() {
	_c=$1
	shift
	"$_c" "$@" >"$TMP/o.stdout" 2>"$TMP/o.stderr"
	echo $? >"$TMP/o.rc"
}

# both DESC ARGS... - our and Go's rootlessctl print the same; our output
# stays in $TMP/ours.* for further checks.  With SORTED=1 lines are sorted
# first (the Go server lists ports in map order).
both() {
	_d=$1
	shift
	ctl_out "$RKCTL" "$@"
	for f in stdout stderr rc; do mv "$TMP/o.$f" "$TMP/ours.$f"; done
	if [ -x "$GOCTL" ]; then
		ctl_out "$GOCTL" "$@"
		sed -i 's/version 1\.1\.0$/version X/; s/^   1\.1\.0$/   X/' "$TMP/o.stdout"
		sed 's/version 3\.0\.1+c\.[0-9A-Za-z.-]*$/version X/; s/^   3\.0\.1+c\.[0-9A-Za-z.-]*$/   X/' "$TMP/ours.stdout" >"$TMP/ours.cmp"
		if [ "${SORTED:-0}" = 1 ]; then
			sort "$TMP/ours.cmp" -o "$TMP/ours.cmp"
			sort "$TMP/o.stdout" -o "$TMP/o.stdout"
		fi
		if cmp -s "$TMP/ours.cmp" "$TMP/o.stdout" && cmp -s "$TMP/ours.stderr" "$TMP/o.stderr" &&
			cmp -s "$TMP/ours.rc" "$TMP/o.rc"; then
			ok "$_d: same as Go's rootlessctl"
		else
			not_ok "$_d: same as Go's rootlessctl"
			diff "$TMP/o.stdout" "$TMP/ours.cmp" | sed 's/^/#   /'
			diff "$TMP/o.stderr" "$TMP/ours.stderr" | sed 's/^/#   /'
			echo "#   rc go=$(cat "$TMP/o.rc") ours=$(cat "$TMP/ours.rc")"
		fi
	fi
}

# against SERVER NAME - the whole sequence against one rootlesskit
against() {
	rk=$1
	name=$2
	sd="$TMP/sd-$name"
	bg "$rk" --state-dir="$sd" --net=slirp4netns --port-driver=builtin sleep infinity 2>"$TMP/err-$name"
	pid=$BG
	wait_file "$sd/child_pid" || { not_ok "$name rootlesskit started"; return; }
	wait_file "$sd/api.sock" || { not_ok "$name api.sock appeared"; return; }
	S="--socket=$sd/api.sock"
	set -- $(free_ports 4)
	p1=$1 p2=$2 p3=$3 p4=$4

	both "$name: info" "$S" info
	contains "$TMP/ours.stdout" "- Port Driver: builtin" "$name: info names the port driver"
	both "$name: info --json" "$S" info --json
	contains "$TMP/ours.stdout" '    "apiVersion": "1.1.1",' "$name: info --json is indented by 4"
	both "$name: empty list-ports" "$S" list-ports
	is "$(cat "$TMP/ours.stdout")" "ID    PROTO    PARENTIP    PARENTPORT    CHILDIP    CHILDPORT    " "$name: header of an empty table"
	both "$name: empty list-ports --json" "$S" list-ports --json
	is "$(wc -c <"$TMP/ours.stdout")" 0 "$name: no JSON lines without ports"

	ctl_out "$RKCTL" "$S" add-ports "0.0.0.0:$p1:80/tcp" "[::1]:$p2:[::2]:80/tcp6" "127.0.0.1:$p3:10.0.2.100:80/udp"
	is "$(cat "$TMP/o.stdout")" "$(printf '1\n2\n3')" "$name: add-ports prints one ID per line"
	ctl_out "$RKCTL" "$S" add-ports --json "127.0.0.1:$p4:80/tcp"
	is "$(cat "$TMP/o.stdout")" "{\"id\":4,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$p4,\"childPort\":80}}" "$name: add-ports --json"
	SORTED=1 both "$name: list-ports" "$S" list-ports
	contains "$TMP/ours.stdout" "3     udp      127.0.0.1    $p3         10.0.2.100    80           " "$name: table row with a child IP"
	SORTED=1 both "$name: list-ports --json" "$S" list-ports --json
	contains "$TMP/ours.stdout" "{\"id\":2,\"spec\":{\"proto\":\"tcp6\",\"parentIP\":\"::1\",\"parentPort\":$p2,\"childPort\":80,\"childIP\":\"::2\"}}" "$name: JSON line with IPv6"

	both "$name: conflict" "$S" add-ports "0.0.0.0:$p1:80/tcp"
	is "$(cat "$TMP/ours.stderr"):$(cat "$TMP/ours.rc")" "error: conflict with ID 1:1" "$name: conflict error and exit 1"
	both "$name: bad spec" "$S" add-ports bad
	is "$(cat "$TMP/ours.stderr")" 'error: missing proto in PortSpec string: "bad"' "$name: bad spec error"
	both "$name: add-ports without specs" "$S" add-ports
	both "$name: unknown id" "$S" remove-ports 99
	is "$(cat "$TMP/ours.stderr")" "error: unknown id: 99" "$name: unknown id error"
	both "$name: non-integer id" "$S" remove-ports x
	both "$name: remove-ports without ids" "$S" remove-ports
	ctl_out "$RKCTL" "$S" remove-ports 1 2
	is "$(cat "$TMP/o.stdout")" "$(printf '1\n2')" "$name: remove-ports prints the IDs"
	SORTED=1 both "$name: list after removal" "$S" list-ports
	check "$name: removed ports are gone" sh -c "! grep -q '^1 ' '$TMP/ours.stdout'"
	both "$name: unknown flag" "$S" --bogus list-ports
	both "$name: unknown subcommand flag" "$S" list-ports --bogus
	both "$name: unknown command" "$S" bogus
	is "$(cat "$TMP/ours.rc")" 3 "$name: unknown command exits 3"
	kill "$pid"
	wait "$pid" 2>/dev/null
}

against "$RK" ours
if [ -x "$GORK" ]; then
	against "$GORK" go
else
	skip "Go rootlesskit not installed"
fi

both "no socket" list-ports
is "$(cat "$TMP/ours.stderr")" 'error: please specify --socket or set $ROOTLESSKIT_STATE_DIR' "no socket error"
both "missing socket" --socket="$TMP/none/api.sock" info
is "$(cat "$TMP/ours.stderr")" "error: stat $TMP/none/api.sock: no such file or directory" "missing socket error"
both "--version" --version
check "--version is 3.0.1+c.<build>" grep -qx 'rootlessctl version 3\.0\.1+c\.[0-9A-Za-z.-]*' "$TMP/ours.stdout"
both "--help" --help
both "help add-ports" help add-ports
both "info -h" info -h
done_testing
