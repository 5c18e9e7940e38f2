#!/usr/bin/env python3
"""Write tests/fixtures/tokenizer_cases.fix: hard tokenizer cases with the ids Hugging Face's
BertTokenizer (transformers, uncased bert-base-uncased vocab) gives them. Read by
tests/test_text_tokenizer.c when that vocab is available.

Records (HRKDFIX1, see tests/common/fixture.h), all int32:
  case<i>.text  the UTF-8 bytes of the text, one byte per element (may be invalid UTF-8:
                HF then sees the text decoded with errors="replace")
  case<i>.ids   WordPiece ids without special tokens
  pair<i>.a / pair<i>.b (bytes), pair<i>.max_len [1], pair<i>.ids / .segment / .mask
                [max_len] from encode(a, b, truncation="longest_first", padding="max_length")
  pair<i>.length [1]: the untruncated length with special tokens

  python3 tests/oracle/make_tokenizer_fixture.py [--vocab PATH] [--out PATH]
"""
import argparse
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CASES = [
    b"Hello, World!",
    "na\u00efve caf\u00e9 r\u00e9sum\u00e9 fa\u00e7ade Cr\u00e8me br\u00fbl\u00e9e".encode(),
    "\u00c5ngstr\u00f6m \u00d8resund \u0141\u00f3d\u017a \u0130stanbul \u00df \u1e9e".encode(),
    "\u0391\u03b8\u03ae\u03bd\u03b1 \u1f08\u03c1\u03b9\u03c3\u03c4\u03bf\u03c4\u03ad\u03bb\u03b7\u03c2 \u039a\u0391\u039b\u0397\u039c\u0395\u03a1\u0391".encode(),
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0401\u043b\u043a\u0430 \u0419\u043e\u0433\u0443\u0440\u0442".encode(),
    "\u6211\u559c\u6b22\u81ea\u7136\u8bed\u8a00\u5904\u7406 and \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8".encode(),
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8 \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22".encode(),
    "I love it \U0001F600\U0001F44D\U0001F3FD !! \u2764\ufe0f family: \U0001F468\u200d\U0001F469\u200d\U0001F467".encode(),
    b"tab\there\nnew line\r\ncarriage \x0bvt \x0cff \x01\x02\x1f ctrl \x7f del",
    "zero\u200bwidth soft\u00adhyphen bom\ufeffmark nbsp\u00a0space ideo\u3000space".encode(),
    b"supercalifragilisticexpialidocious antidisestablishmentarianism " + b"a" * 100 + b" " + b"b" * 101,
    b"x" * 250 + b" short",
    b"&amp; &quot;quoted&quot; &#39;s &lt;b&gt;bold&lt;/b&gt; AT&T R&D",
    b"[CLS] literal [SEP] tokens [MASK] and [PAD] [UNK] but [cls] or [Sep] or [CLS[SEP]]",
    b"$5.99+tax = <total> ^caret `tick` |pipe| ~tilde_under-score @home #hash 50% a/b\\c",
    "\u00bfQu\u00e9? \u00a1S\u00ed! \u2014 em\u2013dash \u201cquotes\u201d \u2018single\u2019 \u2026 \u00ab\u00bb \u3001\u3002".encode(),
    b"broken \xff\xfe utf8 \xc3 here \xe2\x82 and \xed\xa0\x80 surrogate \xf4\x90\x80\x80 big \xc0\xaf overlong",
    b"",
    b"   \t\n  ",
    "\ufb01ne \ufb02ow \u2126hm \u212aelvin \u00bd \u2460 \u00b2 \u2122 \u00a9".encode(),
    b"The quick brown fox jumps over the lazy dog; the dog, unimpressed, went back to sleep.",
    b"Distillation compresses a BERT teacher into a 4-layer student across several domains.",
    b"don't won't it's we're they'll I'd e.g. i.e. U.S.A. 3.14159 1,000,000 12:30pm",
    "\u00e9\u0301\u0301 e\u0301 a\u0300\u0323 \u1e69 \u0344 combining \u0301alone".encode(),
    "emoji\U0001F600inside word\u4e2dmixed".encode(),
    "\ue000private\U000F0000use \u0378unassigned \U0001D400math".encode(),
]

PAIRS = [
    (b"The teacher is large.", b"The student is small and fast.", 16),
    (b"a b c d e f g h i j k l", b"x y", 10),
    (b"x y", b"a b c d e f g h i j k l", 10),
    (b"one two three four", b"five six seven eight", 9),
    (b"one two three four", b"five six seven eight", 8),
    (b"short", b"pair", 32),
    ("Cr\u00e8me br\u00fbl\u00e9e \u4e2d\u6587".encode(), b"[SEP] inside b", 12),
    (b"", b"only b here", 8),
]


def rec(name, arr):
    b = name.encode()
    out = struct.pack("<I", len(b)) + b + struct.pack("<II", 1, 1) + struct.pack("<q", len(arr))
    return out + struct.pack("<%di" % len(arr), *arr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", default=os.environ.get("HRKD_BERT_VOCAB") or
                    os.path.join(ROOT, "../shared/data/vocab/bert-base-uncased/vocab.txt"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests/fixtures/tokenizer_cases.fix"))
    a = ap.parse_args()
    from transformers import BertTokenizer
    tok = BertTokenizer(a.vocab, do_lower_case=True)
    recs = []
    for i, raw in enumerate(CASES):
        text = raw.decode("utf-8", errors="replace")
        recs.append(rec("case%d.text" % i, list(raw)))
        recs.append(rec("case%d.ids" % i, tok.encode(text, add_special_tokens=False)))
    for i, (ra, rb, L) in enumerate(PAIRS):
        sa, sb = ra.decode("utf-8", errors="replace"), rb.decode("utf-8", errors="replace")
        e = tok(sa, sb, truncation="longest_first", max_length=L, padding="max_length")
        full = len(tok(sa, sb)["input_ids"])
        recs.append(rec("pair%d.a" % i, list(ra)))
        recs.append(rec("pair%d.b" % i, list(rb)))
        recs.append(rec("pair%d.max_len" % i, [L]))
        recs.append(rec("pair%d.ids" % i, e["input_ids"]))
        recs.append(rec("pair%d.segment" % i, e["token_type_ids"]))
        recs.append(rec("pair%d.mask" % i, e["attention_mask"]))
        recs.append(rec("pair%d.length" % i, [full]))
    with open(a.out, "wb") as f:
        f.write(b"HRKDFIX1" + struct.pack("<I", len(recs)) + b"".join(recs))
    print("wrote %s: %d cases, %d pairs" % (a.out, len(CASES), len(PAIRS)))


if __name__ == "__main__":
    main()
