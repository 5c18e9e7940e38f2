#!/usr/bin/env python3
"""Tokenizer throughput on one core: the C WordPiece tokenizer (libhrkd.so through ctypes,
one call per text) against Hugging Face's fast BertTokenizer (Rust, one call per text, and
encode_batch with one Rayon thread) on the same texts in the same run. Prints one JSON line
with the median of --repeats runs for each.

  RAYON_NUM_THREADS=1 python3 scripts/bench_tokenizer.py [--lib build/lib/libhrkd.so]
      [--vocab ../shared/data/vocab/bert-base-uncased/vocab.txt]
      [--data ../shared/data/amazon_reviews/sorted_data_acl] [--repeats 5]
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
from check_tokenizer_corpus import CTokenizer, review_texts  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default=os.path.join(ROOT, "build/lib/libhrkd.so"))
    ap.add_argument("--vocab", default=os.environ.get("HRKD_BERT_VOCAB") or
                    os.path.join(ROOT, "../shared/data/vocab/bert-base-uncased/vocab.txt"))
    ap.add_argument("--data", default=os.path.join(ROOT, "../shared/data/amazon_reviews/sorted_data_acl"))
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    from transformers import BertTokenizer
    hf = BertTokenizer(a.vocab, do_lower_case=True).backend_tokenizer
    ct = CTokenizer(a.lib, a.vocab)
    texts = review_texts(a.data)
    raw = [t.encode("utf-8") for t in texts]
    ntok = sum(len(e.ids) for e in hf.encode_batch(texts, add_special_tokens=False))

    def run_c():
        for b in raw:
            ct.ids(b)

    def run_hf():
        for t in texts:
            hf.encode(t, add_special_tokens=False)

    def run_hf_batch():
        hf.encode_batch(texts, add_special_tokens=False)

    res = {}
    for name, fn in (("c", run_c), ("hf_fast", run_hf), ("hf_fast_batch", run_hf_batch)):
        secs = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            fn()
            secs.append(time.perf_counter() - t0)
        res[name] = statistics.median(secs)
    out = {"bench": "tokenizer", "texts": len(texts), "tokens": ntok, "repeats": a.repeats}
    for k, v in res.items():
        out[k + "_s"] = round(v, 4)
        out[k + "_tokens_per_s"] = round(ntok / v)
    out["c_vs_hf_fast"] = round(res["hf_fast"] / res["c"], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
