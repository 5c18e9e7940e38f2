#!/usr/bin/env bash
# The run file names the kernels a run used (`backend_detail`: the OpenBLAS build and kernel
# set), and [backend] blas_core pins OpenBLAS's kernel set: the run then records that set, two
# pinned runs are bit-identical, and a name OpenBLAS does not take, a set this CPU cannot run,
# or blas_core on another device is refused before anything runs.
source tests/common/lib.sh
# mk NAME [blas_core]: the tiny teacher run, written to $tmp/NAME.h5
mk() {
  { sed "s|^\[output\]|[output]\nfile = $tmp/$1.h5|" tests/ini/tiny_teacher.ini
    [ -z "${2:-}" ] || printf 'blas_core = %s\n' "$2"; } > "$tmp/$1.ini"   # [backend] is last
}
detail() { h5dump -a /backend_detail "$1" 2>/dev/null | sed -n 's/^ *(0): "\(.*\)"$/\1/p'; }

mk plain
"$HRKD" run "$tmp/plain.ini" > "$tmp/plain.log" 2>&1; check '[ $? -eq 0 ]' "unpinned run"
d=$(detail "$tmp/plain.h5")
check '[[ "$d" == *OpenBLAS* ]]' "run file records the kernels: $d"
check '"$HRKD" inspect "$tmp/plain.h5" | grep -q "^kernels: .*OpenBLAS"' "hrkd inspect shows them"

# A kernel set this CPU runs, other than OpenBLAS's own pick where possible.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
if [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* ]]; then core=Haswell
elif [[ " $flags " == *" avx "* ]]; then core=Sandybridge
else core=""; fi
if [ -n "$core" ] && [[ "$d" == *OpenBLAS*DYNAMIC_ARCH* ]]; then
  mk pin1 "$core"; mk pin2 "$core"
  "$HRKD" run "$tmp/pin1.ini" > "$tmp/pin1.log" 2>&1; check '[ $? -eq 0 ]' "run with blas_core = $core"
  "$HRKD" run "$tmp/pin2.ini" > /dev/null 2>&1; check '[ $? -eq 0 ]' "second run with blas_core = $core"
  check '[[ "$(detail "$tmp/pin1.h5")" == *" $core "* ]]' "pinned run records $core: $(detail "$tmp/pin1.h5")"
  check 'h5diff -q "$tmp/pin1.h5" "$tmp/pin2.h5" /losses /losses' "two pinned runs: bit-identical losses"
  check 'h5diff -q "$tmp/pin1.h5" "$tmp/pin2.h5" /checkpoint /checkpoint' "two pinned runs: bit-identical parameters"
else
  echo "note: pinned runs not checked (no AVX on this CPU, or OpenBLAS is not a DYNAMIC_ARCH build: $d)"
fi

mk bad NoSuchCore
out=$("$HRKD" run "$tmp/bad.ini" 2>&1); rc=$?
check '[ $rc -eq 2 ]' "unknown kernel set refused with status 2 (rc $rc)"
check '[[ "$out" == *"bad.ini: [backend] blas_core = NoSuchCore: OpenBLAS did not take it"* ]]' "message names the file and key: $(echo "$out" | tail -n 1 | head -c 200)"
check '[ ! -e "$tmp/bad.h5" ]' "no run file written"

if [[ " $flags " != *" avx512_bf16 "* ]]; then
  mk nocpu Cooperlake
  out=$("$HRKD" run "$tmp/nocpu.ini" 2>&1); rc=$?
  check '[ $rc -eq 2 ] && [[ "$out" == *"blas_core = Cooperlake: this CPU lacks AVX-512"* ]]' "a kernel set this CPU cannot run is refused (rc $rc)"
else
  echo "note: this CPU runs every kernel set the host knows; the 'CPU lacks' refusal is not exercised here"
fi

printf '[run]\nbase = %s\n[backend]\ndevice = cuda\nblas_core = Haswell\n' "$PWD/tests/ini/tiny_teacher.ini" > "$tmp/cuda.ini"
out=$("$HRKD" check "$tmp/cuda.ini" 2>&1); rc=$?
check '[ $rc -eq 2 ] && [[ "$out" == *"cuda.ini:5: [backend] blas_core: applies to device = cpu only"* ]]' "blas_core with device = cuda refused by hrkd check: $(echo "$out" | head -n 1)"
exit $fail
