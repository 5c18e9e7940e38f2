#!/usr/bin/env bash
# [teacher] / [student] precision on the CPU backend: both keys are in the effective
# configuration (so every run file records them); tf32 and bf16 are refused at start-up,
# naming the key and what the CPU lacks, before any run file exists; fp32 set for both models
# gives the default run bit for bit; `hrkd bench --precision` reports the float32 peak beside
# its own. (The option calls of each precision: tests/test_precision.c.)
source tests/common/lib.sh
I=$PWD/tests/ini/tiny_distill.ini
ini() { printf '[run]\nbase = %s\n%s\n[output]\nfile = %s\n' "$I" "$1" "$tmp/$2.h5" > "$tmp/$2.ini"; }
out=$("$HRKD" check --print "$I" 2>&1)
check '[ "$(grep -c "^precision = backend$" <<<"$out")" = 2 ]' "check --print: precision = backend in [teacher] and [student]"
if grep -qw avx512_bf16 /proc/cpuinfo 2>/dev/null; then lacks="computes float32 only"; else lacks="AVX512_BF16, which this CPU lacks"; fi
ini $'[teacher]\nprecision = bf16' tb
err=$("$HRKD" run "$tmp/tb.ini" 2>&1 >/dev/null); rc=$?; echo "$err"
check '[ $rc -eq 3 ]' "[teacher] precision = bf16 on the CPU: exit 3 ($rc)"
check 'grep -q "tb.ini: \[teacher\] precision = bf16: backend cpu: .*$lacks" <<<"$err"' "the message names the key and the CPU feature"
check '[ ! -e "$tmp/tb.h5" ] && [ ! -e "$tmp/tb_teacher.h5" ]' "refused before any run file is written"
ini $'[student]\nprecision = tf32' st
err=$("$HRKD" run "$tmp/st.ini" 2>&1 >/dev/null); rc=$?; echo "$err"
check '[ $rc -eq 3 ] && grep -q "\[student\] precision = tf32: .*TF32" <<<"$err"' "[student] precision = tf32 refused, exit 3"
# fp32 written out for both models = the default
ini '' def
ini $'[teacher]\nprecision = fp32\n[student]\nprecision = fp32' f32
for n in def f32; do "$HRKD" run "$tmp/$n.ini" > "$tmp/$n.log" 2>&1 || { echo "FAILED: run $n"; tail "$tmp/$n.log"; exit 1; }; done
check 'h5diff -q "$tmp/def.h5" "$tmp/f32.h5" /checkpoint /checkpoint && h5diff -q "$tmp/def.h5" "$tmp/f32.h5" /losses /losses' \
  "precision = fp32 for both models: the default run's losses and weights, bit for bit"
check 'h5dump -d /config "$tmp/f32.h5" | grep -q "precision = fp32"' "the run file's /config records the precision"
j=$("$HRKD" bench --preset tiny --steps 2 --warmup 1 --gemm-size 128 --precision fp32)
check 'grep -q "\"precision\": \"fp32\"" <<<"$j" && grep -q "\"fp32_peak_gflops\"" <<<"$j"' "bench --precision fp32: JSON with fp32_peak_gflops"
"$HRKD" bench --preset tiny --steps 1 --precision bf16 > /dev/null 2>"$tmp/b.err"; rc=$?
check '[ $rc -eq 3 ] && grep -q -- "--precision bf16: .*$lacks" "$tmp/b.err"' "bench --precision bf16 refused on this CPU (exit $rc)"
exit $fail
