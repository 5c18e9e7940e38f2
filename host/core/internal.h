/* host/core/internal.h — engine internals shared by the files of host/core (not part of the SDK). */
#ifndef HRKD_CORE_INTERNAL_H
#define HRKD_CORE_INTERNAL_H

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "hrkd/tensor.h"

/* Seconds on the monotonic clock: for durations (timings in logs and benchmarks). */
static inline double hrkd_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct hrkd_backend {
    void               *handle;
    const hrkd_kernels *k;
    int                 refs;
    char                path[PATH_MAX];
};

/* Op codes of the tape. */
typedef enum hrkd_op {
    HRKD_OP_CONTIGUOUS = 0,
    HRKD_OP_LINEAR,
    HRKD_OP_MATMUL,
    HRKD_OP_BINARY,
    HRKD_OP_SCALE,
    HRKD_OP_SUM,
    HRKD_OP_REPEAT,
    HRKD_OP_UNARY,
    HRKD_OP_LAYERNORM,
    HRKD_OP_SOFTMAX,
    HRKD_OP_DROPOUT,
    HRKD_OP_EMBEDDING,
    HRKD_OP_CONCAT,
    HRKD_OP_MSE,
    HRKD_OP_NLL,
    HRKD_OP_CUSTOM, /* a plugin's op: custom = its callbacks, state = its state copy */
    HRKD_OP_COUNT
} hrkd_op;

#define HRKD_NODE_MAX_IN 4

struct hrkd_node {
    hrkd_op      op;
    hrkd_tensor *out;
    hrkd_tensor *in[HRKD_NODE_MAX_IN];
    int          n_in;
    int64_t      i[8];   /* op integer parameters */
    float        f[4];   /* op float parameters */
    float       *saved[2];
    hrkd_tensor *const *list; /* concat inputs */
    const hrkd_custom_op *custom;
    void        *state;
};

/* A chunked bump allocator; reset keeps the memory, and coalesces chunks into one so that a
 * steady-state step allocates nothing. */
typedef struct arena_chunk {
    char  *base;
    size_t cap, used;
} arena_chunk;

typedef struct arena {
    arena_chunk *chunks;
    int          n, cap_chunks;
    size_t       peak;      /* high-water mark of bytes in use across chunks */
    size_t       in_use;
    int          device;    /* 1: backend memory, 0: host malloc */
    const hrkd_kernels *k;
} arena;

struct hrkd_ctx {
    hrkd_backend       *be;
    const hrkd_kernels *k;
    arena               dev;
    arena               host;
    hrkd_node         **tape;
    int                 tape_len, tape_cap;
    int                 training;
    int                 grad_enabled;
    uint64_t            rng_seed, rng_counter;
    int64_t             shard_lo, shard_n, shard_global; /* data-parallel batch shard; 0: none */
    hrkd_error          err;
    int32_t            *scratch_i32; /* host scratch for id checks */
    int64_t             scratch_cap;
};

int hrkd_lib_dir(char *out, size_t cap);
/* Data-parallel runs (train/dist.c): while set, the batch of the tensors being built is rows
 * [lo, lo+n) of a global batch of global rows, and dropout draws the masks of exactly those
 * rows of the global batch and advances the stream by the global batch's count, so every
 * mask — and every later draw — matches the one-process run. n = 0 clears it. */
void hrkd_ctx_set_batch_shard(hrkd_ctx *ctx, int64_t lo, int64_t n, int64_t global);

void *hrkd_arena_alloc(arena *a, size_t bytes);
float *hrkd_ctx_alloc_f32(hrkd_ctx *ctx, int64_t n);  /* device, uninitialised */
void *hrkd_ctx_alloc_host(hrkd_ctx *ctx, size_t bytes);
hrkd_node *hrkd_ctx_push(hrkd_ctx *ctx, hrkd_op op, hrkd_tensor *out);
hrkd_tensor *hrkd_tensor_alloc_like(hrkd_ctx *ctx, int ndim, const int64_t *shape, hrkd_dtype dt);
/* allocate a zeroed gradient for t and mark it as requiring grad */
void hrkd_tensor_make_grad(hrkd_ctx *ctx, hrkd_tensor *t);
void hrkd_contiguous_strides(int ndim, const int64_t *shape, int64_t *stride);
/* pad to 4-D (leading dims of size 1, stride 0) */
void hrkd_to4(const hrkd_tensor *t, int64_t shape4[4], int64_t stride4[4]);
void hrkd_backward_node(hrkd_ctx *ctx, hrkd_node *n);

#endif
