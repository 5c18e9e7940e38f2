/* backends/cpu/nn.c — row kernels: layer norm, (log-)softmax with an additive mask, and the
 * embedding gather / scatter-add.
 *
 * Shape letters: rows × C (C innermost) for layer norm and embeddings, rows × n for softmax
 * (rows = B·NH·T for attention, mask [rows / rows_per_mask, n]).
 * Rows are independent and go to threads in static blocks. Sums across rows (dw, db,
 * embedding rows hit by repeated ids) run over column ranges instead, each column summed in
 * row order, so nothing races and the results do not depend on the thread count.
 */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "cpu.h"

/* ---- layer norm ---- */

void cpu_layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                       const float *b, int64_t rows, int64_t C, float eps)
{
    if (rows <= 0 || C <= 0) return;
#pragma omp parallel for schedule(static) if (rows * C >= CPU_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        /* no restrict: out may be x (in place), each element is read before it is written */
        const float *xr = x + r * C;
        float *yr       = out + r * C;
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int64_t c = 0; c < C; c++) s += xr[c];
        float m = s / (float)C;
        float v = 0.0f;
#pragma omp simd reduction(+ : v)
        for (int64_t c = 0; c < C; c++) v += (xr[c] - m) * (xr[c] - m);
        float rs = 1.0f / sqrtf(v / (float)C + eps);
        if (w && b) {
#pragma omp simd
            for (int64_t c = 0; c < C; c++) yr[c] = (xr[c] - m) * rs * w[c] + b[c];
        } else {
            for (int64_t c = 0; c < C; c++)
                yr[c] = (xr[c] - m) * rs * (w ? w[c] : 1.0f) + (b ? b[c] : 0.0f);
        }
        if (mean) mean[r] = m;
        if (rstd) rstd[r] = rs;
    }
}

/* dw, db: columns in blocks of LN_W; with few blocks (C < LN_W·LN_ITEMS_MIN) the rows are
 * cut into up to LN_PIECES pieces too, and the pieces' sums are added in piece order. */
#define LN_W         64
#define LN_ITEMS_MIN 16
#define LN_PIECES    8
#define LN_PIECE_MIN 128

/* forward: out = xhat·w + b, xhat = (x − mean)·rstd
 *   → dw[c] += Σ_r dout·xhat,  db[c] += Σ_r dout  (rows [lo, hi), columns [c0, c0+w)) */
static void ln_param_block(float *restrict aw, float *restrict ab, const float *dout,
                           const float *x, const float *mean, const float *rstd, int64_t lo,
                           int64_t hi, int64_t C, int64_t c0, int64_t w)
{
    for (int64_t c = 0; c < w; c++) aw[c] = ab[c] = 0.0f;
    for (int64_t r = lo; r < hi; r++) {
        const float *restrict dr = dout + r * C + c0;
        const float *restrict xr = x + r * C + c0;
        float m = mean[r], rs = rstd[r];
#pragma omp simd
        for (int64_t c = 0; c < w; c++) {
            aw[c] += dr[c] * ((xr[c] - m) * rs);
            ab[c] += dr[c];
        }
    }
}

static void ln_params_bwd(float *dw, float *db, const float *dout, const float *x,
                          const float *mean, const float *rstd, int64_t rows, int64_t C)
{
    int64_t nblk = cpu_ceil_div(C, LN_W);
    int par      = rows * C >= CPU_PAR_MIN;
    if (nblk >= LN_ITEMS_MIN || rows < 2 * LN_PIECE_MIN) {
#pragma omp parallel for schedule(static) if (par && nblk > 1)
        for (int64_t blk = 0; blk < nblk; blk++) {
            int64_t c0 = blk * LN_W, w = cpu_min64(LN_W, C - c0);
            float aw[LN_W], ab[LN_W];
            ln_param_block(aw, ab, dout, x, mean, rstd, 0, rows, C, c0, w);
            for (int64_t c = 0; c < w; c++) {
                if (dw) dw[c0 + c] += aw[c];
                if (db) db[c0 + c] += ab[c];
            }
        }
        return;
    }
    /* C < LN_W · LN_ITEMS_MIN here */
    int64_t P = cpu_min64(LN_PIECES, rows / LN_PIECE_MIN);
    int64_t L = cpu_ceil_div(rows, P);
    float pw[LN_PIECES][LN_W * LN_ITEMS_MIN], pb[LN_PIECES][LN_W * LN_ITEMS_MIN];
#pragma omp parallel for collapse(2) schedule(static) if (par)
    for (int64_t p = 0; p < P; p++)
        for (int64_t blk = 0; blk < nblk; blk++) {
            int64_t c0 = blk * LN_W, w = cpu_min64(LN_W, C - c0);
            int64_t lo = p * L, hi = cpu_min64(rows, lo + L);
            ln_param_block(&pw[p][c0], &pb[p][c0], dout, x, mean, rstd, lo, hi, C, c0, w);
        }
    for (int64_t c = 0; c < C; c++) {
        float sw = 0.0f, sb = 0.0f;
        for (int64_t p = 0; p < P; p++) {
            sw += pw[p][c];
            sb += pb[p][c];
        }
        if (dw) dw[c] += sw;
        if (db) db[c] += sb;
    }
}

void cpu_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                       const float *w, const float *mean, const float *rstd, int64_t rows,
                       int64_t C)
{
    if (rows <= 0 || C <= 0) return;
    if (dx) {
        /* forward: out = xhat·w + b, xhat = (x − mean)·rstd  →  with g = dout·w,
         *   dx += rstd · (g − mean(g) − xhat · mean(g·xhat)) */
#pragma omp parallel for schedule(static) if (rows * C >= CPU_PAR_MIN)
        for (int64_t r = 0; r < rows; r++) {
            const float *restrict dr = dout + r * C;
            const float *restrict xr = x + r * C;
            float *restrict gr       = dx + r * C;
            float m = mean[r], rs = rstd[r];
            float sg = 0.0f, sgx = 0.0f;
            if (w) {
#pragma omp simd reduction(+ : sg, sgx)
                for (int64_t c = 0; c < C; c++) {
                    float g = dr[c] * w[c];
                    sg += g;
                    sgx += g * ((xr[c] - m) * rs);
                }
            } else {
#pragma omp simd reduction(+ : sg, sgx)
                for (int64_t c = 0; c < C; c++) {
                    sg += dr[c];
                    sgx += dr[c] * ((xr[c] - m) * rs);
                }
            }
            float mg = sg / (float)C, mgx = sgx / (float)C;
            if (w) {
#pragma omp simd
                for (int64_t c = 0; c < C; c++)
                    gr[c] += rs * (dr[c] * w[c] - mg - ((xr[c] - m) * rs) * mgx);
            } else {
#pragma omp simd
                for (int64_t c = 0; c < C; c++)
                    gr[c] += rs * (dr[c] - mg - ((xr[c] - m) * rs) * mgx);
            }
        }
    }
    if (dw || db) ln_params_bwd(dw, db, dout, x, mean, rstd, rows, C);
}

/* ---- softmax ---- */

void cpu_softmax_fwd(float *out, const float *x, const float *mask, int64_t rows, int64_t n,
                     int64_t rows_per_mask, int log_out)
{
    if (rows <= 0 || n <= 0) return;
    if (rows_per_mask <= 0) rows_per_mask = 1;
#pragma omp parallel for schedule(static) if (rows * n >= CPU_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n; /* out may be x (in place) */
        const float *mr = mask ? mask + (r / rows_per_mask) * n : NULL;
        float *yr       = out + r * n;
        /* yr holds the masked logits first */
        if (mr) {
#pragma omp simd
            for (int64_t j = 0; j < n; j++) yr[j] = xr[j] + mr[j];
        } else {
            memmove(yr, xr, (size_t)n * sizeof(float));
        }
        float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
        for (int64_t j = 0; j < n; j++) mx = yr[j] > mx ? yr[j] : mx;
        if (mx == -INFINITY) mx = 0.0f; /* a fully −∞ row: avoid −∞ − −∞ */
        float s = 0.0f;
        if (log_out) {
            for (int64_t j = 0; j < n; j++) s += expf(yr[j] - mx);
            float lse = mx + logf(s);
#pragma omp simd
            for (int64_t j = 0; j < n; j++) yr[j] -= lse;
        } else {
            for (int64_t j = 0; j < n; j++) {
                float e = expf(yr[j] - mx);
                yr[j]   = e;
                s += e;
            }
            float inv = s > 0.0f ? 1.0f / s : 0.0f;
#pragma omp simd
            for (int64_t j = 0; j < n; j++) yr[j] *= inv;
        }
    }
}

void cpu_softmax_bwd(float *dx, const float *dout, const float *y, int64_t rows, int64_t n,
                     int log_out)
{
    if (rows <= 0 || n <= 0) return;
#pragma omp parallel for schedule(static) if (rows * n >= CPU_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict dr = dout + r * n;
        const float *restrict yr = y + r * n;
        float *restrict gr       = dx + r * n;
        float s = 0.0f;
        if (log_out) {
            /* forward: y = x − logΣeˣ  →  dx += dout − eʸ · Σ dout */
#pragma omp simd reduction(+ : s)
            for (int64_t j = 0; j < n; j++) s += dr[j];
            for (int64_t j = 0; j < n; j++) gr[j] += dr[j] - expf(yr[j]) * s;
        } else {
            /* forward: y = eˣ / Σeˣ  →  dx += y · (dout − Σ dout·y) */
#pragma omp simd reduction(+ : s)
            for (int64_t j = 0; j < n; j++) s += dr[j] * yr[j];
#pragma omp simd
            for (int64_t j = 0; j < n; j++) gr[j] += yr[j] * (dr[j] - s);
        }
    }
}

/* ---- embeddings ---- */

void cpu_embedding_fwd(float *out, const float *table, const int32_t *ids, int64_t n, int64_t C)
{
    if (n <= 0 || C <= 0) return;
#pragma omp parallel for schedule(static) if (n * C >= CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        memcpy(out + i * C, table + (int64_t)ids[i] * C, (size_t)C * sizeof(float));
}

/* forward: out[i,:] = table[ids[i],:]  →  dtable[ids[i],:] += dout[i,:]
 * Threads own disjoint column ranges (whole cache lines), so repeated ids never race and
 * each element sums its rows in i order. */
#define EMB_LINE 16
void cpu_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int64_t n,
                       int64_t C)
{
    if (n <= 0 || C <= 0) return;
    int64_t lines = cpu_ceil_div(C, EMB_LINE);
#pragma omp parallel if (n * C >= CPU_PAR_MIN && lines > 1)
    {
        int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
        int64_t c0 = cpu_min64(C, (lines * t / nt) * EMB_LINE);
        int64_t c1 = cpu_min64(C, (lines * (t + 1) / nt) * EMB_LINE);
        for (int64_t i = 0; i < n && c0 < c1; i++) {
            float *restrict d       = dtable + (int64_t)ids[i] * C;
            const float *restrict s = dout + i * C;
#pragma omp simd
            for (int64_t c = c0; c < c1; c++) d[c] += s[c];
        }
    }
}
