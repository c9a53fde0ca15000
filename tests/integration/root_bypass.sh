#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --bypass4netns (src/parent/bypass.c): as root, a client network
# namespace joined to the host by a veth pair (198.18.223.0/24, a
# benchmark range of our own choosing) plays the outside world; rootlesskit
# runs as the unprivileged user with slirp4netns and the builtin driver.
# A bypassed socket is told apart from the normal path by its local
# address: the host's veth address instead of the namespace's 10.0.2.100.
. "$(dirname "$0")/lib.sh"
: "${RK_USER:?}"
NS=rkb$$
H=rkbh$$
if ! client_ns "$NS" "$H" rkbp$$ 198.18.223; then
	skip "cannot create a network namespace"
	done_testing
	exit
fi
chmod 755 "$TMP"
mkdir -p "$TMP/run"
chown "$RK_USER" "$TMP/run"
peer_tools
# the programs run inside (and the host-side clients)
cat >"$TMP/bp.py" <<'PY'
import ctypes, errno, os, socket, struct, sys, threading, time
cmd, a = sys.argv[1], sys.argv[2:]
def names(s):
    return "local=%s peer=%s" % (s.getsockname()[0], s.getpeername()[0])
if cmd == "conn":          # conn HOST PORT [nb]: connect, print addresses and the answer
    s = socket.socket(socket.AF_INET6 if ":" in a[0] else socket.AF_INET)
    if len(a) > 2:
        s.setblocking(False)
        try:
            s.connect((a[0], int(a[1])))
            print("connected at once")
        except BlockingIOError:
            print("EINPROGRESS")
        import select
        select.select([], [s], [], 5)
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if e:
            print("error", errno.errorcode[e]); sys.exit(1)
        s.setblocking(True)
    else:
        try:
            s.connect((a[0], int(a[1])))
        except OSError as e:
            print("error", errno.errorcode[e.errno]); sys.exit(1)
    print(names(s), "answer=" + s.recv(100).decode().strip())
elif cmd == "udp":         # udp HOST PORT: sendto, print local address and the answer
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(b"x", (a[0], int(a[1])))
    d, peer = s.recvfrom(100)
    print("local=%s answer=%s" % (s.getsockname()[0], d.decode().strip()))
elif cmd == "fork":        # fork HOST PORT: connect, a new program reads the inherited socket
    s = socket.create_connection((a[0], int(a[1])))
    fd = s.detach()
    os.set_inheritable(fd, True)
    pid = os.fork()
    if pid == 0:
        os.execvp(sys.executable, [sys.executable, "-c",
            "import socket,sys; s=socket.socket(fileno=%d); print('child', s.getsockname()[0], s.recv(100).decode().strip())" % fd])
    os.waitpid(pid, 0)
elif cmd == "swap":        # swap GOOD BAD PORT N: connect N times while a thread flips the address
    libc = ctypes.CDLL(None, use_errno=True)
    def sa(ip):
        return struct.pack("=H", socket.AF_INET) + struct.pack("!H", int(a[2])) + \
            socket.inet_aton(ip) + b"\0" * 8
    good, bad = sa(a[0]), sa(a[1])
    buf = ctypes.create_string_buffer(good, 16)
    stop = False
    def flip():
        while not stop:
            ctypes.memmove(buf, bad, 16)
            ctypes.memmove(buf, good, 16)
    t = threading.Thread(target=flip); t.start()
    ok = 0
    for i in range(int(a[3])):
        s = socket.socket()
        if libc.connect(s.fileno(), buf, 16) == 0:
            ok += 1
        s.close()
    stop = True; t.join()
    print("connected", ok)
elif cmd == "bigsrv":      # bigsrv PORT N: accept one, count to EOF, send N bytes, close
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", int(a[0]))); l.listen()
    open(a[2], "w").close()
    c, peer = l.accept(); n = 0
    while True:
        d = c.recv(1 << 20)
        if not d: break
        n += len(d)
    blk, left = b"y" * (1 << 20), int(a[1])
    while left:
        left -= c.send(blk[:min(left, len(blk))])
    c.close(); print("server got", n)
elif cmd == "bigcli":      # bigcli HOST PORT N: send N, half-close, count the reply
    c = socket.create_connection((a[0], int(a[1])))
    blk, left = b"x" * (1 << 20), int(a[2])
    while left:
        left -= c.send(blk[:min(left, len(blk))])
    c.shutdown(socket.SHUT_WR); n = 0
    while True:
        d = c.recv(1 << 20)
        if not d: break
        n += len(d)
    print("client got", n)
elif cmd == "udpsrv":      # udpsrv PORT READY: echo the peer's address
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(a[0]))); open(a[1], "w").close()
    while True:
        d, peer = s.recvfrom(2048)
        s.sendto(d + b" " + peer[0].encode(), peer)
elif cmd == "udpcli":      # udpcli HOST PORT N: N clients, each one datagram; print answers seen
    socks = []
    for i in range(int(a[2])):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
        s.sendto(b"c%d" % i, (a[0], int(a[1]))); socks.append(s)
    got, peers = 0, set()
    for i, s in enumerate(socks):
        try:
            d = s.recv(100).decode().split()
            if d[0] == "c%d" % i: got += 1; peers.add(d[1])
        except OSError:
            pass
    print("answers", got, "peers", " ".join(sorted(peers)))
PY
uid=$(id -u "$RK_USER")
gid=$(id -g "$RK_USER")
P=23201 PU=23202 PB=23203 PL=23204 PC=23205
# the outside: a TCP+UDP peer server in the client namespace; a server on
# the host's loopback that counts its clients (must stay at 0)
ip netns exec "$NS" python3 "$TMP/peer_server.py" "$P" "$TMP/run/peer" &
_bg_pids="$_bg_pids $!"
python3 -c '
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(128); open(sys.argv[2], "w").close()
while True:
    c, _ = l.accept(); open(sys.argv[3], "a").write("x\n"); c.close()
' "$PL" "$TMP/run/lo" "$TMP/lo-hits" &
_bg_pids="$_bg_pids $!"
: >"$TMP/lo-hits"
wait_file "$TMP/run/peer" && wait_file "$TMP/run/lo" || diag "servers not ready"
ip route add unreachable 198.18.224.0/24 2>/dev/null
trap 'ip route del unreachable 198.18.224.0/24 2>/dev/null; ip netns del "'"$NS"'" 2>/dev/null; ip link del "'"$H"'" 2>/dev/null; _cleanup' EXIT

# rk_in ARGS... -- CMD...: rootlesskit as the test user (exec: for bg, $!
# is rootlesskit's pid)
rk_in() {
	exec setpriv --reuid="$uid" --regid="$gid" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
		"$RK" --net=slirp4netns --port-driver=builtin --pidns \
		--state-dir="$TMP/run/sd$$_$(date +%s%N)" "$@" 2>>"$TMP/err"
}
bp() { (rk_in --bypass4netns -- python3 "$TMP/bp.py" "$@"); }

out=$(bp conn 198.18.223.2 "$P")
is "$out" "local=198.18.223.1 peer=198.18.223.2 answer=198.18.223.1" "outgoing TCP is bypassed: host addresses from getsockname/getpeername"
out=$(bp conn 198.18.223.2 "$P" nb)
is "$out" "EINPROGRESS
local=198.18.223.1 peer=198.18.223.2 answer=198.18.223.1" "non-blocking connect: EINPROGRESS, then bypassed"
is "$(bp udp 198.18.223.2 "$P")" "local=0.0.0.0 answer=198.18.223.1" "outgoing UDP sendto is bypassed"
is "$(bp conn 198.18.223.2 23299)" "error ECONNREFUSED" "refused: ECONNREFUSED as the process expects"
is "$(bp conn 198.18.224.9 23299)" "error EHOSTUNREACH" "unreachable: EHOSTUNREACH"
is "$(bp fork 198.18.223.2 "$P")" "child 198.18.223.1 198.18.223.1" "a bypassed socket survives fork and exec"
is "$(rk_in --bypass4netns -- unshare -n python3 "$TMP/bp.py" conn 198.18.223.2 "$P")" "error ENETUNREACH" \
	"a nested network namespace keeps its own (empty) network"
# an address the namespace reaches through an interface of its own (a
# Docker bridge, here a veth) is inside, whatever its number
out=$(rk_in --bypass4netns -- sh -c "ip link add rkd0 type veth peer name rkd1 && ip addr add 198.18.231.1/24 dev rkd0 && ip link set rkd1 up &&
	ip link set rkd0 up && python3 -c '
import socket
s = socket.socket(); s.setblocking(False)
try:
    s.connect((\"198.18.231.5\", 80))
except BlockingIOError:
    pass
print(s.getsockname()[0])'")
is "$out" 198.18.231.1 "a destination on an interface of the namespace's own keeps the normal path (route lookup)"
is "$(rk_in --bypass4netns --bypass4netns-ignore=198.18.223.0/24 -- python3 "$TMP/bp.py" conn 198.18.223.2 "$P")" \
	"local=10.0.2.100 peer=198.18.223.2 answer=198.18.223.1" "an ignored CIDR takes the normal path"
out=$(rk_in --bypass4netns -- sh -c "python3 -c '
import socket, sys
l = socket.socket(); l.bind((\"0.0.0.0\", $PC)); l.listen()
c = socket.create_connection((sys.argv[1], $PC)); a, _ = l.accept()
print(c.getsockname()[0], c.getpeername()[0])' 127.0.0.1; python3 -c '
import socket
l = socket.socket(); l.bind((\"0.0.0.0\", $PC)); l.listen()
c = socket.create_connection((\"10.0.2.100\", $PC)); print(c.getsockname()[0])'")
is "$out" "127.0.0.1 127.0.0.1
10.0.2.100" "loopback and the namespace's own address keep the normal path"
out=$(rk_in --bypass4netns --disable-host-loopback -- python3 "$TMP/bp.py" swap 198.18.223.2 127.0.0.1 "$P" 300)
hits=$(wc -l <"$TMP/lo-hits" 2>/dev/null || echo 0)
case $out in
"connected "[1-9]*) ok "address swapping thread: some connects bypassed ($out of 300)" ;;
*) not_ok "address swapping thread: some connects bypassed"; diag "$out" ;;
esac
is "$hits" 0 "no connect reached the host's loopback"
out=$(rk_in --bypass4netns --disable-host-loopback -- python3 "$TMP/bp.py" conn 10.0.2.2 "$PL")
case $out in
error*) ok "--disable-host-loopback: the gateway (host loopback) stays closed ($out)" ;;
*) not_ok "--disable-host-loopback: the gateway (host loopback) stays closed"; diag "$out" ;;
esac
is "$(wc -l <"$TMP/lo-hits")" 0 "still no connect on the host's loopback"

# --disable-host-loopback against a hostile program (bpattack.c): a twin
# whose connect failed may be connected again by the kernel, so no call
# that connects may ever run on it unchecked
S="--bypass4netns --disable-host-loopback"
cat >"$TMP/echo.py" <<'PY'
import socket, sys, threading
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", int(sys.argv[1]))); t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", int(sys.argv[1])))
def udp():
    while True:
        d, a = u.recvfrom(100); u.sendto(d, a)
threading.Thread(target=udp, daemon=True).start()
open(sys.argv[2], "w").close()
while True:
    c, _ = t.accept(); c.sendall(c.recv(100)); c.close()
PY
if cc -O2 -pthread -o "$TMP/bpa" "$(dirname "$0")/bpattack.c" 2>"$TMP/cc.err"; then
	chmod 755 "$TMP/bpa"
	is "$(rk_in $S -- "$TMP/bpa" twin 198.18.223.2 23299)" "native connect: EPERM" \
		"a failed twin: connect() again is refused, never done"
	is "$(rk_in $S -- "$TMP/bpa" compat 198.18.223.2 23299 "$PL")" "socketcall connect: EPERM
socketcall connect: EPERM
i386 connect: EPERM
i386 connect: EPERM
socketcall sendto fastopen: EOPNOTSUPP
socketcall sendto fastopen: EOPNOTSUPP" "int 0x80 (socketcall and i386 connect, Fast Open) on a twin: refused"
	is "$(rk_in $S -- "$TMP/bpa" squat 198.18.223.2 23299 23207)" "bind: EPERM
socketcall bind: EPERM" "a twin reset by shutdown() cannot be bound to the host's loopback (native, int 0x80)"
	before=$(wc -l <"$TMP/lo-hits")
	out=$(rk_in $S -- "$TMP/bpa" race 198.18.223.2 23299 "$PL" 3000)
	case $out in
	"raced "[1-9]*) ok "3 s of threads swapping a twin over the connecting fd, in the fd table and in socketcall's memory ($out)" ;;
	*) not_ok "3 s of threads swapping a twin over the connecting fd"; diag "$out" ;;
	esac
	is "$(($(wc -l <"$TMP/lo-hits") - before))" 0 "no raced connect reached the host's loopback"
	out=$(rk_in $S -- sh -c "python3 '$TMP/echo.py' 23206 '$TMP/run/echo' & while [ ! -e '$TMP/run/echo' ]; do sleep 0.05; done; '$TMP/bpa' works 23206")
	is "$out" "tcp connect 0 echo hi
udp sendto 3 echo udp
sendmsg 2 passed fd ok
sendmmsg 2 lens 3 3" "32-bit connect, sendto, sendmsg (SCM_RIGHTS) and sendmmsg (msg_len) still work, done for the caller"
else
	not_ok "cc bpattack.c"
	diag "$(cat "$TMP/cc.err")"
fi

# connects that are not bypassed are done by rootlesskit under
# --disable-host-loopback: inet ones in the parent, AF_UNIX ones as the
# caller (its mount namespace, cwd and credentials)
cat >"$TMP/ux.py" <<'PY'
import os, socket, struct, sys, threading
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
def serve(path, mode):
    l = socket.socket(socket.AF_UNIX)
    l.bind(path)
    if path[0] != "\0": os.chmod(path, mode)
    l.listen()
    def run():
        while True:
            c, _ = l.accept()
            pid, uid, gid = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
            c.sendall(b"uid=%d" % uid); c.close()
    threading.Thread(target=run, daemon=True).start()
serve(d + "/open.sock", 0o666); serve(d + "/root.sock", 0o600); serve("\0rk-abstract", 0)
def cli(path, uid=None):
    pid = os.fork()
    if pid == 0:
        if uid: os.setgroups([]); os.setgid(uid); os.setuid(uid)
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path); print(path.replace(d, "D").replace("\0", "@"), s.recv(20).decode())
        except OSError as e:
            print(path.replace(d, "D"), e.__class__.__name__)
        sys.stdout.flush(); os._exit(0)
    os.waitpid(pid, 0)
cli(d + "/open.sock"); cli(d + "/open.sock", 1000); cli(d + "/root.sock", 1000)
os.chdir(d); cli("open.sock"); cli("\0rk-abstract")
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(); port = l.getsockname()[1]
c = socket.create_connection(("127.0.0.1", port)); print("tcp blocking", c.getsockname()[0])
n = socket.socket(); n.setblocking(False)
try:
    n.connect(("127.0.0.1", port))
except BlockingIOError:
    print("tcp non-blocking EINPROGRESS")
f = socket.socket()
try:
    f.sendto(b"x", socket.MSG_FASTOPEN, ("127.0.0.1", port))
except OSError as e:
    print("fastopen", e.__class__.__name__, e.errno == 95)
r = []
def th():
    s = socket.create_connection((sys.argv[2], int(sys.argv[3]))); r.append(s.getsockname()[0])
t = threading.Thread(target=th); t.start(); t.join(); print("thread", r[0])
PY
out=$(rk_in $S -- python3 "$TMP/ux.py" "$TMP/run/ux" 198.18.223.2 "$P")
is "$out" "D/open.sock uid=0
D/open.sock uid=1000
D/root.sock PermissionError
open.sock uid=0
@rk-abstract uid=0
tcp blocking 127.0.0.1
tcp non-blocking EINPROGRESS
fastopen OSError True
thread 198.18.223.1" "--disable-host-loopback: AF_UNIX connects as the caller (uid, mode bits, cwd, abstract), loopback TCP blocking and not, Fast Open refused (EOPNOTSUPP), a thread's connect bypassed"
# a supplementary group of the user that the namespace does not map (as
# sudo or docker often are) must not break the calls done as the caller
out=$(exec setpriv --reuid="$uid" --regid="$gid" --groups="$gid,27" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
	"$RK" --net=slirp4netns --port-driver=builtin --pidns --state-dir="$TMP/run/sdg$$" $S -- \
	python3 -c '
import socket
l = socket.socket(socket.AF_UNIX); l.bind("\0rk-groups"); l.listen()
c = socket.socket(socket.AF_UNIX); c.connect("\0rk-groups"); print("connected")' 2>>"$TMP/err")
is "$out" connected "a user with an unmapped supplementary group: AF_UNIX connect done as the caller"
# a delegate blocked in an AF_UNIX connect (full backlog) has the caller's
# credentials: it must still not let the caller take its fds (the
# seccomp listener among them); without --pidns the caller sees its pid
cat >"$TMP/steal.py" <<'PY'
import ctypes, os, socket, threading, time
libc = ctypes.CDLL(None, use_errno=True)
l = socket.socket(socket.AF_UNIX); l.bind("\0rk-full"); l.listen(0)
fill = []
for i in range(8):
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try:
        c.connect("\0rk-full"); fill.append(c)
    except BlockingIOError:
        break
threading.Thread(target=lambda: socket.socket(socket.AF_UNIX).connect("\0rk-full"), daemon=True).start()
child = os.getppid()    # rootlesskit's child, the namespace's own
def comm(p):
    try:
        return open("/proc/%d/comm" % p).read().strip()
    except OSError:
        return ""
for i in range(100):   # the parent, and the delegate once it is there
    delegates = [p for p in (int(x) for x in os.listdir("/proc") if x.isdigit())
                 if comm(p) == "rootlesskit" and p != child]
    if len(delegates) >= 2:
        break
    time.sleep(0.05)
took = 0
for p in delegates:
    try:
        pfd = os.pidfd_open(p)
    except OSError:
        continue
    for fd in range(3, 256):
        r = libc.syscall(438, pfd, fd, 0)
        if r >= 0:
            took += 1
            os.close(r)
print("processes", "many" if len(delegates) > 1 else len(delegates), "fds taken", took)
PY
out=$(exec setpriv --reuid="$uid" --regid="$gid" --init-groups env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
	"$RK" --net=slirp4netns --port-driver=builtin --state-dir="$TMP/run/sds$$" $S -- python3 "$TMP/steal.py" 2>>"$TMP/err")
is "$out" "processes many fds taken 0" "the command cannot take an fd of rootlesskit's parent or of a delegate blocked for it"
is "$(rk_in --bypass4netns -- python3 -c '
import socket, sys, threading
r = []
def th():
    s = socket.create_connection((sys.argv[1], int(sys.argv[2]))); r.append(s.getsockname()[0])
t = threading.Thread(target=th); t.start(); t.join(); print(r[0])' 198.18.223.2 "$P")" 198.18.223.1 \
	"a connect from a thread other than the main one is bypassed"

# published ports: the program's own listener on the host
N=$((1 << 30))
rk_in --bypass4netns -p "0.0.0.0:$PB:$PB/tcp" -- python3 "$TMP/bp.py" bigsrv "$PB" "$N" "$TMP/run/big" >"$TMP/big" &
big=$!
_bg_pids="$_bg_pids $big"
wait_file "$TMP/run/big" || diag "bigsrv not ready"
cli=$(poll_output 40 ip netns exec "$NS" python3 "$TMP/bp.py" bigcli 198.18.223.1 "$PB" "$N")
wait "$big"
is "$cli $(cat "$TMP/big")" "client got $N server got $N" "1 GiB each way with half-close through a bypassed published port"
rk_in --bypass4netns -p "0.0.0.0:$PB:$PB/tcp" -p "0.0.0.0:$PU:$PU/udp" -- sh -c "
python3 '$TMP/bp.py' udpsrv $PU '$TMP/run/udp' &
python3 -c '
import socket, sys
l = socket.socket(); l.bind((\"0.0.0.0\", $PB)); l.listen(); open(sys.argv[1], \"w\").close()
while True:
    c, a = l.accept(); c.sendall((a[0] + \"\n\").encode()); c.close()' '$TMP/run/tcp'" &
rk=$!
_bg_pids="$_bg_pids $rk"
wait_file "$TMP/run/udp" && wait_file "$TMP/run/tcp" || diag "servers not ready"
is "$(ip netns exec "$NS" python3 "$TMP/peer_client.py" tcp 198.18.223.1 "$PB")" 198.18.223.2 \
	"the server sees the real client address (no iptables)"
is "$(ip netns exec "$NS" python3 "$TMP/bp.py" udpcli 198.18.223.1 "$PU" 100)" "answers 100 peers 198.18.223.2" \
	"UDP echo for 100 clients, real client address"
kill -9 "$rk"
wait "$rk" 2>/dev/null
gone=
for i in $(seq 100); do
	python3 -c "import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', $PB))" 2>/dev/null && { gone=1; break; }
	sleep 0.05
done
check "killing rootlesskit frees the published port" test -n "$gone"
left=$(pgrep -u "$RK_USER" -f "$TMP/" || true)
is "$left" "" "killing rootlesskit leaves no process"
done_testing
