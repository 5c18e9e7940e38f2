#!/usr/bin/env bash
# Own data with foreign column names: a sentence-pair dataset laid out as GLUE writes it
# (sentence1, sentence2, gold_label, genre; three labels, five domains) is read through
# [data] columns with a fixed label order ([data] labels); a tiny teacher and student train on
# it; both run files record the label names in that order; the export holds one Hugging Face
# folder per genre whose config.json carries them, loaded back in transformers where a python
# with torch and transformers is found (scripts/hf_python.sh; otherwise that part is skipped);
# `hrkd case --examples` runs the student on pairs of one's own.
source tests/common/lib.sh

genres=(fiction government slate telephone travel)
labels=(entailment neutral contradiction)
words=(the a man woman dog cat sees walks runs park city house red blue big small)
mkdir -p "$tmp/data"
{ printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n'; printf '%s\n' "${words[@]}"; } > "$tmp/vocab.txt"
for split in train dev test; do
  n=$([ $split = train ] && echo 40 || echo 8)
  { printf 'pairID\tgenre\tsentence1\tsentence2\tgold_label\n'
    for g in $(seq 0 4); do for i in $(seq 1 $n); do
      l=$(( (i + g) % 3 ))
      printf '%s%d\t%s\tthe %s %s\t%s %s the %s\t%s\n' "$split" "$i" "${genres[$g]}" "${words[$((2 + i % 4))]}" \
        "${words[$((6 + l))]}" "${words[$((12 + l))]}" "${words[$((2 + (i + l) % 4))]}" "${words[$((9 + g % 3))]}" "${labels[$l]}"
    done; done; } > "$tmp/data/$split.tsv"
done
sed -e "s|^format = synthetic|format = tsv\npath = $tmp/data\nvocab = $tmp/vocab.txt\ncolumns = text:sentence1, text_b:sentence2, label:gold_label, domain:genre\nlabels = entailment, neutral, contradiction|" \
    -e '/^synthetic_/d' -e "s|^\[output\]|[output]\nfile = $tmp/p.h5\nexport_hf = $tmp/export|" \
    tests/ini/tiny_distill.ini > "$tmp/p.ini"
"$HRKD" check "$tmp/p.ini" > "$tmp/check.log" 2>&1
check '[ $? -eq 0 ]' "hrkd check accepts the mapped columns"
"$HRKD" run "$tmp/p.ini" > "$tmp/run.log" 2>&1; rc=$?
check '[ $rc -eq 0 ]' "tiny teacher and student on the pair data (rc $rc)"
[ $rc -eq 0 ] || { tail -20 "$tmp/run.log"; exit 1; }
check 'grep -q "5 domains" "$tmp/run.log"' "five genres read as domains"
for f in p_teacher.h5 p.h5; do
  "$HRKD" inspect "$tmp/$f" > "$tmp/$f.txt" 2>&1
  check 'grep -q "^labels: *0 entailment, 1 neutral, 2 contradiction$" "$tmp/$f.txt"' "$f records the label names in the given order"
done
check '[ "$(ls "$tmp/export" | tr "\n" " ")" = "README.md fiction government slate telephone travel " ]' "one export folder per genre"
# hrkd case --examples: pairs of one's own, one per genre (labels by a unique start), tokenized
# with the INI's vocabulary; the case file keeps the texts, "a [SEP] b", and the label names
{ printf 'domain\tlabel\ttext\ttext_b\n'
  for g in "${genres[@]}"; do printf '%s\tneu\tthe man sees the dog\ta cat walks in the park\n' "$g"; done; } > "$tmp/cases.tsv"
check '"$HRKD" case "$tmp/p.ini" "$tmp/p.h5" --examples "$tmp/cases.tsv" --out "$tmp/case.h5" > "$tmp/case.log" 2>&1' \
      "hrkd case --examples on the pair data"
check 'grep -q "^  travel  *neutral  *[a-z]" "$tmp/case.log" && grep -q "the man sees the dog \[SEP\] a cat walks in the park" "$tmp/case.log"' \
      "each genre's example, its label and its pair in the table"
if command -v h5dump > /dev/null; then
  check '[ "$(h5dump -y -w 0 -d /examples/row "$tmp/case.h5" | grep -o -- "-1" | wc -l)" = 5 ]' "texts from the file have no row (-1)"
else echo "skip: the case file's rows (h5dump, from hdf5-tools, not installed)"; fi
printf 'travel\tmaybe\tthe man\n' > "$tmp/bad.tsv"
check '! "$HRKD" case "$tmp/p.ini" "$tmp/p.h5" --examples "$tmp/bad.tsv" > "$tmp/bad.log" 2>&1 && grep -q "bad.tsv:1: .maybe. is not a label" "$tmp/bad.log"' \
      "an unknown label is refused at FILE:LINE"
for g in "${genres[@]}"; do
  check 'grep -q "\"id2label\": {\"0\": \"entailment\", \"1\": \"neutral\", \"2\": \"contradiction\"}" "$tmp/export/$g/config.json"' \
    "$g/config.json: id2label"
done
if py=$(bash scripts/hf_python.sh); then
  "$py" - "$tmp/export" "${genres[@]}" > "$tmp/load.log" 2>&1 <<'PY'
import sys, torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
root, genres = sys.argv[1], sys.argv[2:]
for g in genres:
    m = AutoModelForSequenceClassification.from_pretrained(f"{root}/{g}").eval()
    t = AutoTokenizer.from_pretrained(f"{root}/{g}")
    x = t("the man sees", "a dog walks the park", return_tensors="pt")
    with torch.no_grad():
        logits = m(**x).logits
    labels = [m.config.id2label[i] for i in range(m.config.num_labels)]
    assert labels == ["entailment", "neutral", "contradiction"], labels
    assert logits.shape == (1, 3), logits.shape
    print(g, labels, [round(v, 4) for v in logits[0].tolist()])
PY
  rc=$?
  grep -v Warning "$tmp/load.log"
  check '[ $rc -eq 0 ]' "every genre's folder loads in transformers with the three labels (rc $rc)"
else
  echo "note: transformers part skipped: no python with torch, transformers and safetensors (make hf-venv)"
fi
exit $fail
