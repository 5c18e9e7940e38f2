#!/usr/bin/env bash
# [data] pad_to = longest and [distill] teacher_cache_precision, end to end on synthetic texts
# of 8 to 30 tokens in max_seq_len = 48 columns (so every batch is cut, to 16..32 columns),
# dropout 0 everywhere:
#  - evaluation of a trained teacher gives the same accuracy table padded or cut;
#  - teacher training (mtl: cross-entropy of the [CLS] logits) gives the same step losses
#    (relative 1e-4) and parameters (1e-5) padded or cut;
#  - a distillation's first step has the same prediction term padded or cut (relative 1e-5);
#    its layer terms differ, as documented: their means run over T' columns, not 48;
#  - with longest, the teacher cache serves the uncached run's losses and ratios (1e-4); it
#    keeps T = 32 columns (the longest text rounded up to 8), and bf16 halves it and gives the
#    fp32 cache's step losses within 1e-2 relative;
#  - a cache over 80 % of the memory available is refused before the teacher pass, naming
#    the bytes and the keys that help (HRKD_TEST_MEM_AVAILABLE, bytes, is the test seam that
#    stands in for /proc/meminfo's MemAvailable); with teacher_cache_dir it runs;
#  - length_buckets: a run killed and resumed is bit-identical to an uninterrupted one;
#  - hrkd check --print and the run file's /config record both keys.
source tests/common/lib.sh
cat > "$tmp/base.ini" <<'EOF'
[run]
mode = distill
seed = 7
epochs = 1
val_every = 6
log_every = 6

[data]
format = synthetic
max_seq_len = 48
batch_size = 16
eval_batch_size = 64
synthetic_domains = 3
synthetic_train = 192
synthetic_dev = 32
synthetic_test = 32
synthetic_vocab = 120

[teacher]
strategy = mtl
epochs = 8
lr = 5e-3
layers = 2
hidden = 32
heads = 2
ffn = 64
max_positions = 48
dropout = 0
attention_dropout = 0

[student]
layers = 1
hidden = 16
heads = 2
ffn = 32
max_positions = 48
dropout = 0
attention_dropout = 0

[relational.gat]
heads = 2
hidden = 8

[backend]
threads = 1
EOF
# mk NAME PAD_TO [SED-EXPR...]: $tmp/NAME.ini writing $tmp/NAME.h5
mk() {
  local name=$1 pad=$2; shift 2
  local args=(-e "s|^max_seq_len = 48|max_seq_len = 48\npad_to = $pad|")
  for e in "$@"; do args+=(-e "$e"); done
  sed "${args[@]}" "$tmp/base.ini" > "$tmp/$name.ini"
  printf '\n[output]\nfile = %s/%s.h5\n' "$tmp" "$name" >> "$tmp/$name.ini"
}
run() { "$HRKD" run "$tmp/$1.ini" > "$tmp/$1.out" 2> "$tmp/$1.err"; }
# value I of /losses/values row 0 ([step, M+3, D] flattened) of a run file
loss0() { h5dump -d /losses/values -s 0,0,0 -c 1,3,3 -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | tr -d '{},DAT' | tr -s ' \n' '\n' | grep . | sed -n "$2p"; }
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= t * m) }'; }

# a trained teacher (padded), evaluated padded and cut
mk teacher max_seq_len 's|^mode = distill|mode = teacher|'
run teacher; check '[ $? -eq 0 ]' "teacher run"
check 'grep -Eq "average +9[0-9]" "$tmp/teacher.out"' "the teacher learned ($(grep average "$tmp/teacher.out" | head -1))"
for pad in max_seq_len longest; do
  mk "eval_$pad" "$pad" 's|^mode = distill|mode = eval|' '/^\[student\]/,/^$/d' \
     "s|^\[relational.gat\]|[student]\ncheckpoint = $tmp/teacher.h5\nlayers = 2\nhidden = 32\nheads = 2\nffn = 64\nmax_positions = 48\n\n[relational.gat]|"
  run "eval_$pad"; check '[ $? -eq 0 ]' "eval with pad_to = $pad"
done
check 'cmp -s "$tmp/eval_max_seq_len.out" "$tmp/eval_longest.out"' "same accuracy table padded and cut: $(grep average "$tmp/eval_longest.out")"

# teacher training: same steps padded and cut
for pad in max_seq_len longest; do
  mk "tt_$pad" "$pad" 's|^mode = distill|mode = teacher|' 's|^epochs = 8|epochs = 2|' 's|^lr = 5e-3|lr = 2e-3|'
  run "tt_$pad"; check '[ $? -eq 0 ]' "teacher training, pad_to = $pad"
done
check 'h5diff -p 1e-4 "$tmp/tt_max_seq_len.h5" "$tmp/tt_longest.h5" /losses /losses > "$tmp/d0"' "teacher step losses agree padded and cut (1e-4)"
check 'h5diff -d 1e-5 "$tmp/tt_max_seq_len.h5" "$tmp/tt_longest.h5" /checkpoint /checkpoint > "$tmp/d1"' "teacher parameters agree padded and cut (1e-5)"

# distillations from the trained teacher
ck="s|^strategy = mtl|strategy = mtl\ncheckpoint = $tmp/teacher.h5|"
mk padded max_seq_len "$ck"
mk cut longest "$ck"
mk cached longest "$ck" "s|^\[relational.gat\]|[distill]\nteacher_cache = true\n\n[relational.gat]|"
mk bf16 longest "$ck" "s|^\[relational.gat\]|[distill]\nteacher_cache = true\nteacher_cache_precision = bf16\n\n[relational.gat]|"
for r in padded cut cached bf16; do run $r; check '[ $? -eq 0 ]' "distillation '$r'"; done
# row 0 of /losses/values: layer 0 (3 domains), layer 1, prediction
p=$(loss0 "$tmp/padded.h5" 7); c=$(loss0 "$tmp/cut.h5" 7)
check 'near "$c" "$p" 1e-5' "step 1 prediction term the same padded ($p) and cut ($c)"
p=$(loss0 "$tmp/padded.h5" 1); c=$(loss0 "$tmp/cut.h5" 1)
echo "info: step 1 layer-0 term, domain 0: padded $p, cut $c (means over 48 and over T' columns)"
check '[ "$p" != "$c" ]' "step 1 layer terms differ padded and cut (documented)"
check 'h5diff -p 1e-4 "$tmp/cut.h5" "$tmp/cached.h5" /losses /losses > "$tmp/d2"' "cut: cached and uncached losses agree (1e-4)"
check 'h5diff -p 1e-4 "$tmp/cut.h5" "$tmp/cached.h5" /ratios /ratios > "$tmp/d3"' "cut: cached and uncached ratios agree (1e-4)"
check 'grep -q "teacher cache served 36 batches" "$tmp/cached.err"' "every step read the cache (12 steps × 3 domains)"
fp=$(grep -o "= [0-9.]* MB" "$tmp/cached.err"); hb=$(grep -o "= [0-9.]* MB" "$tmp/bf16.err")
check 'grep -q "(T = 32) x 4 bytes (fp32)" "$tmp/cached.err" && grep -q "(T = 32) x 2 bytes (bf16)" "$tmp/bf16.err"' "cache of 32 columns, 4 or 2 bytes a value (fp32 $fp, bf16 $hb)"
check 'h5diff -p 1e-2 "$tmp/cached.h5" "$tmp/bf16.h5" /losses /losses > "$tmp/d4"' "bf16 cache: step losses within 1e-2 of the fp32 cache's"
worst=$(h5diff -v -p 1e-12 "$tmp/cached.h5" "$tmp/bf16.h5" /losses/values /losses/values | awk '$NF ~ /^[0-9.e+-]+$/ && NF >= 5 { if ($NF + 0 > w) w = $NF + 0 } END { print w + 0 }')
echo "info: bf16 cache, largest relative difference of a step loss: $worst"

# length_buckets: a run killed and resumed ends bit-identical to an uninterrupted one (the
# bucketed order is a function of seed, domain and epoch)
mk lb longest "$ck" "s|^max_seq_len = 48|&\nlength_buckets = 4|"
sed "s|lb.h5|lbk.h5|" "$tmp/lb.ini" > "$tmp/lbk.ini"
run lb; check '[ $? -eq 0 ]' "distillation with length_buckets = 4"
"$HRKD" run "$tmp/lbk.ini" --kill-after-step 5 > /dev/null 2>&1 & wait $! 2> /dev/null
"$HRKD" run "$tmp/lbk.ini" --resume > /dev/null 2>&1; check '[ $? -eq 0 ]' "length_buckets: killed at step 5 and resumed"
check 'h5diff -q "$tmp/lb.h5" "$tmp/lbk.h5" /checkpoint /checkpoint && h5diff -q "$tmp/lb.h5" "$tmp/lbk.h5" /losses /losses' \
      "length_buckets: the resumed run is bit-identical"
check '! h5diff -q "$tmp/cut.h5" "$tmp/lb.h5" /ratios/examples /ratios/examples' "length_buckets changes which rows share a batch"

# the memory check
need=$(grep -o "= [0-9.]* MB" "$tmp/cached.err" | tr -dc '0-9.')
sed "s|cached.h5|mem.h5|" "$tmp/cached.ini" > "$tmp/mem.ini"
HRKD_TEST_MEM_AVAILABLE=100000 "$HRKD" run "$tmp/mem.ini" > "$tmp/m.out" 2> "$tmp/m.err"; rc=$?
check '[ $rc -eq 1 ]' "a cache over 80 % of MemAvailable refused (rc $rc)"
check 'grep -q "the cache needs [0-9]* bytes ($need MB) of memory, more than 80 % of the 100000 bytes" "$tmp/m.err"' "the refusal gives the figures: $(grep -o 'teacher_cache: .*' "$tmp/m.err")"
check 'grep -q "teacher_cache_dir" "$tmp/m.err" && grep -q "teacher_cache_precision = bf16" "$tmp/m.err"' "the refusal names the keys that help"
check 'grep -q "caching the teacher" "$tmp/m.err" && ! grep -q "teacher outputs cached" "$tmp/m.err"' "refused before the teacher pass"
mkdir -p "$tmp/cachedir"
sed "s|^teacher_cache = true|teacher_cache = true\nteacher_cache_dir = $tmp/cachedir|; s|cached.h5|ondisk.h5|" "$tmp/cached.ini" > "$tmp/ondisk.ini"
HRKD_TEST_MEM_AVAILABLE=100000 "$HRKD" run "$tmp/ondisk.ini" > /dev/null 2> "$tmp/od.err"
check '[ $? -eq 0 ]' "with teacher_cache_dir the same cache runs (on disk)"

# the keys in the effective INI and the run file
check '"$HRKD" check --print "$tmp/bf16.ini" | grep -q "^teacher_cache_precision = bf16$"' "check --print shows teacher_cache_precision"
check '"$HRKD" check --print "$tmp/bf16.ini" | grep -q "^pad_to = longest$"' "check --print shows pad_to"
check 'h5dump -d /config "$tmp/bf16.h5" | grep -q "teacher_cache_precision = bf16"' "the run file's /config records the precision"
exit $fail
