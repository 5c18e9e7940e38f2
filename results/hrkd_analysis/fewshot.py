"""Few-shot grid: accuracy per sample rate and method, improvement rates over TinyBERT-KD as
the HRKD paper defines them (Figure 2), Welch p-values and the figure.

A run's sample rate is its [data] few_shot_ratio; its method and role come from the file as
for the accuracy table (runfile.method_of / role_of). Accuracy is the test average over the
domains (each domain's best dev checkpoint), one value per seed; a cell is the mean ± sample
std over the seeds. Improvement rate of a method at a rate:
(acc_method - acc_TinyBERT-KD) / acc_TinyBERT-KD on the seed means. Its spread: a seed fixes
the sample, so the method and TinyBERT-KD at one seed saw the same data; the standard error of
the per-seed rates (acc_method,s - acc_TinyBERT-KD,s) / acc_TinyBERT-KD,s over the seeds both
finished is the figure's error bar."""
import math
import os
from collections import namedtuple

import numpy as np

from .runfile import ini_sections
from .tables import mean_sd, pick_accuracy

# (role, method as runfile.method_of names it) -> column name, in the table's order
COLUMNS = [
    (("teacher", "single teacher"), "single teachers"),
    (("teacher", "mtl teacher"), "HRKD-teacher"),
    (("teacher", "meta_teacher teacher"), "Meta-teacher"),
    (("student", "tinybert KD"), "TinyBERT-KD"),
    (("student", "HRKD"), "HRKD"),
    (("student", "Meta-KD"), "Meta-KD"),
]


def _betacf(a, b, x):
    """Continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
                    -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def betainc(a, b, x):
    """I_x(a, b), the regularised incomplete beta function, for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(ln) * _betacf(a, b, x) / a
    return 1.0 - math.exp(ln) * _betacf(b, a, 1.0 - x) / b


def welch_p(a, b):
    """Two-sided p-value of Welch's t-test of samples a and b; nan with fewer than 2 in either,
    1.0 when both have no spread and equal means (0.0 when the means differ)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = a.mean() - b.mean()
    if va + vb == 0.0:
        return 1.0 if diff == 0.0 else 0.0
    t = diff / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def collect(runs):
    """{rate: {column: {seed: accuracy %}}} of the finished runs; files of other parts of a run
    (Meta-KD's _stage1) and runs without test accuracies are left out."""
    grid = {}
    for r in runs:
        if r["part"] not in ("", "_teacher"):
            continue
        col = dict(COLUMNS).get((r["role"], r["method"]))
        acc = pick_accuracy(r, "test", "best")
        if col is None or acc is None:
            continue
        rate = float(ini_sections(r["config"]).get("data", {}).get("few_shot_ratio", "1"))
        grid.setdefault(rate, {}).setdefault(col, {})[r["seed"]] = float(np.mean(acc)) * 100.0
    return grid


def paired_se(a, b):
    """Standard error of the per-seed improvement rates (%) of {seed: acc} a over b, on the
    seeds in both; nan with fewer than 2."""
    r = [(a[s] - b[s]) / b[s] * 100.0 for s in a if s in b]
    sd = mean_sd(r)[1]
    return sd / math.sqrt(len(r)) if sd is not None else float("nan")


# one sample rate of the summary: cells {column: (mean, sd, n)}, imp {method: improvement %},
# p {comparison: Welch p}, se {method: paired s.e. of the improvement %}
Row = namedtuple("Row", "rate cells imp p se")


def summary(grid):
    """[Row] sorted by rate."""
    rows = []
    for rate in sorted(grid):
        cells = {col: (*mean_sd(list(v.values())), len(v)) for col, v in grid[rate].items()}
        base = cells.get("TinyBERT-KD", (float("nan"),))[0]
        imp = {m: (cells[m][0] - base) / base * 100.0 if m in cells else float("nan")
               for m in ("HRKD", "Meta-KD")}
        acc = lambda c: list(grid[rate].get(c, {}).values())
        p = {"HRKD vs TinyBERT-KD": welch_p(acc("HRKD"), acc("TinyBERT-KD")),
             "HRKD vs Meta-KD": welch_p(acc("HRKD"), acc("Meta-KD"))}
        se = {m: paired_se(grid[rate].get(m, {}), grid[rate].get("TinyBERT-KD", {}))
              for m in ("HRKD", "Meta-KD")}
        rows.append(Row(rate, cells, imp, p, se))
    return rows


def _cell(c):
    if c is None:
        return "–"
    m, sd, n = c
    return f"{m:.2f} ± {sd:.2f} ({n})" if sd is not None else f"{m:.2f} ± n/a ({n})"


def _num(x, fmt):
    return "–" if not np.isfinite(x) else format(x, fmt)


def table(rows):
    """Markdown: accuracy per rate and column (mean ± std (seeds)), then improvement rates and
    Welch p-values."""
    cols = [name for _, name in COLUMNS]
    out = ["test accuracy (%), average of the domains, mean ± std (seeds)", "",
           "| rate | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for rate, cells, *_ in rows:
        out.append(f"| {rate * 100:g} % | " + " | ".join(_cell(cells.get(c)) for c in cols) + " |")
    out += ["", "improvement rate over TinyBERT-KD, (acc − acc_TinyBERT-KD) / acc_TinyBERT-KD, and "
            "Welch's two-sided p on the seeds' accuracies; (± s.e.): the standard error of the "
            "per-seed rates, a method and TinyBERT-KD paired by seed (the same sample)", "",
            "| rate | HRKD | Meta-KD | p HRKD vs TinyBERT-KD | p HRKD vs Meta-KD |", "|---|---|---|---|---|"]
    for rate, _, imp, p, se in rows:
        pct = lambda m: (_num(imp[m], "+.2f") + (" %" if np.isfinite(imp[m]) else "")
                         + (f" (± {se[m]:.2f})" if np.isfinite(se[m]) else ""))
        out.append(f"| {rate * 100:g} % | {pct('HRKD')} | {pct('Meta-KD')} | "
                   f"{_num(p['HRKD vs TinyBERT-KD'], '.3f')} | {_num(p['HRKD vs Meta-KD'], '.3f')} |")
    return "\n".join(out)


def figure(rows, outdir, name="fewshot_improvement.png"):
    """Grouped bars in the look of the paper's Figure 2: per sample rate, the improvement rate
    (%) of Meta-KD and of HRKD over TinyBERT-KD; error bars: the paired standard error over
    the seeds (none with one seed)."""
    from .figures import _plt, _save
    plt = _plt()
    if not rows:
        return None
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for k, (m, colour) in enumerate((("Meta-KD", "#8da0cb"), ("HRKD", "#fc8d62"))):
        v = [row.imp[m] for row in rows]
        err = [row.se[m] for row in rows]
        bars = ax.bar(x + (k - 0.5) * 0.36, np.nan_to_num(v), 0.36, label=m, color=colour,
                      yerr=np.asarray(err, float), error_kw={"elinewidth": 0.8, "capsize": 2})
        for b, val, e in zip(bars, v, err):
            if np.isfinite(val):
                top = val + (e if np.isfinite(e) else 0.0) * (1 if val >= 0 else -1)
                ax.annotate(f"{val:.1f}", (b.get_x() + b.get_width() / 2, top), ha="center",
                            va="bottom" if val >= 0 else "top", fontsize=7,
                            xytext=(0, 2 if val >= 0 else -2), textcoords="offset points")
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.margins(y=0.12)
    ax.set_xlim(-0.7, len(rows) - 0.3)
    ax.set_xticks(x, [f"{row.rate * 100:g}%" for row in rows])
    ax.set_xlabel("training data (sample rate)")
    ax.set_ylabel("improvement rate over TinyBERT-KD (%)")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("test accuracy, domain average, mean over seeds (bars: ± s.e., paired by seed)",
                 fontsize=8)
    fig.tight_layout()
    return _save(fig, os.path.join(outdir, name))


def write(runs, outdir):
    """DIR/fewshot.md (the tables) and DIR/fewshot_improvement.png; returns (markdown, paths)."""
    rows = summary(collect(runs))
    md = table(rows)
    os.makedirs(outdir, exist_ok=True)
    paths = [os.path.join(outdir, "fewshot.md")]
    with open(paths[0], "w") as f:
        f.write(md + "\n\n![improvement rates](fewshot_improvement.png)\n")
    p = figure(rows, outdir)
    if p:
        paths.append(p)
    return md, paths
