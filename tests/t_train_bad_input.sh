#!/usr/bin/env bash
# Distillation refuses bad set-ups before training starts, naming the file and the key:
# a plugin of the wrong kind, a teacher checkpoint whose shapes do not fit [teacher], and data
# with a domain the teacher was not trained on; a real dataset with no vocabulary to read it.
set -u
B=${HRKD_BUILD:-build}
HRKD="$B/bin/hrkd"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # name, expected exit, stderr pattern, ini
  "$HRKD" run "$4" > "$tmp/out" 2> "$tmp/err"; rc=$?
  if [ $rc -ne "$2" ] || ! grep -q -- "$3" "$tmp/err" || grep -q "step 1/" "$tmp/err"; then
    echo "FAILED: $1 (exit $rc)"; cat "$tmp/err"; fail=1
  fi
}
# a teacher on 3 synthetic domains
sed "s|^\[output\]|[output]\nfile = $tmp/t.h5|" tests/ini/tiny_teacher.ini > "$tmp/t.ini"
"$HRKD" run "$tmp/t.ini" > /dev/null 2>&1 || { echo "FAILED: teacher run"; exit 1; }
mk() { # file, extra sed expressions...
  local f=$1; shift
  sed -e "s|^\[output\]|[output]\nfile = $tmp/s.h5|" -e "s|^strategy = mtl|strategy = mtl\ncheckpoint = $tmp/t.h5|" "$@" tests/ini/tiny_distill.ini > "$f"
}
mk "$tmp/kind.ini" -e "s|^relational = true||" -e 's|^\[relational.gat\]|[relational]\ngraph = tinybert\n\n[relational.gat]|'
expect "plugin of the wrong kind" 2 "\[relational\] graph: plugin 'tinybert' is of kind loss, expected relational.graph" "$tmp/kind.ini"
mk "$tmp/shape.ini" -e "0,/^hidden = 32/s//hidden = 48/"
expect "teacher checkpoint of another shape" 2 "shape.ini: \[teacher\] checkpoint: $tmp/t.h5: best_d0/teacher_0/embeddings.word_embeddings.weight: dimensions do not match" "$tmp/shape.ini"
mk "$tmp/dom.ini" -e "s/^synthetic_domains = 3/synthetic_domains = 4/"
expect "a domain the teacher lacks" 2 "dom.ini: \[teacher\] checkpoint $tmp/t.h5 was trained on 3 domains, the data has 4" "$tmp/dom.ini"
# a real-data format with [data] vocab empty and no Hugging Face folder to take vocab.txt from
printf 'text\tlabel\ngood\tpos\nbad\tneg\n' > "$tmp/d.tsv"
mk "$tmp/vocab.ini" -e "s|^format = synthetic|format = tsv\npath = $tmp/d.tsv|"
expect "no vocabulary" 2 "vocab.ini: \[data\] vocab is empty and neither \[teacher\] nor \[student\] checkpoint is a folder holding vocab.txt" "$tmp/vocab.ini"
# ... and with a Hugging Face folder as [teacher] checkpoint, its vocab.txt is taken: the run
# gets past the data (the folder holds no weights, which is the next thing refused)
mkdir -p "$tmp/hf"; printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ngood\nbad\n' > "$tmp/hf/vocab.txt"
sed -e "s|^checkpoint = $tmp/t.h5|checkpoint = $tmp/hf|" "$tmp/vocab.ini" > "$tmp/vocab2.ini"
"$HRKD" run "$tmp/vocab2.ini" > "$tmp/out" 2> "$tmp/err"
if grep -q "vocab is empty\|cannot open vocab" "$tmp/err" || ! grep -q "$tmp/hf" "$tmp/err"; then
  echo "FAILED: vocab.txt of the teacher folder not used"; cat "$tmp/err"; fail=1
fi
exit $fail
