#!/usr/bin/env bash
# hrkd check reports every input that does not exist or has the wrong type — the data folder
# or file, the vocab, the teacher / student checkpoint — as a warning at its INI line with a
# pointer to docs/data.md (exit 0: inputs may not exist yet), and as an error with --inputs
# (exit 2). A missing vocab for tsv names [data] vocab in run, data stats and check alike. A
# run whose output folder does not exist yet creates it (its lock file first).
source tests/common/lib.sh
mkdir -p "$tmp/d"
printf 'text\tlabel\nhi there\ta\nho\tb\n' > "$tmp/d/train.tsv"
cp "$tmp/d/train.tsv" "$tmp/d/test.tsv"
mkdir -p "$tmp/not_a_vocab"
cat > "$tmp/a.ini" <<X
[run]
name = a
mode = distill
[data]
format = tsv
path = $tmp/no_such_data
vocab = $tmp/not_a_vocab
[teacher]
checkpoint = $tmp/teacher_not_yet.h5
[output]
dir = $tmp/out
X
"$HRKD" check "$tmp/a.ini" > "$tmp/w.out" 2> "$tmp/w.err"; rc=$?
check '[ $rc -eq 0 ] && grep -q "a.ini: ok" "$tmp/w.out"' "check: missing inputs are warnings, exit 0 (rc $rc)"
check 'grep -q "a.ini:6: \[data\] path: warning: .*no_such_data does not exist.*docs/data.md" "$tmp/w.err"' "the data path, at its line"
check 'grep -q "a.ini:7: \[data\] vocab: warning: .*not_a_vocab is not a regular file" "$tmp/w.err"' "a folder given as vocab"
check 'grep -q "a.ini:9: \[teacher\] checkpoint: warning: .*teacher_not_yet.h5 does not exist" "$tmp/w.err"' "the teacher checkpoint"
"$HRKD" check --inputs "$tmp/a.ini" > /dev/null 2> "$tmp/e.err"; rc=$?
check '[ $rc -eq 2 ] && [ "$(grep -c "warning" "$tmp/e.err")" -eq 0 ] && [ "$(grep -c "docs/data.md" "$tmp/e.err")" -eq 3 ]' \
  "check --inputs: the same three as errors, exit 2 (rc $rc)"
sed -i -e "s|^path = .*|path = $tmp/d|" -e '/^vocab = /d' -e '/^checkpoint = /d' -e 's/^mode = distill/mode = teacher/' "$tmp/a.ini"
"$HRKD" check "$tmp/a.ini" > /dev/null 2> "$tmp/v.err"
check 'grep -q "\[data\] vocab: warning: no vocabulary: set \[data\] vocab" "$tmp/v.err"' "check: no vocab for tsv names [data] vocab"
"$HRKD" data stats "$tmp/a.ini" > /dev/null 2> "$tmp/s.err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "\[data\] vocab is empty .*set \[data\] vocab" "$tmp/s.err"' "data stats: the same (rc $rc)"
"$HRKD" run "$tmp/a.ini" > /dev/null 2> "$tmp/r.err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "\[data\] vocab is empty .*set \[data\] vocab" "$tmp/r.err" && [ ! -e "$tmp/out/a.h5" ]' \
  "run: the same, before any training (rc $rc)"
check '[ ! -e "$tmp/out/a.h5.lock" ]' "no lock file left behind"
# a run into a folder that does not exist yet
sed -e "s|^\[output\]|[output]\nfile = $tmp/new/deeper/t.h5|" tests/ini/tiny_teacher.ini > "$tmp/t.ini"
"$HRKD" run "$tmp/t.ini" > /dev/null 2>&1; rc=$?
check '[ $rc -eq 0 ] && [ -f "$tmp/new/deeper/t.h5" ]' "run creates a missing output folder (rc $rc)"
exit $fail
