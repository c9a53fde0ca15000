#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Mount namespace: copy-up, propagation basics, UTS/IPC/cgroup namespaces.
. "$(dirname "$0")/lib.sh"

"$RK" --copy-up=/etc sh -c 'echo x >/etc/rk-copyup-test && cat /etc/rk-copyup-test && test -r /etc/passwd && test -L /etc/passwd' >"$TMP/out" 2>&1
is "$(cat "$TMP/out")" x "--copy-up=/etc: /etc is writable and keeps its contents"
check "--copy-up=/etc: the host's /etc is untouched" [ ! -e /etc/rk-copyup-test ]
"$RK" sh -c 'echo x >/etc/rk-copyup-test' 2>/dev/null
check "without --copy-up /etc is not writable" [ $? -ne 0 ]
is "$("$RK" --copy-up=/etc,/run sh -c 'touch /etc/a /run/b && echo ok')" ok "--copy-up=/etc,/run is comma-split"
is "$("$RK" --copy-up=/etc/ sh -c 'touch /etc/a && echo ok')" ok "--copy-up=/etc/ is cleaned"
# symlinks inside the copied-up dir are kept verbatim
mkdir "$TMP/home"
is "$("$RK" --copy-up=/etc sh -c 'readlink /etc/mtab || echo none')" "$(readlink /etc/mtab || echo none)" "copy-up keeps symlink targets"

# propagation set in the child
is "$("$RK" --propagation=rprivate sh -c 'grep -E " / / " /proc/self/mountinfo | grep -c "master:\|shared:"')" 0 "--propagation=rprivate makes / private"

# namespaces
host_h=$(hostname)
is "$("$RK" --utsns sh -c 'hostname rk-inner && hostname')" rk-inner "--utsns: hostname can be set inside"
is "$(hostname)" "$host_h" "--utsns: the host's hostname is unchanged"
check "--ipcns: a new IPC namespace" [ "$("$RK" --ipcns readlink /proc/self/ns/ipc)" != "$(readlink /proc/self/ns/ipc)" ]
check "--cgroupns: a new cgroup namespace" [ "$("$RK" --cgroupns readlink /proc/self/ns/cgroup)" != "$(readlink /proc/self/ns/cgroup)" ]
check "no --ipcns: the host IPC namespace" [ "$("$RK" readlink /proc/self/ns/ipc)" = "$(readlink /proc/self/ns/ipc)" ]
check "--net=host keeps the host network namespace" [ "$("$RK" readlink /proc/self/ns/net)" = "$(readlink /proc/self/ns/net)" ]
check "--net=none gets a new network namespace" [ "$("$RK" --net=none readlink /proc/self/ns/net)" != "$(readlink /proc/self/ns/net)" ]
is "$("$RK" id -u):$("$RK" id -g)" "0:0" "the command runs as uid 0 / gid 0"
is "$("$RK" sh -c 'cat /proc/self/uid_map | wc -l')" 2 "uid_map has the user and the subuid range"

for src in auto dynamic static; do
	is "$("$RK" --subid-source=$src sh -c 'cat /proc/self/uid_map | wc -l' 2>/dev/null)" 2 "--subid-source=$src maps the user's range"
done

done_testing
