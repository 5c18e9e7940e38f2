/* backends/cuda/reduce.cu — sums: reduce_sum over the middle axis of [outer, n, inner], its
 * backward broadcast_acc, and Σ x² / Σ (a − b)² in double (sum_squares, and the MSE loss in
 * loss.cu).
 *
 * Shape letters: x viewed as [outer, n, inner].
 * No atomics: every sum runs in an order fixed by the shapes (and launch sizes that depend
 * on the shapes only, never on the device), so results are bitwise the same run to run.
 * Σ x² is a two-pass tree: pass 1 writes one double per block into g_cuda.partials, pass 2
 * (one block) adds them in block order.
 */
#include "common.cuh"

/* ---- kernels ---- */

/* inner == 1: one block per row, out[o] (=|+=) alpha · Σ_j x[o, j] */
__global__ void reduce_rows_kernel(float *out, const float *x, int64_t outer, int64_t n,
                                   float alpha, int accumulate)
{
    __shared__ double shared[32];
    for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
        const float *xr = x + o * n;
        float s = 0.0f;
        for (int64_t j = threadIdx.x; j < n; j += blockDim.x) s += xr[j];
        float total = (float)block_sum_d((double)s, shared);
        if (threadIdx.x == 0) {
            if (accumulate) out[o] += alpha * total;
            else out[o] = alpha * total;
        }
    }
}

/* inner > 1: a block of 32 × RED_ROWS threads owns 32 columns of one o; thread (tx, ty)
 * sums rows j ≡ ty (mod RED_ROWS), then row ty = 0 adds the RED_ROWS partials in order. */
#define RED_ROWS 16
__global__ void reduce_cols_kernel(float *out, const float *x, int64_t outer, int64_t n,
                                   int64_t inner, float alpha, int accumulate)
{
    __shared__ float part[RED_ROWS][33];
    int64_t i = (int64_t)blockIdx.x * 32 + threadIdx.x;
    for (int64_t o = blockIdx.y; o < outer; o += gridDim.y) {
        float s = 0.0f;
        if (i < inner)
            for (int64_t j = threadIdx.y; j < n; j += RED_ROWS) s += x[(o * n + j) * inner + i];
        part[threadIdx.y][threadIdx.x] = s;
        __syncthreads();
        if (threadIdx.y == 0 && i < inner) {
            float t = 0.0f;
            for (int r = 0; r < RED_ROWS; r++) t += part[r][threadIdx.x];
            if (accumulate) out[o * inner + i] += alpha * t;
            else out[o * inner + i] = alpha * t;
        }
        __syncthreads(); /* part is reused by the next o */
    }
}

/* forward: out[o,i] = alpha Σ_j x[o,j,i]  →  dx[o,j,i] += alpha · dout[o,i] */
__global__ void broadcast_acc_kernel(float *out, const float *x, int64_t outer, int64_t n,
                                     int64_t inner, float alpha)
{
    int64_t total = outer * n * inner;
    CUDA_FOR(t, total) {
        int64_t i = t % inner, o = t / (n * inner);
        out[t] += alpha * x[o * inner + i];
    }
}

/* pass 1: partials[block] = Σ over the block's grid-stride share of (a − b)² (or a²) */
__global__ void sumsq_partial_kernel(double *partials, const float *a, const float *b,
                                     int64_t n)
{
    __shared__ double shared[32];
    double s = 0.0;
    CUDA_FOR(i, n) {
        double d = b ? (double)a[i] - (double)b[i] : (double)a[i];
        s += d * d;
    }
    s = block_sum_d(s, shared);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

/* pass 2 (one block): total = Σ partials in order of blocks */
__global__ void sumsq_final_kernel(double *dresult, float *fout, const double *partials,
                                   int count, double div)
{
    __shared__ double shared[32];
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
    s = block_sum_d(s, shared);
    if (threadIdx.x == 0) {
        *dresult = s;
        if (fout) *fout = (float)(s / div);
    }
}

/* ---- launchers ---- */

void cuda_reduce_sum(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                     float alpha, int accumulate)
{
    if (outer <= 0 || inner <= 0) return;
    if (n <= 0) { /* an empty sum is 0 */
        if (!accumulate) cuda_fill(out, 0.0f, outer * inner);
        return;
    }
    if (inner == 1) {
        unsigned blocks = (unsigned)(outer < 65535 * 16 ? outer : 65535 * 16);
        reduce_rows_kernel<<<blocks, CUDA_THREADS, 0, g_cuda.stream>>>(out, x, outer, n, alpha,
                                                                       accumulate);
    } else {
        dim3 block(32, RED_ROWS);
        dim3 grid((unsigned)((inner + 31) / 32), (unsigned)(outer < 65535 ? outer : 65535));
        reduce_cols_kernel<<<grid, block, 0, g_cuda.stream>>>(out, x, outer, n, inner, alpha,
                                                              accumulate);
    }
    CUDA_CHECK_LAUNCH();
}

void cuda_broadcast_acc(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                        float alpha)
{
    if (outer <= 0 || n <= 0 || inner <= 0) return;
    broadcast_acc_kernel<<<cuda_blocks(outer * n * inner), CUDA_THREADS, 0, g_cuda.stream>>>(
        out, x, outer, n, inner, alpha);
    CUDA_CHECK_LAUNCH();
}

void cuda_sumsq_launch(const float *a, const float *b, int64_t n, float *fout, double div)
{
    /* the block count depends on n only, so the summation order does too */
    int64_t blocks = n > 0 ? (n + 4 * CUDA_THREADS - 1) / (4 * CUDA_THREADS) : 0;
    if (blocks > CUDA_PARTIALS_MAX) blocks = CUDA_PARTIALS_MAX;
    if (blocks > 0) {
        sumsq_partial_kernel<<<(unsigned)blocks, CUDA_THREADS, 0, g_cuda.stream>>>(
            g_cuda.partials, a, b, n);
        CUDA_CHECK_LAUNCH();
    }
    sumsq_final_kernel<<<1, CUDA_THREADS, 0, g_cuda.stream>>>(g_cuda.dresult, fout,
                                                             g_cuda.partials, (int)blocks, div);
    CUDA_CHECK_LAUNCH();
}

double cuda_sum_squares(const float *x, int64_t n)
{
    if (n <= 0) return 0.0;
    cuda_sumsq_launch(x, NULL, n, NULL, 1.0);
    if (!CUDA_CHECK(cudaMemcpyAsync(g_cuda.host_result, g_cuda.dresult, sizeof(double),
                                    cudaMemcpyDeviceToHost, g_cuda.stream)))
        return NAN;
    if (!CUDA_CHECK(cudaStreamSynchronize(g_cuda.stream))) return NAN;
    return *g_cuda.host_result;
}
