#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --detach-netns: the command stays in the host network namespace; the
# driver's namespace is parked at $SD/netns, where `nsenter -n` enters it
# (as current dockerd-rootless.sh does); -p and add-ports reach services
# started in there; for slirp4netns (builtin and slirp4netns port
# drivers), pasta (implicit) and none.
. "$(dirname "$0")/lib.sh"
peer_tools
hostns=$(readlink /proc/self/ns/net)
hostsys=$(ls /sys/class/net | tr '\n' ' ')
# the command: record what it sees, then serve port 80 inside $SD/netns
cat >"$TMP/inner.sh" <<'SH'
o=$1/$2
readlink /proc/self/ns/net >"$o.ns"
inns() { nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" "$@"; }
inns ip -o -4 addr show >"$o.addr" 2>&1
inns ip -o link show >"$o.link" 2>&1
inns sysctl -w net.ipv4.ip_forward=1 >"$o.sysctl" 2>&1
cat /etc/resolv.conf >"$o.resolv"
ls /sys/class/net | tr '\n' ' ' >"$o.sys"
exec nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" python3 "$1/peer_server.py" 80 "$o.ready"
SH
# run NAME FLAGS... - rootlesskit with FLAGS and the command above, in the
# background; waits for child_pid and the server; sets SD and rk
run() {
	_name=$1
	shift
	SD=$TMP/sd-$_name
	bg "$RK" --state-dir="$SD" "$@" sh "$TMP/inner.sh" "$TMP" "$_name" 2>"$TMP/$_name.err"
	rk=$BG
	wait_file "$SD/child_pid" && wait_file "$TMP/$_name.ready" ||
		{ diag "$_name did not start:"; sed 's/^/#   /' "$TMP/$_name.err"; }
}
stop() {
	kill "$rk"
	wait "$rk" 2>/dev/null
	check "$1: the state dir is removed at exit" test ! -e "$SD"
}
cli() { python3 "$TMP/peer_client.py" "$@" 2>&1; }

# the flags current dockerd-rootless.sh (v28/v29) passes by default
set -- $(free_ports 3)
P1=$1 P2=$2 P3=$3
run s4 --net=slirp4netns --mtu=65520 --slirp4netns-sandbox=auto \
	--slirp4netns-seccomp=auto --disable-host-loopback --port-driver=builtin \
	--copy-up=/etc --copy-up=/run --propagation=rslave --detach-netns \
	-p "127.0.0.1:$P1:80/tcp" -p "127.0.0.1:$P1:80/udp"
is "$(cat "$TMP/s4.ns")" "$hostns" "slirp4netns: the command is in the host netns"
is "$(stat -c %a "$SD/netns" 2>&1)" 400 "\$SD/netns is a 0400 file"
contains "$TMP/s4.addr" "tap0    inet 10.0.2.100/24" "nsenter -n\$SD/netns: tap0 has 10.0.2.100/24"
contains "$TMP/s4.sysctl" "net.ipv4.ip_forward = 1" "sysctl -w net.ipv4.ip_forward=1 inside it works"
is "$(cat "$TMP/s4.resolv")" "$(cat /etc/resolv.conf)" "/etc/resolv.conf is not replaced"
contains "$SD/resolv.conf" "nameserver 10.0.2.3" "but \$SD/resolv.conf is written"
is "$(cat "$TMP/s4.sys")" "$hostsys" "/sys is the host's (no fresh sysfs)"
ps -eo args | grep -F -- "--netns-type=path" | grep "slirp4netns " >"$TMP/s4.ps"
contains "$TMP/s4.ps" "--netns-type=path /proc/$(cat "$SD/child_pid")/root$SD/netns tap0" "slirp4netns gets the netns by path"
check "--slirp4netns-sandbox=auto leaves the sandbox off" sh -c "! grep -q -- --enable-sandbox '$TMP/s4.ps'"
is "$(cli tcp 127.0.0.1 "$P1")" 127.0.0.1 "builtin: -p TCP reaches the server in the detached netns"
is "$(cli udp 127.0.0.1 "$P1")" 127.0.0.1 "builtin: -p UDP likewise"
"$RKCTL" --socket "$SD/api.sock" add-ports "127.0.0.1:$P2:80/tcp" >/dev/null 2>"$TMP/s4.ctl"
is "$(cli tcp 127.0.0.1 "$P2")" 127.0.0.1 "builtin: a port added with rootlessctl add-ports too"
stop slirp4netns

run s4port --net=slirp4netns --port-driver=slirp4netns --disable-host-loopback \
	--detach-netns -p "127.0.0.1:$P3:80/tcp"
is "$(cat "$TMP/s4port.ns")" "$hostns" "slirp4netns port driver: the command is in the host netns"
case $(cli tcp 127.0.0.1 "$P3") in
10.0.2.*) ok "slirp4netns port driver: -p reaches the server in the detached netns" ;;
*) not_ok "slirp4netns port driver: -p reaches the server in the detached netns" ;;
esac
stop "slirp4netns port driver"

run socat --net=slirp4netns --port-driver=socat --disable-host-loopback \
	--detach-netns -p "127.0.0.1:$P2:80/tcp"
is "$(cli tcp 127.0.0.1 "$P2")" 127.0.0.1 "socat port driver: -p reaches the server in the detached netns"
stop "socat port driver"

run none --net=none --port-driver=builtin --detach-netns -p "127.0.0.1:$P1:80/tcp"
is "$(cat "$TMP/none.ns")" "$hostns" "none: the command is in the host netns"
is "$(grep -c . "$TMP/none.link")" 1 "none: the detached netns has loopback only"
contains "$TMP/none.addr" "lo    inet 127.0.0.1/8" "none: lo is up with 127.0.0.1"
is "$(cli tcp 127.0.0.1 "$P1")" 127.0.0.1 "none: -p reaches the server in the detached netns"
check "none: no hosts or resolv.conf written" test ! -e "$SD/hosts" -a ! -e "$SD/resolv.conf"
stop none

if command -v pasta >/dev/null; then
	# pasta forwards what is bound in its namespace, port for port
	cat >"$TMP/inner_pasta.sh" <<SH
readlink /proc/self/ns/net >"$TMP/pasta.ns"
nsenter -n"\$ROOTLESSKIT_STATE_DIR/netns" ip -o -4 addr show >"$TMP/pasta.addr" 2>&1
exec nsenter -n"\$ROOTLESSKIT_STATE_DIR/netns" python3 "$TMP/peer_server.py" $P2 "$TMP/pasta.ready"
SH
	SD=$TMP/sd-pasta
	bg "$RK" --state-dir="$SD" --net=pasta --port-driver=implicit --detach-netns \
		--disable-host-loopback sh "$TMP/inner_pasta.sh" 2>"$TMP/pasta.err"
	rk=$BG
	wait_file "$SD/child_pid" && wait_file "$TMP/pasta.ready" || diag "pasta did not start"
	is "$(cat "$TMP/pasta.ns")" "$hostns" "pasta: the command is in the host netns"
	contains "$TMP/pasta.addr" "tap0    inet 10.0.2.100/24" "pasta: tap0 configured in the detached netns"
	got=$(poll_output 200 python3 "$TMP/peer_client.py" tcp 127.0.0.1 "$P2")
	check "pasta: implicit forwarding reaches the server in the detached netns" test -n "$got"
	stop pasta
else
	skip "pasta not installed"
fi

# --net=host: the namespace is still made, with nothing in it
"$RK" --state-dir="$TMP/sd-host" --detach-netns sh -c \
	'nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" ip -o link; readlink /proc/self/ns/net' \
	>"$TMP/host.out" 2>&1
is "$(tail -1 "$TMP/host.out")" "$hostns" "host: the command is in the host netns"
contains "$TMP/host.out" "1: lo:" "host: \$SD/netns exists, loopback only"

# the sandbox cannot work there: upstream's message, nothing created
"$RK" --state-dir="$TMP/sd-sandbox" --net=slirp4netns --slirp4netns-sandbox=true \
	--detach-netns true >"$TMP/sb.out" 2>&1
is "$?" 1 "--slirp4netns-sandbox=true --detach-netns: exit 1"
contains "$TMP/sb.out" "[rootlesskit:parent] error: --slirp4netns-sandbox conflicts with --detach-netns (https://github.com/rootless-containers/slirp4netns/issues/317)" "upstream's message"
check "and no state dir" test ! -e "$TMP/sd-sandbox"
"$RK" --help >"$TMP/help" 2>&1
check "--help lists --detach-netns (scripts grep for it)" grep -qw -- --detach-netns "$TMP/help"
check "and says nothing of it being unsupported" sh -c "! grep -i 'detach.*not supported' '$TMP/help'"
done_testing
