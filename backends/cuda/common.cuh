/* backends/cuda/common.cuh — what every file of the CUDA backend shares: the backend state
 * (device, stream, cuBLAS handle, switches, scratch), the check macros that record the first
 * CUDA / cuBLAS failure with its file and line, launch-size helpers, warp and block
 * reductions, and the launchers each op-family file implements.
 *
 * Every launcher implements one entry of hrkd_kernels; hrkd/backend.h states the exact
 * semantics (and backends/cpu is the reference they are tested against). All work is queued
 * on g_cuda.stream; sync() waits for it. The library is built with -fvisibility=hidden, so
 * nothing here leaves hrkd_backend_cuda.so except hrkd_backend_entry().
 *
 * Glossary of shape letters used in the files: N elements; rows × C (C innermost) for layer
 * norm and embeddings; rows × n for softmax; [outer, n, inner] for reductions; m, n, k and
 * batch[0] × batch[1] for matrix products; V vocabulary rows of an embedding table.
 */
#ifndef HRKD_BACKEND_CUDA_COMMON_CUH
#define HRKD_BACKEND_CUDA_COMMON_CUH

#include <cublas_v2.h>
#include <math.h>
#include <stddef.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "hrkd/backend.h"

/* ---- state ---- */

/* Partial sums of the two-pass reductions (sum_squares, mse): the first pass writes one
 * double per block, the second sums them in block order. */
#define CUDA_PARTIALS_MAX 1024

struct cuda_state {
    int            initialised;
    int            device;
    int            sms;          /* multiprocessors, for grid sizes */
    int            cc;           /* compute capability, 10·major + minor */
    cudaStream_t   stream;       /* every kernel, copy and cuBLAS call goes here */
    cublasHandle_t blas;
    int            tf32;         /* set_option("tf32"): TF32 tensor-core Sgemm */
    int            bf16;         /* set_option("bf16"): bf16 operands, fp32 accumulate and C */
    double        *partials;     /* device, CUDA_PARTIALS_MAX doubles */
    double        *dresult;      /* device, one double: the second pass's total */
    double        *host_result;  /* pinned host, one double: sum_squares' answer */
    void          *scratch;      /* device, grow-only: bf16 copies of gemm operands */
    size_t         scratch_bytes;
};
extern cuda_state g_cuda;

/* ---- error checks (every CUDA and cuBLAS call goes through one) ----
 * Kernels return nothing, so the first failure is kept in a backend-global error state
 * (and printed to stderr once, with file and line); hrkd_cuda_last_error() returns it for
 * the host to poll. The check functions return true when the call succeeded. */
bool cuda_check(cudaError_t e, const char *file, int line, const char *what);
bool cublas_check(cublasStatus_t s, const char *file, int line, const char *what);
const char *hrkd_cuda_last_error(void);

#define CUDA_CHECK(call)   cuda_check((call), __FILE__, __LINE__, #call)
#define CUBLAS_CHECK(call) cublas_check((call), __FILE__, __LINE__, #call)
/* after a <<<...>>> launch: a bad configuration or a missing kernel image shows up here */
#define CUDA_CHECK_LAUNCH() cuda_check(cudaGetLastError(), __FILE__, __LINE__, "kernel launch")

/* ---- launch sizes ---- */

#define CUDA_THREADS 256

/* Blocks for a grid-stride loop over n elements: enough to fill the device, never more than
 * there are elements. n > 0. */
static inline unsigned cuda_blocks(int64_t n)
{
    int64_t want = (n + CUDA_THREADS - 1) / CUDA_THREADS;
    int64_t cap  = (int64_t)(g_cuda.sms > 0 ? g_cuda.sms : 1) * 32;
    if (want > cap) want = cap;
    return (unsigned)(want > 0 ? want : 1);
}

/* 64-bit grid-stride loop over [0, n) */
#define CUDA_FOR(i, n)                                                                      \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);               \
         i += (int64_t)gridDim.x * blockDim.x)

/* ---- reductions inside a warp / block (fixed order: results are reproducible) ---- */

__device__ static inline float warp_sum(float v)
{
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

__device__ static inline double warp_sum_d(double v)
{
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

__device__ static inline float warp_max(float v)
{
    for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
    return v;
}

/* Sum over a 1-D block of at most 1024 threads (a multiple of 32); every thread gets the
 * total. shared must hold 32 doubles. Contains __syncthreads: call from all threads. */
__device__ static inline double block_sum_d(double v, double *shared)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = warp_sum_d(v);
    __syncthreads(); /* shared may still be read by a previous call */
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    v = lane < nwarps ? shared[lane] : 0.0;
    return warp_sum_d(v);
}

/* ---- launchers, one file per op family ---- */

/* elementwise.cu */
void cuda_fill(float *x, float value, int64_t n);
void cuda_axpby(float *y, const float *x, float alpha, float beta, int64_t n);
void cuda_binary(hrkd_binary op, float *out, const float *a, const float *b, int64_t n,
                 int64_t nb, int accumulate);
void cuda_unary_fwd(hrkd_unary op, float *out, const float *x, int64_t n, float alpha);
void cuda_unary_bwd(hrkd_unary op, float *dx, const float *dout, const float *x,
                    const float *y, int64_t n, float alpha);
void cuda_copy_strided(float *dst, const int64_t dst_stride[4], const float *src,
                       const int64_t src_stride[4], const int64_t shape[4], float alpha,
                       int accumulate);

/* reduce.cu */
void cuda_reduce_sum(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                     float alpha, int accumulate);
void cuda_broadcast_acc(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                        float alpha);
double cuda_sum_squares(const float *x, int64_t n);
/* Σ (a − b)² (b may be NULL: Σ a²) in double, two passes, no atomics. The total goes to
 * g_cuda.dresult; when fout is not NULL, (float)(total / div) is also stored there. */
void cuda_sumsq_launch(const float *a, const float *b, int64_t n, float *fout, double div);

/* gemm.cu */
void cuda_gemm(const hrkd_gemm *g);

/* layernorm.cu */
void cuda_layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                        const float *b, int64_t rows, int64_t C, float eps);
void cuda_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                        const float *w, const float *mean, const float *rstd, int64_t rows,
                        int64_t C);

/* softmax.cu */
void cuda_softmax_fwd(float *out, const float *x, const float *mask, int64_t rows, int64_t n,
                      int64_t rows_per_mask, int log_out);
void cuda_softmax_bwd(float *dx, const float *dout, const float *y, int64_t rows, int64_t n,
                      int log_out);

/* dropout.cu */
void cuda_dropout_fwd(float *out, const float *x, int64_t n, float p, uint64_t seed,
                      uint64_t offset);
void cuda_dropout_bwd(float *dx, const float *dout, int64_t n, float p, uint64_t seed,
                      uint64_t offset);

/* embedding.cu */
void cuda_embedding_fwd(float *out, const float *table, const int32_t *ids, int64_t n,
                        int64_t C);
void cuda_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int64_t n,
                        int64_t C);

/* loss.cu */
void cuda_mse_fwd(float *out, const float *a, const float *b, int64_t n);
void cuda_mse_bwd(float *da, float *db, const float *dout, const float *a, const float *b,
                  int64_t n);
void cuda_nll_fwd(float *out, const float *logp, const int32_t *labels, int64_t rows,
                  int64_t C);
void cuda_nll_bwd(float *dlogp, const float *dout, const int32_t *labels, int64_t rows,
                  int64_t C);

/* adamw.cu */
void cuda_adamw(float *p, const float *grad, float *m, float *v, int64_t n, float lr,
                float beta1, float beta2, float eps, float weight_decay, float bc1, float bc2,
                float grad_scale);

#endif /* HRKD_BACKEND_CUDA_COMMON_CUH */
