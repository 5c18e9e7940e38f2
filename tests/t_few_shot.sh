#!/usr/bin/env bash
# [data] few_shot_seed = -1 (the default): each seed of [run] seeds trains on its own few-shot
# sample, so hrkd run loads the data once per seed; a fixed few_shot_seed, or no few-shot
# ratio, loads it once for all seeds. (The sampling itself: tests/test_text_synthetic.c.)
source tests/common/lib.sh
cat > "$tmp/fs.ini" <<'INI'
[run]
mode = teacher
seeds = 1,2
epochs = 1
log_every = 100
[data]
format = synthetic
max_seq_len = 16
batch_size = 8
synthetic_domains = 2
synthetic_train = 40
synthetic_dev = 8
synthetic_test = 8
few_shot_ratio = 0.5
[teacher]
strategy = mtl
layers = 1
hidden = 16
heads = 2
ffn = 32
max_positions = 16
[output]
dir = out
[backend]
threads = 1
INI
loads() { grep -c "data splits:" "$1"; }
check '"$HRKD" run "$tmp/fs.ini" > "$tmp/a.log" 2>&1 && [ "$(loads "$tmp/a.log")" = 2 ]' \
      "few_shot_seed = -1: the data is loaded once per seed"
printf '[run]\nbase = fs.ini\nname = fixed\n[data]\nfew_shot_seed = 5\n' > "$tmp/fixed.ini"
check '"$HRKD" run "$tmp/fixed.ini" > "$tmp/b.log" 2>&1 && [ "$(loads "$tmp/b.log")" = 1 ]' \
      "a fixed few_shot_seed: once for all seeds"
printf '[run]\nbase = fs.ini\nname = full\n[data]\nfew_shot_ratio = 1\n' > "$tmp/full.ini"
check '"$HRKD" run "$tmp/full.ini" > "$tmp/c.log" 2>&1 && [ "$(loads "$tmp/c.log")" = 1 ]' \
      "all the data: once for all seeds"
exit $fail
