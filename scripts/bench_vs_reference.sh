#!/usr/bin/env bash
# A distillation step at the paper's shape: hrkd (scripts/bench_distill.sh) beside the public
# PyTorch reference code (scripts/bench_reference.py), alternating REPS times in one invocation
# so both see the same machine load. Prints each run's JSON line and a summary line with the
# medians and their ratios: hrkd's step without and with [distill] teacher_cache, and a
# 10-epoch run (the paper's recipe) with the cache pass counted, against the reference's step
# (which runs the teacher at every step of every epoch), and the peak resident memory of the
# uncached `hrkd run` process against the reference's process (memory_ratio, medians). Needs
# torch and a reference checkout:
#   REF=DIR [PYTHON=python3] scripts/bench_vs_reference.sh [REPS (default 3)] [THREADS (default 2)]
# (DIR: e.g. `git clone https://github.com/cheneydon/hrkd DIR`, or an export of such a checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${REF:?set REF to a checkout of github.com/cheneydon/hrkd}"
[ -f "$REF/finetune_multi_domain.py" ] || { echo "bench_vs_reference: $REF is not a checkout of cheneydon/hrkd (no finetune_multi_domain.py)" >&2; exit 2; }
PY=${PYTHON:-python3}
"$PY" -c 'import torch' 2>/dev/null || { echo "bench_vs_reference: $PY cannot import torch; install it (a CPU build is enough) or set PYTHON to a Python that can" >&2; exit 2; }
reps=${1:-3}; threads=${2:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ours=(); cached=(); tenep=(); theirs=(); rss_ours=(); rss_theirs=()
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
for r in $(seq "$reps"); do
  j=$("$PY" scripts/bench_reference.py --ref "$REF" --steps 3 --warmup 1 --threads "$threads")
  echo "$j"; theirs+=("$(echo "$j" | field examples_per_s)"); rss_theirs+=("$(echo "$j" | field peak_rss_mb)")
  j=$(BENCH_DIR="$work" bash scripts/bench_distill.sh 6 "$threads")
  echo "$j"; ours+=("$(echo "$j" | field examples_per_s)"); rss_ours+=("$(echo "$j" | field peak_rss_mb)")
  j=$(CACHE=1 BENCH_DIR="$work" bash scripts/bench_distill.sh 6 "$threads")
  echo "$j"
  cached+=("$(echo "$j" | field examples_per_s)")
  tenep+=("$(echo "$j" | field ten_epoch_examples_per_s)")
done
python3 - "${ours[*]}" "${cached[*]}" "${tenep[*]}" "${theirs[*]}" "${rss_ours[*]}" "${rss_theirs[*]}" <<'PY'
import json, statistics, sys
o, c, e, t = ([float(x) for x in a.split()] for a in sys.argv[1:5])
ro, rt = ([float(x) for x in a.split() if x != "None"] for a in sys.argv[5:7])
med = statistics.median
print(json.dumps({"summary": "distillation step, 4 domains x 8, seq 128, BERT-base -> 4L-312",
                  "reference_examples_per_s": t, "hrkd_examples_per_s": o,
                  "hrkd_cached_examples_per_s": c, "hrkd_ten_epoch_examples_per_s": e,
                  "reference_median": med(t), "hrkd_median": med(o), "hrkd_cached_median": med(c),
                  "hrkd_ten_epoch_median": med(e),
                  "speedup_step": round(med(o) / med(t), 2),
                  "speedup_cached_step": round(med(c) / med(t), 2),
                  "speedup_ten_epochs": round(med(e) / med(t), 2),
                  "reference_peak_rss_mb": rt, "hrkd_peak_rss_mb": ro,
                  "memory_ratio": round(med(ro) / med(rt), 2) if ro and rt else None}))
PY
