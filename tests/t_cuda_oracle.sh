#!/usr/bin/env bash
# The engine's PyTorch oracle (tests/test_bert_oracle.c: forward, every gradient, AdamW) run on
# the CUDA backend in fp32, tf32 and bf16. Skips, saying why, where the CUDA backend was not built or no GPU is present.
B=${HRKD_BUILD:-build}
# libcudart keeps allocations it never frees (seen by LeakSanitizer when a process merely
# probes for a GPU); leaks of our own code are checked by every CPU test.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
if [ ! -f "$B/lib/hrkd/backends/hrkd_backend_cuda.so" ]; then echo "skipped: CUDA backend not built (no nvcc)"; exit 77; fi
rc=0
for p in fp32 tf32 bf16; do   # the tolerances of tf32 and bf16: tests/test_bert_oracle.c
  echo "== precision $p"
  HRKD_TEST_BACKEND=cuda HRKD_TEST_PRECISION=$p "$B/tests/test_bert_oracle"; r=$?
  [ $r -eq 77 ] && exit 77
  [ $r -ne 0 ] && rc=1
done
exit $rc
