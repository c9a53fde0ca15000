#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# UDP through the builtin driver: an echo server in the child (socat), 50
# clients at once each getting its own payload back, datagrams up to 65000
# bytes, IPv6, and idle flows expiring (--builtin-udp-timeout) without
# breaking the next datagram of that client.
. "$(dirname "$0")/lib.sh"
sd="$TMP/sd"
p=$(free_port)
bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin --pidns \
	--builtin-udp-timeout=1 -p "127.0.0.1:$p:5353/udp" -p "[::1]:$p:5353/udp6" \
	socat -b 65536 UDP6-RECVFROM:5353,fork,reuseaddr EXEC:cat 2>"$TMP/err"
pid=$BG
wait_file "$sd/child_pid" || { not_ok "rootlesskit started"; cat "$TMP/err"; done_testing; exit 1; }

python3 - "$p" "$pid" >"$TMP/out" 2>&1 <<'PY'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]

def echo(s, addr, payload, tries=40):
    for _ in range(tries):  # the server inside may still be starting
        s.sendto(payload, addr)
        try:
            return s.recv(70000)
        except socket.timeout:
            pass
    return None

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.25)
print("first", echo(s, ("127.0.0.1", port), b"ping") == b"ping")
clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(50)]
for i, c in enumerate(clients):
    c.settimeout(5)
    c.sendto(b"client-%d" % i, ("127.0.0.1", port))
good = 0
for i, c in enumerate(clients):
    try:
        good += c.recv(100) == b"client-%d" % i
    except socket.timeout:
        pass
print("clients", good)
s.settimeout(5)
for n in (1400, 65000):
    data = os.urandom(n)
    print("size%d" % n, echo(s, ("127.0.0.1", port), data, 3) == data)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s6.settimeout(5)
print("ipv6", echo(s6, ("::1", port), b"six", 3) == b"six")
fds = len(os.listdir("/proc/%s/fd" % pid))
time.sleep(2.5)  # idle flows expire after 1 s
after = len(os.listdir("/proc/%s/fd" % pid))
print("expired", after < fds - 40, fds, after)
print("after-expiry", echo(s, ("127.0.0.1", port), b"again", 3) == b"again")
PY
contains "$TMP/out" "first True" "UDP echo through the port"
contains "$TMP/out" "clients 50" "50 clients at once, each gets its own reply"
contains "$TMP/out" "size1400 True" "1400-byte datagram"
contains "$TMP/out" "size65000 True" "65000-byte datagram"
contains "$TMP/out" "ipv6 True" "udp6 port"
contains "$TMP/out" "expired True" "idle flows expire and release their sockets"
contains "$TMP/out" "after-expiry True" "a client is served again after its flow expired"
kill "$pid"
wait "$pid" 2>/dev/null
done_testing
