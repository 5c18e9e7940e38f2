#!/usr/bin/env bash
# Two `hrkd run` on one run file, started 0-3 s apart, TRIALS times (default 20): in each trial
# exactly one runs to the end, the other exits 2 naming the holder's pid, and the surviving
# file equals an undisturbed run of the same INI (h5diff of parameters, moments, metrics and
# logs). Prints one line per trial and a JSON summary; exit 1 when any trial breaks the rule.
#   make stress-run-lock [TRIALS=20]
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
HRKD=$B/bin/hrkd
trials=${1:-${TRIALS:-20}}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mk() { sed -e "s|^\[output\]|[output]\nfile = $1|" -e 's/^epochs = 2/epochs = 120/' tests/ini/tiny_teacher.ini > "$2"; }
mk "$tmp/ref.h5" "$tmp/ref.ini"
t0=$(date +%s.%N)
"$HRKD" run "$tmp/ref.ini" > /dev/null 2>&1 || { echo "stress-run-lock: the undisturbed run failed"; exit 1; }
secs=$(echo "$(date +%s.%N) - $t0" | bc)
echo "undisturbed run: ${secs%???????} s"
same() { for g in /checkpoint /metrics /losses; do h5diff -q "$tmp/ref.h5" "$1" $g $g || return 1; done; }
good=0
for i in $(seq 1 "$trials"); do
  rm -f "$tmp/t.h5"
  mk "$tmp/t.h5" "$tmp/t.ini"
  gap=$(awk -v r=$((RANDOM % 3001)) 'BEGIN { printf "%.3f", r / 1000 }')
  "$HRKD" run "$tmp/t.ini" > "$tmp/a.log" 2>&1 & a=$!
  sleep "$gap"
  "$HRKD" run "$tmp/t.ini" > "$tmp/b.log" 2>&1 & b=$!
  wait $a; ra=$?; wait $b; rb=$?
  ok=0
  if [ $ra -eq 0 ] && [ $rb -eq 2 ] && grep -q "in use by another hrkd run (pid $a" "$tmp/b.log"; then ok=1
  elif [ $rb -eq 0 ] && [ $ra -eq 2 ] && grep -q "in use by another hrkd run (pid $b" "$tmp/a.log"; then ok=1; fi
  [ $ok -eq 1 ] && { same "$tmp/t.h5" || ok=0; }
  good=$((good + ok))
  printf 'trial %2d: second started %s s later: exits %d, %d; %s\n' "$i" "$gap" $ra $rb \
    "$([ $ok -eq 1 ] && echo 'one ran, the other named its pid, file equals the undisturbed run' || echo BROKEN)"
done
echo "{\"bench\": \"run_lock\", \"trials\": $trials, \"as_specified\": $good, \"undisturbed_s\": ${secs%???????}}"
[ $good -eq "$trials" ]
