#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# State directory safety across users (issue 11): what a second
# unprivileged user ("rknosub", made by tests/setup-user.sh) plants is
# refused when the test user's rootlesskit is pointed at it, and nothing of
# either user is written, followed or removed.  Runs as root; rootlesskit
# runs as $RK_USER with runuser, the planting user with runuser too.
. "$(dirname "$0")/lib.sh"
: "${RK_USER:?}"
other=rknosub
id "$other" >/dev/null 2>&1 || useradd -M -s /bin/sh "$other"
uid=$(id -u "$RK_USER")
ouid=$(id -u "$other")

chmod 755 "$TMP"
mkdir -p "$TMP/bin" "$TMP/pub" "$TMP/victim"
cp "$RK" "$TMP/bin/rootlesskit"
chmod -R a+rX "$TMP/bin"
chmod 1777 "$TMP/pub"		# like /tmp
chown "$RK_USER" "$TMP/victim"
as_victim() { runuser -u "$RK_USER" -- "$@"; }
as_other() { runuser -u "$other" -- "$@"; }
as_victim sh -c "echo precious >'$TMP/victim/hosts-target'; echo precious >'$TMP/victim/pid-target'; mkdir -m 700 '$TMP/victim/data' '$TMP/victim/okdir'; echo keep >'$TMP/victim/data/file'"

# rk SD - the victim's rootlesskit on SD with a network (so hosts is written)
rk() {
	as_victim "$TMP/bin/rootlesskit" --state-dir="$1" --net=slirp4netns \
		--disable-host-loopback true
}
targets_intact() {
	[ "$(cat "$TMP/victim/hosts-target")" = precious ] &&
		[ "$(cat "$TMP/victim/pid-target")" = precious ] &&
		[ "$(cat "$TMP/victim/data/file")" = keep ] &&
		[ "$(ls -A "$TMP/victim/data")" = file ]
}

# A: another user's 0777 dir with symlinks named hosts and child_pid
sd=$TMP/pub/sdA
as_other sh -c "mkdir -m 777 '$sd' && chmod 777 '$sd' && ln -s '$TMP/victim/hosts-target' '$sd/hosts' && ln -s '$TMP/victim/pid-target' '$sd/child_pid'"
rk "$sd" 2>"$TMP/errA"
is "$?" 1 "other user's 0777 dir: exit status 1"
contains "$TMP/errA" "[rootlesskit:parent] error: state dir $sd is owned by uid $ouid, not by uid $uid; refusing to use it" \
	"other user's 0777 dir: error"
check "other user's 0777 dir: link targets untouched" targets_intact
is "$(ls -A "$sd" | tr '\n' ' ')" "child_pid hosts " "other user's 0777 dir: nothing added or removed"

# A2: another user's 0700 dir squatting the path
sd=$TMP/pub/sdA2
as_other mkdir -m 700 "$sd"
rk "$sd" 2>"$TMP/errA2"
contains "$TMP/errA2" "state dir $sd is owned by uid $ouid, not by uid $uid; refusing to use it" \
	"other user's squatted dir: refused"

# B: the victim's own dir, left writable by others, with planted links
sd=$TMP/pub/sdB
as_victim sh -c "mkdir '$sd' && chmod 777 '$sd'"
as_other sh -c "ln -s '$TMP/victim/hosts-target' '$sd/hosts' && ln -s '$TMP/victim/pid-target' '$sd/child_pid'"
rk "$sd" 2>"$TMP/errB"
is "$?" 1 "victim's 0777 dir with planted links: exit status 1"
contains "$TMP/errB" "[rootlesskit:parent] error: state dir $sd is writable by group or others (mode 0777); refusing to use it" \
	"victim's 0777 dir with planted links: error"
check "planted links: targets untouched" targets_intact
check "planted links: still there, not followed" [ -L "$sd/hosts" ] && [ -L "$sd/child_pid" ]
is "$(ls -A "$sd" | tr '\n' ' ')" "child_pid hosts " "victim's 0777 dir: no lock or other file created"

# C: another user's symlink at the state-dir path, to a dir of the victim
sd=$TMP/pub/sdC
as_other ln -s "$TMP/victim/data" "$sd"
rk "$sd" 2>"$TMP/errC"
is "$?" 1 "other user's symlink as state dir: exit status 1"
contains "$TMP/errC" "[rootlesskit:parent] error: state dir $sd: $sd is a symbolic link owned by uid $ouid; refusing to follow it" \
	"other user's symlink as state dir: error"
check "other user's symlink: its target untouched" targets_intact
check "other user's symlink: still there" [ -L "$sd" ]

# D: another user's symlink as a parent component
ln_d=$TMP/pub/lnD
as_other ln -s "$TMP/victim" "$ln_d"
rk "$ln_d/sd" 2>"$TMP/errD"
is "$?" 1 "other user's symlink as a parent: exit status 1"
contains "$TMP/errD" "state dir $ln_d/sd: $ln_d is a symbolic link owned by uid $ouid; refusing to follow it" \
	"other user's symlink as a parent: error"
check "other user's symlink as a parent: nothing created behind it" [ ! -e "$TMP/victim/sd" ]

# E: the victim's own link pointing at another user's link
ln_e=$TMP/pub/lnE
as_other ln -s "$TMP/victim/data" "$ln_e"
as_victim ln -s "$ln_e" "$TMP/victim/mylink"
rk "$TMP/victim/mylink" 2>"$TMP/errE"
is "$?" 1 "chain through another user's link: exit status 1"
contains "$TMP/errE" "state dir $TMP/victim/mylink: $ln_e is a symbolic link owned by uid $ouid; refusing to follow it" \
	"chain through another user's link: error names that link"
check "chain: target untouched" targets_intact

# F: a root-owned symlink to the victim's dir is fine
ln -s "$TMP/victim/okdir" "$TMP/pub/rootlink"
rk "$TMP/pub/rootlink" 2>"$TMP/errF"
is "$?" 0 "root's symlink to the victim's dir: runs"
check "root's symlink: the dir kept, emptied of our files" [ -d "$TMP/victim/okdir" ] && [ -z "$(ls -A "$TMP/victim/okdir")" ]
check "nothing of the victim's changed" targets_intact

done_testing
