#!/usr/bin/env bash
# The Meta-KD rows of the real-data benchmark (ini/amazon_minilm, see base.ini): the
# meta-teacher (all-MiniLM-L6-v2 fine-tuned with strategy = meta_teacher, seed 1; its
# transferability weights are computed once into results/amazon_minilm_transferability.h5),
# then Meta-KD students (one per target domain, seeds 1, 2, 3, from the seed-1 meta-teacher),
# then one table beside the TinyBERT-KD and HRKD students of scripts/reproduce_amazon_minilm.sh
# (which must have run: it fetches MiniLM and writes those files) and `hrkd compare` p-values.
# Runs whose result file exists are skipped, so the script can be re-run after a stop.
# Logs: results/logs/<run>.log. JOBS=2 THREADS=1 runs two seeds at once, one core each.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/reproduce_jobs.sh   # job / jobs_run, JOBS, THREADS
I=ini/amazon_minilm R=results/amazon_minilm
[ -d results/models/all-minilm-l6-v2 ] || bash scripts/fetch_minilm.sh
job $I/meta_teacher.ini 1 ${R}_meta_teacher.h5
for s in 1 2 3; do echo "$I/metakd.ini $s ${R}_metakd_seed$s.h5"; done | jobs_run
files() { echo "${R}_$1_seed1.h5,${R}_$1_seed2.h5,${R}_$1_seed3.h5"; }
"$PY" scripts/summarize_runs.py \
  --group "Meta-teacher (MiniLM-L6)=${R}_meta_teacher.h5" \
  --group "TinyBERT-KD (3L-384)=$(files tinybert)" \
  --group "HRKD (3L-384)=$(files hrkd)" \
  --group "Meta-KD (3L-384)=$(files metakd)" | tee results/logs/amazon_minilm_metakd_summary.md
{ echo; echo "HRKD (A) vs Meta-KD (B):"
  "$HRKD" compare ${R}_hrkd_seed{1,2,3}.h5 -- ${R}_metakd_seed{1,2,3}.h5
  echo; echo "Meta-KD (A) vs TinyBERT-KD (B):"
  "$HRKD" compare ${R}_metakd_seed{1,2,3}.h5 -- ${R}_tinybert_seed{1,2,3}.h5; } \
  | tee -a results/logs/amazon_minilm_metakd_summary.md
