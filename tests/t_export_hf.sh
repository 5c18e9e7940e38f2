#!/usr/bin/env bash
# A tiny teacher and student on synthetic data, exported with [output] export_hf: both run files
# record the label names; the export is one Hugging Face folder per domain (config.json with
# id2label/label2id from the label names and hrkd_domain, model.safetensors with that domain's
# head as classifier.*, vocab.txt, tokenizer_config.json) and a README.md naming the folders.
# Where a python with torch and transformers is found (scripts/hf_python.sh; `make hf-venv`),
# every folder is loaded back with AutoModelForSequenceClassification and AutoTokenizer;
# otherwise that part alone is skipped, saying so.
source tests/common/lib.sh

sed -e "s|^\[output\]|[output]\nfile = $tmp/d.h5\nexport_hf = $tmp/export|" tests/ini/tiny_distill.ini > "$tmp/d.ini"
"$HRKD" run "$tmp/d.ini" > "$tmp/run.log" 2>&1; rc=$?
check '[ $rc -eq 0 ]' "tiny teacher and student with export_hf (rc $rc)"
[ $rc -eq 0 ] || { cat "$tmp/run.log"; exit 1; }
for f in d_teacher.h5 d.h5; do
  "$HRKD" inspect "$tmp/$f" > "$tmp/$f.txt" 2>&1
  check 'grep -q "^labels: *0 negative, 1 positive$" "$tmp/$f.txt"' "$f records the label names"
done
domains=(domain0 domain1 domain2)
check '[ "$(ls "$tmp/export" | tr "\n" " ")" = "README.md domain0 domain1 domain2 " ]' "one folder per domain and a README.md"
for d in "${domains[@]}"; do
  check 'grep -q "^- \`$d/\`" "$tmp/export/README.md"' "README.md names $d/"
  for f in config.json model.safetensors vocab.txt tokenizer_config.json; do
    check '[ -s "$tmp/export/$d/$f" ]' "$d/$f"
  done
  check 'grep -q "\"id2label\": {\"0\": \"negative\", \"1\": \"positive\"}" "$tmp/export/$d/config.json" &&
         grep -q "\"label2id\": {\"negative\": 0, \"positive\": 1}" "$tmp/export/$d/config.json" &&
         grep -q "\"hrkd_domain\": \"$d\"" "$tmp/export/$d/config.json"' "$d/config.json: labels and domain"
  check '[ "$(wc -l < "$tmp/export/$d/vocab.txt")" -eq 120 ] && [ "$(sed -n 3p "$tmp/export/$d/vocab.txt")" = "[CLS]" ]' \
    "$d/vocab.txt: the synthetic vocabulary, 120 tokens"
done

if py=$(bash scripts/hf_python.sh); then
  cat > "$tmp/load.py" <<'PY'
import json, sys, torch, transformers
from transformers import AutoModelForSequenceClassification, AutoTokenizer
root, domains = sys.argv[1], sys.argv[2:]
print(f"torch {torch.__version__}, transformers {transformers.__version__}")
heads = []
for d in domains:
    m = AutoModelForSequenceClassification.from_pretrained(f"{root}/{d}").eval()
    t = AutoTokenizer.from_pretrained(f"{root}/{d}")
    labels = [m.config.id2label[i] for i in range(m.config.num_labels)]
    x = t("w5 w9 w40", return_tensors="pt")
    assert x["input_ids"][0].tolist() == [2, 5, 9, 40, 3], x["input_ids"]
    with torch.no_grad():
        logits = m(**x).logits
    heads.append(m.classifier.weight.clone())
    print(d, labels, [round(v, 4) for v in logits[0].tolist()])
    assert labels == ["negative", "positive"], labels
assert all(not torch.equal(heads[0], h) for h in heads[1:]), "the domains' heads are all the same"
PY
  "$py" "$tmp/load.py" "$tmp/export" "${domains[@]}" > "$tmp/load.log" 2>&1; rc=$?
  cat "$tmp/load.log" | grep -v Warning
  check '[ $rc -eq 0 ]' "every folder loads in transformers with its labels and own head (rc $rc)"
else
  echo "note: transformers part skipped: no python with torch, transformers and safetensors (make hf-venv)"
fi
exit $fail
