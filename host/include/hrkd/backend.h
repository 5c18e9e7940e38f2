/* hrkd/backend.h — the backend kernel table (ggml-backend-impl style).
 *
 * A backend is a shared object (backends/<name>/ → build/backends/hrkd_backend_<name>.so)
 * exporting one function, hrkd_backend_entry(), that returns a static const hrkd_kernels.
 * The host calls kernels only through this table, so CPU and CUDA share every graph.
 *
 * Conventions for every kernel below:
 *  - All float pointers are float32 in the backend's memory (host memory for cpu, device
 *    memory for cuda). Index arrays (ids, labels) are int32 in backend memory.
 *  - Tensors are dense, row-major, PyTorch shape order, unless strides are given.
 *  - Every kernel whose name ends in _bwd ACCUMULATES into its gradient outputs (+=): a
 *    tensor may feed several consumers and each adds its share. Forward kernels overwrite.
 *  - Element counts are int64_t. A kernel never allocates; scratch comes from the caller.
 *  - Kernels are asynchronous on devices; sync() waits for completion.
 *  - A NULL entry means "unsupported": the host refuses, naming the kernel, when the graph
 *    is built — never mid-training (hrkd_kernels_missing()).
 */
#ifndef HRKD_BACKEND_H
#define HRKD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "hrkd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HRKD_BACKEND_ABI_VERSION 1u
#define HRKD_BACKEND_ENTRY "hrkd_backend_entry"

/* Unary pointwise functions (shape letters: N elements). */
typedef enum hrkd_unary {
    HRKD_UNARY_GELU_ERF = 0, /* x/2 (1 + erf(x/√2))          — Hugging Face BERT */
    HRKD_UNARY_GELU_TANH,    /* x/2 (1 + tanh(√(2/π)(x + 0.044715 x³))) — HRKD reference */
    HRKD_UNARY_TANH,
    HRKD_UNARY_RELU,
    HRKD_UNARY_ELU,          /* x > 0 ? x : alpha (eˣ − 1) */
    HRKD_UNARY_LEAKY_RELU,   /* x > 0 ? x : alpha x */
    HRKD_UNARY_EXP,
    HRKD_UNARY_SQUARE,
    HRKD_UNARY_ZERO_BELOW,   /* x <= alpha ? 0 : x (the TinyBERT loss zeroes masked scores) */
    HRKD_UNARY_SQRT,         /* √x; derivative ½/√x from y */
    HRKD_UNARY_RSQRT,        /* 1/√x; derivative −½ y³ */
    HRKD_UNARY_LOG,          /* ln x; derivative 1/x */
    HRKD_UNARY_CLAMP_MIN,    /* x < alpha ? alpha : x; derivative x >= alpha ? 1 : 0 */
    HRKD_UNARY_CLAMP_MAX,    /* x > alpha ? alpha : x; derivative x <= alpha ? 1 : 0 */
    HRKD_UNARY_COUNT
} hrkd_unary;

typedef enum hrkd_binary {
    HRKD_BINARY_ADD = 0,
    HRKD_BINARY_SUB,
    HRKD_BINARY_MUL,
    HRKD_BINARY_DIV,
    HRKD_BINARY_COUNT
} hrkd_binary;

/* Strided batched matrix product, row-major:
 *   for i0 < batch[0], i1 < batch[1]:
 *     C[i0,i1] = alpha · op(A[i0,i1]) · op(B[i0,i1]) + beta · C[i0,i1]
 * op(A) is m×k (A stored k×m when trans_a), op(B) is k×n (B stored n×k when trans_b),
 * C is m×n. ld* = distance between consecutive stored rows; *_stride[j] = distance between
 * consecutive batch entries along batch dim j (elements). beta = 0 must ignore C's contents
 * (it may hold NaN). */
typedef struct hrkd_gemm {
    int         trans_a, trans_b;
    int64_t     m, n, k;
    float       alpha, beta;
    int64_t     batch[2];
    const float *a;
    int64_t     lda, a_stride[2];
    const float *b;
    int64_t     ldb, b_stride[2];
    float       *c;
    int64_t     ldc, c_stride[2];
} hrkd_gemm;

typedef struct hrkd_kernels {
    uint32_t    abi_version; /* HRKD_BACKEND_ABI_VERSION */
    size_t      struct_size; /* sizeof(hrkd_kernels) as built */
    const char *name;        /* "cpu", "cuda" */
    const char *description; /* one line: library versions, device name */

    /* ---- lifetime and memory ---- */
    /* init is called once after loading; threads <= 0 means the backend's default.
     * Returns non-zero and fills err when the backend cannot run here (no GPU, no driver). */
    int  (*init)(int threads, hrkd_error *err);
    void (*shutdown)(void);
    void *(*alloc)(size_t bytes);             /* NULL on failure; 64-byte aligned at least */
    void (*free)(void *p);
    void (*copy_h2d)(void *dst, const void *src, size_t bytes);
    void (*copy_d2h)(void *dst, const void *src, size_t bytes);
    void (*copy_d2d)(void *dst, const void *src, size_t bytes);
    void (*sync)(void);

    /* ---- elementwise ---- */
    void (*fill)(float *x, float value, int64_t n);
    /* y = alpha·x + beta·y (beta = 0 ignores y's contents) */
    void (*axpby)(float *y, const float *x, float alpha, float beta, int64_t n);
    /* out = a ∘ b (or out += a ∘ b when accumulate), b broadcast by index i % nb (nb divides n).
     * out may alias a. */
    void (*binary)(hrkd_binary op, float *out, const float *a, const float *b, int64_t n,
                   int64_t nb, int accumulate);
    /* out = f(x) */
    void (*unary_fwd)(hrkd_unary op, float *out, const float *x, int64_t n, float alpha);
    /* dx += dout · f'(x); y = f(x) is passed too (some derivatives are cheaper from it) */
    void (*unary_bwd)(hrkd_unary op, float *dx, const float *dout, const float *x,
                      const float *y, int64_t n, float alpha);
    /* 4-D strided copy: dst[i] (=|+=) alpha·src[i] for every index i < shape, strides in
     * elements. Serves contiguous(), concat, stack, slice and their backwards. */
    void (*copy_strided)(float *dst, const int64_t dst_stride[4], const float *src,
                         const int64_t src_stride[4], const int64_t shape[4], float alpha,
                         int accumulate);

    /* ---- reductions (x viewed as [outer, n, inner]) ---- */
    /* out[o,i] (=|+=) alpha · Σ_j x[o,j,i] */
    void (*reduce_sum)(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                       float alpha, int accumulate);
    /* out[o,j,i] += alpha · x[o,i]  (backward of reduce_sum) */
    void (*broadcast_acc)(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                          float alpha);
    /* host-visible Σ x² in double, for grad-norm clipping and checks */
    double (*sum_squares)(const float *x, int64_t n);

    /* ---- matrix products ---- */
    void (*gemm)(const hrkd_gemm *g);

    /* ---- normalisation and attention pieces (rows × C, C innermost) ---- */
    /* out = (x − mean)·rstd·w + b per row; saves mean[rows], rstd[rows] */
    void (*layernorm_fwd)(float *out, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, int64_t rows, int64_t C, float eps);
    /* dx, dw, db accumulate (any may be NULL to skip) */
    void (*layernorm_bwd)(float *dx, float *dw, float *db, const float *dout, const float *x,
                          const float *w, const float *mean, const float *rstd, int64_t rows,
                          int64_t C);
    /* out[r,:] = softmax(x[r,:] + mask[r / rows_per_mask, :]) over n columns;
     * mask may be NULL (additive, e.g. 0 / −10000). log_out != 0 gives log-softmax. */
    void (*softmax_fwd)(float *out, const float *x, const float *mask, int64_t rows, int64_t n,
                        int64_t rows_per_mask, int log_out);
    /* dx += J^T dout, from the saved output y (softmax or log-softmax as in the forward) */
    void (*softmax_bwd)(float *dx, const float *dout, const float *y, int64_t rows, int64_t n,
                        int log_out);

    /* ---- randomness: counter-based, identical on every backend ----
     * keep(i) = hrkd_rng_uniform(seed, offset + i) >= p; out = keep ? x/(1−p) : 0.
     * The mask is recomputed in backward from (seed, offset): nothing is stored. */
    void (*dropout_fwd)(float *out, const float *x, int64_t n, float p, uint64_t seed,
                        uint64_t offset);
    void (*dropout_bwd)(float *dx, const float *dout, int64_t n, float p, uint64_t seed,
                        uint64_t offset);

    /* ---- embeddings: out[i,:] = table[ids[i],:], ids in [0, V) (checked by the host) ---- */
    void (*embedding_fwd)(float *out, const float *table, const int32_t *ids, int64_t n,
                          int64_t C);
    /* dtable[ids[i],:] += dout[i,:]  (scatter-add; repeated ids must not race) */
    void (*embedding_bwd)(float *dtable, const float *dout, const int32_t *ids, int64_t n,
                          int64_t C);

    /* ---- losses ---- */
    /* *out = mean((a − b)²) over n (out is one float in backend memory) */
    void (*mse_fwd)(float *out, const float *a, const float *b, int64_t n);
    /* da += 2(a − b)/n · *dout; db −= the same (either may be NULL) */
    void (*mse_bwd)(float *da, float *db, const float *dout, const float *a, const float *b,
                    int64_t n);
    /* *out = −mean_r logp[r, labels[r]] over rows with labels[r] >= 0 (−1 = ignore) */
    void (*nll_fwd)(float *out, const float *logp, const int32_t *labels, int64_t rows,
                    int64_t C);
    void (*nll_bwd)(float *dlogp, const float *dout, const int32_t *labels, int64_t rows,
                    int64_t C);

    /* ---- optimizer ----
     * AdamW on n contiguous elements (decoupled weight decay, PyTorch semantics):
     *   g = grad·grad_scale; m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²
     *   p −= lr·wd·p;  p −= lr · (m/bc1) / (sqrt(v/bc2) + eps)
     * bc1 = 1 − β1^t, bc2 = 1 − β2^t computed by the host. */
    void (*adamw)(float *p, const float *grad, float *m, float *v, int64_t n, float lr,
                  float beta1, float beta2, float eps, float weight_decay, float bc1, float bc2,
                  float grad_scale);

    /* ---- options ----
     * Backend-specific switches from the INI's [backend] section, e.g. ("tf32", "true"),
     * ("bf16", "true") on cuda. Returns 0 when applied; non-zero with err filled for an
     * unknown name or a value the backend cannot honour (cpu: tf32/bf16 "true" refused). */
    int (*set_option)(const char *name, const char *value, hrkd_error *err);
} hrkd_kernels;

typedef const hrkd_kernels *(*hrkd_backend_entry_fn)(void);

#ifdef __CUDACC__
#define HRKD_HOST_DEVICE __host__ __device__
#else
#define HRKD_HOST_DEVICE
#endif

/* The counter-based RNG every backend must reproduce bit for bit (splitmix64 of
 * seed ^ golden·counter, top 24 bits → [0,1)). Header-inline so kernels can use it. */
HRKD_HOST_DEVICE static inline uint64_t hrkd_rng_u64(uint64_t seed, uint64_t counter)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (counter + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
HRKD_HOST_DEVICE static inline float hrkd_rng_uniform(uint64_t seed, uint64_t counter)
{
    return (float)(hrkd_rng_u64(seed, counter) >> 40) * (1.0f / 16777216.0f);
}

#ifdef __cplusplus
}
#endif
#endif /* HRKD_BACKEND_H */
