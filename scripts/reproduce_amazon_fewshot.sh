#!/usr/bin/env bash
# `make reproduce-amazon-fewshot`: few-shot distillation on the Amazon reviews (the HRKD
# paper's Figure 2 protocol; ini/amazon_fewshot/base.ini says what a run does). For each
# sample rate (2, 5, 10, 20 %), each method (TinyBERT-KD from single-domain teachers, HRKD
# from the HRKD-teacher, Meta-KD from the meta-teacher) and each seed, one run trains its
# teacher on the sample and then its student:
#   results/amazon_fewshot/r<rate>_<method>_seed<S>.h5 (student), ..._teacher.h5 (teacher).
# Seeds: SEEDS_LOW (default 1 2 3 4 5) at 2 and 5 %, SEEDS_HIGH (default 1 2 3) at 10 and 20 %.
# The grid goes seed by seed (every rate and method of seed 1 first), so a half-done grid
# already covers every cell. A finished run (its student file has test accuracies) is
# skipped; a stopped one continues where its last checkpoint left it (hrkd run --resume;
# checkpoints every 50 steps), so the script can be re-run at any time. RATES="02 05" runs a
# part of the grid. Logs: results/logs/fewshot/<run>.log (with its wall time).
# JOBS=2 THREADS=1 (the default here) runs two at once, one core each; BLAS_CORE as in
# scripts/reproduce_jobs.sh.
# Disk: PRUNE=teacher (the default) drops a finished run's teacher /checkpoint (hrkd prune:
# its optimizer state, not needed once the student is trained): about 3.2 GB stay per rate
# and seed (the three methods), 52 GB for the grid. PRUNE=all also prunes the students (2.5
# GB per rate and seed, 40 GB); PRUNE=none keeps everything (4.9 GB, 78 GB).
# Then the table, the improvement rates, the Welch p-values and the figure, from whatever
# runs are finished (results/analyze.py --fewshot) into results/report_fewshot/.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}; THREADS=${THREADS:-1}
source scripts/reproduce_jobs.sh   # HRKD, BLAS_CORE, job_ini
RATES=${RATES:-02 05 10 20}
SEEDS_LOW=${SEEDS_LOW:-1 2 3 4 5}; SEEDS_HIGH=${SEEDS_HIGH:-1 2 3}
METHODS="tinybert hrkd metakd"
R=results/amazon_fewshot L=results/logs/fewshot
PRUNE=${PRUNE:-teacher}
case $PRUNE in teacher|all|none) ;; *) echo "PRUNE=$PRUNE: teacher, all or none" >&2; exit 2;; esac
mkdir -p "$R" "$L"
[ -d results/models/all-minilm-l6-v2 ] || bash scripts/fetch_minilm.sh

# finished FILE: the run file holds its test accuracies (written after the last step)
finished() { [ -f "$1" ] && "$HRKD" inspect "$1" 2>/dev/null | grep -q '^test  *mean'; }

# prune_run OUT: after run OUT finished, drop what PRUNE says (quiet when already done)
prune_run() {
  local files=("${1%.h5}_teacher.h5")
  [ "$PRUNE" = all ] && files+=("$1")
  [ "$PRUNE" = none ] || "$HRKD" prune "${files[@]}" | grep -v 'already pruned' || true
}

# fewshot_job INI SEED OUT: one teacher + student run of INI with [run] seeds = SEED into OUT
fewshot_job() {
  local ini=$1 seed=$2 out=$3 name log t0 resume=
  name=$(basename "$out" .h5); log=$L/$name.log
  if finished "$out"; then echo "fewshot: $out finished, skipping"; prune_run "$out"; return 0; fi
  job_ini "$ini" "$seed" "$out" "$L/$name.ini"
  [ -f "$out" ] || [ -f "${out%.h5}_teacher.h5" ] && resume=--resume
  echo "fewshot: $ini seed $seed -> $out${resume:+ (resumed)} (log $log)"
  t0=$SECONDS
  local rc=0
  "$HRKD" run "$L/$name.ini" $resume >> "$log" 2>&1 || rc=$?
  echo "wall_s $((SECONDS - t0))" >> "$log" # every part of a run, a stopped one's too
  case $rc in
    0) echo "fewshot: $name done in $((SECONDS - t0)) s"; prune_run "$out" ;;
    130|143) echo "fewshot: $name stopped after $((SECONDS - t0)) s; the next run of the grid resumes it"; return 1 ;;
    *) echo "fewshot: $name FAILED"; tail -n 20 "$log"; return 1 ;;
  esac
}
export -f fewshot_job finished prune_run job_ini; export HRKD THREADS BLAS_CORE L PRUNE

maxseed=0; for s in $SEEDS_LOW $SEEDS_HIGH; do [ "$s" -gt "$maxseed" ] && maxseed=$s; done
for s in $(seq 1 "$maxseed"); do
  for r in $RATES; do
    case $r in 02|05) seeds=$SEEDS_LOW;; *) seeds=$SEEDS_HIGH;; esac
    [[ " $seeds " == *" $s "* ]] || continue
    for m in $METHODS; do echo "ini/amazon_fewshot/r$r/$m.ini $s $R/r${r}_${m}_seed$s.h5"; done
  done
done | xargs -P "$JOBS" -L 1 bash -c 'fewshot_job "$@"' _ || status=$?

PY=results/.venv/bin/python
[ -f results/.venv/.installed ] || bash results/venv.sh >/dev/null
"$PY" results/analyze.py --fewshot results/report_fewshot "$R"/r*_seed*.h5 | tee "$L/summary.md"
# wall time of each run (teacher + student; a stopped and resumed run: the sum of its parts)
# and of the grid
walls=$(grep -H '^wall_s' "$L"/r*_seed*.log 2>/dev/null | sed 's|.*/||; s|\.log:wall_s||')
{ echo; echo "wall time per run (s), teacher and student:"
  printf '%s\n' "$walls" | awk 'NF == 2 { t[$1] += $2; k[$1]++ }
    END { for (r in t) printf "  %s %d%s\n", r, t[r], (k[r] > 1 ? " (" k[r] " parts)" : "") }' | sort
  printf '%s\n' "$walls" | awk 'NF == 2 { s += $2; if (!($1 in seen)) { seen[$1]; n++ } }
    END { if (n) printf "  %d runs, %d s in all (%.1f h of run time; JOBS=2 runs two at a time)\n", n, s, s / 3600 }'
} | tee -a "$L/summary.md"
exit "${status:-0}"
