#!/usr/bin/env bash
# The engine's PyTorch oracle (tests/test_bert_oracle.c: forward, every gradient, AdamW) run on
# the CUDA backend. Skips, saying why, where the CUDA backend was not built or no GPU is present.
B=${HRKD_BUILD:-build}
# libcudart keeps allocations it never frees (seen by LeakSanitizer when a process merely
# probes for a GPU); leaks of our own code are checked by every CPU test.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
if [ ! -f "$B/lib/hrkd/backends/hrkd_backend_cuda.so" ]; then echo "skipped: CUDA backend not built (no nvcc)"; exit 77; fi
HRKD_TEST_BACKEND=cuda "$B/tests/test_bert_oracle"
