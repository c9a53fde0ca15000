#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# deps.sh MODE - make sure the Debian packages MODE needs are installed.
# Every make target of the README runs it before compiling anything.
#   MODE=build  compiler and libraries (make, make install)
#   MODE=run    build + what the demo (make run) uses
#   MODE=check  run + what the test suites use, including the real clients
#               (rootless Docker, containerd; make check)
#   MODE=bench  the same as check (make bench: iperf3, Go rootlesskit)
#   MODE=lint   build + clang-tidy and cppcheck (make lint)
#   MODE=fuzz   build + clang's libFuzzer (make fuzz)
#   MODE=deb    build + the Debian packaging tools (make deb)
#   MODE=pkg    what tests/pkg-check.sh needs besides the package itself
# As root, missing packages are installed with apt-get; otherwise the exact
# apt-get line is printed and the script fails.
set -eu
mode=${1:-check}
build="make gcc libc6-dev pkg-config libjansson-dev libcurl4-openssl-dev libslirp-dev libseccomp-dev"
# busybox-static, not busybox: the two conflict, and the image the Docker
# and containerd tests build needs the static binary
run="$build uidmap slirp4netns passt iproute2 iptables busybox-static curl procps util-linux"
fuzz="clang libclang-rt-14-dev"
# docker.io: dockerd and its /usr/sbin/docker-proxy, the real proxy behind
# rootlesskit-docker-proxy
# systemd: systemd-socket-activate (t_socket_activation.sh)
# lxc, dnsmasq-base: lxc-user-nic and the bridge's DHCP/DNS (root_lxc_user_nic.sh)
check="$run libcmocka-dev socat psmisc iperf3 rootlesskit libcap2-bin python3 $fuzz docker.io containerd runc systemd lxc dnsmasq-base"
case $mode in
build) pkgs=$build ;;
run) pkgs=$run ;;
check) pkgs=$check ;;
bench) pkgs=$check ;;
lint) pkgs="$build clang-tidy cppcheck python3" ;;
fuzz) pkgs="$build $fuzz" ;;
deb) pkgs="$build devscripts debhelper lintian" ;;
pkg) pkgs="$run python3 bash-completion systemd docker.io" ;;
*) echo "usage: $0 build|run|check|bench|lint|fuzz|deb|pkg" >&2; exit 2 ;;
esac
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: no dpkg-query (not Debian); not checking for: $pkgs" >&2
	exit 0
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "deps.sh: installing:$missing"
	echo "  apt-get install -y --no-install-recommends$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "deps.sh: missing Debian packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
