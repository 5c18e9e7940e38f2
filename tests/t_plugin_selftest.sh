#!/usr/bin/env bash
# tests/t_plugin_selftest.sh — plugins that load and then misbehave, built here from
# tests/broken_plugins/misbehave.c (one -DMISTAKE_<NAME> each):
#   - `hrkd plugins test PATH` refuses each with one exact line naming the plugin, the function
#     and what was wrong (exit 2), and passes every bundled plugin and every example;
#   - `hrkd check` self-tests the plugins an INI uses and refuses them the same way, with the
#     INI line of the key, before anything trains (exit 2);
#   - `hrkd run` meeting the same mistake inside a distillation step stops at step 1 with that
#     message (exit 1).
cd "$(dirname "$0")/.."
source tests/common/lib.sh
need_plugin_cc
filter() { grep -v "^hrkd: warning: \|^hrkd: info: " || true; }
build() { build_plugin tests/broken_plugins/misbehave.c "$@"; } # build NAME [CFLAGS...] → $tmp/NAME.so

# 1. every bundled plugin and every example passes
for so in "$B"/lib/hrkd/plugins/*.so; do
  n=$(basename "$so" .so)
  out=$("$H" plugins test "$n" 2>&1); rc=$?
  if [ $rc -eq 0 ] && printf '%s\n' "$out" | tail -1 | grep -qx "plugin '$n': all checks passed"; then
    echo "ok   plugins test $n"
  else fail "plugins test $n (exit $rc)"; echo "$out"; fi
done
for src in examples/plugins/*/*.c; do
  n=$(basename "$src" .c)
  cc -std=c11 -shared -fPIC -fvisibility=hidden -Ihost/include -o "$tmp/example_$n.so" "$src" -lm \
    || { fail "cannot build $src"; continue; }
  out=$("$H" plugins test "$tmp/example_$n.so" 2>&1); rc=$?
  if [ $rc -eq 0 ] && printf '%s\n' "$out" | tail -1 | grep -q "all checks passed"; then
    echo "ok   plugins test examples/$n"
  else fail "plugins test $src (exit $rc)"; echo "$out"; fi
done
# shapes from flags
out=$("$H" plugins test gat --domains 2 --layers 1 --dim 16 2>&1)
printf '%s\n' "$out" | grep -q "(D = 2, M = 1, N = 12, F = 16)" && echo "ok   shape flags" || fail "shape flags: $out"
expect 2 "hrkd: plugins test: --dim needs a whole number in range (see hrkd --help)" "$H" plugins test gat --dim x

# 2. the mistakes, refused by the self-test
build graph_ok
build graph_sum -DMISTAKE_SUM
build graph_shape -DMISTAKE_SHAPE
build graph_nan -DMISTAKE_NAN
build graph_detach -DMISTAKE_DETACH
build graph_undeclared -DMISTAKE_UNDECLARED
build graph_null -DMISTAKE_NULL_SILENT
build graph_opnull -DMISTAKE_OP_NULL
build create_undeclared -DMISTAKE_CREATE_UNDECLARED
build create_type -DMISTAKE_CREATE_TYPE
build loss_ok -DLOSS_KIND
build loss_shape -DLOSS_KIND -DMISTAKE_SHAPE
build loss_nan -DLOSS_KIND -DMISTAKE_NAN
build loss_nullterm -DLOSS_KIND -DMISTAKE_NULL_TERM
build loss_fail -DLOSS_KIND -DMISTAKE_FAIL_SILENT

G="plugin 'bad_graph' (relational.graph.forward, layer 0)"
L="plugin 'bad_loss' (loss.compute, domain 0)"
# the messages at the self-test's shapes (D = 4, M = 4, F = 768, B = 2, T = 4) ...
declare -A st=(
  [graph_sum]="$G: the ratio vector sums to 1.5, expected 1 (tolerance 0.001)"
  [graph_shape]="$G: the ratio vector has shape [4, 768], expected [4]"
  [graph_nan]="$G: the ratio vector is not finite (nan at element 0)"
  [graph_detach]="$G: gradient with respect to agg at element 4: backward gives 0, central differences -0.0206053 (tolerance 0.002 + 0.05 relative)"
  [graph_undeclared]="$G: read undeclared key 'beta' in [relational.bad_graph] (declared: alpha)"
  [graph_null]="$G returned no result and no message"
  [graph_opnull]="$G: softmax: an input is NULL"
  [create_undeclared]="plugin 'bad_graph' (relational.graph.create): read undeclared key 'heads' in [relational.bad_graph] (declared: alpha)"
  [create_type]="plugin 'bad_graph' (relational.graph.create): read key 'alpha' (declared float) with hrkd_cfg_int in [relational.bad_graph]"
  [loss_shape]="$L: layer_terms[4] has shape [2, 4], expected [1]"
  [loss_nan]="$L: layer_terms[0] is not finite (nan at element 0)"
  [loss_nullterm]="$L: layer_terms[4] is NULL, expected [1]"
  [loss_fail]="$L returned no result and no message"
)
# ... and inside a run's step (tests/ini/tiny_distill.ini: D = 3, M = 1, F = 32, B = T = 16)
declare -A rt=(
  [graph_sum]="$G: the ratio vector sums to 1.5, expected 1 (tolerance 0.001)"
  [graph_shape]="$G: the ratio vector has shape [3, 32], expected [3]"
  [graph_nan]="$G: the ratio vector is not finite (nan at element 0)"
  [graph_undeclared]="$G: read undeclared key 'beta' in [relational.bad_graph] (declared: alpha)"
  [graph_null]="$G returned no result and no message"
  [graph_opnull]="$G: softmax: an input is NULL"
  [loss_shape]="$L: layer_terms[1] has shape [16, 16], expected [1]"
  [loss_nan]="$L: layer_terms[0] is not finite (nan at element 0)"
  [loss_nullterm]="$L: layer_terms[1] is NULL, expected [1]"
  [loss_fail]="$L returned no result and no message"
)
# ... and by `hrkd check` at the INI's shapes (D = 3, M = 1, F = 32, B = 2, T = 4)
declare -A ck=(
  [graph_shape]="$G: the ratio vector has shape [3, 32], expected [3]"
  [graph_undeclared]="$G: read undeclared key 'beta' in [relational.bad_graph] (declared: alpha)"
  [loss_shape]="$L: layer_terms[1] has shape [2, 4], expected [1]"
)
# ... and by `hrkd run` when create reads an undeclared key (before any step)
declare -A cr=(
  [create_undeclared]="plugin 'bad_graph' (relational.graph.create): read undeclared key 'heads' in [relational.bad_graph] (declared: alpha)"
)
for n in "${!st[@]}"; do expect 2 "hrkd: ${st[$n]}" "$H" plugins test "$tmp/$n.so"; done
for n in graph_ok loss_ok; do
  "$H" plugins test "$tmp/$n.so" >/dev/null 2>&1 && echo "ok   $n passes" || fail "$n refused"
done

# 3. in an INI: check refuses before training; run stops at the first step
sed 's/^epochs = 2/epochs = 1/' tests/ini/tiny_teacher.ini | sed "/^\[output\]/a dir = $tmp" > "$tmp/teacher.ini"
"$H" run "$tmp/teacher.ini" >/dev/null 2>&1 || fail "tiny teacher run"
ini() { # ini NAME → $tmp/run_NAME.ini using the plugin through [distill] loss or [relational] graph
  local sec=relational key=graph
  case $1 in loss*) sec=distill key=loss ;; esac
  { sed 's/^epochs = 2/epochs = 1/' tests/ini/tiny_distill.ini | sed "/^\[output\]/a dir = $tmp"
    printf '[teacher]\ncheckpoint = %s/tiny_teacher.h5\n[%s]\n%s = %s/%s.so\n' "$tmp" "$sec" "$key" "$tmp" "$1"
  } > "$tmp/run_$1.ini"
  keyline=$(grep -n "^$key = $tmp/$1.so" "$tmp/run_$1.ini" | cut -d: -f1)
  keyref="[$sec] $key"
}
for n in "${!ck[@]}"; do
  ini "$n"
  expect 2 "$tmp/run_$n.ini:$keyline: $keyref: ${ck[$n]}" "$H" check "$tmp/run_$n.ini"
  [ ! -e "$tmp/tiny_distill.h5" ] && echo "ok   nothing trained" || fail "check wrote a run file"
done
for n in "${!rt[@]}"; do
  ini "$n"
  expect 1 "hrkd run: distillation step 1: ${rt[$n]}" "$H" run "$tmp/run_$n.ini"
  rm -f "$tmp"/tiny_distill*.h5 "$tmp"/tiny_distill*.lock
done
for n in "${!cr[@]}"; do
  ini "$n"
  got=$("$H" run "$tmp/run_$n.ini" 2>&1 >/dev/null | filter)
  "$H" run "$tmp/run_$n.ini" >/dev/null 2>&1; rc=$?
  printf '%s\n' "$got" | grep -qF "${cr[$n]}" && [ $rc -eq 1 ] \
    && echo "ok   run: ${cr[$n]}" || { fail "run with $n"; echo "$got"; }
  rm -f "$tmp"/tiny_distill*.h5 "$tmp"/tiny_distill*.lock
done
ini graph_ok
"$H" check "$tmp/run_graph_ok.ini" >/dev/null 2>&1 && "$H" run "$tmp/run_graph_ok.ini" >/dev/null 2>&1 \
  && echo "ok   the valid plugin checks and runs" || fail "valid plugin in a run"

echo "$fails failure(s)"
[ $fails -eq 0 ]
