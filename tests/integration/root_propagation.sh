#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --propagation private vs rslave against a real host-side mount (upstream's
# integration-propagation.sh).  Runs as root for the host mount; rootlesskit
# runs as $RK_USER.  A dedicated shared bind mount makes the test independent
# of the propagation of the host's /.
# Runs in a private mount namespace of its own (as root, no user
# namespace) where / is made rshared, like upstream's CI does for the whole
# host, so the host's real mount table is not changed.
if [ -z "${RK_PROP_INNER:-}" ]; then
	exec env RK_PROP_INNER=1 unshare -m --propagation unchanged sh "$0"
fi
. "$(dirname "$0")/lib.sh"
u=${RK_USER:?}
mount --make-rshared /
chmod 755 "$TMP"
# the test directory must be on the same mount as / for the non-recursive
# "private" case; /var/tmp usually is
base=/var/tmp
[ "$(findmnt -n -o TARGET -T "$base")" = / ] || base=$TMP
d=$(mktemp -d "$base/rk-prop.XXXXXX")
mkdir "$d/a" "$d/sd"
chown -R "$u" "$d"
for p in private rprivate slave rslave; do
	case "$p:$base" in private:/var/tmp|*slave*|rprivate*) ;; *) skip "$p: $base is not on /"; continue ;; esac
	sd="$d/sd/$p"
	runuser -u "$u" -- "$RK" --state-dir="$sd" --propagation="$p" sleep infinity 2>/dev/null &
	pid=$!
	if ! wait_file "$sd/child_pid"; then
		not_ok "child_pid appeared ($p)"
		continue
	fi
	touch "$d/a/before"
	mount -t tmpfs none "$d/a"
	touch "$d/a/after"
	root="/proc/$(cat "$sd/child_pid")/root"
	case $p in
	*private)
		check "$p: the host's new mount is not seen in the child" sh -c "[ -e '$root$d/a/before' ] && [ ! -e '$root$d/a/after' ]" ;;
	*slave)
		check "$p: the host's new mount is seen in the child" [ -e "$root$d/a/after" ] ;;
	esac
	umount "$d/a"
	rm -f "$d/a/before"
	kill "$(cat "$sd/child_pid")"
	wait "$pid" 2>/dev/null
done
rm -rf "$d"
for p in private rprivate slave rslave; do
	is "$(runuser -u "$u" -- "$RK" --propagation=$p --copy-up=/run echo test 2>/dev/null)" test "--propagation=$p with --copy-up=/run works"
done

# a user without sub-ID ranges gets a clear message
mkdir -p "$TMP/nosub"
chown rknosub "$TMP/nosub"
runuser -u rknosub -- env TMPDIR="$TMP/nosub" "$RK" --subid-source=static true 2>"$TMP/err"
is "$?" 1 "a user without /etc/subuid ranges: exit 1"
contains "$TMP/err" "failed to setup UID/GID map: No subuid ranges found for user $(id -u rknosub) (\"rknosub\")" "no-range message"
is "$(ls -A "$TMP/nosub" | wc -l)" 0 "no state dir left behind"
done_testing
