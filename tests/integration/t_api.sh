#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The REST API on $SD/api.sock, spoken to with curl and raw sockets: routes,
# status codes and messages, synchronous add/remove, HTTP robustness
# (keep-alive, 100-continue, chunked, oversized and malformed requests, a
# stalled client), and permissions.
. "$(dirname "$0")/lib.sh"
sd="$TMP/sd"
mkdir -p "$TMP/www"
echo "hello-api" >"$TMP/www/index.html"
bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin --pidns \
	sh -c "busybox httpd -p 80 -h '$TMP/www' && exec socat TCP-LISTEN:7000,fork,reuseaddr EXEC:cat" 2>"$TMP/err"
pid=$BG
wait_file "$sd/child_pid" || { not_ok "rootlesskit started"; cat "$TMP/err"; done_testing; exit 1; }
cpid=$(cat "$sd/child_pid")

# api METHOD PATH [BODY] - sets CODE and BODY (response body)
api() {
	if [ $# -ge 3 ]; then
		CODE=$(curl -sS -o "$TMP/body" -w '%{http_code}' --unix-socket "$sd/api.sock" \
			-X "$1" -H 'Content-Type: application/json' --data-binary "$3" "http://rootlesskit$2")
	else
		CODE=$(curl -sS -o "$TMP/body" -w '%{http_code}' --unix-socket "$sd/api.sock" \
			-X "$1" "http://rootlesskit$2")
	fi
	BODY=$(cat "$TMP/body")
}

# json EXPR - evaluate a python expression on the last body (as j)
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$TMP/body"; }

# free_now PORT - the port can be bound on 127.0.0.1 right now
free_now() { python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1"; }

# fetch PORT - GET / through a published port (server inside may be starting)
fetch() {
	for _i in $(seq 40); do
		curl -fsS --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

check "state dir is 0700" [ "$(stat -c %a "$sd")" = 700 ]
check "api.sock is a socket with mode 0600" sh -c "[ -S '$sd/api.sock' ] && [ \"\$(stat -c %a '$sd/api.sock')\" = 600 ]"

api GET /v1/info
is "$CODE" 200 "GET /v1/info: 200"
is "$(json 'j["apiVersion"], j["version"].startswith("3.0.1+c."), j["childPID"], j["stateDir"]')" "1.1.1 True $cpid $sd" "info: apiVersion, version 3.0.1+c.*, childPID, stateDir"
is "$(json 'j["version"]')" "$("$RK" --version | sed 's/^rootlesskit version //')" "info: version is what --version prints"
is "$(json 'j["networkDriver"]')" "{'driver': 'slirp4netns', 'dns': ['10.0.2.3'], 'childIP': '10.0.2.100'}" "info: networkDriver"
is "$(json 'j["portDriver"]')" "{'driver': 'builtin', 'protos': ['tcp', 'tcp4', 'tcp6', 'udp', 'udp4', 'udp6']}" "info: portDriver"

api GET /v1/ports
is "$CODE:$BODY" "200:[]" "empty port list"

set -- $(free_ports 4)
p1=$1 p2=$2 p3=$3 p4=$4
api POST /v1/ports "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$p1,\"childPort\":80}"
is "$CODE:$BODY" "201:{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$p1,\"childPort\":80}}" "POST: 201 and the Status"
is "$(fetch "$p1")" hello-api "the new port forwards"
api POST /v1/ports "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$p2,\"childPort\":7000}"
is "$(json 'j["id"]')" 2 "second port gets ID 2"
api POST /v1/ports "{\"Proto\":\"udp\",\"PARENTPORT\":$p1,\"childport\":53,\"extra\":true}"
is "$CODE:$(json 'j["id"], j["spec"]')" "201:3 {'proto': 'udp', 'parentPort': $p1, 'childPort': 53}" "keys are case-insensitive, unknown keys ignored"
api GET /v1/ports
is "$(json '[p["id"] for p in j]')" "[1, 2, 3]" "list sorted by ID"

# errors: 400 with {"message": ...}
api POST /v1/ports "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$p1,\"childPort\":81}"
is "$CODE:$BODY" '400:{"message":"conflict with ID 1"}' "conflict"
api POST /v1/ports '{"proto":"tcp","parentPort":0,"childPort":80}'
is "$CODE:$BODY" '400:{"message":"invalid ParentPort: 0"}' "parent port 0"
api POST /v1/ports '{"proto":"tcp","parentPort":8080,"childPort":70000}'
is "$CODE:$BODY" '400:{"message":"invalid ChildPort: 70000"}' "child port 70000"
api POST /v1/ports '{"proto":"sctpx","parentPort":8080,"childPort":80}'
is "$CODE:$BODY" '400:{"message":"unknown proto: \"sctpx\""}' "unknown proto"
api POST /v1/ports '{"proto":"sctp","parentPort":8080,"childPort":80}'
is "$CODE:$BODY" '400:{"message":"unsupported port protocol sctp"}' "sctp refused"
api POST /v1/ports '{"proto":"tcp","parentIP":"1.2.3","parentPort":8080,"childPort":80}'
is "$CODE:$BODY" '400:{"message":"invalid ParentIP: \"1.2.3\""}' "bad parent IP"
api POST /v1/ports '{"proto":"tcp","parentPort":"8080","childPort":80}'
is "$CODE:$BODY" '400:{"message":"json: cannot unmarshal string into Go struct field Spec.parentPort of type int"}' "wrong JSON type"
api POST /v1/ports '{"proto":'
is "$CODE" 400 "truncated JSON: 400"
contains "$TMP/body" '"message":' "truncated JSON: a message"
api POST /v1/ports '[1,2]'
is "$CODE" 400 "JSON array body: 400"
api POST /v1/ports ''
is "$CODE:$BODY" '400:{"message":"EOF"}' "empty body"
api DELETE /v1/ports/42
is "$CODE:$BODY" '400:{"message":"unknown id: 42"}' "unknown id"
api DELETE /v1/ports/abc
is "$CODE:$BODY" '400:{"message":"bad id abc: strconv.Atoi: parsing \"abc\": invalid syntax"}' "non-integer id"
api GET /v1/nope
is "$CODE:$BODY" "404:404 page not found" "unknown path: 404"
api GET /v1/ports/
is "$CODE" 404 "trailing slash: 404"
api PUT /v1/info
is "$CODE:$BODY" "405:" "wrong method: 405, empty body"
api GET /v1/ports/1
is "$CODE" 405 "GET on a port: 405"
api GET /v1/ports
is "$(json 'len(j)')" 3 "failed requests changed nothing"

# removal is synchronous: the port is free when DELETE returns, live
# connections are closed, and the ID is never reused
python3 - "$p2" "$sd/api.sock" >"$TMP/live" 2>&1 <<'PY'
import socket, sys, subprocess
port, sock = int(sys.argv[1]), sys.argv[2]
c = socket.create_connection(("127.0.0.1", port), timeout=5)
for _ in range(100):
    c.sendall(b"x")
    if c.recv(1) == b"x":
        break
subprocess.run(["curl", "-sS", "--unix-socket", sock, "-X", "DELETE", "http://rootlesskit/v1/ports/2"], check=True)
c.settimeout(5)
try:
    print("eof" if c.recv(10) == b"" else "data")
except ConnectionResetError:
    print("eof")
PY
is "$(cat "$TMP/live")" eof "remove closes live connections"
check "removed port can be bound at once" free_now "$p2"
api DELETE /v1/ports/1
is "$CODE" 200 "DELETE: 200"
check "removed port 1 can be bound at once" free_now "$p1"
api POST /v1/ports "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$p1,\"childPort\":80}"
is "$CODE:$(json 'j["id"]')" "201:4" "re-adding the same port at once works, with a new ID"
is "$(fetch "$p1")" hello-api "the re-added port forwards"

# HTTP robustness
curl -sv --unix-socket "$sd/api.sock" http://rootlesskit/v1/info http://rootlesskit/v1/ports >/dev/null 2>"$TMP/ka"
contains "$TMP/ka" "Re-using existing connection" "keep-alive: two requests on one connection"
curl -sv --unix-socket "$sd/api.sock" -H 'Expect: 100-continue' -H 'Content-Type: application/json' \
	--data-binary "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$p3,\"childPort\":80}" \
	http://rootlesskit/v1/ports >"$TMP/body" 2>"$TMP/ec"
contains "$TMP/ec" "HTTP/1.1 100 Continue" "Expect: 100-continue is answered"
is "$(json 'j["id"]')" 5 "... and the port is added"
printf '{"proto":"tcp","parentIP":"127.0.0.1","parentPort":%d,"childPort":80}' $p4 >"$TMP/spec.json"
CODE=$(curl -sS -o "$TMP/body" -w '%{http_code}' --unix-socket "$sd/api.sock" -H 'Transfer-Encoding: chunked' \
	--data-binary @"$TMP/spec.json" http://rootlesskit/v1/ports)
is "$CODE:$(json 'j["id"]')" "201:6" "chunked request body"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$TMP/big"
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$sd/api.sock" --data-binary @"$TMP/big" http://rootlesskit/v1/ports)
is "$CODE" 413 "2 MB body: 413"
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$sd/api.sock" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big" http://rootlesskit/v1/ports)
is "$CODE" 413 "2 MB chunked body: 413"
python3 - "$sd/api.sock" >"$TMP/raw" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode())
PY
contains "$TMP/raw" "HTTP/1.1 400" "malformed request: 400"
python3 - "$sd/api.sock" >"$TMP/half" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
s.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n"); s.shutdown(socket.SHUT_WR)
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
print(data.split(b"\r\n")[0].decode(), b'"apiVersion":"1.1.1"' in data)
PY
is "$(cat "$TMP/half")" "HTTP/1.1 200 OK True" "a client that half-closes after its request gets the answer, then EOF"
python3 - "$sd/api.sock" >"$TMP/hdr" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
s.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
try:
    print(s.recv(100).split(b"\r\n")[0].decode())
except OSError as e:
    print("closed", e)
PY
check "oversized header: refused ($(cat "$TMP/hdr"))" grep -Eq "HTTP/1.1 4[0-9][0-9]|closed" "$TMP/hdr"
# a client that sends half a request and stalls holds up nobody
python3 - "$sd/api.sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"POST /v1/ports HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pro")
time.sleep(8)
PY
stall=$!
sleep 0.3
start=$(date +%s%N)
api GET /v1/info
is "$CODE" 200 "API answers while another client stalls"
is "$(fetch "$p1")" hello-api "data plane forwards while a client stalls"
check "... promptly" [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ]
kill "$stall" 2>/dev/null
wait "$stall" 2>/dev/null
check "rootlesskit still running" kill -0 "$pid"
kill "$pid"
wait "$pid" 2>/dev/null
check "state dir removed at exit" test ! -e "$sd"
done_testing
