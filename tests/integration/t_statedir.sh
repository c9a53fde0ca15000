#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# State directory, environment and fds given to the command.
. "$(dirname "$0")/lib.sh"

# default: a fresh 0700 temp dir, exported, removed at exit
mkdir "$TMP/t"
TMPDIR="$TMP/t" "$RK" sh -c 'echo "$ROOTLESSKIT_STATE_DIR"; stat -c %a "$ROOTLESSKIT_STATE_DIR"; echo "$ROOTLESSKIT_PARENT_EUID $ROOTLESSKIT_PARENT_EGID"' >"$TMP/out"
sd=$(sed -n 1p "$TMP/out")
case $sd in "$TMP/t/rootlesskit"*) ok "default state dir under \$TMPDIR ($sd)" ;; *) not_ok "default state dir under \$TMPDIR ($sd)" ;; esac
is "$(sed -n 2p "$TMP/out")" 700 "default state dir is 0700"
is "$(sed -n 3p "$TMP/out")" "$(id -u) $(id -g)" "ROOTLESSKIT_PARENT_EUID/EGID"
check "default state dir removed at exit" [ ! -e "$sd" ]

# explicit state dir: child_pid 0444, no newline; lock; removed at exit
# (rootlesskit made it; an existing one is only cleaned of our files and
# one holding anything else is refused, see t_statedir_safety.sh)
sd="$TMP/sd"
bg "$RK" --state-dir="$sd" sleep infinity
pid=$BG
if wait_file "$sd/child_pid"; then
	is "$(stat -c %a "$sd/child_pid")" 444 "child_pid is 0444"
	is "$(tail -c 1 "$sd/child_pid" | od -An -c | tr -d ' ')" "$(tail -c 1 "$sd/child_pid" | tr -d '\n' | od -An -c | tr -d ' ')" "child_pid has no trailing newline"
	cpid=$(cat "$sd/child_pid")
	check "child_pid is the child's PID (a child of rootlesskit)" [ "$(ps -o ppid= -p "$cpid" | tr -d ' ')" = "$pid" ]
	is "$(stat -c %a "$sd/lock")" 600 "lock is 0600"
	# a second instance on the same state dir is refused
	"$RK" --state-dir="$sd" true 2>"$TMP/err2"
	is "$?" 1 "second instance exits 1"
	contains "$TMP/err2" "failed to lock $sd/lock, another RootlessKit is running with the same state directory?" "second instance: upstream's message"
	check "first instance still running" kill -0 "$pid"
	check "first instance's child_pid intact" [ "$(cat "$sd/child_pid")" = "$cpid" ]
	# no parent/child pipe leaks into the command
	fds=$(ls /proc/"$(pgrep -P "$cpid" | head -1)"/fd | sort -n | tr '\n' ' ')
	is "$fds" "0 1 2 " "the command has only stdio open"
	kill -TERM "$pid"
	wait "$pid"
	check "state dir removed at exit" [ ! -e "$sd" ]
else
	not_ok "child_pid appeared"
fi

# restart after SIGKILL on the same state dir (upstream issue 220): the
# killed run's files are replaced (only rootlesskit's names are there, so
# nothing is refused) and the directory, made by the killed run, is removed
sd="$TMP/sd-restart"
bg "$RK" --state-dir="$sd" --net=slirp4netns --disable-host-loopback sleep infinity
pid=$BG
if wait_file "$sd/child_pid"; then
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	check "state dir left behind by SIGKILL" [ -e "$sd/child_pid" ]
	old=$(cat "$sd/child_pid")
	"$RK" --state-dir="$sd" --net=slirp4netns --disable-host-loopback sh -c 'test "$(cat "$ROOTLESSKIT_STATE_DIR/child_pid")" != "$1"' sh "$old" 2>"$TMP/err3"
	is "$?" 0 "restart on the same state dir after SIGKILL works"
	check "state dir removed after the restart" [ ! -e "$sd" ]
else
	not_ok "child_pid appeared (restart)"
fi

# a state dir given as a relative path is made absolute
(cd "$TMP" && "$RK" --state-dir=rel sh -c 'echo $ROOTLESSKIT_STATE_DIR') >"$TMP/rel.out"
is "$(cat "$TMP/rel.out")" "$TMP/rel" "relative --state-dir is made absolute"

done_testing
