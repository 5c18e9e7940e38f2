/* backends/cpu/gemm.c — strided batched matrix product on OpenBLAS cblas_sgemm.
 *
 * Shape letters: op(A) m×k, op(B) k×n, C m×n, batch[0]×batch[1] of them (attention: B×NH).
 * One product: a single sgemm, which OpenBLAS threads itself. A batch at least as large as
 * the thread count: an OpenMP loop over the batch with one sgemm per entry (the OpenMP build
 * of OpenBLAS runs single-threaded inside a parallel region, so nothing oversubscribes).
 * OpenBLAS never splits k across threads, so results do not depend on the partition.
 */
#include <cblas.h>
#include <omp.h>

#include "cpu.h"

/* C = beta·C for a k = 0 product (beta = 0 writes zeros without reading C). */
static void scale_c(float *c, int64_t m, int64_t n, int64_t ldc, float beta)
{
    for (int64_t i = 0; i < m; i++) {
        float *restrict r = c + i * ldc;
        if (beta == 0.0f) {
#pragma omp simd
            for (int64_t j = 0; j < n; j++) r[j] = 0.0f;
        } else {
#pragma omp simd
            for (int64_t j = 0; j < n; j++) r[j] *= beta;
        }
    }
}

/* cblas rejects ld < columns even when a matrix has one row (where ld is never used);
 * callers building a 1-row view need not care. */
static int64_t fix_ld(int64_t ld, int64_t rows, int64_t cols)
{
    return rows <= 1 && ld < cols ? cols : ld;
}

static void gemm_one(const hrkd_gemm *g, int64_t i0, int64_t i1, int64_t lda, int64_t ldb,
                     int64_t ldc)
{
    const float *a = g->a + i0 * g->a_stride[0] + i1 * g->a_stride[1];
    const float *b = g->b + i0 * g->b_stride[0] + i1 * g->b_stride[1];
    float *c       = g->c + i0 * g->c_stride[0] + i1 * g->c_stride[1];
    if (g->k <= 0) {
        scale_c(c, g->m, g->n, ldc, g->beta);
        return;
    }
    /* OpenBLAS honours beta = 0 by zeroing C first, never reading it (NaN-safe). */
    cblas_sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans,
                g->trans_b ? CblasTrans : CblasNoTrans, (blasint)g->m, (blasint)g->n,
                (blasint)g->k, g->alpha, a, (blasint)lda, b, (blasint)ldb, g->beta, c,
                (blasint)ldc);
}

void cpu_gemm(const hrkd_gemm *g)
{
    if (g->m <= 0 || g->n <= 0) return;
    /* batch[j] <= 0 is read as 1: a zero-initialised descriptor means "not batched" */
    int64_t nb0 = g->batch[0] > 0 ? g->batch[0] : 1;
    int64_t nb1 = g->batch[1] > 0 ? g->batch[1] : 1;
    int64_t lda = fix_ld(g->lda, g->trans_a ? g->k : g->m, g->trans_a ? g->m : g->k);
    int64_t ldb = fix_ld(g->ldb, g->trans_b ? g->n : g->k, g->trans_b ? g->k : g->n);
    int64_t ldc = fix_ld(g->ldc, g->m, g->n);
    int64_t nbatch = nb0 * nb1;
    if (nbatch == 1) {
        gemm_one(g, 0, 0, lda, ldb, ldc);
        return;
    }
    if (nbatch < omp_get_max_threads()) {
        /* few large products: let OpenBLAS thread each one */
        for (int64_t i0 = 0; i0 < nb0; i0++)
            for (int64_t i1 = 0; i1 < nb1; i1++) gemm_one(g, i0, i1, lda, ldb, ldc);
        return;
    }
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t i0 = 0; i0 < nb0; i0++)
        for (int64_t i1 = 0; i1 < nb1; i1++) gemm_one(g, i0, i1, lda, ldb, ldc);
}
