#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# 1000 concurrent TCP connections through one port, each echoing its own
# token, then the fd counts of the parent and of the child are back to
# where they were before: nothing leaks per connection.
. "$(dirname "$0")/lib.sh"
sd="$TMP/sd"
p=$(free_port)
chmod 755 "$TMP"
cat >"$TMP/echo.py" <<'PY'
import resource, selectors, socket
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
sel = selectors.DefaultSelector()
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 7000)); l.listen(4096); l.setblocking(False)
sel.register(l, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        if key.fileobj is l:
            try:
                c, _ = l.accept()
            except BlockingIOError:
                continue
            c.setblocking(False); sel.register(c, selectors.EVENT_READ)
        else:
            c = key.fileobj
            try:
                d = c.recv(4096)
            except OSError:
                d = b""
            if d:
                c.sendall(d)
            else:
                sel.unregister(c); c.close()
PY
bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin --pidns \
	-p "127.0.0.1:$p:7000/tcp" python3 "$TMP/echo.py" 2>"$TMP/err"
pid=$BG
wait_file "$sd/child_pid" || { not_ok "rootlesskit started"; cat "$TMP/err"; done_testing; exit 1; }
cpid=$(cat "$sd/child_pid")
fds() { ls /proc/"$1"/fd 2>/dev/null | wc -l; }

cat >"$TMP/client.py" <<'PY'
import resource, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
for _ in range(200):  # wait for the echo server inside
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        c.sendall(b"x")
        if c.recv(1) == b"x":
            c.close(); break
        c.close()
    except OSError:
        pass
    time.sleep(0.05)
if n:
    socks = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(n)]
    for i, s in enumerate(socks):
        s.sendall(b"%06d" % i)
    good = sum(s.recv(6) == b"%06d" % i for i, s in enumerate(socks))
    print("echoed", good)
    sys.stdout.flush()
    if len(sys.argv) > 3:  # report, then wait to be told to close
        open(sys.argv[3], "w").close()
        while not __import__("os").path.exists(sys.argv[3] + ".go"):
            time.sleep(0.05)
    for s in socks:
        s.close()
PY
python3 "$TMP/client.py" "$p" 0
# let the probe connection's teardown finish, then take the baseline
for i in $(seq 40); do
	b1=$(fds "$pid"); b2=$(fds "$cpid"); sleep 0.05
	[ "$b1" = "$(fds "$pid")" ] && [ "$b2" = "$(fds "$cpid")" ] && break
done
python3 "$TMP/client.py" "$p" 1000 "$TMP/held" >"$TMP/out" 2>&1 &
cl=$!
for i in $(seq 400); do [ -e "$TMP/held" ] && break; sleep 0.05; done
contains "$TMP/out" "echoed 1000" "1000 concurrent connections each echo their token"
busy=$(fds "$pid")
check "parent holds the 1000 connections ($busy fds, idle $b1)" [ "$busy" -ge $((b1 + 1000)) ]
touch "$TMP/held.go"
wait "$cl"
# the parent keeps up to 64 spare sockets from the child (the socket pool,
# refilled in batches of 32), so its idle count varies within that margin;
# a leak of one fd per connection would show as ~1000 more
for i in $(seq 100); do
	[ "$(fds "$pid")" -le $((b1 + 64)) ] && [ "$(fds "$cpid")" -le "$b2" ] && break
	sleep 0.05
done
a1=$(fds "$pid")
check "parent fd count back to baseline ($a1 fds, idle $b1, pool margin 64)" [ "$a1" -le $((b1 + 64)) ]
is "$(fds "$cpid")" "$b2" "child fd count back to baseline"
kill "$pid"
wait "$pid" 2>/dev/null
done_testing
