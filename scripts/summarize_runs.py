#!/usr/bin/env python3
"""Per-domain test accuracy (mean ± std over seeds) of groups of hrkd run files, as a
Markdown table; with --inference, the forward-pass speed-up of the second model over the
first from alternating `hrkd bench --mode forward` JSON lines (medians).

usage: summarize_runs.py --group "NAME=a.h5,b.h5,c.h5" [--group ...] [--inference FILE.jsonl]
                         [--dev]
Test accuracy is the last row of /metrics/test/<domain>, column "accuracy" (results/README.md).
--dev adds each group's learning curve: the dev accuracy averaged over domains (and over the
group's files) at every evaluation step of /metrics/dev, where the files share those steps.
"""
import argparse
import json
import statistics

import h5py


def test_acc(path):
    with h5py.File(path, "r") as f:
        g = f["metrics/test"]
        cols = [c.decode() if isinstance(c, bytes) else str(c) for c in f.attrs.get("metric_names", ["accuracy"])]
        k = cols.index("accuracy") if "accuracy" in cols else 0
        doms = [d.decode() if isinstance(d, bytes) else str(d) for d in f.attrs["domains"]]
        return {d: 100.0 * float(g[d][-1, k]) for d in doms}, doms


def dev_curve(path):
    """(steps, average dev accuracy over domains at each step) or None without /metrics/dev."""
    with h5py.File(path, "r") as f:
        if "metrics/dev/step" not in f or "domains" not in f.attrs:
            return None
        doms = [d.decode() if isinstance(d, bytes) else str(d) for d in f.attrs["domains"]]
        g = f["metrics/dev"]
        steps = [int(x) for x in g["step"][...]]
        acc = [100.0 * statistics.mean(float(g[d][i, 0]) for d in doms) for i in range(len(steps))]
        return steps, acc


def fmt(v):
    if len(v) == 1:
        return "%.2f" % v[0]
    return "%.2f ± %.2f" % (statistics.mean(v), statistics.stdev(v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--group", action="append", required=True)
    ap.add_argument("--inference")
    ap.add_argument("--dev", action="store_true")
    a = ap.parse_args()
    rows, doms = [], None
    for g in a.group:
        name, files = g.split("=", 1)
        accs = []
        for p in files.split(","):
            acc, doms = test_acc(p)
            accs.append(acc)
        cols = [[acc[d] for acc in accs] for d in doms]
        avg = [statistics.mean(acc[d] for d in doms) for acc in accs]
        rows.append((name, len(accs), cols, avg))
    print("| model | seeds | " + " | ".join(doms) + " | average |")
    print("|---|---|" + "---|" * (len(doms) + 1))
    for name, n, cols, avg in rows:
        print("| %s | %d | %s | %s |" % (name, n, " | ".join(fmt(c) for c in cols), fmt(avg)))
    if a.dev:
        print("\ndev accuracy averaged over domains at each evaluation step (mean over the files):")
        for g in a.group:
            name, files = g.split("=", 1)
            curves = [dev_curve(p) for p in files.split(",")]
            if any(c is None for c in curves) or len({tuple(c[0]) for c in curves}) != 1:
                print("- %s: no dev curve shared by its files (Meta-KD: one per target domain)" % name)
                continue
            steps = curves[0][0]
            means = [statistics.mean(c[1][i] for c in curves) for i in range(len(steps))]
            print("- %s: %s" % (name, ", ".join("%d: %.2f" % (s, m) for s, m in zip(steps, means))))
    if a.inference:
        recs = [json.loads(l) for l in open(a.inference) if l.strip().startswith("{")]
        t = [r["examples_per_s"] for r in recs[0::2]]
        s = [r["examples_per_s"] for r in recs[1::2]]
        print("\ninference (forward, examples/s, medians of %d alternating runs): teacher %.1f, "
              "student %.1f, speed-up %.2fx" % (len(t), statistics.median(t), statistics.median(s),
                                               statistics.median(s) / statistics.median(t)))


if __name__ == "__main__":
    main()
