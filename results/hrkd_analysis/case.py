"""Case-study files (`hrkd case --out case.h5`; layout in results/README.md, "Case-study files")
and their figure: for each case, one example per domain with its label and prediction, the
domain-relational ratios per layer and the hierarchical similarity ratios of every layer."""
import os
import textwrap

import numpy as np

from .figures import _heat, _plt, _save
from .runfile import open_h5, text


def read_case(path):
    import h5py
    c = {"path": path}
    with open_h5(path, "hrkd case file", "hrkd-case") as f:
        c["domains"] = [text(d) for d in f.attrs["domains"]]
        c["run_file"] = text(f.attrs.get("run_file", ""))
        c["group"] = text(f.attrs.get("group", ""))
        strs = lambda ds: np.vectorize(text, otypes=[object])(ds[()])
        c["domain"] = strs(f["examples/domain"])   # [cases, D]
        c["label"] = strs(f["examples/label"])
        c["text"] = strs(f["examples/text"])
        c["prediction"] = strs(f["predictions"])
        c["ratios"] = f["ratios/domain"][()]        # [cases, M+1, D]
        c["hier"] = {}
        if "ratios/hierarchical" in f:
            for name, ds in f["ratios/hierarchical"].items():
                if isinstance(ds, h5py.Dataset):
                    c["hier"][int(name.split("_")[1])] = ds[()]  # [cases, D, m+1]
    n, D = c["ratios"].shape[0], len(c["domains"])
    for k in ("domain", "label", "text", "prediction"):
        if c[k].shape != (n, D):
            raise ValueError(f"{path}: /{'predictions' if k == 'prediction' else 'examples/' + k} has shape "
                             f"{c[k].shape}, expected ({n}, {D}) as /ratios/domain")
    return c


def case_table(c, width=60):
    """The paper's layout as Markdown: one block per case."""
    out = []
    M = c["ratios"].shape[1] - 1
    for i in range(c["ratios"].shape[0]):
        out += [f"case {i + 1}", "", "| domain | label | prediction | text | " +
                " | ".join(f"r layer {m}" for m in range(M + 1)) + " |", "|---" * (M + 5) + "|"]
        for d in range(len(c["domains"])):
            t = c["text"][i, d].replace("|", "/").replace("\n", " ")
            t = t if len(t) <= width else t[:width - 1] + "…"
            out.append(f"| {c['domain'][i, d]} | {c['label'][i, d]} | {c['prediction'][i, d]} | {t} | " +
                       " | ".join(f"{x:.3f}" for x in c["ratios"][i, :, d]) + " |")
        out.append("")
    return "\n".join(out)


def case_figure(c, outdir, max_cases=4):
    """One row per case (up to max_cases): the domain-relational ratios [layer, domain], then
    the hierarchical ratios of each layer m ≥ 1 [domain, earlier layer]; the texts below."""
    plt = _plt()
    n = min(max_cases, c["ratios"].shape[0])
    layers = [m for m in sorted(c["hier"]) if m > 0]
    D = len(c["domains"])
    ncol = 1 + len(layers)
    widths = [2.5 + 1.1 * D] + [2.2 + 0.7 * (m + 1) for m in layers]
    fig, axes = plt.subplots(n, ncol, figsize=(sum(widths), (2.2 + 0.5 * max(D, c["ratios"].shape[1])) * n + 0.35 * D * n),
                             squeeze=False, gridspec_kw={"width_ratios": widths})
    notes = []
    for i in range(n):
        xt = [f"{c['domain'][i, d]}\n{c['label'][i, d]}→{c['prediction'][i, d]}" for d in range(D)]
        _heat(axes[i][0], fig, c["ratios"][i], "Blues", "domain-relational ratio", xt,
              [str(m) for m in range(c["ratios"].shape[1])], "domain (label→prediction)", "student layer m")
        axes[i][0].set_title(f"case {i + 1}: domain-relational ratios", fontsize=9)
        for j, m in enumerate(layers, start=1):
            _heat(axes[i][j], fig, c["hier"][m][i], "Oranges", "hierarchical ratio", [str(k) for k in range(m + 1)],
                  [c["domain"][i, d] for d in range(D)], "earlier layer", "domain")
            axes[i][j].set_title(f"case {i + 1}: layer {m} over layers 0..{m}", fontsize=9)
        for d in range(D):
            notes.append(f"case {i + 1}, {c['domain'][i, d]} ({c['label'][i, d]}): "
                         + textwrap.shorten(c["text"][i, d], 110, placeholder=" …"))
    src = os.path.basename(c["run_file"]) + (f" /{c['group']}" if c["group"] else "")
    fig.suptitle(f"case study: ratios of single examples (one per domain), no averaging\n"
                 f"student{' of ' + src if src.strip() else ''} in evaluation mode", fontsize=10)
    fig.tight_layout(rect=(0, 0.04 * D * n / max(1, n) * 0.9, 1, 0.97))
    fig.text(0.01, 0.005, "\n".join(notes), fontsize=7, va="bottom", family="monospace")
    stem = os.path.splitext(os.path.basename(c["path"]))[0]
    os.makedirs(outdir, exist_ok=True)
    return _save(fig, os.path.join(outdir, f"{stem}_case.png"))
