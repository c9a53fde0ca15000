#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# upstream's integration-port.sh matrix for the builtin driver: busybox
# httpd in the child, published with -p, fetched with curl from the host
# via 127.0.0.1 and [::1].  "fail" cases must fail: the listener must not
# exist on that family.
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/www"
echo "hello-port" >"$TMP/www/index.html"

# fetch URL - curl with a bounded wait for the server inside to come up
fetch() {
	for _i in $(seq 40); do
		curl -fsS --max-time 2 "$1" 2>/dev/null && return 0
		# connection refused on the host side: no listener, no retry
		curl -sS --max-time 2 "$1" 2>&1 | grep -q "Couldn't connect" && return 1
		sleep 0.05
	done
	return 1
}

# run_case V4 V6 -p SPEC [-p SPEC] - V4/V6 are ok or fail
run_case() {
	want4=$1
	want6=$2
	shift 2
	sd="$TMP/sd"
	rm -rf "$sd"
	bg "$RK" --state-dir="$sd" --net=slirp4netns --disable-host-loopback \
		--copy-up=/etc --port-driver=builtin "$@" \
		busybox httpd -f -v -p 80 -h "$TMP/www" 2>"$TMP/err"
	pid=$BG
	if ! wait_file "$sd/child_pid"; then
		not_ok "start with $*"
		sed 's/^/#   /' "$TMP/err"
		return
	fi
	for fam in 4 6; do
		if [ $fam = 4 ]; then url="http://127.0.0.1:$port/"; want=$want4; else url="http://[::1]:$port/"; want=$want6; fi
		if out=$(fetch "$url") && [ "$out" = hello-port ]; then got=ok; else got=fail; fi
		is "$got" "$want" "$* via $url"
	done
	kill "$pid"
	wait "$pid" 2>/dev/null
}

port=$(free_port)
run_case ok ok -p "0.0.0.0:$port:80/tcp"
run_case ok fail -p "0.0.0.0:$port:80/tcp4"
run_case fail ok -p "[::]:$port:80/tcp6"
run_case fail ok -p "[::]:$port:[::1]:80/tcp6"
run_case ok ok -p "[::]:$port:[::1]:80/tcp"
run_case fail ok -p "[::]:$port:[127.0.0.1]:80/tcp6"
run_case ok ok -p "[::]:$port:[127.0.0.1]:80/tcp"
run_case ok fail -p "0.0.0.0:$port:[::1]:80/tcp4"
run_case ok ok -p "0.0.0.0:$port:[::1]:80/tcp"
run_case ok ok -p "0.0.0.0:$port:80/tcp4" -p "[::]:$port:80/tcp6"
run_case ok fail -p "127.0.0.1:$port:80/tcp"
run_case fail ok -p "[::1]:$port:80/tcp"
done_testing
