#!/usr/bin/env python3
"""Compare transformers' logits on an hrkd-exported student with hrkd's own.

    python3 tests/oracle/check_export_logits.py DIR LABELS DOMAIN...

DIR holds the export (one folder per domain, in the order of hrkd's heads) and hrkd_logits.fix
(HRKDFIX1) with input/ids, input/type (int32 [B, T]), input/mask (float [B, T]) and logits/<d>
(float [B, labels]) from hrkd for every domain head d. For each d the script loads DIR/DOMAIN_d
with BertForSequenceClassification and BertTokenizer, requires config.id2label to be LABELS
(comma-separated, in id order) and max|diff| / max|hrkd| <= 1e-4. Run by tests/test_export_logits.c.
"""
import os
import struct
import sys

import numpy as np
import torch
import transformers
from transformers import BertForSequenceClassification, BertTokenizer


def read_fix(path):
    out = {}
    with open(path, "rb") as f:
        assert f.read(8) == b"HRKDFIX1"
        (n,) = struct.unpack("<I", f.read(4))
        for _ in range(n):
            (ln,) = struct.unpack("<I", f.read(4))
            name = f.read(ln).decode()
            dt, nd = struct.unpack("<II", f.read(8))
            shape = struct.unpack("<%dq" % nd, f.read(8 * nd))
            count = int(np.prod(shape)) if nd else 1
            arr = np.frombuffer(f.read(4 * count), dtype=np.int32 if dt == 1 else np.float32)
            out[name] = arr.reshape(shape)
    return out


def main():
    d, labels, domains = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
    fx = read_fix(os.path.join(d, "hrkd_logits.fix"))
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    ids = torch.from_numpy(fx["input/ids"].astype(np.int64))
    typ = torch.from_numpy(fx["input/type"].astype(np.int64))
    mask = torch.from_numpy(fx["input/mask"].copy())
    worst, bad = 0.0, 0
    heads = sorted(k for k in fx if k.startswith("logits/"))
    for k in heads:
        h = int(k.split("/")[1])
        folder = os.path.join(d, domains[h])
        model = BertForSequenceClassification.from_pretrained(folder, attn_implementation="eager").eval()
        tok = BertTokenizer.from_pretrained(folder)
        got = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if got != labels or model.config.label2id != {n: i for i, n in enumerate(labels)}:
            print(f"{domains[h]}: id2label {got}, expected {labels}")
            bad += 1
        if tok.convert_tokens_to_ids("[CLS]") != 2:
            print(f"{domains[h]}: the tokenizer does not read vocab.txt")
            bad += 1
        with torch.no_grad():
            out = model(input_ids=ids, token_type_ids=typ, attention_mask=mask).logits.numpy()
        ref = fx[k]
        rel = float(np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30))
        worst = max(worst, rel)
        print(f"{domains[h]}: labels {got}, max relative difference {rel:.3g}")
    print(f"exported student: {len(heads)} domain folders, worst relative difference {worst:.3g}")
    return 0 if heads and worst <= 1e-4 and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
