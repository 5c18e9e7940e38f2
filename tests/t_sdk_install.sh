#!/usr/bin/env bash
# tests/t_sdk_install.sh — the SDK as a third-party author sees it: `make install` into a
# temporary prefix, build every example plugin under examples/plugins/ out of tree with its
# own Makefile and `pkg-config --cflags --libs hrkd`, put them in a folder on
# HRKD_PLUGIN_PATH, and check that the installed `hrkd plugins` lists them, describes their
# parameters, and accepts an INI that uses all five.
cd "$(dirname "$0")/.."
source tests/common/lib.sh
command -v pkg-config >/dev/null || { echo "pkg-config not installed"; exit 77; }
need_built
install_sdk
for f in bin/hrkd lib/libhrkd.so lib/pkgconfig/hrkd.pc include/hrkd/plugin.h include/hrkd/tensor.h \
         include/hrkd/config.h include/hrkd/status.h include/hrkd/hrkd.h include/hrkd/plugin_relational.h \
         include/hrkd/plugin_teacher.h include/hrkd/relational/weights.h; do
  [ -e "$P/$f" ] || fail "not installed: $f"
done
ls "$P"/lib/hrkd/backends/hrkd_backend_*.so >/dev/null 2>&1 || fail "no backend installed"

export PKG_CONFIG_PATH="$P/lib/pkgconfig"
cflags=$(pkg-config --cflags hrkd) && libs=$(pkg-config --libs hrkd) || fail "pkg-config hrkd"
case "$cflags" in *"$P/include"*) ;; *) fail "cflags '$cflags' do not point into the prefix" ;; esac

# The bundled relational plugins' sources installed beside the examples build against the
# installed SDK alone (hrkd/plugin_relational.h and their weights.h).
n_src=0
for src in "$P"/share/hrkd/src/relational/*.c; do
  n=$(basename "$src" .c); n_src=$((n_src + 1))
  cc -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -shared -fPIC -fvisibility=hidden $cflags \
     -o "$tmp/src_relational_$n.so" "$src" -lm 2>"$tmp/src_$n.log" \
    || fail "installed source relational/$n.c does not build: $(cat "$tmp/src_$n.log")"
done
[ $n_src -ge 7 ] && echo "ok   $n_src installed relational sources build out of tree" || fail "only $n_src relational sources installed"

# Build out of tree: copy each example somewhere unrelated and run its Makefile there.
mkdir -p "$tmp/myplugins"
for d in examples/plugins/*/; do
  n=$(basename "$d")
  cp -r "$d" "$tmp/src_$n"
  # plugins loaded into an ASan host need no sanitizer themselves
  if ! make --no-print-directory -s -C "$tmp/src_$n" CFLAGS="-O2 -g" >"$tmp/build_$n.log" 2>&1; then
    cat "$tmp/build_$n.log"; fail "example $n does not build out of tree"; continue
  fi
  cp "$tmp/src_$n"/*.so "$tmp/myplugins/"
done

# The installed program, with the installed library only (the build tree is not consulted:
# its plugins folder is found from the installed libhrkd.so).
list=$(HRKD_PLUGIN_PATH="$tmp/myplugins" "$P/bin/hrkd" plugins 2>"$tmp/plugins.err")
rc=$?
[ $rc -eq 0 ] || fail "hrkd plugins exit $rc: $(cat "$tmp/plugins.err")"
for want in "loss example_loss" "relational.reference example_reference" "relational.aggregate example_aggregate" \
            "relational.graph example_graph" "teacher example_teacher"; do
  kind=${want% *}; name=${want#* }
  printf '%s\n' "$list" | grep -Eq "^$kind +$name +1\.0\.0 " && echo "ok   listed: $kind $name" || fail "not listed: $want"
done
ver=$("$P/bin/hrkd" --version)
printf '%s\n' "$ver" | grep -q "^library: $P/lib/libhrkd.so" || fail "--version does not use the installed library: $ver"

desc=$(HRKD_PLUGIN_PATH="$tmp/myplugins" "$P/bin/hrkd" plugins describe example_loss 2>&1)
printf '%s\n' "$desc" | grep -q '^  hidden_weight  *float  *1.0 ' && echo "ok   describe example_loss" || fail "describe: $desc"

cat > "$tmp/uses_examples.ini" <<'X'
[run]
mode = distill
plugin_path = myplugins
[teacher]
strategy = example_teacher
[distill]
loss = example_loss
[relational]
reference = example_reference
aggregate = example_aggregate
graph = example_graph
[loss.example_loss]
temperature = 2
[relational.example_graph]
temperature = 0.5
X
out=$(HRKD_PLUGIN_PATH= "$P/bin/hrkd" check --print "$tmp/uses_examples.ini" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then fail "check of an INI using the examples: $out"
else
  printf '%s\n' "$out" | grep -qx 'use_attention = true' && printf '%s\n' "$out" | grep -qx '\[teacher.example_teacher\]' \
    && echo "ok   INI using all five examples checks, defaults filled in" || fail "effective configuration: $out"
fi
echo "$fails failure(s)"
[ $fails -eq 0 ]
