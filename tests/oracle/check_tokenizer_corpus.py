#!/usr/bin/env python3
"""Developer check (not a test): tokenize every review text of the Amazon corpus with the C
tokenizer (through ctypes on libhrkd.so) and with Hugging Face's BertTokenizer, and report
how many texts agree exactly; the first few differences are printed.

  python3 tests/oracle/check_tokenizer_corpus.py [--lib build/lib/libhrkd.so]
      [--vocab ../shared/data/vocab/bert-base-uncased/vocab.txt]
      [--data ../shared/data/amazon_reviews/sorted_data_acl] [--texts FILE (one per line)]
"""
import argparse
import ctypes
import glob
import html
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_lib(path):
    lib = ctypes.CDLL(path)
    lib.hrkd_tokenizer_create.restype = ctypes.c_void_p
    lib.hrkd_tokenizer_create.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
    lib.hrkd_tokenizer_tokenize.restype = ctypes.c_int
    lib.hrkd_tokenizer_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                            ctypes.POINTER(ctypes.c_int32), ctypes.c_int]
    return lib


class CTokenizer:
    def __init__(self, lib_path, vocab):
        self.lib = load_lib(lib_path)
        err = ctypes.create_string_buffer(2048)
        self.t = self.lib.hrkd_tokenizer_create(vocab.encode(), 1, err)
        if not self.t:
            sys.exit("hrkd_tokenizer_create failed: %s" % err.raw[4:].split(b"\0")[0].decode())
        self.cap = 1 << 16
        self.buf = (ctypes.c_int32 * self.cap)()

    def ids(self, text_bytes):
        n = self.lib.hrkd_tokenizer_tokenize(self.t, text_bytes, self.buf, self.cap)
        return list(self.buf[:min(n, self.cap)])


def review_texts(data):
    """The <review_text> blocks of every *.review file, lines joined by spaces, entities
    decoded (what the C amazon reader hands to the tokenizer)."""
    out = []
    for f in sorted(glob.glob(os.path.join(data, "*", "*.review"))):
        raw = open(f, encoding="utf-8", errors="replace").read()
        for m in re.finditer(r"<review_text>\n?(.*?)</review_text>", raw, re.S):
            lines = m.group(1).split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            out.append(html.unescape(" ".join(lines)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default=os.path.join(ROOT, "build/lib/libhrkd.so"))
    ap.add_argument("--vocab", default=os.environ.get("HRKD_BERT_VOCAB") or
                    os.path.join(ROOT, "../shared/data/vocab/bert-base-uncased/vocab.txt"))
    ap.add_argument("--data", default=os.path.join(ROOT, "../shared/data/amazon_reviews/sorted_data_acl"))
    ap.add_argument("--texts")
    a = ap.parse_args()
    from transformers import BertTokenizer
    hf = BertTokenizer(a.vocab, do_lower_case=True)
    ct = CTokenizer(a.lib, a.vocab)
    texts = (open(a.texts, encoding="utf-8").read().split("\n") if a.texts else review_texts(a.data))
    bad = 0
    ntok = 0
    for i, s in enumerate(texts):
        want = hf.encode(s, add_special_tokens=False)
        got = ct.ids(s.encode("utf-8", errors="surrogatepass"))
        ntok += len(want)
        if want != got:
            bad += 1
            if bad <= 5:
                k = next((j for j in range(min(len(want), len(got))) if want[j] != got[j]),
                         min(len(want), len(got)))
                print("text %d differs at token %d: hf %s c %s\n  %r" % (
                    i, k, hf.convert_ids_to_tokens(want[k:k + 5]), hf.convert_ids_to_tokens(got[k:k + 5]),
                    s[:300]))
    print('{"texts": %d, "tokens": %d, "agree": %d, "differ": %d}' % (len(texts), ntok, len(texts) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
