"""Markdown tables: accuracy per group of runs, ratio tables of one run over a window of steps."""
import numpy as np

from .runfile import group_runs


def pick_accuracy(run, split, pick):
    """Per-domain accuracy (first metric column) of one run, or None: at the last evaluation, or
    at the evaluation with the best mean dev accuracy (model selection on dev, as in the papers).
    /metrics/test has one row per domain's best checkpoint, so both picks give its last row."""
    if split not in run["metrics"]:
        return None
    vals = run["metrics"][split]["values"][:, :, 0]
    if len(vals) == 0:
        return None
    i = len(vals) - 1
    if pick == "best" and split != "dev" and "dev" in run["metrics"] and len(run["metrics"]["dev"]["values"]):
        dev = np.nanmean(run["metrics"]["dev"]["values"][:, :, 0], axis=1)
        dev_step = run["metrics"]["dev"]["step"][int(np.nanargmax(dev))]
        where = np.nonzero(run["metrics"][split]["step"] == dev_step)[0]
        i = int(where[0]) if len(where) else i
    elif pick == "best" and split == "dev":
        i = int(np.nanargmax(np.nanmean(vals, axis=1)))
    return vals[i]


def mean_sd(col):
    """(mean, sd or None) of the finite values; sd is None for fewer than two."""
    col = np.asarray(col, dtype=float)
    col = col[np.isfinite(col)]
    if len(col) == 0:
        return float("nan"), None
    return float(col.mean()), (float(col.std(ddof=1)) if len(col) > 1 else None)


def fmt_mean_sd(m, sd):
    if not np.isfinite(m):
        return "–"
    return f"{m:.2f} ± {sd:.2f}" if sd is not None else f"{m:.2f} ± n/a"


def accuracy_rows(runs, split, pick):
    """[(label, role, method, [runs], acc [seeds, D] in %)] of the groups that have the split."""
    rows = []
    for label, rs in group_runs(runs):
        acc = [(r, a) for r, a in ((r, pick_accuracy(r, split, pick)) for r in rs) if a is not None]
        if acc:
            rows.append((label, rs[0]["role"], rs[0]["method"], [r for r, _ in acc],
                         np.array([a for _, a in acc], dtype=float) * 100.0))
    return rows


def by_domains(runs):
    """[runs with one list of domains] in order of first appearance: each gets its own table."""
    sets = {}
    for r in runs:
        sets.setdefault(tuple(r["domains"]), []).append(r)
    return list(sets.values())


def accuracy_table(runs, split, pick):
    """Markdown: one row per group (role and method shown), mean ± sample std over its seeds,
    `± n/a` where a group has one run; the Avg. column averages the domains within each run.
    Runs over other domains get a table of their own."""
    sets = by_domains(runs)
    if len(sets) > 1:
        return "\n\n".join(accuracy_table(rs, split, pick) for rs in sets)
    domains = runs[0]["domains"]
    lines = ["| run | role | method | seeds | " + " | ".join(domains) + " | Avg. |",
             "|---" * (len(domains) + 5) + "|"]
    for label, role, method, rs, acc in accuracy_rows(runs, split, pick):
        avg = acc.mean(axis=1)  # NaN (shown –) where a run misses a domain
        cells = [fmt_mean_sd(*mean_sd(col)) for col in list(acc.T) + [avg]]
        seeds = ",".join(str(r["seed"]) for r in rs)
        lines.append(f"| {label} | {role} | {method} | {len(rs)} ({seeds}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def window_rows(steps, window):
    """Indices of the logged rows inside WINDOW: ('last', N) = the last N logged rows,
    ('steps', a, b) = training steps a..b inclusive. Returns (indices, description)."""
    steps = np.asarray(steps)
    if len(steps) == 0:
        return np.arange(0), "no logged steps"
    if window[0] == "last":
        idx = np.arange(max(0, len(steps) - window[1]), len(steps))
    else:
        idx = np.nonzero((steps >= window[1]) & (steps <= window[2]))[0]
    if len(idx) == 0:
        return idx, f"no logged steps in {window[1]}..{window[2]}"
    what = f"last {len(idx)} logged steps" if window[0] == "last" else f"{len(idx)} logged steps"
    return idx, (f"mean over the {what} (training steps {int(steps[idx[0]])}–{int(steps[idx[-1]])}; "
                 f"{len(steps)} logged in all)")


def ratio_tables(run, window):
    """Domain-relational (Table 5 style) and hierarchical (Table 6 style) ratios of one run,
    averaged over the window of logged steps."""
    idx, desc = window_rows(run["ratio_steps"], window)
    if len(idx) == 0 or run["ratios"].size == 0:
        return f"(no ratios: {desc})"
    D = run["domains"]
    dom = run["ratios"][idx].mean(axis=0)
    out = [f"domain-relational ratios, {desc}; rows = student layer m (0 = embeddings)",
           "",
           "| layer | " + " | ".join(D) + " |", "|---" * (len(D) + 1) + "|"]
    for m, row in enumerate(dom):
        out.append(f"| {m} | " + " | ".join(f"{x:.4f}" for x in row) + " |")
    for m in sorted(run["hier"]):
        h = run["hier"][m]
        if m == 0 or len(h) == 0:
            continue
        hm = h[idx].mean(axis=0)  # [D, m+1]
        out += ["", f"hierarchical ratios of layer {m} over layers 0..{m}, {desc}", "",
                "| domain | " + " | ".join(str(j) for j in range(m + 1)) + " |", "|---" * (m + 2) + "|"]
        for d, row in zip(D, hm):
            out.append(f"| {d} | " + " | ".join(f"{x:.4f}" for x in row) + " |")
    return "\n".join(out)


def check(run):
    """Consistency of one file's shapes; a list of problems (empty when fine)."""
    bad = []
    D, M = len(run["domains"]), int(run["attrs"]["student_layers"])
    n = len(run["ratio_steps"])
    if n and run["ratios"].shape != (n, M + 1, D):
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
