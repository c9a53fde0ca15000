#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# State directory safety for one user (issue 11): an existing --state-dir
# holding anything rootlesskit did not create is refused with nothing
# changed; one writable by others is refused; a socket path too long for
# sun_path is refused before anything is created; at exit only our own
# files go, and the directory only if we made it.  Cross-user cases:
# root_statedir_users.sh.
. "$(dirname "$0")/lib.sh"

# listing DIR - "name type" per entry, sorted (what must stay unchanged)
listing() { (cd "$1" && find . -mindepth 1 -printf '%P %y %m\n' | sort); }

# foreign file next to stale files of ours: refused, nothing changed
sd=$TMP/foreign
mkdir -m 700 "$sd"
echo precious >"$sd/notes.txt"
printf 123 >"$sd/child_pid"
: >"$sd/hosts"
before=$(listing "$sd")
"$RK" --state-dir="$sd" true 2>"$TMP/err1"
is "$?" 1 "foreign file: exit status 1"
contains "$TMP/err1" "[rootlesskit:parent] error: state dir $sd holds \"notes.txt\", which rootlesskit did not create; refusing to remove it" \
	"foreign file: error names it"
is "$(listing "$sd")" "$before" "foreign file: directory unchanged (no lock, stale files kept)"
is "$(cat "$sd/notes.txt")" precious "foreign file: contents intact"

# one of our names with the wrong type is not ours
for kind in dir-hosts link-child_pid file-api.sock; do
	sd=$TMP/wrongtype-$kind
	mkdir -m 700 "$sd"
	case $kind in
	dir-hosts) name=hosts; mkdir "$sd/hosts"; echo keep >"$sd/hosts/f" ;;
	link-child_pid) name=child_pid; echo keep >"$TMP/target-$kind"; ln -s "$TMP/target-$kind" "$sd/child_pid" ;;
	file-api.sock) name=api.sock; echo keep >"$sd/api.sock" ;;
	esac
	before=$(listing "$sd")
	"$RK" --state-dir="$sd" true 2>"$TMP/err-$kind"
	is "$?" 1 "$kind: exit status 1"
	contains "$TMP/err-$kind" "state dir $sd holds \"$name\", which rootlesskit did not create; refusing to remove it" "$kind: refused by name"
	is "$(listing "$sd")" "$before" "$kind: directory unchanged"
done
is "$(cat "$TMP/target-link-child_pid")" keep "symlink named child_pid: its target untouched"

# writable by group or others: refused, nothing changed
sd=$TMP/open
mkdir "$sd"
chmod 777 "$sd"
"$RK" --state-dir="$sd" true 2>"$TMP/err2"
is "$?" 1 "0777 state dir: exit status 1"
contains "$TMP/err2" "[rootlesskit:parent] error: state dir $sd is writable by group or others (mode 0777); refusing to use it" \
	"0777 state dir: error"
is "$(listing "$sd")" "" "0777 state dir: nothing created in it"
chmod 775 "$sd"
"$RK" --state-dir="$sd" true 2>"$TMP/err2b"
contains "$TMP/err2b" "state dir $sd is writable by group or others (mode 0775); refusing to use it" "group-writable state dir refused"

# a user's existing (empty) state dir: used, cleaned of our files, kept
sd=$TMP/mine
mkdir -m 755 "$sd"
"$RK" --state-dir="$sd" --net=slirp4netns --disable-host-loopback sh -c 'ls "$ROOTLESSKIT_STATE_DIR" | tr "\n" " "' >"$TMP/out3" 2>"$TMP/err3"
is "$?" 0 "existing empty state dir: runs"
is "$(cat "$TMP/out3")" "api.sock child_pid hosts lock resolv.conf " "existing state dir: our files while running"
check "existing state dir kept at exit" [ -d "$sd" ]
is "$(listing "$sd")" "" "existing state dir: emptied of our files at exit"
is "$(stat -c %a "$sd")" 755 "existing state dir: mode unchanged"

# our own symlink at the state-dir path is fine
ln -s "$sd" "$TMP/mylink"
"$RK" --state-dir="$TMP/mylink" true 2>"$TMP/err4"
is "$?" 0 "state dir through the user's own symlink: runs"
check "own symlink and its target kept" [ -L "$TMP/mylink" ] && [ -d "$sd" ]

# a file the command leaves in a state dir we made: the dir stays, with it
sd=$TMP/made/sd
"$RK" --state-dir="$sd" sh -c 'echo mine >"$ROOTLESSKIT_STATE_DIR/by-command"' 2>"$TMP/err5"
is "$?" 0 "command writes into \$ROOTLESSKIT_STATE_DIR: exit 0"
is "$(listing "$sd")" "by-command f 644" "only the command's file is left"
contains "$TMP/err5" "state dir $sd holds \"by-command\", which rootlesskit did not create; refusing to remove it" "warned about it at exit"
check "parents made by mkdir -p stay (as upstream)" [ -d "$TMP/made" ]

# the default temp dir: made by us, so removed at exit
mkdir "$TMP/t"
TMPDIR="$TMP/t" "$RK" true
is "$(ls -A "$TMP/t")" "" "default state dir removed at exit"

# too long for api.sock: refused before anything is created
long=$(printf '%0100d' 0)
"$RK" --state-dir="$TMP/new/$long/sd" true 2>"$TMP/err6"
is "$?" 1 "too-long state dir: exit status 1"
n=$(printf '%s' "$TMP/new/$long/sd/api.sock" | wc -c)
contains "$TMP/err6" "[rootlesskit:parent] error: state dir path too long: \"$TMP/new/$long/sd/api.sock\" is $n bytes, a unix socket path holds at most 107" \
	"too-long state dir: error"
check "too-long state dir: no mkdir -p leftovers" [ ! -e "$TMP/new" ]
mkdir "$TMP/t2"
TMPDIR="$TMP/t2/$long" "$RK" true 2>"$TMP/err7"
is "$?" 1 "too-long \$TMPDIR: exit status 1"
contains "$TMP/err7" "state dir path too long: \"$TMP/t2/$long/rootlesskitXXXXXX/api.sock\"" "too-long \$TMPDIR: error"
is "$(ls -A "$TMP/t2")" "" "too-long \$TMPDIR: nothing created"

# .s4nn.sock (slirp4netns port driver) is two bytes longer than api.sock
base=$TMP/s4/
pad=$(printf '%0*d' $((97 - ${#base})) 0)
sd=$base$pad
"$RK" --state-dir="$sd" --net=slirp4netns --port-driver=slirp4netns --disable-host-loopback true 2>"$TMP/err8"
is "$?" 1 "state dir too long for .s4nn.sock: exit status 1"
contains "$TMP/err8" "state dir path too long: \"$sd/.s4nn.sock\" is 108 bytes, a unix socket path holds at most 107" \
	"state dir too long for .s4nn.sock: error"
check "too long for .s4nn.sock: nothing created" [ ! -e "$TMP/s4" ]
"$RK" --state-dir="$sd" --net=slirp4netns --port-driver=builtin --disable-host-loopback true 2>"$TMP/err9"
is "$?" 0 "the same state dir without .s4nn.sock: runs (api.sock fits)"

# restart after kill -9 with every file we make (netns, .s4nn.sock) left
sd=$TMP/restart
bg "$RK" --state-dir="$sd" --net=slirp4netns --port-driver=slirp4netns --detach-netns --disable-host-loopback sleep infinity
pid=$BG
if wait_file "$sd/child_pid"; then
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	wait_gone "$(cat "$sd/child_pid")" || true
	diag "left behind: $(ls -A "$sd" | tr '\n' ' ')"
	check "kill -9 left child_pid and netns" [ -e "$sd/child_pid" ] && [ -e "$sd/netns" ]
	"$RK" --state-dir="$sd" --net=slirp4netns --port-driver=slirp4netns --detach-netns --disable-host-loopback \
		sh -c 'test -e "$ROOTLESSKIT_STATE_DIR/netns" && test -S "$ROOTLESSKIT_STATE_DIR/api.sock"' 2>"$TMP/err10"
	is "$?" 0 "restart after kill -9 on the same state dir works"
	check "state dir made by the killed run removed after the restart" [ ! -e "$sd" ]
else
	not_ok "child_pid appeared (restart)"
fi

done_testing
