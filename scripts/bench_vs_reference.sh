#!/usr/bin/env bash
# A distillation step at the paper's shape: hrkd (scripts/bench_distill.sh) beside the public
# PyTorch reference code (scripts/bench_reference.py), alternating REPS times in one session
# so both see the same machine load. Prints each run's JSON line and a summary line with the
# medians and their ratio. Needs torch and a reference checkout:
#   REF=DIR scripts/bench_vs_reference.sh [REPS (default 3)] [THREADS (default 2)]
# (DIR: e.g. `git clone https://github.com/cheneydon/hrkd`; this project's development
#  machines use the fetched mirror: git -C /work/.mirror/cheneydon+hrkd/repo archive HEAD | tar -x -C DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${REF:?set REF to a checkout of github.com/cheneydon/hrkd}"
reps=${1:-3}; threads=${2:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ours=(); theirs=()
for r in $(seq "$reps"); do
  j=$(python3 scripts/bench_reference.py --ref "$REF" --steps 3 --warmup 1 --threads "$threads")
  echo "$j"; theirs+=("$(echo "$j" | python3 -c 'import json,sys; print(json.load(sys.stdin)["examples_per_s"])')")
  j=$(BENCH_DIR="$work" bash scripts/bench_distill.sh 6 "$threads")
  echo "$j"; ours+=("$(echo "$j" | python3 -c 'import json,sys; print(json.load(sys.stdin)["examples_per_s"])')")
done
python3 - "${ours[*]}" "${theirs[*]}" <<'PY'
import json, statistics, sys
o = [float(x) for x in sys.argv[1].split()]
t = [float(x) for x in sys.argv[2].split()]
mo, mt = statistics.median(o), statistics.median(t)
print(json.dumps({"summary": "distillation step, 4 domains x 8, seq 128, BERT-base -> 4L-312",
                  "hrkd_examples_per_s": o, "reference_examples_per_s": t,
                  "hrkd_median": mo, "reference_median": mt, "speedup": round(mo / mt, 2)}))
PY
