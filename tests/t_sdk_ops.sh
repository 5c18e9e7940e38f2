#!/usr/bin/env bash
# tests/t_sdk_ops.sh — plugin authors' ops out of tree: `make install` into a temporary
# prefix; from the INSTALLED examples (share/hrkd/examples) build a cosine-similarity graph
# plugin (SDK math ops) and a graph plugin with an op of its own (hrkd_custom), and the
# gradient-check program; check both plugins' gradients against finite differences; run a
# tiny distillation with each as [relational] graph and check the run file's ratios.
cd "$(dirname "$0")/.."
source tests/common/lib.sh
command -v pkg-config >/dev/null || { echo "pkg-config not installed"; exit 77; }
need_built
install_sdk
for f in include/hrkd/relational/weights.h share/hrkd/src/relational/gat.c share/hrkd/sdk.md \
         share/hrkd/examples/gradcheck/plugin_gradcheck.c \
         share/hrkd/examples/plugins/graph_cosine/graph_cosine.c \
         share/hrkd/examples/plugins/graph_custom_op/graph_custom_op.c; do
  [ -e "$P/$f" ] || fail "not installed: $f"
done
export PKG_CONFIG_PATH="$P/lib/pkgconfig"

# Build from copies of the installed examples, in folders unrelated to the source tree.
mkdir -p "$tmp/myplugins"
for d in plugins/graph_cosine plugins/graph_custom_op gradcheck; do
  n=$(basename "$d")
  cp -r "$P/share/hrkd/examples/$d" "$tmp/src_$n"
  if ! make --no-print-directory -s -C "$tmp/src_$n" CFLAGS="-O2 -g" >"$tmp/build_$n.log" 2>&1; then
    cat "$tmp/build_$n.log"; fail "installed example $d does not build out of tree"; continue
  fi
  cp "$tmp/src_$n"/*.so "$tmp/myplugins/" 2>/dev/null
done

# Gradients against finite differences (an ASan library needs its runtime preloaded into
# the uninstrumented checker).
pre=""
[ -n "$san" ] && pre=$(gcc -print-file-name=libasan.so)
for so in example_cosine_graph example_custom_graph; do
  if [ -x "$tmp/src_gradcheck/plugin_gradcheck" ]; then
    out=$(LD_PRELOAD="$pre" ASAN_OPTIONS=detect_leaks=0 "$tmp/src_gradcheck/plugin_gradcheck" "$tmp/myplugins/$so.so" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    [ $rc -eq 0 ] || fail "gradient check of $so (exit $rc)"
  fi
done

# A tiny distillation with each graph plugin; the run file logs its ratios.
for so in example_cosine_graph example_custom_graph; do
  sed -e "s|^\[run\]|[run]\nplugin_path = $tmp/myplugins|" \
      -e "s|^\[output\]|[output]\nfile = $tmp/$so.h5|" \
      -e "s|^epochs = 2|epochs = 1|" \
      -e "s|^\[relational.gat\]|[relational]\ngraph = $so\n\n[relational.gat]|" \
      tests/ini/tiny_distill.ini > "$tmp/$so.ini"
  if ! HRKD_LOG=warn "$P/bin/hrkd" run "$tmp/$so.ini" >"$tmp/$so.log" 2>&1; then
    tail -n 20 "$tmp/$so.log"; fail "tiny distillation with $so"; continue
  fi
  insp=$("$P/bin/hrkd" inspect "$tmp/$so.h5" --config 2>&1)
  printf '%s\n' "$insp" | grep -qx "graph = $so" || fail "run file of $so does not record graph = $so"
  # the latest ratios of student layer 1: D = 3 values summing to 1, not all 1/3
  row=$(printf '%s\n' "$insp" | sed -n '/^== latest domain-relational ratios ==/,/^$/p' | grep '^1 ')
  if printf '%s\n' "$row" | awk 'NF == 4 { s = $2 + $3 + $4; u = ($2 == $3 && $3 == $4);
                                          exit !(s > 0.999 && s < 1.001 && !u) } NF != 4 { exit 1 }'; then
    echo "ok   distilled with graph = $so, layer-1 ratios: $(echo ${row#1})"
  else fail "ratios of $so: '$row'"; fi
done
echo "$fails failure(s)"
[ $fails -eq 0 ]
