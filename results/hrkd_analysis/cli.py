"""Command line of results/analyze.py (see its --help)."""
import argparse
import sys

from .runfile import NotARunFile, read_run
from .tables import accuracy_table, by_domains, check, ratio_tables

USAGE = """Tables, figures and a report from hrkd run files (*.h5; layout in results/README.md).

    analyze.py results/*.h5                     accuracy table: one row per group of runs
    analyze.py --ratios --last 50 FILE.h5       ratio tables over the last 50 logged steps
    analyze.py --figures DIR results/*.h5       every figure as PNG into DIR
    analyze.py --report results/report results/*.h5 [--case case.h5]
                                                Markdown page with the tables and figures
    analyze.py --check FILE.h5                  read everything, check shapes, summary
    analyze.py --fewshot DIR results/amazon_fewshot/*.h5
                                                few-shot grid: accuracy per sample rate and method,
                                                improvement rates over TinyBERT-KD, Welch p-values,
                                                DIR/fewshot.md and DIR/fewshot_improvement.png

Runs are grouped by what they are: role (teacher or student, from the models the file's
checkpoints hold), method, output part (_teacher, _stage1, ... beside the INI's output file)
and configuration apart from the seed and the output locations. A group of one run shows
`± n/a`. Ratios are averaged over a window of logged steps: the last N (--last, default 20) or
the training steps A..B (--steps A:B).
"""


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="analyze.py", description=USAGE,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="run files")
    ap.add_argument("--split", default=None, help="metrics split of the table (default: test when every run has it, else dev)")
    ap.add_argument("--pick", choices=("best", "last"), default="best", help="which evaluation of each run")
    ap.add_argument("--ratios", action="store_true", help="print ratio tables")
    ap.add_argument("--last", type=int, default=20, metavar="N", help="window: the last N logged steps (default 20)")
    ap.add_argument("--steps", metavar="A:B", help="window: training steps A to B inclusive (instead of --last)")
    ap.add_argument("--smooth", type=int, default=9, metavar="K", help="moving average over K logged steps in the ratio curves")
    ap.add_argument("--figures", metavar="DIR", help="write every figure (PNG) into DIR")
    ap.add_argument("--report", metavar="DIR", help="write DIR/index.md with the tables and figures")
    ap.add_argument("--case", action="append", default=[], metavar="CASE.h5", help="a file of `hrkd case --out` (repeatable)")
    ap.add_argument("--check", action="store_true", help="read, check shapes and print a summary")
    ap.add_argument("--fewshot", metavar="DIR", help="few-shot grid tables and figure into DIR (runs grouped by [data] few_shot_ratio)")
    a = ap.parse_args(argv)
    if a.steps:
        try:
            lo, hi = (int(x) for x in a.steps.split(":"))
        except ValueError:
            ap.error(f"--steps {a.steps}: expected A:B, two step numbers")
        a.window = ("steps", lo, hi)
    else:
        if a.last < 1:
            ap.error("--last must be at least 1")
        a.window = ("last", a.last)
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    from .case import read_case
    try:
        runs = [read_run(p) for p in a.files]
        cases = [read_case(p) for p in a.case]
    except (NotARunFile, ValueError) as e:
        print(f"analyze.py: {e}", file=sys.stderr)
        return 2
    from .figures import unique_stems
    unique_stems(runs)
    status = 0
    if a.fewshot:
        from .fewshot import write
        md, paths = write(runs, a.fewshot)
        print(md)
        for p in paths:
            print("wrote", p)
        return status
    if a.check:
        for r in runs:
            problems = check(r)
            ck = ", ".join(f"/{k} (step {int(v['state']['step'][0]) if 'step' in v['state'] else '-'}, "
                           f"{sum(len(x) for x in v['models'].values())} datasets)" for k, v in r["checkpoints"].items())
            print(f"{r['path']}: {r['role']}, {r['method']}; domains {','.join(r['domains'])}; ratios {r['ratios'].shape}; "
                  f"losses {r['losses'].shape}; splits {sorted(r['metrics'])}; checkpoints {ck or 'none'}; "
                  f"{'OK' if not problems else 'PROBLEMS: ' + '; '.join(problems)}")
            status |= bool(problems)
    from .report import default_split
    split = a.split or default_split(runs)
    print(f"\naccuracy (%) on {split}, {a.pick} evaluation, mean ± std over seeds (n/a: one run)")
    print(accuracy_table(runs, split, a.pick))
    if a.ratios or a.check:
        for r in runs:
            if r["role"] == "student":
                print(f"\n{r['path']}\n" + ratio_tables(r, a.window))
    if a.figures:
        from . import figures
        from .case import case_figure
        out = []
        for r in runs:
            out += figures.run_figures(r, a.figures, a.window, a.smooth)
        for i, rs in enumerate(by_domains(runs)):
            out.append(figures.accuracy_chart(rs, a.figures, split, a.pick, name=f"accuracy_{split}{'_%d' % (i + 1) if i else ''}.png"))
        out = [p for p in out + [figures.dev_curves(runs, a.figures)] if p]
        out += [case_figure(c, a.figures) for c in cases]
        for p in out:
            print("wrote", p)
    if a.report:
        from .report import write_report
        for p in write_report(runs, cases, a.report, a.window, a.smooth, a.pick, a.split):
            print("wrote", p)
    return status
