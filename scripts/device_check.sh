#!/usr/bin/env bash
# The GPU check: a kit prepared on a build machine (Debian, CUDA toolkit) that a GPU
# machine with a different image (CUDA toolkit, Python + PyTorch, NCCL from pip; none of the
# Debian packages hrkd links: HDF5, inih, OpenBLAS) runs in one command. docs/cuda.md.
#
#   scripts/device_check.sh prepare --ref DIR [--kit DIR] [--build DIR] [--from-build DIR] [--fast]
#       Builds the project with the CUDA backend for the H100 (sm_90 machine code + compute_90
#       PTX) into --build (default build-device), without MPI (the NCCL communicator then runs
#       one rank with no launcher); copies bin/, lib/ and tests/ into the kit (default
#       device-kit), gathers every library they load that the GPU machine does not provide
#       (found with ldd) into the kit's runtime.tar.xz (.gz with --fast), copies the PyTorch
#       reference code from DIR (a checkout of github.com/cheneydon/hrkd) into the kit, writes
#       the kit's MANIFEST, checks that the kit and the working tree fit the 64 MiB the GPU
#       machine receives, and prints what to carry. --from-build DIR stages an existing build
#       tree instead of building; --fast compresses quickly (tests).
#   scripts/device_check.sh run [--kit DIR] [--dry-run] [--stages A,B] [OUTDIR]
#       On the GPU machine: unpacks the libraries and runs the stages (STAGES, DESCRIBE below;
#       --dry-run lists them with their commands and time limits), one line on stdout per
#       stage as it starts and ends; a failing stage does not stop the next. Writes into
#       OUTDIR (default $DEVICE_OUT, else ./device-out): summary.json, all.log (every stage's
#       log, one after the other), logs.tar.gz (the same, one file per stage), bench.jsonl,
#       distill.jsonl. Exits 1 if any stage failed. With --dry-run (any machine): checks the
#       kit (MANIFEST checksums, size, that every library resolves inside the kit except those
#       the GPU image provides) and prints the stages with their commands; exits 0 when the
#       kit is sound. --stages A,B runs only those (a rerun after a fix);
#       DEVICE_CHECK_ROUNDS=N sets the rounds of the distillation comparison (default 3).
#   scripts/device_check.sh --dry-run [--kit DIR]      the same as run --dry-run
#   scripts/device_check.sh simulate [--kit DIR]
#       As root: runs the kit's programs in a bare root holding only the C library, libstdc++,
#       libgcc_s and the CUDA toolkit's libraries (what the GPU image surely has), and checks that
#       nothing else is missing: ldd of every program, `hrkd --version`, a CPU bench, a tiny CPU
#       distillation writing its HDF5 run file, the CPU kernel tests, and the parity test (which
#       skips there, no GPU).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LIMIT_BYTES=$((64 * 1024 * 1024))
ARCH_FLAGS="-gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"
# Libraries the GPU machine provides (C library, GCC runtime, CUDA driver and toolkit, NCCL from
# pip) and the kit's own libhrkd.so; every other library a program loads travels in the kit.
PROVIDED='^(linux-vdso\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libgcc_s\.so|libstdc\+\+\.so|libcuda\.so|libcudart\.so|libcublas\.so|libcublasLt\.so|libnccl\.so|libhrkd\.so)'

die() { echo "device_check: $*" >&2; exit 1; }
abspath() { (cd "$1" 2>/dev/null && pwd); }
elf_files() { # the programs and libraries of a build tree, one per line
  find "$1/bin" "$1/lib" "$1/tests" -type f 2>/dev/null | while read -r f; do
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"
  done
}
kit_bytes() { # the kit as it travels (without runtime/, which the run unpacks)
  (cd "$1" && find . -path ./runtime -prune -o -type f -printf '%s\n') | awk '{ s += $1 } END { print s + 0 }'
}
tree_bytes() { # tracked and untracked-not-ignored files of the checkout
  git ls-files -z -co --exclude-standard 2>/dev/null | xargs -0 -r stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# ---------------------------------------------------------------- prepare
prepare() {
  local ref="" kit=device-kit build=build-device from="" fast=0
  while [ $# -gt 0 ]; do
    case $1 in
      --ref) ref=${2:-}; shift 2 ;;
      --kit) kit=${2:-}; shift 2 ;;
      --build) build=${2:-}; shift 2 ;;
      --from-build) from=${2:-}; shift 2 ;;
      --fast) fast=1; shift ;;
      *) die "prepare: unknown argument '$1'" ;;
    esac
  done
  [ -n "$ref" ] || die "prepare: --ref DIR (a checkout of github.com/cheneydon/hrkd) is required"
  [ -f "$ref/finetune_multi_domain.py" ] && [ -d "$ref/models" ] ||
    die "prepare: $ref does not look like the reference code (no finetune_multi_domain.py, models/)"
  if [ -n "$from" ]; then
    build=$from
  else
    local nvcc
    nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null) || die "prepare: nvcc not found (the kit needs the CUDA backend)"
    echo "== building $build (CUDA for sm_90, no MPI)"
    nice make --no-print-directory -j"$(nproc)" B="$build" NVCC="$nvcc" NVCCFLAGS="$ARCH_FLAGS" \
      MPI_LIBS= MPI_CFLAGS= build-tests > "/tmp/device_check_build.$$.log" 2>&1 ||
      { tail -n 30 "/tmp/device_check_build.$$.log"; die "prepare: build failed (log /tmp/device_check_build.$$.log)"; }
    rm -f "/tmp/device_check_build.$$.log"
  fi
  for f in bin/hrkd lib/libhrkd.so lib/hrkd/backends/hrkd_backend_cpu.so lib/hrkd/backends/hrkd_backend_cuda.so \
           tests/test_backend_parity tests/test_bert_oracle; do
    [ -f "$build/$f" ] || die "prepare: $build/$f missing"
  done
  rm -rf "$kit" && mkdir -p "$kit/build" || die "prepare: cannot create $kit"
  cp -a "$build/bin" "$build/lib" "$build/tests" "$kit/build/"
  command -v strip >/dev/null && elf_files "$kit/build" | while read -r f; do strip --strip-debug "$f"; done

  echo "== gathering the libraries the GPU machine lacks"
  local stage; stage=$(mktemp -d)
  local libs; libs=$(elf_files "$kit/build" | while read -r f; do env -u LD_LIBRARY_PATH ldd "$f"; done |
    awk '$2 == "=>" { print $1, $3 }' | sort -u)
  local missing; missing=$(printf '%s\n' "$libs" | awk '$2 == "not" { print $1 }' | grep -Ev "$PROVIDED" | sort -u)
  [ -z "$missing" ] || { rm -rf "$stage"; die "prepare: not found here either: $(echo $missing)"; }
  local info=() names=() reals=()
  while read -r name path; do
    [ -n "$name" ] || continue
    [[ $name =~ $PROVIDED ]] && continue
    local real; real=$(readlink -f "$path")
    [ -e "$stage/$name" ] || cp "$real" "$stage/$name"
    names+=("$name"); reals+=("$real")
  done <<< "$(printf '%s\n' "$libs" | awk '$2 != "not"' | sort -u -k1,1)"
  # the Debian package and version of each, for the MANIFEST (one dpkg call for all)
  declare -A pkg_of=() ver_of=()
  if [ ${#reals[@]} -gt 0 ] && command -v dpkg >/dev/null; then
    while IFS= read -r line; do
      pkg_of[${line##*: }]=${line%%: *}
    done < <(dpkg -S "${reals[@]}" $(printf '%s\n' "${reals[@]}" | sed -n 's|^/usr/lib/|/lib/|p') 2>/dev/null)
    local pkgs; pkgs=$(printf '%s\n' "${pkg_of[@]}" | sort -u)
    while read -r p v; do [ -n "$p" ] && ver_of[$p]=$v; done < <(dpkg-query -W -f '${binary:Package} ${Version}\n' $pkgs 2>/dev/null)
  fi
  for i in "${!names[@]}"; do
    local r=${reals[$i]}; local p=${pkg_of[$r]:-${pkg_of[/lib/${r#/usr/lib/}]:-?}}
    info+=("# runtime ${names[$i]} $(stat -c %s "$stage/${names[$i]}") $p ${ver_of[$p]:-?} $r")
  done
  if [ $fast = 1 ]; then tar -C "$stage" -cf - . | gzip -1 > "$kit/runtime.tar.gz"
  else tar -C "$stage" -cf - . | xz -6 -T2 > "$kit/runtime.tar.xz"; fi || { rm -rf "$stage"; die "prepare: compression failed"; }
  local arc; arc=$(archive "$kit")
  local raw; raw=$(du -sb "$stage" | cut -f1)
  rm -rf "$stage"

  echo "== copying the reference code"
  mkdir -p "$kit/reference"
  (cd "$ref" && tar --exclude=.git -cf - .) | tar -C "$kit/reference" -xf -

  local commit; commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
  {
    echo "# hrkd device kit"
    echo "# created $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}")"
    echo "# commit $commit"
    if [ -n "$from" ]; then echo "# build $from (staged as built)"
    else echo "# build nvcc $ARCH_FLAGS; $(nvcc --version 2>/dev/null | tail -n 2 | head -n 1)"; fi
    echo "# reference $(git -C "$ref" rev-parse HEAD 2>/dev/null || echo "copy of $(basename "$ref")")"
    echo "# ${arc##*/} holds $(printf '%s\n' "${info[@]}" | grep -c .) libraries, $raw bytes unpacked"
    printf '%s\n' "${info[@]}"
    (cd "$kit" && find . -path ./runtime -prune -o -type f ! -name MANIFEST -print | sort | sed 's|^\./||' | xargs -d '\n' sha256sum)
  } > "$kit/MANIFEST"

  local kb tb; kb=$(kit_bytes "$kit"); tb=$(tree_bytes)
  echo "== sizes: kit $(mib "$kb") (libraries $(mib "$raw") unpacked, $(mib "$(stat -c %s "$arc")") in ${arc##*/}), working tree $(mib "$tb"), together $(mib $((kb + tb))) of $(mib $LIMIT_BYTES)"
  [ $((kb + tb)) -le $LIMIT_BYTES ] || die "prepare: kit and working tree exceed 64 MiB"
  local rel; rel=$(realpath --relative-to="$ROOT" "$kit")
  case $rel in ../*|/*) echo "note: $kit is outside the repository; only a folder inside it can be carried" ;; esac
  git check-ignore -q "$rel" 2>/dev/null || echo "note: $rel is not ignored by git; the device tool carries only ignored paths by name"
  echo "carry: [\"$rel\"]"
  echo "run on the GPU machine: bash scripts/device_check.sh run --kit $rel \"\$OUT\""
}

# ---------------------------------------------------------------- kit checks (dry run)
# check_kit KIT: prints one line per check; returns non-zero if any failed.
check_kit() {
  local kit=$1 bad=0
  [ -f "$kit/MANIFEST" ] || { echo "FAILED: no $kit/MANIFEST (run: scripts/device_check.sh prepare --ref DIR)"; return 1; }
  local sums; sums=$(cd "$kit" && grep -v '^#' MANIFEST | sha256sum -c --quiet 2>&1)
  if [ $? -eq 0 ]; then echo "ok   every file of the MANIFEST is present with its checksum"
  else echo "FAILED: the kit differs from its MANIFEST:"; echo "$sums" | sed 's/^/    /' | head -n 20; bad=1; fi
  local extra; extra=$(cd "$kit" && find . -path ./runtime -prune -o -type f ! -name MANIFEST -print | sed 's|^\./||' | sort |
    comm -23 - <(grep -v '^#' MANIFEST | sed 's/^[0-9a-f]*  //' | sort))
  [ -z "$extra" ] && echo "ok   no file outside the MANIFEST" || { echo "FAILED: files not in the MANIFEST: $(echo $extra)"; bad=1; }
  for f in build/bin/hrkd build/lib/libhrkd.so build/lib/hrkd/backends/hrkd_backend_cuda.so \
           build/lib/hrkd/backends/hrkd_backend_cpu.so build/tests/test_backend_parity build/tests/test_bert_oracle \
           reference/finetune_multi_domain.py; do
    [ -f "$kit/$f" ] || { echo "FAILED: $kit/$f missing"; bad=1; }
  done
  local kb tb; kb=$(kit_bytes "$kit"); tb=$(tree_bytes)
  if [ $((kb + tb)) -le $LIMIT_BYTES ]; then echo "ok   kit $(mib "$kb") + working tree $(mib "$tb") = $(mib $((kb + tb))) <= 64 MiB"
  else echo "FAILED: kit $(mib "$kb") + working tree $(mib "$tb") = $(mib $((kb + tb))) > 64 MiB"; bad=1; fi
  if command -v cuobjdump >/dev/null || [ -x /usr/local/cuda/bin/cuobjdump ]; then
    local cuo; cuo=$(command -v cuobjdump || echo /usr/local/cuda/bin/cuobjdump)
    local elf ptx; elf=$("$cuo" --list-elf "$kit/build/lib/hrkd/backends/hrkd_backend_cuda.so" 2>/dev/null)
    ptx=$("$cuo" --list-ptx "$kit/build/lib/hrkd/backends/hrkd_backend_cuda.so" 2>/dev/null)
    if echo "$elf" | grep -q 'sm_90' && echo "$ptx" | grep -q 'sm_90'; then echo "ok   CUDA backend holds sm_90 machine code and compute_90 PTX"
    else echo "note: CUDA backend code: $(echo "$elf" "$ptx" | grep -o 'sm_[0-9a-z]*' | sort -u | paste -sd' ') (not sm_90 + PTX: the H100 JIT-compiles it at first load)"; fi
  else
    echo "note: no cuobjdump here to list the CUDA backend's code; $(grep -m1 '^# build' "$kit/MANIFEST" | cut -c3-)"
  fi
  # the libraries: unpack into a scratch folder, resolve every program with only it on the path
  local rt; rt=$(mktemp -d)
  local arc; arc=$(archive "$kit") || { echo "FAILED: no runtime.tar.xz in $kit"; rm -rf "$rt"; return 1; }
  if ! unpack "$arc" "$rt"; then echo "FAILED: ${arc##*/} does not unpack"; rm -rf "$rt"; return 1; fi
  local listed; listed=$(grep '^# runtime ' "$kit/MANIFEST" | awk '{ print $3 }' | sort)
  local have; have=$(ls "$rt" | sort)
  [ "$listed" = "$have" ] && echo "ok   ${arc##*/} holds the $(echo "$have" | grep -c .) libraries the MANIFEST lists" ||
    { echo "FAILED: ${arc##*/} and MANIFEST disagree: $(diff <(echo "$listed") <(echo "$have") | grep '^[<>]' | paste -sd' ')"; bad=1; }
  local nf=0 outside=() notfound=()
  while read -r f; do
    nf=$((nf + 1))
    while read -r name arrow path _; do
      [ "$arrow" = "=>" ] || continue
      [[ $name =~ $PROVIDED ]] && continue
      if [ "$path" = not ]; then notfound+=("${f##*/}:$name")
      else case $path in "$rt"/*) ;; *) outside+=("${f##*/}:$name=$path") ;; esac; fi
    done < <(LD_LIBRARY_PATH="$rt" ldd "$f" 2>/dev/null)
  done < <(elf_files "$kit/build")
  if [ ${#notfound[@]} -eq 0 ] && [ ${#outside[@]} -eq 0 ]; then
    echo "ok   $nf programs and libraries: every library outside the GPU image resolves inside the kit"
  else
    [ ${#notfound[@]} -eq 0 ] || echo "FAILED: not found: ${notfound[*]}"
    [ ${#outside[@]} -eq 0 ] || echo "FAILED: resolved outside the kit: ${outside[*]}"
    bad=1
  fi
  rm -rf "$rt"
  return $bad
}

archive() { # KIT: its runtime archive (xz; gzip when prepared with --fast)
  local a; for a in "$1/runtime.tar.xz" "$1/runtime.tar.gz"; do [ -f "$a" ] && { echo "$a"; return 0; }; done
  return 1
}
unpack() { # ARCHIVE DIR: tar (with xz where the archive needs it), else Python's tarfile
  mkdir -p "$2"
  if [[ $1 != *.xz ]] || command -v xz >/dev/null; then tar -C "$2" -xf "$1"
  else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:*").extractall(sys.argv[2], filter="tar")' "$1" "$2"; fi
}

# ---------------------------------------------------------------- the stages (GPU machine)
# Each stage is a function run in its own bash under a time limit, its output to its log.
# Environment: B (kit build tree), KIT, OUTDIR, WORK, HRKD_PYTHON (python3 with the machine's
# own library path), DEADLINE (epoch seconds by which the optional work must stop).
STAGES=(nvidia_smi libraries backend_parity cuda_oracle cuda_quickstart bench distill_vs_reference nccl_one_rank)
declare -A LIMIT=([nvidia_smi]=30 [libraries]=60 [backend_parity]=120 [cuda_oracle]=90 [cuda_quickstart]=120
                  [bench]=150 [distill_vs_reference]=300 [nccl_one_rank]=90)
declare -A REQUIRED=([nccl_one_rank]=0)
declare -A DESCRIBE=(
  [nvidia_smi]='nvidia-smi; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv'
  [libraries]='ldd of every program and library of $B with LD_LIBRARY_PATH=$KIT/runtime:<CUDA dirs>: none "not found"'
  [backend_parity]='$B/tests/test_backend_parity   (every kernel, cuda against cpu; exit 77 = CUDA did not start: a failure here)'
  [cuda_oracle]='HRKD_BUILD=$B bash tests/t_cuda_oracle.sh   (PyTorch fixtures, forward + gradients + AdamW on cuda)'
  [cuda_quickstart]='HRKD_BUILD=$B bash tests/t_cuda_quickstart.sh   (tiny distillation, cuda against cpu, h5py)'
  [bench]='for P in fp32 tf32 bf16: $B/bin/hrkd bench --backend cuda --preset bert-base --mode forward --seq 128 --batch 32 --steps 20 --warmup 3 --gemm-size 8192 [--tf32|--bf16]; the same with --preset tinybert --mode train   (cuBLAS GEMM peak in the same run)'
  [distill_vs_reference]='B=$B bash scripts/bench_distill.sh 30 16 (DEVICE=cuda, PRECISION fp32|bf16, CACHE 0|1) alternating with python3 scripts/bench_reference.py --ref $KIT/reference --device cuda --precision fp32,bf16,fp16 --steps 20 --warmup 3, up to 3 rounds within the time left; medians and ratios'
  [nccl_one_rank]='$B/tests/test_comm_nccl_device (the device all-reduce, host sum and broadcast through the library table, one rank, no MPI); then hrkd run tests/ini/tiny_distill.ini with [backend] device = cuda, [run] comm = nccl against device = cpu: every logged loss within 1e-3'
)

stage_nvidia_smi() {
  nvidia-smi || return 1
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
}

stage_libraries() {
  local bad=0
  while read -r f; do
    local nf; nf=$(ldd "$f" 2>&1 | grep 'not found')
    echo "$f: ${nf:-all resolved}"
    [ -z "$nf" ] || bad=1
  done < <(elf_files "$B")
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  ldd "$B/lib/hrkd/backends/hrkd_backend_cuda.so"
  command -v cuobjdump >/dev/null && cuobjdump --list-elf --list-ptx "$B/lib/hrkd/backends/hrkd_backend_cuda.so"
  [ $bad = 0 ] && echo "every program and library of the kit resolves" || echo "FAILED: libraries not found (above)"
  return $bad
}

stage_backend_parity() { HRKD_BUILD=$B "$B/tests/test_backend_parity"; }
stage_cuda_oracle() { HRKD_BUILD=$B bash tests/t_cuda_oracle.sh; }
stage_cuda_quickstart() { HRKD_BUILD=$B bash tests/t_cuda_quickstart.sh; }

stage_bench() {
  local bad=0
  for spec in "bert-base forward" "tinybert train"; do
    set -- $spec
    for p in fp32 tf32 bf16; do
      local flag=""; [ $p = fp32 ] || flag=--$p
      echo "# $1 $2 $p"
      local line
      line=$("$B/bin/hrkd" bench --backend cuda --preset "$1" --mode "$2" --seq 128 --batch 32 --steps 20 \
             --warmup 3 --gemm-size 8192 $flag) || { echo "FAILED: $1 $2 $p"; bad=1; continue; }
      echo "$line"; echo "$line" >> "$OUTDIR/bench.jsonl"
    done
  done
  return $bad
}

stage_distill_vs_reference() {
  local bd="$WORK/distill" bad=0
  mkdir -p "$bd"
  local reps=0
  for r in $(seq "${DEVICE_CHECK_ROUNDS:-3}"); do
    if [ $r -gt 1 ] && [ $(( $(date +%s) + 70 )) -gt "$DEADLINE" ]; then echo "# round $r left out: too little time"; break; fi
    echo "# round $r"
    local j
    j=$("$HRKD_PYTHON" scripts/bench_reference.py --ref "$KIT/reference" --device cuda --threads "$(nproc)" \
        --precision fp32,bf16,fp16 --steps 20 --warmup 3) || { echo "FAILED: reference"; bad=1; }
    echo "$j"; [ -n "$j" ] && echo "$j" >> "$OUTDIR/distill.jsonl"
    for p in fp32 bf16; do
      for c in 0 1; do
        j=$(CACHE=$c DEVICE=cuda PRECISION=$p BENCH_DIR="$bd" B="$B" bash scripts/bench_distill.sh 30 "$(nproc)") ||
          { echo "FAILED: hrkd $p cache=$c"; bad=1; continue; }
        echo "$j"; echo "$j" >> "$OUTDIR/distill.jsonl"
      done
    done
    reps=$r
  done
  [ $reps -ge 1 ] || bad=1
  return $bad
}

stage_nccl_one_rank() {
  [ -f "$B/lib/hrkd/comm/hrkd_comm_nccl.so" ] || { echo "skipped: hrkd_comm_nccl.so not in the kit (no nccl.h where it was built)"; return 77; }
  local t="$WORK/nccl"; mkdir -p "$t"
  sed -e "s|^\[output\]|[output]\nfile = $t/cpu.h5|" -e "s|^threads = 1|threads = 1\ndevice = cpu|" \
      tests/ini/tiny_distill.ini > "$t/cpu.ini"
  sed -e "s|^\[output\]|[output]\nfile = $t/nccl.h5|" -e "s|^threads = 1|threads = 1\ndevice = cuda|" \
      -e "s|^\[run\]|[run]\ncomm = nccl|" tests/ini/tiny_distill.ini > "$t/nccl.ini"
  "$B/bin/hrkd" --version
  # one rank: the host skips its collectives, so the test calls the library's table itself
  HRKD_BUILD=$B "$B/tests/test_comm_nccl_device"; local rc=$?
  [ $rc -eq 0 ] || { [ $rc -eq 77 ] && return 77; echo "FAILED: test_comm_nccl_device"; return 1; }
  "$B/bin/hrkd" run "$t/cpu.ini" > "$t/cpu.log" 2>&1 || { cat "$t/cpu.log"; echo "FAILED: cpu run"; return 1; }
  "$B/bin/hrkd" run "$t/nccl.ini" > "$t/nccl.log" 2>&1 || { cat "$t/nccl.log"; echo "FAILED: cuda + nccl run"; return 1; }
  tail -n 3 "$t/nccl.log"
  "$HRKD_PYTHON" - "$t/cpu.h5" "$t/nccl.h5" <<'PY'
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["losses/values"][()]
b = h5py.File(sys.argv[2], "r")["losses/values"][()]
assert a.shape == b.shape and a.shape[0] > 0, (a.shape, b.shape)
rel = np.abs(a - b).max(axis=(1, 2)) / np.maximum(np.abs(a).max(axis=(1, 2)), 1e-12)
print("one NCCL rank against cpu: steps %d, worst per-step relative difference %.3g" % (len(rel), rel.max()))
sys.exit(0 if rel.max() <= 1e-3 else 1)
PY
}

# CUDA library folders on this machine: PyTorch's pip packages (nvidia/*/lib: cuBLAS, the CUDA
# runtime, NCCL) first, then the toolkit's and the driver's.
cuda_dirs() {
  local d=()
  local pip; pip=$(env -u LD_LIBRARY_PATH python3 - 2>/dev/null <<'PY'
import glob, os
try:
    import nvidia
    roots = list(nvidia.__path__)
except Exception:
    roots = []
seen = []
for r in roots:
    for d in sorted(glob.glob(os.path.join(r, "**", "lib"), recursive=True)):
        if d not in seen and glob.glob(os.path.join(d, "lib*.so*")):
            seen.append(d)
print(":".join(seen))
PY
)
  [ -n "$pip" ] && d+=("$pip")
  for x in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64; do
    [ -d "$x" ] && d+=("$x")
  done
  (IFS=:; echo "${d[*]}")
}

run() {
  local kit=device-kit dry=0 out=${DEVICE_OUT:-./device-out} only=""
  while [ $# -gt 0 ]; do
    case $1 in
      --kit) kit=${2:-}; shift 2 ;;
      --dry-run) dry=1; shift ;;
      --stages) only=${2:-}; shift 2 ;;
      -*) die "run: unknown option '$1'" ;;
      *) out=$1; shift ;;
    esac
  done
  [ -d "$kit" ] || { [ $dry = 1 ] && { echo "FAILED: no kit at $kit (run: scripts/device_check.sh prepare --ref DIR)"; exit 1; }; die "run: no kit at $kit"; }
  KIT=$(abspath "$kit"); B="$KIT/build"
  if [ -n "$only" ]; then # a rerun of some stages, in the usual order
    local keep=() x
    for x in ${only//,/ }; do [ -n "${LIMIT[$x]:-}" ] || die "run: unknown stage '$x' (stages: ${STAGES[*]})"; done
    for x in "${STAGES[@]}"; do [[ ,$only, == *,$x,* ]] && keep+=("$x"); done
    STAGES=("${keep[@]}")
  fi
  if [ $dry = 1 ]; then
    echo "== checking the kit $kit"
    check_kit "$KIT"; local rc=$?
    echo "== stages the GPU run would take (B=$kit/build, KIT=$kit, output into $out)"
    local i=0
    for s in "${STAGES[@]}"; do
      i=$((i + 1))
      printf '[%d/%d] %s (limit %d s%s)\n      %s\n' $i ${#STAGES[@]} "$s" "${LIMIT[$s]}" \
        "$([ "${REQUIRED[$s]:-1}" = 0 ] && echo ', optional')" "${DESCRIBE[$s]}"
    done
    [ $rc -eq 0 ] && echo "dry run: the kit is sound" || echo "dry run: the kit has problems (above)"
    return $rc
  fi

  local t0; t0=$(date +%s)
  mkdir -p "$out" || die "run: cannot create $out"
  OUTDIR=$(abspath "$out"); WORK=$(mktemp -d); mkdir -p "$WORK/logs"
  rm -f "$OUTDIR/bench.jsonl" "$OUTDIR/distill.jsonl" "$OUTDIR/summary.json" "$OUTDIR/all.log" "$OUTDIR/logs.tar.gz"
  : > "$OUTDIR/bench.jsonl"; : > "$OUTDIR/distill.jsonl"
  echo "== unpacking the libraries into $kit/runtime"
  rm -rf "$KIT/runtime"; unpack "$(archive "$KIT")" "$KIT/runtime" || echo "FAILED: the runtime archive does not unpack"
  # Python keeps the machine's own library path (PyTorch, h5py); hrkd's programs get the kit's.
  local orig=${LD_LIBRARY_PATH:-}
  printf '#!/bin/sh\n%s\nexec python3 "$@"\n' \
    "$([ -n "$orig" ] && echo "export LD_LIBRARY_PATH=$(printf %q "$orig")" || echo 'unset LD_LIBRARY_PATH')" > "$WORK/python3"
  chmod +x "$WORK/python3"
  export HRKD_PYTHON="$WORK/python3" KIT B OUTDIR WORK
  export LD_LIBRARY_PATH="$KIT/runtime:$(cuda_dirs)${orig:+:$orig}"
  export DEADLINE=$((t0 + 420))   # the optional rounds stop here; the whole run stays under 8 minutes
  export -f elf_files $(for s in "${STAGES[@]}"; do echo "stage_$s"; done)
  local n=${#STAGES[@]} i=0 failed=0
  : > "$WORK/stages.tsv"
  for s in "${STAGES[@]}"; do
    i=$((i + 1))
    local log="$WORK/logs/$(printf %02d $i)-$s.log" lim=${LIMIT[$s]}
    local left=$((t0 + 470 - $(date +%s)))
    [ $left -lt $lim ] && lim=$left
    if [ $lim -lt 10 ]; then
      echo "[$i/$n] $s: SKIP (no time left)"; printf '%s\tskipped\t\t0\tno time left\n' "$s" >> "$WORK/stages.tsv"
      [ "${REQUIRED[$s]:-1}" = 0 ] || failed=1
      continue
    fi
    echo "[$i/$n] $s: running (limit $lim s)"
    local s0; s0=$(date +%s.%N)
    timeout -k 5 "$lim" bash -c "stage_$s" > "$log" 2>&1
    local rc=$? secs; secs=$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    local last; last=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | tr '\t' ' ' | cut -c1-300)
    local status=pass
    if [ $rc -eq 77 ]; then status=skipped; [ "${REQUIRED[$s]:-1}" = 0 ] || failed=1
    elif [ $rc -ne 0 ]; then status=failed; failed=1; fi
    [ $rc -eq 124 ] && last="timed out after $lim s; $last"
    echo "[$i/$n] $s: ${status^^} in $secs s${last:+ — $last}"
    printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$status" "$rc" "$secs" "$last" >> "$WORK/stages.tsv"
  done
  for f in "$WORK"/logs/*.log; do printf '\n===== %s\n' "$(basename "$f")"; cat "$f"; done > "$OUTDIR/all.log"
  tar -C "$WORK" -czf "$OUTDIR/logs.tar.gz" logs
  "$HRKD_PYTHON" - "$WORK/stages.tsv" "$OUTDIR" "$(git rev-parse HEAD 2>/dev/null || echo unknown)" "$(( $(date +%s) - t0 ))" \
    "$(grep '^# commit' "$KIT/MANIFEST" | cut -c10-)" <<'PY' || echo "FAILED: summary.json"
import json, os, statistics, subprocess, sys, time
tsv, out, commit, wall, kit_commit = sys.argv[1:6]
stages = []
for line in open(tsv):
    name, status, rc, secs, last = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
    stages.append({"stage": name, "status": status, "exit": int(rc) if rc else None,
                   "seconds": float(secs or 0), "last_line": last})
def rows(path):
    r = []
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            try: r.append(json.loads(line))
            except ValueError: pass
    return r
card = None
try:
    card = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                          capture_output=True, text=True, timeout=20).stdout.strip() or None
except Exception:
    pass
bench = [{"preset": b["config"]["preset"], "mode": b["config"]["mode"], "precision": b["config"].get("precision"),
          "step_ms_median": b["step_ms_median"], "examples_per_s": b["examples_per_s"], "gflops": b["gflops"],
          "gemm_peak_gflops": b["sgemm_peak_gflops"], "fraction_of_peak": b["fraction_of_peak"]}
         for b in rows(os.path.join(out, "bench.jsonl"))]
d = rows(os.path.join(out, "distill.jsonl"))
def med(sel):
    v = [x["examples_per_s"] for x in d if sel(x)]
    return (round(statistics.median(v), 2), len(v)) if v else (None, 0)
ref = lambda p: (lambda x: x["implementation"].startswith("reference") and x.get("precision") == p)
ours = lambda p, c: (lambda x: x["implementation"] == "hrkd" and x.get("precision") == p and x.get("teacher_cache") == c)
m = {"reference_fp32": med(ref("fp32")), "reference_autocast_bf16": med(ref("bf16")),
     "reference_autocast_fp16": med(ref("fp16")),
     "hrkd_fp32": med(ours("fp32", False)), "hrkd_fp32_cached": med(ours("fp32", True)),
     "hrkd_bf16": med(ours("bf16", False)), "hrkd_bf16_cached": med(ours("bf16", True))}
distill = {"shape": "4 domains x 8, seq 128, BERT-base teacher -> TinyBERT 4L-312 (examples/s, medians)",
           "medians": {k: v[0] for k, v in m.items()}, "runs": {k: v[1] for k, v in m.items()}}
auto = [v for v in (m["reference_autocast_bf16"][0], m["reference_autocast_fp16"][0]) if v]
best = max(auto) if auto else None
def ratio(a, b): return round(a / b, 2) if a and b else None
distill["ratios"] = {"fp32": ratio(m["hrkd_fp32"][0], m["reference_fp32"][0]),
                     "fp32_cached": ratio(m["hrkd_fp32_cached"][0], m["reference_fp32"][0]),
                     "bf16_vs_autocast_best": ratio(m["hrkd_bf16"][0], best),
                     "bf16_cached_vs_autocast_best": ratio(m["hrkd_bf16_cached"][0], best)}
distill["target_1_5x"] = {k: (v >= 1.5 if v is not None else None) for k, v in distill["ratios"].items()}
summary = {"check": "hrkd GPU check", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "card": card, "commit": commit, "kit_commit": kit_commit, "wall_s": int(wall),
           "ok": all(s["status"] == "pass" or (s["stage"] == "nccl_one_rank" and s["status"] == "skipped")
                     for s in stages),
           "stages": stages, "bench": bench, "distill_vs_reference": distill}
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
print(json.dumps({"ok": summary["ok"], "card": card, "ratios": distill["ratios"]}))
PY
  rm -rf "$WORK"
  echo "== done in $(( $(date +%s) - t0 )) s; $OUTDIR: $(ls "$OUTDIR" | paste -sd' ')"
  [ $failed -eq 0 ] && echo "device check: no stage failed" || echo "device check: some stage failed (see above and all.log)"
  return $failed
}

# ---------------------------------------------------------------- simulate (root, no GPU)
simulate() {
  local kit=device-kit
  while [ $# -gt 0 ]; do
    case $1 in --kit) kit=${2:-}; shift 2 ;; *) die "simulate: unknown argument '$1'" ;; esac
  done
  [ "$(id -u)" = 0 ] || { echo "skipped: simulate needs root (chroot, bind mounts)"; return 77; }
  command -v unshare >/dev/null || { echo "skipped: simulate needs unshare"; return 77; }
  archive "$kit" >/dev/null || die "simulate: no kit at $kit"
  local cudalib; cudalib=$(readlink -f /usr/local/cuda/lib64 2>/dev/null)
  [ -f "$cudalib/libcublas.so.13" ] || { echo "skipped: simulate needs the CUDA toolkit's libraries here"; return 77; }
  local root; root=$(mktemp -d)
  mkdir -p "$root/lib/x86_64-linux-gnu" "$root/lib64" "$root/kit" "$root/cuda" "$root/tmp" "$root/dev" "$root/proc"
  # the GPU image surely has these; nothing else of this machine is visible inside
  for l in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libresolv.so.2 libgcc_s.so.1 libstdc++.so.6; do
    cp -L "/lib/x86_64-linux-gnu/$l" "$root/lib/x86_64-linux-gnu/" || die "simulate: no $l here"
  done
  cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
  cp -a "$(abspath "$kit")/." "$root/kit/"
  rm -rf "$root/kit/runtime"; unpack "$(archive "$kit")" "$root/kit/runtime"
  sed -e 's|^\[output\]|[output]\nfile = /tmp/tiny.h5|' tests/ini/tiny_distill.ini > "$root/kit/tiny.ini"
  local rc=0
  unshare -m bash -c '
    set -u
    root=$1; cudalib=$2
    mount --bind "$cudalib" "$root/cuda" && mount -o remount,bind,ro "$root/cuda" 2>/dev/null
    mount -t tmpfs none "$root/tmp"
    mount --bind /dev "$root/dev"
    mount -t proc proc "$root/proc"   # $ORIGIN of a program comes from /proc/self/exe
    ld=/lib64/ld-linux-x86-64.so.2
    export LD_LIBRARY_PATH=/kit/runtime:/cuda HRKD_BUILD=/kit/build
    bad=0
    for f in $(cd "$root" && find kit/build -type f \( -name "*.so" -o -perm -u+x \)); do
      out=$(chroot "$root" $ld --list "/$f" 2>&1)
      nf=$(echo "$out" | grep "not found" | grep -v "libcuda.so.1")
      if [ -n "$nf" ]; then echo "FAILED: /$f: $nf"; bad=1; fi
    done
    [ $bad = 0 ] && echo "ok   ldd inside the bare root: every program and library resolves (libcuda.so.1 aside, the driver'"'"'s)"
    chroot "$root" /kit/build/bin/hrkd --version || { echo "FAILED: hrkd --version"; bad=1; }
    chroot "$root" /kit/build/bin/hrkd bench --preset tiny --backend cpu --steps 2 --warmup 1 --threads 2 ||
      { echo "FAILED: hrkd bench on cpu"; bad=1; }
    chroot "$root" /kit/build/bin/hrkd run /kit/tiny.ini > /tmp/sim_run.log 2>&1 &&
      chroot "$root" /kit/build/bin/hrkd inspect /tmp/tiny.h5 > /dev/null 2>&1 &&
      echo "ok   hrkd run (cpu, tests/ini/tiny_distill.ini) writes and reads its HDF5 run file inside" ||
      { tail -n 5 /tmp/sim_run.log; echo "FAILED: hrkd run inside"; bad=1; }
    rm -f /tmp/sim_run.log
    chroot "$root" /kit/build/tests/test_kernels > /tmp/sim_kernels.log 2>&1 && echo "ok   test_kernels (cpu) passes inside" ||
      { tail -n 5 /tmp/sim_kernels.log; echo "FAILED: test_kernels inside"; bad=1; }
    out=$(chroot "$root" /kit/build/tests/test_backend_parity 2>&1); prc=$?
    echo "$out" | tail -n 1
    [ $prc = 77 ] && echo "ok   test_backend_parity loads the CUDA backend and cuBLAS, then skips (no driver here)" ||
      { echo "FAILED: test_backend_parity inside exited $prc (expected 77: no driver)"; bad=1; }
    rm -f /tmp/sim_kernels.log
    exit $bad
  ' sim "$root" "$cudalib" || rc=1
  rm -rf "$root"
  [ $rc = 0 ] && echo "simulate: the kit runs in a bare root" || echo "simulate: problems above"
  return $rc
}

case ${1:-} in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  --dry-run) shift; run --dry-run "$@" ;;
  simulate) shift; simulate "$@" ;;
  *) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
