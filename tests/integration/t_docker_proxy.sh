#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# rootlesskit-docker-proxy with the real docker-proxy (Debian's docker.io,
# /usr/sbin/docker-proxy), run inside the namespaces the way dockerd < 28
# runs it: Go-style flags, ROOTLESSKIT_STATE_DIR, fd 3 as the status pipe.
# Our binary is always called by its full path; PATH finds /usr/sbin's
# docker-proxy (or a fake one), never the Go rootlesskit-docker-proxy.
. "$(dirname "$0")/lib.sh"
PROXY=$RK_BIN/rootlesskit-docker-proxy
REAL=/usr/sbin/docker-proxy
if [ ! -x "$REAL" ]; then
	skip "no $REAL (docker.io package)"
	done_testing
	exit
fi
printf '0\n' >"$TMP/zero"

# start_rk NAME ARGS... - a rootlesskit with its state dir in $SD whose
# command serves "hello" on 127.0.0.1:$CP in the namespace
start_rk() {
	SD=$TMP/sd-$1
	shift
	bg "$RK" --state-dir="$SD" --net=slirp4netns "$@" \
		socat "TCP-LISTEN:$CP,bind=127.0.0.1,reuseaddr,fork" SYSTEM:"echo hello" \
		2>"$SD.log"
	RKPID=$BG
	wait_file "$SD/child_pid" || diag "rootlesskit $* did not start"
	poll_output 100 inns socat -T1 - "TCP:127.0.0.1:$CP" >/dev/null ||
		diag "server in the namespace not ready"
}
stop_rk() { kill "$RKPID"; wait "$RKPID" 2>/dev/null; }

# inns CMD... - run CMD in the namespaces of $SD's child
inns() { nsenter -U --preserve-credentials -m -n -t "$(cat "$SD/child_pid")" "$@"; }

# proxy NAME PATH ARGS... - start our proxy in the namespace with fd 3 to
# $TMP/st.NAME and stderr to $TMP/err.NAME; sets PX (a simple command in
# the background, and env and nsenter exec, so PX is our proxy's pid)
proxy() {
	_nm=$1 _path=$2
	shift 2
	env ROOTLESSKIT_STATE_DIR="$SD" PATH="$_path" \
		/usr/bin/nsenter -U --preserve-credentials -m -n -t "$(cat "$SD/child_pid")" \
		"$PROXY" "$@" 3>"$TMP/st.$_nm" 2>"$TMP/err.$_nm" &
	PX=$!
	_bg_pids="$_bg_pids $PX"
}
# wait_status NAME - until something was written to fd 3
wait_status() { poll_output 200 test -s "$TMP/st.$1" >/dev/null; }
# status_is NAME TEXT DESC - fd 3 got exactly TEXT (no trailing newline
# unless TEXT has one: compare with printf)
status_is() {
	printf "$2" >"$TMP/want"
	if cmp -s "$TMP/want" "$TMP/st.$1"; then ok "$3"; else
		not_ok "$3"; diag "got: $(od -An -c "$TMP/st.$1")"; fi
}
ctl() { "$RKCTL" --socket "$SD/api.sock" "$@"; }
# port_free PORT - nothing listens on 127.0.0.1:PORT on the host
# (SO_REUSEADDR: connections in TIME_WAIT do not count)
port_free() {
	python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen()' "$1" 2>/dev/null
}
# exit_of PID - wait for PID (in this shell, not a $(...)); sets RC
exit_of() { wait "$1"; RC=$?; }

set -- $(free_ports 5)
CP=$1 HP=$2 HP2=$3 HP3=$4 HP4=$5
SP=/usr/sbin:/usr/bin:/bin

# ---- builtin port driver -------------------------------------------------
start_rk builtin --port-driver=builtin

# 1. success
proxy ok "$SP" -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$HP" -proto tcp
wait_status ok
status_is ok '0\n' "success: fd 3 gets exactly 0\\\\n (from the real docker-proxy)"
is "$(ctl list-ports --json)" \
	"{\"id\":1,\"spec\":{\"proto\":\"tcp4\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$HP,\"childPort\":$HP,\"childIP\":\"127.0.0.1\"}}" \
	"the port is listed as tcp4 to 127.0.0.1:$HP in the child"
real=$(pgrep -P "$PX")
is "$(tr '\0' ' ' <"/proc/$real/cmdline")" \
	"docker-proxy -container-ip 127.0.0.1 -container-port $CP -host-ip 127.0.0.1 -host-port $HP -proto tcp " \
	"the real docker-proxy listens on the child IP with the un-suffixed proto"
is "$(readlink "/proc/$real/exe")" "$REAL" "it is $REAL"
is "$(socat -T2 - "TCP:127.0.0.1:$HP" 2>&1)" hello "a host connection to 127.0.0.1:$HP reaches the server behind it"
is "$(curl -s --http0.9 --max-time 5 "http://127.0.0.1:$HP/" 2>/dev/null | head -1)" hello "curl too"

# 3. SIGINT removes the port
kill -INT "$PX"
exit_of "$PX"
is "$RC" 0 "SIGINT: our proxy exits 0"
check "SIGINT: the real docker-proxy is gone" sh -c "! kill -0 $real 2>/dev/null"
is "$(ctl list-ports --json)" "" "SIGINT: the port is removed"
check "SIGINT: host port $HP is free again" port_free "$HP"

# SIGTERM likewise
proxy term "$SP" -container-ip=127.0.0.1 --container-port "$CP" -host-ip 127.0.0.1 --host-port="$HP" -proto=tcp
wait_status term
status_is term '0\n' "-x=v and --x forms: 0\\\\n"
real=$(pgrep -P "$PX")
kill -TERM "$PX"
exit_of "$PX"
is "$RC" 0 "SIGTERM: our proxy exits 0"
check "SIGTERM: the real docker-proxy is gone" sh -c "! kill -0 $real 2>/dev/null"
is "$(ctl list-ports --json)" "" "SIGTERM: the port is removed"

# the real proxy killed with -9: we remove the port and exit 128+9
proxy kill9 "$SP" -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$HP" -proto tcp
wait_status kill9
real=$(pgrep -P "$PX")
kill -9 "$real"
exit_of "$PX"
is "$RC" 137 "docker-proxy killed with -9: our proxy exits 137"
is "$(ctl list-ports --json)" "" "docker-proxy killed with -9: the port is removed"
check "docker-proxy killed with -9: host port $HP is free again" port_free "$HP"
contains "$TMP/err.kill9" "docker-proxy exited: signal: killed" "the proxy's death is logged"
status_is kill9 '0\n' "nothing but the real proxy's 0\\\\n on fd 3"

# the real proxy fails by itself after writing its error to fd 3: here
# 127.0.0.1:$CP in the namespace is taken (by the server)
proxy self "$SP" -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$CP" -proto tcp
exit_of "$PX"
is "$RC" 1 "docker-proxy failing: our proxy exits with its status"
status_is self "1\\nlisten tcp4 127.0.0.1:$CP: bind: address already in use" \
	"docker-proxy failing: only its own error on fd 3"
contains "$TMP/err.self" "docker-proxy exited: exit status 1" "docker-proxy failing: logged"
is "$(ctl list-ports --json)" "" "docker-proxy failing: the port is removed"
# docker-proxy 20.10 knows no tcp4 and dies before writing to fd 3
proxy tcp4 "$SP" -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$HP" -proto tcp4
exit_of "$PX"
is "$RC" 1 "-proto tcp4 (passed on as given): docker-proxy's exit status 1"
contains "$TMP/err.tcp4" "unsupported protocol tcp4" "-proto tcp4: docker-proxy's message"
is "$(ctl list-ports --json)" "" "-proto tcp4: the port is removed"

# 2. errors
python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); open(sys.argv[2],"w").close(); time.sleep(60)' "$HP2" "$TMP/busy" &
busy=$!
_bg_pids="$_bg_pids $busy"
wait_file "$TMP/busy" 5
proxy busy "$SP" -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$HP2" -proto tcp
exit_of "$PX"
is "$RC" 1 "host port taken: exit 1"
is "$(head -1 "$TMP/st.busy")" 1 "host port taken: fd 3 starts with 1\\n"
check "host port taken: then the API's error" \
	grep -q '^error while calling PortManager.AddPort(): .*address already in use' "$TMP/st.busy"
contains "$TMP/err.busy" "error while calling PortManager.AddPort(): " "host port taken: logged on stderr"
check "host port taken: no docker-proxy was started" sh -c "! pgrep -u $(id -u) -x docker-proxy >/dev/null"
is "$(ctl list-ports --json)" "" "host port taken: nothing listed"
kill "$busy"

proxy nopath /nonexistent -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$HP" -proto tcp
exit_of "$PX"
is "$RC" 1 "no docker-proxy in PATH: exit 1"
status_is nopath '1\nerror while starting docker-proxy: exec: "docker-proxy": executable file not found in $PATH' \
	"no docker-proxy in PATH: the error on fd 3"
is "$(ctl list-ports --json)" "" "no docker-proxy in PATH: the port is removed again"
check "no docker-proxy in PATH: host port $HP is free" port_free "$HP"

env -u ROOTLESSKIT_STATE_DIR PATH=$SP "$PROXY" -container-ip 127.0.0.1 -host-port "$HP" 3>"$TMP/st.nosd" 2>"$TMP/err.nosd"
is "$?" 1 "no ROOTLESSKIT_STATE_DIR: exit 1"
status_is nosd '1\n$ROOTLESSKIT_STATE_DIR needs to be set' "no ROOTLESSKIT_STATE_DIR: upstream's message on fd 3"
check "no ROOTLESSKIT_STATE_DIR: stderr like log.Fatal" \
	grep -Eq '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \$ROOTLESSKIT_STATE_DIR needs to be set$' "$TMP/err.nosd"

ROOTLESSKIT_STATE_DIR=$TMP/none "$PROXY" 3>"$TMP/st.nosock" 2>/dev/null
is "$?" 1 "no api.sock: exit 1"
status_is nosock "1\\nerror while connecting to RootlessKit API socket: stat $TMP/none/api.sock: no such file or directory" \
	"no api.sock: upstream's message on fd 3"

"$PROXY" -bogus 3>"$TMP/st.flag" 2>"$TMP/err.flag"
is "$?" 2 "unknown flag: exit 2 as Go's flag package"
status_is flag '1\nflag provided but not defined: -bogus' "unknown flag: the error on fd 3"
is "$(head -2 "$TMP/err.flag")" "$(printf 'flag provided but not defined: -bogus\nUsage of %s:' "$PROXY")" \
	"unknown flag: Go's message and usage on stderr"
"$PROXY" -host-port x 3>/dev/null 2>"$TMP/err.flag"
is "$(head -1 "$TMP/err.flag")" 'invalid value "x" for flag -host-port: parse error' "bad int value: Go's message"
"$PROXY" -h 2>"$TMP/err.help" 3>&-
is "$?:$(grep -c -- '^  -' "$TMP/err.help")" "0:5" "-h: usage with five flags, exit 0 (fd 3 closed is fine)"

# without fd 3 at all the proxy still works and cleans up
env ROOTLESSKIT_STATE_DIR="$SD" PATH="$SP" nsenter -U --preserve-credentials -m -n -t "$(cat "$SD/child_pid")" \
	"$PROXY" -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$HP" 3>&- 2>/dev/null &
PX=$!
_bg_pids="$_bg_pids $PX"
poll_output 100 socat -T1 - "TCP:127.0.0.1:$HP" >/dev/null
is "$(socat -T2 - "TCP:127.0.0.1:$HP" 2>&1)" hello "fd 3 closed: still forwards"
kill -INT "$PX"
exit_of "$PX"
is "$RC:$(ctl list-ports --json)" "0:" "fd 3 closed: SIGINT, exit 0, port removed"
stop_rk

# ---- slirp4netns port driver: child IP and the warning path ----------------
start_rk s4nn --port-driver=slirp4netns

proxy s4 "$SP" -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$HP3" -proto tcp
wait_status s4
status_is s4 '0\n' "slirp4netns driver: 0\\\\n"
is "$(ctl list-ports --json)" \
	"{\"id\":1,\"spec\":{\"proto\":\"tcp4\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$HP3,\"childPort\":$HP3,\"childIP\":\"10.0.2.100\"}}" \
	"slirp4netns driver (disallowLoopbackChildIP): child IP is the network driver's 10.0.2.100"
is "$(tr '\0' ' ' <"/proc/$(pgrep -P "$PX")/cmdline")" \
	"docker-proxy -container-ip 127.0.0.1 -container-port $CP -host-ip 10.0.2.100 -host-port $HP3 -proto tcp " \
	"slirp4netns driver: docker-proxy listens on 10.0.2.100"
is "$(socat -T2 - "TCP:127.0.0.1:$HP3" 2>&1)" hello "slirp4netns driver: a host connection reaches the server"
kill -INT "$PX"
exit_of "$PX"
is "$RC:$(ctl list-ports --json)" "0:" "slirp4netns driver: SIGINT, exit 0, port removed"

# 5. tcp6 is not served by the slirp4netns driver: warn, 0\n, exit 0
mkdir -p "$TMP/fake"
cat >"$TMP/fake/docker-proxy" <<EOF
#!/bin/sh
echo started >"$TMP/fake.started"
EOF
chmod +x "$TMP/fake/docker-proxy"
proxy warn "$TMP/fake:$SP" -container-ip 127.0.0.1 -container-port "$CP" -host-ip ::1 -host-port "$HP4" -proto tcp
exit_of "$PX"
is "$RC" 0 "tcp6 on slirp4netns: exit 0"
status_is warn '0\n' "tcp6 on slirp4netns: 0\\\\n on fd 3"
contains "$TMP/err.warn" 'level=warning msg="protocol \"tcp6\" is not supported by the RootlessKit port driver \"slirp4netns\", discarding request for \"[::1]:'"$HP4"'\""' \
	"tcp6 on slirp4netns: upstream's warning"
check "tcp6 on slirp4netns: no docker-proxy started" test ! -e "$TMP/fake.started"
is "$(ctl list-ports --json)" "" "tcp6 on slirp4netns: nothing listed"
stop_rk

# ---- port driver none: exec the real proxy --------------------------------
start_rk none --port-driver=none

proxy none "$SP" -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$HP" -proto tcp
wait_status none
status_is none '0\n' "port driver none: 0\\\\n from docker-proxy"
is "$(readlink "/proc/$PX/exe")" "$REAL" "port driver none: our pid now runs $REAL (exec, no fork)"
is "$(tr '\0' ' ' <"/proc/$PX/cmdline")" \
	"docker-proxy -container-ip 127.0.0.1 -container-port $CP -host-ip 127.0.0.1 -host-port $HP -proto tcp " \
	"port driver none: argv[0] docker-proxy, arguments as given"
is "$(inns socat -T2 - "TCP:127.0.0.1:$HP" 2>&1)" hello "port driver none: it forwards inside the namespace"
kill -INT "$PX"
wait "$PX" 2>/dev/null

cat >"$TMP/fake/docker-proxy" <<EOF
#!/bin/sh
echo "\$\$" >"$TMP/fake.pid"
for a in "\$@"; do echo "<\$a>"; done >"$TMP/fake.args"
printf '0\n' >&3
EOF
proxy fake "$TMP/fake:$SP" --container-ip=1.2.3.4 -container-port 80 "-host-ip" "" -host-port=0x1F -proto udp extra "-x y"
exit_of "$PX"
is "$RC" 0 "fake docker-proxy: exit 0"
is "$(cat "$TMP/fake.pid" 2>/dev/null)" "$PX" "fake docker-proxy: same pid"
is "$(cat "$TMP/fake.args" 2>/dev/null | tr '\n' ' ')" \
	"<--container-ip=1.2.3.4> <-container-port> <80> <-host-ip> <> <-host-port=0x1F> <-proto> <udp> <extra> <-x y> " \
	"fake docker-proxy: arguments passed through verbatim"
status_is fake '0\n' "fake docker-proxy: fd 3 passed through"
stop_rk

# ---- pasta with the implicit port driver: exec too -------------------------
if command -v pasta >/dev/null; then
	start_rk pasta --net=pasta --port-driver=implicit
	proxy pasta "$SP" -container-ip 127.0.0.1 -container-port "$CP" -host-ip 127.0.0.1 -host-port "$HP" -proto tcp
	wait_status pasta
	status_is pasta '0\n' "port driver implicit: 0\\\\n from docker-proxy"
	is "$(readlink "/proc/$PX/exe")" "$REAL" "port driver implicit: our pid now runs $REAL"
	is "$(ctl list-ports --json 2>&1)" "error: no PortDriver is available" "port driver implicit: no API port was added"
	kill -INT "$PX"
	wait "$PX" 2>/dev/null
	stop_rk
else
	skip "no pasta"
fi

# with an ASan+UBSan build (make check), leaks and errors show up here
check "no sanitizer report in the proxy's stderr" \
	sh -c "! grep -l 'Sanitizer\|runtime error' '$TMP'/err.* >&2"

done_testing
