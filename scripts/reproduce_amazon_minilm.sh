#!/usr/bin/env bash
# `make reproduce-amazon-minilm`: issue 5's real-data acceptance runs on this CPU (not CI).
# Amazon reviews (../shared/data layout, see ini/amazon_minilm/base.ini), all-MiniLM-L6-v2
# fine-tuned as the HRKD-teacher, 3L-384 students: teacher (seeds 1, 2, 3), TinyBERT-KD and
# HRKD students (seeds 1, 2, 3, all from the seed-1 teacher), each Table 4 ablation once
# (seed 1), then the inference speed-up and a summary table (scripts/summarize_runs.py).
# Runs whose result file exists are skipped, so the script can be re-run after a stop.
# Logs: results/logs/<run>.log. Total on 2 cores: about 1.5 hours.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
HRKD="$B/bin/hrkd"
bash scripts/fetch_minilm.sh
mkdir -p results/logs
run() { # INI FILE-THAT-MARKS-DONE
  local ini=$1 done=$2 log
  log=results/logs/$(basename "$ini" .ini).log
  if [ -f "$done" ]; then echo "reproduce: $done exists, skipping $ini"; return; fi
  echo "reproduce: $ini (log $log)"
  local t0=$SECONDS
  "$HRKD" run "$ini" > "$log" 2>&1 || { tail -n 20 "$log" >&2; exit 1; }
  echo "reproduce: $ini done in $((SECONDS - t0)) s"
  echo "wall_s $((SECONDS - t0))" >> "$log"
}
I=ini/amazon_minilm R=results/amazon_minilm
run $I/teacher.ini ${R}_teacher.h5
run $I/hrkd.ini ${R}_hrkd_seed3.h5
run $I/tinybert.ini ${R}_tinybert_seed3.h5
for a in no_self_attention no_comp_agg no_hierarchical no_domain_rel; do
  run $I/ablation_$a.ini ${R}_ablation_${a}.h5
done
run $I/teacher_seeds.ini ${R}_teacher_seed3.h5
# inference speed-up: forward of teacher (6L-384) and student (3L-384), seq 64, batch 64,
# alternating, 3 runs each, same session
for i in 1 2 3; do
  "$HRKD" bench --mode forward --layers 6 --hidden 384 --heads 12 --ffn 1536 --vocab 30522 --seq 64 --batch 64 --steps 5 --threads 2
  "$HRKD" bench --mode forward --layers 3 --hidden 384 --heads 12 --ffn 1536 --vocab 30522 --seq 64 --batch 64 --steps 5 --threads 2
done > results/logs/amazon_minilm_inference.jsonl
python3 scripts/summarize_runs.py --inference results/logs/amazon_minilm_inference.jsonl \
  --group "teacher (MiniLM-L6, mtl)=${R}_teacher.h5,${R}_teacher_seed2.h5,${R}_teacher_seed3.h5" \
  --group "TinyBERT-KD (3L-384)=${R}_tinybert_seed1.h5,${R}_tinybert_seed2.h5,${R}_tinybert_seed3.h5" \
  --group "HRKD (3L-384)=${R}_hrkd_seed1.h5,${R}_hrkd_seed2.h5,${R}_hrkd_seed3.h5" \
  --group "HRKD - Self-attention=${R}_ablation_no_self_attention.h5" \
  --group "HRKD - Comp-Agg=${R}_ablation_no_comp_agg.h5" \
  --group "HRKD - Hierarchical Rel.=${R}_ablation_no_hierarchical.h5" \
  --group "HRKD - Domain Rel.=${R}_ablation_no_domain_rel.h5" | tee results/logs/amazon_minilm_summary.md
"$HRKD" compare ${R}_hrkd_seed{1,2,3}.h5 -- ${R}_tinybert_seed{1,2,3}.h5 | tee -a results/logs/amazon_minilm_summary.md
