#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Running out of file descriptors fails single connections, not the proxy:
# with RLIMIT_NOFILE forced down to 96 (soft = hard, so rootlesskit cannot
# raise it; about 57 are in use when idle: the socket pool, timers, pidfds,
# spare fds), 200 simultaneous clients exhaust the parent's fds; the clients
# beyond the limit are closed at once, the others are served, and once they
# are gone the port and the API work again and the fd count is back where
# it was before the burst (give or take one batch of pooled sockets).
. "$(dirname "$0")/lib.sh"
sd="$TMP/sd"
port=$(free_port)
bg prlimit --nofile=96:96 "$RK" --state-dir="$sd" --net=slirp4netns \
	--port-driver=builtin -p "127.0.0.1:$port:7000/tcp" \
	socat TCP-LISTEN:7000,fork,reuseaddr EXEC:cat 2>"$TMP/err"
pid=$BG
wait_file "$sd/child_pid" || { not_ok "rootlesskit started"; cat "$TMP/err"; done_testing; exit 1; }

cat >"$TMP/client.py" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
# wait for the echo server inside (the port itself is up already)
for _ in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"x"); ok = s.recv(1) == b"x"; s.close()
        if ok: break
    except OSError: pass
    time.sleep(0.05)
socks, served, refused = [], 0, 0
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    socks.append(s)
for i, s in enumerate(socks):
    try:
        s.sendall(b"%05d" % i)
        served += s.recv(5) == b"%05d" % i
    except OSError:
        refused += 1
    else:
        pass
print(served, n - served)
for s in socks: s.close()
PY
python3 "$TMP/client.py" "$port" 1 >/dev/null	# the server inside is up
idle=$(ls /proc/"$pid"/fd | wc -l)
set -- $(python3 "$TMP/client.py" "$port" 200)
diag "served $1, failed $2"
check "some clients served while out of fds" [ "${1:-0}" -gt 10 ]
check "clients beyond the fd limit failed" [ "${2:-0}" -gt 0 ]
# after the burst: everything works again
for i in $(seq 100); do
	[ "$(ls /proc/"$pid"/fd | wc -l)" -le $((idle + 32)) ] && break
	sleep 0.05
done
set -- $(python3 "$TMP/client.py" "$port" 5)
is "$1" 5 "the port serves again after the burst"
check "the API still answers" sh -c "curl -fsS --unix-socket '$sd/api.sock' http://rootlesskit/v1/ports | grep -q '\"id\":1'"
check "parent fd count back to its idle level ($(ls /proc/"$pid"/fd | wc -l) fds, idle $idle, pool batch 32)" [ "$(ls /proc/"$pid"/fd | wc -l)" -le $((idle + 32)) ]
check "rootlesskit is still running" kill -0 "$pid"
kill "$pid"
wait "$pid" 2>/dev/null
done_testing
