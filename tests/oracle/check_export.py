#!/usr/bin/env python3
"""Developer check: a folder written by hrkd's export loads in transformers.

    python3 tests/oracle/check_export.py EXPORT_DIR

For every domain folder EXPORT_DIR/<domain>/ (the subfolders holding config.json): loads it with
AutoModelForSequenceClassification and AutoTokenizer, checks that every tensor of its
model.safetensors arrived unchanged, prints the label names (config id2label) and runs one
forward pass on a tokenized sentence. Exits non-zero on any mismatch. Needs torch, transformers
and safetensors (`make hf-venv`); tests/t_export_hf.sh runs the same load in the suite.
"""
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def main():
    root = sys.argv[1]
    folders = sorted(d for d in os.listdir(root) if os.path.exists(os.path.join(root, d, "config.json")))
    bad = 0
    for name in folders:
        d = os.path.join(root, name)
        model = AutoModelForSequenceClassification.from_pretrained(d).eval()
        tok = AutoTokenizer.from_pretrained(d)
        tensors = load_file(os.path.join(d, "model.safetensors"))
        state = model.state_dict()
        for key, t in tensors.items():
            if key not in state or not torch.equal(state[key], t):
                print("MISMATCH", name, key)
                bad += 1
        x = tok("a short sentence", return_tensors="pt")
        with torch.no_grad():
            logits = model(**x).logits
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        print(f"{name}: {len(tensors)} tensors, labels {labels}, logits {[round(v, 4) for v in logits[0].tolist()]}")
    if not folders:
        print(f"{root}: no domain folders")
    return 1 if bad or not folders else 0


if __name__ == "__main__":
    sys.exit(main())
