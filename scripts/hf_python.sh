#!/usr/bin/env bash
# Prints the first Python that imports torch, transformers and safetensors: $HRKD_HF_PYTHON,
# the export check's virtual environment .hf-venv (made by `make hf-venv`), python3 on the PATH,
# or /usr/bin/python3. Exits 1, printing nothing, when none does. Used by the tests that load an
# exported student in transformers.
cd "$(dirname "$0")/.."
for p in ${HRKD_HF_PYTHON:-} "$PWD/.hf-venv/bin/python" python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import torch, transformers, safetensors' 2>/dev/null; then echo "$p"; exit 0; fi
done
exit 1
