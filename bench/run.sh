#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh - what `make bench` runs: the side-by-side benchmark suite
# (bench/suite.py) as an unprivileged user, like the tests.
#
# As root it installs what it needs (tests/deps.sh bench), creates the
# user "rktest" (tests/setup-user.sh), copies the binaries where that user
# can read them and runs the suite as that user.  The report lands in
# bench/results/report.{md,json}; the throughput table in docs/port.md is
# regenerated from it.  BENCH_REPS (default 3), BENCH_TIME (iperf3 seconds,
# default 5) and BENCH_CONN_TIME (default 3) shorten or lengthen the run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
: "${RK_BIN:?set RK_BIN to the directory holding rootlesskit, rootlessctl and connrate}"
mkdir -p "$here/results"
if [ "$(id -u)" -eq 0 ]; then
	"$top/tests/setup-user.sh"
	work=$(mktemp -d /tmp/rk-bench.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	cp "$RK_BIN/rootlesskit" "$RK_BIN/rootlessctl" "$RK_BIN/connrate" "$here/suite.py" "$here/report.py" "$work/"
	chmod -R a+rX "$work"
	chmod 1777 "$work"
	(cd /tmp && runuser -u rktest -- env -i PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
		HOME=/home/rktest LANG=C.UTF-8 TMPDIR=/tmp BENCH_REPS="${BENCH_REPS:-3}" \
		BENCH_TIME="${BENCH_TIME:-5}" BENCH_CONN_TIME="${BENCH_CONN_TIME:-3}" \
		python3 "$work/suite.py" --rootlesskit "$work/rootlesskit" --rootlessctl "$work/rootlessctl" \
		--connrate "$work/connrate" --out "$work/report")
	cp "$work/report.md" "$work/report.json" "$here/results/"
else
	python3 "$here/suite.py" --rootlesskit "$RK_BIN/rootlesskit" --rootlessctl "$RK_BIN/rootlessctl" \
		--connrate "$RK_BIN/connrate" --out "$here/results/report"
fi
python3 "$here/report.py" --docs "$here/results/report.json" "$top/docs/port.md"
cat "$here/results/report.md"
