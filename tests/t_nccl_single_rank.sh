#!/usr/bin/env bash
# hrkd_comm_nccl.so built without MPI (comm/nccl/single_rank.c): `[run] comm = nccl` starts
# with no launcher, rank 0 of 1, up to the GPU (with a GPU the run completes; without one it
# stops at the device, not at a rendezvous), and a process that a launcher started as one of
# several ranks is refused with a message. Skips where nvcc or nccl.h is missing.
source tests/common/lib.sh   # B, HRKD, tmp, check, fail
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"   # libcudart's probe allocations
lib="$tmp/b/lib/hrkd/comm/hrkd_comm_nccl.so"
if ! make --no-print-directory -s B="$tmp/b" MPI_LIBS= MPI_CFLAGS= "$lib" > "$tmp/make.log" 2>&1; then
  echo "skipped: hrkd_comm_nccl.so does not build here (no nvcc or nccl.h): $(tail -n 1 "$tmp/make.log")"; exit 77
fi
check '! ldd "$lib" | grep -q libmpi' "the library links no MPI"
sed -e "s|^\[output\]|[output]\nfile = $tmp/a.h5|" -e "s|^\[run\]|[run]\ncomm = nccl|" \
    -e "s|^threads = 1|threads = 1\ndevice = cuda|" tests/ini/tiny_distill.ini > "$tmp/a.ini"
export HRKD_COMM_PATH="$tmp/b/lib/hrkd/comm"
OMPI_COMM_WORLD_SIZE=2 "$HRKD" run "$tmp/a.ini" > "$tmp/two.log" 2>&1
check '[ $? -ne 0 ] && grep -q "built without MPI and runs one rank only, but the launcher started 2" "$tmp/two.log"' \
      "a launch of 2 ranks is refused with a message"
env -u OMPI_COMM_WORLD_SIZE -u PMI_SIZE "$HRKD" run "$tmp/a.ini" > "$tmp/one.log" 2>&1; rc=$?
check '[ $rc -eq 0 ] || grep -q "no CUDA device for NCCL" "$tmp/one.log"' \
      "one rank starts without a launcher (a GPU run completes; without a GPU it stops at the device)"
[ $fail -eq 0 ] || cat "$tmp/one.log" "$tmp/two.log"
exit $fail
