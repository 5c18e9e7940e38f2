#!/usr/bin/env bash
# tests/t_store_h5py.sh — the h5py reader in results/analyze.py reads run files written by the C
# library (tests/test_store_runfile --write-sample): shapes check out, two runs of the same
# configuration are grouped as two seeds, and the accuracy and ratio values are the ones written.
cd "$(dirname "$0")/.."
source tests/common/lib.sh   # B, tmp, need_h5py
need_h5py
bin="$B/tests/test_store_runfile"
[ -x "$bin" ] || { echo "missing $bin (build the tests first)"; exit 1; }
"$bin" --write-sample "$tmp/run_a.h5" || { echo "writing the sample failed"; exit 1; }
"$bin" --write-sample "$tmp/run_b.h5" || { echo "writing the sample failed"; exit 1; }
out=$("$PY" results/analyze.py --check "$tmp/run_a.h5" "$tmp/run_b.h5" 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "analyze.py --check failed (exit $rc)"; exit 1; }
expect() { grep -qF -- "$1" <<<"$out" || { echo "expected in output: $1"; fail=1; }; }
expect "ratios (13, 3, 3); losses (13, 4, 3); splits ['dev']; checkpoints /best (step -, 3 datasets), /checkpoint (step 10, 6 datasets); OK"
expect "| run_a | student | HRKD | 2 (7,7) | 59.00 ± 0.00 | 60.00 ± 0.00 | 69.10 ± 0.00 | 62.70 ± 0.00 |"
expect "| 2 | 6.0600 | 6.0700 | 6.0800 |"
expect "| kitchen | 6.6667 | 6.7778 | 6.8889 |"
exit $fail
