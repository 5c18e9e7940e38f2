"""PNG figures (matplotlib, Agg backend): every axis labelled, every colour scale with a
labelled colour bar, and every title saying what was averaged over which steps."""
import os

import numpy as np

from .tables import accuracy_rows, mean_sd, window_rows

DPI = 110


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path):
    fig.savefig(path, dpi=DPI)
    _plt().close(fig)
    return path


def smooth(y, k):
    """Moving average over k logged steps (centred; the ends average what exists)."""
    y = np.asarray(y, dtype=float)
    if k <= 1 or len(y) < 2:
        return y
    k = min(k, len(y))
    c = np.convolve(np.ones_like(y), np.ones(k), mode="same")
    return np.convolve(y, np.ones(k), mode="same") / c


def stem(run):
    """The prefix of a run's figures: its file name, with the folder's name before it where two
    runs given together share a file name (set by unique_stems)."""
    return run.get("stem") or os.path.splitext(os.path.basename(run["path"]))[0]


def unique_stems(runs):
    names = [os.path.splitext(os.path.basename(r["path"]))[0] for r in runs]
    for r, n in zip(runs, names):
        if names.count(n) > 1:
            d = os.path.basename(os.path.dirname(os.path.abspath(r["path"])))
            n = f"{d}_{n}"
        r["stem"] = n


def ratios_over_steps(run, outdir, k):
    """One panel per student layer: each domain's domain-relational ratio at every logged step
    (thin, raw) and its moving average over k logged steps (thick)."""
    r, steps = run["ratios"], run["ratio_steps"]
    if len(steps) == 0 or r.size == 0:
        return None
    plt = _plt()
    L = r.shape[1]
    fig, axes = plt.subplots(L, 1, figsize=(7.5, 1.2 + 2.0 * L), sharex=True, squeeze=False)
    for m in range(L):
        ax = axes[m][0]
        for d, name in enumerate(run["domains"]):
            line, = ax.plot(steps, r[:, m, d], lw=0.7, alpha=0.35)
            ax.plot(steps, smooth(r[:, m, d], k), lw=1.8, color=line.get_color(), label=name)
        ax.set_ylabel(f"layer {m} ratio")
        ax.grid(alpha=0.3)
    axes[0][0].legend(title="domain", fontsize=8, ncol=min(4, len(run["domains"])), loc="upper right")
    axes[-1][0].set_xlabel("training step")
    fig.suptitle(f"{stem(run)}: domain-relational ratio per layer at every logged step\n"
                 f"(thin: raw; thick: moving average over {k} logged steps)", fontsize=10)
    fig.tight_layout()
    return _save(fig, os.path.join(outdir, f"{stem(run)}_ratios_over_steps.png"))


def _heat(ax, fig, a, cmap, cbar_label, xt, yt, xlabel, ylabel):
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    # cells all (nearly) alike, as the ratios of an untrained or saturated graph: a scale of
    # ±0.01 around them, not one stretched over float rounding
    flat = not hi - lo > 1e-4
    im = ax.imshow(a, cmap=cmap, aspect="auto", vmin=lo - 0.01 if flat else None, vmax=hi + 0.01 if flat else None)
    ax.set_xticks(range(len(xt)), xt, rotation=30 if max(len(t) for t in xt) > 3 else 0)
    ax.set_yticks(range(len(yt)), yt)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for (i, j), v in np.ndenumerate(a):
        dark = not flat and (v - lo) / (hi - lo) > 0.6
        ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
    cb = fig.colorbar(im, ax=ax)
    cb.set_label(cbar_label)
    cb.formatter.set_useOffset(False)
    cb.update_ticks()


def domain_heatmap(run, outdir, window):
    """Domain-relational ratios [layer, domain] averaged over the window of logged steps."""
    idx, desc = window_rows(run["ratio_steps"], window)
    if len(idx) == 0 or run["ratios"].size == 0:
        return None
    plt = _plt()
    a = run["ratios"][idx].mean(axis=0)
    fig, ax = plt.subplots(figsize=(2.5 + 1.1 * len(run["domains"]), 1.6 + 0.55 * len(a)))
    _heat(ax, fig, a, "Blues", "ratio (mean over the window)", run["domains"],
          [str(m) for m in range(len(a))], "domain", "student layer m (0 = embeddings)")
    ax.set_title(f"{stem(run)}: domain-relational ratios\n{desc}", fontsize=9)
    fig.tight_layout()
    return _save(fig, os.path.join(outdir, f"{stem(run)}_domain_heatmap.png"))


def hierarchical(run, outdir, window):
    """Hierarchical similarity ratios of every layer m ≥ 1 over layers 0..m, per domain,
    averaged over the window of logged steps: one panel per layer."""
    layers = [m for m in sorted(run["hier"]) if m > 0 and len(run["hier"][m])]
    idx, desc = window_rows(run["ratio_steps"], window)
    if not layers or len(idx) == 0:
        return None
    plt = _plt()
    D = len(run["domains"])
    fig, axes = plt.subplots(1, len(layers), figsize=(1.5 + sum(2.2 + 0.7 * (m + 1) for m in layers), 2.0 + 0.45 * D),
                             squeeze=False)
    for ax, m in zip(axes[0], layers):
        _heat(ax, fig, run["hier"][m][idx].mean(axis=0), "Oranges", "ratio", [str(j) for j in range(m + 1)],
              run["domains"], "earlier layer j", "domain")
        ax.set_title(f"layer {m}", fontsize=9)
    fig.suptitle(f"{stem(run)}: hierarchical similarity ratios of layer m over layers 0..m\n{desc}", fontsize=9)
    fig.tight_layout()
    return _save(fig, os.path.join(outdir, f"{stem(run)}_hierarchical.png"))


def accuracy_chart(runs, outdir, split, pick, name="accuracy_by_domain.png"):
    """Per-domain accuracy of every group side by side (the paper's Table 3 as a chart); error
    bars = sample std over the group's seeds (none for a group of one run). Only the runs over
    the first run's domains."""
    runs = [r for r in runs if r["domains"] == runs[0]["domains"]]
    rows = [r for r in accuracy_rows(runs, split, pick) if r[4].shape[1] == len(runs[0]["domains"])]
    if not rows:
        return None
    plt = _plt()
    cols = runs[0]["domains"] + ["Avg."]
    fig, ax = plt.subplots(figsize=(2.5 + 1.2 * len(cols) * max(1, len(rows) / 3), 4.6 + 0.2 * len(rows)))
    w = 0.8 / len(rows)
    lo = 100.0
    for g, (label, role, method, rs, acc) in enumerate(rows):
        per = list(acc.T) + [acc.mean(axis=1)]
        ms = [mean_sd(c) for c in per]
        means = [m for m, _ in ms]
        sds = [sd if sd is not None else 0.0 for _, sd in ms]
        x = np.arange(len(cols)) + (g - (len(rows) - 1) / 2) * w
        seeds = f"{len(rs)} seeds" if len(rs) > 1 else "1 run, no error bar"
        ax.bar(x, means, w, yerr=sds if len(rs) > 1 else None, capsize=3,
               label=f"{label} — {method} ({seeds})")
        lo = min(lo, np.nanmin(means) - (max(sds) if len(rs) > 1 else 0))
    ax.set_xticks(range(len(cols)), cols)
    ax.set_xlabel("domain")
    ax.set_ylabel(f"{split} accuracy (%)")
    ax.set_ylim(max(0.0, np.floor(lo / 5) * 5 - 5), 100.0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    ax.set_title(f"{split} accuracy per domain, {pick} evaluation of each run; "
                 "bars: mean over seeds, error bars: std over seeds", fontsize=9)
    fig.tight_layout()
    return _save(fig, os.path.join(outdir, name))


def dev_curves(runs, outdir):
    """Dev accuracy averaged over domains at every evaluation of every run; runs of one group
    share a colour, and a group whose runs share their evaluation steps also gets its mean."""
    from .runfile import group_runs
    groups = [(label, rs) for label, rs in group_runs(runs)
              if any("dev" in r["metrics"] and len(r["metrics"]["dev"]["step"]) for r in rs)]
    if not groups:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.6 + 0.2 * len(groups)))
    for label, rs in groups:
        color = None
        curves = []
        for r in rs:
            m = r["metrics"].get("dev")
            if m is None or len(m["step"]) == 0:
                continue
            y = np.nanmean(m["values"][:, :, 0], axis=1) * 100.0
            line, = ax.plot(m["step"], y, lw=1.0 if len(rs) > 1 else 1.8, alpha=0.5 if len(rs) > 1 else 1.0,
                            color=color, marker="." if len(rs) == 1 else None,
                            label=f"{label} ({rs[0]['role']})" if len(rs) == 1 else None)
            color = line.get_color()
            curves.append((tuple(m["step"]), y))
        if len(curves) > 1 and len({c[0] for c in curves}) == 1:
            ax.plot(curves[0][0], np.mean([c[1] for c in curves], axis=0), lw=2.2, color=color, marker=".",
                    label=f"{label} ({rs[0]['role']}, mean of {len(curves)} seeds)")
    ax.set_xlabel("training step (optimizer steps completed)")
    ax.set_ylabel("dev accuracy, mean over domains (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    ax.set_title("dev learning curves: accuracy averaged over domains at each evaluation\n"
                 "(thin: single seeds; thick: mean over a group's seeds)", fontsize=9)
    fig.tight_layout()
    return _save(fig, os.path.join(outdir, "dev_curves.png"))


def run_figures(run, outdir, window, smooth_k):
    """The per-run figures of a run that logged ratios; the paths written. None for a run
    distilled without the relational pipeline (TinyBERT-KD: every logged ratio is 1)."""
    r = run["ratios"]
    if r.size and np.all(r == 1):
        return []
    os.makedirs(outdir, exist_ok=True)
    out = [ratios_over_steps(run, outdir, smooth_k), domain_heatmap(run, outdir, window),
           hierarchical(run, outdir, window)]
    return [p for p in out if p]
