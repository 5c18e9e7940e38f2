/* host/core/view.c — views (reshape, permute, transpose, slice, detach) share their input's
 * memory and only rewrite shape and strides; hrkd_contiguous copies a view densely (on the
 * tape), and hrkd_dense does so only when a kernel needs it. */
#include "core/internal.h"

#include <string.h>

hrkd_tensor *hrkd_dense(hrkd_ctx *ctx, hrkd_tensor *x)
{
    return hrkd_tensor_is_contiguous(x) ? x : hrkd_contiguous(ctx, x);
}

hrkd_tensor *hrkd_contiguous(hrkd_ctx *ctx, hrkd_tensor *x)
{
    if (hrkd_op_bad(ctx, x, "contiguous")) return NULL;
    hrkd_tensor *out = hrkd_tensor_alloc_like(ctx, x->ndim, x->shape, x->dtype);
    if (!out) return NULL;
    int64_t sh[4], st[4], dst[4];
    hrkd_to4(x, sh, st);
    hrkd_contiguous_strides(4, sh, dst);
    ctx->k->copy_strided(out->data, dst, x->data, st, sh, 1.0f, 0);
    hrkd_op_record(ctx, HRKD_OP_CONTIGUOUS, out, &x, 1);
    return out;
}

/* a copy of x's struct that shares its gradient from element off on (grad.c) */
static hrkd_tensor *view_of(hrkd_ctx *ctx, hrkd_tensor *x, int64_t off)
{
    hrkd_tensor *v = hrkd_ctx_alloc_host(ctx, sizeof *v);
    if (!v) return NULL;
    *v = *x;
    hrkd_grad_view(ctx, v, x, off);
    return v;
}

hrkd_tensor *hrkd_reshape(hrkd_ctx *ctx, hrkd_tensor *x, int ndim, const int64_t *shape)
{
    if (hrkd_ctx_failed(ctx)) return NULL;
    if (!x) return hrkd_ctx_fail(ctx, "reshape: the input is NULL");
    if (hrkd_check_shape(ctx, ndim, shape, "reshape") != 0) return NULL;
    int64_t n = 1, infer = -1;
    int64_t sh[HRKD_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        sh[d] = shape[d];
        if (shape[d] == -1) infer = d;
        else n *= shape[d];
    }
    int64_t numel = hrkd_tensor_numel(x);
    if (infer >= 0 && n > 0) sh[infer] = numel / n, n *= sh[infer];
    char a[64], b[64];
    if (n != numel) {
        hrkd_tensor tmp = {.ndim = ndim};
        memcpy(tmp.shape, sh, (size_t)ndim * sizeof *sh);
        return hrkd_ctx_fail(ctx, "reshape: cannot view %s as %s", hrkd_shape_str(x, a, sizeof a),
                             hrkd_shape_str(&tmp, b, sizeof b));
    }
    if (!hrkd_tensor_is_contiguous(x)) x = hrkd_contiguous(ctx, x);
    hrkd_tensor *v = x ? view_of(ctx, x, 0) : NULL;
    if (!v) return NULL;
    v->ndim = ndim;
    memcpy(v->shape, sh, (size_t)ndim * sizeof *sh);
    hrkd_contiguous_strides(ndim, sh, v->stride);
    return v;
}

hrkd_tensor *hrkd_permute(hrkd_ctx *ctx, hrkd_tensor *x, const int *perm)
{
    if (hrkd_ctx_failed(ctx)) return NULL;
    if (!x) return hrkd_ctx_fail(ctx, "permute: the input is NULL");
    int seen[HRKD_MAX_DIMS] = {0};
    for (int d = 0; d < x->ndim; d++) {
        if (perm[d] < 0 || perm[d] >= x->ndim || seen[perm[d]]++)
            return hrkd_ctx_fail(ctx, "permute: invalid permutation for %d dimensions", x->ndim);
    }
    hrkd_tensor *v = view_of(ctx, x, 0);
    if (!v) return NULL;
    for (int d = 0; d < x->ndim; d++) {
        v->shape[d]  = x->shape[perm[d]];
        v->stride[d] = x->stride[perm[d]];
    }
    return v;
}

hrkd_tensor *hrkd_transpose(hrkd_ctx *ctx, hrkd_tensor *x, int d0, int d1)
{
    if (hrkd_ctx_failed(ctx)) return NULL;
    if (!x) return hrkd_ctx_fail(ctx, "transpose: the input is NULL");
    if (d0 < 0) d0 += x->ndim;
    if (d1 < 0) d1 += x->ndim;
    if (d0 < 0 || d1 < 0 || d0 >= x->ndim || d1 >= x->ndim)
        return hrkd_ctx_fail(ctx, "transpose: dimensions %d, %d out of range for %d", d0, d1,
                             x->ndim);
    int perm[HRKD_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) perm[d] = d;
    perm[d0] = d1;
    perm[d1] = d0;
    return hrkd_permute(ctx, x, perm);
}

hrkd_tensor *hrkd_slice(hrkd_ctx *ctx, hrkd_tensor *x, int axis, int64_t start, int64_t len)
{
    if (hrkd_ctx_failed(ctx)) return NULL;
    if (!x) return hrkd_ctx_fail(ctx, "slice: the input is NULL");
    if (axis < 0) axis += x->ndim;
    char a[64];
    if (axis < 0 || axis >= x->ndim || start < 0 || len < 0 || start + len > x->shape[axis])
        return hrkd_ctx_fail(ctx, "slice: [%lld, %lld) along axis %d out of range for %s",
                             (long long)start, (long long)(start + len), axis,
                             hrkd_shape_str(x, a, sizeof a));
    int64_t off = start * x->stride[axis];
    hrkd_tensor *v = view_of(ctx, x, off);
    if (!v) return NULL;
    v->shape[axis] = len;
    v->data = (char *)x->data + off * 4;
    return v;
}

hrkd_tensor *hrkd_detach(hrkd_ctx *ctx, hrkd_tensor *x)
{
    if (hrkd_ctx_failed(ctx)) return NULL;
    if (!x) return hrkd_ctx_fail(ctx, "detach: the input is NULL");
    hrkd_tensor *v = hrkd_ctx_alloc_host(ctx, sizeof *v);
    if (!v) return NULL;
    *v = *x;
    v->grad = NULL;
    v->requires_grad = 0;
    v->grad_ref = 0;
    return v;
}
