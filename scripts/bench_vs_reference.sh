#!/usr/bin/env bash
# A distillation step at the paper's shape: hrkd (scripts/bench_distill.sh) beside the public
# PyTorch reference code (scripts/bench_reference.py), alternating REPS times in one invocation
# so both see the same machine load. Prints each run's JSON line and a summary line with the
# medians and their ratios: hrkd's step without and with [distill] teacher_cache, and a
# 10-epoch run (the paper's recipe) with the cache pass counted, against the reference's step
# (which runs the teacher at every step of every epoch). Needs torch and a reference checkout:
#   REF=DIR scripts/bench_vs_reference.sh [REPS (default 3)] [THREADS (default 2)]
# (DIR: e.g. `git clone https://github.com/cheneydon/hrkd DIR`, or an export of such a checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${REF:?set REF to a checkout of github.com/cheneydon/hrkd}"
[ -f "$REF/finetune_multi_domain.py" ] || { echo "bench_vs_reference: $REF is not a checkout of cheneydon/hrkd (no finetune_multi_domain.py)" >&2; exit 2; }
python3 -c 'import torch' 2>/dev/null || { echo "bench_vs_reference: python3 cannot import torch; install it (a CPU build is enough)" >&2; exit 2; }
reps=${1:-3}; threads=${2:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ours=(); cached=(); tenep=(); theirs=()
for r in $(seq "$reps"); do
  j=$(python3 scripts/bench_reference.py --ref "$REF" --steps 3 --warmup 1 --threads "$threads")
  echo "$j"; theirs+=("$(echo "$j" | python3 -c 'import json,sys; print(json.load(sys.stdin)["examples_per_s"])')")
  j=$(BENCH_DIR="$work" bash scripts/bench_distill.sh 6 "$threads")
  echo "$j"; ours+=("$(echo "$j" | python3 -c 'import json,sys; print(json.load(sys.stdin)["examples_per_s"])')")
  j=$(CACHE=1 BENCH_DIR="$work" bash scripts/bench_distill.sh 6 "$threads")
  echo "$j"
  cached+=("$(echo "$j" | python3 -c 'import json,sys; print(json.load(sys.stdin)["examples_per_s"])')")
  tenep+=("$(echo "$j" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ten_epoch_examples_per_s"])')")
done
python3 - "${ours[*]}" "${cached[*]}" "${tenep[*]}" "${theirs[*]}" <<'PY'
import json, statistics, sys
o, c, e, t = ([float(x) for x in a.split()] for a in sys.argv[1:5])
med = statistics.median
print(json.dumps({"summary": "distillation step, 4 domains x 8, seq 128, BERT-base -> 4L-312",
                  "reference_examples_per_s": t, "hrkd_examples_per_s": o,
                  "hrkd_cached_examples_per_s": c, "hrkd_ten_epoch_examples_per_s": e,
                  "reference_median": med(t), "hrkd_median": med(o), "hrkd_cached_median": med(c),
                  "hrkd_ten_epoch_median": med(e),
                  "speedup_step": round(med(o) / med(t), 2),
                  "speedup_cached_step": round(med(c) / med(t), 2),
                  "speedup_ten_epochs": round(med(e) / med(t), 2)}))
PY
