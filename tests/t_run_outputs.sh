#!/usr/bin/env bash
# A run guards its outputs: an existing run file (or the teacher file a distill INI writes
# first) is never replaced without --force; one process per run file (a lock held for the
# whole run, released when the process dies); no output may be an input of the same run;
# the checkpoint's temporary file cannot be redirected through a planted symlink; SIGINT /
# SIGTERM stop at the end of a step with a checkpoint and a resume hint; --resume refuses an
# INI whose configuration differs from the run's, except keys that cannot change results, and
# extends a run only with --extend. Exit codes as docs/cli.md says.
source tests/common/lib.sh

mk() { # out.h5 ini-out [sed expressions...]: the tiny teacher INI writing to out.h5
  local out=$1 ini=$2; shift 2
  sed -e "s|^\[output\]|[output]\nfile = $out|" "$@" tests/ini/tiny_teacher.ini > "$ini"
}
mkd() { # the tiny teacher-then-student INI writing to out.h5
  local out=$1 ini=$2; shift 2
  sed -e "s|^\[output\]|[output]\nfile = $out|" "$@" tests/ini/tiny_distill.ini > "$ini"
}
long=(-e 's/^epochs = 2/epochs = 40/')

# 1. an existing file is never replaced silently
echo "not a run file" > "$tmp/x.h5"
mk "$tmp/x.h5" "$tmp/x.ini"
"$HRKD" run "$tmp/x.ini" > "$tmp/x.log" 2>&1; rc=$?
check '[ $rc -eq 2 ]' "a foreign file at the run file's path: exit 2 (rc $rc)"
check 'grep -q "$tmp/x.h5" "$tmp/x.log" && grep -q -- "--force" "$tmp/x.log" && grep -q -- "--resume" "$tmp/x.log"' \
  "the refusal names the file, --resume and --force"
check '[ "$(cat "$tmp/x.h5")" = "not a run file" ]' "the foreign file is untouched"
"$HRKD" run "$tmp/x.ini" --force > "$tmp/xf.log" 2>&1; rc=$?
check '[ $rc -eq 0 ] && h5ls "$tmp/x.h5/checkpoint" > /dev/null 2>&1' "--force replaces it with the run (rc $rc)"
sum=$(md5sum < "$tmp/x.h5")
"$HRKD" run "$tmp/x.ini" > "$tmp/x2.log" 2>&1; rc=$?
check '[ $rc -eq 2 ] && grep -q "$tmp/x.h5" "$tmp/x2.log"' "a finished run of this INI: exit 2 naming it (rc $rc)"
check '[ "$(md5sum < "$tmp/x.h5")" = "$sum" ]' "the finished run file is unchanged"
mkd "$tmp/d.h5" "$tmp/d.ini"
echo "precious" > "$tmp/d_teacher.h5"
"$HRKD" run "$tmp/d.ini" > "$tmp/d.log" 2>&1; rc=$?
check '[ $rc -eq 2 ] && grep -q "$tmp/d_teacher.h5" "$tmp/d.log"' "the teacher file a distill INI writes first: exit 2 naming it (rc $rc)"
check '[ "$(cat "$tmp/d_teacher.h5")" = "precious" ] && [ ! -e "$tmp/d.h5" ]' "nothing written"

# 2. one process per run file: the second run meets the lock and names the holder
mk "$tmp/ref.h5" "$tmp/ref.ini" "${long[@]}"
"$HRKD" run "$tmp/ref.ini" > "$tmp/ref.log" 2>&1
check '[ $? -eq 0 ]' "undisturbed long run"
for trial in 1 2 3; do
  rm -f "$tmp/l.h5"
  mk "$tmp/l.h5" "$tmp/l.ini" "${long[@]}"
  "$HRKD" run "$tmp/l.ini" > "$tmp/l1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do [ -e "$tmp/l.h5.lock" ] && break; sleep 0.02; done
  "$HRKD" run "$tmp/l.ini" > "$tmp/l2.log" 2>&1; rc2=$?
  wait $pid; rc1=$?
  check '[ $rc1 -eq 0 ] && [ $rc2 -eq 2 ]' "trial $trial: the first run finishes, the second exits 2 (rc $rc1, $rc2)"
  check 'grep -q "pid $pid" "$tmp/l2.log"' "trial $trial: the refusal names the holder's pid $pid"
  check 'h5diff -q "$tmp/ref.h5" "$tmp/l.h5" /checkpoint /checkpoint && h5diff -q "$tmp/ref.h5" "$tmp/l.h5" /metrics /metrics' \
    "trial $trial: the surviving file equals an undisturbed run"
done
# a lock left by a dead process never blocks
mk "$tmp/k.h5" "$tmp/k.ini"
"$HRKD" run "$tmp/k.ini" --kill-after-step 5 > /dev/null 2>&1
"$HRKD" run "$tmp/k.ini" --resume > "$tmp/k.log" 2>&1; rc=$?
check '[ $rc -eq 0 ]' "a killed run's lock does not block its resume (rc $rc)"

# 3. no output may be an input of the same run
mkd "$tmp/same.h5" "$tmp/same.ini" -e "s|^\[teacher\]|[teacher]\ncheckpoint = $tmp/same.h5|"
"$HRKD" check "$tmp/same.ini" > "$tmp/same.log" 2>&1; rc=$?
check '[ $rc -eq 2 ] && grep -Eq "same.ini:[0-9]+: \[(output\] file|teacher\] checkpoint)" "$tmp/same.log"' \
  "check: the run file equal to [teacher] checkpoint (rc $rc)"
"$HRKD" run "$tmp/same.ini" > "$tmp/same_run.log" 2>&1; rc=$?
check '[ $rc -eq 2 ]' "run refuses it too (rc $rc)"
cp -r tests/fixtures/store/tiny_cls "$tmp/hf"
sum_hf=$(cat "$tmp"/hf/* | md5sum)
mkd "$tmp/e.h5" "$tmp/e.ini" -e "s|^\[teacher\]|[teacher]\ncheckpoint = $tmp/hf|" -e "s|^\[output\]|[output]\nexport_hf = $tmp/hf/student|"
"$HRKD" check "$tmp/e.ini" > "$tmp/e.log" 2>&1; rc=$?
check '[ $rc -eq 2 ] && grep -Eq "e.ini:[0-9]+: \[output\] export_hf" "$tmp/e.log"' "check: export_hf inside the teacher's folder (rc $rc)"
mkd "$tmp/e2.h5" "$tmp/e2.ini" -e "s|^\[teacher\]|[teacher]\ncheckpoint = $tmp/hf|" -e "s|^\[output\]|[output]\nexport_hf = $tmp/hf|"
"$HRKD" run "$tmp/e2.ini" > "$tmp/e2.log" 2>&1; rc=$?
check '[ $rc -eq 2 ] && [ "$(cat "$tmp"/hf/* | md5sum)" = "$sum_hf" ]' "run: export_hf onto the teacher's folder refused, the folder untouched (rc $rc)"
mkdir -p "$tmp/data"
printf 'text\tlabel\tdomain\nhello\t0\ta\n' > "$tmp/data/train.tsv"
cat > "$tmp/c.ini" <<EOF
[run]
name = c
mode = teacher
[data]
format = tsv
path = $tmp/data
vocab = $tmp/data/vocab.txt
cache_dir = $tmp/data
EOF
"$HRKD" check "$tmp/c.ini" > "$tmp/c.log" 2>&1; rc=$?
check '[ $rc -eq 2 ] && grep -Eq "c.ini:[0-9]+: \[data\] cache_dir" "$tmp/c.log"' "check: the token cache folder equal to the data folder (rc $rc)"

# 4. the checkpoint's temporary file is not followed through a planted symlink
echo "precious" > "$tmp/victim"
ln -s "$tmp/victim" "$tmp/s.h5.tmp"
mk "$tmp/s.h5" "$tmp/s.ini"
"$HRKD" run "$tmp/s.ini" > "$tmp/s.log" 2>&1; rc=$?
check '[ "$(cat "$tmp/victim")" = "precious" ]' "a symlink planted at FILE.h5.tmp: its target untouched (rc $rc)"
check '[ $rc -eq 0 ] && h5ls "$tmp/s.h5/checkpoint" > /dev/null 2>&1' "the run still writes its own file"

# 5. SIGINT / SIGTERM: stop at the end of a step, checkpoint, resume hint, 130 / 143
for sig in INT TERM; do
  want=$([ $sig = INT ] && echo 130 || echo 143)
  rm -f "$tmp/g.h5"
  mk "$tmp/g.h5" "$tmp/g.ini" "${long[@]}"
  "$HRKD" run "$tmp/g.ini" > "$tmp/g.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 500); do grep -q "step" "$tmp/g.log" && break; sleep 0.01; done
  kill -$sig $pid; wait $pid; rc=$?
  check '[ $rc -eq $want ]' "SIG$sig: exit $want (rc $rc)"
  check 'grep -Eq "interrupted at step [0-9]+; continue with: hrkd run .*g.ini --resume" "$tmp/g.log"' "SIG$sig: the resume hint"
  "$HRKD" run "$tmp/g.ini" --resume > "$tmp/gr.log" 2>&1; rc=$?
  check '[ $rc -eq 0 ] && h5diff -q "$tmp/ref.h5" "$tmp/g.h5" /checkpoint /checkpoint && h5diff -q "$tmp/ref.h5" "$tmp/g.h5" /metrics /metrics' \
    "SIG$sig: the resumed run equals an undisturbed one (rc $rc)"
done

# 6. --resume with an edited INI
mk "$tmp/r.h5" "$tmp/r.ini" "${long[@]}"
"$HRKD" run "$tmp/r.ini" --kill-after-step 10 > /dev/null 2>&1
sed -i 's/^lr = 2e-3/lr = 1e-3/' "$tmp/r.ini"
"$HRKD" run "$tmp/r.ini" --resume > "$tmp/r1.log" 2>&1; rc=$?
check '[ $rc -eq 2 ] && grep -q "\[teacher\] lr" "$tmp/r1.log"' "a changed [teacher] lr: refused, naming the key (rc $rc)"
sed -i 's/^lr = 1e-3/lr = 2e-3/; s/^threads = 1/threads = 2/' "$tmp/r.ini"
"$HRKD" run "$tmp/r.ini" --resume --kill-after-step 12 > "$tmp/r2.log" 2>&1; rc=$?
check '[ $rc -eq 137 ]' "a changed [backend] threads is allowed (rc $rc)"
sed -i 's/^threads = 2/threads = 1/; s/^epochs = 40/epochs = 44/' "$tmp/r.ini"
"$HRKD" run "$tmp/r.ini" --resume > "$tmp/r3.log" 2>&1; rc=$?
check '[ $rc -eq 2 ] && grep -q -- "--extend" "$tmp/r3.log"' "more epochs without --extend: refused, naming --extend (rc $rc)"
"$HRKD" run "$tmp/r.ini" --resume --extend > "$tmp/r4.log" 2>&1; rc=$?
check '[ $rc -eq 0 ]' "more epochs with --extend (rc $rc)"
check 'h5dump -a /config "$tmp/r.h5" 2>/dev/null | grep -q "epochs = 44" || h5dump -d /config "$tmp/r.h5" 2>/dev/null | grep -q "epochs = 44"' \
  "the run file records the new configuration"
exit $fail
