#!/usr/bin/env bash
# A distillation reads from the teacher run file exactly the weights it distils from: each
# domain's best_d<d> group, without the AdamW moments the file's /checkpoint holds, and no other
# group. Domains whose best_d<d> groups hold the same model saved at the same step share one
# copy (read once, the others compared bit for bit). Checked on the debug log lines of
# hrkd_run_load_checkpoint ("read /GROUP/MODEL") and hrkd_run_checkpoint_same ("compared").
source tests/common/lib.sh
command -v h5ls > /dev/null || { echo "skip: h5ls not found (hdf5-tools)"; exit 77; }
mk_teacher() { # name, sed expression
  sed -e "s|^\[output\]|[output]\nfile = $tmp/$1.h5|" -e "$2" tests/ini/tiny_teacher.ini > "$tmp/$1.ini"
  "$HRKD" run "$tmp/$1.ini" > "$tmp/$1.log" 2>&1 || { echo "FAILED: teacher run $1"; cat "$tmp/$1.log"; exit 1; }
}
mk_student() { # name, teacher file
  sed -e "s|^\[output\]|[output]\nfile = $tmp/$1.h5|" -e "s|^strategy = mtl|strategy = mtl\ncheckpoint = $2|" \
      tests/ini/tiny_distill.ini > "$tmp/$1.ini"
  HRKD_LOG=debug "$HRKD" run "$tmp/$1.ini" > "$tmp/$1.log" 2>&1
}
# one model per domain (strategy single): three models read
mk_teacher t "s|^strategy = mtl|strategy = single|"
# one model for all (mtl) evaluated once, at the last step: every best_d<d> holds it at the same step
mk_teacher once "s|^\[run\]|[run]\nval_every = 1000|"
check 'h5ls "$tmp/t.h5/checkpoint/teacher_0/adam_m" > /dev/null' "the teacher file holds AdamW moments in /checkpoint"
check 'h5ls "$tmp/t.h5/checkpoint/teacher_0" > /dev/null && h5ls "$tmp/t.h5/best_d0/teacher_0" > /dev/null' "and weights in /checkpoint and /best_d0"

for s in t once; do
  mk_student "s_$s" "$tmp/$s.h5"; check '[ $? -eq 0 ]' "distillation from $s.h5"
  grep -E "$tmp/$s.h5: (read|compared) /" "$tmp/s_$s.log" | sed "s|.*$tmp/$s.h5: ||" > "$tmp/reads_$s"
  check '[ "$(grep -c "" "$tmp/reads_$s")" -eq 3 ]' "$s.h5: three groups touched ($(tr '\n' ';' < "$tmp/reads_$s"))"
  for d in 0 1 2; do
    check '[ "$(grep -c "^\(read\|compared\) /best_d$d/teacher_[0-9]*: " "$tmp/reads_$s")" -eq 1 ]' "$s.h5: /best_d$d read or compared once"
  done
  check '! grep -q "AdamW moments" "$tmp/reads_$s"' "$s.h5: no AdamW moments read"
  check '! grep -v "^\(read\|compared\) /best_d[0-9]*/" "$tmp/reads_$s"' "$s.h5: no other group read (/checkpoint, /best)"
done
for d in 0 1 2; do
  check 'grep -q "^read /best_d$d/teacher_$d: " "$tmp/reads_t"' "t.h5: domain $d's own model read"
done
check 'grep -q "^read /best_d0/teacher_0: " "$tmp/reads_once"' "once.h5: the first domain's teacher read"
check '[ "$(grep -c "^compared /best_d[12]/teacher_0: the same values" "$tmp/reads_once")" -eq 2 ]' \
  "once.h5: the other two domains share it (compared bit for bit)"
exit $fail
