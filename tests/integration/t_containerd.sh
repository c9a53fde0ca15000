#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Rootless containerd from Debian 12 (containerd 1.6, ctr, runc) on our
# rootlesskit, launched by containerd-rootless-test.sh the way nerdctl's
# containerd-rootless.sh launches it: --detach-netns when `rootlesskit
# --help` lists it (so this test fails while --help lists a flag that
# rootlesskit then refuses), state dir $XDG_RUNTIME_DIR/containerd-rootless,
# slirp4netns, --copy-up=/etc,/run,/var/lib, bind mounts of per-user
# directories, and containerd's config in $HOME/.config/containerd (all in
# $TMP).  Checks ctr version (from the host, over the bind-mounted socket),
# ctr images import of a hand-made OCI archive of a busybox-static rootfs,
# ctr run --rm from inside the namespaces (nsenter, as nerdctl does), and
# that SIGTERM to rootlesskit ends containerd and leaves nothing behind.
#
# On a cgroup v1 host a rootless runc cannot create cgroups: ctr run needs
# --cgroup "" (no cgroupsPath; runc's rootless manager then skips the
# cgroups it cannot create) and --cpu-shares 0 (ctr sets cpu shares 1024 by
# default, which runc refuses to ignore).
. "$(dirname "$0")/lib.sh"
check_path
for b in containerd ctr runc containerd-shim-runc-v2 nsenter; do
	if ! command -v "$b" >/dev/null; then
		not_ok "$b is installed"
		done_testing
		exit 1
	fi
done

export XDG_RUNTIME_DIR="$TMP/run" HOME="$TMP/home"
mkdir -p "$XDG_RUNTIME_DIR" "$HOME/.config/containerd"
chmod 700 "$XDG_RUNTIME_DIR"
SD=$XDG_RUNTIME_DIR/containerd-rootless
A=$XDG_RUNTIME_DIR/containerd/containerd.sock
IMG=docker.io/library/rkbox:test
RKPID=
USERNS=none
# the CRI plugin wants cgroups and CNI; ctr does not use it
cat >"$HOME/.config/containerd/config.toml" <<'EOF'
version = 2
disabled_plugins = ["io.containerd.grpc.v1.cri"]
EOF
cp "$(dirname "$0")/containerd-rootless-test.sh" "$TMP/containerd-rootless.sh"
chmod 755 "$TMP/containerd-rootless.sh"

left() { leftover_procs "$USERNS" "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"; }
c() { timeout 60 ctr --connect-timeout 5s --address "$A" "$@"; }
# in the namespaces of rootlesskit's child, where /run/containerd is ours
# (nerdctl re-execs itself the same way); not in its network namespace,
# which --detach-netns leaves elsewhere
cns() { timeout 60 nsenter -U --preserve-credentials -m -t "$(cat "$SD/child_pid")" ctr "$@"; }

cleanup_containerd() {
	if [ -n "$RKPID" ] && kill -0 "$RKPID" 2>/dev/null; then
		kill -TERM "$RKPID" 2>/dev/null
		wait_gone "$RKPID" 20 || kill -9 "$RKPID" 2>/dev/null
	fi
	left | while read -r pid _; do kill -9 "$pid" 2>/dev/null; done
	# snapshots hold directories only root of the user namespace may remove
	[ ! -d "$HOME/.local" ] || "$RK" --net=host rm -rf "$HOME/.local" 2>/dev/null
}
trap 'cleanup_containerd; _cleanup' EXIT
trap 'exit 1' INT TERM HUP

busybox_rootfs "$TMP/rootfs" &&
	tar --numeric-owner --owner=0 --group=0 -C "$TMP/rootfs" -cf "$TMP/rootfs.tar" . &&
	oci_archive "$TMP/rootfs.tar" "$TMP/oci.tar" "$IMG"
check "OCI archive of a busybox-static rootfs" test -s "$TMP/oci.tar"

if "$RK" --help | grep -qw -- "--detach-netns"; then
	diag "rootlesskit --help lists --detach-netns: the script adds it"
	detach=1
else
	detach=0
fi
# a knob for development only (tests/integration/run clears the environment)
case ${CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS:-auto} in
0 | false) diag "CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false: without --detach-netns"; detach=0 ;;
esac

ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/san \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$TMP/san \
	bg "$TMP/containerd-rootless.sh" >"$TMP/containerd.log" 2>&1
RKPID=$BG
_t=300
while ! timeout 10 ctr --connect-timeout 1s --address "$A" version >/dev/null 2>&1; do
	_t=$((_t - 1))
	if [ "$_t" -le 0 ] || ! kill -0 "$RKPID" 2>/dev/null; then
		not_ok "containerd-rootless.sh: containerd is up"
		diag "the end of its log:"
		grep -v 'level=info' "$TMP/containerd.log" | tail -15 | sed 's/^/#   /'
		done_testing
		exit 1
	fi
	sleep 0.1
done
ok "containerd-rootless.sh: containerd is up"
USERNS=$(readlink "/proc/$(cat "$SD/child_pid")/ns/user")
is "$(readlink "/proc/$RKPID/exe")" "$RK" "the script runs our rootlesskit"
tr '\0' ' ' <"/proc/$RKPID/cmdline" >"$TMP/cmdline"
if [ "$detach" = 1 ]; then
	contains "$TMP/cmdline" "--detach-netns" "rootlesskit runs with --detach-netns (listed in --help)"
	check "--detach-netns: $SD/netns exists" test -e "$SD/netns"
fi
check "state dir $SD has child_pid and api.sock" test -s "$SD/child_pid" -a -S "$SD/api.sock"

c version >"$TMP/version" 2>&1
contains "$TMP/version" "Server:" "ctr version (host side, over \$XDG_RUNTIME_DIR/containerd/containerd.sock)"
grep -A1 '^Server:' "$TMP/version" | sed -n 's/^ *Version: */# containerd /p'

c images import "$TMP/oci.tar" >"$TMP/import" 2>&1
is "$?" 0 "ctr images import of the OCI archive"
c images ls -q >"$TMP/images" 2>&1
contains "$TMP/images" "$IMG" "ctr images ls lists $IMG"

cns run --rm --cgroup "" --cpu-shares 0 "$IMG" t1 echo "hello from ctr" >"$TMP/run1" 2>&1
is "$(cat "$TMP/run1")" "hello from ctr" "ctr run --rm $IMG echo"
cns run --rm --cgroup "" --cpu-shares 0 "$IMG" t2 id -u >"$TMP/run2" 2>&1
is "$(cat "$TMP/run2")" "0" "ctr run --rm: the container runs as root"
is "$(c containers ls -q 2>&1)" "" "ctr run --rm removed its containers"

# SIGTERM (no container running: containerd leaves running containers and
# their shims alive on purpose, so that it can be restarted)
kill -TERM "$RKPID"
check "SIGTERM: rootlesskit exited" wait_gone "$RKPID" 30
wait "$RKPID" 2>/dev/null
_t=50
while [ -n "$(left)" ] && [ "$_t" -gt 0 ]; do
	_t=$((_t - 1))
	sleep 0.2
done
is "$(left)" "" "SIGTERM: nothing of the session left (containerd, slirp4netns, shims)"
check "SIGTERM: state dir $SD removed" test ! -e "$SD"
check "SIGTERM: containerd removed its socket" test ! -S "$A"
RKPID=

no_sanitizer_report "no sanitizer report from rootlesskit" "$TMP/containerd.log" "$TMP"/san.*
done_testing
