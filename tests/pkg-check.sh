#!/bin/sh
# pkg-check.sh - end-to-end check of the installed Debian package
# (rootlesskit-c, see debian/ and `make deb`), not of the source tree: run
# as root after installing the .deb.  Checks that /usr/bin/rootlesskit,
# rootlessctl and rootlesskit-docker-proxy are the package's, the man pages
# and bash completions are installed and the completions complete, then as
# the unprivileged user rktest (env -i, PATH=/usr/local/bin:/usr/bin:...)
# publishes a web server with --net=slirp4netns --port-driver=builtin -p,
# reaches it with curl, asks `rootlessctl info` and `list-ports`, and
# finally runs tests/integration/t_docker.sh (Debian's rootless Docker,
# docker run -p) with RK_BIN=/usr/bin unless PKG_CHECK_DOCKER=0.
# Output is TAP; the last line is "pkg-check: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
pkg=rootlesskit-c
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

# the part run as rktest ("pkg-check.sh user N": numbering continues at N+1)
if [ "${1:-}" = user ]; then
	n=$2
	for b in rootlesskit rootlessctl rootlesskit-docker-proxy; do
		w=$(command -v "$b")
		check "command -v $b = /usr/bin/$b (got: $w)" test "$w" = "/usr/bin/$b"
	done
	v=$(rootlesskit --version)
	check "rootlesskit --version (got: $v)" test -n "$v"
	sd=$(mktemp -d /tmp/rk-pkg-sd.XXXXXX)
	rmdir "$sd"
	www=$(mktemp -d /tmp/rk-pkg-www.XXXXXX)
	echo "hello from the installed rootlesskit" >"$www/index.html"
	chmod -R a+rX "$www"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	rootlesskit --state-dir="$sd" --net=slirp4netns --disable-host-loopback --copy-up=/etc \
		--port-driver=builtin -p "127.0.0.1:$port:80/tcp" \
		busybox httpd -f -p 80 -h "$www" >"$www.log" 2>&1 &
	pid=$!
	i=0
	while [ ! -e "$sd/child_pid" ] && [ "$i" -lt 400 ]; do i=$((i + 1)); sleep 0.05; done
	check "rootlesskit --net=slirp4netns --port-driver=builtin -p 127.0.0.1:$port:80/tcp starts" test -e "$sd/child_pid"
	got=$(curl -sS --retry 20 --retry-delay 0 --retry-connrefused --max-time 10 "http://127.0.0.1:$port/" 2>"$www.curl")
	check "curl through the published port (got: $got)" test "$got" = "hello from the installed rootlesskit"
	info=$(ROOTLESSKIT_STATE_DIR=$sd rootlessctl info --json 2>&1)
	check "rootlessctl info --json: API up, builtin port driver" sh -c 'echo "$1" | grep -q "\"apiVersion\"" && echo "$1" | grep -q "\"driver\": *\"builtin\""' sh "$info"
	ports=$(rootlessctl --socket "$sd/api.sock" list-ports 2>&1)
	check "rootlessctl list-ports shows tcp 127.0.0.1:$port -> 80 (got: $(echo $ports))" sh -c 'echo "$1" | awk -v p="$2" "\$2 == \"tcp\" && \$3 == \"127.0.0.1\" && \$4 == p && \$NF == 80 { f = 1 } END { exit !f }"' sh "$ports" "$port"
	kill "$pid"
	wait "$pid"
	rc=$?
	check "rootlesskit ends on SIGTERM (status $rc) and removes its state dir" test ! -e "$sd"
	sed 's/^/#   /' "$www.log"

	# the example unit's ExecStart (continuation lines joined, %t set), run
	# in its WorkingDirectory under systemd-socket-activate as systemd would
	unit=/usr/share/doc/rootlesskit-c/examples/rootlesskit-httpd.service
	rt=$(mktemp -d /tmp/rk-pkg-rt.XXXXXX)
	cmd=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$unit" | sed 's/^ExecStart=//; s/\\$//' | tr '\n\t' '  ' | sed "s|%t|$rt|g")
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	(cd "$www" && exec systemd-socket-activate -l "127.0.0.1:$port" sh -c "exec $cmd") >"$www.log" 2>&1 &
	pid=$!
	got=$(curl -sS --retry 20 --retry-delay 0 --retry-connrefused --max-time 20 "http://127.0.0.1:$port/index.html" 2>"$www.curl")
	check "the example unit's command serves its socket-activated port (got: $got)" test "$got" = "hello from the installed rootlesskit"
	kill "$pid"
	wait "$pid"
	[ "$got" = "hello from the installed rootlesskit" ] || sed 's/^/#   /' "$www.log"
	rm -rf "$www" "$www.log" "$www.curl" "$rt"
	echo "user: done"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "pkg-check.sh: run as root (it runs rootlesskit as the user rktest)" >&2
	exit 2
fi
"$here/setup-user.sh"

for b in rootlesskit rootlessctl rootlesskit-docker-proxy; do
	check "/usr/bin/$b belongs to $pkg" sh -c "dpkg -S /usr/bin/$b 2>/dev/null | grep -q '^$pkg: '"
	check "man page $b(1) installed" test -e "/usr/share/man/man1/$b.1.gz"
done
check "example systemd user units installed" \
	test -e "/usr/share/doc/$pkg/examples/rootlesskit-httpd.socket" -a -e "/usr/share/doc/$pkg/examples/rootlesskit-httpd.service"

# complete LINE - the completions bash offers for LINE (as typed, ending in
# the word being completed), with bash-completion and our completion files
complete_line() {
	bash -c '. /usr/share/bash-completion/bash_completion
		. /usr/share/bash-completion/completions/rootlesskit
		. /usr/share/bash-completion/completions/rootlessctl
		COMP_LINE=$1 COMP_POINT=${#1}
		read -ra COMP_WORDS <<<"$1"
		[[ $1 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_${COMP_WORDS[0]} "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		echo "${COMPREPLY[*]}"' sh "$1" 2>&1
}
if [ -e /usr/share/bash-completion/bash_completion ]; then
	got=$(complete_line "rootlesskit --port-driver ")
	check "completion: rootlesskit --port-driver <TAB> (got: $got)" test "$got" = "none implicit builtin slirp4netns gvisor-tap-vsock socat"
	got=$(complete_line "rootlesskit --net ")
	check "completion: rootlesskit --net <TAB> (got: $got)" test "$got" = "host none pasta slirp4netns lxc-user-nic gvisor-tap-vsock"
	got=$(complete_line "rootlesskit --bypass4netns-")
	check "completion: rootlesskit --bypass4netns-<TAB> (got: $got)" test "$got" = "--bypass4netns-ignore"
	got=$(complete_line "rootlesskit --detach")
	check "completion: rootlesskit --detach<TAB> (got: $got)" test "$got" = "--detach-netns"
	got=$(complete_line "rootlessctl ")
	check "completion: rootlessctl <TAB> (got: $got)" test "$got" = "list-ports add-ports remove-ports info help h"
	got=$(complete_line "rootlessctl --socket /x list-ports --")
	check "completion: rootlessctl --socket /x list-ports --<TAB> (got: $got)" test "$got" = "--json --help"
else
	not_ok "bash-completion is installed (tests/deps.sh pkg)"
fi

# the rest as rktest, from a world-readable copy of this script
work=$(mktemp -d /tmp/rk-pkg.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$0" "$work/pkg-check.sh"
mkdir "$work/tests"
cp "$here"/integration/*.sh "$work/tests/"
chmod -R a+rX "$work"
out=$work/user.out
(cd /tmp && runuser -u rktest -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
	HOME=/home/rktest USER=rktest LANG=C.UTF-8 TMPDIR=/tmp PKG_CHECK_USER=1 \
	sh "$work/pkg-check.sh" user "$n") >"$out" 2>&1
cat "$out"
n=$(sed -n 's/^\(not \)\{0,1\}ok \([0-9]*\) .*/\2/p' "$out" | tail -1)
failed=$((failed + $(grep -c '^not ok ' "$out")))
grep -q '^user: done' "$out" || { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - the user part did not finish"; }

if [ "${PKG_CHECK_DOCKER:-1}" != 0 ]; then
	echo "# t_docker.sh with RK_BIN=/usr/bin (the installed binaries)"
	(cd /tmp && runuser -u rktest -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		HOME=/home/rktest USER=rktest LANG=C.UTF-8 RK_BIN=/usr/bin TMPDIR=/tmp \
		sh "$work/tests/t_docker.sh") >"$work/docker.out" 2>&1
	sed 's/^/#   /' "$work/docker.out"
	p=$(grep -c '^ok ' "$work/docker.out")
	f=$(grep -c '^not ok ' "$work/docker.out")
	n=$((n + 1))
	if [ "$f" -eq 0 ] && [ "$p" -gt 0 ] && grep -q '^1\.\.' "$work/docker.out"; then
		echo "ok $n - rootless Docker on the installed package: t_docker.sh $p passed"
	else
		failed=$((failed + 1))
		echo "not ok $n - rootless Docker on the installed package: t_docker.sh $p passed, $f failed"
	fi
fi
# nothing replaced the package meanwhile (another tests/deps.sh reinstalling
# Debian's Go rootlesskit would make every check above moot)
n=$((n + 1))
if dpkg -S /usr/bin/rootlesskit 2>/dev/null | grep -q "^$pkg: "; then
	echo "ok $n - /usr/bin/rootlesskit still belongs to $pkg at the end"
else
	failed=$((failed + 1))
	echo "not ok $n - /usr/bin/rootlesskit still belongs to $pkg at the end"
fi
echo "1..$n"
echo "pkg-check: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
