#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Network drivers: none, slirp4netns, pasta.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
mkdir "$TMP/www"
echo "hello from the host" >"$TMP/www/index.html"
bg busybox httpd -f -p "127.0.0.1:$port" -h "$TMP/www"
srv=$BG
# readiness: the host server answers
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.05; done

# none: loopback only
out=$("$RK" --net=none sh -c 'cat /sys/class/net/lo/operstate; ls /sys/class/net | tr "\n" " "; ip -4 -o addr show lo | grep -c 127.0.0.1')
set -- $out
is "$2 $3" "lo 1" "--net=none: only lo, with 127.0.0.1"
"$RK" --net=none sh -c "curl -s -m 2 http://127.0.0.1:$port/" >/dev/null 2>&1
check "--net=none: the host's loopback is not reachable" [ $? -ne 0 ]

# slirp4netns: defaults, and the host's 127.0.0.1 via 10.0.2.2
"$RK" --net=slirp4netns --copy-up=/etc sh -c 'ip -4 -o addr show tap0; cat /sys/class/net/tap0/mtu; ip route show default; cat /etc/resolv.conf; grep -c "$(hostname)" /etc/hosts' >"$TMP/s4" 2>"$TMP/s4.err"
is "$?" 0 "--net=slirp4netns runs"
contains "$TMP/s4" "inet 10.0.2.100/24" "slirp4netns: tap0 is 10.0.2.100/24"
contains "$TMP/s4" "65520" "slirp4netns: MTU 65520"
contains "$TMP/s4" "default via 10.0.2.2 dev tap0" "slirp4netns: default route via 10.0.2.2"
contains "$TMP/s4" "nameserver 10.0.2.3" "slirp4netns: resolv.conf names 10.0.2.3"
is "$("$RK" --net=slirp4netns --copy-up=/etc curl -fsS -m 5 "http://10.0.2.2:$port/" 2>/dev/null)" "hello from the host" "slirp4netns: the host's 127.0.0.1 is reachable via 10.0.2.2"
"$RK" --net=slirp4netns --copy-up=/etc --disable-host-loopback curl -fsS -m 3 "http://10.0.2.2:$port/" >/dev/null 2>&1
check "slirp4netns --disable-host-loopback: 10.0.2.2 does not reach the host's 127.0.0.1" [ $? -ne 0 ]
"$RK" --net=slirp4netns --mtu=1500 --cidr=10.0.5.0/24 --ifname=eth7 --copy-up=/etc sh -c 'ip -4 -o addr show eth7; cat /sys/class/net/eth7/mtu; ip route show default' >"$TMP/s4b" 2>/dev/null
contains "$TMP/s4b" "inet 10.0.5.100/24" "slirp4netns --cidr/--ifname: eth7 is 10.0.5.100/24"
contains "$TMP/s4b" "1500" "slirp4netns --mtu=1500"
contains "$TMP/s4b" "default via 10.0.5.2 dev eth7" "slirp4netns --cidr: gateway 10.0.5.2"
"$RK" --net=slirp4netns --slirp4netns-sandbox=true --slirp4netns-seccomp=true --copy-up=/etc curl -fsS -m 5 "http://10.0.2.2:$port/" >"$TMP/sb" 2>"$TMP/sb.err"
is "$(cat "$TMP/sb")" "hello from the host" "slirp4netns with sandbox and seccomp works"

# a user-mode stack keeps a host socket per connection, lingering after
# close: the helper gets the hard RLIMIT_NOFILE (with the usual 1024,
# connection 1020 on failed with "network unreachable"); the command keeps
# the user's soft limit
"$RK" --net=slirp4netns sh -c 'ulimit -n; python3 "$1" 10.0.2.2 "$2" 3000' sh "$(conn_loop_py)" "$port" >"$TMP/lp" 2>/dev/null
is "$(sed -n 2p "$TMP/lp")" "3000 0" "slirp4netns: 3000 connections in a row from the namespace, none failed"
is "$(sed -n 1p "$TMP/lp")" "$(ulimit -n)" "the command keeps the user's soft RLIMIT_NOFILE"

# pasta: configured by pasta, working networking
"$RK" --net=pasta --copy-up=/etc sh -c "ip -4 -o addr show tap0; curl -fsS -m 5 http://10.0.2.2:$port/" >"$TMP/pa" 2>"$TMP/pa.err"
is "$?" 0 "--net=pasta runs"
contains "$TMP/pa" "inet 10.0.2.100/24" "pasta: tap0 is 10.0.2.100/24"
contains "$TMP/pa" "hello from the host" "pasta: the host is reachable via the gateway"

# a failing pasta is reported with its output and leaves nothing behind
cat >"$TMP/badpasta" <<'EOS'
#!/bin/sh
case "$*" in *--version*) echo "pasta fake"; exit 0 ;; esac
echo "fake pasta: cannot open tap" >&2
exit 3
EOS
chmod +x "$TMP/badpasta"
mkdir "$TMP/t"
TMPDIR="$TMP/t" timeout 20 "$RK" --net=pasta --pasta-binary="$TMP/badpasta" true 2>"$TMP/bp.err"
is "$?" 1 "a failing pasta makes rootlesskit exit 1 (no hang)"
contains "$TMP/bp.err" "fake pasta: cannot open tap" "the failing pasta's output is in the error"
is "$(ls -A "$TMP/t" | wc -l)" 0 "a failing pasta leaves no state dir"
cat >"$TMP/bads4" <<'EOS'
#!/bin/sh
case "$*" in *--help*) exec slirp4netns --help ;; esac
echo "fake slirp4netns: no tap" >&2
exit 4
EOS
chmod +x "$TMP/bads4"
TMPDIR="$TMP/t" timeout 20 "$RK" --net=slirp4netns --slirp4netns-binary="$TMP/bads4" true 2>"$TMP/bs.err"
is "$?" 1 "a failing slirp4netns makes rootlesskit exit 1 (no hang)"
contains "$TMP/bs.err" "fake slirp4netns: no tap" "the failing slirp4netns's output is in the error"
is "$(ls -A "$TMP/t" | wc -l)" 0 "a failing slirp4netns leaves no state dir"

kill "$srv"
done_testing
