#!/usr/bin/env bash
# Inputs are never silently dropped, misread or stale: each case below feeds hrkd a hostile or
# careless input (an over-long line, a FIFO, a folder where a file belongs, edited data behind
# a token cache, labels that differ by a space or appear only in test, missing splits, a model
# folder hrkd cannot run, a loose plugin, ...) and asserts the refusal or the right reading.
# Prints "ok N name" or "FAILED N name" per case; exits 1 when any case failed.
set -u
B=${HRKD_BUILD:-build}
HRKD="$(cd "$B" && pwd)/bin/hrkd"
tmp=$(mktemp -d); trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
ok()  { echo "ok $1"; }
bad() { echo "FAILED $1"; shift; for f in "$@"; do sed 's/^/    /' "$f" | head -c 3000; done; fail=1; }
# stats INI: run `hrkd data stats` on it with a time limit; out/err/rc in $tmp/out, $tmp/err, $rc
stats() { timeout 20 "$HRKD" data stats "$1" > "$tmp/out" 2> "$tmp/err"; rc=$?; }
printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ngood\nbad\nfine\nawful\nok\n' > "$tmp/vocab.txt"
# data INI: format, path, extra lines
dini() { printf '[data]\nformat = %s\npath = %s\nvocab = %s\n%b' "$2" "$3" "$tmp/vocab.txt" "${4:-}" > "$1"; }
# n rows of a two-label TSV body
rows() { for i in $(seq 1 "$1"); do if [ $((i % 2)) = 0 ]; then printf 'good fine %d\tpos\n' "$i"; else printf 'bad awful %d\tneg\n' "$i"; fi; done; }
# a tiny teacher run over [data] lines: file, data lines, extra sections
tini() {
  cat > "$1" <<EOF
[run]
mode = teacher
seed = 3
epochs = 1
val_every = 4
log_every = 4
$3
[data]
vocab = $tmp/vocab.txt
max_seq_len = 8
batch_size = 8
eval_batch_size = 16
$2

[teacher]
strategy = mtl
lr = 1e-3
layers = 1
hidden = 8
heads = 2
ffn = 16
max_positions = 8
$4

[output]
file = ${1%.ini}.h5

[backend]
threads = 1
EOF
}

# 1. line length cap: the default (16 MiB) and [data] max_line_bytes, FILE:LINE; /dev/zero
{ printf 'text\tlabel\n'; rows 4; head -c 17000000 /dev/zero | tr '\0' 'a'; printf '\tpos\n'; rows 4; } > "$tmp/long.tsv"
dini "$tmp/l1.ini" tsv "$tmp/long.tsv"; stats "$tmp/l1.ini"; e1=$rc; cp "$tmp/err" "$tmp/err1"
{ printf 'text\tlabel\n'; rows 2; head -c 3000 /dev/zero | tr '\0' 'b'; printf '\tpos\n'; rows 4; } > "$tmp/long2.tsv"
dini "$tmp/l2.ini" tsv "$tmp/long2.tsv" 'max_line_bytes = 2048\n'; stats "$tmp/l2.ini"; e2=$rc; cp "$tmp/err" "$tmp/err2"
dini "$tmp/l3.ini" tsv "$tmp/long2.tsv" 'max_line_bytes = 4096\n'; stats "$tmp/l3.ini"; e3=$rc
dini "$tmp/l4.ini" tsv /dev/zero; stats "$tmp/l4.ini"; e4=$rc; cp "$tmp/err" "$tmp/err4"
if [ $e1 = 2 ] && grep -q "long.tsv:6: line longer than 16777216 bytes" "$tmp/err1" && grep -q "max_line_bytes" "$tmp/err1" &&
   [ $e2 = 2 ] && grep -q "long2.tsv:4: line longer than 2048 bytes" "$tmp/err2" && [ $e3 = 0 ] &&
   [ $e4 = 2 ] && grep -q "/dev/zero: .*device" "$tmp/err4"; then ok "1 line length cap"
else bad "1 line length cap ($e1 $e2 $e3 $e4)" "$tmp/err1" "$tmp/err2" "$tmp/err4"; fi

# 2. a read error is an error, not the end of the file (/proc/self/mem fails with EIO)
dini "$tmp/r.ini" tsv /proc/self/mem; stats "$tmp/r.ini"
if [ $rc = 2 ] && grep -q "/proc/self/mem:1: read error (Input/output error)" "$tmp/err"; then ok "2 read error"
else bad "2 read error (exit $rc)" "$tmp/err"; fi

# 3. special files: a FIFO or a device as data, vocab, %include or plugin; a folder where a file belongs
mkfifo "$tmp/fifo"; mkdir -p "$tmp/dirset/train.tsv" "$tmp/vdir"; printf "text\tlabel\n" > "$tmp/dirset/test.tsv"
r3=""
dini "$tmp/s1.ini" tsv "$tmp/fifo"; stats "$tmp/s1.ini"; [ $rc = 2 ] && grep -q "fifo: is a FIFO (named pipe), expected a regular file" "$tmp/err" || r3="$r3 data-fifo($rc)"
dini "$tmp/s2.ini" tsv "$tmp/dirset"; stats "$tmp/s2.ini"; [ $rc = 2 ] && grep -q "dirset/train.tsv: is a folder, expected a regular file" "$tmp/err" || r3="$r3 data-folder($rc)"
printf 'text\tlabel\n' > "$tmp/ok.tsv"; rows 10 >> "$tmp/ok.tsv"
dini "$tmp/s3.ini" tsv "$tmp/ok.tsv"; sed -i "s|^vocab = .*|vocab = $tmp/vdir|" "$tmp/s3.ini"; stats "$tmp/s3.ini"
[ $rc = 2 ] && grep -q "vdir: is a folder, expected a regular file" "$tmp/err" || r3="$r3 vocab-folder($rc)"
printf '%%include fifo\n[data]\nformat = synthetic\n' > "$tmp/s4.ini"
timeout 20 "$HRKD" check "$tmp/s4.ini" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "is a FIFO (named pipe), expected a regular file" "$tmp/err" || r3="$r3 include-fifo($rc)"
timeout 20 "$HRKD" plugins describe "$tmp/fifo" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "fifo: is a FIFO (named pipe), expected a regular file" "$tmp/err" || r3="$r3 plugin-fifo($rc)"
timeout 20 "$HRKD" inspect "$tmp/fifo" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "fifo: is a FIFO (named pipe), expected a regular file" "$tmp/err" || r3="$r3 h5-fifo($rc)"
if [ -z "$r3" ]; then ok "3 special files"; else bad "3 special files:$r3" "$tmp/err"; fi

# 4. the token cache notices edited data (same size, same mtime: the content hash) and says so
mkdir -p "$tmp/cache"
{ printf 'text\tlabel\n'; rows 20; } > "$tmp/c.tsv"
dini "$tmp/c.ini" tsv "$tmp/c.tsv" "cache_dir = $tmp/cache\n"; stats "$tmp/c.ini"; c1=$rc; cp "$tmp/out" "$tmp/out_before"
touch -r "$tmp/c.tsv" "$tmp/stamp"
sed -i '3,$ s/\tneg$/\tpos/' "$tmp/c.tsv"; touch -r "$tmp/stamp" "$tmp/c.tsv"   # 19 pos, 1 neg: same size, same mtime
stats "$tmp/c.ini"; c2=$rc; cp "$tmp/out" "$tmp/out_cached"; cp "$tmp/err" "$tmp/err_cached"
dini "$tmp/c2.ini" tsv "$tmp/c.tsv"; stats "$tmp/c2.ini"
if [ $c1 = 0 ] && [ $c2 = 0 ] && cmp -s "$tmp/out" "$tmp/out_cached" && ! cmp -s "$tmp/out_before" "$tmp/out_cached" &&
   grep -q "token cache .*: the data changed, rebuilding" "$tmp/err_cached"; then ok "4 stale token cache"
else bad "4 stale token cache ($c1 $c2)" "$tmp/out_before" "$tmp/out_cached" "$tmp/err_cached"; fi

# 5. a dev/test label never seen in training: FILE:LINE and the label
mkdir -p "$tmp/lab"; { printf 'text\tlabel\n'; rows 10; } > "$tmp/lab/train.tsv"
{ printf 'text\tlabel\n'; rows 2; printf 'ok ok\tmaybe\n'; } > "$tmp/lab/dev.tsv"; cp "$tmp/lab/train.tsv" "$tmp/lab/test.tsv"
dini "$tmp/u.ini" tsv "$tmp/lab"; stats "$tmp/u.ini"
if [ $rc = 2 ] && grep -q "lab/dev.tsv:4: label 'maybe' does not occur in the training data" "$tmp/err"; then ok "5 unseen label"
else bad "5 unseen label (exit $rc)" "$tmp/err"; fi

# 6. fewer than two labels
{ printf 'text\tlabel\n'; for i in 1 2 3 4 5 6 7 8 9 10; do printf 'good %d\tpos\n' $i; done; } > "$tmp/one.tsv"
dini "$tmp/o.ini" tsv "$tmp/one.tsv"; stats "$tmp/o.ini"
if [ $rc = 2 ] && grep -q "one.tsv: 1 label (pos) in the data; classification needs at least 2" "$tmp/err"; then ok "6 fewer than two labels"
else bad "6 fewer than two labels (exit $rc)" "$tmp/err"; fi

# 7. labels (and domains) are trimmed: 'pos ' is 'pos'
{ printf 'text\tlabel\n'; rows 10; printf 'good\tpos \n'; printf 'bad\t neg\n'; } > "$tmp/ws.tsv"
dini "$tmp/w.ini" tsv "$tmp/ws.tsv"; stats "$tmp/w.ini"
if [ $rc = 0 ] && grep -q "2 labels (neg, pos)" "$tmp/out"; then ok "7 whitespace trimmed"
else bad "7 whitespace trimmed (exit $rc)" "$tmp/out" "$tmp/err"; fi

# 8. a UTF-8 byte-order mark is skipped (TSV header and JSONL)
{ printf '\xef\xbb\xbftext\tlabel\n'; rows 10; } > "$tmp/bom.tsv"
{ printf '\xef\xbb\xbf'; for i in $(seq 1 10); do printf '{"text": "good %d", "label": "%s"}\n' $i $([ $((i % 2)) = 0 ] && echo pos || echo neg); done; } > "$tmp/bom.jsonl"
dini "$tmp/b1.ini" tsv "$tmp/bom.tsv"; stats "$tmp/b1.ini"; b1=$rc; cp "$tmp/err" "$tmp/errb1"
dini "$tmp/b2.ini" jsonl "$tmp/bom.jsonl"; stats "$tmp/b2.ini"; b2=$rc
if [ $b1 = 0 ] && [ $b2 = 0 ]; then ok "8 byte-order mark"
else bad "8 byte-order mark ($b1 $b2)" "$tmp/errb1" "$tmp/err"; fi

mkdir -p "$tmp/full"; for f in train dev test; do { printf 'text\tlabel\n'; rows 20; } > "$tmp/full/$f.tsv"; done
tsvdata="format = tsv
path = $tmp/full"
# 9. no dev file: a seeded 10 % of train becomes dev, said at start-up and kept in the run file
mkdir -p "$tmp/nodev"; { printf 'text\tlabel\n'; rows 40; } > "$tmp/nodev/train.tsv"; { printf 'text\tlabel\n'; rows 10; } > "$tmp/nodev/test.tsv"
tini "$tmp/nd.ini" "format = tsv
path = $tmp/nodev" "" ""
timeout 120 "$HRKD" run "$tmp/nd.ini" > "$tmp/out" 2> "$tmp/err"; rc=$?
r9=""; [ $rc = 0 ] || r9="$r9 run($rc)"
grep -q "splits: .*dev = a seeded 10 % of train" "$tmp/out" "$tmp/err" || r9="$r9 start-up-line"
if command -v h5dump > /dev/null; then h5dump -a /data_splits "$tmp/nd.h5" 2>/dev/null | grep -q "dev = a seeded 10 % of train" || r9="$r9 run-file"; fi
dini "$tmp/nd2.ini" tsv "$tmp/nodev"; stats "$tmp/nd2.ini"
grep -q "^all *train *36 " "$tmp/out" && grep -q "^all *dev *4 " "$tmp/out" || r9="$r9 counts"
if [ -z "$r9" ]; then ok "9 no dev file"; else bad "9 no dev file:$r9" "$tmp/out" "$tmp/err"; fi

# 10. no test file: refused naming the choices; dev_as_test = true takes dev as test
mkdir -p "$tmp/notest"; { printf 'text\tlabel\n'; rows 40; } > "$tmp/notest/train.tsv"; { printf 'text\tlabel\n'; rows 10; } > "$tmp/notest/dev.tsv"
dini "$tmp/nt.ini" tsv "$tmp/notest"; stats "$tmp/nt.ini"; n1=$rc; cp "$tmp/err" "$tmp/errn1"
dini "$tmp/nt2.ini" tsv "$tmp/notest" 'dev_as_test = true\n'; stats "$tmp/nt2.ini"; n2=$rc
if [ $n1 = 2 ] && grep -q "notest: no test.tsv; add one, or set \[data\] dev_as_test = true" "$tmp/errn1" && [ $n2 = 0 ] &&
   grep -q "^all *train *36 " "$tmp/out" && grep -q "^all *dev *4 " "$tmp/out" && grep -q "^all *test *10 " "$tmp/out"; then ok "10 no test file"
else bad "10 no test file ($n1 $n2)" "$tmp/errn1" "$tmp/out" "$tmp/err"; fi

# 11. amazon with domains = books reads only books/
mkdir -p "$tmp/amz/books"
for lab in positive negative; do
  for i in $(seq 1 10); do printf '<review>\n<review_text>\ngood fine %d\n</review_text>\n</review>\n' $i; done > "$tmp/amz/books/$lab.review"
done
dini "$tmp/a.ini" amazon "$tmp/amz" 'domains = books\n'; stats "$tmp/a.ini"
if [ $rc = 0 ] && grep -q "^books " "$tmp/out"; then ok "11 amazon domains"
else bad "11 amazon domains (exit $rc)" "$tmp/err"; fi

# 12. config.json values hrkd does not implement are refused, naming the field
mkhf() { mkdir -p "$1"; cp "$tmp/vocab.txt" "$1/"; printf '{"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 8, "type_vocab_size": 2%s}\n' "$2" > "$1/config.json"; }
mkhf "$tmp/relu" ', "hidden_act": "relu"'; mkhf "$tmp/relk" ', "position_embedding_type": "relative_key"'
tini "$tmp/m1.ini" "$tsvdata" "" "checkpoint = $tmp/relu"
timeout 120 "$HRKD" run "$tmp/m1.ini" > "$tmp/out" 2> "$tmp/err"; m1=$?; cp "$tmp/err" "$tmp/errm1"
tini "$tmp/m2.ini" "$tsvdata" "" "checkpoint = $tmp/relk"
timeout 120 "$HRKD" run "$tmp/m2.ini" > "$tmp/out" 2> "$tmp/err"; m2=$?
if [ $m1 = 2 ] && grep -q 'relu/config.json:1: "hidden_act": "relu" is not supported' "$tmp/errm1" &&
   [ $m2 = 2 ] && grep -q 'relk/config.json:1: "position_embedding_type": "relative_key" is not supported' "$tmp/err"; then ok "12 model config fields"
else bad "12 model config fields ($m1 $m2)" "$tmp/errm1" "$tmp/err"; fi

# 13. a [teacher] checkpoint that does not exist, or a folder without config.json: refused before training
mkdir -p "$tmp/empty_hf"
tini "$tmp/t1.ini" "$tsvdata" "" "checkpoint = $tmp/no_such_teacher"
timeout 120 "$HRKD" run "$tmp/t1.ini" > "$tmp/out" 2> "$tmp/err"; t1=$?; cp "$tmp/err" "$tmp/errt1"; cat "$tmp/out" >> "$tmp/errt1"
tini "$tmp/t2.ini" "$tsvdata" "" "checkpoint = $tmp/empty_hf"
timeout 120 "$HRKD" run "$tmp/t2.ini" > "$tmp/out" 2> "$tmp/err"; t2=$?; cat "$tmp/out" >> "$tmp/err"
if [ $t1 = 2 ] && grep -q "t1.ini: \[teacher\] checkpoint: .*no_such_teacher: cannot open (No such file or directory)" "$tmp/errt1" && ! grep -q "step " "$tmp/errt1" &&
   [ $t2 = 2 ] && grep -q "t2.ini: \[teacher\] checkpoint: .*empty_hf: a folder without config.json" "$tmp/err" && ! grep -q "step " "$tmp/err"; then ok "13 missing teacher checkpoint"
else bad "13 missing teacher checkpoint ($t1 $t2)" "$tmp/errt1" "$tmp/err"; fi

# 14. a plugin file or folder writable by others is refused (unless HRKD_PLUGIN_ALLOW_LOOSE=1);
#     a sticky shared folder is loose only for the file itself
src="$tmp/good.so"
cc -std=c11 -shared -fPIC -fvisibility=hidden -Ihost/include -o "$src" tests/broken_plugins/broken.c || echo "FAILED cannot build a test plugin"
mkdir -p "$tmp/pl/tight" "$tmp/pl/loosedir" "$tmp/pl/sticky"; chmod 755 "$tmp/pl/tight"; chmod 777 "$tmp/pl/loosedir"; chmod 1777 "$tmp/pl/sticky"
cp "$src" "$tmp/pl/tight/loose.so"; chmod 666 "$tmp/pl/tight/loose.so"
cp "$src" "$tmp/pl/loosedir/p.so"; chmod 755 "$tmp/pl/loosedir/p.so"
cp "$src" "$tmp/pl/sticky/p.so"; chmod 755 "$tmp/pl/sticky/p.so"
r14=""
"$HRKD" plugins describe "$tmp/pl/tight/loose.so" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "loose.so: writable by group or others (mode 0666); HRKD_PLUGIN_ALLOW_LOOSE=1 loads it anyway" "$tmp/err" || r14="$r14 file($rc)"
"$HRKD" plugins describe "$tmp/pl/loosedir/p.so" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "loosedir: the folder holding p.so is writable by group or others (mode 0777)" "$tmp/err" || r14="$r14 folder($rc)"
"$HRKD" plugins describe "$tmp/pl/sticky/p.so" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 0 ] || r14="$r14 sticky($rc)"
HRKD_PLUGIN_ALLOW_LOOSE=1 "$HRKD" plugins describe "$tmp/pl/tight/loose.so" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 0 ] || r14="$r14 allowed($rc)"
if [ -z "$r14" ]; then ok "14 loose plugins"; else bad "14 loose plugins:$r14" "$tmp/err"; fi

# 15. a folder on HRKD_PLUGIN_PATH that does not exist gets a warning
HRKD_PLUGIN_PATH="$tmp/no_such_plugins" "$HRKD" plugins > "$tmp/out" 2> "$tmp/err"; rc=$?
if [ $rc = 0 ] && grep -q "warning: HRKD_PLUGIN_PATH: $tmp/no_such_plugins: no such folder" "$tmp/err"; then ok "15 missing plugin folder"
else bad "15 missing plugin folder (exit $rc)" "$tmp/err"; fi

# 16. a bad .h5, safetensors or .bin given as input exits 2
head -c 4096 /dev/urandom > "$tmp/garbage.h5"
"$HRKD" inspect "$tmp/garbage.h5" > /dev/null 2> "$tmp/err"; x1=$?
if [ -f "$tmp/nd.h5" ]; then   # a real run file cut in half: HDF5 opens it, then fails
  head -c $(( $(stat -c %s "$tmp/nd.h5") / 2 )) "$tmp/nd.h5" > "$tmp/half.h5"
  "$HRKD" inspect "$tmp/half.h5" > /dev/null 2>> "$tmp/err"; x0=$?; [ $x0 = 2 ] || x1="$x1/half:$x0"
fi
mkhf "$tmp/badst" ''; head -c 100 /dev/urandom > "$tmp/badst/model.safetensors"
tini "$tmp/x2.ini" "$tsvdata" "" "checkpoint = $tmp/badst"
timeout 120 "$HRKD" run "$tmp/x2.ini" > /dev/null 2> "$tmp/err2"; x2=$?
mkhf "$tmp/badbin" ''; head -c 100 /dev/urandom > "$tmp/badbin/pytorch_model.bin"
tini "$tmp/x3.ini" "$tsvdata" "" "checkpoint = $tmp/badbin"
timeout 120 "$HRKD" run "$tmp/x3.ini" > /dev/null 2> "$tmp/err3"; x3=$?
if [ $x1 = 2 ] && [ $x2 = 2 ] && [ $x3 = 2 ]; then ok "16 exit codes"
else bad "16 exit codes ($x1 $x2 $x3)" "$tmp/err" "$tmp/err2" "$tmp/err3"; fi

# 17. an integer out of range says the range
printf '[run]\nepochs = 99999999999999999999\n[data]\nmax_seq_len = 99999999999999999999\n' > "$tmp/int.ini"
"$HRKD" check "$tmp/int.ini" > /dev/null 2> "$tmp/err"; rc=$?
if [ $rc = 2 ] && grep -q "\[run\] epochs: 99999999999999999999 is out of range: must be >= 0" "$tmp/err" &&
   grep -q "\[data\] max_seq_len: 99999999999999999999 is out of range \[2, 65536\]" "$tmp/err"; then ok "17 integer out of range"
else bad "17 integer out of range (exit $rc)" "$tmp/err"; fi

# 18. a run name or output path over the limit is refused by check
long=$(head -c 300 /dev/zero | tr '\0' 'n')
printf '[run]\nname = %s\n' "$long" > "$tmp/n1.ini"
"$HRKD" check "$tmp/n1.ini" > /dev/null 2> "$tmp/err"; y1=$?; cp "$tmp/err" "$tmp/erry1"
deep=$(for i in $(seq 1 30); do printf '/%s' "$(head -c 150 /dev/zero | tr '\0' 'd')"; done)
printf '[output]\ndir = %s\n' "$deep" > "$tmp/n2.ini"
"$HRKD" check "$tmp/n2.ini" > /dev/null 2> "$tmp/err"; y2=$?
if [ $y1 = 2 ] && grep -q "\[run\] name: 300 bytes, at most 200" "$tmp/erry1" &&
   [ $y2 = 2 ] && grep -q "\[output\] file: .* bytes, at most 4000" "$tmp/err"; then ok "18 long name and path"
else bad "18 long name and path ($y1 $y2)" "$tmp/erry1" "$tmp/err"; fi

# 19. a long message keeps its cause
lp="$tmp$(for i in $(seq 1 12); do printf '/%s' "$(head -c 100 /dev/zero | tr '\0' 'p')"; done)/train.tsv"
dini "$tmp/lm.ini" tsv "$lp"; stats "$tmp/lm.ini"
if [ $rc = 2 ] && grep -q "No such file or directory" "$tmp/err"; then ok "19 long message keeps its cause"
else bad "19 long message keeps its cause (exit $rc)" "$tmp/err"; fi

exit $fail
