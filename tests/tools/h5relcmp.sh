#!/usr/bin/env bash
# h5relcmp.sh A.h5 B.h5 GROUP TOL [EXCLUDE_REGEX] — compare every float dataset under GROUP
# of two run files (needs only hdf5-tools: h5ls, h5dump; h5py is not assumed). Per dataset
#   rel = ||a - b||_2 / ||a||_2      (what the assertion uses)
#   inf = max |a - b| / max |a|      (reported too)
# Norm-wise, so values near zero by chance (an element whose gradient cancels, whose Adam
# update is then rounding amplified to a full step) do not blow up an element-wise ratio.
# Prints "max_rel=X max_inf=Y datasets=N worst=..."; exits 1 when a dataset is missing from B,
# differs in size, or has rel > TOL.
set -u
a=$1 b=$2 group=$3 tol=$4
ex=${5:-^$}
list() { h5ls -r "$1$group" 2>/dev/null | awk '$2 == "Dataset" {print $1}' | grep -Ev "$ex" | sort; }
la=$(list "$a"); lb=$(list "$b")
if [ -z "$la" ]; then echo "h5relcmp: no datasets under $group in $a"; exit 1; fi
if [ "$la" != "$lb" ]; then echo "h5relcmp: $group holds different datasets in $a and $b"; exit 1; fi
vals() { h5dump -y -w 0 -m '%.9g' -d "$group$2" "$1" | awk '/DATA \{/ {on=1; next} on && /\}/ {on=0} on {gsub(/[ ,]/, ""); if ($0 != "") print}'; }
worst=0; worst_inf=0; worst_name=""; n=0; bad=0
for ds in $la; do
  r=$(paste <(vals "$a" "$ds") <(vals "$b" "$ds") | awk '
    NF != 2 { short = 1; next }
    { d = $1 - $2; sd += d * d; sa += $1 * $1; if (d < 0) d = -d; m = $1 < 0 ? -$1 : $1;
      if (d > md) md = d; if (m > ma) ma = m; n++ }
    END { if (short) { print "size"; exit }
          if (ma == 0) print (md == 0 ? "0 0" : "1 1"); else printf "%.3e %.3e\n", sqrt(sd / sa), md / ma }')
  n=$((n + 1))
  if [ "$r" = "size" ]; then echo "h5relcmp: $group$ds: sizes differ"; bad=1; continue; fi
  inf=${r#* }; r=${r% *}
  if awk -v r="$inf" -v w="$worst_inf" 'BEGIN { exit !(r > w) }'; then worst_inf=$inf; fi
  if awk -v r="$r" -v w="$worst" 'BEGIN { exit !(r > w) }'; then worst=$r; worst_name=$ds; fi
  if awk -v r="$r" -v t="$tol" 'BEGIN { exit !(r > t) }'; then
    bad=$((bad + 1)); [ $bad -le 5 ] && echo "h5relcmp: $group$ds: relative error $r > $tol"
  fi
done
echo "max_rel=$worst max_inf=$worst_inf datasets=$n worst=$group$worst_name"
[ $bad -eq 0 ]
