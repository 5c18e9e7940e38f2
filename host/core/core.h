/* host/core/core.h — what the other rooms of host/ may use of core beyond the SDK headers: a
 * clock, bfloat16 storage conversions, a host allocation that lives as long as the step, the
 * data-parallel batch shard, the library's folder, matmul with an addend, a context's error to
 * fill, marks to give a step's memory back to, the process's memory in the debug log, and the
 * exit code of a failed command. Core's own internals (tape, arenas, op records) stay in
 * core/internal.h, which only host/core/ includes. */
#ifndef HRKD_CORE_CORE_H
#define HRKD_CORE_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "hrkd/tensor.h"

/* Seconds on the monotonic clock: for durations (timings in logs and benchmarks). */
static inline double hrkd_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* bfloat16 as a storage format (the upper half of a binary32; no bf16 arithmetic anywhere):
 * pack rounds to nearest, ties to even, in integer arithmetic; a NaN stays a NaN (quieted),
 * ±0 and ±inf are kept, a finite value past the largest bf16 becomes ±inf. unpack is exact. */
static inline uint16_t hrkd_bf16_pack(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}
static inline float hrkd_bf16_unpack(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* bytes of host memory in the ctx's host arena: valid until hrkd_ctx_reset; NULL (and the
 * ctx failed) when out of memory */
void *hrkd_ctx_alloc_host(hrkd_ctx *ctx, size_t bytes);

/* Data-parallel runs (train/dist.c): while set, the batch of the tensors being built is rows
 * [lo, lo+n) of a global batch of global rows, and dropout draws the masks of exactly those
 * rows of the global batch and advances the stream by the global batch's count, so every
 * mask — and every later draw — matches the one-process run. n = 0 clears it. */
void hrkd_ctx_set_batch_shard(hrkd_ctx *ctx, int64_t lo, int64_t n, int64_t global);

/* The ctx's error, to fill or prefix (the SDK's hrkd_ctx_error is read-only). */
hrkd_error *hrkd_ctx_err(hrkd_ctx *ctx);

/* The folder libhrkd.so was loaded from (its lib/); 0, or -1 when unknown. */
int hrkd_lib_dir(char *out, size_t cap);

/* out [.., M, N] = addend (broadcast to out's shape, strides may be 0) + alpha·op(a)·op(b);
 * the addend gets no gradient (attention masks). */
hrkd_tensor *hrkd_matmul_add(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b, int ta, int tb,
                             float alpha, hrkd_tensor *addend);

/* A point in the ctx's arenas (this step's memory). hrkd_ctx_rewind gives back everything
 * created after it: the tensors, their data and their structs MUST NOT be used again. It
 * refuses (−1, nothing given back) when the tape grew since the mark (a recorded node refers to
 * that memory), so it serves code that runs with the gradient off; 0 when rewound. Marks are
 * valid until hrkd_ctx_reset and only for the ctx they came from. */
typedef struct hrkd_ctx_mark {
    int    dev_n, host_n, tape_len, grad_refs;
    size_t dev_used, host_used, dev_in_use, host_in_use;
} hrkd_ctx_mark;
hrkd_ctx_mark hrkd_ctx_mark_get(const hrkd_ctx *ctx);
int hrkd_ctx_rewind(hrkd_ctx *ctx, const hrkd_ctx_mark *m);
/* the most bytes of backend memory this ctx's tensors held at once (across steps) */
size_t hrkd_ctx_arena_peak(const hrkd_ctx *ctx);

/* At log level debug: a line "memory: WHAT: resident X MB, peak Y MB" (the process's VmRSS
 * and VmHWM); nothing otherwise. */
void hrkd_log_memory(const char *what);

/* The exit code of a command that failed with st (docs/cli.md): 2 for bad input (INVALID: a
 * bad INI, data, checkpoint or run file; NOT_FOUND: a named thing that is not there), 3 for
 * UNSUPPORTED, 1 for the rest (IO, NOMEM, INTERNAL: the run failed). */
int hrkd_exit_code(int st);

#endif
