#!/usr/bin/env bash
# tests/t_sdk_doc.sh — docs/sdk.md against the headers: every function hrkd/tensor.h
# declares (HRKD_API) is named on the page as `hrkd_NAME...`, and every `hrkd_NAME(` the
# page shows as a call is declared in some public header (no stale names).
set -u
cd "$(dirname "$0")/.."
page=docs/sdk.md
[ -f "$page" ] || { echo "FAIL missing $page"; exit 1; }
fails=0
declared=$(perl -0777 -ne 'while (/HRKD_API[^;(]*?\b(hrkd_\w+)\s*\(/g) { print "$1\n" }' host/include/hrkd/tensor.h | sort -u)
all_public=$(perl -0777 -ne 'while (/HRKD_API[^;(]*?\b(hrkd_\w+)\s*\(/g) { print "$1\n" }' host/include/hrkd/*.h | sort -u)
n=0
for f in $declared; do
  n=$((n + 1))
  grep -Eq "\`$f(\(|\`)" "$page" || { echo "FAIL $page does not document $f (hrkd/tensor.h)"; fails=$((fails + 1)); }
done
[ "$n" -gt 50 ] || { echo "FAIL only $n functions found in hrkd/tensor.h (parser broken?)"; fails=$((fails + 1)); }
echo "ok   $n functions of hrkd/tensor.h checked against $page"
for f in $(grep -o '`hrkd_[a-z0-9_]*(' "$page" | tr -d '`(' | sort -u); do
  printf '%s\n' "$all_public" | grep -qx "$f" || { echo "FAIL $page names $f(, which no public header declares"; fails=$((fails + 1)); }
done
echo "$fails failure(s)"
[ $fails -eq 0 ]
