/* host/core/ops.c — op builders: shape checks, forward kernels, and tape records.
 *
 * Every builder: returns NULL when the ctx already failed or an input is NULL (recording
 * "OP: an input is NULL" unless the ctx already failed); checks shapes
 * and records a message naming the op and the shapes on mismatch; runs the forward kernel;
 * and, when grad is enabled and an input requires grad, gives the output a zeroed gradient
 * and pushes a node for backward.c. Non-contiguous inputs are made contiguous first (on the
 * tape), except for matmul, which reads strided views in place.
 *
 * This file: elementwise, reductions, activations, layer norm, softmax, dropout, embedding,
 * concat / stack. Products sit in matmul.c, losses in losses.c, the shared steps in record.c. */
#include "core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SHAPE(t, buf) hrkd_shape_str((t), (buf), sizeof(buf))

/* ---- elementwise ---- */

static hrkd_tensor *binary(hrkd_ctx *ctx, hrkd_binary op, hrkd_tensor *a, hrkd_tensor *b,
                           const char *name)
{
    if (hrkd_op_bad(ctx, a, name) || hrkd_op_bad(ctx, b, name) || !hrkd_op_need_f32(ctx, a, name) ||
        !hrkd_op_need_f32(ctx, b, name))
        return NULL;
    char s1[64], s2[64];
    int ok = b->ndim <= a->ndim;
    for (int d = 0; ok && d < b->ndim; d++)
        ok = b->shape[b->ndim - 1 - d] == a->shape[a->ndim - 1 - d];
    if (!ok)
        return hrkd_ctx_fail(ctx, "%s: shapes %s and %s do not match (the second may only be a "
                             "suffix of the first)", name, SHAPE(a, s1), SHAPE(b, s2));
    a = hrkd_dense(ctx, a);
    b = hrkd_dense(ctx, b);
    if (!a || !b) return NULL;
    hrkd_tensor *out = hrkd_tensor_new(ctx, a->ndim, a->shape);
    if (!out) return NULL;
    ctx->k->binary(op, out->data, a->data, b->data, hrkd_tensor_numel(a), hrkd_tensor_numel(b), 0);
    hrkd_tensor *in[2] = {a, b};
    hrkd_node *n = hrkd_op_record(ctx, HRKD_OP_BINARY, out, in, 2);
    if (n) n->i[0] = op;
    return out;
}

hrkd_tensor *hrkd_add(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b) { return binary(ctx, HRKD_BINARY_ADD, a, b, "add"); }
hrkd_tensor *hrkd_sub(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b) { return binary(ctx, HRKD_BINARY_SUB, a, b, "sub"); }
hrkd_tensor *hrkd_mul(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b) { return binary(ctx, HRKD_BINARY_MUL, a, b, "mul"); }

hrkd_tensor *hrkd_scale(hrkd_ctx *ctx, hrkd_tensor *x, float alpha)
{
    if (hrkd_op_bad(ctx, x, "scale") || !hrkd_op_need_f32(ctx, x, "scale")) return NULL;
    x = hrkd_dense(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, x->ndim, x->shape) : NULL;
    if (!out) return NULL;
    ctx->k->axpby(out->data, x->data, alpha, 0.0f, hrkd_tensor_numel(x));
    hrkd_node *n = hrkd_op_record(ctx, HRKD_OP_SCALE, out, &x, 1);
    if (n) n->f[0] = alpha;
    return out;
}

static hrkd_tensor *reduce(hrkd_ctx *ctx, hrkd_tensor *x, int axis, int mean, const char *name)
{
    if (hrkd_op_bad(ctx, x, name) || !hrkd_op_need_f32(ctx, x, name)) return NULL;
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
    x = hrkd_dense(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, nd, shape) : NULL;
    if (!out) return NULL;
    float alpha = mean ? (n ? 1.0f / (float)n : 0.0f) : 1.0f;
    ctx->k->reduce_sum(out->data, x->data, outer, n, inner, alpha, 0);
    hrkd_node *node = hrkd_op_record(ctx, HRKD_OP_SUM, out, &x, 1);
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
    if (hrkd_op_bad(ctx, x, "repeat") || !hrkd_op_need_f32(ctx, x, "repeat")) return NULL;
    if (axis < 0) axis += x->ndim + 1;
    if (axis < 0 || axis > x->ndim || x->ndim >= HRKD_MAX_DIMS || n < 1)
        return hrkd_ctx_fail(ctx, "repeat: cannot insert axis %d (x%lld) into %d dimensions", axis,
                             (long long)n, x->ndim);
    x = hrkd_dense(ctx, x);
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
    hrkd_node *node = hrkd_op_record(ctx, HRKD_OP_REPEAT, out, &x, 1);
    if (node) { node->i[0] = outer; node->i[1] = n; node->i[2] = inner; }
    return out;
}

hrkd_tensor *hrkd_unary_op(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_unary op, float alpha)
{
    if (hrkd_op_bad(ctx, x, "unary") || !hrkd_op_need_f32(ctx, x, "unary")) return NULL;
    if ((int)op < 0 || op >= HRKD_UNARY_COUNT) return hrkd_ctx_fail(ctx, "unary: unknown op %d", op);
    x = hrkd_dense(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, x->ndim, x->shape) : NULL;
    if (!out) return NULL;
    ctx->k->unary_fwd(op, out->data, x->data, hrkd_tensor_numel(x), alpha);
    hrkd_node *n = hrkd_op_record(ctx, HRKD_OP_UNARY, out, &x, 1);
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
    if (hrkd_op_bad(ctx, x, "layernorm") || hrkd_op_bad(ctx, w, "layernorm") || hrkd_op_bad(ctx, b, "layernorm") ||
        !hrkd_op_need_f32(ctx, x, "layernorm"))
        return NULL;
    int64_t C = x->shape[x->ndim - 1];
    char s1[64], s2[64], s3[64];
    if (w->ndim != 1 || b->ndim != 1 || w->shape[0] != C || b->shape[0] != C)
        return hrkd_ctx_fail(ctx, "layernorm: input %s, weight %s, bias %s: expected [%lld]",
                             SHAPE(x, s1), SHAPE(w, s2), SHAPE(b, s3), (long long)C);
    x = hrkd_dense(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, x->ndim, x->shape) : NULL;
    if (!out) return NULL;
    int64_t rows = hrkd_tensor_numel(x) / (C ? C : 1);
    float *mean = hrkd_ctx_alloc_f32(ctx, rows), *rstd = hrkd_ctx_alloc_f32(ctx, rows);
    if (!mean || !rstd) return NULL;
    ctx->k->layernorm_fwd(out->data, mean, rstd, x->data, w->data, b->data, rows, C, eps);
    hrkd_tensor *in[3] = {x, w, b};
    hrkd_node *n = hrkd_op_record(ctx, HRKD_OP_LAYERNORM, out, in, 3);
    if (n) { n->saved[0] = mean; n->saved[1] = rstd; n->i[0] = rows; n->i[1] = C; }
    return out;
}

static hrkd_tensor *softmax_impl(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *mask, int log_out)
{
    const char *name = log_out ? "log_softmax" : "softmax";
    if (hrkd_op_bad(ctx, x, name) || !hrkd_op_need_f32(ctx, x, name)) return NULL;
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
    x = hrkd_dense(ctx, x);
    hrkd_tensor *out = x ? hrkd_tensor_new(ctx, x->ndim, x->shape) : NULL;
    if (!out) return NULL;
    ctx->k->softmax_fwd(out->data, x->data, mask ? mask->data : NULL, rows, n, rpm, log_out);
    hrkd_node *node = hrkd_op_record(ctx, HRKD_OP_SOFTMAX, out, &x, 1);
    if (node) { node->i[0] = rows; node->i[1] = n; node->i[2] = log_out; }
    return out;
}

hrkd_tensor *hrkd_softmax(hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *mask) { return softmax_impl(ctx, x, mask, 0); }
hrkd_tensor *hrkd_log_softmax(hrkd_ctx *ctx, hrkd_tensor *x) { return softmax_impl(ctx, x, NULL, 1); }

hrkd_tensor *hrkd_dropout(hrkd_ctx *ctx, hrkd_tensor *x, float p)
{
    if (hrkd_op_bad(ctx, x, "dropout") || !hrkd_op_need_f32(ctx, x, "dropout")) return NULL;
    if (!(p >= 0.0f && p < 1.0f)) return hrkd_ctx_fail(ctx, "dropout: p = %g outside [0, 1)", (double)p);
    if (!ctx->training || p == 0.0f) return x;
    x = hrkd_dense(ctx, x);
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
    hrkd_node *node = hrkd_op_record(ctx, HRKD_OP_DROPOUT, out, &x, 1);
    if (node) { node->f[0] = p; node->i[0] = (int64_t)offset; }
    return out;
}

hrkd_tensor *hrkd_embedding(hrkd_ctx *ctx, hrkd_tensor *table, hrkd_tensor *ids)
{
    if (hrkd_op_bad(ctx, table, "embedding") || hrkd_op_bad(ctx, ids, "embedding")) return NULL;
    char s1[64], s2[64];
    if (table->ndim != 2 || ids->dtype != HRKD_I32 || ids->ndim >= HRKD_MAX_DIMS ||
        !hrkd_tensor_is_contiguous(ids) || !hrkd_tensor_is_contiguous(table))
        return hrkd_ctx_fail(ctx, "embedding: table %s (expected [V, C]) and int32 ids %s",
                             SHAPE(table, s1), SHAPE(ids, s2));
    int64_t n = hrkd_tensor_numel(ids), V = table->shape[0], C = table->shape[1];
    const int32_t *h = hrkd_op_ids_to_host(ctx, ids, n, "embedding");
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
    hrkd_node *node = hrkd_op_record(ctx, HRKD_OP_EMBEDDING, out, in, 1); /* ids take no gradient */
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
    hrkd_node *node = hrkd_op_record(ctx, HRKD_OP_CONCAT, out, xs, n > HRKD_NODE_MAX_IN ? 0 : n);
    if (!node && hrkd_op_needs_grad(ctx, xs, n) && n > HRKD_NODE_MAX_IN) {
        hrkd_grad_defer(ctx, out);
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
