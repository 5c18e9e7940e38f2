#!/usr/bin/env bash
# backends/cuda/emu/precision.sh — [teacher] / [student] precision through the CUDA backend,
# run by the CPU emulation (no GPU needed; about a minute a run). Builds the emulated backend
# (run.sh) and runs a tiny teacher and tiny distillations, two steps each, then checks:
#   teacher run: [teacher] precision = bf16 gives [backend] bf16 = true's run bit for bit, and
#                not the fp32 run;
#   distillation from that fp32 teacher: a bf16 teacher with an fp32 student, an fp32 teacher
#                with a bf16 student and fp32 for both give three different runs; bf16 for both
#                models = [backend] bf16 = true; [backend] bf16 = true with [student] precision
#                = fp32 = the bf16 teacher with the fp32 student (a model's key wins).
# Before them, the BERT oracle (tests/test_bert_oracle.c) at tf32 and bf16 on the emulation,
# with that test's tolerances.
#   bash backends/cuda/emu/precision.sh [build]   (needs `make B=build build-tests`)
set -euo pipefail
cd "$(dirname "$0")/../../.."
tree=${1:-build}
EMU_BUILD_ONLY=1 bash backends/cuda/emu/run.sh "$tree"
export HRKD_BACKEND_PATH=$PWD/$tree/emu/lib/hrkd/backends
hrkd=$PWD/$tree/bin/hrkd tiny=$PWD/tests/ini/tiny_distill.ini
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# mk NAME MODE TEACHER_FILE EXTRA: a two-step run on the emulated cuda backend
mk() {
  printf '[run]\nbase = %s\nmode = %s\nmax_steps = 2\nval_every = 100\n[data]\nsynthetic_train = 16\nsynthetic_dev = 8\nsynthetic_test = 8\n[teacher]\ncheckpoint = %s\n[backend]\ndevice = cuda\n%s\n[output]\nfile = %s/%s.h5\n' \
    "$tiny" "$2" "$3" "$4" "$tmp" "$1" > "$tmp/$1.ini"
  "$hrkd" run "$tmp/$1.ini" > "$tmp/$1.log" 2>&1 || { echo "precision.sh: run $1 failed"; tail "$tmp/$1.log"; exit 1; }
}
same() { h5diff -q "$tmp/$1.h5" "$tmp/$2.h5" /checkpoint /checkpoint && h5diff -q "$tmp/$1.h5" "$tmp/$2.h5" /losses /losses; }
fail=0
for p in tf32 bf16; do
  if HRKD_BUILD=$tree/emu HRKD_TEST_BACKEND=cuda HRKD_TEST_PRECISION=$p "$tree/tests/test_bert_oracle" > "$tmp/oracle_$p.log" 2>&1
  then echo "ok   BERT oracle at $p: $(tail -n 1 "$tmp/oracle_$p.log")"
  else echo "FAILED: BERT oracle at $p"; tail -n 20 "$tmp/oracle_$p.log"; fail=1; fi
done
expect() { if eval "$1"; then echo "ok   $2"; else echo "FAILED: $2"; fail=1; fi; }
mk t32 teacher "" ""
mk tbk teacher "" $'[teacher]\nprecision = bf16'
mk tsh teacher "" 'bf16 = true'
expect 'same tbk tsh' "teacher: [teacher] precision = bf16 = [backend] bf16 = true"
expect '! same t32 tbk' "teacher: bf16 differs from fp32"
T=$tmp/t32.h5
mk e distill "$T" ""
mk d distill "$T" $'[teacher]\nprecision = bf16'
mk f distill "$T" $'[student]\nprecision = bf16'
mk g distill "$T" 'bf16 = true'
mk h distill "$T" $'[teacher]\nprecision = bf16\n[student]\nprecision = bf16'
mk i distill "$T" $'bf16 = true\n[student]\nprecision = fp32'
expect '! same d e && ! same f e && ! same d f' "distill: bf16 teacher, bf16 student and fp32 both: three different runs"
expect 'same g h' "distill: [backend] bf16 = true = bf16 for both models"
expect 'same i d' "distill: [backend] bf16 = true with [student] precision = fp32 = the bf16 teacher alone"
exit $fail
