#!/usr/bin/env bash
# tests/t_config_errors.sh — broken INI files: each `hrkd check` must print exactly the
# expected "FILE:LINE: ..." lines on stderr (all problems of a file in one pass), nothing on
# stdout, and exit 2. Also: a good base + ablation pair, --print, and docs/ini.md being what
# `hrkd check --doc` prints. Runs under the ASan tree too (tests/run.sh), where any sanitizer
# report would show up as an extra stderr line.
set -u
cd "$(dirname "$0")/.."
root=$PWD
B=${HRKD_BUILD:-build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
H="$B/bin/hrkd"
[ -x "$H" ] || { echo "missing $H (build first)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HRKD_PLUGIN_PATH=
fails=0

# Warnings about plugins in the build's own folder belong to other tests: drop them.
filter() { grep -v "^hrkd: warning: $B/lib/hrkd/plugins/" || true; }

# expect_check FILE EXPECTED_STDERR — runs `hrkd check FILE` inside $tmp.
expect_check() {
  local file=$1 want=$2 got rc
  got=$(cd "$tmp" && "$H" check "$file" 2>&1 >/dev/null | filter)
  (cd "$tmp" && "$H" check "$file" >/dev/null 2>&1); rc=$?
  if [ "$got" != "$want" ] || [ $rc -ne 2 ]; then
    echo "FAIL $file (exit $rc)"; echo "--- expected"; echo "$want"; echo "--- got"; echo "$got"
    fails=$((fails + 1))
  else
    echo "ok   $file"
  fi
}

ini() { cat > "$tmp/$1"; }

ini unknown_section.ini <<'X'
[run]
mode = teacher
[foo]
x = 1
X
expect_check unknown_section.ini "unknown_section.ini:3: [foo]: unknown section (expected run, data, teacher, student, distill, relational, metakd, optimizer, output, backend, or a plugin's [loss.NAME], [relational.NAME], [teacher.NAME])"

ini unknown_key.ini <<'X'
[student]
hiden = 312
colour = blue
X
expect_check unknown_key.ini "unknown_key.ini:2: [student] hiden: unknown key (did you mean 'hidden'?)
unknown_key.ini:3: [student] colour: unknown key"

ini bad_int.ini <<'X'
[student]
layers = four
X
expect_check bad_int.ini "bad_int.ini:2: [student] layers: expected an integer, got 'four'"

ini windows_synthetic.ini <<'X'
[data]
format = synthetic
train_windows = 3
X
expect_check windows_synthetic.ini "windows_synthetic.ini:3: [data] train_windows: needs single texts (format amazon, tsv or jsonl), not format = synthetic"

ini columns_amazon.ini <<'X'
[data]
format = amazon
path = .
columns = text:review
X
expect_check columns_amazon.ini "columns_amazon.ini:4: [data] columns: applies to format tsv and jsonl, not format = amazon"

ini columns_bad.ini <<'X'
[data]
format = tsv
path = .
columns = text:sentence1, gold_label
X
expect_check columns_bad.ini "columns_bad.ini:4: [data] columns: 'gold_label' is not FIELD:NAME (fields: text, text_b, label, domain)"

ini bad_float.ini <<'X'
[optimizer]
lr = fast
X
expect_check bad_float.ini "bad_float.ini:2: [optimizer] lr: expected a number, got 'fast'"

ini out_of_range.ini <<'X'
[student]
layers = 100
[optimizer]
lr = 0
warmup_ratio = 1.5
X
expect_check out_of_range.ini "out_of_range.ini:2: [student] layers: 100 is out of range [1, 48]
out_of_range.ini:4: [optimizer] lr: 0 is out of range: must be > 0
out_of_range.ini:5: [optimizer] warmup_ratio: 1.5 is out of range [0, 1]"

ini bad_enum.ini <<'X'
[student]
gelu = relu
X
expect_check bad_enum.ini "bad_enum.ini:2: [student] gelu: expected one of erf|tanh, got 'relu'"

ini bad_bool.ini <<'X'
[data]
lowercase = maybe
X
expect_check bad_bool.ini "bad_bool.ini:2: [data] lowercase: expected true/false, yes/no, on/off or 1/0, got 'maybe'"

ini missing_required.ini <<'X'
[run]
mode = teacher
[data]
format = tsv
X
expect_check missing_required.ini "missing_required.ini:4: [data] path: required when format = tsv"

ini bad_list.ini <<'X'
[run]
seeds = 1, x, 3
X
expect_check bad_list.ini "bad_list.ini:2: [run] seeds: item 2: expected an integer, got 'x'"

ini cross.ini <<'X'
[student]
hidden = 100
heads = 12
[distill]
layer_map = 0,1,2
X
expect_check cross.ini "cross.ini:2: [student] hidden: 100 is not a multiple of heads = 12
cross.ini:5: [distill] layer_map: 3 numbers given, expected 5 (student layers 0..4)"

ini syntax.ini <<'X'
orphan = 1
[run]
this line has no equals sign
[unclosed
inside = dropped
[data]
%exec rm -rf /
X
expect_check syntax.ini "syntax.ini:1: key 'orphan' is not inside a valid [section]
syntax.ini:3: expected 'key = value', '[section]', '%include FILE' or a comment
syntax.ini:4: expected ']' to close the section name
syntax.ini:7: unknown directive '%exec' (expected %include FILE)"

ini cycle_a.ini <<'X'
[run]
mode = teacher
%include cycle_b.ini
X
ini cycle_b.ini <<'X'
%include cycle_a.ini
X
expect_check cycle_a.ini "cycle_b.ini:1: %include cycle_a.ini: include cycle (cycle_a.ini -> cycle_b.ini -> cycle_a.ini)"

ini self_base.ini <<'X'
[run]
base = self_base.ini
X
expect_check self_base.ini "self_base.ini:2: [run] base self_base.ini: include cycle (self_base.ini -> self_base.ini)"

ini missing_include.ini <<'X'
%include nope.ini
X
expect_check missing_include.ini "missing_include.ini:1: %include nope.ini: cannot open: No such file or directory"

ini wrong_kind.ini <<'X'
[run]
mode = teacher
[distill]
loss = mtl
X
expect_check wrong_kind.ini "wrong_kind.ini:4: [distill] loss: plugin 'mtl' is of kind teacher, expected loss"

# An unknown plugin lists the available ones of that kind (which depend on the build): the
# line must start with the fixed part and name the bundled teacher plugins.
ini unknown_plugin.ini <<'X'
[run]
mode = teacher
[teacher]
strategy = nosuch
X
got=$(cd "$tmp" && "$H" check unknown_plugin.ini 2>&1 >/dev/null | filter)
case "$got" in
  "unknown_plugin.ini:4: [teacher] strategy: plugin 'nosuch' not found; available teacher plugins: "*mtl*)
    [ "$(printf '%s\n' "$got" | wc -l)" -eq 1 ] && echo "ok   unknown_plugin.ini" || { echo "FAIL unknown_plugin.ini: $got"; fails=$((fails+1)); } ;;
  *) echo "FAIL unknown_plugin.ini: $got"; fails=$((fails + 1)) ;;
esac

# One file, many problems: all reported in one pass, top to bottom, across an include.
ini many_inc.ini <<'X'
[backend]
device = tpu
X
ini many.ini <<'X'
; several mistakes at once
[run]
mode = train
epochs = -1
%include many_inc.ini
[student]
layers = 0
dropout = 2
[teacher]
gelu = exact
[nosuch]
X
expect_check many.ini "many.ini:3: [run] mode: expected one of distill|teacher|eval, got 'train'
many.ini:4: [run] epochs: -1 is out of range: must be >= 0
many.ini:7: [student] layers: 0 is out of range [1, 48]
many.ini:8: [student] dropout: 2 is out of range [0, 0.99]
many.ini:10: [teacher] gelu: expected one of erf|tanh, got 'exact'
many.ini:11: [nosuch]: unknown section (expected run, data, teacher, student, distill, relational, metakd, optimizer, output, backend, or a plugin's [loss.NAME], [relational.NAME], [teacher.NAME])
many_inc.ini:2: [backend] device: expected one of cpu|cuda, got 'tpu'"

# A good base + a one-line ablation on top; later keys override, paths follow their file.
mkdir -p "$tmp/sub"
ini sub/base.ini <<'X'
[run]
name = base_run
mode = teacher
epochs = 2
[student]
layers = 4
hidden = 312
[output]
dir = out
X
ini ablation.ini <<'X'
[student]
layers = 2
[run]
base = sub/base.ini
name = ablation
X
out=$(cd "$tmp" && "$H" check --print ablation.ini 2>&1 | filter); rc=$?
real=$(cd "$tmp" && pwd -P)
for want in "name = ablation" "epochs = 2" "layers = 2" "hidden = 312" "dir = $real/sub/out" "file = $real/sub/out/ablation.h5"; do
  if ! printf '%s\n' "$out" | grep -qxF "$want"; then echo "FAIL base/ablation: no line '$want'"; echo "$out"; fails=$((fails + 1)); fi
done
if printf '%s\n' "$out" | grep -q '^base'; then echo "FAIL base/ablation: base key printed"; fails=$((fails + 1)); fi
# The printed effective configuration is itself a valid INI that prints the same.
(cd "$tmp" && "$H" check --print ablation.ini > eff.ini 2>/dev/null && "$H" check --print eff.ini > eff2.ini 2>/dev/null)
if ! diff <(tail -n +3 "$tmp/eff.ini") <(tail -n +3 "$tmp/eff2.ini") >/dev/null; then
  echo "FAIL effective configuration is not a fixed point"; diff "$tmp/eff.ini" "$tmp/eff2.ini" | head; fails=$((fails + 1))
else echo "ok   base + ablation, --print round trip"; fi

# docs/ini.md is generated from the schema: it must be current.
if ! "$H" check --doc | diff -q - docs/ini.md >/dev/null; then
  echo "FAIL docs/ini.md differs from 'hrkd check --doc' (regenerate: hrkd check --doc > docs/ini.md)"
  fails=$((fails + 1))
else echo "ok   docs/ini.md is current"; fi

# Usage errors exit 2, unknown/unbuilt commands are not crashes.
"$H" check >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL 'hrkd check' without a file: exit not 2"; fails=$((fails + 1)); }
"$H" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL unknown command: exit not 2"; fails=$((fails + 1)); }
"$H" --help | grep -q '^exit status: 0 ok' || { echo "FAIL --help lacks the exit codes"; fails=$((fails + 1)); }
"$H" --version | grep -q '^hrkd [0-9]' || { echo "FAIL --version"; fails=$((fails + 1)); }

echo "$fails failure(s)"
[ $fails -eq 0 ]
