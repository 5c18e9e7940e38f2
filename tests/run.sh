#!/usr/bin/env bash
# Runs the test suite for each build tree given (default: build) and ends with the line
# "N passed, N failed". A test is an executable build/tests/test_* or a script tests/t_*.sh
# (scripts get the build tree in $HRKD_BUILD). Exit status 77 means "skipped": the test
# printed why, and it counts neither as passed nor failed.
set -u
cd "$(dirname "$0")/.."
trees=("$@"); [ ${#trees[@]} -gt 0 ] || trees=(build)
pass=0; fail=0; skip=0; failed=()
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
for tree in "${trees[@]}"; do
  tests=()
  for t in "$tree"/tests/test_*; do [ -x "$t" ] && tests+=("$t"); done
  for s in tests/t_*.sh; do [ -f "$s" ] && tests+=("$s"); done
  for t in "${tests[@]}"; do
    name="$tree:$(basename "$t")"
    log=$(mktemp)
    start=$(date +%s.%N)
    if [[ "$t" == *.sh ]]; then HRKD_BUILD="$tree" timeout 600 bash "$t" >"$log" 2>&1; rc=$?
    else HRKD_BUILD="$tree" timeout 600 "$t" >"$log" 2>&1; rc=$?; fi
    secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
    if [ $rc -eq 0 ]; then pass=$((pass+1)); echo "PASS $name (${secs}s)"
    elif [ $rc -eq 77 ]; then skip=$((skip+1)); echo "SKIP $name: $(tail -n 1 "$log")"
    else fail=$((fail+1)); failed+=("$name"); echo "FAIL $name (exit $rc, ${secs}s)"; sed 's/^/    | /' "$log" | tail -n 40; fi
    rm -f "$log"
  done
done
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
if [ $skip -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ $fail -eq 0 ]
