/* host/core/internal.h — engine internals shared by the files of host/core only (not part of
 * the SDK). What other rooms may use of core is in core/core.h, which this includes. */
#ifndef HRKD_CORE_INTERNAL_H
#define HRKD_CORE_INTERNAL_H

#include <limits.h>
#include <stdint.h>

#include "core/core.h"
#include "hrkd/tensor.h"

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

/* grad.c: a step tensor's gradient record (its tensor; for a view, the base and the offset in
 * elements of the view's first element; cap: the size of the buffer a tensor's own gradient
 * was given, which may exceed its own), and a gradient buffer on the free list */
typedef struct grad_ref {
    hrkd_tensor *t, *base;
    int64_t      off, cap;
} grad_ref;

typedef struct grad_buf {
    float  *p;
    int64_t n;
} grad_buf;

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
    grad_ref           *grad_refs;   /* gradients given out in backward (grad.c) */
    int                 n_grad_refs, cap_grad_refs;
    grad_buf           *grad_free;   /* gradient memory backward took back, to give out again */
    int                 n_grad_free, cap_grad_free;
};

void *hrkd_arena_alloc(arena *a, size_t bytes);
float *hrkd_ctx_alloc_f32(hrkd_ctx *ctx, int64_t n);  /* device, uninitialised */
hrkd_node *hrkd_ctx_push(hrkd_ctx *ctx, hrkd_op op, hrkd_tensor *out);
hrkd_tensor *hrkd_tensor_alloc_like(hrkd_ctx *ctx, int ndim, const int64_t *shape, hrkd_dtype dt);
/* allocate a zeroed gradient for t now and mark it as requiring grad (a leaf's: kept) */
void hrkd_tensor_make_grad(hrkd_ctx *ctx, hrkd_tensor *t);

/* grad.c: gradients given out during backward and taken back after (see the file's head).
 * defer: t (an op's output) takes a gradient, allocated when backward first adds to it.
 * view: v, a view of x at offset off, shares x's gradient (now, or when x gets it).
 * get: t->grad there (zeroed when new) if t requires grad; −1 when the ctx failed.
 * release: t's own gradient back to the free list (a leaf's, a view's: kept). */
void hrkd_grad_defer(hrkd_ctx *ctx, hrkd_tensor *t);
void hrkd_grad_view(hrkd_ctx *ctx, hrkd_tensor *v, hrkd_tensor *x, int64_t off);
int  hrkd_grad_get(hrkd_ctx *ctx, hrkd_tensor *t);
void hrkd_grad_release(hrkd_ctx *ctx, hrkd_tensor *t);
void hrkd_contiguous_strides(int ndim, const int64_t *shape, int64_t *stride);
/* pad to 4-D (leading dims of size 1, stride 0) */
void hrkd_to4(const hrkd_tensor *t, int64_t shape4[4], int64_t stride4[4]);
void hrkd_backward_node(hrkd_ctx *ctx, hrkd_node *n);
/* hrkd_tensor_alloc_like's checks: 1..HRKD_MAX_DIMS dimensions, no negative size; -1 (the ctx
 * failed naming what) or 0 */
int hrkd_check_shape(hrkd_ctx *ctx, int ndim, const int64_t *shape, const char *what);

/* record.c: the steps every op builder shares. */
int hrkd_op_needs_grad(hrkd_ctx *ctx, hrkd_tensor *const *in, int n); /* grad on, an input requires it */
/* pushes a node with the inputs and marks out as taking a gradient (given out in backward) when
 * a gradient flows; NULL when none does (or out is NULL, or out of memory) */
hrkd_node *hrkd_op_record(hrkd_ctx *ctx, hrkd_op op, hrkd_tensor *out, hrkd_tensor *const *in, int n);
int hrkd_op_bad(hrkd_ctx *ctx, hrkd_tensor *a, const char *op); /* 1: the ctx failed or a is NULL (recorded) */
hrkd_tensor *hrkd_op_need_f32(hrkd_ctx *ctx, hrkd_tensor *x, const char *op); /* x, or NULL (recorded) */
const int32_t *hrkd_op_ids_to_host(hrkd_ctx *ctx, const hrkd_tensor *ids, int64_t n, const char *op);

/* view.c: x itself when contiguous, else its contiguous copy (on the tape) */
hrkd_tensor *hrkd_dense(hrkd_ctx *ctx, hrkd_tensor *x);

/* matmul.c: how to read the last two dims of t (rows × cols) as a BLAS matrix: row-major (trans
 * 0, ld = row stride) or column-major (trans 1, ld = column stride); -1 when neither works */
int hrkd_mview(const hrkd_tensor *t, int64_t rows, int64_t cols, int64_t *ld, int *trans);
/* C = alpha·op(A)·op(B) + beta·C where A, B, C are tensors (with their own layouts; a, b, c their
 * data or gradients) and ta/tb say whether to transpose the logical matrices */
void hrkd_gemm_tensors(hrkd_ctx *ctx, const hrkd_tensor *A, const float *a, int ta,
                       const hrkd_tensor *B, const float *b, int tb, const hrkd_tensor *C,
                       float *c, float alpha, float beta);

#endif
