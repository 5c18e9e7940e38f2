#!/usr/bin/env bash
# `make bench`: engine benchmarks, one JSON line each (medians over --steps; the sgemm peak is
# measured in the same process). Not a test: numbers depend on the machine and its load.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
HRKD="$B/bin/hrkd"
STEPS=${BENCH_STEPS:-5}
THREADS=${BENCH_THREADS:-0}
echo "# TinyBERT student 4L-312, seq 128, batch 32: forward + backward + AdamW" >&2
"$HRKD" bench --preset tinybert --mode train --seq 128 --batch 32 --steps "$STEPS" --threads "$THREADS"
echo "# BERT-base forward, seq 128, batch 32" >&2
"$HRKD" bench --preset bert-base --mode forward --seq 128 --batch 32 --steps "$STEPS" --threads "$THREADS"
if [ -x "$B/bin/hrkd-tokbench" ] || [ -f scripts/bench_tokenizer.py ]; then
  echo "# tokenizer throughput (see scripts/bench_tokenizer.py)" >&2
  if [ -f scripts/bench_tokenizer.py ]; then python3 scripts/bench_tokenizer.py || true; fi
fi
