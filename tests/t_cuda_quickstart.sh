#!/usr/bin/env bash
# A tiny teacher→HRKD-student run on CUDA tracks the CPU run step by step: every logged loss
# term of the student agrees to 1e-3 relative (dropout masks are identical by construction;
# the rest differs by float summation order). Skips, saying why, without a GPU or h5py.
source tests/common/lib.sh   # B, HRKD, tmp, need_h5py
# libcudart keeps allocations it never frees (seen by LeakSanitizer when a process merely
# probes for a GPU); leaks of our own code are checked by every CPU test.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
if [ ! -f "$B/lib/hrkd/backends/hrkd_backend_cuda.so" ]; then echo "skipped: CUDA backend not built (no nvcc)"; exit 77; fi
need_h5py
for dev in cpu cuda; do
  sed -e "s|^\[output\]|[output]\nfile = $tmp/$dev.h5|" -e "s|^threads = 1|threads = 1\ndevice = $dev|" \
      tests/ini/tiny_distill.ini > "$tmp/$dev.ini"
  "$HRKD" run "$tmp/$dev.ini" > "$tmp/$dev.log" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    if [ $dev = cuda ] && [ $rc -eq 3 ]; then echo "skipped: $(grep -m1 'hrkd' "$tmp/$dev.log")"; exit 77; fi
    echo "FAILED: $dev run (exit $rc)"; cat "$tmp/$dev.log"; exit 1
  fi
done
"$PY" - "$tmp/cpu.h5" "$tmp/cuda.h5" <<'PY'
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["losses/values"][()]
b = h5py.File(sys.argv[2], "r")["losses/values"][()]
assert a.shape == b.shape and a.shape[0] > 0, (a.shape, b.shape)
rel = np.abs(a - b).max(axis=(1, 2)) / np.maximum(np.abs(a).max(axis=(1, 2)), 1e-12)
print("steps %d, worst per-step relative difference %.3g" % (len(rel), rel.max()))
sys.exit(0 if rel.max() <= 1e-3 else 1)
PY
