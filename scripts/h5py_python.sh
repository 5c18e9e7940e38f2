#!/usr/bin/env bash
# Prints the first Python that imports h5py and numpy: $HRKD_PYTHON, python3 on the PATH, or
# Debian's /usr/bin/python3 (where python3-h5py installs when another python3, e.g. pyenv's,
# comes first on the PATH). Exits 1, printing nothing, when none does. Used by deps.sh, the
# reproduce scripts and the tests that read run files with h5py.
for p in ${HRKD_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import h5py, numpy' 2>/dev/null; then echo "$p"; exit 0; fi
done
exit 1
