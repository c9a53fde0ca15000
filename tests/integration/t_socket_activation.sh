#!/bin/sh
# systemd socket activation through rootlesskit (behaviour 1.10), driven by
# the real systemd-socket-activate: with 1 and 2 listening sockets the
# command rootlesskit runs sees LISTEN_FDS equal to the count, LISTEN_PID
# equal to its own PID (systemd set it to rootlesskit's), LISTEN_FDNAMES
# unchanged, and fds 3.. are the listening sockets: each accepts a
# connection from the host and answers.  Also with --net=none --pidns (the
# command is PID 1 of its PID namespace) and, without systemd, a LISTEN_PID
# that is not rootlesskit's own, which must reach the command unchanged.
. "$(dirname "$0")/lib.sh"
check_path
SSA=$(command -v systemd-socket-activate) || {
	not_ok "systemd-socket-activate is installed (package systemd)"
	done_testing
	exit 1
}

# the command under rootlesskit: records what it sees in $1, then accepts
# one connection on each passed fd and answers "fd N pid P"
cat >"$TMP/server.py" <<'PY'
import os, socket, stat, sys
out = sys.argv[1]
n = int(os.environ.get("LISTEN_FDS", "0"))
lines = ["LISTEN_FDS=%s" % os.environ.get("LISTEN_FDS", ""),
         "LISTEN_PID=%s" % os.environ.get("LISTEN_PID", ""),
         "PID=%d" % os.getpid(),
         "LISTEN_FDNAMES=%s" % os.environ.get("LISTEN_FDNAMES", "")]
socks = []
for fd in range(3, 3 + n):
    try:
        st = os.fstat(fd)
        kind = "socket" if stat.S_ISSOCK(st.st_mode) else "other"
        s = socket.socket(fileno=fd)
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            kind += ",listening"
        socks.append((fd, s))
    except OSError as e:
        kind = "missing (%s)" % e.strerror
    lines.append("fd%d=%s" % (fd, kind))
with open(out + ".tmp", "w") as f:
    f.write("\n".join(lines) + "\n")
os.rename(out + ".tmp", out)
for fd, s in socks:
    c, _ = s.accept()
    c.sendall(b"fd %d pid %d\n" % (fd, os.getpid()))
    c.close()
PY
cat >"$TMP/client.py" <<'PY'
import socket, sys, time
# connect (retrying until systemd-socket-activate listens), print the answer
end = time.time() + 20
while True:
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
        break
    except OSError:
        if time.time() > end:
            raise
        time.sleep(0.05)
print(c.recv(200).decode().strip())
PY

# field FILE NAME - the value of NAME= in FILE
field() { sed -n "s/^$2=//p" "$1"; }

# activate NAME NSOCK RKFLAGS... - run rootlesskit RKFLAGS under
# systemd-socket-activate with NSOCK sockets (fd names s1:s2..), connect to
# each in turn and check what the command saw
activate() {
	name=$1 nsock=$2
	shift 2
	ports=$(free_ports "$nsock")
	largs= names=
	for p in $ports; do
		largs="$largs -l 127.0.0.1:$p"
		names="${names:+$names:}s$p"
	done
	info=$TMP/$name.info
	# shellcheck disable=SC2086
	bg "$SSA" $largs --fdname="$names" "$RK" "$@" python3 "$TMP/server.py" "$info" \
		>"$TMP/$name.log" 2>&1
	pid=$BG
	i=3
	answers_ok=1
	for p in $ports; do
		got=$(python3 "$TMP/client.py" "$p" 2>>"$TMP/$name.log") || got=
		case $got in
		"fd $i pid "*) ;;
		*) answers_ok=0; diag "port $p (fd $i) answered '$got'" ;;
		esac
		i=$((i + 1))
	done
	if [ "$answers_ok" = 1 ]; then ok "$name: each of the $nsock sockets accepts a connection on fd 3.. and answers"; else not_ok "$name: each of the $nsock sockets accepts a connection on fd 3.. and answers"; fi
	if wait_gone "$pid" 20; then
		wait "$pid" 2>/dev/null
		is "$?" 0 "$name: rootlesskit exits 0 once the command has served every socket"
	else
		not_ok "$name: rootlesskit exits once the command has served every socket"
	fi
	if [ ! -e "$info" ]; then
		not_ok "$name: the command ran"
		sed 's/^/#   /' "$TMP/$name.log"
		return
	fi
	is "$(field "$info" LISTEN_FDS)" "$nsock" "$name: LISTEN_FDS=$nsock"
	is "$(field "$info" LISTEN_PID)" "$(field "$info" PID)" "$name: LISTEN_PID is the command's own PID"
	is "$(field "$info" LISTEN_FDNAMES)" "$names" "$name: LISTEN_FDNAMES passes through"
	i=3
	for p in $ports; do
		is "$(field "$info" "fd$i")" "socket,listening" "$name: fd $i is a listening socket"
		i=$((i + 1))
	done
}

activate one 1
activate two 2
activate pidns 2 --net=none --pidns

# a LISTEN_PID that is not rootlesskit's: not meant for it, so the command
# sees it as it was (fd 3 still passed through)
out=$(LISTEN_FDS=1 LISTEN_PID=1 "$RK" sh -c 'echo "$LISTEN_PID $LISTEN_FDS"; [ -e /proc/self/fd/3 ] && echo fd3' 3</dev/null 2>"$TMP/other.log")
is "$(echo $out)" "1 1 fd3" "LISTEN_PID of another process reaches the command unchanged, with fd 3"
no_sanitizer_report "no sanitizer report from rootlesskit" "$TMP"/*.log
done_testing
