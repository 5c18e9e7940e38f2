#!/usr/bin/env python3
"""Compare transformers' logits on an hrkd-exported student with hrkd's own.

    python3 tests/oracle/check_export_logits.py DIR

DIR holds the export (config.json, model.safetensors) and hrkd_logits.fix (HRKDFIX1) with
input/ids, input/type (int32 [B, T]), input/mask (float [B, T]) and logits/<d> (float
[B, labels]) from hrkd for every domain head d. For each d the script loads the folder with
BertForSequenceClassification, puts classifiers.{d}.* into model.classifier (the documented
way to pick a domain) and requires max|diff| / max|hrkd| <= 1e-4. Run by tests/test_export_logits.c.
"""
import os
import struct
import sys

import numpy as np
import torch
from safetensors.torch import load_file
from transformers import BertForSequenceClassification


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
    d = sys.argv[1]
    fx = read_fix(os.path.join(d, "hrkd_logits.fix"))
    torch.set_num_threads(1)
    model = BertForSequenceClassification.from_pretrained(d, attn_implementation="eager").eval()
    tensors = load_file(os.path.join(d, "model.safetensors"))
    ids = torch.from_numpy(fx["input/ids"].astype(np.int64))
    typ = torch.from_numpy(fx["input/type"].astype(np.int64))
    mask = torch.from_numpy(fx["input/mask"].copy())
    worst = 0.0
    heads = sorted(k for k in fx if k.startswith("logits/"))
    for k in heads:
        h = int(k.split("/")[1])
        with torch.no_grad():
            model.classifier.weight.copy_(tensors[f"classifiers.{h}.weight"])
            model.classifier.bias.copy_(tensors[f"classifiers.{h}.bias"])
            out = model(input_ids=ids, token_type_ids=typ, attention_mask=mask).logits.numpy()
        ref = fx[k]
        rel = float(np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30))
        worst = max(worst, rel)
        print(f"head {h}: max relative difference {rel:.3g}")
    print(f"exported student: {len(heads)} heads, worst relative difference {worst:.3g}")
    return 0 if heads and worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
