#!/bin/sh
# check.sh - what `make check` runs: unit and integration tests with the
# normal build, then again with an ASan+UBSan build.  Ends with one line
# "check: N passed, N failed" over every unit test and integration assertion.
set -u
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
make unit integration 2>&1 | tee -a "$log" || rc=1
make BUILD=build-asan \
	CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	LDFLAGS="-fsanitize=address,undefined" unit integration 2>&1 | tee -a "$log" || rc=1
# tee hides make's status in a plain sh pipeline: count from the log too
p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p; s/^integration: \([0-9]*\) passed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p; s/^integration: [0-9]* passed, \([0-9]*\) failed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
grep -q "AddressSanitizer\|runtime error:\|LeakSanitizer" "$log" && { echo "check: sanitizer report above"; f=$((f + 1)); }
[ "$(grep -c '^integration: ' "$log")" -eq 2 ] || { echo "check: an integration run did not finish"; f=$((f + 1)); }
echo "check: $p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
