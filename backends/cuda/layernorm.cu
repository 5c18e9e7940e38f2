/* backends/cuda/layernorm.cu — layer norm forward and backward.
 *
 * Shape letters: rows × C (C innermost); w, b, dw, db [C]; mean, rstd [rows].
 * One warp per row (C is a few hundred to a few thousand: 312 … 1024 for BERTs), reduced
 * with shuffles, two passes like the CPU (mean, then Σ (x − mean)²: no E[x²] − mean²
 * cancellation). dw and db are sums over rows: a block owns 32 columns and its RED_ROWS rows
 * of threads split the rows, then the partials are added in a fixed order (no atomics:
 * reproducible).
 */
#include "common.cuh"

#define LN_WARPS 8 /* rows per block of the row kernels */

/* ---- kernels ---- */

/* out = (x − mean)·rstd·w + b per row; out may be x (all reads of a row precede its
 * writes, and a lane writes only elements it has just read) */
__global__ void layernorm_fwd_kernel(float *out, float *mean, float *rstd, const float *x,
                                     const float *w, const float *b, int64_t rows, int64_t C,
                                     float eps)
{
    int lane = threadIdx.x & 31;
    int64_t warp = (int64_t)blockIdx.x * LN_WARPS + (threadIdx.x >> 5);
    int64_t stride = (int64_t)gridDim.x * LN_WARPS;
    for (int64_t r = warp; r < rows; r += stride) {
        const float *xr = x + r * C;
        float *yr       = out + r * C;
        float s = 0.0f;
        for (int64_t c = lane; c < C; c += 32) s += xr[c];
        float m = warp_sum(s) / (float)C;
        float v = 0.0f;
        for (int64_t c = lane; c < C; c += 32) {
            float d = xr[c] - m;
            v += d * d;
        }
        float rs = 1.0f / sqrtf(warp_sum(v) / (float)C + eps);
        for (int64_t c = lane; c < C; c += 32)
            yr[c] = (xr[c] - m) * rs * (w ? w[c] : 1.0f) + (b ? b[c] : 0.0f);
        if (lane == 0) {
            if (mean) mean[r] = m;
            if (rstd) rstd[r] = rs;
        }
    }
}

/* forward: out = xhat·w + b, xhat = (x − mean)·rstd  →  with g = dout·w,
 *   dx += rstd · (g − mean(g) − xhat · mean(g·xhat)) */
__global__ void layernorm_bwd_dx_kernel(float *dx, const float *dout, const float *x,
                                        const float *w, const float *mean, const float *rstd,
                                        int64_t rows, int64_t C)
{
    int lane = threadIdx.x & 31;
    int64_t warp = (int64_t)blockIdx.x * LN_WARPS + (threadIdx.x >> 5);
    int64_t stride = (int64_t)gridDim.x * LN_WARPS;
    for (int64_t r = warp; r < rows; r += stride) {
        const float *dr = dout + r * C;
        const float *xr = x + r * C;
        float *gr       = dx + r * C;
        float m = mean[r], rs = rstd[r];
        float sg = 0.0f, sgx = 0.0f;
        for (int64_t c = lane; c < C; c += 32) {
            float g = dr[c] * (w ? w[c] : 1.0f);
            sg += g;
            sgx += g * ((xr[c] - m) * rs);
        }
        float mg = warp_sum(sg) / (float)C, mgx = warp_sum(sgx) / (float)C;
        for (int64_t c = lane; c < C; c += 32)
            gr[c] += rs * (dr[c] * (w ? w[c] : 1.0f) - mg - ((xr[c] - m) * rs) * mgx);
    }
}

/* forward: out = xhat·w + b  →  dw[c] += Σ_r dout·xhat,  db[c] += Σ_r dout
 * block (32, RED_ROWS): thread (tx, ty) sums rows r ≡ ty (mod RED_ROWS) of column
 * blockIdx.x·32 + tx; row ty = 0 then adds the RED_ROWS partials in order. */
#define RED_ROWS 16
__global__ void layernorm_bwd_params_kernel(float *dw, float *db, const float *dout,
                                            const float *x, const float *mean,
                                            const float *rstd, int64_t rows, int64_t C)
{
    __shared__ float pw[RED_ROWS][33], pb[RED_ROWS][33];
    int64_t c = (int64_t)blockIdx.x * 32 + threadIdx.x;
    float sw = 0.0f, sb = 0.0f;
    if (c < C)
        for (int64_t r = threadIdx.y; r < rows; r += RED_ROWS) {
            float d = dout[r * C + c];
            sw += d * ((x[r * C + c] - mean[r]) * rstd[r]);
            sb += d;
        }
    pw[threadIdx.y][threadIdx.x] = sw;
    pb[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        float tw = 0.0f, tb = 0.0f;
        for (int k = 0; k < RED_ROWS; k++) {
            tw += pw[k][threadIdx.x];
            tb += pb[k][threadIdx.x];
        }
        if (dw) dw[c] += tw;
        if (db) db[c] += tb;
    }
}

/* ---- launchers ---- */

static unsigned row_blocks(int64_t rows)
{
    int64_t want = (rows + LN_WARPS - 1) / LN_WARPS;
    int64_t cap  = (int64_t)(g_cuda.sms > 0 ? g_cuda.sms : 1) * 64;
    return (unsigned)(want < cap ? want : cap);
}

void cuda_layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                        const float *b, int64_t rows, int64_t C, float eps)
{
    if (rows <= 0 || C <= 0) return;
    layernorm_fwd_kernel<<<row_blocks(rows), 32 * LN_WARPS, 0, g_cuda.stream>>>(
        out, mean, rstd, x, w, b, rows, C, eps);
    CUDA_CHECK_LAUNCH();
}

void cuda_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                        const float *w, const float *mean, const float *rstd, int64_t rows,
                        int64_t C)
{
    if (rows <= 0 || C <= 0) return;
    if (dx) {
        layernorm_bwd_dx_kernel<<<row_blocks(rows), 32 * LN_WARPS, 0, g_cuda.stream>>>(
            dx, dout, x, w, mean, rstd, rows, C);
        CUDA_CHECK_LAUNCH();
    }
    if (dw || db) {
        dim3 block(32, RED_ROWS);
        layernorm_bwd_params_kernel<<<(unsigned)((C + 31) / 32), block, 0, g_cuda.stream>>>(
            dw, db, dout, x, mean, rstd, rows, C);
        CUDA_CHECK_LAUNCH();
    }
}
