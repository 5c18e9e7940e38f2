# tests/common/lib.sh — what the shell tests (tests/t_*.sh) share; source it first, from the
# repository root (tests/run.sh runs them there):
#   B, HRKD        the build tree under test ($HRKD_BUILD, default build) and its hrkd
#   tmp            a fresh folder removed at exit; KEEP_TMP=DIR uses DIR and keeps it
#   fail, check    check 'CMD' 'what' evals CMD: "ok   what", or "FAILED: what" and fail=1;
#                  end the test with `exit $fail`
#   fails, fail()  for tests that count their failures instead: fail MSG prints "FAIL MSG"
#                  and adds one to fails
#   need_openmpi   exits 77 (skip, saying why) unless mpirun is Open MPI and this build has
#                  hrkd_comm_mpi.so; then sets MPIRUN (an array) and the variables mpirun
#                  needs as root and under the sanitizers
#   need_h5py      exits 77 (skip, saying why) unless scripts/h5py_python.sh finds a Python
#                  with h5py and numpy; sets PY to it
#   need_report_python  exits 77 (skip, saying why) unless a Python with numpy, h5py and
#                  matplotlib is there for the analysis tool (results/.venv made by `make
#                  report`, $HRKD_PYTHON, python3, /usr/bin/python3); sets PY to it
#   need_built     exits 1 unless the build tree has its hrkd; makes B absolute (for tests
#                  that run the program from other folders) and sets H to that hrkd
#   need_plugin_cc for tests that build plugins of their own: need_built, exits 77 (skip,
#                  saying why) without a C compiler, empties HRKD_PLUGIN_PATH
#   install_sdk    `make install` of the build tree into $tmp/prefix, keeping an ASan tree's
#                  sanitizer flags (install rebuilds what is stale); sets P to the prefix
#                  and san to those flags ("" for a plain tree); exits 1 when it fails
#   build_plugin SRC NAME [CFLAGS...]  compiles SRC against the SDK headers into $tmp/NAME.so
#                  (SDK symbols resolve against the hrkd process that loads it)
#   expect WANT_RC WANT_STDERR CMD...  runs CMD once: its stderr, through the test's own
#                  filter, must be WANT_STDERR and its exit WANT_RC ("nz": any non-zero exit
#                  that is not a signal's); else fail, with both printed
set -u
B=${HRKD_BUILD:-build}
HRKD="$B/bin/hrkd"
tmp=${KEEP_TMP:-$(mktemp -d)}; [ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT; mkdir -p "$tmp"
fail=0
check() { if ! eval "$1"; then echo "FAILED: $2"; fail=1; else echo "ok   $2"; fi; }
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
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
need_report_python() {
  PY=
  for p in results/.venv/bin/python ${HRKD_PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import h5py, numpy, matplotlib' 2>/dev/null; then PY=$p; return 0; fi
  done
  echo "skipped: no python with numpy, h5py and matplotlib (run 'make report' once, or apt-get install python3-h5py python3-matplotlib)"; exit 77
}
need_built() {
  case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
  H="$B/bin/hrkd"; HRKD=$H
  [ -x "$H" ] || { echo "missing $H (build first)"; exit 1; }
}
need_plugin_cc() {
  need_built
  command -v cc >/dev/null || { echo "skip: no C compiler to build the test plugins"; exit 77; }
  export HRKD_PLUGIN_PATH=
}
install_sdk() {
  local opt="-O2"
  san=""
  if nm -D "$B/lib/libhrkd.so" 2>/dev/null | grep -q __asan_init; then
    san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    opt="-O1"
  fi
  P="$tmp/prefix"
  if ! make --no-print-directory -s B="$B" OPT="$opt" SAN="$san" PREFIX="$P" install >"$tmp/install.log" 2>&1; then
    tail -n 30 "$tmp/install.log"; echo "FAIL make install"; exit 1
  fi
}
build_plugin() {
  local src=$1 name=$2; shift 2
  cc -std=c11 -shared -fPIC -fvisibility=hidden -Ihost/include "$@" -o "$tmp/$name.so" "$src" -lm \
    || fail "cannot build $name"
}
expect() {
  local want_rc=$1 want=$2; shift 2
  local got rc rc_ok=0
  "$@" >/dev/null 2>"$tmp/expect.err"; rc=$?
  got=$(filter < "$tmp/expect.err")
  if [ "$want_rc" = nz ]; then [ $rc -ne 0 ] && [ $rc -lt 128 ] && rc_ok=1; else [ $rc -eq "$want_rc" ] && rc_ok=1; fi
  if [ "$got" != "$want" ] || [ $rc_ok -ne 1 ]; then
    fail "$* (exit $rc, expected $want_rc)"; echo "--- expected"; echo "$want"; echo "--- got"; echo "$got"
  else
    echo "ok   exit $rc: $want"
  fi
}
