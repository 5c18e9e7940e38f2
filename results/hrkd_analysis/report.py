"""results/report/: one Markdown page (index.md) with the tables and every figure."""
import os

import numpy as np

from . import figures
from .case import case_figure, case_table
from .runfile import group_runs
from .tables import accuracy_table, by_domains, ratio_tables


def default_split(runs):
    return "test" if all("test" in r["metrics"] and len(r["metrics"]["test"]["step"])
                         for r in runs if r["metrics"]) else "dev"


def write_report(runs, cases, outdir, window, smooth_k, pick, split=None):
    """Writes OUTDIR/index.md and the PNGs beside it; returns the list of files written."""
    os.makedirs(outdir, exist_ok=True)
    figures.unique_stems(runs)
    split = split or default_split(runs)
    written = []
    md = ["# hrkd report", "",
          "Made by `results/analyze.py --report` (results/README.md describes every table and figure).", "",
          "## Runs", "",
          "| file | role | method | seed | group | INI | logged ratio steps | evaluations (dev) |",
          "|---|---|---|---|---|---|---|---|"]
    for label, rs in group_runs(runs):
        for r in rs:
            ndev = len(r["metrics"]["dev"]["step"]) if "dev" in r["metrics"] else 0
            md.append(f"| {os.path.basename(r['path'])} | {r['role']} | {r['method']} | {r['seed']} | {label} | "
                      f"{r['ini'] or '–'} | {len(r['ratio_steps'])} | {ndev} |")
    md += ["", "Runs are one group when they have the same role (teacher or student, from the models their "
           "checkpoints hold), method, output part and configuration apart from the seed and the output "
           "locations; `± n/a`: a group of one run has no spread.", ""]
    for sp in [split] + [s for s in ("dev",) if s != split]:
        md += [f"## Accuracy (%) on {sp}, {pick} evaluation, mean ± std over seeds", "",
               accuracy_table(runs, sp, pick), ""]
        for i, rs in enumerate(by_domains(runs)):
            p = figures.accuracy_chart(rs, outdir, sp, pick, name=f"accuracy_{sp}{'_%d' % (i + 1) if i else ''}.png")
            if p:
                written.append(p)
                md += [f"![{sp} accuracy per domain]({os.path.basename(p)})", ""]
    p = figures.dev_curves(runs, outdir)
    if p:
        written.append(p)
        md += ["## Dev learning curves", "", f"![dev learning curves]({os.path.basename(p)})", ""]
    for r in runs:
        if r["ratios"].size == 0 or len(r["ratio_steps"]) == 0 or np.all(r["ratios"] == 1):
            continue  # no ratios, or TinyBERT-KD's (all 1)
        name = os.path.basename(r["path"])
        md += [f"## Ratios of {name}", "", ratio_tables(r, window), ""]
        for p in figures.run_figures(r, outdir, window, smooth_k):
            written.append(p)
            md += [f"![{os.path.basename(p)}]({os.path.basename(p)})", ""]
    for c in cases:
        p = case_figure(c, outdir)
        written.append(p)
        md += [f"## Case study {os.path.basename(c['path'])}", "", case_table(c), "",
               f"![case study]({os.path.basename(p)})", ""]
    page = os.path.join(outdir, "index.md")
    with open(page, "w") as f:
        f.write("\n".join(md))
    return [page] + written
