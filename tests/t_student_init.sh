#!/usr/bin/env bash
# [student] fit_init: with a student that is a copy of the teacher (init = teacher_layers, all
# the teacher's layers, no dropout), identity fit projections make every layer term of the
# first step exactly 0, while random ones do not; identity with unequal widths is refused
# before training, naming the key.
source tests/common/lib.sh
sed "s|^\[output\]|[output]\nfile = $tmp/t.h5|" tests/ini/tiny_teacher.ini > "$tmp/t.ini"
"$HRKD" run "$tmp/t.ini" > /dev/null 2>&1 || { echo "FAILED: teacher run"; exit 1; }
mk() { # name, fit_init, student hidden
  cat > "$tmp/$1.ini" <<EOF
[run]
base = $PWD/tests/ini/tiny_distill.ini
epochs = 1
[teacher]
checkpoint = $tmp/t.h5
[student]
init = teacher_layers
fit_init = $2
layers = 2
hidden = $3
heads = 2
ffn = 64
dropout = 0
attention_dropout = 0
[output]
file = $tmp/$1.h5
EOF
}
# the first step's layer terms (layer_0..layer_2, every domain) as one number per line
first_terms() { h5dump -d /losses/values -s 0,0,0 -c 1,3,3 -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | tr -c '0-9.e+-' '\n' | grep -E '^[0-9]'; }
mk identity identity 32
mk random random 32
mk narrow identity 16
"$HRKD" run "$tmp/identity.ini" > "$tmp/identity.log" 2>&1; check '[ $? -eq 0 ]' "identity-fit run"
"$HRKD" run "$tmp/random.ini" > "$tmp/random.log" 2>&1; check '[ $? -eq 0 ]' "random-fit run"
id=$(first_terms "$tmp/identity.h5" | sort -g | tail -n 1)
rn=$(first_terms "$tmp/random.h5" | sort -g | head -n 1)
check '[ "$(first_terms "$tmp/identity.h5" | wc -l)" -eq 9 ]' "9 layer terms read from the first step"
check 'awk -v x="$id" "BEGIN { exit !(x == 0) }"' "identity fit: largest first-step layer term is 0 (got $id)"
check 'awk -v x="$rn" "BEGIN { exit !(x > 1e-4) }"' "random fit: smallest first-step layer term > 1e-4 (got $rn)"
"$HRKD" run "$tmp/narrow.ini" > "$tmp/narrow.log" 2>&1; rc=$?
check '[ $rc -eq 2 ]' "identity fit with student width 16 != teacher 32 refused (rc $rc)"
check 'grep -q "narrow.ini: \[student\] fit_init = identity needs" "$tmp/narrow.log"' "message names the file and key ($(head -c 200 "$tmp/narrow.log"))"
check '[ ! -e "$tmp/narrow.h5" ]' "refused before a run file is written"
exit $fail
