/* backends/cuda/gemm.cu — strided batched matrix product (hrkd_gemm) on cuBLAS.
 *
 * Shape letters: op(A) m×k, op(B) k×n, C m×n, batch[0] × batch[1] of them (attention: B×NH).
 * hrkd_gemm is row-major, cuBLAS column-major. A row-major m×n matrix with leading
 * dimension ld is, read column-major, its n×m transpose with the same ld, so we ask cuBLAS
 * for Cᵀ = op(B)ᵀ · op(A)ᵀ: the operands swap places and keep their own transpose flags.
 *
 * Batches: batch[1] runs as one cublasSgemmStridedBatched per batch[0] entry (one call in
 * all when the two levels collapse into one stride); an unbatched product is a plain Sgemm.
 * Precision: float32 by default (CUBLAS_DEFAULT_MATH; never TF32 unless the "tf32" option
 * set CUBLAS_TF32_TENSOR_OP_MATH on the handle). With "bf16", A and B are packed densely as
 * bf16 into the backend's scratch and multiplied by cublasGemmStridedBatchedEx with fp32
 * accumulation (CUBLAS_COMPUTE_32F) into the fp32 C: autocast over fp32 master weights.
 */
#include <cuda_bf16.h>

#include "common.cuh"

/* ---- kernels ---- */

/* C = beta·C for a k = 0 product over every batch entry (beta = 0 writes zeros, never
 * reading C, which may hold NaN). */
__global__ void gemm_scale_c_kernel(float *c, int64_t nb0, int64_t nb1, int64_t cs0,
                                    int64_t cs1, int64_t m, int64_t n, int64_t ldc, float beta)
{
    int64_t total = nb0 * nb1 * m * n;
    CUDA_FOR(t, total) {
        int64_t j = t % n, r = t / n;
        int64_t i = r % m;
        r /= m;
        int64_t i1 = r % nb1, i0 = r / nb1;
        float *e = c + i0 * cs0 + i1 * cs1 + i * ldc + j;
        *e = beta == 0.0f ? 0.0f : beta * *e;
    }
}

/* Pack a strided batch of rows × cols float matrices (leading dimension ld) into a dense
 * [nb0·nb1, rows, cols] bf16 array. */
__global__ void gemm_pack_bf16_kernel(__nv_bfloat16 *dst, const float *src, int64_t nb0,
                                      int64_t nb1, int64_t s0, int64_t s1, int64_t rows,
                                      int64_t cols, int64_t ld)
{
    int64_t total = nb0 * nb1 * rows * cols;
    CUDA_FOR(t, total) {
        int64_t c = t % cols, r = t / cols;
        int64_t i = r % rows;
        r /= rows;
        int64_t i1 = r % nb1, i0 = r / nb1;
        dst[t] = __float2bfloat16(src[i0 * s0 + i1 * s1 + i * ld + c]);
    }
}

/* ---- launchers ---- */

/* cuBLAS rejects ld < rows of the column-major view even for a matrix with one row-major
 * row (where ld is never used); callers building a 1-row view need not care. */
static int64_t fix_ld(int64_t ld, int64_t rows, int64_t cols)
{
    return rows <= 1 && ld < cols ? cols : ld;
}

/* Grow-only scratch for the bf16 operands. The one allocation a kernel makes: it happens on
 * the first products of a run (the largest shape settles it) and waits for queued work
 * before the old buffer goes. */
static void *scratch_get(size_t bytes)
{
    if (bytes <= g_cuda.scratch_bytes) return g_cuda.scratch;
    if (g_cuda.scratch) {
        if (!CUDA_CHECK(cudaStreamSynchronize(g_cuda.stream))) return NULL;
        CUDA_CHECK(cudaFree(g_cuda.scratch));
        g_cuda.scratch       = NULL;
        g_cuda.scratch_bytes = 0;
    }
    size_t want = bytes + bytes / 4; /* some headroom for the next, slightly larger shape */
    if (!CUDA_CHECK(cudaMalloc(&g_cuda.scratch, want))) {
        g_cuda.scratch = NULL;
        return NULL;
    }
    g_cuda.scratch_bytes = want;
    return g_cuda.scratch;
}

/* bf16 autocast: pack A and B densely, one batched GemmEx per batch[0] entry of C (one call
 * when C's two batch levels collapse). */
static void gemm_bf16(const hrkd_gemm *g, int64_t nb0, int64_t nb1, int64_t ldc,
                      cublasOperation_t opa, cublasOperation_t opb)
{
    int64_t arows = g->trans_a ? g->k : g->m, acols = g->trans_a ? g->m : g->k;
    int64_t brows = g->trans_b ? g->n : g->k, bcols = g->trans_b ? g->k : g->n;
    int64_t lda = fix_ld(g->lda, arows, acols), ldb = fix_ld(g->ldb, brows, bcols);
    int64_t asz = arows * acols, bsz = brows * bcols, nbatch = nb0 * nb1;
    /* B starts on a 256-byte boundary after A */
    size_t aoff  = ((size_t)(nbatch * asz) * sizeof(__nv_bfloat16) + 255) & ~(size_t)255;
    size_t bytes = aoff + (size_t)(nbatch * bsz) * sizeof(__nv_bfloat16);
    char *scratch = (char *)scratch_get(bytes);
    if (!scratch) return;
    __nv_bfloat16 *a16 = (__nv_bfloat16 *)scratch;
    __nv_bfloat16 *b16 = (__nv_bfloat16 *)(scratch + aoff);
    gemm_pack_bf16_kernel<<<cuda_blocks(nbatch * asz), CUDA_THREADS, 0, g_cuda.stream>>>(
        a16, g->a, nb0, nb1, g->a_stride[0], g->a_stride[1], arows, acols, lda);
    CUDA_CHECK_LAUNCH();
    gemm_pack_bf16_kernel<<<cuda_blocks(nbatch * bsz), CUDA_THREADS, 0, g_cuda.stream>>>(
        b16, g->b, nb0, nb1, g->b_stride[0], g->b_stride[1], brows, bcols, ldb);
    CUDA_CHECK_LAUNCH();

    /* packed operands are dense: entry (i0, i1) sits at (i0·nb1 + i1)·size */
    int collapse = nb1 == 1 || nb0 == 1 || g->c_stride[0] == nb1 * g->c_stride[1];
    int64_t cstride = nb1 == 1 ? g->c_stride[0] : g->c_stride[1];
    int64_t calls = collapse ? 1 : nb0, count = collapse ? nbatch : nb1;
    for (int64_t i0 = 0; i0 < calls; i0++) {
        CUBLAS_CHECK(cublasGemmStridedBatchedEx(
            g_cuda.blas, opb, opa, (int)g->n, (int)g->m, (int)g->k, &g->alpha,
            b16 + i0 * nb1 * bsz, CUDA_R_16BF, (int)bcols, (long long)bsz,
            a16 + i0 * nb1 * asz, CUDA_R_16BF, (int)acols, (long long)asz, &g->beta,
            g->c + i0 * g->c_stride[0], CUDA_R_32F, (int)ldc, (long long)cstride, (int)count,
            CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
}

void cuda_gemm(const hrkd_gemm *g)
{
    if (g->m <= 0 || g->n <= 0) return;
    /* batch[j] <= 0 is read as 1: a zero-initialised descriptor means "not batched" */
    int64_t nb0 = g->batch[0] > 0 ? g->batch[0] : 1;
    int64_t nb1 = g->batch[1] > 0 ? g->batch[1] : 1;
    int64_t ldc = fix_ld(g->ldc, g->m, g->n);
    if (g->k <= 0) {
        gemm_scale_c_kernel<<<cuda_blocks(nb0 * nb1 * g->m * g->n), CUDA_THREADS, 0,
                              g_cuda.stream>>>(g->c, nb0, nb1, g->c_stride[0], g->c_stride[1],
                                               g->m, g->n, ldc, g->beta);
        CUDA_CHECK_LAUNCH();
        return;
    }
    /* Cᵀ (n×m) = op(B)ᵀ (n×k) · op(A)ᵀ (k×m): a row-major operand stored untransposed is
     * already the transpose cuBLAS needs (CUBLAS_OP_N), a transposed one needs CUBLAS_OP_T */
    cublasOperation_t opa = g->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t opb = g->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (g_cuda.bf16) {
        gemm_bf16(g, nb0, nb1, ldc, opa, opb);
        return;
    }
    int64_t lda = fix_ld(g->lda, g->trans_a ? g->k : g->m, g->trans_a ? g->m : g->k);
    int64_t ldb = fix_ld(g->ldb, g->trans_b ? g->n : g->k, g->trans_b ? g->k : g->n);
    int m = (int)g->m, n = (int)g->n, k = (int)g->k;
    if (nb0 * nb1 == 1) {
        CUBLAS_CHECK(cublasSgemm(g_cuda.blas, opb, opa, n, m, k, &g->alpha, g->b, (int)ldb,
                                 g->a, (int)lda, &g->beta, g->c, (int)ldc));
        return;
    }
    /* one batch level: whichever is > 1, or both when level 0 steps over all of level 1 */
    int64_t sa, sb, sc, calls, count;
    if (nb1 == 1) {
        sa = g->a_stride[0], sb = g->b_stride[0], sc = g->c_stride[0], calls = 1, count = nb0;
    } else if (nb0 == 1 || (g->a_stride[0] == nb1 * g->a_stride[1] &&
                            g->b_stride[0] == nb1 * g->b_stride[1] &&
                            g->c_stride[0] == nb1 * g->c_stride[1])) {
        sa = g->a_stride[1], sb = g->b_stride[1], sc = g->c_stride[1], calls = 1;
        count = nb0 * nb1;
    } else {
        sa = g->a_stride[1], sb = g->b_stride[1], sc = g->c_stride[1], calls = nb0;
        count = nb1;
    }
    for (int64_t i0 = 0; i0 < calls; i0++) {
        CUBLAS_CHECK(cublasSgemmStridedBatched(
            g_cuda.blas, opb, opa, n, m, k, &g->alpha, g->b + i0 * g->b_stride[0], (int)ldb,
            (long long)sb, g->a + i0 * g->a_stride[0], (int)lda, (long long)sa, &g->beta,
            g->c + i0 * g->c_stride[0], (int)ldc, (long long)sc, (int)count));
    }
}
