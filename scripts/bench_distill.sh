#!/usr/bin/env bash
# Throughput of one HRKD distillation step at the paper's shape, through the real trainer
# (`hrkd run`): 4 domains × 8 examples, seq 128, a BERT-base teacher (random weights, one
# optimizer step of mtl training so a teacher run file exists), a TinyBERT 4L-312 student
# with fit projections to 768, self_attention + compare_aggregate + gat, AdamW, HDF5 logging.
# Prints one JSON line: the median examples/s over the progress intervals after the first, and
# the peak resident memory of the `hrkd run` process (GNU time's "Maximum resident set size";
# null where /usr/bin/time is missing).
# usage: scripts/bench_distill.sh [STEPS (default 8)] [THREADS (default 2)]
# CACHE=1: with [distill] teacher_cache = true (the teacher runs once over the 4 × 64 training
# examples before the first step; steps then cost the student only). The JSON line then also
# has the cache pass's examples/s and the examples/s of a 10-epoch run (the paper's recipe)
# with the cache pass counted: 10 / (1 / cache_rate + 10 / step_rate).
# BENCH_DIR=DIR keeps the teacher file there between calls (it takes a minute to make).
# DEVICE=cuda runs on the CUDA backend; PRECISION=tf32 or bf16 sets that [backend] option
# (default fp32). The teacher file is made on the same device.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
steps=${1:-8}; threads=${2:-2}
device=${DEVICE:-cpu}; precision=${PRECISION:-fp32}
case $precision in
  fp32) popt= ;;
  tf32|bf16) popt="$precision = true" ;;
  *) echo "bench_distill: PRECISION must be fp32, tf32 or bf16" >&2; exit 2 ;;
esac
if [ -n "${BENCH_DIR:-}" ]; then tmp=$BENCH_DIR; mkdir -p "$tmp"
else tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT; fi
cat > "$tmp/paper_shape.ini" <<INI
[run]
name = paper_shape
max_steps = 1
val_every = 1000000
log_every = 1
seed = 1
[data]
format = synthetic
synthetic_domains = 4
synthetic_vocab = 30522
synthetic_train = 64
synthetic_dev = 8
synthetic_test = 8
max_seq_len = 128
batch_size = 8
eval_batch_size = 8
[teacher]
strategy = mtl
layers = 12
hidden = 768
heads = 12
ffn = 3072
gelu = tanh
checkpoint = $tmp/teacher.h5
[student]
layers = 4
hidden = 312
heads = 12
ffn = 1200
gelu = tanh
[relational]
reference = self_attention
aggregate = compare_aggregate
graph = gat
[backend]
threads = $threads
device = $device
$popt
[output]
dir = $tmp
INI
printf '[run]\nbase = paper_shape.ini\nmode = teacher\n[teacher]\ncheckpoint =\n[output]\nfile = %s/teacher.h5\n' "$tmp" > "$tmp/teacher.ini"
printf '[run]\nbase = paper_shape.ini\nmax_steps = %d\n' "$((steps + 1))" > "$tmp/student.ini"
[ "${CACHE:-0}" = 1 ] && printf '[distill]\nteacher_cache = true\n' >> "$tmp/student.ini"
if [ ! -f "$tmp/teacher.h5" ]; then
  "$B/bin/hrkd" run "$tmp/teacher.ini" > "$tmp/teacher.log" 2>&1 || { cat "$tmp/teacher.log" >&2; exit 1; }
fi
rm -f "$tmp/paper_shape.h5"
rss=null; timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f %M -o "$tmp/student.rss")
"${timer[@]}" "$B/bin/hrkd" run "$tmp/student.ini" > "$tmp/student.log" 2>&1 || { cat "$tmp/student.log" >&2; exit 1; }
[ -x /usr/bin/time ] && rss=$(awk '/^[0-9]+$/ { printf "%.1f", $1 / 1024 }' "$tmp/student.rss")
vals=$(grep -o 'student: epoch [0-9]* step [0-9]*/[0-9]* loss [0-9.]* [0-9.]* ex/s' "$tmp/student.log" |
       awk '{ split($5, a, "/"); if (a[1] > 1) print $8 }' | sort -g)
n=$(printf '%s\n' "$vals" | grep -c . || true)
[ "$n" -gt 0 ] || { echo "bench_distill: no progress lines" >&2; cat "$tmp/student.log" >&2; exit 1; }
med=$(printf '%s\n' "$vals" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
cache=null; amort=null
if [ "${CACHE:-0}" = 1 ]; then
  line=$(grep -o 'teacher outputs cached for [0-9]* examples in [0-9.]* s' "$tmp/student.log") ||
    { echo "bench_distill: no cache line" >&2; exit 1; }
  cache=$(echo "$line" | awk '{ printf "%.2f", $5 / $8 }')
  amort=$(awk -v c="$cache" -v s="$med" 'BEGIN { printf "%.2f", 10 / (1 / c + 10 / s) }')
fi
printf '{"implementation": "hrkd", "device": "%s", "precision": "%s", "teacher_cache": %s, "domains": 4, "batch_per_domain": 8, "seq": 128, "threads": %d, "teacher": "BERT-base (mtl)", "student": "TinyBERT 4L-312", "steps": %d, "examples_per_s": %s, "examples_per_s_all": [%s], "cache_pass_examples_per_s": %s, "ten_epoch_examples_per_s": %s, "peak_rss_mb": %s}\n' \
  "$device" "$precision" "$([ "${CACHE:-0}" = 1 ] && echo true || echo false)" "$threads" "$n" "$med" "$(printf '%s\n' "$vals" | paste -sd, | sed 's/,/, /g')" "$cache" "$amort" "${rss:-null}"
