#!/usr/bin/env bash
# scripts/device_check.sh without a GPU: a kit staged from this build tree (the libraries the GPU
# machine lacks gathered from ldd, a stand-in for the reference code) passes the dry run, which
# prints every stage; the dry run fails on a kit whose file no longer matches its MANIFEST and on
# one whose runtime archive lacks a library a program needs; prepare refuses a folder that is not
# the reference code. Skips where the CUDA backend was not built, and for sanitizer builds (the
# kit is staged from the normal build).
source tests/common/lib.sh   # B, tmp, check, fail
if [ ! -f "$B/lib/hrkd/backends/hrkd_backend_cuda.so" ]; then echo "skipped: CUDA backend not built (no nvcc): the kit needs it"; exit 77; fi
if ldd "$B/bin/hrkd" | grep -q 'libasan\|libubsan'; then echo "skipped: sanitizer build (the kit is staged from the normal build)"; exit 77; fi
DC=scripts/device_check.sh
mkdir -p "$tmp/ref/models" "$tmp/notref"
echo "# stand-in" > "$tmp/ref/finetune_multi_domain.py"; echo "# stand-in" > "$tmp/ref/models/__init__.py"
kit="$tmp/kit"

bash $DC prepare --from-build "$B" --kit "$kit" --ref "$tmp/ref" --fast > "$tmp/prepare.log" 2>&1
check '[ $? -eq 0 ]' "prepare stages the build tree into a kit"
check 'grep -q "^carry: \[" "$tmp/prepare.log" && grep -q "^== sizes: kit .* of 64.0 MiB" "$tmp/prepare.log"' "prepare prints the sizes and what to carry"
for lib in libinih.so.1 libhdf5_serial.so.103 libopenblas.so.0 libgomp.so.1; do
  check 'grep -q "^# runtime $lib " "$kit/MANIFEST"' "the kit carries $lib"
done
check '! grep -q "^# runtime \(libc\|libstdc++\|libcublas\|libcudart\)\.so" "$kit/MANIFEST"' "it leaves the C library and CUDA's libraries to the GPU image"

bash $DC run --dry-run --kit "$kit" > "$tmp/dry.log" 2>&1
check '[ $? -eq 0 ] && grep -q "^dry run: the kit is sound" "$tmp/dry.log"' "dry run of the fresh kit exits 0"
check 'grep -q "every library outside the GPU image resolves inside the kit" "$tmp/dry.log"' "dry run resolves every library inside the kit"
check '[ $(grep -c "^\[[1-8]/8\] " "$tmp/dry.log") -eq 8 ] && grep -q "bench_reference.py --ref" "$tmp/dry.log"' "dry run prints the 8 stages with their commands"

cp -a "$kit" "$tmp/kit2"
echo tampered >> "$tmp/kit2/reference/finetune_multi_domain.py"
bash $DC --dry-run --kit "$tmp/kit2" > "$tmp/dry2.log" 2>&1
check '[ $? -ne 0 ] && grep -q "differs from its MANIFEST" "$tmp/dry2.log"' "dry run fails on a file that differs from the MANIFEST"

# a runtime archive without libinih, with a MANIFEST made to agree: the library check must see it
rm -rf "$tmp/kit2" && cp -a "$kit" "$tmp/kit2" && mkdir "$tmp/rt"
tar -C "$tmp/rt" -xzf "$kit/runtime.tar.gz" && rm "$tmp/rt/libinih.so.1"
tar -C "$tmp/rt" -cf - . | gzip -1 > "$tmp/kit2/runtime.tar.gz"
sum=$(cd "$tmp/kit2" && sha256sum runtime.tar.gz)
sed -i -e '/^# runtime libinih.so.1 /d' -e "s|^[0-9a-f]*  runtime.tar.gz\$|$sum|" "$tmp/kit2/MANIFEST"
bash $DC --dry-run --kit "$tmp/kit2" > "$tmp/dry3.log" 2>&1
check '[ $? -ne 0 ] && grep -q "^FAILED: .*libinih.so.1" "$tmp/dry3.log"' "dry run fails when a carried library is missing"

bash $DC prepare --from-build "$B" --kit "$tmp/kit3" --ref "$tmp/notref" > "$tmp/p3.log" 2>&1
check '[ $? -ne 0 ] && grep -q "does not look like the reference code" "$tmp/p3.log"' "prepare refuses a folder that is not the reference code"
bash $DC --dry-run --kit "$tmp/nokit" > /dev/null 2>&1
check '[ $? -ne 0 ]' "dry run fails without a kit"
[ $fail -eq 0 ] || { cat "$tmp/prepare.log" "$tmp/dry.log"; }
exit $fail
