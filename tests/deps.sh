#!/bin/sh
# deps.sh MODE - make sure the Debian packages MODE needs are installed.
#   MODE=build  compiler and libraries
#   MODE=run    build + what the demo (make run) uses
#   MODE=check  run + what the test suites use
#   MODE=bench  check + what the benchmark suite uses
# As root, missing packages are installed with apt-get; otherwise the exact
# apt-get line is printed and the script fails.
set -eu
mode=${1:-check}
build="make gcc libc6-dev pkg-config libjansson-dev libcurl4-openssl-dev"
run="$build uidmap slirp4netns passt iproute2 iptables busybox curl procps util-linux"
# docker.io: its /usr/sbin/docker-proxy is the real proxy behind rootlesskit-docker-proxy
check="$run libcmocka-dev socat psmisc iperf3 rootlesskit libcap2-bin python3 clang libclang-rt-14-dev docker.io"
case $mode in
build) pkgs=$build ;;
run) pkgs=$run ;;
check) pkgs=$check ;;
bench) pkgs="$check iperf3 rootlesskit" ;;
*) echo "usage: $0 build|run|check|bench" >&2; exit 2 ;;
esac
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "deps.sh: missing Debian packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
