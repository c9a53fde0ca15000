#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --net=lxc-user-nic, as the unprivileged user, normal and --detach-netns.
# As root this test builds what lxc-net would (a bridge with dnsmasq for
# DHCP and DNS, with lxc-net's dnsmasq flags, on a subnet of its own
# instead of the host's lxcbr0), grants the user veths on it in
# /etc/lxc/lxc-usernet, and joins a peer network namespace to the bridge
# with a TCP server and the DNS resolver that the bridge's dnsmasq
# forwards to (no internet here).  A second bridge has a scripted DHCP
# server with a 2 s lease, for the renew loop.  Everything is restored at
# exit, also on failure.  Ports: 21080-21099.
. "$(dirname "$0")/lib.sh"
: "${RK_USER:?}"
LXCNIC=/usr/libexec/lxc/lxc-user-nic
[ -x "$LXCNIC" ] || LXCNIC=/usr/lib/$(uname -m)-linux-gnu/lxc/lxc-user-nic
if [ ! -x "$LXCNIC" ] || ! command -v dnsmasq >/dev/null; then
	skip "no lxc-user-nic or dnsmasq (Debian packages lxc, dnsmasq-base)"
	done_testing
	exit
fi
BR=rklxb$$ BR2=rklxr$$ PNS=rklxp$$ RNS=rklxd$$
NET=10.213.7 NET2=10.213.8
USERNET=/etc/lxc/lxc-usernet
chmod 755 "$TMP"
mkdir -p "$TMP/run"
chown "$RK_USER" "$TMP/run"

restore() {
	for f in dnsmasq peerdns; do
		[ -s "$TMP/$f.pid" ] && kill "$(cat "$TMP/$f.pid")" 2>/dev/null
	done
	ip netns del "$PNS" 2>/dev/null
	ip netns del "$RNS" 2>/dev/null
	ip link del "$BR" 2>/dev/null
	ip link del "$BR2" 2>/dev/null
	if [ -e "$TMP/usernet.saved" ]; then
		cat "$TMP/usernet.saved" >"$USERNET"
	elif [ -e "$TMP/usernet.none" ]; then
		rm -f "$USERNET"
	fi
	_cleanup
}
trap restore EXIT
trap 'exit 1' INT TERM HUP

if [ -e "$USERNET" ]; then cp "$USERNET" "$TMP/usernet.saved"; else touch "$TMP/usernet.none"; fi
mkdir -p /etc/lxc
# rklxn$$ is granted but does not exist: the unknown bridge below
printf '%s veth %s 10\n' "$RK_USER" "$BR" "$RK_USER" "$BR2" "$RK_USER" rklxn$$ >>"$USERNET"

# the bridge and its dnsmasq, as lxc-net starts them
ip link add "$BR" type bridge && ip addr add "$NET.1/24" dev "$BR" &&
	ip link set "$BR" up || diag "bridge set-up failed"
dnsmasq --conf-file=/dev/null -u nobody --strict-order --bind-interfaces \
	--pid-file="$TMP/dnsmasq.pid" --listen-address "$NET.1" \
	--dhcp-range "$NET.50,$NET.99" --dhcp-lease-max=50 --dhcp-no-override \
	--except-interface=lo --interface="$BR" --dhcp-leasefile="$TMP/leases" \
	--dhcp-authoritative --no-resolv --no-hosts --server="$NET.2" ||
	diag "dnsmasq failed"
# the peer: TCP server on $NET.2:21080 (answers with the client's
# address), resolver on $NET.2:53 knowing rk-lxc.test
ip netns add "$PNS" && ip link add rklxv$$ type veth peer name rklxw$$ &&
	ip link set rklxw$$ netns "$PNS" && ip link set rklxv$$ master "$BR" up &&
	ip -n "$PNS" addr add "$NET.2/24" dev rklxw$$ &&
	ip -n "$PNS" link set rklxw$$ up && ip -n "$PNS" link set lo up ||
	diag "peer set-up failed"
ip netns exec "$PNS" dnsmasq --conf-file=/dev/null -u nobody --no-resolv \
	--no-hosts --bind-interfaces --listen-address="$NET.2" \
	--pid-file="$TMP/peerdns.pid" --address=/rk-lxc.test/192.0.2.7 ||
	diag "peer dnsmasq failed"
peer_tools
bg ip netns exec "$PNS" python3 "$TMP/peer_server.py" 21080 "$TMP/peer.ready"
# host servers: on loopback only, and on the bridge address (the control)
bg python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind((sys.argv[1],int(sys.argv[2]))); s.listen(8); open(sys.argv[3],"w").close()
while True:
    c,a=s.accept(); c.sendall(b"host\n"); c.close()' 127.0.0.1 21081 "$TMP/lo.ready"
bg python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind((sys.argv[1],int(sys.argv[2]))); s.listen(8); open(sys.argv[3],"w").close()
while True:
    c,a=s.accept(); c.sendall(b"bridge\n"); c.close()' "$NET.1" 21082 "$TMP/br.ready"
wait_file "$TMP/peer.ready" && wait_file "$TMP/lo.ready" && wait_file "$TMP/br.ready" ||
	diag "servers not ready"
# dnsq NAME SERVER: the A record, asked over UDP (no dig here)
cat >"$TMP/dnsq.py" <<'PY'
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x1234, 0x100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in sys.argv[1].split(".")) + b"\0"
q += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(q, (sys.argv[2], 53))
r = s.recv(512)
print(".".join(str(b) for b in r[-4:]) if struct.unpack(">H", r[6:8])[0] else "none")
PY
chmod a+r "$TMP/dnsq.py"

uid=$(id -u "$RK_USER")
gid=$(id -g "$RK_USER")
# as_user ARGS... - rootlesskit as the test user, ordinary PATH; MARK in
# its environment for leftover_procs.  run_user: the same, exec'd (for bg,
# whose pid is then rootlesskit's)
as_user() {
	setpriv --reuid="$uid" --regid="$gid" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp RKLXC_MARK=$$ \
		"$RK" "$@"
}
run_user() {
	exec setpriv --reuid="$uid" --regid="$gid" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp RKLXC_MARK=$$ \
		"$RK" "$@"
}
base="--net=lxc-user-nic --lxc-user-nic-bridge=$BR"

# probe FILE: what the namespace sees; INNS prefixes commands that must run
# inside it (detached: nsenter into $SD/netns)
cat >"$TMP/probe.sh" <<'SH'
o=$1 t=$2 net=$3
: >"$o"
$INNS ip -o -4 addr show dev eth0 | awk '{print "addr", $4}' >>"$o"
$INNS ip route show default | awk '{print "gw", $3}' >>"$o"
echo "dns $(sed -n 's/^nameserver //p' "$ROOTLESSKIT_STATE_DIR/resolv.conf")" >>"$o"
echo "peer $($INNS python3 "$t/peer_client.py" tcp "$net.2" 21080 2>/dev/null)" >>"$o"
echo "query $($INNS python3 "$t/dnsq.py" rk-lxc.test "$net.1" 2>/dev/null)" >>"$o"
[ -n "$INNS" ] || echo "getent $(getent hosts rk-lxc.test | awk '{print $1}')" >>"$o"
echo "bridge $($INNS python3 "$t/peer_client.py" tcp "$net.1" 21082 2>/dev/null)" >>"$o"
echo "hostlo $($INNS python3 "$t/peer_client.py" tcp "$net.1" 21081 2>/dev/null)" >>"$o"
echo "lo $($INNS python3 "$t/peer_client.py" tcp 127.0.0.1 21081 2>/dev/null)" >>"$o"
curl -s --unix-socket "$ROOTLESSKIT_STATE_DIR/api.sock" http://r/v1/info >"$o.info"
SH
chmod a+r "$TMP/probe.sh"

# check_probe NAME: the probe's findings
check_probe() {
	_p=$TMP/run/$1
	_a=$(sed -n 's/^addr //p' "$_p")
	case $_a in
	"$NET".[5-9][0-9]/24) ok "$1: eth0 leased $_a from dnsmasq" ;;
	*) not_ok "$1: eth0 leased an address from dnsmasq"; sed 's/^/#   /' "$_p" ;;
	esac
	contains "$_p" "gw $NET.1" "$1: default route via the DHCP router"
	contains "$_p" "dns $NET.1" "$1: resolv.conf has the DHCP DNS server"
	contains "$_p" "peer ${_a%/24}" "$1: the peer at $NET.2 answers, seeing the leased address"
	contains "$_p" "query 192.0.2.7" "$1: DNS through the gateway reaches the peer's resolver"
	contains "$_p" "bridge bridge" "$1: a host server on the bridge address answers (control)"
	contains "$_p" "hostlo " "$1: ran the host-loopback probe"
	check "$1: host 127.0.0.1 unreachable at the gateway" sh -c "! grep -q '^hostlo host' '$_p'"
	check "$1: host 127.0.0.1 unreachable at 127.0.0.1" sh -c "! grep -q '^lo host' '$_p'"
	contains "$_p.info" '"networkDriver":{"driver":"lxc-user-nic","dynamicChildIP":true}' \
		"$1: /info: dynamicChildIP true, no childIP"
}

# 1. normal
as_user $base --copy-up=/etc --disable-host-loopback \
	sh "$TMP/probe.sh" "$TMP/run/normal" "$TMP" "$NET" 2>"$TMP/err1"
is "$?" 0 "normal: exit 0"
check_probe normal
contains "$TMP/run/normal" "getent 192.0.2.7" "normal: getent hosts resolves through /etc/resolv.conf"
contains "$TMP/err1" '"lxc-user-nic" network driver is experimental' "warning: experimental"
check "no implicit-loopback warning with --disable-host-loopback" \
	sh -c "! grep -q 'implicitly set' '$TMP/err1'"

# 2. detached, without --disable-host-loopback
as_user $base --detach-netns \
	sh -c 'INNS="nsenter -n$ROOTLESSKIT_STATE_DIR/netns" sh "$@"' sh \
	"$TMP/probe.sh" "$TMP/run/detached" "$TMP" "$NET" 2>"$TMP/err2"
is "$?" 0 "detached: exit 0"
check_probe detached
contains "$TMP/err2" "--disable-host-loopback is implicitly set for lxc-user-nic" \
	"warning: --disable-host-loopback implicitly set"

# 3. the builtin port driver: -p and add-ports, TCP and UDP; then SIGTERM
# start N WRAP ARGS...: rootlesskit with the peer server on port 80 in the
# namespace (WRAP: a command prefix, evaluated there), in the background;
# sets SD and rk
start() {
	SD=$TMP/run/sd$1
	_sn=$1 _w=$2
	shift 2
	bg run_user $base --state-dir="$SD" --port-driver=builtin "$@" \
		sh -c "exec $_w python3 \"\$1\" 80 \"\$2\"" sh "$TMP/peer_server.py" \
		"$TMP/run/ready$_sn" 2>"$TMP/err.$_sn"
	rk=$BG
	wait_file "$SD/child_pid" && wait_file "$TMP/run/ready$_sn" || diag "rootlesskit $_sn not ready"
}
# gone N SIG: kill rootlesskit with SIG; nothing may remain
gone() {
	_userns=$(readlink "/proc/$(cat "$SD/child_pid")/ns/user")
	kill -"$2" "$rk"
	wait_gone "$rk" 10
	check "$1: rootlesskit ended on SIG$2" sh -c "! kill -0 $rk 2>/dev/null"
	_left=
	for _i in $(seq 100); do
		_left=$(leftover_procs "$_userns" "RKLXC_MARK=$$")
		[ -z "$_left" ] && break
		sleep 0.05
	done
	is "$_left" "" "$1: no process left (no DHCP renew loop, no agent) after SIG$2"
	veth_gone "$1: no lxc-user-nic veth left on the bridge after SIG$2"
}
veth_gone() {
	for _i in $(seq 100); do
		[ -z "$(ip -o link show master "$BR" | grep -v rklxv$$)" ] && break
		sleep 0.05
	done
	is "$(ip -o link show master "$BR" | grep -v rklxv$$ | cut -d: -f2)" "" "$1"
}
pclient() { python3 "$TMP/peer_client.py" "$@" 2>&1; }

start 3 "" -p 127.0.0.1:21090:80/tcp
is "$(pclient tcp 127.0.0.1 21090)" 127.0.0.1 "builtin over lxc-user-nic: -p TCP (source IP kept)"
out=$(setpriv --reuid="$uid" --regid="$gid" --init-groups "$RKCTL" --socket="$SD/api.sock" \
	add-ports 127.0.0.1:21091:80/udp 2>&1)
is "$out" 2 "rootlessctl add-ports UDP: ID 2"
is "$(pclient udp 127.0.0.1 21091)" 127.0.0.1 "builtin over lxc-user-nic: add-ports UDP"
ip -o link show master "$BR" | grep -qv rklxv$$ && ok "a veth of rootlesskit is on the bridge" ||
	not_ok "a veth of rootlesskit is on the bridge"
gone sigterm TERM

start 4 'nsenter -n"$ROOTLESSKIT_STATE_DIR/netns"' --detach-netns \
	-p 127.0.0.1:21092:80/tcp -p 127.0.0.1:21092:80/udp
is "$(pclient tcp 127.0.0.1 21092)" 127.0.0.1 "detached: builtin -p TCP"
is "$(pclient udp 127.0.0.1 21092)" 127.0.0.1 "detached: builtin -p UDP"
gone "detached sigkill" KILL

start 5 ""
gone sigkill KILL

# 4. bad input: a clear error, nothing left behind
mkdir "$TMP/run/empty"
chown "$RK_USER" "$TMP/run/empty"
bad() {
	_want=$1
	shift
	setpriv --reuid="$uid" --regid="$gid" --init-groups env -i \
		PATH=/usr/local/bin:/usr/bin:/bin TMPDIR="$TMP/run/empty" RKLXC_MARK=$$ \
		"$RK" "$@" true >"$TMP/out" 2>"$TMP/err"
	is "$?" 1 "exit 1: $*"
	contains "$TMP/err" "] error: $_want" "message: $_want"
	is "$(ls -A "$TMP/run/empty")" "" "no state dir left: $*"
	is "$(leftover_procs none "RKLXC_MARK=$$")" "" "no process left: $*"
}
bad "$LXCNIC failed: " --net=lxc-user-nic --lxc-user-nic-bridge=rklxn$$
contains "$TMP/err" "exit status 1" "the lxc-user-nic failure has its exit status"
diag "$(grep error: "$TMP/err")"
bad "$LXCNIC failed: " --net=lxc-user-nic --lxc-user-nic-bridge=rklxq$$
contains "$TMP/err" "Quota reached" "a bridge without a grant: lxc-user-nic's reason"
veth_gone "unknown bridge: no veth left on the bridge"
bad 'exec: "/nonexistent/lxc-user-nic": ' \
	--net=lxc-user-nic --lxc-user-nic-binary=/nonexistent/lxc-user-nic
bad "custom cidr is not supported for --net=lxc-user-nic" --net=lxc-user-nic --cidr=10.9.0.0/24

# 5. the renew loop against a scripted server: 2 s lease, the same address
# for three ACKs, then another one (rootlesskit must stop), or no DNS
ip link add "$BR2" type bridge && ip link set "$BR2" up &&
	ip netns add "$RNS" && ip link add rklxs$$ type veth peer name rklxt$$ &&
	ip link set rklxt$$ netns "$RNS" && ip link set rklxs$$ master "$BR2" up &&
	ip -n "$RNS" addr add "$NET2.1/24" dev rklxt$$ && ip -n "$RNS" link set rklxt$$ up ||
	diag "renew bridge set-up failed"
cat >"$TMP/dhcpd.py" <<'PY'
import socket, struct, sys
dev, net, modef, acksf = sys.argv[1:5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
s.bind(("0.0.0.0", 67))
acks = 0
open(acksf, "w").write("0\n")
while True:
    d = s.recv(2048)
    if len(d) < 240 or d[0] != 1:
        continue
    o, t = 240, 0
    while o + 1 < len(d) and d[o] != 255:
        if d[o] == 0:
            o += 1
            continue
        if d[o] == 53:
            t = d[o + 2]
        o += 2 + d[o + 1]
    if t not in (1, 3):
        continue
    mode = open(modef).read().strip()
    yi = net + (".50" if acks < 3 else ".51")
    ip = lambda a: socket.inet_aton(a)
    r = bytearray(240)
    r[0:4] = b"\x02\x01\x06\x00"
    r[4:8] = d[4:8]
    r[10:12] = d[10:12]
    r[16:20] = ip(yi)
    r[28:44] = d[28:44]
    r[236:240] = b"\x63\x82\x53\x63"
    r += bytes([53, 1, 2 if t == 1 else 5]) + b"\x36\x04" + ip(net + ".1")
    r += b"\x33\x04" + struct.pack(">I", 2) + b"\x01\x04" + ip("255.255.255.0")
    r += b"\x03\x04" + ip(net + ".1")
    if mode != "nodns":
        r += b"\x06\x04" + ip(net + ".1")
    r += b"\xff"
    s.sendto(bytes(r), ("255.255.255.255", 68))
    if t == 3:
        acks += 1
        open(acksf, "w").write("%d\n" % acks)
PY
echo nodns >"$TMP/mode"
bg ip netns exec "$RNS" python3 "$TMP/dhcpd.py" rklxt$$ "$NET2" "$TMP/mode" "$TMP/acks"
wait_file "$TMP/acks" || diag "scripted DHCP server not ready"
bad "got no DNS" --net=lxc-user-nic --lxc-user-nic-bridge="$BR2"
echo ok >"$TMP/mode"
bg run_user --net=lxc-user-nic --lxc-user-nic-bridge="$BR2" --state-dir="$TMP/run/sd6" \
	sleep 60 2>"$TMP/err6"
rk=$BG
# the first ACK above (nodns) counted; three with .50 in all, then .51
for _i in $(seq 200); do
	[ "$(cat "$TMP/acks")" -ge 3 ] && break
	sleep 0.05
done
is "$(cat "$TMP/acks")" 3 "renew: the lease was renewed (three ACKs)"
check "renew: rootlesskit still runs while the address stays" kill -0 "$rk"
wait_gone "$rk" 10
wait "$rk"
is "$?" 1 "renew: rootlesskit stops (exit 1) once the address changes"
contains "$TMP/err6" "DHCP renewal: expected to retain $NET2.50, got $NET2.51" \
	"renew: the error says which address changed"
is "$(leftover_procs none "RKLXC_MARK=$$")" "" "renew: no process left"

done_testing
