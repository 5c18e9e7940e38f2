#!/usr/bin/env bash
# h5relcmp.sh A.h5 B.h5 GROUP TOL [EXCLUDE_REGEX] — compare every float dataset under GROUP
# of two run files (needs only hdf5-tools: h5ls, h5dump; h5py is not assumed). Per dataset
#   rel = ||a - b||_2 / ||a||_2      (what the assertion uses)
#   inf = max |a - b| / max |a|      (reported too)
# Norm-wise, so values near zero by chance (an element whose gradient cancels, whose Adam
# update is then rounding amplified to a full step) do not blow up an element-wise ratio.
# Prints "max_rel=X max_inf=Y datasets=N worst=..."; exits 1 when the two files hold different
# datasets or sizes under GROUP, or some dataset has rel > TOL.
set -u
a=$1 b=$2 group=$3 tol=$4 ex=${5:-^$}
list() { h5ls -r "$1$group" 2>/dev/null | awk '$2 == "Dataset" {print $1}' | grep -Ev "$ex" | sort; }
la=$(list "$a"); lb=$(list "$b")
if [ -z "$la" ]; then echo "h5relcmp: no datasets under $group in $a"; exit 1; fi
if [ "$la" != "$lb" ]; then echo "h5relcmp: $group holds different datasets in $a and $b"; exit 1; fi
args=(); for ds in $la; do args+=(-d "$group$ds"); done
# one h5dump per file: "dataset value" lines
vals() {
  h5dump -y -w 0 -m '%.9g' "${args[@]}" "$1" | awk '
    /^ *DATASET "/ { name = $2; gsub(/"/, "", name) }
    /DATA \{/ { on = 1; next }
    on && /\}/ { on = 0 }
    on { gsub(/[ ,]/, ""); if ($0 != "") print name, $0 }'
}
paste -d ' ' <(vals "$a") <(vals "$b") | awk -v tol="$tol" '
  NF != 4 || $1 != $3 { print "h5relcmp: datasets differ in size or order near " $1; bad = 1; exit }
  { n = $1; d = $2 - $4; sd[n] += d * d; sa[n] += $2 * $2; if (d < 0) d = -d;
    m = $2 < 0 ? -$2 : $2; if (d > md[n]) md[n] = d; if (m > ma[n]) ma[n] = m; seen[n] = 1 }
  END {
    if (bad) exit 1
    for (n in seen) {
      cnt++
      r = sa[n] > 0 ? sqrt(sd[n] / sa[n]) : (sd[n] > 0 ? 1 : 0)
      i = ma[n] > 0 ? md[n] / ma[n] : (md[n] > 0 ? 1 : 0)
      if (r > worst) { worst = r; wname = n }
      if (i > winf) winf = i
      if (r > tol) { nbad++; if (nbad <= 5) printf "h5relcmp: %s: relative error %.3e > %s\n", n, r, tol }
    }
    printf "max_rel=%.3e max_inf=%.3e datasets=%d worst=%s\n", worst, winf, cnt, wname
    exit nbad > 0
  }'
