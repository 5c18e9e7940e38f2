/* backends/cuda/loss.cu — mean squared error and negative log-likelihood, forward and
 * backward.
 *
 * Shape letters: a, b [N]; logp [rows, C]; labels [rows] int32, −1 = ignored (and, like the
 * CPU backend, defensively any label >= C). The forward results are one float in device
 * memory: no host round trip. The MSE sum is the two-pass double tree of reduce.cu; the
 * NLL runs in one block (rows is a batch of sequences or tokens), summing in double in a
 * fixed order. Nothing here uses atomics.
 */
#include "common.cuh"

/* ---- kernels ---- */

/* forward: out = (1/n) Σ (a − b)²  →  da += 2(a − b)/n · dout, db −= the same */
__global__ void mse_bwd_kernel(float *da, float *db, const float *dout, const float *a,
                               const float *b, int64_t n)
{
    float k = 2.0f * dout[0] / (float)n;
    CUDA_FOR(i, n) {
        float g = k * (a[i] - b[i]);
        if (da) da[i] += g;
        if (db) db[i] -= g;
    }
}

__device__ static inline bool label_ok(int32_t l, int64_t C) { return l >= 0 && (int64_t)l < C; }

/* one block: *out = −(1/cnt) Σ_r logp[r, labels[r]] over labelled rows (0 when none) */
__global__ void nll_fwd_kernel(float *out, const float *logp, const int32_t *labels,
                               int64_t rows, int64_t C)
{
    __shared__ double shared[32];
    double s = 0.0, cnt = 0.0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
        int32_t l = labels[r];
        if (!label_ok(l, C)) continue;
        s -= (double)logp[r * C + l];
        cnt += 1.0;
    }
    s   = block_sum_d(s, shared);
    cnt = block_sum_d(cnt, shared);
    if (threadIdx.x == 0) *out = cnt > 0.0 ? (float)(s / cnt) : 0.0f;
}

/* forward: out = −(1/cnt) Σ_r logp[r, labels[r]]  →  dlogp[r, labels[r]] −= dout/cnt
 * One block: it counts the labelled rows first, then each row touches its own element. */
__global__ void nll_bwd_kernel(float *dlogp, const float *dout, const int32_t *labels,
                               int64_t rows, int64_t C)
{
    __shared__ double shared[32];
    double cnt = 0.0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) cnt += label_ok(labels[r], C) ? 1.0 : 0.0;
    cnt = block_sum_d(cnt, shared);
    if (cnt == 0.0) return;
    float g = dout[0] / (float)(int64_t)cnt;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
        int32_t l = labels[r];
        if (label_ok(l, C)) dlogp[r * C + l] -= g;
    }
}

/* ---- launchers ---- */

void cuda_mse_fwd(float *out, const float *a, const float *b, int64_t n)
{
    if (n <= 0) {
        cuda_fill(out, 0.0f, 1);
        return;
    }
    cuda_sumsq_launch(a, b, n, out, (double)n);
}

void cuda_mse_bwd(float *da, float *db, const float *dout, const float *a, const float *b,
                  int64_t n)
{
    if (n <= 0 || (!da && !db)) return;
    mse_bwd_kernel<<<cuda_blocks(n), CUDA_THREADS, 0, g_cuda.stream>>>(da, db, dout, a, b, n);
    CUDA_CHECK_LAUNCH();
}

void cuda_nll_fwd(float *out, const float *logp, const int32_t *labels, int64_t rows,
                  int64_t C)
{
    if (rows <= 0) {
        cuda_fill(out, 0.0f, 1);
        return;
    }
    nll_fwd_kernel<<<1, 1024, 0, g_cuda.stream>>>(out, logp, labels, rows, C);
    CUDA_CHECK_LAUNCH();
}

void cuda_nll_bwd(float *dlogp, const float *dout, const int32_t *labels, int64_t rows,
                  int64_t C)
{
    if (rows <= 0) return;
    nll_bwd_kernel<<<1, 1024, 0, g_cuda.stream>>>(dlogp, dout, labels, rows, C);
    CUDA_CHECK_LAUNCH();
}
