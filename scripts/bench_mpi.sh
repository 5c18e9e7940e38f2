#!/usr/bin/env bash
# `make bench-mpi`: data-parallel distillation throughput on this machine, one JSON line.
# Quickstart-sized HRKD (tests/ini/mpi_distill.ini: 4 domains × batch 16, seq 32, 2-layer
# 64-wide student, 4-layer 128-wide teacher), BENCH_STEPS training steps, one thread per rank,
# under `mpirun -np 1` and `-np 2`; medians of BENCH_RUNS runs. Reported per step:
#   allreduce_ms       the gradient all-reduce as the trainer sees it (includes waiting for
#                      the slower rank to finish its backward)
#   allreduce_xfer_ms  the same with a barrier first (HRKD_COMM_PROFILE=1): the transfer alone
#   skew_ms            the barrier's wait: load imbalance, not communication
# Not a test: numbers depend on the machine and its load.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
HRKD="$B/bin/hrkd"
STEPS=${BENCH_STEPS:-40}
RUNS=${BENCH_RUNS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -f "$B/lib/hrkd/comm/hrkd_comm_mpi.so" ] || { echo "bench-mpi: $B/lib/hrkd/comm/hrkd_comm_mpi.so not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|^\[output\]|[output]\nfile = $tmp/t.h5|" -e 's/^mode = distill/mode = teacher/' \
    -e 's/^max_steps = .*/max_steps = 4/' tests/ini/mpi_distill.ini > "$tmp/t.ini"
"$HRKD" run "$tmp/t.ini" > "$tmp/t.log" 2>&1
sed -e "s|^\[output\]|[output]\nfile = $tmp/s.h5|" -e "s|^\[teacher\]|[teacher]\ncheckpoint = $tmp/t.h5|" \
    -e "s/^max_steps = .*/max_steps = $STEPS/" -e 's/^val_every = .*/val_every = 100000/' \
    -e 's/^checkpoint_every = .*/checkpoint_every = 0/' tests/ini/mpi_distill.ini > "$tmp/s.ini"
# one run → "examples/s allreduce_ms bytes skew_ms" from the trainer's data-parallel line
run() { # np profile
  HRKD_COMM_PROFILE=$2 mpirun --oversubscribe --bind-to none -x HRKD_COMM_PROFILE -np "$1" \
      "$HRKD" run "$tmp/s.ini" 2>&1 >/dev/null |
    sed -n 's/.*steps, \([0-9.]*\) examples\/s.*all-reduce \([0-9.]*\) ms\/step of \([0-9]*\) bytes (+\([0-9.]*\) ms.*/\1 \2 \3 \4/p'
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
for i in $(seq "$RUNS"); do
  run 1 0 >> "$tmp/np1"
  run 2 0 >> "$tmp/np2"
  run 2 1 >> "$tmp/np2p"
done
col() { awk -v c="$2" '{print $c}' "$1" | median; }
printf '{"bench": "mpi_distill", "steps": %d, "runs": %d, "threads_per_rank": 1, "global_batch": 64, ' "$STEPS" "$RUNS"
printf '"np1_examples_per_s": %s, "np2_examples_per_s": %s, ' "$(col "$tmp/np1" 1)" "$(col "$tmp/np2" 1)"
printf '"allreduce_ms_per_step": %s, "allreduce_xfer_ms_per_step": %s, "skew_ms_per_step": %s, ' \
    "$(col "$tmp/np2" 2)" "$(col "$tmp/np2p" 2)" "$(col "$tmp/np2p" 4)"
printf '"allreduce_bytes_per_step": %s}\n' "$(col "$tmp/np2" 3)"
