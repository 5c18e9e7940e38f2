#!/usr/bin/env python3
"""Write the fixtures of tests/test_store_*.c into tests/fixtures/store/.

A tiny randomly initialised BERT (2 layers, hidden 8) saved the ways real checkpoints come:
  tiny_cls/             config.json, vocab.txt, model.safetensors of BertForSequenceClassification
                        (bert.* names, classifier.*, f32)
  tiny_cls_bin/         the same state dict as pytorch_model.bin (torch.save zip)
  tiny_model_f16.safetensors, tiny_model_bf16.safetensors   BertModel names, f16 / bf16
  tiny_model_f16.bin    BertModel state dict in f16 via torch.save
  tinybert_general.safetensors  BertModel names + TinyBERT's single fit_dense + cls.* heads
  bad_global.bin        a zip whose data.pkl names the global os.system
  bad_opcode.bin        a zip whose data.pkl uses EMPTY_LIST (an opcode a state dict never has)
  expected.fix          HRKDFIX1: "f32/<name>", "f16/<name>", "bf16/<name>" = the float32 values
                        each file must convert to (f16/bf16 values widened by torch: exact)
Not generated here: h5_libhdf5_crash.h5, a run file mutated by tests/fuzz/fuzz_h5.c on which
libhdf5 1.10 reads freed memory (kept as a regression input for test_store_runfile).
Run from anywhere: python3 tests/oracle/make_store_fixtures.py (needs torch, transformers,
safetensors; deterministic). Weights are random: nothing pretrained is committed.
"""
import io
import json
import os
import struct
import zipfile

import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertForSequenceClassification

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "store")


def write_fix(path, records):
    with open(path, "wb") as f:
        f.write(b"HRKDFIX1")
        f.write(struct.pack("<I", len(records)))
        for name, t in records:
            t = t.detach().contiguous()
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)) + nb)
            is_int = t.dtype in (torch.int32, torch.int64)
            f.write(struct.pack("<II", 1 if is_int else 0, t.dim()))
            for s in t.shape:
                f.write(struct.pack("<q", s))
            arr = t.to(torch.int32 if is_int else torch.float32).numpy()
            f.write(arr.tobytes())


def bad_zip(path, pkl):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("bad/data.pkl", pkl)
        z.writestr("bad/byteorder", "little")
        z.writestr("bad/version", "3\n")


def main():
    torch.manual_seed(1234)
    os.makedirs(os.path.join(ROOT, "tiny_cls"), exist_ok=True)
    os.makedirs(os.path.join(ROOT, "tiny_cls_bin"), exist_ok=True)
    cfg = BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=16, max_position_embeddings=16, type_vocab_size=2,
                     num_labels=3, hidden_act="gelu", layer_norm_eps=1e-12)
    model = BertForSequenceClassification(cfg).eval()
    with torch.no_grad():  # non-trivial biases and LayerNorm parameters
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    sd = {k: v.contiguous() for k, v in model.state_dict().items() if "position_ids" not in k}
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(25)]
    for d in ("tiny_cls", "tiny_cls_bin"):
        cfg.to_json_file(os.path.join(ROOT, d, "config.json"))
        with open(os.path.join(ROOT, d, "vocab.txt"), "w") as f:
            f.write("\n".join(vocab) + "\n")
    save_file(sd, os.path.join(ROOT, "tiny_cls", "model.safetensors"), metadata={"format": "pt"})
    torch.save(sd, os.path.join(ROOT, "tiny_cls_bin", "pytorch_model.bin"))

    bare = {k[len("bert."):]: v for k, v in sd.items() if k.startswith("bert.")}
    save_file({k: v.half() for k, v in bare.items()}, os.path.join(ROOT, "tiny_model_f16.safetensors"))
    save_file({k: v.bfloat16() for k, v in bare.items()}, os.path.join(ROOT, "tiny_model_bf16.safetensors"))
    torch.save({k: v.half() for k, v in bare.items()}, os.path.join(ROOT, "tiny_model_f16.bin"))

    general = dict(bare)
    general["fit_dense.weight"] = torch.randn(12, 8)
    general["fit_dense.bias"] = torch.randn(12)
    general["cls.predictions.bias"] = torch.randn(30)
    save_file(general, os.path.join(ROOT, "tinybert_general.safetensors"))

    # os.system("ls") spelled as a pickle, never loaded by anyone
    bad_zip(os.path.join(ROOT, "bad_global.bin"),
            b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.")
    bad_zip(os.path.join(ROOT, "bad_opcode.bin"), b"\x80\x02]q\x00.")

    records = []
    for k, v in sd.items():
        records.append(("f32/" + k, v.float()))
    for k, v in bare.items():
        records.append(("f16/" + k, v.half().float()))
        records.append(("bf16/" + k, v.bfloat16().float()))
    write_fix(os.path.join(ROOT, "expected.fix"), records)
    for dirpath, _, files in os.walk(ROOT):  # safetensors writes 0600 files
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)
    print("wrote", ROOT)


if __name__ == "__main__":
    main()
