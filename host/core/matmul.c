/* host/core/matmul.c — products: matmul (strided views read in place through BLAS leading
 * dimensions), matmul with an addend (attention scores + mask), linear; hrkd_gemm_tensors, the
 * one bridge from tensors to the backend's gemm, serves their backward in backward.c too. */
#include "core/internal.h"

#include <string.h>

#define SHAPE(t, buf) hrkd_shape_str((t), (buf), sizeof(buf))

/* How to read the last two dims of t as a BLAS matrix: row-major (trans 0, ld = row stride)
 * or column-major (trans 1, ld = column stride). Returns -1 when neither works. */
int hrkd_mview(const hrkd_tensor *t, int64_t rows, int64_t cols, int64_t *ld, int *trans)
{
    int nd = t->ndim;
    int64_t rs = t->stride[nd - 2], cs = t->stride[nd - 1];
    if (cols == 1) cs = 1;
    if (rows == 1) rs = cols;
    if (cs == 1 && rs >= cols) { *ld = rs; *trans = 0; return 0; }
    if (rs == 1 && cs >= rows) { *ld = cs; *trans = 1; return 0; }
    if (rows == 1 && cols == 1) { *ld = 1; *trans = 0; return 0; }
    return -1;
}

static void batch_of(const hrkd_tensor *t, int64_t batch[2], int64_t bs[2])
{
    if (t->ndim == 4) {
        batch[0] = t->shape[0]; batch[1] = t->shape[1];
        bs[0] = t->stride[0]; bs[1] = t->stride[1];
    } else if (t->ndim == 3) {
        batch[0] = 1; batch[1] = t->shape[0];
        bs[0] = 0; bs[1] = t->stride[0];
    } else {
        batch[0] = batch[1] = 1;
        bs[0] = bs[1] = 0;
    }
}

/* C = alpha·op(A)·op(B) + beta·C where A, B, C are tensors (with their own layouts) and
 * ta/tb say whether to transpose the logical matrices. */
void hrkd_gemm_tensors(hrkd_ctx *ctx, const hrkd_tensor *A, const float *a, int ta,
                       const hrkd_tensor *B, const float *b, int tb, const hrkd_tensor *C,
                       float *c, float alpha, float beta)
{
    int na = A->ndim, nb = B->ndim, nc = C->ndim;
    int64_t ar = A->shape[na - 2], ac = A->shape[na - 1];
    int64_t br = B->shape[nb - 2], bc = B->shape[nb - 1];
    int64_t lda, ldb, ldc;
    int sa, sb, scv;
    hrkd_mview(A, ar, ac, &lda, &sa);
    hrkd_mview(B, br, bc, &ldb, &sb);
    hrkd_mview(C, C->shape[nc - 2], C->shape[nc - 1], &ldc, &scv);
    int64_t bA[2], sA[2], bB[2], sB[2], bC[2], sC[2];
    batch_of(A, bA, sA);
    batch_of(B, bB, sB);
    batch_of(C, bC, sC);
    hrkd_gemm g = {0};
    g.alpha = alpha;
    g.beta = beta;
    g.batch[0] = bC[0];
    g.batch[1] = bC[1];
    g.c = c; g.ldc = ldc; g.c_stride[0] = sC[0]; g.c_stride[1] = sC[1];
    int64_t m = ta ? ac : ar, kk = ta ? ar : ac, n = tb ? br : bc;
    if (!scv) { /* C row-major: C = op(A) op(B) */
        g.trans_a = ta ^ sa; g.trans_b = tb ^ sb;
        g.m = m; g.n = n; g.k = kk;
        g.a = a; g.lda = lda; g.a_stride[0] = sA[0]; g.a_stride[1] = sA[1];
        g.b = b; g.ldb = ldb; g.b_stride[0] = sB[0]; g.b_stride[1] = sB[1];
    } else {    /* C stored transposed: Cᵀ = op(B)ᵀ op(A)ᵀ, written row-major */
        g.trans_a = !(tb ^ sb); g.trans_b = !(ta ^ sa);
        g.m = n; g.n = m; g.k = kk;
        g.a = b; g.lda = ldb; g.a_stride[0] = sB[0]; g.a_stride[1] = sB[1];
        g.b = a; g.ldb = lda; g.b_stride[0] = sA[0]; g.b_stride[1] = sA[1];
    }
    ctx->k->gemm(&g);
}

static hrkd_tensor *matmul_impl(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b, int ta, int tb,
                                float alpha, hrkd_tensor *c0)
{
    if (hrkd_op_bad(ctx, a, "matmul") || hrkd_op_bad(ctx, b, "matmul") || !hrkd_op_need_f32(ctx, a, "matmul") ||
        !hrkd_op_need_f32(ctx, b, "matmul"))
        return NULL;
    char s1[64], s2[64];
    if (a->ndim < 2 || b->ndim < 2 || a->ndim != b->ndim)
        return hrkd_ctx_fail(ctx, "matmul: shapes %s and %s: need equal ranks 2..4",
                             SHAPE(a, s1), SHAPE(b, s2));
    int nd = a->ndim;
    for (int d = 0; d < nd - 2; d++)
        if (a->shape[d] != b->shape[d])
            return hrkd_ctx_fail(ctx, "matmul: batch dimensions differ: %s and %s", SHAPE(a, s1),
                                 SHAPE(b, s2));
    int64_t m = ta ? a->shape[nd - 1] : a->shape[nd - 2];
    int64_t k = ta ? a->shape[nd - 2] : a->shape[nd - 1];
    int64_t kb = tb ? b->shape[nd - 1] : b->shape[nd - 2];
    int64_t n = tb ? b->shape[nd - 2] : b->shape[nd - 1];
    if (k != kb)
        return hrkd_ctx_fail(ctx, "matmul: inner sizes differ: %s%s x %s%s", SHAPE(a, s1),
                             ta ? "ᵀ" : "", SHAPE(b, s2), tb ? "ᵀ" : "");
    int64_t ld;
    int tr;
    if (hrkd_mview(a, a->shape[nd - 2], a->shape[nd - 1], &ld, &tr) != 0) a = hrkd_contiguous(ctx, a);
    if (hrkd_mview(b, b->shape[nd - 2], b->shape[nd - 1], &ld, &tr) != 0) b = hrkd_contiguous(ctx, b);
    if (!a || !b) return NULL;
    int64_t shape[HRKD_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[nd - 2] = m;
    shape[nd - 1] = n;
    hrkd_tensor *out = hrkd_tensor_new(ctx, nd, shape);
    if (!out) return NULL;
    float beta = 0.0f;
    if (c0) {
        /* out = c0 (a broadcast view, strides may be 0) + alpha·a·b */
        int64_t sh[4], st[4], dst[4];
        hrkd_to4(c0, sh, st);
        int64_t osh[4], ost[4];
        hrkd_to4(out, osh, ost);
        if (memcmp(sh, osh, sizeof sh) != 0)
            return hrkd_ctx_fail(ctx, "matmul: addend %s does not match the product %s",
                                 SHAPE(c0, s1), SHAPE(out, s2));
        hrkd_contiguous_strides(4, osh, dst);
        ctx->k->copy_strided(out->data, dst, c0->data, st, sh, 1.0f, 0);
        beta = 1.0f;
    }
    hrkd_gemm_tensors(ctx, a, a->data, ta, b, b->data, tb, out, out->data, alpha, beta);
    hrkd_tensor *in[2] = {a, b};
    hrkd_node *node = hrkd_op_record(ctx, HRKD_OP_MATMUL, out, in, 2);
    if (node) {
        node->i[0] = ta;
        node->i[1] = tb;
        node->f[0] = alpha;
    }
    return out;
}

hrkd_tensor *hrkd_matmul(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b, int ta, int tb, float alpha)
{
    return matmul_impl(ctx, a, b, ta, tb, alpha, NULL);
}

/* out = addend + alpha·op(a)·op(b); the addend gets no gradient (attention masks). */
hrkd_tensor *hrkd_matmul_add(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b, int ta, int tb,
                             float alpha, hrkd_tensor *addend)
{
    if (hrkd_op_bad(ctx, addend, "matmul_add")) return NULL;
    return matmul_impl(ctx, a, b, ta, tb, alpha, addend);
}

hrkd_tensor *hrkd_linear(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *w, hrkd_tensor *b)
{
    if (hrkd_op_bad(ctx, x, "linear") || hrkd_op_bad(ctx, w, "linear") || !hrkd_op_need_f32(ctx, x, "linear"))
        return NULL;
    char s1[64], s2[64], s3[64];
    int64_t in_f = x->shape[x->ndim - 1];
    if (w->ndim != 2 || w->shape[1] != in_f || !hrkd_tensor_is_contiguous(w))
        return hrkd_ctx_fail(ctx, "linear: input %s does not fit weight %s (expected [out, %lld])",
                             SHAPE(x, s1), SHAPE(w, s2), (long long)in_f);
    int64_t out_f = w->shape[0];
    if (b && (b->ndim != 1 || b->shape[0] != out_f))
        return hrkd_ctx_fail(ctx, "linear: bias %s does not fit weight %s", SHAPE(b, s3),
                             SHAPE(w, s2));
    x = hrkd_dense(ctx, x);
    if (!x) return NULL;
    int64_t rows = hrkd_tensor_numel(x) / in_f;
    int64_t shape[HRKD_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = out_f;
    hrkd_tensor *out = hrkd_tensor_new(ctx, x->ndim, shape);
    if (!out) return NULL;
    hrkd_gemm g = {.trans_a = 0, .trans_b = 1, .m = rows, .n = out_f, .k = in_f, .alpha = 1.0f,
                   .beta = 0.0f, .batch = {1, 1}, .a = x->data, .lda = in_f, .b = w->data,
                   .ldb = in_f, .c = out->data, .ldc = out_f};
    if (b) {
        int64_t sh[4] = {1, 1, rows, out_f}, st[4] = {0, 0, 0, 1}, dst[4];
        hrkd_contiguous_strides(4, sh, dst);
        ctx->k->copy_strided(out->data, dst, b->data, st, sh, 1.0f, 0);
        g.beta = 1.0f;
    }
    ctx->k->gemm(&g);
    hrkd_tensor *in[3] = {x, w, b};
    hrkd_op_record(ctx, HRKD_OP_LINEAR, out, in, 3);
    return out;
}
