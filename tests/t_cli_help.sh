#!/usr/bin/env bash
# Every subcommand answers --help (and -h) with its usage on stdout and exit 0; an unknown
# option still is a usage error (exit 2).
source tests/common/lib.sh
for c in "run" "check" "plugins" "plugins describe" "plugins test" "bench" "data" "data stats" \
         "inspect" "compare" "eval"; do
  for h in --help -h; do
    out=$($HRKD $c $h 2>/dev/null); rc=$?
    check '[ $rc -eq 0 ] && grep -qi "usage\|hrkd bench" <<<"$out"' "hrkd $c $h: usage on stdout, exit 0 (rc $rc)"
  done
done
$HRKD --help | grep -q "COMMAND --help"
check '[ $? -eq 0 ]' "hrkd --help says that every command has --help"
$HRKD run --no-such-flag > /dev/null 2>&1; rc=$?
check '[ $rc -eq 2 ]' "an unknown option of run is a usage error (rc $rc)"
# inspect: metrics and ratios first, the configuration only with --config
sed "s|^\[output\]|[output]\nfile = $tmp/t.h5|" tests/ini/tiny_teacher.ini > "$tmp/t.ini"
$HRKD run "$tmp/t.ini" > /dev/null 2>&1
$HRKD inspect "$tmp/t.h5" > "$tmp/i.txt"
check 'grep -q "== metrics" "$tmp/i.txt" && ! grep -q "^\[run\]" "$tmp/i.txt" && grep -q -- "--config" "$tmp/i.txt"' \
  "hrkd inspect: metrics, no configuration, a pointer to --config"
$HRKD inspect "$tmp/t.h5" --config > "$tmp/ic.txt"
check '[ $(grep -n "== metrics" "$tmp/ic.txt" | cut -d: -f1) -lt $(grep -n "^\[run\]" "$tmp/ic.txt" | cut -d: -f1) ]' \
  "hrkd inspect --config: the configuration after the metrics"
echo "not a run file" > "$tmp/x.h5"
$HRKD compare "$tmp/x.h5" "$tmp/t.h5" > /dev/null 2>&1; rc=$?
check '[ $rc -eq 2 ]' "hrkd compare on a file that is not a run file: exit 2 (rc $rc)"
exit $fail
