"""Reading hrkd run files (layout: results/README.md) and telling what each run is."""
import os
import re

import numpy as np


class NotARunFile(ValueError):
    """Raised for a path that is not an hrkd run file; the message names the file and why."""


def text(x):
    """An HDF5 string (bytes, numpy scalar or str) as str."""
    if isinstance(x, bytes):
        return x.decode("utf-8", "replace")
    if isinstance(x, np.ndarray) and x.shape == ():
        return text(x[()])
    return str(x)


def open_h5(path, what, magic):
    """h5py.File of PATH, or NotARunFile saying why it cannot be one of WHAT (attribute
    `format` must equal MAGIC)."""
    import h5py
    if not os.path.isfile(path):
        raise NotARunFile(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise NotARunFile(f"{path}: not an {what}: not an HDF5 file") from None
    fmt = text(f.attrs.get("format", ""))
    if fmt != magic:
        f.close()
        found = f'format = "{fmt}"' if fmt else "no root attribute format"
        raise NotARunFile(f'{path}: not an {what} ({found}; expected format = "{magic}")')
    return f


def ini_sections(config):
    """The effective INI text as {section: {key: value}} (comments dropped)."""
    out, sec = {}, ""
    for line in config.splitlines():
        s = line.strip()
        if not s or s[0] in ";#":
            continue
        m = re.match(r"^\[(.+)\]$", s)
        if m:
            sec = m.group(1)
            out.setdefault(sec, {})
        elif "=" in s:
            k, v = s.split("=", 1)
            out.setdefault(sec, {})[k.strip()] = v.strip()
    return out


# Keys that say where or how often a run was written or executed, not what was trained: two
# runs that differ only in them (and the seed) are seeds of one experiment.
_NOT_IN_FINGERPRINT = {("run", "seed"), ("run", "seeds"), ("output", "file"), ("output", "dir"),
                       ("output", "checkpoint_every"), ("output", "flush_every"),
                       ("backend", "threads"), ("backend", "blas_core"), ("run", "comm"),
                       ("run", "comm_timeout")}


def fingerprint(sections):
    """The configuration without the seed and the output locations, as one comparable string."""
    return "\n".join(f"[{s}] {k} = {v}" for s in sorted(sections) for k, v in sorted(sections[s].items())
                     if (s, k) not in _NOT_IN_FINGERPRINT)


def ini_path(config):
    m = re.search(r"^; effective configuration of (.+?):", config, re.M)
    return m.group(1) if m else ""


def role_of(models, attrs):
    """'teacher' or 'student' from what the file's checkpoints hold (models teacher_<k> or
    student); files without checkpoints from the layer counts (a teacher run logs no student
    layers and one loss term, ce). 'other' for a file holding neither (a transferability cache)."""
    if "student" in models:
        return "student"
    if any(m.startswith("teacher_") for m in models):
        return "teacher"
    if int(attrs.get("student_layers", 0)) > 0:
        return "student"
    if list(attrs.get("loss_terms", [])) == ["ce"]:
        return "teacher"
    return "other"


def method_of(role, sec):
    """A short name of what was trained: the teacher's strategy, or the distillation method with
    the relational pieces that differ from HRKD's (ablations)."""
    t, d, r = sec.get("teacher", {}), sec.get("distill", {}), sec.get("relational", {})
    if role == "teacher":
        return f"{t.get('strategy', '?')} teacher"
    if role != "student":
        return role
    if d.get("method") == "metakd":
        return "Meta-KD"
    if d.get("relational", "true") != "true":
        return f"{d.get('loss', 'kd')} KD"
    hrkd = {"reference": "self_attention", "aggregate": "compare_aggregate", "graph": "gat"}
    diff = [f"{k}={r[k]}" for k in hrkd if k in r and r[k] != hrkd[k]]
    return "HRKD" + (f" ({', '.join(diff)})" if diff else "")


def part_of(path, sec, seed):
    """Which output of its INI the file is, from its name beside [output] file: '' for the run
    file itself, '_teacher', '_stage1', '_<domain>', ... ('_seed<N>' removed). '' when the
    file was renamed."""
    out = sec.get("output", {}).get("file", "")
    stem = os.path.splitext(os.path.basename(path))[0]
    base = os.path.splitext(os.path.basename(out))[0] if out else sec.get("run", {}).get("name", "")
    if not base or not stem.startswith(base):
        return ""
    return re.sub(rf"_seed{seed}(?=_|$)", "", stem[len(base):])


def read_run(path):
    """Everything of one run file as plain Python / numpy values (parameters are not read)."""
    import h5py
    run = {"path": path}
    with open_h5(path, "hrkd run file", "hrkd-run") as f:
        a = f.attrs
        run["attrs"] = {k: (text(v) if isinstance(v, (bytes, str)) else v) for k, v in a.items()}
        run["domains"] = [text(d) for d in a["domains"]]
        run["loss_terms"] = [text(t) for t in a["loss_terms"]]
        run["attrs"]["loss_terms"] = run["loss_terms"]
        run["config"] = text(f["config"][()])
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
            if isinstance(g, h5py.Group) and name not in ("ratios", "losses", "metrics", "transferability"):
                models = {m: sorted(k for k, v in g[m].items() if isinstance(v, h5py.Dataset))
                          for m in g if m != "state"}
                state = {k: v[()] for k, v in g["state"].items()} if "state" in g else {}
                run["checkpoints"][name] = {"models": models, "state": state}
    sec = ini_sections(run["config"])
    models = {m for c in run["checkpoints"].values() for m in c["models"]}
    run["seed"] = int(run["attrs"].get("seed", 0))
    run["role"] = role_of(models, run["attrs"])
    run["method"] = method_of(run["role"], sec)
    run["ini"] = ini_path(run["config"])
    run["part"] = part_of(path, sec, run["seed"])
    run["name"] = sec.get("run", {}).get("name") or os.path.splitext(os.path.basename(path))[0]
    run["fingerprint"] = fingerprint(sec)
    return run


def group_key(run):
    """Runs with equal keys are seeds of one experiment: same role, method, output part and
    configuration apart from the seed and where the files went. The INI path is not part of the
    key: the reproduce scripts write one small INI per seed around the shared one."""
    return (run["role"], run["method"], run["part"], run["fingerprint"])


def _setting(run, key):
    sec, k = key
    return ini_sections(run["config"]).get(sec, {}).get(k, "")


def _short(v, others):
    """A path setting by its file name, or its last two components where that is not enough."""
    if "/" not in v:
        return v or "(empty)"
    tails = lambda x, n: "/".join(x.rstrip("/").split("/")[-n:])
    n = 1 if len({tails(o, 1) for o in others}) == len(set(others)) else 2
    return tails(v, n)


def group_runs(runs):
    """[(label, [runs])] in the order of first appearance; a teacher and a student never share
    a group (the role is part of the key). The label is `[run] name` plus the output part;
    where groups of the same role and method share it, the first setting that tells them
    apart follows in brackets (`quickstart [distill.teacher_cache=true]`)."""
    groups = {}
    for r in runs:
        groups.setdefault(group_key(r), []).append(r)
    out = [(rs[0]["name"] + rs[0]["part"], rs) for rs in groups.values()]
    what = lambda lab, rs: (lab, rs[0]["role"], rs[0]["method"])
    clashes = [w for w in {what(*g) for g in out} if sum(what(*g) == w for g in out) > 1]
    for w in clashes:
        same = [rs for lab, rs in out if what(lab, rs) == w]
        keys = sorted({(sec, k) for rs in same for sec, kv in ini_sections(rs[0]["config"]).items() for k in kv}
                      - _NOT_IN_FINGERPRINT)
        diff = [k for k in keys if len({_setting(rs[0], k) for rs in same}) > 1]
        if not diff:
            continue
        others = [_setting(rs[0], diff[0]) for rs in same]
        for i, (lab, rs) in enumerate(out):
            if what(lab, rs) == w:
                v = _short(_setting(rs[0], diff[0]), others)
                out[i] = (f"{lab} [{diff[0][0]}.{diff[0][1]}={v}]", rs)
    return out
