#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Command line: --help, --version, bad input exits 1 and creates nothing.
. "$(dirname "$0")/lib.sh"

"$RK" --help >"$TMP/help" 2>"$TMP/help.err"
is "$?" 0 "--help exits 0"
contains "$TMP/help" "USAGE:" "--help goes to stdout"
for cat in "Misc:" "Mount:" "Network:" "Network [lxc-user-nic]:" "Network [pasta]:" "Network [slirp4netns]:" "Port:" "Process:" "State:" "SubID:"; do
	contains "$TMP/help" "  $cat" "--help has category $cat"
done
is "$(wc -c <"$TMP/help.err")" 0 "--help writes nothing to stderr"
# scripts pick drivers and flags by grepping --help: nothing listed there
# may be refused later
for w in vpnkit "not supported"; do
	check "--help does not advertise: $w" sh -c "! grep -q -- '$w' '$TMP/help'"
done
# our own build rides on upstream's version as semver build metadata
check "--version is 3.0.1+c.<build>" sh -c "'$RK' --version | grep -qx 'rootlesskit version 3\.0\.1+c\.[0-9A-Za-z.-]*'"
is "$("$RK" -v)" "$("$RK" --version)" "-v"
is "$("$RK" --print-semver=major)" 3 "--print-semver=major (upstream's)"
is "$("$RK" --print-semver=minor)" 0 "--print-semver=minor"
is "$("$RK" --print-semver=patch)" 1 "--print-semver=patch"

# Every bad input: exit 1, one error line, no state dir left behind.
empty="$TMP/tmpdir"
mkdir "$empty"
bad() {
	want=$1
	shift
	TMPDIR="$empty" "$RK" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	is "$rc" 1 "exit 1: $*"
	if grep -qF -- "[rootlesskit:parent] error: $want" "$TMP/err"; then ok "message: $want"; else not_ok "message: $want"; sed 's/^/#   /' "$TMP/err"; fi
	is "$(ls -A "$empty" | wc -l)" 0 "nothing created: $*"
	check "no new state dir: $*" [ ! -e "$TMP/new-sd" ]
}
bad "flag provided but not defined: -bogus" --bogus true
bad "flag provided but not defined: -bogus" --state-dir="$TMP/new-sd" --bogus=1 true
bad "flag needs an argument: -net" --net
bad 'invalid value "abc" for flag -mtu: parse error' --mtu=abc true
bad "no command specified"
bad "unknown network mode: bogus" --state-dir="$TMP/new-sd" --net=bogus true
bad "mtu must be <= 65521, got 70000" --state-dir="$TMP/new-sd" --net=slirp4netns --mtu=70000 true
bad "cidr must be like 10.0.2.0/24, not like 10.0.2.100/24" --net=slirp4netns --cidr=10.0.2.100/24 true
bad "invalid CIDR address: nope" --net=slirp4netns --cidr=nope true
bad 'ifname must not contain "/"' --net=slirp4netns --ifname=a/b true
bad "custom cidr is not supported for --net=host" --cidr=10.0.3.0/24 true
bad "unknown reaper mode: maybe" --reaper=maybe true
bad "reaper requires --pidns" --reaper=true true
bad "unknown propagation: bogus" --propagation=bogus true
bad "/tmp cannot be copied up" --copy-up=/tmp true
bad "propagation rshared does not support copy-up driver tmpfs+symlink" --propagation=rshared --copy-up=/etc true
bad 'port driver "none" does not support publishing ports' --net=slirp4netns -p 8080:80/tcp true
bad 'network "none" requires either port driver "none" or "builtin"' --net=none --port-driver=slirp4netns true
bad 'network "pasta" requires port driver "none" or "implicit"' --net=pasta --port-driver=builtin true
bad "port driver requires slirp4netns network" --port-driver=slirp4netns true
bad "port driver requires non-host network" --port-driver=socat true
bad "unknown port driver: bogus" --net=slirp4netns --port-driver=bogus true
bad 'unknown subid source "bogus"' --subid-source=bogus true
bad 'unsupported slirp4netns-sandbox mode: "maybe"' --net=slirp4netns --slirp4netns-sandbox=maybe true
bad 'exec: "/nonexistent/slirp4netns"' --net=slirp4netns --slirp4netns-binary=/nonexistent/slirp4netns true
bad 'exec: "no-such-pasta": executable file not found in $PATH' --net=pasta --pasta-binary=no-such-pasta true

# A missing slirp4netns names the package to install.
mkdir "$TMP/emptybin"
PATH="$TMP/emptybin" TMPDIR="$empty" "$RK" --net=slirp4netns true 2>"$TMP/err"
is "$?" 1 "missing slirp4netns exits 1"
contains "$TMP/err" 'install the Debian package "slirp4netns"' "missing slirp4netns names the package"
PATH="$TMP/emptybin" TMPDIR="$empty" "$RK" --net=pasta true 2>"$TMP/err"
contains "$TMP/err" 'install the Debian package "passt"' "missing pasta names the package"
# a missing newuidmap names uidmap
for t in sh true; do ln -s "$(command -v $t)" "$TMP/emptybin/$t"; done
PATH="$TMP/emptybin" TMPDIR="$empty" "$RK" true 2>"$TMP/err"
is "$?" 1 "missing newuidmap exits 1"
contains "$TMP/err" 'install the Debian package "uidmap"' "missing newuidmap names the package"
is "$(ls -A "$empty" | wc -l)" 0 "missing newuidmap leaves no state dir"

# Options end at the first positional word; -- ends them too.
is "$("$RK" echo --net=bogus)" "--net=bogus" "options end at the first positional word"
is "$("$RK" -- echo hi)" "hi" "-- ends the options"
is "$("$RK" --pidns true echo x 2>&1)" "" "a word after a boolean flag is the command"

done_testing
