#!/usr/bin/env python3
"""Turn hrkd run files (*.h5) into the paper's kind of tables and ratio heatmaps.

    python3 results/analyze.py results/*.h5                  accuracy table, mean ± std over seeds
    python3 results/analyze.py --split test --pick last ...  which split / which evaluation
    python3 results/analyze.py --ratios results/a.h5         domain-relational (Table 5 style) and
                                                             hierarchical (Table 6 style) ratio tables
    python3 results/analyze.py --heatmaps out/ results/a.h5  the same as PNG heatmaps (matplotlib)
    python3 results/analyze.py --check FILE.h5               read everything, check shapes, summary

Runs are grouped into one row when their configuration text is equal apart from `seed` lines;
the row is named by the `name` key of the INI's [run] section when there is one, else by the
first file's name. Accuracies are reported in percent. The file layout is described in
results/README.md. Needs h5py and numpy; matplotlib only for --heatmaps.
"""
import argparse
import os
import re
import sys

import h5py
import numpy as np


def _str(x):
    if isinstance(x, bytes):
        return x.decode("utf-8")
    if isinstance(x, np.ndarray) and x.shape == ():
        return _str(x[()])
    return str(x)


def read_run(path):
    """Everything of one run file as plain Python / numpy values."""
    run = {"path": path}
    with h5py.File(path, "r") as f:
        a = f.attrs
        if _str(a.get("format", "")) != "hrkd-run":
            raise ValueError(f"{path}: not an hrkd run file")
        run["attrs"] = {k: (_str(v) if isinstance(v, (bytes, str)) else v) for k, v in a.items()}
        run["domains"] = [_str(d) for d in a["domains"]]
        run["loss_terms"] = [_str(t) for t in a["loss_terms"]]
        run["metric_names"] = [_str(t) for t in a["metric_names"]]
        run["config"] = _str(f["config"][()])
        run["ratio_steps"] = f["ratios/step"][()]
        run["ratios"] = f["ratios/domain"][()]  # [step, M+1, D]
        run["hier"] = {}
        if "ratios/hierarchical" in f:
            for name, ds in f["ratios/hierarchical"].items():
                run["hier"][int(name.split("_")[1])] = ds[()]  # [step, D, m+1]
        run["loss_steps"] = f["losses/step"][()]
        run["losses"] = f["losses/values"][()]  # [step, term, D]
        run["metrics"] = {}
        for split, g in f["metrics"].items():
            run["metrics"][split] = {"step": g["step"][()],
                                     "values": np.stack([g[d][()] for d in run["domains"]], axis=1)}  # [eval, D, K]
        run["checkpoints"] = {}
        for name, g in f.items():
            if isinstance(g, h5py.Group) and name not in ("ratios", "losses", "metrics"):
                models = {m: sorted(k for k, v in g[m].items() if isinstance(v, h5py.Dataset))
                          for m in g if m != "state"}
                state = {k: v[()] for k, v in g["state"].items()} if "state" in g else {}
                run["checkpoints"][name] = {"models": models, "state": state}
    return run


def run_label(run):
    m = re.search(r"^\s*name\s*=\s*(.+?)\s*$", run["config"], re.M)
    return m.group(1) if m else os.path.splitext(os.path.basename(run["path"]))[0]


def config_key(run):
    return "\n".join(l for l in run["config"].splitlines() if not re.match(r"^\s*seed\s*=", l))


def pick_accuracy(run, split, pick):
    """Per-domain accuracy (first metric column) of one run: at the last evaluation, or at the
    evaluation with the best mean dev accuracy (model selection on dev, as in the papers)."""
    if split not in run["metrics"]:
        return None
    vals = run["metrics"][split]["values"][:, :, 0]
    if len(vals) == 0:
        return None
    i = len(vals) - 1
    if pick == "best" and "dev" in run["metrics"] and len(run["metrics"]["dev"]["values"]):
        dev = run["metrics"]["dev"]["values"][:, :, 0].mean(axis=1)
        dev_step = run["metrics"]["dev"]["step"][int(np.argmax(dev))]
        where = np.nonzero(run["metrics"][split]["step"] == dev_step)[0]
        i = int(where[0]) if len(where) else i
    return vals[i]


def accuracy_table(runs, split, pick):
    groups = {}
    for r in runs:
        groups.setdefault(config_key(r), []).append(r)
    domains = runs[0]["domains"]
    lines = [f"| method | seeds | " + " | ".join(domains) + " | Avg. |",
             "|---" * (len(domains) + 3) + "|"]
    for rs in groups.values():
        acc = [a for a in (pick_accuracy(r, split, pick) for r in rs) if a is not None]
        if not acc:
            continue
        acc = np.array(acc) * 100.0  # [seeds, D]
        avg = acc.mean(axis=1)
        cells = []
        for col in list(acc.T) + [avg]:
            sd = col.std(ddof=1) if len(col) > 1 else 0.0
            cells.append(f"{col.mean():.2f} ± {sd:.2f}")
        lines.append(f"| {run_label(rs[0])} | {len(acc)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mean_ratios(run, last_fraction):
    """Domain ratios averaged over the last fraction of logged steps → [M+1, D]."""
    r = run["ratios"]
    if len(r) == 0:
        return None
    k = max(1, int(round(len(r) * last_fraction)))
    return r[-k:].mean(axis=0)


def ratio_tables(run, last_fraction):
    out = []
    dom = mean_ratios(run, last_fraction)
    if dom is None:
        return "(no ratios logged)"
    D = run["domains"]
    out.append(f"domain-relational ratios (mean over the last {last_fraction:.0%} of steps), rows = layer m")
    out.append("| layer | " + " | ".join(D) + " |")
    out.append("|---" * (len(D) + 1) + "|")
    for m, row in enumerate(dom):
        out.append(f"| {m} | " + " | ".join(f"{x:.4f}" for x in row) + " |")
    for m in sorted(run["hier"]):
        h = run["hier"][m]
        if len(h) == 0 or m == 0:
            continue
        k = max(1, int(round(len(h) * last_fraction)))
        hm = h[-k:].mean(axis=0)  # [D, m+1]
        out.append(f"\nhierarchical ratios of layer {m} (columns = earlier layers 0..{m})")
        out.append("| domain | " + " | ".join(str(j) for j in range(m + 1)) + " |")
        out.append("|---" * (m + 2) + "|")
        for d, row in zip(D, hm):
            out.append(f"| {d} | " + " | ".join(f"{x:.4f}" for x in row) + " |")
    return "\n".join(out)


def heatmaps(run, outdir, last_fraction):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(outdir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(run["path"]))[0]
    written = []
    dom = mean_ratios(run, last_fraction)
    if dom is not None:
        fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(run["domains"]), 1.0 + 0.5 * len(dom)))
        im = ax.imshow(dom, cmap="Blues", aspect="auto")
        ax.set_xticks(range(len(run["domains"])), run["domains"], rotation=30)
        ax.set_yticks(range(len(dom)), [f"layer {m}" for m in range(len(dom))])
        for (i, j), v in np.ndenumerate(dom):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8)
        fig.colorbar(im)
        ax.set_title("domain-relational ratios")
        p = os.path.join(outdir, f"{stem}_domain_ratios.png")
        fig.tight_layout()
        fig.savefig(p, dpi=120)
        plt.close(fig)
        written.append(p)
    for m, h in sorted(run["hier"].items()):
        if m == 0 or len(h) == 0:
            continue
        k = max(1, int(round(len(h) * last_fraction)))
        hm = h[-k:].mean(axis=0)
        fig, ax = plt.subplots(figsize=(1.5 + 0.7 * (m + 1), 1.0 + 0.5 * len(run["domains"])))
        im = ax.imshow(hm, cmap="Oranges", aspect="auto")
        ax.set_xticks(range(m + 1), [str(j) for j in range(m + 1)])
        ax.set_yticks(range(len(run["domains"])), run["domains"])
        ax.set_xlabel("earlier layer")
        ax.set_title(f"hierarchical ratios, layer {m}")
        fig.colorbar(im)
        p = os.path.join(outdir, f"{stem}_hier_layer_{m}.png")
        fig.tight_layout()
        fig.savefig(p, dpi=120)
        plt.close(fig)
        written.append(p)
    return written


def check(run):
    """Consistency of one file (used by tests/t_store_h5py.sh); returns a list of problems."""
    bad = []
    D, M = len(run["domains"]), int(run["attrs"]["student_layers"])
    n = len(run["ratio_steps"])
    if run["ratios"].shape != (n, M + 1, D):
        bad.append(f"ratios/domain shape {run['ratios'].shape}")
    for m, h in run["hier"].items():
        if h.shape != (n, D, m + 1):
            bad.append(f"hierarchical layer_{m} shape {h.shape}")
    if run["losses"].shape != (len(run["loss_steps"]), len(run["loss_terms"]), D):
        bad.append(f"losses shape {run['losses'].shape}")
    for split, m in run["metrics"].items():
        if m["values"].shape[:2] != (len(m["step"]), D):
            bad.append(f"metrics/{split} shape {m['values'].shape}")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--split", default=None, help="metrics split for the table (default: test if logged, else dev)")
    ap.add_argument("--pick", choices=("best", "last"), default="best")
    ap.add_argument("--ratios", action="store_true", help="print ratio tables")
    ap.add_argument("--heatmaps", metavar="DIR", help="write ratio heatmaps (PNG) into DIR")
    ap.add_argument("--last-fraction", type=float, default=1.0, help="average ratios over this last part of training")
    ap.add_argument("--check", action="store_true", help="read, check shapes and print a summary")
    a = ap.parse_args()
    runs = [read_run(p) for p in a.files]
    status = 0
    if a.check:
        for r in runs:
            problems = check(r)
            ck = ", ".join(f"/{k} (step {int(v['state']['step'][0]) if 'step' in v['state'] else '-'}, "
                           f"{sum(len(x) for x in v['models'].values())} datasets)" for k, v in r["checkpoints"].items())
            print(f"{r['path']}: domains {','.join(r['domains'])}; ratios {r['ratios'].shape}; "
                  f"losses {r['losses'].shape}; splits {sorted(r['metrics'])}; checkpoints {ck or 'none'}; "
                  f"{'OK' if not problems else 'PROBLEMS: ' + '; '.join(problems)}")
            status |= bool(problems)
    split = a.split or ("test" if all("test" in r["metrics"] for r in runs) else "dev")
    print(f"\naccuracy (%) on {split}, {a.pick} evaluation, mean ± std over seeds")
    print(accuracy_table(runs, split, a.pick))
    if a.ratios or a.check:
        for r in runs:
            print(f"\n{r['path']}\n" + ratio_tables(r, a.last_fraction))
    if a.heatmaps:
        for r in runs:
            for p in heatmaps(r, a.heatmaps, a.last_fraction):
                print("wrote", p)
    return status


if __name__ == "__main__":
    sys.exit(main())
