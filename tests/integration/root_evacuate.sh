#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --evacuate-cgroup2 under an emulated systemd delegation: as root, make a
# cgroup v2 group G, give the test user G and its cgroup.procs,
# cgroup.subtree_control and cgroup.threads (what systemd's Delegate=yes
# does), move this shell into G, and run rootlesskit as the user.  Every
# process of G must end up in G/evac, the command must see itself as
# "0::/evac" and a cgroup2 of its own namespace on /sys/fs/cgroup.  Also
# the option checks: exact messages, no state directory left.
. "$(dirname "$0")/lib.sh"
: "${RK_USER:?}"

chmod 755 "$TMP"
mkdir -p "$TMP/run"
chown "$RK_USER" "$TMP/run"

# as_user ARGS... - rootlesskit as the test user
as_user() {
	runuser -u "$RK_USER" -- "$RK" "$@"
}

# has_line FILE LINE DESC - FILE has exactly this line
has_line() {
	if grep -qxF -- "$2" "$1"; then ok "$3"; else not_ok "$3"; diag "no line '$2' in $1:"; sed 's/^/#   /' "$1"; fi
}

# refused DESC WANT ARGS... - rootlesskit ARGS fails with error WANT before
# it creates its state dir
refused() {
	desc=$1
	want=$2
	shift 2
	as_user --state-dir="$TMP/run/sd" "$@" true >"$TMP/err" 2>&1
	is "$?" 1 "$desc: exit status 1"
	has_line "$TMP/err" "[rootlesskit:parent] error: $want" "$desc: message"
	check "$desc: no state dir" test ! -e "$TMP/run/sd"
}

refused "no --cgroupns" "evacuate-cgroup2 requires --cgroupns" \
	--evacuate-cgroup2=evac
refused "--pidns without --cgroupns" "evacuate-cgroup2 requires --cgroupns" \
	--pidns --evacuate-cgroup2=evac
refused "no --pidns" "evacuate-cgroup2 requires --pidns" \
	--cgroupns --evacuate-cgroup2=evac
refused "a / in the name" 'unexpected evacuation group name "a/b": must not contain "/"' \
	--pidns --cgroupns --evacuate-cgroup2=a/b

# the cgroup2 mount (hybrid layouts have it on /sys/fs/cgroup/unified)
mnt=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
	/proc/self/mountinfo | head -n 1)
orig=$(sed -n 's/^0:://p' /proc/self/cgroup)
G=$mnt/rk-evac-test.$$
if [ -z "$mnt" ] || [ -z "$orig" ] || ! mkdir "$G" 2>/dev/null; then
	skip "needs a writable cgroup2 mount (mount point '$mnt', group '$orig')"
	done_testing
	exit
fi

# cg_cleanup - this shell back to its group, the test groups removed;
# returns 0 when both are gone
cg_cleanup() {
	echo $$ >"$mnt$orig/cgroup.procs" 2>/dev/null
	for i in $(seq 100); do
		[ ! -d "$G/evac" ] || rmdir "$G/evac" 2>/dev/null
		[ ! -d "$G" ] || rmdir "$G" 2>/dev/null
		[ -d "$G" ] || return 0
		sleep 0.05
	done
	return 1
}
trap '_cleanup; cg_cleanup' EXIT

chown "$RK_USER" "$G" "$G/cgroup.procs" "$G/cgroup.subtree_control" \
	"$G/cgroup.threads"
echo $$ >"$G/cgroup.procs"
group=${G#"$mnt"}
diag "delegated group $group under $mnt"

# in the namespace: the cgroup, the file system on /sys/fs/cgroup (a
# cgroup2 rooted at G shows "evac" at its top)
probe='sed -n "s/^0:://p" /proc/self/cgroup
stat -f -c %T /sys/fs/cgroup
if [ -d /sys/fs/cgroup/evac ]; then echo evac-at-top; fi'
nets="host none"
if command -v slirp4netns >/dev/null; then nets="$nets slirp4netns"; fi
for net in $nets; do
	as_user --net="$net" --pidns --cgroupns --evacuate-cgroup2=evac \
		sh -c "$probe" >"$TMP/out" 2>"$TMP/err"
	is "$?" 0 "--net=$net: exit status 0"
	is "$(sed -n 1p "$TMP/out")" "/evac" "--net=$net: the command sees 0::/evac"
	is "$(sed -n 2p "$TMP/out")" "cgroup2fs" "--net=$net: cgroup2 on /sys/fs/cgroup"
	is "$(sed -n 3p "$TMP/out")" "evac-at-top" "--net=$net: that cgroup2 is rooted at the delegated group"
	if grep -q 'failed to\|discarded' "$TMP/err"; then
		not_ok "--net=$net: no evacuation warnings"
		sed 's/^/#   /' "$TMP/err"
	else
		ok "--net=$net: no evacuation warnings"
	fi
	# every process of G was moved, this shell too
	is "$(sed -n 's/^0:://p' /proc/$$/cgroup)" "$group/evac" \
		"--net=$net: the test shell was evacuated too"
	echo $$ >"$G/cgroup.procs"
done

# plain cat, as upstream's integration-evacuate-cgroup2.sh
got=$(as_user --pidns --cgroupns --evacuate-cgroup2=evac cat /proc/self/cgroup 2>"$TMP/err" |
	grep '^0::')
is "$got" "0::/evac" "cat /proc/self/cgroup shows 0::/evac"
echo $$ >"$G/cgroup.procs"

# while it runs: G/evac exists and holds the child
bg runuser -u "$RK_USER" -- "$RK" --state-dir="$TMP/run/sdbg" --pidns \
	--cgroupns --evacuate-cgroup2=evac sleep 60 >"$TMP/bgout" 2>&1
pid=$BG
if wait_file "$TMP/run/sdbg/child_pid"; then
	child=$(cat "$TMP/run/sdbg/child_pid")
	check "G/evac exists while rootlesskit runs" test -d "$G/evac"
	check "the child ($child) is in G/evac" grep -qx "$child" "$G/evac/cgroup.procs"
	check "G itself is empty" test ! -s "$G/cgroup.procs"
else
	not_ok "rootlesskit did not start"
fi
kill "$pid"
wait "$pid" 2>/dev/null

check "test groups removed" cg_cleanup
done_testing
