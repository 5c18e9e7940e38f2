# Sourced by the reproduce_amazon_minilm*.sh scripts: run one (INI, seed) as its own process
# so that runs can share the cores (JOBS processes of THREADS threads each).
#   job INI SEED OUT   one run of INI with [run] seeds = SEED, written to OUT; skipped when
#                      OUT exists (the run writes OUT.part.h5 and renames it when finished,
#                      so a stopped script can be re-run); log results/logs/<OUT's name>.log
#   jobs_run           reads "INI SEED OUT" lines on stdin and runs them JOBS at a time
#   job_ini INI SEED FILE DEST  writes to DEST the small INI of one run: INI with [run] seeds =
#                      SEED, THREADS threads, BLAS_CORE when set, [output] file = FILE
HRKD=${HRKD:-${B:-build}/bin/hrkd}
JOBS=${JOBS:-1}; THREADS=${THREADS:-2}   # e.g. JOBS=2 THREADS=1: two runs at once, one core each
BLAS_CORE=${BLAS_CORE:-}                 # e.g. Cooperlake: [backend] blas_core of every run
PY=$(bash scripts/h5py_python.sh) || PY=python3   # a python3 with h5py for the summaries
job_ini() {
  local nl=$'\n'
  printf '[run]\nbase = %s\nseeds = %s\n[backend]\nthreads = %s\n%s[output]\nfile = %s\n' \
    "$PWD/$1" "$2" "$THREADS" "${BLAS_CORE:+blas_core = $BLAS_CORE$nl}" "$PWD/$3" > "$4"
}
job() {
  local ini=$1 seed=$2 out=$3 name log t0
  name=$(basename "$out" .h5); log=results/logs/$name.log
  if [ -f "$out" ]; then echo "reproduce: $out exists, skipping"; return 0; fi
  mkdir -p results/logs
  job_ini "$ini" "$seed" "$out.part.h5" "results/logs/$name.ini"
  echo "reproduce: $ini seed $seed -> $out (log $log)"
  t0=$SECONDS
  rm -f "$out.part.h5"
  "$HRKD" run "results/logs/$name.ini" > "$log" 2>&1 || { echo "reproduce: $name FAILED"; tail -n 20 "$log"; return 1; }
  mv "$out.part.h5" "$out"
  echo "wall_s $((SECONDS - t0))" >> "$log"
  echo "reproduce: $name done in $((SECONDS - t0)) s"
}
jobs_run() {
  export -f job job_ini; export HRKD THREADS BLAS_CORE
  xargs -P "$JOBS" -L 1 bash -c 'job "$@"' _
}
