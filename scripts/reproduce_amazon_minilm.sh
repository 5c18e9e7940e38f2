#!/usr/bin/env bash
# `make reproduce-amazon-minilm`: the real-data benchmark runs on this CPU (not CI; figures
# in docs/benchmarks.md). Amazon reviews (the INIs read shared/data beside the checkout, see
# ini/amazon_minilm/base.ini), all-MiniLM-L6-v2 fine-tuned as the HRKD-teacher. Runs the
# teacher (seeds 1, 2, 3), TinyBERT-KD and HRKD students (seeds 1, 2, 3, all from the seed-1
# teacher), each Table 4 ablation once (seed 1), then the inference speed-up and a summary
# table (scripts/summarize_runs.py).
# SET picks the student setting, an INI folder under ini/ whose result files are
# results/<SET>_*.h5: amazon_minilm (default; 3L-384 students), amazon_minilm_4l (4L-384),
# amazon_minilm_5l (5L-384) or amazon_minilm_4l_windows (4L-384 distilled on every window of
# each training review, [data] train_windows).
# All distil from the same teacher (ini/amazon_minilm/teacher.ini).
# Runs whose result file exists are skipped, so the script can be re-run after a stop
# (a run writes <file>.part.h5 and renames it when finished).
# Logs: results/logs/<run>.log. JOBS=2 THREADS=1 runs two at once, one core each.
# BLAS_CORE=NAME pins OpenBLAS's kernel set in every run ([backend] blas_core): results
# repeat bit for bit across CPUs only under the same set (docs/benchmarks.md, "kernel sets").
# SEEDS="1 2 3 4 5" runs more student seeds (default 1 2 3; teachers stay at seeds 1, 2, 3);
# ABLATION_SEEDS="1 2" more seeds of each ablation (default 1; seed N > 1 writes
# results/<SET>_ablation_<name>_seedN.h5).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/reproduce_jobs.sh   # job / jobs_run, JOBS, THREADS
bash scripts/fetch_minilm.sh
SET=${SET:-amazon_minilm}
SEEDS=${SEEDS:-1 2 3}
ABLATION_SEEDS=${ABLATION_SEEDS:-1}
# files KIND SEP: the student result files of every seed in SEEDS, joined by SEP
files() { local s out=; for s in $SEEDS; do out+=${out:+$2}${R}_$1_seed$s.h5; done; echo "$out"; }
# ablation NAME SEED: its result file (seed 1 has no suffix); ablations NAME: every seed's, comma-joined
ablation() { if [ "$2" = 1 ]; then echo "${R}_ablation_$1.h5"; else echo "${R}_ablation_$1_seed$2.h5"; fi; }
ablations() { local s out=; for s in $ABLATION_SEEDS; do out+=${out:+,}$(ablation "$1" "$s"); done; echo "$out"; }
I=ini/$SET R=results/$SET
TI=ini/amazon_minilm T=results/amazon_minilm   # the teacher every setting distils from
[ -f "$I/hrkd.ini" ] || { echo "reproduce: no $I/hrkd.ini (SET=$SET)" >&2; exit 2; }
# the student's layer count, for the inference benchmark (awk reads to the end: no SIGPIPE)
SL=$("$HRKD" check --print "$I/hrkd.ini" | awk '/^\[/ { s = ($1 == "[student]") } s && $1 == "layers" { print $3 }')
# the seed-1 teacher first: every student distils from it
[ -f ${T}_teacher.h5 ] || job $TI/teacher.ini 1 ${T}_teacher.h5
{
  for s in $SEEDS; do
    echo "$I/hrkd.ini $s ${R}_hrkd_seed$s.h5"; echo "$I/tinybert.ini $s ${R}_tinybert_seed$s.h5"
  done
  for s in 2 3; do  # teachers of seeds 2 and 3, for their accuracy only
    echo "$TI/teacher.ini $s ${T}_teacher_seed$s.h5"
  done
  for a in no_self_attention no_comp_agg no_hierarchical no_domain_rel; do
    for s in $ABLATION_SEEDS; do echo "$I/ablation_$a.ini $s $(ablation $a $s)"; done
  done
} | jobs_run
# inference speed-up: forward of teacher (6L-384) and student (${SL}L-384), seq 64, batch 64,
# alternating, 3 runs each
for i in 1 2 3; do
  "$HRKD" bench --mode forward --layers 6 --hidden 384 --heads 12 --ffn 1536 --vocab 30522 --seq 64 --batch 64 --steps 5 --threads 2
  "$HRKD" bench --mode forward --layers "$SL" --hidden 384 --heads 12 --ffn 1536 --vocab 30522 --seq 64 --batch 64 --steps 5 --threads 2
done > results/logs/${SET}_inference.jsonl
"$PY" scripts/summarize_runs.py --dev --inference results/logs/${SET}_inference.jsonl \
  --group "teacher (MiniLM-L6, mtl)=${T}_teacher.h5,${T}_teacher_seed2.h5,${T}_teacher_seed3.h5" \
  --group "TinyBERT-KD (${SL}L-384)=$(files tinybert ,)" \
  --group "HRKD (${SL}L-384)=$(files hrkd ,)" \
  --group "HRKD - Self-attention=$(ablations no_self_attention)" \
  --group "HRKD - Comp-Agg=$(ablations no_comp_agg)" \
  --group "HRKD - Hierarchical Rel.=$(ablations no_hierarchical)" \
  --group "HRKD - Domain Rel.=$(ablations no_domain_rel)" | tee results/logs/${SET}_summary.md
"$HRKD" compare $(files hrkd ' ') -- $(files tinybert ' ') | tee -a results/logs/${SET}_summary.md
