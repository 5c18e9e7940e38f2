/* host/core/tensor.c — contexts (arena + tape), tensor creation and host transfer
 * (views: view.c).
 *
 * Memory: every tensor a step creates lives in the ctx's arenas (backend memory for data and
 * gradients, host memory for the structs and tape nodes). hrkd_ctx_reset() rewinds them; when
 * a step needed more than one chunk, the chunks are merged into one at reset so the next step
 * allocates nothing. Code that runs without the tape can give back what it built since a mark
 * (hrkd_ctx_mark_get / hrkd_ctx_rewind, core.h): a teacher's forward keeps one layer's
 * intermediates at a time. */
#include "core/internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* grad_ref sits in what was the padding after requires_grad: on 64-bit targets a plugin built
 * against an older hrkd/tensor.h sees the same size and offsets */
_Static_assert(sizeof(void *) != 8 || (sizeof(hrkd_tensor) == 104 && offsetof(hrkd_tensor, name) == 96),
               "hrkd_tensor's layout is part of the plugin ABI");

#define ARENA_ALIGN 64
#define ARENA_MIN_CHUNK ((size_t)1 << 20)

static void *arena_raw_alloc(arena *a, size_t bytes)
{
    return a->device ? a->k->alloc(bytes) : aligned_alloc(ARENA_ALIGN, bytes);
}

static void arena_raw_free(arena *a, void *p)
{
    if (a->device) a->k->free(p);
    else free(p);
}

void *hrkd_arena_alloc(arena *a, size_t bytes)
{
    bytes = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (bytes == 0) bytes = ARENA_ALIGN;
    if (a->n > 0) {
        arena_chunk *c = &a->chunks[a->n - 1];
        if (c->used + bytes <= c->cap) {
            void *p = c->base + c->used;
            c->used += bytes;
            a->in_use += bytes;
            if (a->in_use > a->peak) a->peak = a->in_use;
            return p;
        }
    }
    size_t cap = a->n > 0 ? a->chunks[a->n - 1].cap * 2 : ARENA_MIN_CHUNK;
    if (cap < bytes) cap = bytes;
    if (a->n == a->cap_chunks) {
        int nc = a->cap_chunks ? a->cap_chunks * 2 : 8;
        arena_chunk *ch = realloc(a->chunks, (size_t)nc * sizeof *ch);
        if (!ch) return NULL;
        a->chunks = ch;
        a->cap_chunks = nc;
    }
    char *base = arena_raw_alloc(a, cap);
    if (!base) return NULL;
    a->chunks[a->n++] = (arena_chunk){base, cap, bytes};
    a->in_use += bytes;
    if (a->in_use > a->peak) a->peak = a->in_use;
    return base;
}

static void arena_reset(arena *a)
{
    if (a->n > 1 || (a->n == 1 && a->peak > a->chunks[0].cap)) {
        /* merge into one chunk the size of the largest step seen (plus 1/16 headroom); also
         * when chunks a rewind gave back held more than the one left */
        size_t want = a->peak + a->peak / 16;
        for (int i = 0; i < a->n; i++) arena_raw_free(a, a->chunks[i].base);
        a->n = 0;
        char *base = arena_raw_alloc(a, want);
        if (base) a->chunks[a->n++] = (arena_chunk){base, want, 0};
    } else if (a->n == 1) {
        a->chunks[0].used = 0;
    }
    a->in_use = 0;
}

/* Back to a point of this step: the chunks added since are freed (their bytes still count in
 * the peak, so the next reset sizes the one chunk for them). */
static void arena_rewind(arena *a, int n, size_t used, size_t in_use)
{
    while (a->n > n && a->n > 0) arena_raw_free(a, a->chunks[--a->n].base);
    if (a->n > 0) a->chunks[a->n - 1].used = used;
    a->in_use = in_use;
}

static void arena_free(arena *a)
{
    for (int i = 0; i < a->n; i++) arena_raw_free(a, a->chunks[i].base);
    free(a->chunks);
    memset(a, 0, sizeof *a);
}

static size_t arena_capacity(const arena *a)
{
    size_t s = 0;
    for (int i = 0; i < a->n; i++) s += a->chunks[i].cap;
    return s;
}

hrkd_ctx *hrkd_ctx_create(hrkd_backend *be, hrkd_error *err)
{
    hrkd_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        return NULL;
    }
    be->refs++;
    ctx->be = be;
    ctx->k  = be->k;
    ctx->dev.device = 1;
    ctx->dev.k = be->k;
    ctx->host.device = 0;
    ctx->grad_enabled = 1;
    ctx->training = 0;
    ctx->rng_seed = 0x5eed;
    return ctx;
}

void hrkd_ctx_destroy(hrkd_ctx *ctx)
{
    if (!ctx) return;
    arena_free(&ctx->dev);
    arena_free(&ctx->host);
    free(ctx->tape);
    free(ctx->scratch_i32);
    free(ctx->grad_refs);
    free(ctx->grad_free);
    hrkd_backend_unload(ctx->be);
    free(ctx);
}

void hrkd_ctx_reset(hrkd_ctx *ctx)
{
    arena_reset(&ctx->dev);
    arena_reset(&ctx->host);
    ctx->tape_len = 0;
    ctx->n_grad_refs = 0; /* grad.c's lists: the tensors and memory they name are gone */
    ctx->n_grad_free = 0;
}

hrkd_ctx_mark hrkd_ctx_mark_get(const hrkd_ctx *ctx)
{
    const arena *d = &ctx->dev, *h = &ctx->host;
    return (hrkd_ctx_mark){.dev_n = d->n, .host_n = h->n, .tape_len = ctx->tape_len,
                           .grad_refs = ctx->n_grad_refs,
                           .dev_used = d->n ? d->chunks[d->n - 1].used : 0,
                           .host_used = h->n ? h->chunks[h->n - 1].used : 0,
                           .dev_in_use = d->in_use, .host_in_use = h->in_use};
}

int hrkd_ctx_rewind(hrkd_ctx *ctx, const hrkd_ctx_mark *m)
{
    /* a node recorded since would point into the memory given back: keep everything */
    if (ctx->tape_len != m->tape_len || ctx->dev.n < m->dev_n || ctx->host.n < m->host_n) return -1;
    arena_rewind(&ctx->dev, m->dev_n, m->dev_used, m->dev_in_use);
    arena_rewind(&ctx->host, m->host_n, m->host_used, m->host_in_use);
    /* grad.c's records of the tensors given back, and its free list (it may name memory
     * given back) */
    if (m->grad_refs < ctx->n_grad_refs) ctx->n_grad_refs = m->grad_refs;
    ctx->n_grad_free = 0;
    return 0;
}

size_t hrkd_ctx_arena_peak(const hrkd_ctx *ctx) { return ctx->dev.peak; }

void hrkd_ctx_set_training(hrkd_ctx *ctx, int training) { ctx->training = training; }
void hrkd_ctx_set_grad(hrkd_ctx *ctx, int enabled) { ctx->grad_enabled = enabled; }
int hrkd_ctx_grad_enabled(const hrkd_ctx *ctx) { return ctx->grad_enabled; }
int hrkd_ctx_training(const hrkd_ctx *ctx) { return ctx->training; }
void hrkd_ctx_set_rng(hrkd_ctx *ctx, uint64_t seed, uint64_t counter)
{
    ctx->rng_seed = seed;
    ctx->rng_counter = counter;
}
void hrkd_ctx_set_batch_shard(hrkd_ctx *ctx, int64_t lo, int64_t n, int64_t global)
{
    ctx->shard_lo = n > 0 ? lo : 0;
    ctx->shard_n = n > 0 ? n : 0;
    ctx->shard_global = n > 0 ? global : 0;
}
uint64_t hrkd_ctx_rng_counter(const hrkd_ctx *ctx) { return ctx->rng_counter; }
uint64_t hrkd_ctx_rng_seed(const hrkd_ctx *ctx) { return ctx->rng_seed; }
int hrkd_ctx_failed(const hrkd_ctx *ctx) { return ctx->err.status != HRKD_STATUS_OK; }
const hrkd_error *hrkd_ctx_error(const hrkd_ctx *ctx) { return &ctx->err; }
hrkd_error *hrkd_ctx_err(hrkd_ctx *ctx) { return &ctx->err; }
void hrkd_ctx_clear_error(hrkd_ctx *ctx) { hrkd_error_clear(&ctx->err); }
const hrkd_kernels *hrkd_ctx_kernels(const hrkd_ctx *ctx) { return ctx->k; }
hrkd_backend *hrkd_ctx_backend(const hrkd_ctx *ctx) { return ctx->be; }
size_t hrkd_ctx_arena_bytes(const hrkd_ctx *ctx) { return arena_capacity(&ctx->dev); }
int hrkd_ctx_tape_len(const hrkd_ctx *ctx) { return ctx->tape_len; }

hrkd_tensor *hrkd_ctx_fail(hrkd_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hrkd_error_vset(&ctx->err, HRKD_STATUS_INVALID, fmt, ap);
    va_end(ap);
    return NULL;
}

float *hrkd_ctx_alloc_f32(hrkd_ctx *ctx, int64_t n)
{
    float *p = hrkd_arena_alloc(&ctx->dev, (size_t)(n > 0 ? n : 1) * sizeof(float));
    if (!p) hrkd_error_set(&ctx->err, HRKD_STATUS_NOMEM, "out of backend memory (%lld floats)",
                           (long long)n);
    return p;
}

void *hrkd_ctx_alloc_host(hrkd_ctx *ctx, size_t bytes)
{
    void *p = hrkd_arena_alloc(&ctx->host, bytes);
    if (!p) hrkd_error_set(&ctx->err, HRKD_STATUS_NOMEM, "out of host memory");
    else memset(p, 0, bytes);
    return p;
}

hrkd_node *hrkd_ctx_push(hrkd_ctx *ctx, hrkd_op op, hrkd_tensor *out)
{
    if (ctx->tape_len == ctx->tape_cap) {
        int nc = ctx->tape_cap ? ctx->tape_cap * 2 : 256;
        hrkd_node **t = realloc(ctx->tape, (size_t)nc * sizeof *t);
        if (!t) {
            hrkd_error_set(&ctx->err, HRKD_STATUS_NOMEM, "out of memory (tape)");
            return NULL;
        }
        ctx->tape = t;
        ctx->tape_cap = nc;
    }
    hrkd_node *n = hrkd_ctx_alloc_host(ctx, sizeof *n);
    if (!n) return NULL;
    n->op = op;
    n->out = out;
    ctx->tape[ctx->tape_len++] = n;
    return n;
}

void hrkd_contiguous_strides(int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        stride[d] = s;
        s *= shape[d];
    }
}

int64_t hrkd_tensor_numel(const hrkd_tensor *t)
{
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

int hrkd_tensor_is_contiguous(const hrkd_tensor *t)
{
    int64_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->stride[d] != s) return 0;
        s *= t->shape[d];
    }
    return 1;
}

const char *hrkd_shape_str(const hrkd_tensor *t, char *buf, size_t cap)
{
    size_t u = 0;
    u += (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < t->ndim && u < cap; d++)
        u += (size_t)snprintf(buf + u, cap - u, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    if (u < cap) snprintf(buf + u, cap - u, "]");
    return buf;
}

void hrkd_to4(const hrkd_tensor *t, int64_t shape4[4], int64_t stride4[4])
{
    int pad = 4 - t->ndim;
    for (int d = 0; d < 4; d++) {
        shape4[d]  = d < pad ? 1 : t->shape[d - pad];
        stride4[d] = d < pad ? 0 : t->stride[d - pad];
    }
}

int hrkd_check_shape(hrkd_ctx *ctx, int ndim, const int64_t *shape, const char *what)
{
    if (ndim < 1 || ndim > HRKD_MAX_DIMS) {
        hrkd_ctx_fail(ctx, "%s: %d dimensions (1..%d supported)", what, ndim, HRKD_MAX_DIMS);
        return -1;
    }
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0) {
            hrkd_ctx_fail(ctx, "%s: negative size %lld in dimension %d", what,
                          (long long)shape[d], d);
            return -1;
        }
    return 0;
}

hrkd_tensor *hrkd_tensor_alloc_like(hrkd_ctx *ctx, int ndim, const int64_t *shape, hrkd_dtype dt)
{
    if (hrkd_ctx_failed(ctx) || hrkd_check_shape(ctx, ndim, shape, "tensor") != 0) return NULL;
    hrkd_tensor *t = hrkd_ctx_alloc_host(ctx, sizeof *t);
    if (!t) return NULL;
    t->dtype = dt;
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    hrkd_contiguous_strides(ndim, shape, t->stride);
    t->data = hrkd_ctx_alloc_f32(ctx, hrkd_tensor_numel(t)); /* int32 has the same size */
    return t->data ? t : NULL;
}

hrkd_tensor *hrkd_tensor_new(hrkd_ctx *ctx, int ndim, const int64_t *shape)
{
    return hrkd_tensor_alloc_like(ctx, ndim, shape, HRKD_F32);
}

hrkd_tensor *hrkd_tensor_new_i32(hrkd_ctx *ctx, int ndim, const int64_t *shape)
{
    return hrkd_tensor_alloc_like(ctx, ndim, shape, HRKD_I32);
}

hrkd_tensor *hrkd_tensor_zeros(hrkd_ctx *ctx, int ndim, const int64_t *shape)
{
    hrkd_tensor *t = hrkd_tensor_new(ctx, ndim, shape);
    if (t) ctx->k->fill(t->data, 0.0f, hrkd_tensor_numel(t));
    return t;
}

hrkd_tensor *hrkd_tensor_from_host(hrkd_ctx *ctx, int ndim, const int64_t *shape, const float *host)
{
    hrkd_tensor *t = hrkd_tensor_new(ctx, ndim, shape);
    if (t) ctx->k->copy_h2d(t->data, host, (size_t)hrkd_tensor_numel(t) * sizeof(float));
    return t;
}

hrkd_tensor *hrkd_tensor_from_host_i32(hrkd_ctx *ctx, int ndim, const int64_t *shape,
                                       const int32_t *host)
{
    hrkd_tensor *t = hrkd_tensor_new_i32(ctx, ndim, shape);
    if (t) ctx->k->copy_h2d(t->data, host, (size_t)hrkd_tensor_numel(t) * sizeof(int32_t));
    return t;
}

void hrkd_tensor_make_grad(hrkd_ctx *ctx, hrkd_tensor *t)
{
    int64_t n = hrkd_tensor_numel(t);
    t->grad = hrkd_ctx_alloc_f32(ctx, n);
    if (t->grad) ctx->k->fill(t->grad, 0.0f, n);
    t->requires_grad = t->grad != NULL;
    t->grad_ref = 0; /* its own, kept through backward */
}

hrkd_tensor *hrkd_tensor_set_requires_grad(hrkd_ctx *ctx, hrkd_tensor *t)
{
    if (!t) return NULL;
    if (t->dtype != HRKD_F32) return hrkd_ctx_fail(ctx, "requires_grad on an int32 tensor");
    if (!hrkd_tensor_is_contiguous(t))
        return hrkd_ctx_fail(ctx, "requires_grad on a non-contiguous view");
    if (!t->grad) hrkd_tensor_make_grad(ctx, t);
    return t;
}

/* Copy data (or grad) of any view densely to host: gather on the device, then one copy. */
static int to_host(hrkd_ctx *ctx, const hrkd_tensor *t, const float *src, float *host)
{
    if (!t || !src) return -1;
    int64_t n = hrkd_tensor_numel(t);
    if (hrkd_tensor_is_contiguous(t)) {
        ctx->k->copy_d2h(host, src, (size_t)n * sizeof(float));
        return 0;
    }
    float *tmp = hrkd_ctx_alloc_f32(ctx, n);
    if (!tmp) return -1;
    int64_t sh[4], st[4], dst[4];
    hrkd_to4(t, sh, st);
    hrkd_contiguous_strides(4, sh, dst);
    ctx->k->copy_strided(tmp, dst, src, st, sh, 1.0f, 0);
    ctx->k->copy_d2h(host, tmp, (size_t)n * sizeof(float));
    return 0;
}

int hrkd_tensor_to_host(hrkd_ctx *ctx, const hrkd_tensor *t, float *host)
{
    return t ? to_host(ctx, t, t->data, host) : -1;
}

int hrkd_tensor_grad_to_host(hrkd_ctx *ctx, const hrkd_tensor *t, float *host)
{
    return t ? to_host(ctx, t, t->grad, host) : -1;
}

float hrkd_tensor_item(hrkd_ctx *ctx, const hrkd_tensor *t)
{
    float v = 0.0f;
    if (t) ctx->k->copy_d2h(&v, t->data, sizeof v);
    return v;
}
