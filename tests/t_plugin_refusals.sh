#!/usr/bin/env bash
# tests/t_plugin_refusals.sh — deliberately broken plugins, built here from
# tests/broken_plugins/broken.c (one -DBROKEN_<DEFECT> each), must each be refused with one
# line "<path>: <reason>" and a non-zero exit, both when named directly
# (`hrkd plugins describe PATH`) and when an INI names them (`hrkd check`); `hrkd plugins`
# over a folder holding them warns and still lists the good ones. Under the ASan tree any
# sanitizer report would be an extra stderr line and fail the exact comparison.
cd "$(dirname "$0")/.."
source tests/common/lib.sh
need_plugin_cc
filter() { grep -v "^hrkd: warning: $B/lib/hrkd/plugins/" || true; }
build() { build_plugin tests/broken_plugins/broken.c "$@"; } # build NAME [CFLAGS...] → $tmp/NAME.so

# check_ini PLUGIN_PATH WANT_REASON: an INI naming the plugin by path must fail the same way.
check_ini() {
  local so=$1 reason=$2 ini="$tmp/uses_$(basename "$1" .so).ini"
  printf '[run]\nmode = teacher\n[relational]\ngraph = %s\n' "$so" > "$ini"
  expect 2 "$ini:4: [relational] graph: $so: $reason" "$H" check "$ini"
}

size=$(printf '#include "hrkd/plugin.h"\n#include <stdio.h>\nint main(void){printf("%%zu", sizeof(hrkd_plugin_descriptor));return 0;}\n' \
       | cc -std=c11 -Ihost/include -x c - -o "$tmp/size" && "$tmp/size")

minor=$(sed -n 's/^#define HRKD_PLUGIN_ABI_MINOR *\([0-9]*\)u.*/\1/p' host/include/hrkd/plugin.h)

build good
build no_entry -DBROKEN_NO_ENTRY
build bad_magic -DBROKEN_MAGIC
build abi_major -DBROKEN_ABI_MAJOR
build abi_minor -DBROKEN_ABI_MINOR
build small -DBROKEN_SIZE
build bad_kind -DBROKEN_KIND
build null_create -DBROKEN_NULL_CREATE
build null_table -DBROKEN_NULL_TABLE
build wrong_table -DBROKEN_WRONG_TABLE
build null_function -DBROKEN_NULL_FUNCTION
build bad_name '-DPLUGIN_NAME="Bad-Name"'
build bad_default -DBROKEN_PARAM_DEFAULT
build abi10 -DABI_MINOR_ZERO '-DPLUGIN_NAME="abi10_graph"'
printf 'this text file is not an ELF shared object, whatever its name says; %s\n' {1..4} > "$tmp/not_elf.so"

declare -A reason=(
  [no_entry]="no entry symbol 'hrkd_plugin_entry' (not an hrkd plugin?)"
  [bad_magic]="bad magic 0xdeadbeef, expected 0x484b5244"
  [abi_major]="plugin ABI major 2, host supports 1"
  [abi_minor]="plugin ABI minor 5, host supports up to $minor (plugin built for a newer hrkd)"
  [small]="descriptor size 8, expected at least $size"
  [bad_kind]="unknown plugin kind 42 (expected 1..5)"
  [null_create]="descriptor has no create function"
  [null_table]="kind relational.graph but the graph function table is NULL"
  [wrong_table]="kind relational.graph but the graph function table is NULL and the loss function table is set (kind loss?)"
  [null_function]="graph function table: forward is NULL"
  [bad_name]="invalid plugin name 'Bad-Name' (expected [a-z0-9_]+)"
  [bad_default]="parameter 'beta': bad default: expected an integer, got 'many'"
  [not_elf]="cannot load: invalid ELF header"
)
for n in no_entry bad_magic abi_major abi_minor small bad_kind null_create null_table wrong_table null_function bad_name bad_default not_elf; do
  expect 2 "hrkd: $tmp/$n.so: ${reason[$n]}" "$H" plugins describe "$tmp/$n.so"
  check_ini "$tmp/$n.so" "${reason[$n]}"
done
expect 2 "hrkd: $tmp/missing.so: cannot open: No such file or directory" "$H" plugins describe "$tmp/missing.so"

# The good one loads by path, and its section is validated against its parameters.
out=$("$H" plugins describe "$tmp/good.so" 2>/dev/null)
printf '%s\n' "$out" | grep -q '^section:  \[relational.broken_graph\]' && printf '%s\n' "$out" | grep -q '^  alpha ' \
  && echo "ok   good.so described" || { echo "FAIL describe good.so"; echo "$out"; fails=$((fails + 1)); }
# a plugin built for ABI 1.0 (before the Meta-KD fields of 1.1) still loads
out=$("$H" plugins describe "$tmp/abi10.so" 2>&1)
echo "$out" | grep -q "abi10_graph" \
  && echo "ok   abi10.so (ABI 1.0) described" || { echo "FAIL describe abi10.so"; echo "$out"; fails=$((fails + 1)); }
printf '[run]\nmode = teacher\n[relational]\ngraph = %s\n[relational.broken_graph]\nalpha = 2\ngamma = 1\n' "$tmp/good.so" > "$tmp/params.ini"
expect 2 "$tmp/params.ini:6: [relational.broken_graph] alpha: 2 is out of range [0, 1]
$tmp/params.ini:7: [relational.broken_graph] gamma: unknown key" "$H" check "$tmp/params.ini"
printf '[run]\nmode = teacher\n[relational]\ngraph = %s\n[relational.broken_graph]\nalpha = 0.25\n' "$tmp/good.so" > "$tmp/params_ok.ini"
"$H" check --print "$tmp/params_ok.ini" 2>/dev/null | grep -qx 'alpha = 0.25' && echo "ok   plugin section bound" \
  || { echo "FAIL plugin section not in the effective configuration"; fails=$((fails + 1)); }

# Duplicate names: two files, one name. The first on the search path wins; naming the
# second is an error; listing warns and shows the name once.
mkdir -p "$tmp/a" "$tmp/b"
cc -std=c11 -shared -fPIC -Ihost/include '-DPLUGIN_NAME="dup_plugin"' -o "$tmp/a/dup.so" tests/broken_plugins/broken.c
cp "$tmp/a/dup.so" "$tmp/b/dup.so"
HRKD_PLUGIN_PATH="$tmp/a" expect 2 "hrkd: $tmp/b/dup.so: duplicate plugin name 'dup_plugin' (also in $tmp/a/dup.so)" \
  "$H" plugins describe "$tmp/b/dup.so"
printf '[run]\nmode = teacher\nplugin_path = a\n[relational]\ngraph = b/dup.so\n' > "$tmp/dup.ini"
expect 2 "$tmp/dup.ini:5: [relational] graph: $tmp/b/dup.so: duplicate plugin name 'dup_plugin' (also in $tmp/a/dup.so)" \
  "$H" check "$tmp/dup.ini"
HRKD_PLUGIN_PATH="$tmp/a:$tmp/b" expect 0 "hrkd: warning: $tmp/b/dup.so: duplicate plugin name 'dup_plugin' (also in $tmp/a/dup.so) (skipped)" \
  "$H" plugins
n=$(HRKD_PLUGIN_PATH="$tmp/a:$tmp/b" "$H" plugins 2>/dev/null | grep -c ' dup_plugin ')
[ "$n" = 1 ] && echo "ok   duplicate listed once" || { echo "FAIL duplicate listed $n times"; fails=$((fails + 1)); }

# A folder with bad plugins: warnings, exit 0, the good plugin still listed.
mkdir -p "$tmp/mixed"
cp "$tmp/good.so" "$tmp/abi_major.so" "$tmp/not_elf.so" "$tmp/mixed/"
HRKD_PLUGIN_PATH="$tmp/mixed" expect 0 "hrkd: warning: $tmp/mixed/abi_major.so: plugin ABI major 2, host supports 1 (skipped)
hrkd: warning: $tmp/mixed/not_elf.so: cannot load: invalid ELF header (skipped)" "$H" plugins
HRKD_PLUGIN_PATH="$tmp/mixed" "$H" plugins 2>/dev/null | grep -q '^relational.graph  *broken_graph ' \
  && echo "ok   good plugin listed beside bad ones" || { echo "FAIL good plugin not listed"; fails=$((fails + 1)); }
# ... and an INI using the good one from that folder still checks (warnings only).
printf '[run]\nmode = teacher\nplugin_path = mixed\n[relational]\ngraph = broken_graph\n' > "$tmp/mixed.ini"
HRKD_PLUGIN_PATH= "$H" check "$tmp/mixed.ini" >/dev/null 2>&1 && echo "ok   plugin_path folder used" \
  || { echo "FAIL check with plugin_path"; "$H" check "$tmp/mixed.ini"; fails=$((fails + 1)); }

echo "$fails failure(s)"
[ $fails -eq 0 ]
