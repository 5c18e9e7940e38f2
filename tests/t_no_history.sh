#!/usr/bin/env bash
# tests/t_no_history.sh — the tracked files describe the product, not the way it was built.
# Every text file git tracks (git ls-files; binary files are skipped) is searched, case
# insensitively, for the words and paths below; each hit is printed as FILE:LINE: text and
# fails the test. History belongs in commit messages.
#
# The rule, pattern by pattern (PCRE):
#   - a numbered issue: "issue 5", "issues 5 and 6", "issue #12". The word alone is allowed
#     ("GitHub issues", "a known issue"): only a number marks a tracker reference.
#   - a numbered stop or round of work: "stop 16", "stops 11-16", "stop-14", "round 3",
#     "rounds of work". "stops the run", "float rounding" and "round trip" pass.
#   - "session" or "sessions" as a word (a sitting of work); "InferenceSession" passes.
#   - notes about the work: "closing note", "issue notes", "this task", "helper engineer",
#     "other engineers".
#   - the machines the project was developed on: a path under /work, ".mirror",
#     "development machine" / "development layout", "dev machine", and any path under
#     ../shared except ../shared/data (the data folder beside the checkout that the shipped
#     INIs read by default is part of the product; documents kept beside it are not).
# Exempt: this file (it has to spell the patterns) and the exact lines in ALLOW below
# ("path<TAB>text the line contains"), each printed when it is used.
# Before searching the tree, the test runs the patterns over sample lines: the ones that
# must be caught and the ones that must pass, so a pattern that stops matching fails too.
set -u
cd "$(dirname "$0")/.."
self=tests/t_no_history.sh

patterns=(
  '\bissues?\s*#?\d'
  '\b(stops?|rounds?)\s*\d|\bstop-\d|\brounds? of work\b'
  '\bsessions?\b'
  '\bclosing notes?\b|\bissue notes\b|\bthis task\b|\bhelper engineers?\b|\bother engineers\b'
  '(?<![\w.-])/work\b|\.mirror\b|\bdevelopment (machines?|layout)\b|\bdev machines?\b'
  '\.\./shared/(?!data\b)'
)
ALLOW=()
re=$(IFS='|'; echo "${patterns[*]}")

fail=0
# ---- the patterns on sample lines ----------------------------------------------------------
must_hit=(
  'the 4-layer set (stop 16)' 'stops 11–16 ran on an AMD EPYC' 'the stop-14 set below'
  'issue 5 asks for 1.5' 'issues 5 and 6' 'see issue #12' 'round 3 of the work'
  'alternating, same session' 'closing note of the lead' 'no GPU was lent to this task'
  'git -C /work/.mirror/x archive' 'cd /work && make' 'the development machines use it'
  'this project'"'"'s development layout' 'see ../shared/REFERENCE.md' 'other engineers'"'"' builds'
)
must_pass=(
  'report bugs as GitHub issues' 'a known issue of OpenBLAS' 'it stops the run with a message'
  'float rounding' 'a write/read round trip' 'rounds = 6' 'ort.InferenceSession(path)'
  'path = ../../../shared/data/amazon_reviews/sorted_data_acl' 'Equivalent to Eq. 13'
  'framework/workers' 'step 5, then stop' 'max_steps: stop after this many steps'
)
for l in "${must_hit[@]}"; do
  if ! printf '%s\n' "$l" | grep -qiP "$re"; then echo "FAIL pattern misses: $l"; fail=1; fi
done
for l in "${must_pass[@]}"; do
  if printf '%s\n' "$l" | grep -qiP "$re"; then echo "FAIL pattern flags: $l"; fail=1; fi
done
[ $fail -eq 0 ] && echo "ok   patterns: ${#must_hit[@]} sample lines caught, ${#must_pass[@]} passed"

# ---- the tracked files -----------------------------------------------------------------------
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "not a git checkout: no list of tracked files to search"; exit 77
fi
hits=$(git ls-files -z | grep -zv "^$self\$" | xargs -0 grep -nHIiP "$re" -- 2>/dev/null)
n=0
while IFS= read -r h; do
  [ -n "$h" ] || continue
  allowed=0
  for a in "${ALLOW[@]}"; do
    file=${a%%$'\t'*}; text=${a#*$'\t'}
    if [[ "$h" == "$file:"* && "$h" == *"$text"* ]]; then allowed=1; echo "allowed: $h"; fi
  done
  [ $allowed -eq 1 ] && continue
  echo "history: $h"; n=$((n + 1))
done <<<"$hits"
files=$(git ls-files | wc -l)
if [ $n -gt 0 ]; then
  echo "FAIL $n line(s) of $files tracked files name issues, rounds of work or development machines"
  fail=1
else
  echo "ok   $files tracked files: no issue numbers, rounds of work, sessions or development paths"
fi
exit $fail
