/* tests/fuzz/fuzz_h5.c — libFuzzer target: opening a run file (hrkd_run_open: metadata, logs,
 * checkpoint state) from arbitrary bytes. HDF5 reads from a path, so each input goes to a
 * per-process temporary file. hrkd_run_open first parses the file in a forked child, so a
 * crash inside libhdf5 becomes a refusal (a few hundred runs/s under ASan). libhdf5 leaks a
 * little on some error paths: run with -detect_leaks=0 (our own leaks are covered by the
 * ASan test build). */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/hrkd_fuzz_h5_%d.h5", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    hrkd_error err = {0};
    hrkd_run *run = NULL;
    if (hrkd_run_open(path, &run, &err) == HRKD_STATUS_OK) hrkd_run_free(run);
    else if (!err.msg[0])
        __builtin_trap();
    unlink(path);
    return 0;
}
