#!/usr/bin/env bash
# hrkd case: the ratios of a case are the distillation step's own. A tiny HRKD student (batch
# size 1, no dropout anywhere) is killed right after its checkpoint at step 5, that file is kept,
# and the run is resumed to its end; the examples that training step 5 used (/ratios/examples)
# are then run through `hrkd case` with the weights of the kept file: its domain-relational and
# hierarchical ratios must equal the logged row 5, which the step computed with those weights.
# Also: --step picks those rows from the log, --pattern samples the labels it names, the case
# file's layout, and the refusals (a teacher file, an --out that exists, bad patterns).
source tests/common/lib.sh
command -v h5dump >/dev/null || { echo "skip: h5dump (hdf5-tools) not installed"; exit 77; }
cd "$tmp"
cat > base.ini <<'EOF'
[run]
seed = 3
epochs = 1
val_every = 6
log_every = 100

[data]
format = synthetic
max_seq_len = 16
batch_size = 1
eval_batch_size = 32
synthetic_domains = 3
synthetic_train = 40
synthetic_dev = 16
synthetic_test = 24

[teacher]
strategy = mtl
epochs = 1
lr = 1e-3
layers = 2
hidden = 32
heads = 2
ffn = 64
max_positions = 32

[student]
init = random
layers = 2
hidden = 32
heads = 2
ffn = 64
max_positions = 32
dropout = 0
attention_dropout = 0

[distill]
loss = tinybert
relational = true

[relational]
reference = self_attention
aggregate = compare_aggregate
graph = gat
trainable = true

[relational.gat]
dropout = 0

[optimizer]
lr = 1e-2
warmup_ratio = 0

[output]
dir = out

[backend]
threads = 1
EOF
printf '[run]\nbase = base.ini\nname = t\nmode = teacher\n' > teacher.ini
printf '[run]\nbase = base.ini\nname = s\nmode = distill\nmax_steps = 12\n\n[teacher]\ncheckpoint = out/t.h5\n\n[output]\ncheckpoint_every = 5\n' > student.ini
H="$OLDPWD/$HRKD"
"$H" run teacher.ini > t.log 2>&1 || { cat t.log; echo "FAILED: teacher run"; exit 1; }
"$H" run student.ini --kill-after-step 5 > s1.log 2>&1 & wait $! 2> /dev/null # SIGKILL, quietly
check '[ -f out/s.h5 ]' "the student killed after step 5 left its run file"
cp out/s.h5 s5.h5
check '"$H" run student.ini --resume > s2.log 2>&1' "the student resumed to its end"

# vals FILE DATASET START COUNT: the values, one per line, full precision
vals() { h5dump -y -w 0 -m "%.9g" -d "$2" -s "$3" -c "$4" "$1" | sed -n '/DATA {/,/}/p' | sed 1d |
         tr -s ', ' '\n\n' | grep -v '^}*$'; }
# same A B: the two lists of numbers agree within 1e-6 (and hold as many)
same() { paste <(printf '%s\n' "$1") <(printf '%s\n' "$2") |
         awk -F'\t' '$1 == "" || $2 == "" { bad = 1 } { d = $1 - $2; if (d < 0) d = -d; if (d > 1e-6) bad = 1 }
                     END { exit bad }'; }

check '[ "$(vals out/s.h5 /ratios/examples 0,0,0 12,3,1 | grep -c .)" = 36 ]' "/ratios/examples holds a row per step and domain"
rows=$(vals out/s.h5 /ratios/examples 5,0,0 1,3,1 | paste -sd,)
check '[[ "$rows" =~ ^[0-9]+,[0-9]+,[0-9]+$ ]]' "the training rows of step 5: $rows"
check '"$H" case student.ini s5.h5 --group checkpoint --split train --rows "$rows" --out c.h5 > c.log 2>&1' \
      "hrkd case on the weights of step 5 and the rows step 5 used"
for m in 0 1 2; do
  want=$(vals out/s.h5 /ratios/hierarchical/layer_$m 5,0,0 1,3,$((m + 1)))
  got=$(vals c.h5 /ratios/hierarchical/layer_$m 0,0,0 1,3,$((m + 1)))
  check 'same "$want" "$got"' "hierarchical ratios of layer $m equal the step's"
done
want=$(vals out/s.h5 /ratios/domain 5,0,0 1,3,3); got=$(vals c.h5 /ratios/domain 0,0,0 1,3,3)
check 'same "$want" "$got"' "domain-relational ratios equal the step's"
spread=$(vals c.h5 /ratios/hierarchical/layer_2 0,0,0 1,3,3 | sort -g | sed -n '1p;$p' | paste -sd' ')
check 'awk -v s="$spread" "BEGIN { split(s, v, \" \"); exit !(v[2] - v[1] > 1e-3) }"' \
      "the compared ratios are not all alike (layer 2: $spread)"
# a different example gives different ratios: the comparison above can fail
other=$(echo "$rows" | awk -F, '{ printf "%d,%d,%d", ($1 + 1) % 40, $2, $3 }')
"$H" case student.ini s5.h5 --group checkpoint --split train --rows "$other" --out o.h5 > o.log 2>&1
check '! same "$(vals out/s.h5 /ratios/hierarchical/layer_2 5,0,0 1,3,3)" "$(vals o.h5 /ratios/hierarchical/layer_2 0,0,0 1,3,3)"' \
      "another example of domain 0 gives other ratios"

# --step: the rows come from the log
check '"$H" case student.ini out/s.h5 --group checkpoint --step 5 --out st.h5 > st.log 2>&1' "--step 5"
check '[ "$(vals st.h5 /examples/row 0,0 1,3 | paste -sd,)" = "$rows" ]' "--step 5 takes the rows /ratios/examples recorded"
check 'grep -q "domain-relational ratio, layers 0..2" st.log && grep -q "^case 1" st.log' "the printed table"

# --pattern: labels as asked, per domain, for every case
check '"$H" case student.ini out/s.h5 --split test --pattern neg,pos,neg --cases 3 --seed 7 --out p.h5 > p.log 2> p.err' \
      "--pattern neg,pos,neg --cases 3"
labels=$(h5dump -y -w 0 -d /examples/label p.h5 | grep -o '"[a-z]*"' | tr -d '"' | paste -sd,)
check '[ "$labels" = "negative,positive,negative,negative,positive,negative,negative,positive,negative" ]' \
      "sampled labels follow the pattern ($labels)"
check 'h5dump -A p.h5 | grep -q "\"hrkd-case\""' "case file: format = hrkd-case"
for d in /examples/domain /examples/text /predictions /ratios/hierarchical/layer_0; do
  check 'h5dump -H -d $d p.h5 > /dev/null 2>&1' "case file holds $d"
done
check 'diff -q <("$H" case student.ini out/s.h5 --split test --pattern neg,pos,neg --cases 3 --seed 7 2> /dev/null) \
             <(grep -v "^wrote" p.log | sed "\$d") > /dev/null' \
      "the same seed samples the same cases"

# [data] pad_to = longest (32 columns, so texts of 8..30 tokens are cut): a case runs each
# example on its first T' columns, as its batch of one did in training
printf '[run]\nbase = student.ini\nname = sl\n\n[data]\nmax_seq_len = 32\npad_to = longest\n' > longest.ini
"$H" run longest.ini --kill-after-step 5 > l1.log 2>&1 & wait $! 2> /dev/null
cp out/sl.h5 sl5.h5
check '"$H" run longest.ini --resume > l2.log 2>&1' "pad_to = longest: the student resumed to its end"
lrows=$(vals out/sl.h5 /ratios/examples 5,0,0 1,3,1 | paste -sd,)
check '"$H" case longest.ini sl5.h5 --group checkpoint --split train --rows "$lrows" --out cl.h5 > cl.log 2>&1' \
      "pad_to = longest: hrkd case on step 5's weights and rows"
want=$(vals out/sl.h5 /ratios/domain 5,0,0 1,3,3); got=$(vals cl.h5 /ratios/domain 0,0,0 1,3,3)
check 'same "$want" "$got"' "pad_to = longest: domain-relational ratios equal the step's"
want=$(vals out/sl.h5 /ratios/hierarchical/layer_2 5,0,0 1,3,3); got=$(vals cl.h5 /ratios/hierarchical/layer_2 0,0,0 1,3,3)
check 'same "$want" "$got"' "pad_to = longest: hierarchical ratios of layer 2 equal the step's"

# refusals
check '! "$H" case student.ini out/s.h5 --split test --out p.h5 > r1.log 2>&1 && grep -q "exists; --force" r1.log' \
      "an existing --out is refused without --force"
check '"$H" case student.ini out/s.h5 --split test --out p.h5 --force > /dev/null 2>&1' "--force replaces it"
check '! "$H" case teacher.ini out/t.h5 > r2.log 2>&1 && grep -q "teacher" r2.log' "a teacher's run file is refused"
check '! "$H" case student.ini out/s.h5 --pattern maybe > r3.log 2>&1 && grep -q "labels are negative, positive" r3.log' \
      "an unknown label names the labels"
check '! "$H" case student.ini out/s.h5 --pattern neg,pos > r4.log 2>&1 && grep -q "2 label(s) for 3 domains" r4.log' \
      "a pattern of the wrong length"
check '! "$H" case student.ini out/s.h5 --step 99 > r5.log 2>&1 && grep -q "no such logged step" r5.log' \
      "an unlogged step"
exit $fail
