/* host/core/ops.c — op builders: shape checks, forward kernels, and tape records.
 *
 * Every builder: returns NULL when the ctx already failed or an input is NULL (recording
 * "OP: an input is NULL" unless the ctx already failed); checks shapes
 * and records a message naming the op and the shapes on mismatch; runs the forward kernel;
 * and, when grad is enabled and an input requires grad, gives the output a zeroed gradient
 * and pushes a node for backward.c. Non-contiguous inputs are made contiguous first (on the
 * tape), except for matmul, which reads strided views in place. */
#include "core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SHAPE(t, buf) hrkd_shape_str((t), (buf), sizeof(buf))

static int needs_grad(hrkd_ctx *ctx, hrkd_tensor *const *in, int n)
{
    if (!ctx->grad_enabled) return 0;
    for (int i = 0; i < n; i++)
        if (in[i] && in[i]->requires_grad) return 1;
    return 0;
}

/* Record a node when gradients flow; gives out a zeroed gradient. */
static hrkd_node *record(hrkd_ctx *ctx, hrkd_op op, hrkd_tensor *out, hrkd_tensor *const *in, int n)
{
    if (!out || !needs_grad(ctx, in, n)) return NULL;
    hrkd_tensor_make_grad(ctx, out);
    hrkd_node *node = hrkd_ctx_push(ctx, op, out);
    if (!node) return NULL;
    node->n_in = n;
    for (int i = 0; i < n; i++) node->in[i] = in[i];
    return node;
}

/* An op given a NULL input records why (unless an earlier failure already did). */
static int bad(hrkd_ctx *ctx, hrkd_tensor *a, const char *op)
{
    if (hrkd_ctx_failed(ctx)) return 1;
    if (!a) hrkd_ctx_fail(ctx, "%s: an input is NULL", op);
    return !a;
}

static hrkd_tensor *need_f32(hrkd_ctx *ctx, hrkd_tensor *x, const char *op)
{
    if (x->dtype != HRKD_F32) return hrkd_ctx_fail(ctx, "%s: expected a float32 tensor", op);
    return x;
}

/* Copy int32 indices to the ctx's host scratch (for range checks before any kernel runs). */
static const int32_t *ids_to_host(hrkd_ctx *ctx, const hrkd_tensor *ids, int64_t n, const char *op)
{
    if (ctx->scratch_cap < n) {
        int32_t *s = realloc(ctx->scratch_i32, (size_t)(n ? n : 1) * sizeof *s);
        if (!s) { hrkd_ctx_fail(ctx, "%s: out of memory", op); return NULL; }
        ctx->scratch_i32 = s;
        ctx->scratch_cap = n;
    }
    ctx->k->copy_d2h(ctx->scratch_i32, ids->data, (size_t)n * sizeof(int32_t));
    return ctx->scratch_i32;
}

static hrkd_tensor *contig(hrkd_ctx *ctx, hrkd_tensor *x)
{
    return hrkd_tensor_is_contiguous(x) ? x : hrkd_contiguous(ctx, x);
}

hrkd_tensor *hrkd_contiguous(hrkd_ctx *ctx, hrkd_tensor *x)
{
    if (bad(ctx, x, "contiguous")) return NULL;
    hrkd_tensor *out = hrkd_tensor_alloc_like(ctx, x->ndim, x->shape, x->dtype);
    if (!out) return NULL;
    int64_t sh[4], st[4], dst[4];
    hrkd_to4(x, sh, st);
    hrkd_contiguous_strides(4, sh, dst);
    ctx->k->copy_strided(out->data, dst, x->data, st, sh, 1.0f, 0);
    record(ctx, HRKD_OP_CONTIGUOUS, out, &x, 1);
    return out;
}

/* ---- matmul ---- */

int hrkd_mview(const hrkd_tensor *t, int64_t rows, int64_t cols, int64_t *ld, int *trans);

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
                       float *c, float alpha, float beta);
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
    if (bad(ctx, a, "matmul") || bad(ctx, b, "matmul") || !need_f32(ctx, a, "matmul") || !need_f32(ctx, b, "matmul"))
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
    hrkd_node *node = record(ctx, HRKD_OP_MATMUL, out, in, 2);
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
                             float alpha, hrkd_tensor *addend);
hrkd_tensor *hrkd_matmul_add(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b, int ta, int tb,
                             float alpha, hrkd_tensor *addend)
{
    if (bad(ctx, addend, "matmul_add")) return NULL;
    return matmul_impl(ctx, a, b, ta, tb, alpha, addend);
}

hrkd_tensor *hrkd_linear(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *w, hrkd_tensor *b)
{
    if (bad(ctx, x, "linear") || bad(ctx, w, "linear") || !need_f32(ctx, x, "linear")) return NULL;
    char s1[64], s2[64], s3[64];
    int64_t in_f = x->shape[x->ndim - 1];
    if (w->ndim != 2 || w->shape[1] != in_f || !hrkd_tensor_is_contiguous(w))
        return hrkd_ctx_fail(ctx, "linear: input %s does not fit weight %s (expected [out, %lld])",
                             SHAPE(x, s1), SHAPE(w, s2), (long long)in_f);
    int64_t out_f = w->shape[0];
    if (b && (b->ndim != 1 || b->shape[0] != out_f))
        return hrkd_ctx_fail(ctx, "linear: bias %s does not fit weight %s", SHAPE(b, s3),
                             SHAPE(w, s2));
    x = contig(ctx, x);
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
    record(ctx, HRKD_OP_LINEAR, out, in, 3);
    return out;
}

/* ---- elementwise ---- */

static hrkd_tensor *binary(hrkd_ctx *ctx, hrkd_binary op, hrkd_tensor *a, hrkd_tensor *b,
                           const char *name)
{
    if (bad(ctx, a, name) || bad(ctx, b, name) || !need_f32(ctx, a, name) || !need_f32(ctx, b, name))
        return NULL;
    char s1[64], s2[64];
    int ok = b->ndim <= a->ndim;
    for (int d = 0; ok && d < b->ndim; d++)
        ok = b->shape[b->ndim - 1 - d] == a->shape[a->ndim - 1 - d];
    if (!ok)
        return hrkd_ctx_fail(ctx, "%s: shapes %s and %s do not match (the second may only be a "
                             "suffix of the first)", name, SHAPE(a, s1), SHAPE(b, s2));
    a = contig(ctx, a);
    b = contig(ctx, b);
    if (!a || !b) return NULL;
    hrkd_tensor *out = hrkd_tensor_new(ctx, a->ndim, a->shape);
    if (!out) return NULL;
    ctx->k->binary(op, out->data, a->data, b->data, hrkd_tensor_numel(a), hrkd_tensor_numel(b), 0);
    hrkd_tensor *in[2] = {a, b};
    hrkd_node *n = record(ctx, HRKD_OP_BINARY, out, in, 2);
    if (n) n->i[0] = op;
    return out;
}

hrkd_tensor *hrkd_add(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b) { return binary(ctx, HRKD_BINARY_ADD, a, b, "add"); }
hrkd_tensor *hrkd_sub(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b) { return binary(ctx, HRKD_BINARY_SUB, a, b, "sub"); }
hrkd_tensor *hrkd_mul(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b) { return binary(ctx, HRKD_BINARY_MUL, a, b, "mul"); }

hrkd_tensor *hrkd_scale(hrkd_ctx *ctx, hrkd_tensor *x, float alpha)
{
    if (bad(ctx, x, "scale") || !need_f32(ctx, x, "scale")) return NULL;
    x = contig(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, x->ndim, x->shape) : NULL;
    if (!out) return NULL;
    ctx->k->axpby(out->data, x->data, alpha, 0.0f, hrkd_tensor_numel(x));
    hrkd_node *n = record(ctx, HRKD_OP_SCALE, out, &x, 1);
    if (n) n->f[0] = alpha;
    return out;
}

static hrkd_tensor *reduce(hrkd_ctx *ctx, hrkd_tensor *x, int axis, int mean, const char *name)
{
    if (bad(ctx, x, name) || !need_f32(ctx, x, name)) return NULL;
    int64_t outer = 1, n, inner = 1;
    int64_t shape[HRKD_MAX_DIMS];
    int nd;
    if (axis == HRKD_ALL) {
        n = hrkd_tensor_numel(x);
        nd = 1;
        shape[0] = 1;
    } else {
        if (axis < 0) axis += x->ndim;
        if (axis < 0 || axis >= x->ndim)
            return hrkd_ctx_fail(ctx, "%s: axis out of range for %d dimensions", name, x->ndim);
        for (int d = 0; d < axis; d++) outer *= x->shape[d];
        for (int d = axis + 1; d < x->ndim; d++) inner *= x->shape[d];
        n = x->shape[axis];
        nd = 0;
        for (int d = 0; d < x->ndim; d++)
            if (d != axis) shape[nd++] = x->shape[d];
        if (nd == 0) shape[nd++] = 1;
    }
    x = contig(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, nd, shape) : NULL;
    if (!out) return NULL;
    float alpha = mean ? (n ? 1.0f / (float)n : 0.0f) : 1.0f;
    ctx->k->reduce_sum(out->data, x->data, outer, n, inner, alpha, 0);
    hrkd_node *node = record(ctx, HRKD_OP_SUM, out, &x, 1);
    if (node) {
        node->i[0] = outer; node->i[1] = n; node->i[2] = inner;
        node->f[0] = alpha;
    }
    return out;
}

hrkd_tensor *hrkd_sum(hrkd_ctx *ctx, hrkd_tensor *x, int axis) { return reduce(ctx, x, axis, 0, "sum"); }
hrkd_tensor *hrkd_mean(hrkd_ctx *ctx, hrkd_tensor *x, int axis) { return reduce(ctx, x, axis, 1, "mean"); }

hrkd_tensor *hrkd_repeat(hrkd_ctx *ctx, hrkd_tensor *x, int axis, int64_t n)
{
    if (bad(ctx, x, "repeat") || !need_f32(ctx, x, "repeat")) return NULL;
    if (axis < 0) axis += x->ndim + 1;
    if (axis < 0 || axis > x->ndim || x->ndim >= HRKD_MAX_DIMS || n < 1)
        return hrkd_ctx_fail(ctx, "repeat: cannot insert axis %d (x%lld) into %d dimensions", axis,
                             (long long)n, x->ndim);
    x = contig(ctx, x);
    if (!x) return NULL;
    int64_t outer = 1, inner = 1, shape[HRKD_MAX_DIMS];
    for (int d = 0; d < axis; d++) outer *= x->shape[d];
    for (int d = axis; d < x->ndim; d++) inner *= x->shape[d];
    for (int d = 0, o = 0; d <= x->ndim; d++) shape[d] = d == axis ? n : x->shape[o++];
    hrkd_tensor *out = hrkd_tensor_new(ctx, x->ndim + 1, shape);
    if (!out) return NULL;
    int64_t sh[4] = {1, outer, n, inner}, st[4] = {0, inner, 0, 1}, dst[4];
    hrkd_contiguous_strides(4, sh, dst);
    ctx->k->copy_strided(out->data, dst, x->data, st, sh, 1.0f, 0);
    hrkd_node *node = record(ctx, HRKD_OP_REPEAT, out, &x, 1);
    if (node) { node->i[0] = outer; node->i[1] = n; node->i[2] = inner; }
    return out;
}

hrkd_tensor *hrkd_unary_op(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_unary op, float alpha)
{
    if (bad(ctx, x, "unary") || !need_f32(ctx, x, "unary")) return NULL;
    if ((int)op < 0 || op >= HRKD_UNARY_COUNT) return hrkd_ctx_fail(ctx, "unary: unknown op %d", op);
    x = contig(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, x->ndim, x->shape) : NULL;
    if (!out) return NULL;
    ctx->k->unary_fwd(op, out->data, x->data, hrkd_tensor_numel(x), alpha);
    hrkd_node *n = record(ctx, HRKD_OP_UNARY, out, &x, 1);
    if (n) { n->i[0] = op; n->f[0] = alpha; }
    return out;
}

hrkd_tensor *hrkd_gelu(hrkd_ctx *ctx, hrkd_tensor *x, int tanh_form)
{
    return hrkd_unary_op(ctx, x, tanh_form ? HRKD_UNARY_GELU_TANH : HRKD_UNARY_GELU_ERF, 0.0f);
}
hrkd_tensor *hrkd_tanh(hrkd_ctx *ctx, hrkd_tensor *x) { return hrkd_unary_op(ctx, x, HRKD_UNARY_TANH, 0.0f); }
hrkd_tensor *hrkd_relu(hrkd_ctx *ctx, hrkd_tensor *x) { return hrkd_unary_op(ctx, x, HRKD_UNARY_RELU, 0.0f); }
hrkd_tensor *hrkd_elu(hrkd_ctx *ctx, hrkd_tensor *x, float alpha) { return hrkd_unary_op(ctx, x, HRKD_UNARY_ELU, alpha); }
hrkd_tensor *hrkd_leaky_relu(hrkd_ctx *ctx, hrkd_tensor *x, float slope) { return hrkd_unary_op(ctx, x, HRKD_UNARY_LEAKY_RELU, slope); }

hrkd_tensor *hrkd_layernorm(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *w, hrkd_tensor *b, float eps)
{
    if (bad(ctx, x, "layernorm") || bad(ctx, w, "layernorm") || bad(ctx, b, "layernorm") || !need_f32(ctx, x, "layernorm")) return NULL;
    int64_t C = x->shape[x->ndim - 1];
    char s1[64], s2[64], s3[64];
    if (w->ndim != 1 || b->ndim != 1 || w->shape[0] != C || b->shape[0] != C)
        return hrkd_ctx_fail(ctx, "layernorm: input %s, weight %s, bias %s: expected [%lld]",
                             SHAPE(x, s1), SHAPE(w, s2), SHAPE(b, s3), (long long)C);
    x = contig(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, x->ndim, x->shape) : NULL;
    if (!out) return NULL;
    int64_t rows = hrkd_tensor_numel(x) / (C ? C : 1);
    float *mean = hrkd_ctx_alloc_f32(ctx, rows), *rstd = hrkd_ctx_alloc_f32(ctx, rows);
    if (!mean || !rstd) return NULL;
    ctx->k->layernorm_fwd(out->data, mean, rstd, x->data, w->data, b->data, rows, C, eps);
    hrkd_tensor *in[3] = {x, w, b};
    hrkd_node *n = record(ctx, HRKD_OP_LAYERNORM, out, in, 3);
    if (n) { n->saved[0] = mean; n->saved[1] = rstd; n->i[0] = rows; n->i[1] = C; }
    return out;
}

static hrkd_tensor *softmax_impl(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *mask, int log_out)
{
    const char *name = log_out ? "log_softmax" : "softmax";
    if (bad(ctx, x, name) || !need_f32(ctx, x, name)) return NULL;
    int64_t n = x->shape[x->ndim - 1];
    int64_t rows = n ? hrkd_tensor_numel(x) / n : 0, rpm = rows;
    char s1[64], s2[64];
    if (mask) {
        int64_t mn = mask->shape[mask->ndim - 1];
        int64_t mrows = mn ? hrkd_tensor_numel(mask) / mn : 0;
        if (mn != n || mrows == 0 || rows % mrows != 0 || !hrkd_tensor_is_contiguous(mask))
            return hrkd_ctx_fail(ctx, "%s: mask %s does not fit input %s", name, SHAPE(mask, s1),
                                 SHAPE(x, s2));
        rpm = rows / mrows;
    }
    x = contig(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, x->ndim, x->shape) : NULL;
    if (!out) return NULL;
    ctx->k->softmax_fwd(out->data, x->data, mask ? mask->data : NULL, rows, n, rpm, log_out);
    hrkd_node *node = record(ctx, HRKD_OP_SOFTMAX, out, &x, 1);
    if (node) { node->i[0] = rows; node->i[1] = n; node->i[2] = log_out; }
    return out;
}

hrkd_tensor *hrkd_softmax(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *mask) { return softmax_impl(ctx, x, mask, 0); }
hrkd_tensor *hrkd_log_softmax(hrkd_ctx *ctx, hrkd_tensor *x) { return softmax_impl(ctx, x, NULL, 1); }

hrkd_tensor *hrkd_dropout(hrkd_ctx *ctx, hrkd_tensor *x, float p)
{
    if (bad(ctx, x, "dropout") || !need_f32(ctx, x, "dropout")) return NULL;
    if (!(p >= 0.0f && p < 1.0f)) return hrkd_ctx_fail(ctx, "dropout: p = %g outside [0, 1)", (double)p);
    if (!ctx->training || p == 0.0f) return x;
    x = contig(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, x->ndim, x->shape) : NULL;
    if (!out) return NULL;
    int64_t n = hrkd_tensor_numel(x);
    uint64_t offset = ctx->rng_counter;
    if (ctx->shard_n > 0) { /* rows [lo, lo+n) of the global batch: the batch is outermost */
        if (n % ctx->shard_n != 0)
            return hrkd_ctx_fail(ctx, "dropout: %lld elements are not %lld batch rows",
                                 (long long)n, (long long)ctx->shard_n);
        int64_t per_row = n / ctx->shard_n;
        offset += (uint64_t)(ctx->shard_lo * per_row);
        ctx->rng_counter += (uint64_t)(ctx->shard_global * per_row);
    } else {
        ctx->rng_counter += (uint64_t)n;
    }
    ctx->k->dropout_fwd(out->data, x->data, n, p, ctx->rng_seed, offset);
    hrkd_node *node = record(ctx, HRKD_OP_DROPOUT, out, &x, 1);
    if (node) { node->f[0] = p; node->i[0] = (int64_t)offset; }
    return out;
}

hrkd_tensor *hrkd_embedding(hrkd_ctx *ctx, hrkd_tensor *table, hrkd_tensor *ids)
{
    if (bad(ctx, table, "embedding") || bad(ctx, ids, "embedding")) return NULL;
    char s1[64], s2[64];
    if (table->ndim != 2 || ids->dtype != HRKD_I32 || ids->ndim >= HRKD_MAX_DIMS ||
        !hrkd_tensor_is_contiguous(ids) || !hrkd_tensor_is_contiguous(table))
        return hrkd_ctx_fail(ctx, "embedding: table %s (expected [V, C]) and int32 ids %s",
                             SHAPE(table, s1), SHAPE(ids, s2));
    int64_t n = hrkd_tensor_numel(ids), V = table->shape[0], C = table->shape[1];
    const int32_t *h = ids_to_host(ctx, ids, n, "embedding");
    if (!h) return NULL;
    for (int64_t i = 0; i < n; i++)
        if (h[i] < 0 || h[i] >= V)
            return hrkd_ctx_fail(ctx, "embedding: id %d at position %lld outside [0, %lld)", h[i],
                                 (long long)i, (long long)V);
    int64_t shape[HRKD_MAX_DIMS];
    memcpy(shape, ids->shape, (size_t)ids->ndim * sizeof *shape);
    shape[ids->ndim] = C;
    hrkd_tensor *out = hrkd_tensor_new(ctx, ids->ndim + 1, shape);
    if (!out) return NULL;
    ctx->k->embedding_fwd(out->data, table->data, ids->data, n, C);
    hrkd_tensor *in[2] = {table, ids};
    hrkd_node *node = record(ctx, HRKD_OP_EMBEDDING, out, in, 1); /* ids take no gradient */
    if (node) { node->in[1] = ids; node->i[0] = n; node->i[1] = C; }
    return out;
}

hrkd_tensor *hrkd_concat(hrkd_ctx *ctx, hrkd_tensor *const *xs, int n, int axis)
{
    if (hrkd_ctx_failed(ctx)) return NULL;
    if (n < 1) return hrkd_ctx_fail(ctx, "concat: no inputs");
    for (int i = 0; i < n; i++)
        if (!xs[i]) return hrkd_ctx_fail(ctx, "concat: input %d is NULL", i);
    hrkd_tensor *x0 = xs[0];
    if (axis < 0) axis += x0->ndim;
    if (axis < 0 || axis >= x0->ndim) return hrkd_ctx_fail(ctx, "concat: axis out of range");
    int64_t shape[HRKD_MAX_DIMS];
    memcpy(shape, x0->shape, sizeof shape);
    shape[axis] = 0;
    char s1[64], s2[64];
    for (int i = 0; i < n; i++) {
        hrkd_tensor *x = xs[i];
        int ok = x->ndim == x0->ndim && x->dtype == HRKD_F32;
        for (int d = 0; ok && d < x->ndim; d++) ok = d == axis || x->shape[d] == x0->shape[d];
        if (!ok)
            return hrkd_ctx_fail(ctx, "concat: input %d has shape %s, input 0 has %s (axis %d)", i,
                                 SHAPE(x, s1), SHAPE(x0, s2), axis);
        shape[axis] += x->shape[axis];
    }
    hrkd_tensor *out = hrkd_tensor_new(ctx, x0->ndim, shape);
    if (!out) return NULL;
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        hrkd_tensor *dst = hrkd_slice(ctx, out, axis, off, xs[i]->shape[axis]);
        if (!dst) return NULL;
        int64_t sh[4], st[4], sh2[4], dt[4];
        hrkd_to4(xs[i], sh, st);
        hrkd_to4(dst, sh2, dt);
        ctx->k->copy_strided(dst->data, dt, xs[i]->data, st, sh, 1.0f, 0);
        off += xs[i]->shape[axis];
    }
    hrkd_node *node = record(ctx, HRKD_OP_CONCAT, out, xs, n > HRKD_NODE_MAX_IN ? 0 : n);
    if (!node && needs_grad(ctx, xs, n) && n > HRKD_NODE_MAX_IN) {
        hrkd_tensor_make_grad(ctx, out);
        node = hrkd_ctx_push(ctx, HRKD_OP_CONCAT, out);
    }
    if (node) {
        hrkd_tensor **list = hrkd_ctx_alloc_host(ctx, (size_t)n * sizeof *list);
        if (!list) return NULL;
        memcpy(list, xs, (size_t)n * sizeof *list);
        node->list = list;
        node->i[0] = n;
        node->i[1] = axis;
    }
    return out;
}

hrkd_tensor *hrkd_stack(hrkd_ctx *ctx, hrkd_tensor *const *xs, int n, int axis)
{
    if (hrkd_ctx_failed(ctx)) return NULL;
    if (n < 1) return hrkd_ctx_fail(ctx, "stack: no inputs");
    if (n > 4096) return hrkd_ctx_fail(ctx, "stack: too many inputs (%d)", n);
    hrkd_tensor *tmp[4096];
    for (int i = 0; i < n; i++) {
        hrkd_tensor *x = xs[i];
        if (!x) return hrkd_ctx_fail(ctx, "stack: input %d is NULL", i);
        int ax = axis < 0 ? axis + x->ndim + 1 : axis;
        if (ax < 0 || ax > x->ndim || x->ndim >= HRKD_MAX_DIMS)
            return hrkd_ctx_fail(ctx, "stack: axis %d out of range for %d dimensions", axis, x->ndim);
        int64_t shape[HRKD_MAX_DIMS];
        for (int d = 0, o = 0; d <= x->ndim; d++) shape[d] = d == ax ? 1 : x->shape[o++];
        tmp[i] = hrkd_reshape(ctx, x, x->ndim + 1, shape);
        if (!tmp[i]) return NULL;
    }
    int ax = axis < 0 ? axis + xs[0]->ndim + 1 : axis;
    return hrkd_concat(ctx, tmp, n, ax);
}

/* ---- losses ---- */

hrkd_tensor *hrkd_mse(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b)
{
    if (bad(ctx, a, "mse") || bad(ctx, b, "mse") || !need_f32(ctx, a, "mse") || !need_f32(ctx, b, "mse")) return NULL;
    char s1[64], s2[64];
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof(int64_t)))
        return hrkd_ctx_fail(ctx, "mse: shapes %s and %s differ", SHAPE(a, s1), SHAPE(b, s2));
    a = contig(ctx, a);
    b = contig(ctx, b);
    int64_t one = 1;
    hrkd_tensor *out = (a && b) ? hrkd_tensor_new(ctx, 1, &one) : NULL;
    if (!out) return NULL;
    ctx->k->mse_fwd(out->data, a->data, b->data, hrkd_tensor_numel(a));
    hrkd_tensor *in[2] = {a, b};
    record(ctx, HRKD_OP_MSE, out, in, 2);
    return out;
}

static hrkd_tensor *nll(hrkd_ctx *ctx, hrkd_tensor *logp, hrkd_tensor *labels)
{
    int64_t one = 1, rows = logp->shape[0], C = logp->shape[1];
    hrkd_tensor *out = hrkd_tensor_new(ctx, 1, &one);
    if (!out) return NULL;
    ctx->k->nll_fwd(out->data, logp->data, labels->data, rows, C);
    hrkd_node *n = record(ctx, HRKD_OP_NLL, out, &logp, 1);
    if (n) { n->in[1] = labels; n->i[0] = rows; n->i[1] = C; }
    return out;
}

hrkd_tensor *hrkd_cross_entropy(hrkd_ctx *ctx, hrkd_tensor *logits, hrkd_tensor *labels)
{
    if (bad(ctx, logits, "cross_entropy") || bad(ctx, labels, "cross_entropy")) return NULL;
    char s1[64], s2[64];
    if (logits->ndim != 2 || labels->ndim != 1 || labels->dtype != HRKD_I32 ||
        labels->shape[0] != logits->shape[0] || !hrkd_tensor_is_contiguous(labels))
        return hrkd_ctx_fail(ctx, "cross_entropy: logits %s (expected [B, C]) and int32 labels "
                             "%s (expected [B])", SHAPE(logits, s1), SHAPE(labels, s2));
    int64_t n = labels->shape[0], C = logits->shape[1];
    const int32_t *h = ids_to_host(ctx, labels, n, "cross_entropy");
    if (!h) return NULL;
    for (int64_t i = 0; i < n; i++)
        if (h[i] < -1 || h[i] >= C)
            return hrkd_ctx_fail(ctx, "cross_entropy: label %d at row %lld outside [0, %lld)", h[i],
                                 (long long)i, (long long)C);
    hrkd_tensor *logp = hrkd_log_softmax(ctx, logits);
    return logp ? nll(ctx, logp, labels) : NULL;
}

hrkd_tensor *hrkd_soft_cross_entropy(hrkd_ctx *ctx, hrkd_tensor *student, hrkd_tensor *teacher,
                                     float temperature, int mean_over_classes)
{
    if (bad(ctx, student, "soft_cross_entropy") || bad(ctx, teacher, "soft_cross_entropy")) return NULL;
    char s1[64], s2[64];
    if (student->ndim != 2 || teacher->ndim != 2 || student->shape[0] != teacher->shape[0] ||
        student->shape[1] != teacher->shape[1])
        return hrkd_ctx_fail(ctx, "soft_cross_entropy: student %s and teacher %s must both be "
                             "[B, C]", SHAPE(student, s1), SHAPE(teacher, s2));
    if (!(temperature > 0.0f))
        return hrkd_ctx_fail(ctx, "soft_cross_entropy: temperature %g must be > 0", (double)temperature);
    float inv_t = 1.0f / temperature;
    hrkd_tensor *pt = hrkd_softmax(ctx, hrkd_scale(ctx, hrkd_detach(ctx, teacher), inv_t), NULL);
    hrkd_tensor *ls = hrkd_log_softmax(ctx, hrkd_scale(ctx, student, inv_t));
    hrkd_tensor *s = hrkd_sum(ctx, hrkd_mul(ctx, ls, pt), HRKD_ALL);
    float denom = (float)student->shape[0] * (mean_over_classes ? (float)student->shape[1] : 1.0f);
    return hrkd_scale(ctx, s, -1.0f / denom);
}
