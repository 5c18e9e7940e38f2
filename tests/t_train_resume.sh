#!/usr/bin/env bash
# Trainer end to end: a tiny teacher run and a tiny teacher→HRKD-student pipeline finish and
# leave run files with the documented layout; a run killed with SIGKILL (at a fixed step and
# at random moments, several times) and resumed with --resume ends with parameters, optimizer
# moments and metrics bit-identical to an uninterrupted run (CPU backend, same threads).
source tests/common/lib.sh
run_ini() { # ini out [args...]
  local ini=$1 out=$2; shift 2
  sed "s|^\[output\]|[output]\nfile = $out|" "$ini" > "$tmp/$(basename "$out" .h5).ini"
  "$HRKD" run "$tmp/$(basename "$out" .h5).ini" "$@"
}

# 1. uninterrupted teacher run
run_ini tests/ini/tiny_teacher.ini "$tmp/ref.h5" > "$tmp/ref.log" 2>&1
rc=$?
check '[ $rc -eq 0 ] && [ -f "$tmp/ref.h5" ]' "uninterrupted teacher run"
check 'grep -q "average" "$tmp/ref.log"' "teacher run prints its accuracy table"
check 'h5dump -H "$tmp/ref.h5" | grep -q "GROUP \"best_d2\""' "per-domain best groups written"
check '[ -z "$(h5ls -r "$tmp/ref.h5/best_d2" | grep adam_)" ] && h5ls -r "$tmp/ref.h5/checkpoint" | grep -q adam_m' \
  "best groups hold parameter values only; /checkpoint holds the AdamW moments"
# best_d<d> records the model serving d: mtl, one model with a head per domain (3 here)
state() { h5dump -d "/$2/state/$3" "$1" 2>/dev/null | sed -n '/DATA {/,/}/p' | grep -o '(0): [0-9-]*' | cut -c6-; }
check '[ "$(state "$tmp/ref.h5" best_d2 model)" = 0 ] && [ "$(state "$tmp/ref.h5" best_d2 head)" = 2 ] && [ "$(state "$tmp/ref.h5" best_d2 n_heads)" = 3 ]' \
  "best_d2 records model 0, head 2 of 3 heads"

# 2. killed at step 6 (between checkpoints at 4 and 8), then resumed
run_ini tests/ini/tiny_teacher.ini "$tmp/k1.h5" --kill-after-step 6 > "$tmp/k1.log" 2>&1
rc=$?
check '[ $rc -eq 137 ]' "run stopped by SIGKILL (rc $rc)"
run_ini tests/ini/tiny_teacher.ini "$tmp/k1.h5" --resume > "$tmp/k1r.log" 2>&1
rc=$?
check '[ $rc -eq 0 ]' "resume after a kill at step 6"
check 'grep -q "resumed at step 4" "$tmp/k1r.log"' "resume starts from the step-4 checkpoint"
check 'h5diff -q "$tmp/ref.h5" "$tmp/k1.h5" /checkpoint /checkpoint' "resumed parameters and moments bit-identical"
check 'h5diff -q "$tmp/ref.h5" "$tmp/k1.h5" /metrics /metrics' "resumed metrics bit-identical"
check 'h5diff -q "$tmp/ref.h5" "$tmp/k1.h5" /losses /losses' "resumed loss log bit-identical"

# `hrkd eval` reproduces the run's own test table; `hrkd compare` of identical runs shows Δ 0
"$HRKD" eval "$tmp/ref.ini" "$tmp/ref.h5" --split test > "$tmp/eval.log" 2>&1
check 'grep -q average "$tmp/eval.log" && [ "$(grep average "$tmp/eval.log")" = "$(grep average "$tmp/ref.log")" ]' "hrkd eval reproduces the test accuracy"
# under mpirun only rank 0 evaluates and prints (the launcher's variables, without MPI)
OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=1 "$HRKD" eval "$tmp/ref.ini" "$tmp/ref.h5" > "$tmp/eval1.log" 2>&1; rc1=$?
check '[ $rc1 -eq 0 ] && [ ! -s "$tmp/eval1.log" ]' "hrkd eval on rank 1 of an MPI job prints nothing"
OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=0 "$HRKD" eval "$tmp/ref.ini" "$tmp/ref.h5" > "$tmp/eval0.log" 2>&1
check 'grep -q average "$tmp/eval0.log"' "hrkd eval on rank 0 of an MPI job prints the table"
"$HRKD" compare "$tmp/ref.h5" "$tmp/k1.h5" > "$tmp/cmp.log" 2>&1
check 'grep -Eq "^average +[0-9.]+ +[0-9.]+ +[+-]0\.00 " "$tmp/cmp.log"' "hrkd compare of identical runs"

# 3. random SIGKILLs from outside (a longer run: 60 steps), resumed until done
mk_long() { sed -e "s|^\[output\]|[output]\nfile = $1|" -e 's/^epochs = 2/epochs = 10/' tests/ini/tiny_teacher.ini > "$2"; }
mk_long "$tmp/ref2.h5" "$tmp/ref2.ini"
mk_long "$tmp/k2.h5" "$tmp/k2.ini"
t0=$(date +%s%N)
"$HRKD" run "$tmp/ref2.ini" > "$tmp/ref2.log" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check '[ $rc -eq 0 ]' "uninterrupted 60-step run ($ms ms)"
# Kills land at random moments within the first 10-60 % of an uninterrupted run's wall time
# (measured just above, so the test does not depend on the machine's speed); when a whole
# sequence ends with fewer than two kills landed it starts over from scratch (3 tries).
done_ok=0; kills=0
for try in 1 2 3; do
  rm -f "$tmp/k2.h5"; : > "$tmp/k2.log"
  done_ok=0; kills=0
  for i in $(seq 1 12); do
    if [ $i -eq 1 ]; then args=(); else args=(--resume); fi
    "$HRKD" run "$tmp/k2.ini" "${args[@]}" >> "$tmp/k2.log" 2>&1 &
    pid=$!
    sleep "$(awk -v ms="$ms" -v r=$(( (RANDOM % 51) + 10 )) 'BEGIN { printf "%.3f", ms * r / 100000 }')"
    if kill -9 $pid 2>/dev/null; then wait $pid 2>/dev/null; kills=$((kills + 1))
    else wait $pid && { done_ok=1; break; }; fi
  done
  if [ $done_ok -eq 0 ]; then "$HRKD" run "$tmp/k2.ini" --resume >> "$tmp/k2.log" 2>&1 && done_ok=1; fi
  [ $kills -ge 2 ] && break
done
echo "random kills: $kills (sequence $try)"
check '[ $kills -ge 2 ]' "at least two random kills landed during the run ($kills)"
check '[ $done_ok -eq 1 ]' "randomly killed run completes after resumes"
check 'h5diff -q "$tmp/ref2.h5" "$tmp/k2.h5" /checkpoint /checkpoint' "randomly killed + resumed run bit-identical"
check 'h5diff -q "$tmp/ref2.h5" "$tmp/k2.h5" /metrics /metrics' "randomly killed + resumed metrics bit-identical"
check 'h5diff -q "$tmp/ref2.h5" "$tmp/k2.h5" /losses /losses' "randomly killed + resumed loss log bit-identical"

# 4. the pipeline: teacher then HRKD student, ratios with the documented shapes
run_ini tests/ini/tiny_distill.ini "$tmp/d.h5" > "$tmp/d.log" 2>&1
rc=$?
check '[ $rc -eq 0 ]' "teacher→student pipeline"
check '[ -f "$tmp/d_teacher.h5" ]' "teacher file of the pipeline"
check 'h5dump -H -d /ratios/domain "$tmp/d.h5" | grep -q "DATASPACE  SIMPLE { ( 12, 2, 3 )"' "ratios/domain is [steps, M+1, D]"
check 'h5dump -H -d /ratios/hierarchical/layer_1 "$tmp/d.h5" | grep -q "( 12, 3, 2 )"' "hierarchical ratios of layer 1 are [steps, D, 2]"
if [ $fail -ne 0 ]; then for f in "$tmp"/*.log; do echo "== $f"; tail -n 15 "$f"; done; fi
exit $fail
