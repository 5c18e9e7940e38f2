/* hrkd/tensor.h — tensors, the per-step arena, reverse-mode autograd on a tape, and the ops
 * plugins and the model are built from.
 *
 * Model (ggml contexts + llm.c buffers):
 *  - An hrkd_ctx owns a backend, a growable arena of backend memory and a tape. Everything a
 *    step creates (activations, their gradients, tape nodes) lives in the arena and is freed
 *    at once by hrkd_ctx_reset(). After the first step the arena has grown to size and a
 *    step performs no malloc.
 *  - Parameters live in an hrkd_params: one contiguous buffer each for values, gradients and
 *    AdamW moments, plus a name table (checkpointing, all-reduce and HF name mapping are one
 *    loop each).
 *  - Ops record a node on the tape when grad is enabled and an input requires grad;
 *    hrkd_backward() walks the tape in reverse. Backward kernels accumulate (+=), so a tensor
 *    used by several consumers receives the sum of their gradients.
 *  - An op's output gets its gradient memory in hrkd_backward(), when the first consumer adds
 *    to it, and gives it back once its own node has run (as PyTorch keeps no gradient of a
 *    non-leaf): during the forward its grad is NULL, and after backward only leaves
 *    (hrkd_tensor_set_requires_grad) and parameters hold gradients.
 *  - Errors are sticky: an op given bad shapes returns NULL and records a message naming the
 *    op and both shapes; every op given a NULL input returns NULL. Build a whole graph, then
 *    check hrkd_ctx_failed() once.
 *
 * Shapes are in PyTorch order (shape[0] outermost), at most HRKD_MAX_DIMS dims; strides are
 * in elements. Views (reshape, permute, transpose, slice) share storage and gradient storage.
 */
#ifndef HRKD_TENSOR_H
#define HRKD_TENSOR_H

#include <stdint.h>
#include <stddef.h>

#include "hrkd/backend.h"
#include "hrkd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HRKD_MAX_DIMS 4

typedef struct hrkd_backend hrkd_backend; /* a loaded backend (opaque) */
typedef struct hrkd_ctx     hrkd_ctx;     /* arena + tape (opaque) */
typedef struct hrkd_params  hrkd_params;  /* a model's parameter store (opaque) */
typedef struct hrkd_node    hrkd_node;    /* a tape entry (opaque) */

typedef enum hrkd_dtype { HRKD_F32 = 0, HRKD_I32 = 1 } hrkd_dtype;

typedef struct hrkd_tensor {
    hrkd_dtype dtype;
    int        ndim;
    int64_t    shape[HRKD_MAX_DIMS];
    int64_t    stride[HRKD_MAX_DIMS];
    void      *data;          /* backend memory (first element of this view) */
    float     *grad;          /* backend memory, same strides as data; NULL: no gradient (yet) */
    int        requires_grad; /* gradient flows into this tensor */
    int32_t    grad_ref;      /* the host's: where backward finds this gradient; 0 in a new struct */
    const char *name;         /* optional, for messages */
} hrkd_tensor;

/* ---- backends ---- */
/* Load "cpu" or "cuda" (or a path to a .so). Searched: $HRKD_BACKEND_PATH, then the build's
 * backend folder, then the install prefix. threads <= 0: backend default. */
HRKD_API hrkd_status hrkd_backend_load(const char *name, int threads, hrkd_backend **out,
                                       hrkd_error *err);
HRKD_API void hrkd_backend_unload(hrkd_backend *be);
HRKD_API const hrkd_kernels *hrkd_backend_kernels(const hrkd_backend *be);
/* Names of table entries that are NULL, comma separated, or "" when complete. */
HRKD_API const char *hrkd_kernels_missing(const hrkd_kernels *k, char *buf, size_t cap);

/* ---- context ---- */
HRKD_API hrkd_ctx *hrkd_ctx_create(hrkd_backend *be, hrkd_error *err);
HRKD_API void hrkd_ctx_destroy(hrkd_ctx *ctx);
HRKD_API void hrkd_ctx_reset(hrkd_ctx *ctx);              /* drop tape + arena contents */
HRKD_API void hrkd_ctx_set_training(hrkd_ctx *ctx, int training); /* dropout on/off */
HRKD_API void hrkd_ctx_set_grad(hrkd_ctx *ctx, int enabled);      /* record tape or not */
HRKD_API int  hrkd_ctx_grad_enabled(const hrkd_ctx *ctx);
HRKD_API int  hrkd_ctx_training(const hrkd_ctx *ctx);
/* Dropout stream: masks are a pure function of (seed, counter); each dropout op consumes
 * numel counters. Checkpoints save the counter to resume bit-identically. */
HRKD_API void hrkd_ctx_set_rng(hrkd_ctx *ctx, uint64_t seed, uint64_t counter);
HRKD_API uint64_t hrkd_ctx_rng_counter(const hrkd_ctx *ctx);
HRKD_API uint64_t hrkd_ctx_rng_seed(const hrkd_ctx *ctx);
HRKD_API int  hrkd_ctx_failed(const hrkd_ctx *ctx);
HRKD_API const hrkd_error *hrkd_ctx_error(const hrkd_ctx *ctx);
HRKD_API void hrkd_ctx_clear_error(hrkd_ctx *ctx);
HRKD_API const hrkd_kernels *hrkd_ctx_kernels(const hrkd_ctx *ctx);
HRKD_API hrkd_backend *hrkd_ctx_backend(const hrkd_ctx *ctx);
HRKD_API size_t hrkd_ctx_arena_bytes(const hrkd_ctx *ctx);   /* capacity reserved so far */
/* Record an error in ctx (first wins) — for plugins building graphs. Returns NULL. */
HRKD_API hrkd_tensor *hrkd_ctx_fail(hrkd_ctx *ctx, const char *fmt, ...) HRKD_PRINTF(2, 3);

/* ---- tensor creation (arena memory, freed by hrkd_ctx_reset) ---- */
HRKD_API hrkd_tensor *hrkd_tensor_new(hrkd_ctx *ctx, int ndim, const int64_t *shape);
HRKD_API hrkd_tensor *hrkd_tensor_new_i32(hrkd_ctx *ctx, int ndim, const int64_t *shape);
HRKD_API hrkd_tensor *hrkd_tensor_zeros(hrkd_ctx *ctx, int ndim, const int64_t *shape);
HRKD_API hrkd_tensor *hrkd_tensor_from_host(hrkd_ctx *ctx, int ndim, const int64_t *shape,
                                            const float *host);
HRKD_API hrkd_tensor *hrkd_tensor_from_host_i32(hrkd_ctx *ctx, int ndim, const int64_t *shape,
                                                const int32_t *host);
/* Copy a tensor (any strides) to host memory, densely; returns non-zero on failure. */
HRKD_API int hrkd_tensor_to_host(hrkd_ctx *ctx, const hrkd_tensor *t, float *host);
HRKD_API int hrkd_tensor_grad_to_host(hrkd_ctx *ctx, const hrkd_tensor *t, float *host);
HRKD_API float hrkd_tensor_item(hrkd_ctx *ctx, const hrkd_tensor *t); /* one element */
HRKD_API int64_t hrkd_tensor_numel(const hrkd_tensor *t);
HRKD_API int hrkd_tensor_is_contiguous(const hrkd_tensor *t);
/* "[2, 3, 4]" into buf; returns buf */
HRKD_API const char *hrkd_shape_str(const hrkd_tensor *t, char *buf, size_t cap);
/* Mark an arena tensor as a leaf that receives a gradient (allocates a zeroed grad). */
HRKD_API hrkd_tensor *hrkd_tensor_set_requires_grad(hrkd_ctx *ctx, hrkd_tensor *t);

/* ---- views (no copy; gradient storage is shared the same way) ---- */
HRKD_API hrkd_tensor *hrkd_reshape(hrkd_ctx *ctx, hrkd_tensor *x, int ndim, const int64_t *shape);
HRKD_API hrkd_tensor *hrkd_permute(hrkd_ctx *ctx, hrkd_tensor *x, const int *perm);
HRKD_API hrkd_tensor *hrkd_transpose(hrkd_ctx *ctx, hrkd_tensor *x, int d0, int d1);
/* x[..., start:start+len, ...] along axis */
HRKD_API hrkd_tensor *hrkd_slice(hrkd_ctx *ctx, hrkd_tensor *x, int axis, int64_t start,
                                 int64_t len);
/* dense copy of any view (op on the tape) */
HRKD_API hrkd_tensor *hrkd_contiguous(hrkd_ctx *ctx, hrkd_tensor *x);
/* a tensor with the same data and no gradient link (stop-gradient) */
HRKD_API hrkd_tensor *hrkd_detach(hrkd_ctx *ctx, hrkd_tensor *x);

/* ---- ops (each: forward kernel, backward kernel, finite-difference test) ---- */
/* x [..., in], w [out, in] (Hugging Face layout), b [out] or NULL → [..., out] */
HRKD_API hrkd_tensor *hrkd_linear(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *w, hrkd_tensor *b);
/* batched: a [..., m, k] (or [..., k, m] with ta), b [..., k, n] (or [..., n, k] with tb),
 * batch dims (≤ 2) must match; out = alpha · op(a) op(b). Views with the matrix's last or
 * second-last stride 1 are used in place (no copy). */
HRKD_API hrkd_tensor *hrkd_matmul(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b, int ta, int tb,
                                  float alpha);
/* elementwise; b may be broadcast as a suffix of a's shape (b [C] against a [..., C]) */
HRKD_API hrkd_tensor *hrkd_add(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b);
HRKD_API hrkd_tensor *hrkd_sub(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b);
HRKD_API hrkd_tensor *hrkd_mul(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b);
HRKD_API hrkd_tensor *hrkd_scale(hrkd_ctx *ctx, hrkd_tensor *x, float alpha);
/* sum / mean over one axis (keepdim = 0), or over all elements with axis = HRKD_ALL → [1] */
#define HRKD_ALL (-100)
HRKD_API hrkd_tensor *hrkd_sum(hrkd_ctx *ctx, hrkd_tensor *x, int axis);
HRKD_API hrkd_tensor *hrkd_mean(hrkd_ctx *ctx, hrkd_tensor *x, int axis);
/* b [...] broadcast along a new axis: x [outer, inner] → [outer, n, inner] (repeat) */
HRKD_API hrkd_tensor *hrkd_repeat(hrkd_ctx *ctx, hrkd_tensor *x, int axis, int64_t n);
HRKD_API hrkd_tensor *hrkd_unary_op(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_unary op, float alpha);
HRKD_API hrkd_tensor *hrkd_gelu(hrkd_ctx *ctx, hrkd_tensor *x, int tanh_form);
HRKD_API hrkd_tensor *hrkd_tanh(hrkd_ctx *ctx, hrkd_tensor *x);
HRKD_API hrkd_tensor *hrkd_relu(hrkd_ctx *ctx, hrkd_tensor *x);
HRKD_API hrkd_tensor *hrkd_elu(hrkd_ctx *ctx, hrkd_tensor *x, float alpha);
HRKD_API hrkd_tensor *hrkd_leaky_relu(hrkd_ctx *ctx, hrkd_tensor *x, float slope);
/* over the last axis; w, b [C] */
HRKD_API hrkd_tensor *hrkd_layernorm(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *w,
                                     hrkd_tensor *b, float eps);
/* over the last axis of x [..., n]; mask (additive, no gradient) [R, n] broadcast over the
 * rows so that row r uses mask row r / (rows(x)/R); NULL for none */
HRKD_API hrkd_tensor *hrkd_softmax(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *mask);
HRKD_API hrkd_tensor *hrkd_log_softmax(hrkd_ctx *ctx, hrkd_tensor *x);
/* identity when the ctx is not training or p == 0 */
HRKD_API hrkd_tensor *hrkd_dropout(hrkd_ctx *ctx, hrkd_tensor *x, float p);
/* table [V, C], ids int32 [...] → [..., C]; ids outside [0, V) are an error */
HRKD_API hrkd_tensor *hrkd_embedding(hrkd_ctx *ctx, hrkd_tensor *table, hrkd_tensor *ids);
/* join n tensors along axis (concat) or along a new axis (stack) */
HRKD_API hrkd_tensor *hrkd_concat(hrkd_ctx *ctx, hrkd_tensor *const *xs, int n, int axis);
HRKD_API hrkd_tensor *hrkd_stack(hrkd_ctx *ctx, hrkd_tensor *const *xs, int n, int axis);
/* losses → [1] */
HRKD_API hrkd_tensor *hrkd_mse(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b);
/* logits [B, C], labels int32 [B] (−1 ignored) → mean cross-entropy */
HRKD_API hrkd_tensor *hrkd_cross_entropy(hrkd_ctx *ctx, hrkd_tensor *logits, hrkd_tensor *labels);
/* mean over rows of −Σ_c softmax(t/T)_c · log_softmax(s/T)_c; the teacher gets no gradient.
 * mean_over_classes != 0 divides by C as well (TinyBERT reference: .mean() over B·C). */
HRKD_API hrkd_tensor *hrkd_soft_cross_entropy(hrkd_ctx *ctx, hrkd_tensor *student,
                                              hrkd_tensor *teacher, float temperature,
                                              int mean_over_classes);

/* ---- math ops (elementwise unless stated; x may be any view, it is made contiguous on
 * the tape; the output is a new dense tensor) ---- */
HRKD_API hrkd_tensor *hrkd_exp(hrkd_ctx *ctx, hrkd_tensor *x);
HRKD_API hrkd_tensor *hrkd_ln(hrkd_ctx *ctx, hrkd_tensor *x);    /* natural log; x > 0 */
HRKD_API hrkd_tensor *hrkd_sqrt(hrkd_ctx *ctx, hrkd_tensor *x);  /* x > 0 for a finite gradient */
HRKD_API hrkd_tensor *hrkd_rsqrt(hrkd_ctx *ctx, hrkd_tensor *x); /* 1/√x; x > 0 */
/* a / b, b broadcast as a suffix of a's shape (as hrkd_add) */
HRKD_API hrkd_tensor *hrkd_div(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b);
/* min(max(x, lo), hi); −INFINITY / INFINITY leave that side open; lo <= hi. The gradient
 * passes where lo <= x <= hi (bounds included, as PyTorch). */
HRKD_API hrkd_tensor *hrkd_clamp(hrkd_ctx *ctx, hrkd_tensor *x, float lo, float hi);
/* x [..., F] → x / max(‖x‖₂, eps) over the last axis (PyTorch F.normalize(x, dim=-1));
 * eps > 0. Rows with ‖x‖ < eps get x/eps and no gradient through their norm. */
HRKD_API hrkd_tensor *hrkd_l2_normalize(hrkd_ctx *ctx, hrkd_tensor *x, float eps);
/* Pairwise cosine similarity: a [..., N, F], b [..., M, F] (same batch dims, ≤ 2) →
 * [..., N, M] = l2_normalize(a) · l2_normalize(b)ᵀ. b may be a itself (a graph's
 * similarity matrix). For the row-wise form take the diagonal or sum(mul(...), -1) of
 * the normalized rows. */
HRKD_API hrkd_tensor *hrkd_cosine_similarity(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b,
                                             float eps);

/* ---- ops defined by plugins ----
 * A plugin gives a forward and a backward callback; hrkd_custom runs the forward now and,
 * when gradients flow, records a tape node whose backward hrkd_backward() calls.
 *
 * Contract for both callbacks:
 *  - every data pointer (in[i]->data, in[i]->grad, out->data, out->grad) is backend memory:
 *    host memory on cpu, device memory on cuda. Compute with the kernel table `k` (it runs
 *    on either backend); code that reads the memory itself must copy with k->copy_d2h /
 *    copy_h2d (and k->sync() first) unless k->name is "cpu".
 *  - inputs and the output are dense (contiguous, row-major, float32).
 *  - scratch memory: hrkd_tensor_new(ctx, ...) (arena, freed at hrkd_ctx_reset). Do not
 *    call other ops from a callback (they would record on the tape).
 *  - state points to the op's own copy of the bytes given to hrkd_custom; forward may write
 *    it (e.g. a pointer to scratch saved for backward).
 *  - backward: out->grad holds d(loss)/d(out); for every input with in[i]->grad != NULL
 *    (the host sets it NULL for inputs that take no gradient) ADD the input's gradient
 *    (+=, never overwrite: views and several consumers share gradient storage).
 *  - return 0, or non-zero after recording a message with hrkd_ctx_fail(ctx, ...).
 * The op struct must outlive the graph (a static const in the plugin). */
typedef struct hrkd_custom_call {
    hrkd_ctx           *ctx;
    const hrkd_kernels *k;
    hrkd_tensor *const *in;    /* n_in inputs */
    int                 n_in;
    hrkd_tensor        *out;
    void               *state; /* NULL when no state was given */
} hrkd_custom_call;

typedef struct hrkd_custom_op {
    const char *name;                              /* for messages */
    int (*forward)(const hrkd_custom_call *call);  /* write out->data */
    int (*backward)(const hrkd_custom_call *call); /* NULL: the op has no gradient */
} hrkd_custom_op;

#define HRKD_CUSTOM_MAX_IN 4
/* Run op on n_in (1..HRKD_CUSTOM_MAX_IN) float32 inputs giving an output of out_shape;
 * state_bytes of state (may be 0 / NULL) are copied for the callbacks. Returns NULL when an
 * input is NULL or a callback fails. */
HRKD_API hrkd_tensor *hrkd_custom(hrkd_ctx *ctx, const hrkd_custom_op *op, hrkd_tensor *const *in,
                                  int n_in, int out_ndim, const int64_t *out_shape,
                                  const void *state, size_t state_bytes);

/* ---- autograd ---- */
/* Seed d(loss)/d(loss) = 1 (loss must have one element) and run the tape backwards.
 * Gradients accumulate into parameter gradient buffers; zero them between steps. */
HRKD_API hrkd_status hrkd_backward(hrkd_ctx *ctx, hrkd_tensor *loss);
HRKD_API int hrkd_ctx_tape_len(const hrkd_ctx *ctx);

/* ---- parameters ---- */
enum {
    HRKD_PARAM_NO_DECAY = 1u << 0, /* AdamW applies no weight decay (biases, LayerNorm) */
    HRKD_PARAM_FROZEN   = 1u << 1, /* no gradient, not updated */
};

typedef struct hrkd_param_info {
    const char *name;
    int         ndim;
    int64_t     shape[HRKD_MAX_DIMS];
    int64_t     offset; /* elements from the start of the buffer */
    int64_t     numel;
    unsigned    flags;
} hrkd_param_info;

HRKD_API hrkd_params *hrkd_params_create(hrkd_backend *be, const char *model_name);
HRKD_API void hrkd_params_destroy(hrkd_params *p);
/* Declare before hrkd_params_alloc; returns the index, or −1 (duplicate name, bad shape). */
HRKD_API int hrkd_params_add(hrkd_params *p, const char *name, int ndim, const int64_t *shape,
                             unsigned flags);
/* Allocate values (zeroed), and gradients / AdamW moments when asked. */
HRKD_API hrkd_status hrkd_params_alloc(hrkd_params *p, int with_grad, int with_optim,
                                       hrkd_error *err);
HRKD_API const char *hrkd_params_model_name(const hrkd_params *p);
HRKD_API int hrkd_params_count(const hrkd_params *p);
HRKD_API int hrkd_params_find(const hrkd_params *p, const char *name);
HRKD_API const hrkd_param_info *hrkd_params_info(const hrkd_params *p, int i);
HRKD_API int64_t hrkd_params_numel(const hrkd_params *p);
/* Leaf tensor for parameter i (persistent: valid until hrkd_params_destroy). */
HRKD_API hrkd_tensor *hrkd_params_tensor(hrkd_params *p, int i);
HRKD_API float *hrkd_params_data(hrkd_params *p);  /* backend memory */
HRKD_API float *hrkd_params_grad(hrkd_params *p);  /* NULL without grads */
HRKD_API float *hrkd_params_m(hrkd_params *p);     /* NULL without optimizer state */
HRKD_API float *hrkd_params_v(hrkd_params *p);
HRKD_API void hrkd_params_zero_grad(hrkd_params *p);
HRKD_API hrkd_backend *hrkd_params_backend(const hrkd_params *p);
/* Host transfer of one parameter's values (dense, numel floats). */
HRKD_API hrkd_status hrkd_params_read(hrkd_params *p, int i, float *host);
HRKD_API hrkd_status hrkd_params_write(hrkd_params *p, int i, const float *host);
/* Deterministic initialisation on the host (seeded by (seed, parameter name)). */
HRKD_API void hrkd_params_init_normal(hrkd_params *p, int i, float mean, float std, uint64_t seed);
HRKD_API void hrkd_params_init_const(hrkd_params *p, int i, float value);
HRKD_API void hrkd_params_init_xavier_uniform(hrkd_params *p, int i, float gain, uint64_t seed);

/* ---- optimizer: AdamW with linear warmup / decay and global-norm clipping ---- */
typedef struct hrkd_adamw_config {
    float   lr;            /* peak learning rate */
    float   beta1, beta2, eps;
    float   weight_decay;  /* not applied to HRKD_PARAM_NO_DECAY */
    float   max_grad_norm; /* <= 0: no clipping */
    int64_t warmup_steps;  /* linear 0 → lr */
    int64_t total_steps;   /* then linear lr → 0 at total_steps; 0: constant after warmup */
} hrkd_adamw_config;

HRKD_API hrkd_adamw_config hrkd_adamw_defaults(void);
HRKD_API float hrkd_lr_at(const hrkd_adamw_config *cfg, int64_t step); /* step counts from 0 */
/* One step over every non-frozen parameter of each store: computes the global grad norm
 * across all stores (returned in *grad_norm, before clipping), clips, updates, and
 * increments *step. */
HRKD_API hrkd_status hrkd_adamw_step(hrkd_params *const *stores, int n_stores,
                                     const hrkd_adamw_config *cfg, int64_t *step,
                                     double *grad_norm, hrkd_error *err);

#ifdef __cplusplus
}
#endif
#endif /* HRKD_TENSOR_H */
