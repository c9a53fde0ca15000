#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The builtin driver's socket pool backs off after a refill that brought
# nothing.  The test lowers the child's soft RLIMIT_NOFILE to 3 (prlimit(2)
# on a process of the same user), so each of its socket() calls fails with
# EMFILE, and 40 clients (held open by the service) drain the parent's
# pool.  It counts the failed refills (--debug's "no sockets from the
# child") and the child's CPU time over 3 s: with the back-off (10 ms
# doubling to 1 s) a handful and next to nothing; before it, a tight loop
# of requests.  With the limit restored, a new client is served again.
. "$(dirname "$0")/lib.sh"
sd="$TMP/sd"
p=$(free_port)
cat >"$TMP/hold.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 80))
s.listen(128)
open(sys.argv[1], "w").close()
held = []
while True:
    c, _ = s.accept()
    c.sendall(b"hi\n")
    held.append(c)
PY
bg "$RK" --state-dir="$sd" --debug --net=none \
	--port-driver=builtin -p "127.0.0.1:$p:80/tcp" \
	python3 "$TMP/hold.py" "$TMP/ready" 2>"$TMP/err"
pid=$BG
if ! wait_file "$sd/child_pid" || ! wait_file "$TMP/ready"; then
	not_ok "rootlesskit started"
	cat "$TMP/err"
	done_testing
	exit 1
fi
child=$(cat "$sd/child_pid")
python3 - "$p" "$pid" "$child" "$TMP/err" >"$TMP/out" 2>&1 <<'PY'
import os, resource, socket, sys, time
port, pid, child, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def cpu(p):
    f = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def fails():
    return open(log, errors="replace").read().count("no sockets from the child")
soft, hard = resource.prlimit(int(child), resource.RLIMIT_NOFILE)
resource.prlimit(int(child), resource.RLIMIT_NOFILE, (3, hard))
cs = []
for _ in range(40):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        cs.append(c)
    except OSError:
        pass
    time.sleep(0.01)
time.sleep(0.5)
f0, c0 = fails(), cpu(child)
time.sleep(3)
f1, c1 = fails(), cpu(child)
print("failed refills in 3 s:", f1 - f0)
print("child cpu in 3 s: %.2f" % (c1 - c0))
for c in cs:
    c.close()
resource.prlimit(int(child), resource.RLIMIT_NOFILE, (soft, hard))
got = None
t0 = time.monotonic()
while got is None and time.monotonic() < t0 + 5:
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        c.settimeout(2)
        got = c.recv(3)
    except OSError:
        time.sleep(0.05)
print("after %r in %.2f s" % (got, time.monotonic() - t0))
PY
sed 's/^/# /' "$TMP/out"
n=$(sed -n 's/^failed refills in 3 s: //p' "$TMP/out")
check "the child cannot make sockets: refills failed (${n:-?} in 3 s)" test "${n:-0}" -ge 1
check "failed refills are retried with back-off, not at once (${n:-?} in 3 s)" test "${n:-999}" -le 20
cpu=$(sed -n 's/^child cpu in 3 s: //p' "$TMP/out")
check "the child stays idle meanwhile (${cpu:-?} CPU-seconds in 3 s)" \
	python3 -c "import sys; sys.exit(not float('${cpu:-9}') < 0.3)"
contains "$TMP/out" "after b'hi\n'" "with the limit restored, a new client is served"
kill "$pid"
wait "$pid" 2>/dev/null
no_sanitizer_report "no sanitizer report from rootlesskit" "$TMP/err"
done_testing
