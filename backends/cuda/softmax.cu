/* backends/cuda/softmax.cu — row-wise (log-)softmax with an optional additive mask, and its
 * backward.
 *
 * Shape letters: rows × n (rows = B·NH·T for attention scores, n = T keys), mask
 * [rows / rows_per_mask, n] (one row of a padding mask serves all NH·T query rows of its
 * sequence). One warp per row, reduced with shuffles; the same steps as backends/cpu/nn.c:
 * max of the masked logits, Σ exp(v − max), then v − logΣ or exp(v − max)·(1/Σ).
 * out may be x: the masked logits are re-read rather than stored, and each lane writes
 * only the elements it reads in the last pass.
 */
#include "common.cuh"

#define SM_WARPS 8 /* rows per block */

/* ---- kernels ---- */

__global__ void softmax_fwd_kernel(float *out, const float *x, const float *mask, int64_t rows,
                                   int64_t n, int64_t rows_per_mask, int log_out)
{
    int lane = threadIdx.x & 31;
    int64_t warp = (int64_t)blockIdx.x * SM_WARPS + (threadIdx.x >> 5);
    int64_t stride = (int64_t)gridDim.x * SM_WARPS;
    for (int64_t r = warp; r < rows; r += stride) {
        const float *xr = x + r * n;
        const float *mr = mask ? mask + (r / rows_per_mask) * n : NULL;
        float *yr       = out + r * n;
        float mx = -INFINITY;
        for (int64_t j = lane; j < n; j += 32) mx = fmaxf(mx, mr ? xr[j] + mr[j] : xr[j]);
        mx = warp_max(mx);
        if (mx == -INFINITY) mx = 0.0f; /* a fully −∞ row: avoid −∞ − −∞ */
        float s = 0.0f;
        for (int64_t j = lane; j < n; j += 32) s += expf((mr ? xr[j] + mr[j] : xr[j]) - mx);
        s = warp_sum(s);
        if (log_out) {
            float lse = mx + logf(s);
            for (int64_t j = lane; j < n; j += 32) yr[j] = (mr ? xr[j] + mr[j] : xr[j]) - lse;
        } else {
            float inv = s > 0.0f ? 1.0f / s : 0.0f;
            for (int64_t j = lane; j < n; j += 32)
                yr[j] = expf((mr ? xr[j] + mr[j] : xr[j]) - mx) * inv;
        }
    }
}

__global__ void softmax_bwd_kernel(float *dx, const float *dout, const float *y, int64_t rows,
                                   int64_t n, int log_out)
{
    int lane = threadIdx.x & 31;
    int64_t warp = (int64_t)blockIdx.x * SM_WARPS + (threadIdx.x >> 5);
    int64_t stride = (int64_t)gridDim.x * SM_WARPS;
    for (int64_t r = warp; r < rows; r += stride) {
        const float *dr = dout + r * n;
        const float *yr = y + r * n;
        float *gr       = dx + r * n;
        float s = 0.0f;
        if (log_out) {
            /* forward: y = x − logΣeˣ  →  dx += dout − eʸ · Σ dout */
            for (int64_t j = lane; j < n; j += 32) s += dr[j];
            s = warp_sum(s);
            for (int64_t j = lane; j < n; j += 32) gr[j] += dr[j] - expf(yr[j]) * s;
        } else {
            /* forward: y = eˣ / Σeˣ  →  dx += y · (dout − Σ dout·y) */
            for (int64_t j = lane; j < n; j += 32) s += dr[j] * yr[j];
            s = warp_sum(s);
            for (int64_t j = lane; j < n; j += 32) gr[j] += yr[j] * (dr[j] - s);
        }
    }
}

/* ---- launchers ---- */

static unsigned row_blocks(int64_t rows)
{
    int64_t want = (rows + SM_WARPS - 1) / SM_WARPS;
    int64_t cap  = (int64_t)(g_cuda.sms > 0 ? g_cuda.sms : 1) * 64;
    return (unsigned)(want < cap ? want : cap);
}

void cuda_softmax_fwd(float *out, const float *x, const float *mask, int64_t rows, int64_t n,
                      int64_t rows_per_mask, int log_out)
{
    if (rows <= 0 || n <= 0) return;
    if (rows_per_mask <= 0) rows_per_mask = 1;
    softmax_fwd_kernel<<<row_blocks(rows), 32 * SM_WARPS, 0, g_cuda.stream>>>(
        out, x, mask, rows, n, rows_per_mask, log_out);
    CUDA_CHECK_LAUNCH();
}

void cuda_softmax_bwd(float *dx, const float *dout, const float *y, int64_t rows, int64_t n,
                      int log_out)
{
    if (rows <= 0 || n <= 0) return;
    softmax_bwd_kernel<<<row_blocks(rows), 32 * SM_WARPS, 0, g_cuda.stream>>>(dx, dout, y, rows,
                                                                              n, log_out);
    CUDA_CHECK_LAUNCH();
}
