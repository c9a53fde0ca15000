#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# 1 GiB through a published TCP port in each direction, bytes in = bytes
# out (SHA-1 on both ends), with half-close: the client shuts down its
# sending side and still reads the server's reply.
. "$(dirname "$0")/lib.sh"
sd="$TMP/sd"
set -- $(free_ports 2)
p=$1 p2=$2
chmod 755 "$TMP"
cat >"$TMP/server.py" <<'PY'
import hashlib, os, socket, sys, threading
out = sys.argv[1]
def sink(c):  # read to EOF, then answer with count and hash
    h, n = hashlib.sha1(), 0
    while True:
        d = c.recv(1 << 20)
        if not d:
            break
        h.update(d); n += len(d)
    c.sendall(b"%d %s\n" % (n, h.hexdigest().encode()))
    c.close()
def source(c):  # send 1 GiB, record its hash, close
    block, h = os.urandom(1 << 20), hashlib.sha1()
    for _ in range(1024):
        c.sendall(block); h.update(block)
    c.close()
    with open(out, "w") as f:
        f.write("%d %s\n" % (1 << 30, h.hexdigest()))
def serve(port, fn):
    l = socket.socket(socket.AF_INET6); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("::", port)); l.listen(4)
    while True:
        c, _ = l.accept()
        threading.Thread(target=fn, args=(c,)).start()
threading.Thread(target=serve, args=(9000, sink), daemon=True).start()
serve(9001, source)
PY
bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin --pidns \
	-p "127.0.0.1:$p:9000/tcp" -p "127.0.0.1:$p2:9001/tcp" \
	python3 "$TMP/server.py" "$TMP/sent" 2>"$TMP/err"
pid=$BG
wait_file "$sd/child_pid" || { not_ok "rootlesskit started"; cat "$TMP/err"; done_testing; exit 1; }

python3 - "$p" "$p2" "$TMP/sent" >"$TMP/out" 2>&1 <<'PY'
import hashlib, os, socket, sys, time
port, port2, sent = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def connect(port):
    for _ in range(100):  # the server inside may still be starting
        c = socket.create_connection(("127.0.0.1", port))
        c.settimeout(0.1)
        try:
            if c.recv(1, socket.MSG_PEEK) == b"":
                c.close(); time.sleep(0.05); continue  # proxied, nobody listening yet
        except socket.timeout:
            pass
        c.settimeout(60)
        return c
    raise SystemExit("no server")
# client -> server, then half-close, then read the reply
c = connect(port)
block, h = os.urandom(1 << 20), hashlib.sha1()
for _ in range(1024):
    c.sendall(block); h.update(block)
c.shutdown(socket.SHUT_WR)
reply = c.makefile().readline().split()
print("up", reply == [str(1 << 30), h.hexdigest()], reply)
# server -> client
c = connect(port2)
h, n = hashlib.sha1(), 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    h.update(d); n += len(d)
for _ in range(100):
    if os.path.exists(sent) and open(sent).read().endswith("\n"):
        break
    time.sleep(0.05)
print("down", open(sent).read().split() == [str(n), h.hexdigest()], n)
PY
contains "$TMP/out" "up True" "1 GiB client to server, half-close, reply read back"
contains "$TMP/out" "down True" "1 GiB server to client"
kill "$pid"
wait "$pid" 2>/dev/null
done_testing
