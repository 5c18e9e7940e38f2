/* backends/cpu/reduce.c — sums: reduce_sum over the middle axis of [outer, n, inner], its
 * backward broadcast_acc, sum_squares (double), and the MSE and NLL losses.
 *
 * Shape letters: x viewed as [outer, n, inner]; rows × C for NLL.
 * Work is cut into pieces whose number and bounds depend on the shapes only, each piece is
 * summed in a fixed order and the partial sums are combined in piece order, so every result
 * is bitwise the same whatever the thread count. Partials live on the stack: a kernel never
 * allocates.
 */
#include <math.h>
#include <string.h>

#include "cpu.h"

static inline void store(float *out, float s, float alpha, int accumulate)
{
    if (accumulate) *out += alpha * s;
    else *out = alpha * s;
}

static float sum_run(const float *restrict x, int64_t n)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += x[i];
    return s;
}

/* inner == 1: out[o] = alpha · Σ_j x[o, j] (row sums). */
#define ROW_PIECES_MAX 64
#define ROW_PIECE_MIN  4096
static void reduce_rows(float *out, const float *x, int64_t outer, int64_t n, float alpha,
                        int accumulate)
{
    if (outer >= ROW_PIECES_MAX || n < 2 * ROW_PIECE_MIN) {
        /* many rows (or short ones): one row per work item */
#pragma omp parallel for schedule(static) if (outer * n >= CPU_PAR_MIN && outer > 1)
        for (int64_t o = 0; o < outer; o++) store(out + o, sum_run(x + o * n, n), alpha, accumulate);
        return;
    }
    /* few long rows (a total sum): cut each row into P pieces */
    int64_t P = cpu_min64(ROW_PIECES_MAX, n / ROW_PIECE_MIN);
    int64_t L = cpu_ceil_div(n, P);
    float part[ROW_PIECES_MAX * ROW_PIECES_MAX]; /* [outer][P], outer < ROW_PIECES_MAX */
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t p = 0; p < P; p++) {
            int64_t lo = p * L, hi = cpu_min64(n, lo + L);
            part[o * P + p] = lo < hi ? sum_run(x + o * n + lo, hi - lo) : 0.0f;
        }
    for (int64_t o = 0; o < outer; o++) {
        float s = 0.0f;
        for (int64_t p = 0; p < P; p++) s += part[o * P + p];
        store(out + o, s, alpha, accumulate);
    }
}

/* inner > 1: out[o, i] = alpha · Σ_j x[o, j, i] (column sums, e.g. bias gradients over
 * B·T rows). Columns are cut into blocks of COL_W; when that gives too few work items
 * (C = 312 → 5 blocks), rows are cut too and the partial blocks summed afterwards. */
#define COL_W          64
#define COL_ITEMS_MIN  16
#define COL_PIECES_MAX 16
#define COL_PIECE_MIN  128

/* acc[0..w) = Σ_{j<rows} x[j·ld + 0..w) */
static void sum_block(float *restrict acc, const float *restrict x, int64_t rows, int64_t ld,
                      int64_t w)
{
    for (int64_t c = 0; c < w; c++) acc[c] = 0.0f;
    for (int64_t j = 0; j < rows; j++) {
        const float *restrict r = x + j * ld;
#pragma omp simd
        for (int64_t c = 0; c < w; c++) acc[c] += r[c];
    }
}

static void reduce_cols(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                        float alpha, int accumulate)
{
    int64_t nblk  = cpu_ceil_div(inner, COL_W);
    int64_t items = outer * nblk;
    if (items >= COL_ITEMS_MIN || n < 2 * COL_PIECE_MIN) {
#pragma omp parallel for schedule(static) if (outer * n * inner >= CPU_PAR_MIN && items > 1)
        for (int64_t it = 0; it < items; it++) {
            int64_t o = it / nblk, c0 = (it % nblk) * COL_W, w = cpu_min64(COL_W, inner - c0);
            float acc[COL_W];
            sum_block(acc, x + o * n * inner + c0, n, inner, w);
            for (int64_t c = 0; c < w; c++) store(out + o * inner + c0 + c, acc[c], alpha, accumulate);
        }
        return;
    }
    /* items < COL_ITEMS_MIN, so outer · inner <= COL_ITEMS_MIN · COL_W */
    int64_t P = cpu_min64(COL_PIECES_MAX, n / COL_PIECE_MIN);
    int64_t L = cpu_ceil_div(n, P);
    float part[COL_PIECES_MAX][COL_ITEMS_MIN * COL_W]; /* [piece][o · inner + i] */
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t p = 0; p < P; p++)
        for (int64_t it = 0; it < items; it++) {
            int64_t o = it / nblk, c0 = (it % nblk) * COL_W, w = cpu_min64(COL_W, inner - c0);
            int64_t lo = p * L, hi = cpu_min64(n, lo + L);
            float *acc = &part[p][o * inner + c0];
            if (lo < hi) sum_block(acc, x + (o * n + lo) * inner + c0, hi - lo, inner, w);
            else memset(acc, 0, (size_t)w * sizeof(float));
        }
    for (int64_t k = 0; k < outer * inner; k++) {
        float s = 0.0f;
        for (int64_t p = 0; p < P; p++) s += part[p][k];
        store(out + k, s, alpha, accumulate);
    }
}

void cpu_reduce_sum(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                    float alpha, int accumulate)
{
    if (outer <= 0 || inner <= 0) return;
    if (n <= 0) { /* an empty sum is 0 */
        if (!accumulate) memset(out, 0, (size_t)(outer * inner) * sizeof(float));
        return;
    }
    if (inner == 1) reduce_rows(out, x, outer, n, alpha, accumulate);
    else reduce_cols(out, x, outer, n, inner, alpha, accumulate);
}

/* forward: out[o,i] = alpha Σ_j x[o,j,i]  →  dx[o,j,i] += alpha · dout[o,i] */
void cpu_broadcast_acc(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                       float alpha)
{
    if (outer <= 0 || n <= 0 || inner <= 0) return;
    int par = outer * n * inner >= CPU_PAR_MIN;
    if (inner == 1) {
        /* each row of n gets one value: parallel over rows, or over n when there are few */
        if (outer >= 64) {
#pragma omp parallel for schedule(static) if (par)
            for (int64_t o = 0; o < outer; o++) {
                float v = alpha * x[o];
                float *restrict r = out + o * n;
#pragma omp simd
                for (int64_t j = 0; j < n; j++) r[j] += v;
            }
        } else {
            for (int64_t o = 0; o < outer; o++) {
                float v = alpha * x[o];
                float *restrict r = out + o * n;
#pragma omp parallel for simd schedule(static) if (par)
                for (int64_t j = 0; j < n; j++) r[j] += v;
            }
        }
        return;
    }
#pragma omp parallel for collapse(2) schedule(static) if (par)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < n; j++) {
            float *restrict r       = out + (o * n + j) * inner;
            const float *restrict s = x + o * inner;
#pragma omp simd
            for (int64_t i = 0; i < inner; i++) r[i] += alpha * s[i];
        }
}

/* ---- Σ in double over fixed pieces ---- */

#define SQ_PIECES_MAX 64
#define SQ_PIECE_MIN  8192

static double sq_run(const float *restrict x, int64_t n)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * (double)x[i];
    return s;
}

static double sqdiff_run(const float *restrict a, const float *restrict b, int64_t n)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        s += d * d;
    }
    return s;
}

/* Σ x² (b == NULL) or Σ (a − b)² over n, in double. */
static double sum_sq(const float *a, const float *b, int64_t n)
{
    if (n <= 0) return 0.0;
    int64_t P = cpu_max64(1, cpu_min64(SQ_PIECES_MAX, n / SQ_PIECE_MIN));
    int64_t L = cpu_ceil_div(n, P);
    double part[SQ_PIECES_MAX];
#pragma omp parallel for schedule(static) if (P > 1)
    for (int64_t p = 0; p < P; p++) {
        int64_t lo = p * L, hi = cpu_min64(n, lo + L);
        part[p] = lo >= hi ? 0.0 : b ? sqdiff_run(a + lo, b + lo, hi - lo) : sq_run(a + lo, hi - lo);
    }
    double s = 0.0;
    for (int64_t p = 0; p < P; p++) s += part[p];
    return s;
}

double cpu_sum_squares(const float *x, int64_t n) { return sum_sq(x, NULL, n); }

void cpu_mse_fwd(float *out, const float *a, const float *b, int64_t n)
{
    *out = n > 0 ? (float)(sum_sq(a, b, n) / (double)n) : 0.0f;
}

/* forward: out = (1/n) Σ (a − b)²  →  da += 2(a − b)/n · dout, db −= the same */
void cpu_mse_bwd(float *restrict da, float *restrict db, const float *dout,
                 const float *restrict a, const float *restrict b, int64_t n)
{
    if (n <= 0) return;
    float k = 2.0f * dout[0] / (float)n;
    if (da && db) {
#pragma omp parallel for simd schedule(static) if (n >= CPU_PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            float g = k * (a[i] - b[i]);
            da[i] += g;
            db[i] -= g;
        }
    } else if (da) {
#pragma omp parallel for simd schedule(static) if (n >= CPU_PAR_MIN)
        for (int64_t i = 0; i < n; i++) da[i] += k * (a[i] - b[i]);
    } else if (db) {
#pragma omp parallel for simd schedule(static) if (n >= CPU_PAR_MIN)
        for (int64_t i = 0; i < n; i++) db[i] -= k * (a[i] - b[i]);
    }
}

/* ---- NLL over rows × C log-probabilities; labels < 0 are ignored (and, defensively, so
 * are labels >= C, which the host rejects before they get here) ---- */

static int label_ok(int32_t l, int64_t C) { return l >= 0 && (int64_t)l < C; }

void cpu_nll_fwd(float *out, const float *logp, const int32_t *labels, int64_t rows, int64_t C)
{
    double s   = 0.0;
    int64_t cnt = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (!label_ok(labels[r], C)) continue;
        s -= logp[r * C + labels[r]];
        cnt++;
    }
    /* no labelled row: the loss is 0 (not 0/0), and so is its gradient */
    *out = cnt ? (float)(s / (double)cnt) : 0.0f;
}

/* forward: out = −(1/cnt) Σ_r logp[r, labels[r]]  →  dlogp[r, labels[r]] −= dout/cnt */
void cpu_nll_bwd(float *dlogp, const float *dout, const int32_t *labels, int64_t rows, int64_t C)
{
    int64_t cnt = 0;
    for (int64_t r = 0; r < rows; r++) cnt += label_ok(labels[r], C);
    if (!cnt) return;
    float g = dout[0] / (float)cnt;
    for (int64_t r = 0; r < rows; r++)
        if (label_ok(labels[r], C)) dlogp[r * C + labels[r]] -= g;
}
