#!/usr/bin/env bash
# Every INI shipped under ini/ (experiments and the bases they share) passes `hrkd check`:
# its keys, values and plugins are valid. Data sets, teacher runs and model folders need not
# exist for this, so it holds on a fresh clone.
source tests/common/lib.sh
n=0
while IFS= read -r f; do
  n=$((n + 1))
  out=$("$HRKD" check "$f" 2>&1); rc=$?
  check '[ $rc -eq 0 ]' "$(echo "$out" | head -n 1)"
done < <(find ini -name '*.ini' | sort)
check '[ $n -ge 50 ]' "$n INI files checked"
exit $fail
