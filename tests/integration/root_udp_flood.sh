#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Holding under abuse, builtin driver: a UDP flood from 25,000 source
# addresses against a port with --builtin-udp-max-flows=256, and a TCP peer
# that vanishes (its link deleted) with --builtin-tcp-keepalive=1.  As root
# this test makes a client network namespace joined to the host by a veth
# pair (198.18.214.0/24, and 10.214.0.0/16 routed to the client); the
# flood is sent with a raw socket (IP_HDRINCL) from the client namespace,
# one datagram per source address 10.214.x.y, paced at about 5,000 a
# second.  rootlesskit runs as the unprivileged user.
. "$(dirname "$0")/lib.sh"
: "${RK_USER:?}"
NS=rkf$$
H=rkfh$$
if ! client_ns "$NS" "$H" rkfp$$ 198.18.214; then
	skip "cannot create a network namespace"
	done_testing
	exit
fi
ip route add 10.214.0.0/16 via 198.18.214.2 dev "$H" || diag "route to 10.214.0.0/16 failed"
chmod 755 "$TMP"
mkdir -p "$TMP/run"
chown "$RK_USER" "$TMP/run"
uid=$(id -u "$RK_USER")
gid=$(id -g "$RK_USER")

# the service: TCP answers "hi" and keeps the connection until the peer
# closes; UDP counts distinct sources, answers "count" with their number
# and anything else with "pong"
cat >"$TMP/server.py" <<'PY'
import socket, sys, threading
port = int(sys.argv[1])
def sock(kind):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    return s
t, u = sock(socket.SOCK_STREAM), sock(socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
t.listen(64)
def udp():
    seen = set()
    while True:
        d, a = u.recvfrom(2048)
        if d == b"count":
            u.sendto(str(len(seen)).encode(), a)
        else:
            seen.add(a[0])
            u.sendto(b"pong", a)
def conn(c):
    c.sendall(b"hi\n")
    while c.recv(4096):
        pass
    c.close()
threading.Thread(target=udp, daemon=True).start()
open(sys.argv[2], "w").close()
while True:
    c, a = t.accept()
    threading.Thread(target=conn, args=(c,), daemon=True).start()
PY
# the flood, from the client namespace: paced raw datagrams from 25,000
# addresses; meanwhile the parent's fd count every 20 ms, and every 0.5 s a
# TCP exchange through the TCP port and a `rootlessctl list-ports`, timed
cat >"$TMP/flood.py" <<'PY'
import os, socket, struct, subprocess, sys, threading, time
dst, pu, pt, pid, ctl, sock = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
N = 25000
done = threading.Event()
fds = []
def sample():
    while not done.is_set():
        fds.append(len(os.listdir("/proc/%s/fd" % pid)))
        time.sleep(0.02)
tcp, api = [], []
def probe():
    while not done.is_set():
        t0 = time.monotonic()
        try:
            c = socket.create_connection((dst, pt), timeout=5)
            c.settimeout(5)
            ok = c.recv(10) == b"hi\n"
            c.close()
        except OSError:
            ok = False
        tcp.append(time.monotonic() - t0 if ok else 99)
        t0 = time.monotonic()
        try:
            r = subprocess.run([ctl, "--socket=" + sock, "list-ports"], capture_output=True, timeout=10)
            ok = r.returncode == 0 and b"udp" in r.stdout
        except subprocess.TimeoutExpired:
            ok = False
        api.append(time.monotonic() - t0 if ok else 99)
        time.sleep(0.5)
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
threads = [threading.Thread(target=sample), threading.Thread(target=probe)]
for t in threads:
    t.start()
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
daddr = socket.inet_aton(dst)
payload = b"flood"
t0 = time.monotonic()
for i in range(N):
    src = socket.inet_aton("10.214.%d.%d" % (i // 250, i % 250 + 1))
    udp = struct.pack("!HHHH", 40000, pu, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0, src, daddr)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    r.sendto(ip + udp, (dst, 0))
    if i % 50 == 49:
        # 5,000 a second
        while time.monotonic() < t0 + (i + 1) / 5000:
            time.sleep(0.001)
flood_s = time.monotonic() - t0
time.sleep(1)
done.set()
for t in threads:
    t.join()
print("flood %d datagrams in %.1f s" % (N, flood_s))
print("fds before %d max %d samples %d" % (fds[0], max(fds), len(fds)))
print("tcp n %d max %.3f" % (len(tcp), max(tcp)))
print("api n %d max %.3f" % (len(api), max(api)))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(1)
got = None
for _ in range(5):
    u.sendto(b"count", (dst, pu))
    try:
        got = u.recv(100).decode()
        break
    except socket.timeout:
        pass
print("after", got)
PY
chmod a+r "$TMP/server.py" "$TMP/flood.py"

set -- $(free_ports 2)
PU=$1 PT=$2
SD=$TMP/run/sd
bg setpriv --reuid="$uid" --regid="$gid" --init-groups \
	env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "$RK" --state-dir="$SD" \
	--net=slirp4netns --port-driver=builtin \
	--builtin-udp-max-flows=256 --builtin-tcp-keepalive=1 \
	-p "0.0.0.0:$PU:80/udp" -p "0.0.0.0:$PT:80/tcp" \
	python3 "$TMP/server.py" 80 "$TMP/run/ready" 2>"$TMP/err"
rk=$BG
if ! wait_file "$SD/child_pid" || ! wait_file "$TMP/run/ready"; then
	not_ok "rootlesskit started"
	cat "$TMP/err"
	done_testing
	exit 1
fi
child=$(cat "$SD/child_pid")

ip netns exec "$NS" python3 "$TMP/flood.py" 198.18.214.1 "$PU" "$PT" "$rk" \
	"$RKCTL" "$SD/api.sock" >"$TMP/out" 2>&1
sed 's/^/# /' "$TMP/out"
read -r _ before max _ <<EOF
$(sed -n 's/^fds before \([0-9]*\) max \([0-9]*\).*/x \1 \2 x/p' "$TMP/out")
EOF
if [ -n "${max:-}" ] && [ "$max" -le $((before + 256 + 160)) ]; then
	ok "parent fds stay bounded under the flood (cap 256): $before -> at most $max"
else
	not_ok "parent fds stay bounded under the flood (cap 256)"
fi
tmax=$(sed -n 's/^tcp n [0-9]* max //p' "$TMP/out")
amax=$(sed -n 's/^api n [0-9]* max //p' "$TMP/out")
check "TCP through the published port answers during the flood, each within 2 s (max ${tmax:-?} s)" \
	python3 -c "import sys; sys.exit(not (0 <= float('${tmax:-99}') < 2))"
check "rootlessctl list-ports answers during the flood, each within 2 s (max ${amax:-?} s)" \
	python3 -c "import sys; sys.exit(not (0 <= float('${amax:-99}') < 2))"
seen=$(sed -n 's/^after \([0-9]*\)$/\1/p' "$TMP/out")
check "after the flood UDP works for a new client (the service saw ${seen:-no} sources)" \
	test -n "$seen"
check "the flood reached the service from over 20,000 addresses" test "${seen:-0}" -gt 20000
routes=$(nsenter -t "$child" -n ip route show table 101 | wc -l)
check "per-client UDP routes go with evicted flows ($routes in table 101)" test "$routes" -le 258
is "$(ip netns exec "$NS" sh -c "printf x | timeout 5 python3 -c '
import socket; c = socket.create_connection((\"198.18.214.1\", $PT), timeout=5); print(c.recv(9).decode().strip())'")" hi \
	"TCP still works after the flood"

# keepalive: a client whose link disappears is cleared within about 10 s
conns() { ss -Htanp "$@" 2>/dev/null | grep -v LISTEN | grep -c "pid=$rk,"; }
ip netns exec "$NS" python3 -c "
import socket, time
c = socket.create_connection(('198.18.214.1', $PT), timeout=5)
print(c.recv(9).decode().strip(), flush=True)
time.sleep(60)" >"$TMP/ka" 2>&1 &
kpid=$!
end=$(($(date +%s) + 5))
while [ "$(date +%s)" -le "$end" ]; do
	[ -s "$TMP/ka" ] && [ "$(conns "( sport = :$PT )")" -ge 1 ] && break
	sleep 0.05
done
is "$(conns "( sport = :$PT )")/$(nsenter -t "$child" -n ss -Htanp "( dport = :80 )" | grep -c "pid=$rk,")" 1/1 \
	"a connection held open: one socket on each side in the parent"
fd1=$(ls /proc/"$rk"/fd | wc -l)
t0=$(date +%s.%N)
ip link del "$H"
kill "$kpid" 2>/dev/null
cleared=
end=$(($(date +%s) + 20))
while [ "$(date +%s)" -le "$end" ]; do
	if [ "$(conns "( sport = :$PT )")" -eq 0 ] &&
	   [ "$(nsenter -t "$child" -n ss -Htanp "( dport = :80 )" | grep -c "pid=$rk,")" -eq 0 ]; then
		cleared=$(python3 -c "import time; print('%.1f' % (time.time() - $t0))")
		[ "${cleared%.*}" -lt 15 ] || cleared=
		break
	fi
	sleep 0.1
done
fd2=$(ls /proc/"$rk"/fd | wc -l)
check "--builtin-tcp-keepalive=1: both fds of a connection whose peer vanished are freed within 15 s (${cleared:-not} s; parent fds $fd1 -> $fd2)" \
	test -n "$cleared"
check "rootlesskit still running" kill -0 "$rk"
kill "$rk"
wait_gone "$rk" 10 || kill -9 "$rk"
wait "$rk" 2>/dev/null
no_sanitizer_report "no sanitizer report from rootlesskit" "$TMP/err"
done_testing
