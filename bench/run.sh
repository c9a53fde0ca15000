#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh - what `make bench` runs: the side-by-side benchmark suites as an
# unprivileged user, like the tests.
#
#   port  bench/suite.py: port forwarding (report.{md,json}; the throughput
#         table in docs/port.md is regenerated from it)
#   net   bench/netsuite.py: the network drivers, against a server in a test
#         network namespace reached over a veth pair (net.{md,json})
#
# As root it installs what it needs (tests/deps.sh bench), creates the
# user "rktest" (tests/setup-user.sh), makes the test network namespace
# (and removes it at exit), copies the binaries where that user can read
# them and runs the suites as that user.  The net suite needs root for its
# namespace, so as an ordinary user only the port suite runs.  Reports
# land in bench/results/.  BENCH_SUITES (default "port net"), BENCH_REPS
# (default 3), BENCH_TIME (iperf3 seconds, default 5) and BENCH_CONN_TIME
# (default 3) choose and shorten or lengthen the run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
: "${RK_BIN:?set RK_BIN to the directory holding rootlesskit, rootlessctl and connrate}"
suites=${BENCH_SUITES:-port net}
mkdir -p "$here/results"
if [ "$(id -u)" -ne 0 ]; then
	python3 "$here/suite.py" --rootlesskit "$RK_BIN/rootlesskit" --rootlessctl "$RK_BIN/rootlessctl" \
		--connrate "$RK_BIN/connrate" --out "$here/results/report"
	python3 "$here/report.py" --docs "$here/results/report.json" "$top/docs/port.md"
	cat "$here/results/report.md"
	exit 0
fi

"$top/tests/setup-user.sh"
work=$(mktemp -d /tmp/rk-bench.XXXXXX)
ns=rkbench-srv.$$
srv_gw=198.18.0.1 srv_ip=198.18.0.2
br=rkbbr$$ usernet=/etc/lxc/lxc-usernet
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	[ ! -s "$work/dnsmasq.pid" ] || kill "$(cat "$work/dnsmasq.pid")" 2>/dev/null || true
	ip link del "$br" 2>/dev/null || true
	[ ! -e "$work/fwd" ] || cat "$work/fwd" >/proc/sys/net/ipv4/ip_forward
	[ ! -e "$work/twreuse" ] || cat "$work/twreuse" >/proc/sys/net/ipv4/tcp_tw_reuse
	[ ! -e "$work/fwd.rules" ] || {
		iptables -D FORWARD -i "$br" -j ACCEPT
		iptables -D FORWARD -o "$br" -j ACCEPT
	} 2>/dev/null || true
	if [ -e "$work/usernet.saved" ]; then
		cat "$work/usernet.saved" >"$usernet"
	elif [ -e "$work/usernet.none" ]; then
		rm -f "$usernet"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$RK_BIN/rootlesskit" "$RK_BIN/rootlessctl" "$RK_BIN/connrate" "$here/suite.py" \
	"$here/report.py" "$here/netsuite.py" "$work/"
chmod -R a+rX "$work"
chmod 1777 "$work"
as_user() {
	(cd /tmp && runuser -u rktest -- env -i PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
		HOME=/home/rktest LANG=C.UTF-8 TMPDIR=/tmp BENCH_REPS="${BENCH_REPS:-3}" \
		BENCH_TIME="${BENCH_TIME:-5}" BENCH_CONN_TIME="${BENCH_CONN_TIME:-3}" \
		BENCH_SRV="$srv_ip" BENCH_LXC_BRIDGE="${BENCH_LXC_BRIDGE:-}" "$@")
}
case " $suites " in *" port "*)
	as_user python3 "$work/suite.py" --rootlesskit "$work/rootlesskit" --rootlessctl "$work/rootlessctl" \
		--connrate "$work/connrate" --out "$work/report"
	cp "$work/report.md" "$work/report.json" "$here/results/"
	python3 "$here/report.py" --docs "$here/results/report.json" "$top/docs/port.md"
	cat "$here/results/report.md"
	;;
esac
case " $suites " in *" net "*)
	# the user-mode stacks (slirp4netns, libslirp) close their host sockets
	# at the same time as the server: both ends keep TIME_WAIT, and a peer
	# measured after another found the host's ephemeral ports to the server
	# used up (its connects then fail as "network unreachable").  Reusing
	# TIME_WAIT ports for outgoing connections, for the run only, keeps
	# the peers independent of their order.
	cat /proc/sys/net/ipv4/tcp_tw_reuse >"$work/twreuse"
	echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse
	# the test network namespace: veth, servers, a route back to the host
	ip netns add "$ns"
	ip link add rkbh$$ type veth peer name rkbs netns "$ns"
	ip addr add "$srv_gw/24" dev rkbh$$
	ip link set rkbh$$ up
	ip -n "$ns" addr add "$srv_ip/24" dev rkbs
	ip -n "$ns" link set rkbs up
	ip -n "$ns" link set lo up
	ip -n "$ns" route add default via "$srv_gw"
	ip netns exec "$ns" iperf3 -s -p 5301 -D
	ip netns exec "$ns" "$work/connrate" -s 5302 &
	# --net=lxc-user-nic: a bridge with dnsmasq as lxc-net makes it, the
	# user granted veths on it, and the host routing to the test netns
	if [ -x /usr/libexec/lxc/lxc-user-nic ] && command -v dnsmasq >/dev/null; then
		if [ -e "$usernet" ]; then cp "$usernet" "$work/usernet.saved"; else touch "$work/usernet.none"; fi
		mkdir -p /etc/lxc
		printf 'rktest veth %s 10\n' "$br" >>"$usernet"
		ip link add "$br" type bridge
		ip addr add 10.213.9.1/24 dev "$br"
		ip link set "$br" up
		dnsmasq --conf-file=/dev/null -u nobody --strict-order --bind-interfaces \
			--pid-file="$work/dnsmasq.pid" --listen-address 10.213.9.1 \
			--dhcp-range 10.213.9.50,10.213.9.99 --except-interface=lo --interface="$br" \
			--dhcp-leasefile="$work/leases" --dhcp-authoritative --no-resolv --no-hosts
		cat /proc/sys/net/ipv4/ip_forward >"$work/fwd"
		echo 1 >/proc/sys/net/ipv4/ip_forward
		if command -v iptables >/dev/null; then
			iptables -I FORWARD -i "$br" -j ACCEPT && iptables -I FORWARD -o "$br" -j ACCEPT &&
				touch "$work/fwd.rules"
		fi
		BENCH_LXC_BRIDGE=$br
	fi
	as_user python3 "$work/netsuite.py" --rootlesskit "$work/rootlesskit" \
		--connrate "$work/connrate" --out "$work/net"
	cp "$work/net.md" "$work/net.json" "$here/results/"
	cat "$here/results/net.md"
	;;
esac
