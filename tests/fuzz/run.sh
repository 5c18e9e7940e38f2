#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS [TARGET...] — the `make fuzz` driver.
#
# Builds every tests/fuzz/fuzz_*.c (or only the TARGETs named, e.g. fuzz_ini) with clang's
# libFuzzer + AddressSanitizer + UBSan together with all library sources (host/*/*.c but not
# the CLI), runs each for SECONDS on its corpus, prints one JSON line per target with the
# execution count, and exits non-zero when any target crashed (the reproducer is kept under
# $FUZZ_BUILD/artifacts/<target>/).
#
# Corpus: tests/fuzz/corpus/<name>/ (name = target without "fuzz_") holds the committed seeds
# and is only read; what libFuzzer finds goes to $FUZZ_BUILD/corpus/<name>/.
# FUZZ_BUILD (default build-fuzz) is the build folder; FUZZ_JOBS (default 2) compile jobs.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
out=${FUZZ_BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
command -v clang >/dev/null || { echo "fuzz: clang not found (apt-get install clang)" >&2; exit 3; }

targets=()
if [ $# -gt 0 ]; then
  for t in "$@"; do targets+=("tests/fuzz/${t%.c}.c"); done
else
  for t in tests/fuzz/fuzz_*.c; do [ -f "$t" ] && targets+=("$t"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets" >&2; exit 2; }

hdf5_cflags=$(pkg-config --cflags hdf5 2>/dev/null)
hdf5_libs=$(pkg-config --libs hdf5 2>/dev/null || echo -lhdf5)
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Ihost/include -Ihost $hdf5_cflags"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

# The library once, instrumented for coverage (fuzzer-no-link), one object per source.
mkdir -p "$out/obj"
srcs=()
for s in host/*/*.c; do case "$s" in host/cli/*) ;; *) srcs+=("$s");; esac; done
newest_h=$(ls -t host/include/hrkd/*.h host/*/*.h 2>/dev/null | head -n 1)
export cflags san out newest_h
printf '%s\n' "${srcs[@]}" | xargs -P "$jobs" -I{} bash -c '
  s={}; o="$out/obj/$(echo "$s" | tr / _).o"
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
    clang $cflags $san -fsanitize=fuzzer-no-link -c "$s" -o "$o" || exit 255
  fi' || { echo "fuzz: building the library failed" >&2; exit 1; }
objs=()
for s in "${srcs[@]}"; do objs+=("$out/obj/$(echo "$s" | tr / _).o"); done
# Objects of sources that no longer exist would be linked twice: only list current ones.

failed=0
for t in "${targets[@]}"; do
  name=$(basename "$t" .c)
  short=${name#fuzz_}
  bin="$out/$name"
  if ! clang $cflags $san -fsanitize=fuzzer "$t" "${objs[@]}" -o "$bin" $hdf5_libs -linih -ldl -lm -lpthread; then
    echo "{\"target\":\"$name\",\"error\":\"build failed\"}"
    failed=1
    continue
  fi
  mkdir -p "$out/corpus/$short" "$out/artifacts/$name" "tests/fuzz/corpus/$short"
  log="$out/$name.log"
  # libhdf5 leaks a little on some error paths of damaged files (fuzz_h5.c): leaks are not
  # findings there; our own are covered by the ASan test build
  leaks=1; [ "$name" = fuzz_h5 ] && leaks=0
  ASAN_OPTIONS="detect_leaks=$leaks:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -detect_leaks=$leaks \
    -artifact_prefix="$out/artifacts/$name/" "$out/corpus/$short" "tests/fuzz/corpus/$short" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
  ran=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -n 1)
  [ -n "$execs" ] || execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*')
  units=$(ls "$out/corpus/$short" | wc -l)
  status=ok
  if [ $rc -ne 0 ]; then
    status=crash
    failed=1
    grep -m 5 -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | sed 's/^/  | /' >&2
  fi
  echo "{\"target\":\"$name\",\"seconds\":${ran:-0},\"execs\":${execs:-0},\"cov\":${cov:-0},\"corpus\":$units,\"status\":\"$status\",\"exit\":$rc,\"log\":\"$log\"}"
done
exit $failed
