#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# SIGKILL of the parent takes down the child, the command and the network
# helpers (PDEATHSIG chain); a child that dies early never hangs the parent.
. "$(dirname "$0")/lib.sh"

for net in host slirp4netns pasta; do
	for args in "" "--pidns"; do
		sd="$TMP/sd-$net$args"
		# shellcheck disable=SC2086
		bg "$RK" --state-dir="$sd" --net="$net" $args sh -c 'exec sleep 1000' 2>/dev/null
		pid=$BG
		if ! wait_file "$sd/child_pid"; then
			not_ok "child_pid appeared ($net $args)"
			continue
		fi
		cpid=$(cat "$sd/child_pid")
		cmd=$(pgrep -P "$cpid" | head -1)
		helpers=$(pgrep -P "$pid" | grep -vx "$cpid" | tr '\n' ' ')
		[ "$net" = host ] || check "a network helper runs ($net $args)" [ -n "$helpers" ]
		kill -9 "$pid"
		check "SIGKILL of the parent kills the child within 2 s ($net $args)" wait_gone "$cpid" 2
		check "... and the command ($net $args)" wait_gone "${cmd:-999999}" 2
		for h in $helpers; do
			check "... and helper $(cat /proc/$h/comm 2>/dev/null || echo "$h") ($net $args)" wait_gone "$h" 2
		done
	done
done

# a child that fails during set-up: clear error, exit 1, no hang, no leftovers
mkdir "$TMP/t"
# our own path to slirp4netns, so that the leak check sees only ours
mkdir -p "$TMP/s4" && ln -s "$(command -v slirp4netns)" "$TMP/s4/slirp4netns"
TMPDIR="$TMP/t" timeout 20 "$RK" --net=slirp4netns --slirp4netns-binary="$TMP/s4/slirp4netns" \
	--copy-up=/nonexistent-dir true 2>"$TMP/err"
is "$?" 1 "child set-up failure exits 1"
contains "$TMP/err" "[rootlesskit:child ] error: failed to create bind mount on /nonexistent-dir" "child set-up error is printed by the child"
contains "$TMP/err" "[rootlesskit:parent] error: child exited: exit status 1" "parent reports the child's status"
is "$(ls -A "$TMP/t" | wc -l)" 0 "nothing left in TMPDIR"
check "no slirp4netns left behind" sh -c "! pgrep -f '^$TMP/s4/slirp4netns'"

done_testing
