#!/usr/bin/env bash
# backends/cuda/emu/run.sh — run tests/test_backend_parity against the CUDA backend's kernels
# executed by the CPU emulation in this folder (no GPU needed), to check their logic.
#
#   make B=build build-tests && bash backends/cuda/emu/run.sh build
#
# Each backends/cuda/*.cu is rewritten into C++ (a <<<grid, block, ...>>> launch becomes
# emu_launch(...)), compiled with g++ against the stand-in headers here, and installed with
# the real CPU backend into build/emu/; then the parity test runs there. EMU_SMS sets the
# emulated multiprocessor count (grid sizes); default 1.
set -euo pipefail
cd "$(dirname "$0")/../../.."
tree=${1:-build}
out="$tree/emu"
src="$out/src"
mkdir -p "$src" "$out/lib/hrkd/backends"
for f in backends/cuda/*.cu; do
  python3 - "$f" > "$src/$(basename "$f" .cu).cc" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
launch = re.compile(r'(\w+)\s*<<<(.*?)>>>\s*\((.*?)\);', re.S)
s = launch.sub(lambda m: 'emu_launch(emu_cfg(%s), [&] { %s(%s); });' % (m.group(2), m.group(1), m.group(3)), s)
print('#include "cuda_runtime.h"\n' + s)
PY
done
cp backends/cuda/*.cuh "$src/"
g++ -std=c++17 -O1 -g -fPIC -shared -fvisibility=hidden -Wall -Wno-unused-function \
    -Ibackends/cuda/emu -I"$src" -Ihost/include -o "$out/lib/hrkd/backends/hrkd_backend_cuda.so" \
    "$src"/*.cc backends/cuda/emu/emu.cc
cp "$tree/lib/hrkd/backends/hrkd_backend_cpu.so" "$out/lib/hrkd/backends/"
# EMU_BUILD_ONLY=1: build only (precision.sh runs hrkd itself on the emulated backend)
[ "${EMU_BUILD_ONLY:-0}" = 1 ] || HRKD_BUILD="$out" "$tree/tests/test_backend_parity"
