#!/usr/bin/env bash
# `hrkd prune`: a finished teacher → HRKD-student pipeline loses /checkpoint from both run files
# (smaller files; best groups, logs and test accuracies unchanged; the pruned step recorded);
# `hrkd run --resume` then takes both phases as done and changes neither file; --extend of a
# pruned file is refused rather than started over; an unfinished run, a run file in use, a
# missing file and a second prune are each answered as docs/cli.md says; `hrkd eval` and
# `hrkd case` still run on a pruned HRKD student with trained relational modules.
source tests/common/lib.sh
# (relational modules trained, so that /checkpoint alone holds their trained weights)
sed -e "s|^\[output\]|[output]\nfile = $tmp/d.h5|" -e 's|^\[relational.gat\]|[relational]\ntrainable = true\n[relational.gat]|' \
  tests/ini/tiny_distill.ini > "$tmp/d.ini"
"$HRKD" run "$tmp/d.ini" > "$tmp/d.log" 2>&1
check '[ $? -eq 0 ] && [ -f "$tmp/d.h5" ] && [ -f "$tmp/d_teacher.h5" ]' "the pipeline finishes"
"$HRKD" inspect "$tmp/d.h5" > "$tmp/i0.txt" 2>&1
"$HRKD" inspect "$tmp/d_teacher.h5" > "$tmp/t0.txt" 2>&1
s0=$(stat -c %s "$tmp/d.h5"); t0=$(stat -c %s "$tmp/d_teacher.h5")
h5dump -d /best/params/student/embeddings.word_embeddings.weight "$tmp/d.h5" > "$tmp/b0.txt" 2>/dev/null

"$HRKD" prune "$tmp/d.h5" "$tmp/d_teacher.h5" --dry-run > "$tmp/dry.txt" 2>&1
check '[ $? -eq 0 ] && [ $(grep -c "would drop /checkpoint" "$tmp/dry.txt") -eq 2 ] && [ $(stat -c %s "$tmp/d.h5") -eq $s0 ]' \
  "--dry-run names both files and changes nothing"
"$HRKD" prune "$tmp/d.h5" "$tmp/d_teacher.h5" > "$tmp/p.txt" 2>&1
rc=$?; cat "$tmp/p.txt"
check '[ $rc -eq 0 ] && [ $(grep -c "dropped /checkpoint (step 12)" "$tmp/p.txt") -eq 2 ]' "prune drops /checkpoint of step 12 from both (rc $rc)"
s1=$(stat -c %s "$tmp/d.h5"); t1=$(stat -c %s "$tmp/d_teacher.h5")
check '[ $s1 -lt $s0 ] && [ $t1 -lt $t0 ]' "both files shrink (student $s0 -> $s1, teacher $t0 -> $t1 bytes)"
check '! h5ls "$tmp/d.h5/checkpoint" >/dev/null 2>&1 && h5ls "$tmp/d.h5/best" >/dev/null 2>&1 && h5ls "$tmp/d_teacher.h5/best_d2" >/dev/null 2>&1' \
  "/checkpoint gone, /best and /best_d2 kept"
h5dump -d /best/params/student/embeddings.word_embeddings.weight "$tmp/d.h5" > "$tmp/b1.txt" 2>/dev/null
check '[ -s "$tmp/b0.txt" ] && diff -q <(sed 1d "$tmp/b0.txt") <(sed 1d "$tmp/b1.txt") >/dev/null' "the best student's weights are unchanged"
check 'h5dump -a /pruned_checkpoint_step "$tmp/d.h5" | grep -q "(0): 12"' "root attribute pruned_checkpoint_step = 12"
"$HRKD" inspect "$tmp/d.h5" > "$tmp/i1.txt" 2>&1
check 'diff <(grep -E "^(dev|test) " "$tmp/i0.txt") <(grep -E "^(dev|test) " "$tmp/i1.txt") && grep -q "dropped by hrkd prune" "$tmp/i1.txt"' \
  "inspect: the same dev and test accuracies, and says the file was pruned"

"$HRKD" eval "$tmp/d.ini" "$tmp/d.h5" --split test > "$tmp/eval.txt" 2>&1
check '[ $? -eq 0 ] && [ "$(grep average "$tmp/eval.txt")" = "$(grep -A6 "student test accuracy" "$tmp/d.log" | grep average)" ]' \
  "hrkd eval of the pruned student reproduces its test accuracy"
cp "$tmp/d.h5" "$tmp/d.keep"; cp "$tmp/d_teacher.h5" "$tmp/t.keep"
"$HRKD" run "$tmp/d.ini" --resume > "$tmp/r.log" 2>&1
rc=$?
check '[ $rc -eq 0 ] && grep -q "^teacher: .*pruned (hrkd prune): not trained again" "$tmp/r.log" && grep -q "^student: .*not trained again" "$tmp/r.log"' \
  "--resume of the pruned pipeline: both phases done (rc $rc)"
check 'cmp -s "$tmp/d.h5" "$tmp/d.keep" && cmp -s "$tmp/d_teacher.h5" "$tmp/t.keep"' "... and neither file changed"
avg=$(grep -A6 "student test accuracy" "$tmp/d.log" | awk '/average/ { print $2 }')
check '[ -n "$avg" ] && grep -q "^student: .*(test average $avg)" "$tmp/r.log"' "... and the student's line gives its test average ($avg)"
sed 's/^epochs = 2/epochs = 3/' "$tmp/d.ini" > "$tmp/e.ini"
"$HRKD" run "$tmp/e.ini" --resume --extend > "$tmp/e.log" 2>&1
rc=$?
check '[ $rc -eq 2 ] && grep -q "pruned (hrkd prune dropped its /checkpoint), so it cannot be resumed or extended; --force" "$tmp/e.log" && cmp -s "$tmp/d_teacher.h5" "$tmp/t.keep"' \
  "--extend of a pruned file is refused, the file kept (rc $rc)"

# a run stopped before its end keeps its checkpoint
sed "s|^\[output\]|[output]\nfile = $tmp/k.h5|" tests/ini/tiny_teacher.ini > "$tmp/k.ini"
{ "$HRKD" run "$tmp/k.ini" --kill-after-step 6 > /dev/null 2>&1; } 2>/dev/null
k0=$(stat -c %s "$tmp/k.h5")
"$HRKD" prune "$tmp/k.h5" > "$tmp/k.txt" 2>&1
rc=$?
check '[ $rc -eq 2 ] && grep -q "has not finished (resume step 4)" "$tmp/k.txt" && [ $(stat -c %s "$tmp/k.h5") -eq $k0 ]' \
  "an unfinished run is refused and kept (rc $rc)"
"$HRKD" prune "$tmp/d.h5" > "$tmp/again.txt" 2>&1
check '[ $? -eq 0 ] && grep -q "already pruned (its /checkpoint of step 12)" "$tmp/again.txt"' "a second prune says so, exit 0"
"$HRKD" prune "$tmp/none.h5" > "$tmp/none.txt" 2>&1
check '[ $? -eq 2 ] && grep -q "none.h5: not a file" "$tmp/none.txt" && [ ! -e "$tmp/none.h5.lock" ]' "a missing file: exit 2, no lock file left"
# a file another process holds (its run lock) is refused
"$HRKD" run "$tmp/k.ini" --resume > /dev/null 2>&1  # finish k.h5
( flock -x 9; sleep 5 ) 9> "$tmp/k.h5.lock" &
sleep 0.5
"$HRKD" prune "$tmp/k.h5" > "$tmp/busy.txt" 2>&1
rc=$?
wait
check '[ $rc -eq 2 ] && h5ls "$tmp/k.h5/checkpoint" >/dev/null 2>&1' "a run file in use is refused and kept (rc $rc)"

# a case study needs no /checkpoint: /best holds the trained relational modules too
"$HRKD" case "$tmp/d.ini" "$tmp/d.h5" > "$tmp/case.txt" 2>&1
rc=$?
check '[ $rc -eq 0 ] && grep -q "relational weights from best;" "$tmp/case.txt"' "hrkd case on a pruned HRKD student (rc $rc)"
exit $fail
