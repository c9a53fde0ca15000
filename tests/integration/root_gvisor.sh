#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --net=gvisor-tap-vsock beyond the host's loopback, with and without
# --detach-netns: the namespace reaches a server on another network (a
# test network namespace joined to the host by a veth pair, 198.18.222.0/24
# of our own choosing), and DNS through the gateway 10.0.2.1 reaches a
# resolver in that namespace: rootlesskit runs (as the unprivileged user)
# in a private mount namespace whose /etc/resolv.conf names that resolver,
# and libslirp forwards DNS to the host's first nameserver.
. "$(dirname "$0")/lib.sh"
: "${RK_USER:?}"
NS=rkgv$$
if ! client_ns "$NS" rkgh$$ rkgp$$ 198.18.222; then
	skip "cannot create a network namespace"
	done_testing
	exit
fi
chmod 755 "$TMP"
peer_tools
# a resolver: every A question for *.gv.test gets 198.51.100.7, others NXDOMAIN
cat >"$TMP/dns.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
open(sys.argv[2], "w").close()
while True:
    q, a = s.recvfrom(512)
    i = 12
    labels = []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += q[i] + 1
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    name = ".".join(labels).lower()
    if name.endswith("gv.test") and qtype == 1:
        ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("198.51.100.7")
        r = q[:2] + b"\x81\x80" + struct.pack("!HHHH", 1, 1, 0, 0) + question + ans
    else:
        r = q[:2] + b"\x81\x83" + struct.pack("!HHHH", 1, 0, 0, 0) + question
    s.sendto(r, a)
PY
# a stub client: the A record of NAME from SERVER, or nothing
cat >"$TMP/dnsq.py" <<'PY'
import socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
q = b"\x12\x34\x01\x00" + struct.pack("!HHHH", 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (server, 53))
r = s.recv(512)
if struct.unpack("!H", r[6:8])[0]:
    print(socket.inet_ntoa(r[-4:]))
PY
ip netns exec "$NS" python3 "$TMP/peer_server.py" 22200 "$TMP/ready" &
_bg_pids="$_bg_pids $!"
ip netns exec "$NS" python3 "$TMP/dns.py" 198.18.222.2 "$TMP/dready" &
_bg_pids="$_bg_pids $!"
wait_file "$TMP/ready" && wait_file "$TMP/dready" || diag "servers not ready"
echo "nameserver 198.18.222.2" >"$TMP/resolv.conf"
chmod -R a+rX "$TMP"

# rk ARGS... - rootlesskit as the test user, with our resolv.conf
rk() {
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$TMP/resolv.conf" \
		runuser -u "$RK_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		HOME=/tmp LANG=C.UTF-8 "$RK" --net=gvisor-tap-vsock "$@" 2>"$TMP/err"
}

out=$(rk --copy-up=/etc sh -c 'python3 "$1" tcp 198.18.222.2 22200; python3 "$1" udp 198.18.222.2 22200; getent hosts www.gv.test; python3 "$2" 10.0.2.1 a.gv.test' sh "$TMP/peer_client.py" "$TMP/dnsq.py")
is "$(echo "$out" | sed -n 1p)" 198.18.222.1 "tcp: a server on a veth address, reached from the namespace (NAT to the host's address)"
is "$(echo "$out" | sed -n 2p)" 198.18.222.1 "udp: likewise"
is "$(echo "$out" | sed -n 3p | awk '{print $1}')" 198.51.100.7 "getent hosts: resolv.conf's 10.0.2.1 reaches the host's resolver"
is "$(echo "$out" | sed -n 4p)" 198.51.100.7 "a DNS query to 10.0.2.1 is answered by the host's resolver"

out=$(rk --detach-netns sh -c 'nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" sh -c "python3 $1 tcp 198.18.222.2 22200; python3 $1 udp 198.18.222.2 22200; python3 $2 10.0.2.1 b.gv.test"' sh "$TMP/peer_client.py" "$TMP/dnsq.py")
is "$(echo "$out" | sed -n 1p)" 198.18.222.1 "--detach-netns: tcp to the veth address"
is "$(echo "$out" | sed -n 2p)" 198.18.222.1 "--detach-netns: udp likewise"
is "$(echo "$out" | sed -n 3p)" 198.51.100.7 "--detach-netns: DNS through 10.0.2.1"

out=$(rk --disable-host-loopback --copy-up=/etc sh -c 'python3 "$1" tcp 198.18.222.2 22200; python3 "$2" 10.0.2.1 c.gv.test' sh "$TMP/peer_client.py" "$TMP/dnsq.py")
is "$out" "198.18.222.1
198.51.100.7" "--disable-host-loopback: other networks and DNS still work"
done_testing
