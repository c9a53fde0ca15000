#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# containerd-rootless-test.sh [CONTAINERD_ARGS...] - start containerd the
# way nerdctl's extras/rootless/containerd-rootless.sh does (our own script
# for t_containerd.sh, written from what that script does, see
# /work/shared/reference/real-clients.md): re-exec itself under rootlesskit
# with the same flags, then, as root of the new namespaces, replace the
# copied-up symlinks of /run/containerd, /var/lib/containerd, /var/lib/cni
# and /etc/containerd by bind mounts of per-user directories and exec
# containerd.
#
# Like the real script it adds --detach-netns when `rootlesskit --help`
# lists it; CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=auto (default),
# true or false as upstream.  State dir: $XDG_RUNTIME_DIR/containerd-rootless.
set -eu
: "${XDG_RUNTIME_DIR:?}" "${HOME:?}"
: "${XDG_DATA_HOME:=$HOME/.local/share}"
: "${XDG_CONFIG_HOME:=$HOME/.config}"

if [ -z "${_CONTAINERD_ROOTLESS_CHILD:-}" ]; then
	[ "$(id -u)" != 0 ] || { echo "$0: must not run as root" >&2; exit 1; }
	flags=${CONTAINERD_ROOTLESS_ROOTLESSKIT_FLAGS:-}
	case ${CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS:-auto} in
	auto)
		# the feature test of the real script: a flag in --help is a promise
		if rootlesskit --help | grep -qw -- "--detach-netns"; then
			flags="--detach-netns $flags"
		fi
		;;
	1 | true) flags="--detach-netns $flags" ;;
	0 | false) ;;
	*) echo "$0: bad CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS" >&2; exit 1 ;;
	esac
	_CONTAINERD_ROOTLESS_CHILD=1
	export _CONTAINERD_ROOTLESS_CHILD
	# shellcheck disable=SC2086
	exec rootlesskit \
		--state-dir="$XDG_RUNTIME_DIR/containerd-rootless" \
		--net=slirp4netns --mtu=65520 \
		--slirp4netns-sandbox=auto --slirp4netns-seccomp=auto \
		--disable-host-loopback --port-driver=builtin \
		--copy-up=/etc --copy-up=/run --copy-up=/var/lib \
		--propagation=rslave \
		$flags \
		"$0" "$@"
fi

[ "$_CONTAINERD_ROOTLESS_CHILD" = 1 ]
# --copy-up left symlinks into the host's directories; drop them (not the
# host's files) so that the mounts below get their own directories
rm -f /run/containerd /run/xtables.lock /var/lib/containerd /var/lib/cni /etc/containerd

# a real directory for /etc/ssl where the copied-up /etc has a symlink
ssl=$(realpath /etc/ssl)
rm -f /etc/ssl
mkdir /etc/ssl
mount --rbind "$ssl" /etc/ssl

# the per-user directories in place of the system ones
bind() {
	mkdir -p "$1" "$2"
	mount --bind "$1" "$2"
}
bind "$XDG_RUNTIME_DIR/containerd" /run/containerd
bind "$XDG_DATA_HOME/containerd" /var/lib/containerd
bind "$XDG_DATA_HOME/cni" /var/lib/cni
bind "$XDG_CONFIG_HOME/containerd" /etc/containerd

exec containerd "$@"
