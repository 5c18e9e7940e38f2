#!/usr/bin/env python3
"""Developer check: a folder written by hrkd's export loads in transformers.

    python3 tests/oracle/check_export.py DIR [--domain NAME]

Loads DIR with BertForSequenceClassification and BertTokenizer, checks that every bert.* and
classifier.* tensor of DIR/model.safetensors arrived unchanged, that classifiers.{d}.* holds one
head per name in config.json "hrkd_domains", swaps in the head of --domain (as results/README.md
shows), and runs one forward pass. Exits non-zero on any mismatch. Needs torch, transformers and
safetensors; not part of `make test` (test_store_formats checks export -> import in C).
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import BertForSequenceClassification, BertTokenizer


def load_head(model, tensors, d):
    """Put classifiers.{d}.* into model.classifier (the documented way to pick a domain)."""
    with torch.no_grad():
        model.classifier.weight.copy_(tensors[f"classifiers.{d}.weight"])
        model.classifier.bias.copy_(tensors[f"classifiers.{d}.bias"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--domain", default=None)
    a = ap.parse_args()
    cfg = json.load(open(os.path.join(a.dir, "config.json")))
    domains = cfg.get("hrkd_domains", [])
    model = BertForSequenceClassification.from_pretrained(a.dir).eval()
    tensors = load_file(os.path.join(a.dir, "model.safetensors"))
    state = model.state_dict()
    bad = 0
    for name, t in tensors.items():
        if name.startswith("classifiers."):
            continue
        if name not in state or not torch.equal(state[name], t):
            print("MISMATCH", name)
            bad += 1
    for d in range(len(domains)):
        for p in ("weight", "bias"):
            if f"classifiers.{d}.{p}" not in tensors:
                print("MISSING HEAD", d, p)
                bad += 1
    if domains and not bad:
        d = domains.index(a.domain) if a.domain else len(domains) - 1
        load_head(model, tensors, d)
        if not torch.equal(model.classifier.weight, tensors[f"classifiers.{d}.weight"]):
            bad += 1
    ids = torch.tensor([[2, 7, 8, 9, 3]])
    if os.path.exists(os.path.join(a.dir, "vocab.txt")):
        tok = BertTokenizer(os.path.join(a.dir, "vocab.txt"))
        ids = torch.tensor([tok.convert_tokens_to_ids(["[CLS]", "w1", "w2", "[SEP]"])])
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    print(f"{a.dir}: {len(tensors)} tensors, {len(domains)} domain heads, logits {list(logits.shape)}, "
          f"{'OK' if bad == 0 else f'{bad} problems'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
