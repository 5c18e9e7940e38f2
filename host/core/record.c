/* host/core/record.c — the steps every op builder shares around its kernel: a NULL or
 * wrongly typed input refused with a message, int32 ids read back for range checks, and the
 * tape node that backward.c replays, pushed only when a gradient flows. */
#include "core/internal.h"

#include <stdlib.h>

int hrkd_op_needs_grad(hrkd_ctx *ctx, hrkd_tensor *const *in, int n)
{
    if (!ctx->grad_enabled) return 0;
    for (int i = 0; i < n; i++)
        if (in[i] && in[i]->requires_grad) return 1;
    return 0;
}

/* Record a node when gradients flow; out's gradient comes in backward (grad.c). */
hrkd_node *hrkd_op_record(hrkd_ctx *ctx, hrkd_op op, hrkd_tensor *out, hrkd_tensor *const *in, int n)
{
    if (!out || !hrkd_op_needs_grad(ctx, in, n)) return NULL;
    hrkd_grad_defer(ctx, out);
    hrkd_node *node = hrkd_ctx_push(ctx, op, out);
    if (!node) return NULL;
    node->n_in = n;
    for (int i = 0; i < n; i++) node->in[i] = in[i];
    return node;
}

/* An op given a NULL input records why (unless an earlier failure already did). */
int hrkd_op_bad(hrkd_ctx *ctx, hrkd_tensor *a, const char *op)
{
    if (hrkd_ctx_failed(ctx)) return 1;
    if (!a) hrkd_ctx_fail(ctx, "%s: an input is NULL", op);
    return !a;
}

hrkd_tensor *hrkd_op_need_f32(hrkd_ctx *ctx, hrkd_tensor *x, const char *op)
{
    if (x->dtype != HRKD_F32) return hrkd_ctx_fail(ctx, "%s: expected a float32 tensor", op);
    return x;
}

/* Copy int32 indices to the ctx's host scratch (for range checks before any kernel runs). */
const int32_t *hrkd_op_ids_to_host(hrkd_ctx *ctx, const hrkd_tensor *ids, int64_t n, const char *op)
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
