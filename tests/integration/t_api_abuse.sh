#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The REST API under abuse: 2000 idle connections plus 300 slowloris
# clients (one byte every 0.7 s) must not lock out rootlessctl, slowloris
# connections are closed by the per-request deadline (10 s from the first
# byte), and the parent's fds stay bounded (256 API connections at most).
# Then the parent out of fds (hard RLIMIT_NOFILE of 80): no CPU spin, and
# the API answers again once fds are free.
. "$(dirname "$0")/lib.sh"

# ms CMD... - run CMD, print its wall time in ms; its status is kept
ms() {
	_s=$(date +%s%N)
	"$@" >"$TMP/ms.out" 2>&1
	_r=$?
	echo $(( ($(date +%s%N) - _s) / 1000000 ))
	return $_r
}

# nfds PID - the number of fds PID has open
nfds() { ls "/proc/$1/fd" | wc -l; }

# cpu PID - utime+stime of PID in clock ticks
cpu() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

cat >"$TMP/flood.py" <<'PY'
# flood.py SOCK READY NIDLE NSLOW: NIDLE idle connections, then NSLOW
# slowloris ones (a never-ending request, one byte every 0.7 s); READY is
# created once all are open; runs until every slowloris connection is
# closed (at most 25 s), then prints
#   slow_closed=N max_life=S min_life=S idle_open=N
# (life: seconds from a slowloris connection's first byte to its close)
import os, resource, select, socket, sys, time
path, ready, nidle, nslow = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)  # blocking: waits while the backlog is full
    return s
idle = [conn() for _ in range(nidle)]
req = b"GET /v1/info HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 10000
slow = {}
for _ in range(nslow):
    s = conn()
    s.send(req[:1])
    slow[s.fileno()] = [s, time.monotonic(), 1]
open(ready, "w").close()
lives = []
end = time.monotonic() + 25
p = select.poll()
for fd in slow:
    p.register(fd, select.POLLIN)
next_drip = time.monotonic() + 0.7
while slow and time.monotonic() < end:
    for fd, ev in p.poll(100):
        s, t0, off = slow[fd]
        try:
            gone = s.recv(100) == b""
        except OSError:
            gone = True
        if gone:
            lives.append(time.monotonic() - t0)
            p.unregister(fd)
            del slow[fd]
            s.close()
    if time.monotonic() >= next_drip:
        next_drip += 0.7
        for fd, st in list(slow.items()):
            try:
                st[0].send(req[st[2]:st[2] + 1], socket.MSG_DONTWAIT)
                st[2] += 1
            except OSError:
                pass  # reset: poll reports it
q = select.poll()
for s in idle:
    q.register(s.fileno(), select.POLLIN)
idle_open = nidle - len(q.poll(0))
print("slow_closed=%d max_life=%.1f min_life=%.1f idle_open=%d" % (
    len(lives), max(lives, default=0), min(lives, default=0), idle_open))
PY

cat >"$TMP/hold.py" <<'PY'
# hold.py SOCK N DONE: N connections to SOCK held open until DONE exists;
# prints "held" once connected (connections the server refused count too)
import os, resource, socket, sys, time
path, n, done = sys.argv[1], int(sys.argv[2]), sys.argv[3]
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for _ in range(n):
    if ":" in path:
        s = socket.create_connection(("127.0.0.1", int(path.split(":")[1])), timeout=5)
    else:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
    held.append(s)
print("held", flush=True)
while not os.path.exists(done):
    time.sleep(0.05)
PY
chmod a+r "$TMP/flood.py" "$TMP/hold.py"

# --- 2000 idle + 300 slowloris ------------------------------------------------
sd="$TMP/sd"
bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin sleep infinity 2>"$TMP/err"
pid=$BG
wait_file "$sd/child_pid" || { not_ok "rootlesskit started"; cat "$TMP/err"; done_testing; exit 1; }
base=$(nfds "$pid")
bg python3 "$TMP/flood.py" "$sd/api.sock" "$TMP/ready" 2000 300 >"$TMP/flood.out" 2>&1
flood=$BG
wait_file "$TMP/ready" 30 || { not_ok "flood client connected"; cat "$TMP/flood.out"; }
peak=$(nfds "$pid")
port=$(free_port)
api_peak=$peak
t1=$(ms "$RKCTL" --socket "$sd/api.sock" list-ports) && ok "list-ports answers under the flood (${t1} ms)" ||
	{ not_ok "list-ports answers under the flood"; cat "$TMP/ms.out"; }
n=$(nfds "$pid"); [ "$n" -le "$api_peak" ] || api_peak=$n
check "API fds bounded under the flood ($base before, $api_peak with no port)" [ "$api_peak" -le $((base + 256 + 4)) ]
t2=$(ms "$RKCTL" --socket "$sd/api.sock" add-ports "127.0.0.1:$port:80/tcp") && ok "add-ports answers under the flood (${t2} ms)" ||
	{ not_ok "add-ports answers under the flood"; cat "$TMP/ms.out"; }
id=$(cat "$TMP/ms.out")
is "$id" 1 "add-ports printed the new ID"
n=$(nfds "$pid"); [ "$n" -le "$peak" ] || peak=$n
t3=$(ms "$RKCTL" --socket "$sd/api.sock" remove-ports "$id") && ok "remove-ports answers under the flood (${t3} ms)" ||
	{ not_ok "remove-ports answers under the flood"; cat "$TMP/ms.out"; }
t4=$(ms "$RKCTL" --socket "$sd/api.sock" list-ports)
check "list-ports shows the port removed" [ "$(grep -c tcp "$TMP/ms.out")" = 0 ]
check "each answered within 2 s ($t1, $t2, $t3, $t4 ms)" [ "$t1" -lt 2000 -a "$t2" -lt 2000 -a "$t3" -lt 2000 -a "$t4" -lt 2000 ]
n=$(nfds "$pid"); [ "$n" -le "$peak" ] || peak=$n
# a port adds its listener and a pool of up to 64 sockets from the child
check "parent fds bounded with a port added ($peak)" [ "$peak" -le $((base + 256 + 4 + 66)) ]
wait "$flood"
res=$(cat "$TMP/flood.out")
diag "flood: $res"
# field NAME - NAME=VALUE from the flood client's summary
field() { printf '%s\n' "$res" | sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" | tail -1; }
slow_closed=$(field slow_closed) max_life=$(field max_life) idle_open=$(field idle_open)
is "${slow_closed:-}" 300 "every slowloris connection was closed"
check "... by the 10 s request deadline (longest life ${max_life:-?} s)" \
	awk "BEGIN { exit !(${max_life:-99} >= 9 && ${max_life:-99} <= 13) }"
check "at most 256 connections held at once (idle still open: ${idle_open:-?})" [ "${idle_open:-9999}" -le 256 ]
check "rootlesskit still running" kill -0 "$pid"
kill "$pid"
wait "$pid" 2>/dev/null
no_sanitizer_report "no sanitizer report (flood)" "$TMP/err"

# --- out of fds ------------------------------------------------------------------
sd="$TMP/sd2"
rm -f "$TMP/done" "$TMP/done2"
cat >"$TMP/srv.py" <<'PY'
# holds every connection until the client closes it
import selectors, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7000))
s.listen(1000)
sel = selectors.DefaultSelector()
sel.register(s, selectors.EVENT_READ)
while True:
    for k, _ in sel.select():
        if k.fileobj is s:
            sel.register(s.accept()[0], selectors.EVENT_READ)
        elif not k.fileobj.recv(100):
            sel.unregister(k.fileobj)
            k.fileobj.close()
PY
chmod a+r "$TMP/srv.py"
bg sh -c "ulimit -n 80; exec \"\$0\" \"\$@\"" "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin \
	python3 "$TMP/srv.py" 2>"$TMP/err2"
pid=$BG
wait_file "$sd/child_pid" || { not_ok "rootlesskit (ulimit -n 80) started"; cat "$TMP/err2"; done_testing; exit 1; }
is "$(awk '/Max open files/ { print $5 }' "/proc/$pid/limits")" 80 "parent's hard fd limit is 80"
diag "fds at start: $(nfds "$pid")"

# (a) fds taken by API connections: the stalest one makes room
bg python3 "$TMP/hold.py" "$sd/api.sock" 100 "$TMP/done" >"$TMP/hold.out" 2>&1
hold=$BG
poll_output 200 grep -q held "$TMP/hold.out" >/dev/null || not_ok "100 API connections opened"
diag "fds with 100 API connections held: $(nfds "$pid")"
c0=$(cpu "$pid")
sleep 2
c1=$(cpu "$pid")
check "no CPU spin with API connections using up the fds ($((c1 - c0)) ticks in 2 s)" [ $((c1 - c0)) -le 10 ]
t=$(ms "$RKCTL" --socket "$sd/api.sock" list-ports) && ok "the API answers while its connections use up the fds (${t} ms)" ||
	{ not_ok "the API answers while its connections use up the fds"; cat "$TMP/ms.out"; }
touch "$TMP/done"
wait "$hold"

# (b) fds taken by forwarded connections: no API connection to close
port=$(free_port)
"$RKCTL" --socket "$sd/api.sock" add-ports "127.0.0.1:$port:7000/tcp" >/dev/null
bg python3 "$TMP/hold.py" "127.0.0.1:$port" 80 "$TMP/done2" >"$TMP/hold2.out" 2>&1
hold=$BG
poll_output 200 grep -q held "$TMP/hold2.out" >/dev/null || { not_ok "80 TCP connections opened"; cat "$TMP/hold2.out"; }
diag "fds with 80 forwarded connections held: $(nfds "$pid")"
python3 - "$sd/api.sock" >"$TMP/refused" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
try:
    s.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n")
    print("answer" if s.recv(100) else "closed")
except OSError as e:
    print("closed", e)
PY
diag "API client while out of fds: $(cat "$TMP/refused")"
c0=$(cpu "$pid")
sleep 2
c1=$(cpu "$pid")
check "no CPU spin while the parent is out of fds ($((c1 - c0)) ticks in 2 s)" [ $((c1 - c0)) -le 10 ]
touch "$TMP/done2"
wait "$hold"
out=$(poll_output 60 "$RKCTL" --socket "$sd/api.sock" list-ports)
printf '%s\n' "$out" | sed 's/^/# /'
check "the API answers again once fds are free" sh -c "echo '$out' | grep -q '127.0.0.1 *$port'"
check "rootlesskit (ulimit -n 80) still running" kill -0 "$pid"
kill "$pid"
wait "$pid" 2>/dev/null
no_sanitizer_report "no sanitizer report (out of fds)" "$TMP/err2"
done_testing
