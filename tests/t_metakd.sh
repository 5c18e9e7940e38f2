#!/usr/bin/env bash
# Meta-KD end to end on the synthetic tiny data (seconds on one core):
#  1. the meta-teacher trains; the transferability weights are computed once, written to the
#     run file (/transferability/t/<domain>) and to the cache file; the strategy's own weights
#     are in every checkpoint group (best_d<d>/strategy/...);
#  2. a second meta-teacher run on the same data reuses them from the cache (log line, same
#     values), a run on other data does not (fingerprint);
#  3. meta-distillation, target = all: t_i reused from the teacher file, stage 1 (layer terms,
#     no prediction term) into <file>_stage1.h5, then stage 2 (prediction term only) into the
#     run file, per-domain test accuracies written; killed in stage 1 or in stage 2 and
#     resumed, bit-identical to the uninterrupted run;
#  4. target = each: one student per domain (its own stage files), the summary file holds
#     every domain's best_d<d> and test accuracy;
#  5. refusals: an unknown target, a teacher strategy without domain representation,
#     relational = true.
set -u
B=${HRKD_BUILD:-build}
HRKD="$B/bin/hrkd"
command -v h5dump >/dev/null || { echo "skip: h5dump (hdf5-tools) not installed"; exit 77; }
tmp=${KEEP_TMP:-$(mktemp -d)}; [ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT; mkdir -p "$tmp"
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
has() { h5dump -H -d "$2" "$1" >/dev/null 2>&1; }
# values of dataset $2 of file $1, one number per line
vals() { h5dump -d "$2" -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | grep -v '[{}]' | tr ',' '\n' | tr -d ' ' | grep -v '^$'; }

cp tests/ini/tiny_teacher.ini tests/ini/tiny_distill.ini "$tmp/"
mt() { # name, extra lines
  { sed "s/^name = tiny_meta_teacher/name = $1/" tests/ini/tiny_meta_teacher.ini
    printf '\n[metakd]\ntransferability_cache = %s/cache.h5\n\n[output]\ndir = %s\n%s\n' "$tmp" "$tmp" "${2:-}"; } > "$tmp/$1.ini"
  "$HRKD" run "$tmp/$1.ini" > "$tmp/$1.out" 2> "$tmp/$1.err"
}

# 1. meta-teacher
if mt t1; then ok "meta-teacher trains"; else bad "meta-teacher run"; cat "$tmp/t1.err"; exit 1; fi
grep -q "transferability: computed for 288 training instances" "$tmp/t1.out" && ok "t_i computed" || bad "no 'computed' line"
grep -q "transferability: also stored in $tmp/cache.h5" "$tmp/t1.out" && ok "t_i cached" || bad "no cache line"
n=$(vals "$tmp/t1.h5" /transferability/t/domain1 | wc -l)
[ "$n" = 96 ] && ok "/transferability/t/domain1 holds 96 weights" || bad "/transferability/t/domain1: $n values"
vals "$tmp/t1.h5" /transferability/t/domain0 | awk '$1 < -1.0001 || $1 > 1.0001 { bad = 1 } END { exit bad }' \
  && ok "t_i within [-1, 1]" || bad "t_i outside [-1, 1]"
has "$tmp/t1.h5" /best_d2/strategy/domain_embedding.weight && has "$tmp/t1.h5" /checkpoint/strategy/adam_m/corruption.dense.weight \
  && ok "meta-teacher branch weights checkpointed" || bad "no strategy weights in the checkpoints"

# 2. reuse
mt t2
grep -q "transferability: reused from $tmp/cache.h5" "$tmp/t2.out" && ! grep -q "computed" "$tmp/t2.out" \
  && ok "second run reuses t_i from the cache" || { bad "second run did not reuse"; cat "$tmp/t2.out"; }
if [ "$(vals "$tmp/t1.h5" /transferability/t/domain2)" = "$(vals "$tmp/t2.h5" /transferability/t/domain2)" ]; then
  ok "reused weights equal the computed ones"; else bad "reused weights differ"; fi
sed -i 's/^synthetic_train = 96/synthetic_train = 80/' "$tmp/tiny_teacher.ini"
mt t3 "checkpoint_every = 4"
sed -i 's/^synthetic_train = 80/synthetic_train = 96/' "$tmp/tiny_teacher.ini"
grep -q "holds weights for other data" "$tmp/t3.err" && grep -q "computed for 240 training instances" "$tmp/t3.out" \
  && ok "other data: cache not reused, recomputed" || { bad "stale cache reused"; cat "$tmp/t3.out" "$tmp/t3.err"; }

# 3. meta-distillation, all domains at once
md() { # name, target, extra sed expressions...
  local name=$1 target=$2; shift 2
  { sed -e "s/^name = tiny_metakd/name = $name/" -e "s/^target = all/target = $target/" "$@" tests/ini/tiny_metakd.ini
    printf '\n[teacher]\ncheckpoint = %s/t1.h5\n\n[output]\ndir = %s\n' "$tmp" "$tmp"; } > "$tmp/$name.ini"
  "$HRKD" run "$tmp/$name.ini" > "$tmp/$name.out" 2> "$tmp/$name.err"
}
if md s_all all; then ok "meta-distillation (target all) runs"; else bad "meta-distillation run"; cat "$tmp/s_all.err"; fi
grep -q "transferability: reused from $tmp/t1.h5" "$tmp/s_all.out" && ok "distillation reuses the teacher's t_i" || bad "no reuse line in distillation"
grep -q "stage 1 (layers + domain representation)" "$tmp/s_all.out" && grep -q "stage 2 (soft cross-entropy)" "$tmp/s_all.out" \
  && [ "$(grep -n 'stage 1 (' "$tmp/s_all.out" | cut -d: -f1)" -lt "$(grep -n 'stage 2 (' "$tmp/s_all.out" | cut -d: -f1)" ] \
  && ok "stage 1 then stage 2" || bad "stages missing or out of order"
# losses rows: layer_0, layer_1, pred, total per step (student of 1 layer)
vals "$tmp/s_all_stage1.h5" /losses/values | awk -v D=3 '{ r = int((NR - 1) / D) % 4 } r <= 1 && $1 <= 0 { bad = 1 } r == 2 && $1 != 0 { bad = 1 } END { exit bad || NR == 0 }' \
  && ok "stage 1: layer terms > 0, prediction term 0" || bad "stage-1 loss terms"
vals "$tmp/s_all.h5" /losses/values | awk -v D=3 '{ r = int((NR - 1) / D) % 4 } r <= 1 && $1 != 0 { bad = 1 } r == 2 && $1 <= 0 { bad = 1 } END { exit bad || NR == 0 }' \
  && ok "stage 2: layer terms 0, prediction term > 0" || bad "stage-2 loss terms"
for d in 0 1 2; do
  v=$(vals "$tmp/s_all.h5" /metrics/test/domain$d | tail -1)
  awk -v v="$v" 'BEGIN { exit !(v >= 0 && v <= 1) }' || bad "test accuracy of domain$d: '$v'"
done
ok "per-domain test accuracies written"

# 3b. --resume after a kill in stage 1 and after one in stage 2 (checkpoints every 4 steps;
# stage 1 has 6 steps, stage 2 has 12): bit-identical to the uninterrupted run
body() { h5dump -d "$2" "$1" | tail -n +2; } # without the file-name line
for k in 5 9; do
  md s_k$k all
  ( "$HRKD" run "$tmp/s_k$k.ini" --force --kill-after-step $k ) > /dev/null 2>&1; rc=$?
  [ $rc = 137 ] || bad "kill after step $k: exit $rc"
  "$HRKD" run "$tmp/s_k$k.ini" --resume > "$tmp/s_k$k.out" 2> "$tmp/s_k$k.err" || { bad "resume after step $k"; cat "$tmp/s_k$k.err"; }
  grep -q "resumed at step 4 from $tmp/s_k${k}_stage1.h5\|resumed at step 8 from $tmp/s_k$k.h5" "$tmp/s_k$k.err" || bad "no resume line after step $k"
  same=1
  for ds in /losses/values /metrics/dev/domain1 /metrics/test/domain2 /best_d0/student/encoder.layer.0.output.dense.weight; do
    [ "$(body "$tmp/s_all.h5" $ds)" = "$(body "$tmp/s_k$k.h5" $ds)" ] || { same=0; echo "  differs: $ds"; }
  done
  [ $same = 1 ] && ok "killed after step $k, resumed: bit-identical to the uninterrupted run" || bad "resume after step $k differs"
done

# 3b'. a stop request (SIGTERM) in stage 1: no stage 2 from the half-trained student, no test
# table, the resume hint; --resume finishes stage 1 and then stage 2, bit-identical again
md s_t all
( "$HRKD" run "$tmp/s_t.ini" --force --kill-after-step 3 --kill-as term ) > "$tmp/s_t.out" 2> "$tmp/s_t.err"; rc=$?
[ $rc = 143 ] && grep -q "interrupted at step 3; continue with" "$tmp/s_t.err" && ! grep -q "stage 2 (" "$tmp/s_t.out" \
  && ! grep -q "test accuracy" "$tmp/s_t.out" \
  && ok "SIGTERM in stage 1: stops there (143), no stage 2, no test table" \
  || { bad "SIGTERM in stage 1 (exit $rc)"; cat "$tmp/s_t.out" "$tmp/s_t.err"; }
"$HRKD" run "$tmp/s_t.ini" --resume > "$tmp/s_t2.out" 2> "$tmp/s_t2.err" || { bad "resume after SIGTERM"; cat "$tmp/s_t2.err"; }
same=1
for ds in /losses/values /metrics/test/domain2 /best_d0/student/encoder.layer.0.output.dense.weight; do
  [ "$(body "$tmp/s_all.h5" $ds)" = "$(body "$tmp/s_t.h5" $ds)" ] || { same=0; echo "  differs: $ds"; }
done
[ $same = 1 ] && ok "stopped in stage 1, resumed: bit-identical to the uninterrupted run" || bad "resume after SIGTERM differs"

# 3c. [distill] teacher_cache: the teacher's outputs (its last layer feeds D^T) read from the
# cache give the same meta-distillation to float rounding (the cache pass batches differently)
md s_cached all -e 's/^relational = false/relational = false\nteacher_cache = true/'
grep -q "caching the teacher.s outputs on the training data" "$tmp/s_cached.err" && grep -q "teacher cache served 54 batches" "$tmp/s_cached.err" \
  && ok "teacher cache built once, served every batch of both stages" || { bad "teacher cache not used"; grep cache "$tmp/s_cached.err"; }
if command -v h5diff >/dev/null; then
  h5diff -p 1e-4 "$tmp/s_all.h5" "$tmp/s_cached.h5" /losses /losses > /dev/null \
    && h5diff -p 1e-4 "$tmp/s_all_stage1.h5" "$tmp/s_cached_stage1.h5" /losses /losses > /dev/null \
    && h5diff -d 1e-5 "$tmp/s_all.h5" "$tmp/s_cached.h5" /checkpoint/student /checkpoint/student > /dev/null \
    && ok "cached meta-distillation agrees with the uncached one (1e-4 losses, 1e-5 parameters)" || bad "cached run differs"
fi

# 4. one student per target domain
if md s_each each; then ok "meta-distillation (target each) runs"; else bad "target each"; cat "$tmp/s_each.err"; fi
for d in domain0 domain1 domain2; do
  [ -f "$tmp/s_each_${d}_stage1.h5" ] && [ -f "$tmp/s_each_$d.h5" ] || bad "no stage files for $d"
done
# the student of domain1 trained on domain1 only: the other domains' loss columns are 0
vals "$tmp/s_each_domain1_stage1.h5" /losses/values | awk -v D=3 '{ c = (NR - 1) % D } c != 1 && $1 != 0 { bad = 1 } c == 1 && int((NR - 1) / D) % 4 == 0 && $1 <= 0 { bad = 1 } END { exit bad }' \
  && ok "target domain1: only domain1 trains" || bad "target domain1 trained other domains"
for d in 0 1 2; do
  has "$tmp/s_each.h5" /best_d$d/student/classifiers.$d.weight && has "$tmp/s_each.h5" /metrics/test/domain$d || bad "summary lacks domain $d"
done
ok "summary file holds every domain's best student and test accuracy"

# 5. refusals
md s_bad nosuch; rc=$?
[ $rc = 2 ] && grep -q "\[metakd\] target: 'nosuch' is not all, each or a domain of the data" "$tmp/s_bad.err" \
  && ok "unknown target refused" || { bad "unknown target (exit $rc)"; cat "$tmp/s_bad.err"; }
md s_mtl all -e "s/^strategy = meta_teacher/strategy = mtl/"; rc=$?
grep -q "\[teacher\] strategy: 'mtl' has no domain representation" "$tmp/s_mtl.err" && [ $rc != 0 ] \
  && ok "a teacher strategy without domain representation refused" || { bad "mtl strategy accepted (exit $rc)"; cat "$tmp/s_mtl.err"; }
md s_rel all -e "s/^relational = false/relational = true/"; rc=$?
[ $rc = 2 ] && grep -q "\[distill\] method: metakd needs \[distill\] relational = false" "$tmp/s_rel.err" \
  && ok "relational = true refused" || { bad "relational metakd (exit $rc)"; cat "$tmp/s_rel.err"; }
[ $fail = 0 ] && echo "0 failure(s)" || echo "failures"
exit $fail
