#!/usr/bin/env bash
# The analysis tool (results/analyze.py, package results/hrkd_analysis) on run files of the tiny
# pipeline (teacher then HRKD student, run twice with seeds 7 and 8): the teacher and the
# student of one INI are two rows, never "2 seeds" of one; one run shows "± n/a"; the report
# writes every figure (present, size within bounds, not blank), the ratio tables average the
# chosen window of logged steps (compared with h5py), a case-study file in the documented
# layout gets its figure, and files that are not run files are refused with a clear message.
# Python: results/.venv (made by `make report`) when it has numpy, h5py and matplotlib, else a
# python3 that has them (Debian: python3-h5py python3-matplotlib); otherwise the test skips.
source tests/common/lib.sh
need_report_python
A() { "$PY" results/analyze.py "$@"; }
for s in 7 8; do
  sed -e "s|^\[output\]|[output]\nfile = $tmp/s$s.h5|" -e "s|^seed = 7|seed = $s|" tests/ini/tiny_distill.ini > "$tmp/s$s.ini"
  "$HRKD" run "$tmp/s$s.ini" > "$tmp/s$s.log" 2>&1 || { echo "FAILED: hrkd run seed $s"; tail -n 20 "$tmp/s$s.log"; exit 1; }
done
# one INI's teacher and student files: two rows, each one run, no spread
out=$(A "$tmp/s7.h5" "$tmp/s7_teacher.h5" 2>&1); echo "$out"
rows=$(grep -c '^| tiny_distill' <<<"$out")
check '[ "$rows" = 2 ]' "teacher and student of one INI are two rows ($rows)"
check 'grep -q "^| tiny_distill_teacher | teacher | mtl teacher | 1 (7) | .* ± n/a |$" <<<"$out"' "teacher row, one run: ± n/a"
check 'grep -q "^| tiny_distill | student | HRKD | 1 (7) | .* ± n/a |$" <<<"$out"' "student row, one run: ± n/a"
check '! grep -q "± 0.00" <<<"$out"' "no ± 0.00 for single runs"
# two seeds of each: still two rows, two seeds each
out=$(A "$tmp"/s*.h5 2>&1); echo "$out"
check '[ "$(grep -c "^| tiny_distill" <<<"$out")" = 2 ]' "two seeds of the pipeline: two rows"
check 'grep -q "^| tiny_distill_teacher | teacher | mtl teacher | 2 (7,8) |" <<<"$out"' "teacher row has seeds 7,8"
check 'grep -q "^| tiny_distill | student | HRKD | 2 (7,8) |" <<<"$out"' "student row has seeds 7,8"
# a case-study file in the layout of results/README.md (2 cases, 3 domains, 1 student layer)
"$PY" - "$tmp/case.h5" <<'PYEOF' || { echo "FAILED: writing case.h5"; exit 1; }
import sys, h5py, numpy as np
rng = np.random.default_rng(1)
C, D, M = 2, 3, 1
dom = [f"domain{d}" for d in range(D)]
s = lambda a: np.array(a, dtype="S")
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["format"] = b"hrkd-case"; f.attrs["format_version"] = 1
    f.attrs["domains"] = s(dom); f.attrs["student_layers"] = M
    f.attrs["run_file"] = b"results/tiny.h5"; f.attrs["group"] = b"best"
    f["examples/domain"] = s([dom] * C)
    f["examples/label"] = s([["pos", "neg", "pos"]] * C)
    f["examples/text"] = s([[f"example text {c} {d} " * 4 for d in range(D)] for c in range(C)])
    f["predictions"] = s([["pos", "pos", "pos"]] * C)
    r = rng.random((C, M + 1, D)); f["ratios/domain"] = (r / r.sum(2, keepdims=True)).astype("f4")
    for m in range(M + 1):
        h = rng.random((C, D, m + 1)); f[f"ratios/hierarchical/layer_{m}"] = (h / h.sum(2, keepdims=True)).astype("f4")
PYEOF
A --report "$tmp/rep" --last 5 --case "$tmp/case.h5" "$tmp"/s*.h5 > "$tmp/rep.log" 2>&1
check '[ $? -eq 0 ]' "report written ($(tail -n 3 "$tmp/rep.log"))"
figs="accuracy_test accuracy_dev dev_curves case_case"
for s in s7 s8; do figs="$figs ${s}_ratios_over_steps ${s}_domain_heatmap ${s}_hierarchical"; done
for f in $figs; do
  p="$tmp/rep/$f.png"; sz=$(stat -c %s "$p" 2>/dev/null || echo 0)
  check '[ "$sz" -gt 8000 ] && [ "$sz" -lt 3000000 ]' "$f.png written, size $sz within 8 kB..3 MB"
done
check '[ "$(ls "$tmp"/rep/*.png | wc -l)" = "$(wc -w <<<"$figs")" ]' "no other figure ($(ls "$tmp"/rep/*.png | wc -l) PNGs)"
# not blank: every figure has ink over a real part of it and varied pixel values
blank=$("$PY" - "$tmp"/rep/*.png <<'PYEOF'
import sys, matplotlib.image as mi, numpy as np
for p in sys.argv[1:]:
    a = mi.imread(p)[..., :3]
    ink = (a.mean(axis=2) < 0.9).mean()
    if a.std() < 0.05 or ink < 0.02:
        print(f"{p}: std {a.std():.3f}, ink {ink:.3f}")
PYEOF
)
check '[ -z "$blank" ]' "no blank figure ${blank}"
# the ratio table averages the last 5 logged steps, as h5py computes it
want=$("$PY" -c 'import sys, h5py; r = h5py.File(sys.argv[1])["ratios/domain"][()]; print("| 1 | " + " | ".join(f"{x:.4f}" for x in r[-5:, 1].mean(0)) + " |")' "$tmp/s7.h5")
check 'grep -qF -- "$want" "$tmp/rep/index.md"' "layer-1 ratios = mean of the last 5 logged rows: $want"
check 'grep -q "mean over the last 5 logged steps (training steps 7–11; 12 logged in all)" "$tmp/rep/index.md"' "window named in the report"
check 'grep -q "^| domain1 | neg | pos | example text 0 1" "$tmp/rep/index.md"' "case table in the report"
# refusals
echo "not hdf5" > "$tmp/text.h5"
"$PY" -c 'import sys, h5py; h5py.File(sys.argv[1], "w").attrs["x"] = 1' "$tmp/other.h5"
for f in text other case; do
  msg=$(A "$tmp/$f.h5" 2>&1); rc=$?
  check '[ $rc -eq 2 ] && grep -q "^analyze.py: $tmp/$f.h5: not an hrkd run file" <<<"$msg"' "$f.h5 refused (rc $rc): $msg"
done
exit $fail
