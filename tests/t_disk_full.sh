#!/usr/bin/env bash
# A run whose run file stops fitting part-way (here a file size limit, `ulimit -f`, standing in
# for a full disk) stops with exit status 1 and a message naming the file and the reason,
# leaves the last complete run file readable and no PATH.tmp behind, and can then be finished
# with --resume, ending exactly where an uninterrupted run ends. (Before host/store/runfile_write.c checked the room first, HDF5 1.10 turned such a
# failure into a segfault, in H5Ocopy or in its exit cleanup.)
source tests/common/lib.sh
sed "s|^\[output\]|[output]\nfile = $tmp/t.h5|" tests/ini/tiny_teacher.ini > "$tmp/t.ini"
"$HRKD" run "$tmp/t.ini" > "$tmp/ref.log" 2>&1 || { echo "FAILED: unlimited reference run"; cat "$tmp/ref.log"; exit 1; }
full=$(stat -c %s "$tmp/t.h5"); mv "$tmp/t.h5" "$tmp/ref.h5"
# SIGXFSZ ignored: a write over the limit fails with EFBIG, as one on a full disk fails with
# ENOSPC. The limit (KiB) is raised from the finished file's size until the run gets as far as
# its first /checkpoint and is then stopped by a later, larger rewrite.
cut() { rm -f "$tmp/t.h5" "$tmp/t.h5.tmp"; (ulimit -f "$1"; trap '' XFSZ; exec "$HRKD" run "$tmp/t.ini") > "$tmp/cut.log" 2>&1; }
lim=$(( full / 1024 )); rc=0
while [ $lim -lt $(( full * 4 / 1024 )) ]; do
  cut $lim; rc=$?
  [ $rc -ne 0 ] && h5dump -H "$tmp/t.h5" 2>/dev/null | grep -q 'GROUP "checkpoint"' && break
  lim=$(( lim * 11 / 10 ))
done
echo "limit $lim KiB (finished file $full bytes)"
check '[ $rc -eq 1 ]' "a run-file rewrite that does not fit exits with status 1, not a crash (rc $rc)"
check 'grep -q "t.h5.tmp: cannot rewrite the run file: it needs about [0-9.]* MB, over the file size limit" "$tmp/cut.log"' \
  "the message names the file and the reason ($(tail -n 1 "$tmp/cut.log" | head -c 300))"
check 'grep -q "t.h5 is unchanged (the last complete write); [0-9]* MB free there" "$tmp/cut.log"' \
  "the message says the run file itself is unchanged and how much room is left"
check '[ ! -e "$tmp/t.h5.tmp" ]' "no half-written t.h5.tmp left behind"
check '"$HRKD" inspect "$tmp/t.h5" > "$tmp/inspect.log" 2>&1' "the last complete run file reads back"
"$HRKD" run "$tmp/t.ini" --resume > "$tmp/resume.log" 2>&1
rc=$?
check '[ $rc -eq 0 ]' "--resume finishes the run once there is room (rc $rc)"
check 'grep -q "resumed at step" "$tmp/resume.log"' "it resumed from a checkpoint, not from scratch"
check 'h5dump -H "$tmp/t.h5" | grep -q "GROUP \"test\""' "the resumed run reached its final test"
check 'h5diff -q "$tmp/ref.h5" "$tmp/t.h5" /metrics /metrics' "its dev and test metrics equal an uninterrupted run's, bit for bit"
check 'h5diff -q "$tmp/ref.h5" "$tmp/t.h5" /checkpoint /checkpoint' "so do its final parameters and moments"
exit $fail
