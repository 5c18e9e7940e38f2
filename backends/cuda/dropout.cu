/* backends/cuda/dropout.cu — dropout with the counter-based RNG every backend shares.
 *
 * Shape letters: N elements.
 * keep(i) = hrkd_rng_uniform(seed, offset + i) >= p (hrkd/backend.h, compiled here for the
 * device), out = keep ? x·scale : 0 with scale = 1/(1 − p) computed on the host exactly as
 * the CPU backend computes it. The products use __fmul_rn so nvcc cannot fuse them into an
 * add: forward outputs, and backward sums, are bitwise those of the CPU backend. Nothing is
 * stored between forward and backward: the mask is recomputed from (seed, offset).
 */
#include "common.cuh"

/* ---- kernels ---- */

__global__ void dropout_fwd_kernel(float *out, const float *x, int64_t n, float p, float scale,
                                   uint64_t seed, uint64_t offset)
{
    CUDA_FOR(i, n)
        out[i] = hrkd_rng_uniform(seed, offset + (uint64_t)i) >= p ? __fmul_rn(x[i], scale) : 0.0f;
}

/* forward: out = keep ? x·scale : 0  →  dx += keep ? dout·scale : 0 (same mask, recomputed) */
__global__ void dropout_bwd_kernel(float *dx, const float *dout, int64_t n, float p,
                                   float scale, uint64_t seed, uint64_t offset)
{
    CUDA_FOR(i, n)
        if (hrkd_rng_uniform(seed, offset + (uint64_t)i) >= p) dx[i] += __fmul_rn(dout[i], scale);
}

/* ---- launchers ---- */

static float dropout_scale(float p) { return p < 1.0f ? 1.0f / (1.0f - p) : 0.0f; }

void cuda_dropout_fwd(float *out, const float *x, int64_t n, float p, uint64_t seed,
                      uint64_t offset)
{
    if (n <= 0) return;
    dropout_fwd_kernel<<<cuda_blocks(n), CUDA_THREADS, 0, g_cuda.stream>>>(
        out, x, n, p, dropout_scale(p), seed, offset);
    CUDA_CHECK_LAUNCH();
}

void cuda_dropout_bwd(float *dx, const float *dout, int64_t n, float p, uint64_t seed,
                      uint64_t offset)
{
    if (n <= 0) return;
    dropout_bwd_kernel<<<cuda_blocks(n), CUDA_THREADS, 0, g_cuda.stream>>>(
        dx, dout, n, p, dropout_scale(p), seed, offset);
    CUDA_CHECK_LAUNCH();
}
