#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# soak.sh - what `make soak` runs: 10^6 TCP connections through a port
# published by the builtin port driver and 10^5 REST API calls against one
# rootlesskit, sampling the parent's fd count and VmRSS after each tenth;
# fails unless both stay flat after the warm-up (bench/soak.py has the
# details and the thresholds).  Not part of make check.
#
# Runs as an unprivileged user like the tests: as root it creates the user
# "rktest" (tests/setup-user.sh), copies the binaries where that user can
# read them and runs as that user; as a user it runs directly.
# SOAK_SCALE (default 1) scales the counts, e.g. SOAK_SCALE=0.05 for a
# quick try; SOAK_RSS_LIMIT_KIB (default 1024) is the RSS limit per 10^5
# operations.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
: "${RK_BIN:?set RK_BIN to the directory holding rootlesskit and connrate}"
if [ "$(id -u)" -eq 0 ]; then
	"$top/tests/setup-user.sh"
	work=$(mktemp -d /tmp/rk-soak.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	cp "$RK_BIN/rootlesskit" "$RK_BIN/connrate" "$here/soak.py" "$work/"
	chmod -R a+rX "$work"
	cd /tmp
	exec runuser -u rktest -- env -i PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
		HOME=/home/rktest USER=rktest LANG=C.UTF-8 TMPDIR=/tmp \
		SOAK_SCALE="${SOAK_SCALE:-1}" SOAK_RSS_LIMIT_KIB="${SOAK_RSS_LIMIT_KIB:-1024}" \
		python3 "$work/soak.py" --rootlesskit "$work/rootlesskit" --connrate "$work/connrate"
fi
exec python3 "$here/soak.py" --rootlesskit "$RK_BIN/rootlesskit" --connrate "$RK_BIN/connrate"
