/* host/core/grad.c — gradients of a step's tensors, given out when backward needs them and
 * taken back as soon as it is done with them.
 *
 * An op's output records that it takes a gradient (requires_grad) but gets no memory for it.
 * hrkd_backward gives a tensor its zeroed gradient when the first consumer's backward adds to
 * it, and takes it back once the tensor's own node has run: every consumer of a tensor comes
 * later on the tape than the node that made it, so by then nothing will read that gradient
 * again. Memory taken back goes on a free list and is handed out again to a later gradient of
 * the same size (the shapes of a model's layers repeat), so a step holds its activations and
 * the few gradients in flight, not one gradient per activation.
 *
 * A view shares its base's gradient storage: a view of a tensor whose gradient is not there
 * yet records its base and offset, and gets its pointer when backward first reaches it.
 * Leaves (hrkd_tensor_set_requires_grad) and parameters keep their gradients throughout.
 *
 * The records live in ctx->grad_refs; a tensor names its own by grad_ref (index + 1; 0: none).
 * tensor.c empties both lists at hrkd_ctx_reset; a rewind drops the records made since its
 * mark and the whole free list (it may point into memory given back). */
#include "core/internal.h"

#include <stdlib.h>

static grad_ref *ref_of(hrkd_ctx *ctx, const hrkd_tensor *t)
{
    int32_t r = t->grad_ref;
    return r > 0 && r <= ctx->n_grad_refs ? &ctx->grad_refs[r - 1] : NULL;
}

static int ref_add(hrkd_ctx *ctx, hrkd_tensor *t, hrkd_tensor *base, int64_t off)
{
    if (ctx->n_grad_refs == ctx->cap_grad_refs) {
        int nc = ctx->cap_grad_refs ? ctx->cap_grad_refs * 2 : 256;
        grad_ref *r = realloc(ctx->grad_refs, (size_t)nc * sizeof *r);
        if (!r) {
            hrkd_ctx_fail(ctx, "out of memory (gradient records)");
            return -1;
        }
        ctx->grad_refs = r;
        ctx->cap_grad_refs = nc;
    }
    ctx->grad_refs[ctx->n_grad_refs++] = (grad_ref){.t = t, .base = base, .off = off};
    t->grad_ref = ctx->n_grad_refs;
    return 0;
}

void hrkd_grad_defer(hrkd_ctx *ctx, hrkd_tensor *t)
{
    t->grad = NULL;
    t->requires_grad = 1;
    if (ref_add(ctx, t, NULL, 0) != 0) t->requires_grad = 0;
}

void hrkd_grad_view(hrkd_ctx *ctx, hrkd_tensor *v, hrkd_tensor *x, int64_t off)
{
    v->grad_ref = 0;
    if (!x->requires_grad) return;
    if (x->grad) {
        v->grad = x->grad + off;
        return;
    }
    v->grad = NULL;
    if (ref_add(ctx, v, x, off) != 0) v->requires_grad = 0;
}

/* a zeroed buffer of n floats: the free list's smallest that fits (up to twice n), else new;
 * *cap: its size */
static float *take(hrkd_ctx *ctx, int64_t n, int64_t *cap)
{
    int best = -1;
    for (int i = 0; i < ctx->n_grad_free; i++) {
        int64_t m = ctx->grad_free[i].n;
        if (m >= n && m <= 2 * n && (best < 0 || m < ctx->grad_free[best].n)) best = i;
    }
    float *p;
    if (best >= 0) {
        p = ctx->grad_free[best].p;
        *cap = ctx->grad_free[best].n;
        ctx->grad_free[best] = ctx->grad_free[--ctx->n_grad_free];
    } else {
        p = hrkd_ctx_alloc_f32(ctx, n);
        if (!p) return NULL;
        *cap = n;
    }
    ctx->k->fill(p, 0.0f, n);
    return p;
}

int hrkd_grad_get(hrkd_ctx *ctx, hrkd_tensor *t)
{
    if (!t->requires_grad || t->grad) return 0;
    grad_ref *r = ref_of(ctx, t);
    if (!r) {
        hrkd_ctx_fail(ctx, "backward: a tensor that requires grad has no gradient");
        return -1;
    }
    if (r->base || r->t != t) { /* a view, or a copy of the tensor's struct: share its storage */
        hrkd_tensor *base = r->base ? r->base : r->t;
        int64_t off = r->base ? r->off : 0;
        if (hrkd_grad_get(ctx, base) != 0) return -1;
        t->grad = base->grad + off;
        return 0;
    }
    t->grad = take(ctx, hrkd_tensor_numel(t), &r->cap);
    return t->grad ? 0 : -1;
}

void hrkd_grad_release(hrkd_ctx *ctx, hrkd_tensor *t)
{
    grad_ref *r = ref_of(ctx, t);
    if (!t->grad || !r || r->t != t || r->base) return; /* a leaf's, a view's or a copy's */
    if (ctx->n_grad_free == ctx->cap_grad_free) {
        int nc = ctx->cap_grad_free ? ctx->cap_grad_free * 2 : 64;
        grad_buf *f = realloc(ctx->grad_free, (size_t)nc * sizeof *f);
        if (!f) return; /* kept until the reset: only memory not reused */
        ctx->grad_free = f;
        ctx->cap_grad_free = nc;
    }
    ctx->grad_free[ctx->n_grad_free++] = (grad_buf){.p = t->grad, .n = r->cap};
    t->grad = NULL;
}
