/* host/core/ops_math.c — math ops for plugin authors (exp, log, sqrt, rsqrt, div, clamp,
 * L2 normalisation, cosine similarity) and ops defined by plugins (hrkd_custom).
 *
 * The pointwise ops are the backend's unary / binary kernels (their backward in backward.c);
 * l2_normalize and cosine_similarity are built from them, so their gradients come from the
 * tape. hrkd_custom records a node whose backward is the plugin's callback. */
#include "core/internal.h"

#include <math.h>
#include <string.h>

#define SHAPE(t, buf) hrkd_shape_str((t), (buf), sizeof(buf))

hrkd_tensor *hrkd_exp(hrkd_ctx *ctx, hrkd_tensor *x) { return hrkd_unary_op(ctx, x, HRKD_UNARY_EXP, 0.0f); }
hrkd_tensor *hrkd_ln(hrkd_ctx *ctx, hrkd_tensor *x) { return hrkd_unary_op(ctx, x, HRKD_UNARY_LOG, 0.0f); }
hrkd_tensor *hrkd_sqrt(hrkd_ctx *ctx, hrkd_tensor *x) { return hrkd_unary_op(ctx, x, HRKD_UNARY_SQRT, 0.0f); }
hrkd_tensor *hrkd_rsqrt(hrkd_ctx *ctx, hrkd_tensor *x) { return hrkd_unary_op(ctx, x, HRKD_UNARY_RSQRT, 0.0f); }

hrkd_tensor *hrkd_div(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b)
{
    if (hrkd_ctx_failed(ctx) || !a || !b) return NULL;
    char s1[64], s2[64];
    if (a->dtype != HRKD_F32 || b->dtype != HRKD_F32)
        return hrkd_ctx_fail(ctx, "div: expected float32 tensors");
    int ok = b->ndim <= a->ndim;
    for (int d = 0; ok && d < b->ndim; d++)
        ok = b->shape[b->ndim - 1 - d] == a->shape[a->ndim - 1 - d];
    if (!ok)
        return hrkd_ctx_fail(ctx, "div: shapes %s and %s do not match (the second may only be a "
                             "suffix of the first)", SHAPE(a, s1), SHAPE(b, s2));
    a = hrkd_dense(ctx, a);
    b = hrkd_dense(ctx, b);
    if (!a || !b) return NULL;
    hrkd_tensor *out = hrkd_tensor_new(ctx, a->ndim, a->shape);
    if (!out) return NULL;
    ctx->k->binary(HRKD_BINARY_DIV, out->data, a->data, b->data, hrkd_tensor_numel(a),
                   hrkd_tensor_numel(b), 0);
    hrkd_tensor *in[2] = {a, b};
    if (hrkd_op_needs_grad(ctx, in, 2)) {
        hrkd_grad_defer(ctx, out);
        hrkd_node *n = hrkd_ctx_push(ctx, HRKD_OP_BINARY, out);
        if (!n) return NULL;
        n->n_in = 2;
        n->in[0] = a;
        n->in[1] = b;
        n->i[0] = HRKD_BINARY_DIV;
    }
    return out;
}

hrkd_tensor *hrkd_clamp(hrkd_ctx *ctx, hrkd_tensor *x, float lo, float hi)
{
    if (hrkd_ctx_failed(ctx) || !x) return NULL;
    if (!(lo <= hi))
        return hrkd_ctx_fail(ctx, "clamp: bounds [%g, %g] are not an interval", (double)lo,
                             (double)hi);
    int has_lo = lo != -INFINITY, has_hi = hi != INFINITY;
    hrkd_tensor *y = x;
    if (has_lo || !has_hi) y = hrkd_unary_op(ctx, y, HRKD_UNARY_CLAMP_MIN, lo);
    if (has_hi) y = hrkd_unary_op(ctx, y, HRKD_UNARY_CLAMP_MAX, hi);
    return y;
}

hrkd_tensor *hrkd_l2_normalize(hrkd_ctx *ctx, hrkd_tensor *x, float eps)
{
    if (hrkd_ctx_failed(ctx) || !x) return NULL;
    if (!(eps > 0.0f))
        return hrkd_ctx_fail(ctx, "l2_normalize: eps %g must be > 0", (double)eps);
    if (x->dtype != HRKD_F32) return hrkd_ctx_fail(ctx, "l2_normalize: expected a float32 tensor");
    int64_t F = x->shape[x->ndim - 1];
    /* x · rsqrt(max(Σ x², eps²)) = x / max(‖x‖, eps); clamping before the root keeps the
     * gradient finite for an all-zero row */
    hrkd_tensor *ss = hrkd_sum(ctx, hrkd_unary_op(ctx, x, HRKD_UNARY_SQUARE, 0.0f), -1);
    hrkd_tensor *r = hrkd_rsqrt(ctx, hrkd_unary_op(ctx, ss, HRKD_UNARY_CLAMP_MIN, eps * eps));
    if (!r) return NULL;
    hrkd_tensor *rr = hrkd_reshape(ctx, hrkd_repeat(ctx, r, r->ndim, F), x->ndim, x->shape);
    return hrkd_mul(ctx, x, rr);
}

hrkd_tensor *hrkd_cosine_similarity(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b, float eps)
{
    if (hrkd_ctx_failed(ctx) || !a || !b) return NULL;
    char s1[64], s2[64];
    if (a->ndim < 2 || a->ndim != b->ndim || a->shape[a->ndim - 1] != b->shape[b->ndim - 1])
        return hrkd_ctx_fail(ctx, "cosine_similarity: shapes %s and %s: expected [..., N, F] "
                             "and [..., M, F]", SHAPE(a, s1), SHAPE(b, s2));
    hrkd_tensor *na = hrkd_l2_normalize(ctx, a, eps);
    hrkd_tensor *nb = b == a ? na : hrkd_l2_normalize(ctx, b, eps);
    return hrkd_matmul(ctx, na, nb, 0, 1, 1.0f);
}

/* ---- ops defined by plugins ---- */

hrkd_tensor *hrkd_custom(hrkd_ctx *ctx, const hrkd_custom_op *op, hrkd_tensor *const *in,
                         int n_in, int out_ndim, const int64_t *out_shape, const void *state,
                         size_t state_bytes)
{
    if (hrkd_ctx_failed(ctx)) return NULL;
    const char *name = op && op->name ? op->name : "?";
    if (!op || !op->forward)
        return hrkd_ctx_fail(ctx, "custom op %s: no forward callback", name);
    if (n_in < 1 || n_in > HRKD_CUSTOM_MAX_IN || !in)
        return hrkd_ctx_fail(ctx, "custom op %s: %d inputs (1..%d)", name, n_in, HRKD_CUSTOM_MAX_IN);
    if (out_ndim < 1 || out_ndim > HRKD_MAX_DIMS || !out_shape)
        return hrkd_ctx_fail(ctx, "custom op %s: output rank %d (1..%d)", name, out_ndim,
                             HRKD_MAX_DIMS);
    if (state_bytes && !state) return hrkd_ctx_fail(ctx, "custom op %s: no state bytes", name);
    hrkd_tensor *dx[HRKD_CUSTOM_MAX_IN];
    for (int i = 0; i < n_in; i++) {
        if (!in[i]) return NULL;
        if (in[i]->dtype != HRKD_F32)
            return hrkd_ctx_fail(ctx, "custom op %s: input %d is not float32", name, i);
        dx[i] = hrkd_dense(ctx, in[i]);
        if (!dx[i]) return NULL;
    }
    hrkd_tensor *out = hrkd_tensor_new(ctx, out_ndim, out_shape);
    if (!out) return NULL;
    void *st = NULL;
    if (state_bytes) {
        st = hrkd_ctx_alloc_host(ctx, state_bytes);
        if (!st) return NULL;
        memcpy(st, state, state_bytes);
    }
    hrkd_custom_call call = {.ctx = ctx, .k = ctx->k, .in = dx, .n_in = n_in, .out = out,
                             .state = st};
    if (op->forward(&call) != 0) {
        if (!hrkd_ctx_failed(ctx)) hrkd_ctx_fail(ctx, "custom op %s: forward failed", name);
        return NULL;
    }
    if (op->backward && hrkd_op_needs_grad(ctx, dx, n_in)) {
        hrkd_grad_defer(ctx, out);
        hrkd_node *n = hrkd_ctx_push(ctx, HRKD_OP_CUSTOM, out);
        if (!n) return NULL;
        n->n_in = n_in;
        for (int i = 0; i < n_in; i++) n->in[i] = dx[i];
        n->custom = op;
        n->state = st;
    }
    return out;
}
