#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Exit codes and signals (upstream's integration-exit-code.sh and more).
. "$(dirname "$0")/lib.sh"

for args in "--pidns=false" "--pidns=true --reaper=auto" "--pidns=true --reaper=true" "--pidns=true --reaper=false"; do
	for code in 0 42; do
		# shellcheck disable=SC2086
		"$RK" $args sh -c "exit $code" 2>"$TMP/err"
		is "$?" "$code" "exit code $code with $args"
	done
done
contains "$TMP/err" "[rootlesskit:child ] error: command [sh -c exit 42] exited: exit status 42" "child error line names the command"
contains "$TMP/err" "[rootlesskit:parent] error: child exited: exit status 42" "parent error line"

"$RK" true 2>"$TMP/err0"
is "$(wc -c <"$TMP/err0")" 0 "exit 0 prints nothing"

"$RK" no-such-command-xyz 2>"$TMP/err"
is "$?" 1 "missing command exits 1"
contains "$TMP/err" 'exec: "no-such-command-xyz": executable file not found in $PATH' "missing command message"

# SIGUSR1 to the child is forwarded to the command: 255 and the Go name
for args in "" "--pidns"; do
	sd="$TMP/sd-usr1$args"
	# shellcheck disable=SC2086
	bg "$RK" --state-dir="$sd" $args sleep infinity 2>"$TMP/usr1.err"
	pid=$BG
	if wait_file "$sd/child_pid"; then
		kill -USR1 "$(cat "$sd/child_pid")"
		wait "$pid"
		is "$?" 255 "SIGUSR1 to child_pid gives 255 ($args)"
		contains "$TMP/usr1.err" "signal: user defined signal 1" "signal name in the message ($args)"
	else
		not_ok "child_pid appeared ($args)"
	fi
done

# SIGTERM to the parent is forwarded to the command
sd="$TMP/sd-term"
# (the command says when its trap is set: child_pid alone can come first,
# and a SIGTERM before the trap kills the shell - seen under load)
bg "$RK" --state-dir="$sd" sh -c 'trap "exit 7" TERM; : >"$1"; while :; do sleep 0.1; done' sh "$TMP/term-ready"
pid=$BG
if wait_file "$sd/child_pid" && wait_file "$TMP/term-ready"; then
	kill -TERM "$pid"
	wait "$pid"
	is "$?" 7 "SIGTERM to the parent reaches the command's trap"
else
	not_ok "child_pid appeared (SIGTERM)"
fi

# --pidns: a new PID namespace whose init is rootlesskit's child (the reaper),
# with /proc remounted; the command is its only other process
out=$("$RK" --pidns sh -c 'echo $$; cat /proc/1/comm; ls -d /proc/[0-9]* | wc -l')
set -- $out
is "$1" 2 "--pidns: the command is PID 2, right under init"
is "$2" rootlesskit "--pidns: PID 1 is rootlesskit's child (init and reaper)"
check "--pidns: /proc shows only the namespace's processes ($3)" [ "$3" -le 4 ]
is "$("$RK" sh -c 'test $$ -gt 2 && echo host-pidns')" host-pidns "without --pidns the command stays in the host PID namespace"

# reaper: an orphaned grandchild is reaped, so no zombie remains
z=$("$RK" --pidns sh -c '(sleep 0.2 &) ; sleep 0.6; ps -o stat= -e | grep -c Z || true')
is "$z" 0 "--pidns reaper leaves no zombie"

done_testing
