# tests/common/lib.sh — what the shell tests (tests/t_*.sh) share; source it first, from the
# repository root (tests/run.sh runs them there):
#   B, HRKD        the build tree under test ($HRKD_BUILD, default build) and its hrkd
#   tmp            a fresh folder removed at exit; KEEP_TMP=DIR uses DIR and keeps it
#   fail, check    check 'CMD' 'what' evals CMD: "ok   what", or "FAILED: what" and fail=1;
#                  end the test with `exit $fail`
#   need_openmpi   exits 77 (skip, saying why) unless mpirun is Open MPI and this build has
#                  hrkd_comm_mpi.so; then sets MPIRUN (an array) and the variables mpirun
#                  needs as root and under the sanitizers
#   need_h5py      exits 77 (skip, saying why) unless scripts/h5py_python.sh finds a Python
#                  with h5py and numpy; sets PY to it
#   need_plugin_cc for tests that build plugins of their own: exits 77 (skip, saying why)
#                  without a C compiler, 1 when the build has no hrkd; makes B absolute (the
#                  program runs from other folders), sets H to its hrkd, empties
#                  HRKD_PLUGIN_PATH; fail MSG prints "FAIL MSG" and counts it in fails
#   build_plugin SRC NAME [CFLAGS...]  compiles SRC against the SDK headers into $tmp/NAME.so
#                  (SDK symbols resolve against the hrkd process that loads it)
set -u
B=${HRKD_BUILD:-build}
HRKD="$B/bin/hrkd"
tmp=${KEEP_TMP:-$(mktemp -d)}; [ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT; mkdir -p "$tmp"
fail=0
check() { if ! eval "$1"; then echo "FAILED: $2"; fail=1; else echo "ok   $2"; fi; }
need_openmpi() {
  command -v mpirun >/dev/null || { echo "skip: mpirun not found (apt-get install openmpi-bin)"; exit 77; }
  mpirun --version 2>&1 | grep -q "Open MPI" || { echo "skip: mpirun is not Open MPI (the flags below are Open MPI's)"; exit 77; }
  [ -f "$B/lib/hrkd/comm/hrkd_comm_mpi.so" ] || { echo "skip: $B/lib/hrkd/comm/hrkd_comm_mpi.so not built (libopenmpi-dev missing)"; exit 77; }
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  # libmpi keeps allocations until exit that LeakSanitizer reports as leaks (not ours); the
  # address and undefined-behaviour checks stay on.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
  MPIRUN=(mpirun --oversubscribe --bind-to none -x ASAN_OPTIONS -x UBSAN_OPTIONS)
}
need_h5py() {
  PY=$(bash scripts/h5py_python.sh) && return 0
  echo "skipped: no python3 with h5py and numpy (apt-get install python3-h5py, or WITH_PYTHON=1 make deps)"; exit 77
}
need_plugin_cc() {
  command -v cc >/dev/null || { echo "skip: no C compiler to build the test plugins"; exit 77; }
  case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
  H="$B/bin/hrkd"; HRKD=$H
  [ -x "$H" ] || { echo "missing $H (build first)"; exit 1; }
  export HRKD_PLUGIN_PATH=
  fails=0
}
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
build_plugin() {
  local src=$1 name=$2; shift 2
  cc -std=c11 -shared -fPIC -fvisibility=hidden -Ihost/include "$@" -o "$tmp/$name.so" "$src" -lm \
    || fail "cannot build $name"
}
