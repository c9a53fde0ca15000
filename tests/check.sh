#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check.sh - what `make check` runs: unit and integration tests with the
# normal build, then again with an ASan+UBSan build, then short fuzz runs
# of the API's HTTP engine and of the 32-bit msghdr reader.  Ends with one line "check: N passed, N failed"
# over every unit test, integration assertion and the fuzz run.
set -u
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
make unit integration 2>&1 | tee -a "$log" || rc=1
make BUILD=build-asan \
	CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	LDFLAGS="-fsanitize=address,undefined" unit integration 2>&1 | tee -a "$log" || rc=1
# the API's HTTP engine and the 32-bit msghdr reader under libFuzzer, briefly
if make fuzz BUILD=build-asan FUZZ_TIME="${FUZZ_TIME:-20}" >"$log.fuzz" 2>&1; then
	echo "fuzz: passed ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$log.fuzz" | grep -o '[0-9]*$' | paste -sd+) runs)"
	fuzz_ok=1
else
	tail -40 "$log.fuzz"
	echo "fuzz: FAILED"
	fuzz_ok=0
	rc=1
fi
rm -f "$log.fuzz"
# tee hides make's status in a plain sh pipeline: count from the log too
p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p; s/^integration: \([0-9]*\) passed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p; s/^integration: [0-9]* passed, \([0-9]*\) failed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
grep -q "AddressSanitizer\|runtime error:\|LeakSanitizer" "$log" && { echo "check: sanitizer report above"; f=$((f + 1)); }
[ "$(grep -c '^integration: ' "$log")" -eq 2 ] || { echo "check: an integration run did not finish"; f=$((f + 1)); }
[ "$fuzz_ok" -eq 1 ] && p=$((p + 1)) || f=$((f + 1))
echo "check: $p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
