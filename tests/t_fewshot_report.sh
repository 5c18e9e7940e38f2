#!/usr/bin/env bash
# The few-shot grid's report (results/analyze.py --fewshot, as `make reproduce-amazon-fewshot`
# ends): tiny teacher + student runs of the three methods (TinyBERT-KD from single teachers,
# HRKD from the mtl teacher, Meta-KD from the meta-teacher) at two sample rates, two seeds
# each. The table has one row per rate with every column's two seeds (Meta-KD's _stage1 files
# left out), the improvement rates follow from the table's means, Welch's p agrees with
# `hrkd compare` on the same files, and the figure is written.
# Python: as tests/t_report.sh (results/.venv, or a python3 with numpy, h5py and matplotlib).
source tests/common/lib.sh
need_report_python
I=$PWD/tests/ini
for rate in 0.5 1.0; do
  for s in 1 2; do
    for m in tinybert hrkd metakd; do
      case $m in
        tinybert) base=tiny_distill.ini extra=$'[teacher]\nstrategy = single\n[distill]\nrelational = false' ;;
        hrkd)     base=tiny_distill.ini extra= ;;
        metakd)   base=tiny_metakd.ini extra= ;;
      esac
      f=$tmp/r${rate}_${m}_seed$s
      printf '[run]\nbase = %s\nseed = %s\nepochs = 8\n[data]\nfew_shot_ratio = %s\nsynthetic_train = 192\n[optimizer]\nlr = 5e-3\n%s\n[teacher]\nepochs = 8\nlr = 5e-3\n[output]\nfile = %s.h5\n' \
        "$I/$base" "$s" "$rate" "$extra" "$f" > "$f.ini"
      "$HRKD" run "$f.ini" > "$f.log" 2>&1 || { echo "FAILED: hrkd run $f.ini"; tail -n 20 "$f.log"; exit 1; }
    done
  done
done
check '[ -f "$tmp/r0.5_metakd_seed1_stage1.h5" ]' "Meta-KD runs leave a _stage1 file beside the student"
out=$("$PY" results/analyze.py --fewshot "$tmp/rep" "$tmp"/*.h5 2>&1); rc=$?; echo "$out"
check '[ $rc -eq 0 ]' "analyze.py --fewshot exits 0"
for r in 50 100; do
  row=$(grep "^| $r % | .*(2) |$" <<<"$out" | head -n 1)
  check '[ "$(grep -o "(2)" <<<"$row" | wc -l)" = 6 ]' "rate $r %: six columns of two seeds each"
  # improvement rate of HRKD from the table's TinyBERT-KD (column 5) and HRKD (column 6) means
  want=$(awk -F'|' '{ t = $6 + 0; h = $7 + 0; printf "%+.2f", (h - t) / t * 100 }' <<<"$row")
  got=$(grep "^| $r % | [-+]" <<<"$out" | awk -F'|' '{ sub(/\(.*\)/, "", $3); gsub(/[ %]/, "", $3); print $3 }')
  check 'grep "^| $r % | [-+]" <<<"$out" | grep -q "(± [0-9.]*) |"' \
    "rate $r %: the improvement rates carry their paired standard error (two seeds)"
  check 'awk -v a="$want" -v b="$got" "BEGIN { d = a - b; exit !(d < 0.011 && d > -0.011) }"' \
    "rate $r %: HRKD's improvement rate $got follows from the means ($want)"
done
row=$(grep "^| 100 % | .*(2) |$" <<<"$out" | head -n 1)
check 'awk -F"|" "{ exit !(\$6 + 0 > 60 && \$7 + 0 > 60) }" <<<"$row"' "at 100 % the TinyBERT-KD and HRKD students learnt (above 60 %)"
# Welch's p of HRKD vs TinyBERT-KD at 100 %: the same as hrkd compare's on the average
cmp=$("$HRKD" compare "$tmp"/r1.0_hrkd_seed{1,2}.h5 -- "$tmp"/r1.0_tinybert_seed{1,2}.h5 | awk '$1 == "average" { print $5 }')
got=$(grep "^| 100 % | [-+]" <<<"$out" | awk -F'|' '{ gsub(/ /, "", $5); print $5 }')
check 'awk -v a="$cmp" -v b="$got" "BEGIN { d = a - b; exit !(a != \"\" && d < 0.0011 && d > -0.0011) }"' \
  "Welch p $got agrees with hrkd compare ($cmp)"
check '[ -s "$tmp/rep/fewshot.md" ] && grep -q "improvement rate" "$tmp/rep/fewshot.md"' "fewshot.md written"
sz=$(stat -c %s "$tmp/rep/fewshot_improvement.png" 2>/dev/null || echo 0)
check '[ "$sz" -gt 5000 ]' "figure written ($sz bytes)"
# Welch's p of the analysis tool against a known value (scipy.stats.ttest_ind, equal_var=False)
p=$("$PY" -c 'import sys; sys.path.insert(0, "results")
from hrkd_analysis.fewshot import welch_p
print(f"{welch_p([1, 2, 3, 4, 5], [2, 4, 6, 8, 11]):.6f}")')
check '[ "$p" = 0.114990 ]' "welch_p of a known pair: $p (scipy: 0.114990)"
# the paired standard error: seeds 1 and 2 improve by 2/78 and 1/81; seed 3 is in one only
se=$("$PY" -c 'import sys; sys.path.insert(0, "results")
from hrkd_analysis.fewshot import paired_se
print(f"{paired_se({1: 80, 2: 82, 3: 90}, {1: 78, 2: 81}):.5f}")')
check '[ "$se" = 0.66477 ]' "paired_se of a known pair: $se (|200/78 - 100/81| / 2 = 0.66477)"
exit $fail
