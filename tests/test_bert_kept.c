/* tests/test_bert_kept.c — the teacher's forward of a distillation (hrkd_bert_forward_kept):
 * the kept layers' hidden states and attention scores and the pooled output are those of
 * hrkd_bert_forward bit for bit, the layers not kept are NULL, and the ctx holds far less at
 * its peak than a whole forward. Also the arena marks it is built on (hrkd_ctx_mark_get /
 * hrkd_ctx_rewind): memory given back is handed out again, the next step's one chunk covers the
 * peak, and a rewind is refused once the tape has grown. */
#include <string.h>

#include "common/backend.h"
#include "common/test.h"
#include "core/core.h"
#include "model/bert.h"

static int same(hrkd_ctx *ctx, const hrkd_tensor *a, const hrkd_tensor *b)
{
    if (!a || !b || hrkd_tensor_numel(a) != hrkd_tensor_numel(b)) return 0;
    int64_t n = hrkd_tensor_numel(a);
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    int ok = x && y && !hrkd_tensor_to_host(ctx, a, x) && !hrkd_tensor_to_host(ctx, b, y) &&
             !memcmp(x, y, (size_t)n * sizeof *x);
    free(x);
    free(y);
    return ok;
}

static void marks(hrkd_backend *be)
{
    hrkd_error err = {0};
    hrkd_ctx *ctx = hrkd_ctx_create(be, &err);
    const int64_t n = 1000;
    hrkd_ctx_set_grad(ctx, 0);
    hrkd_tensor *a = hrkd_tensor_new(ctx, 1, &n);
    hrkd_ctx_mark mk = hrkd_ctx_mark_get(ctx);
    hrkd_tensor *b = hrkd_tensor_new(ctx, 1, &n);
    void *b_data = b->data;
    const int64_t big = 1 << 20; /* a chunk of its own, freed by the rewind */
    CHECK(hrkd_tensor_new(ctx, 1, &big) != NULL);
    CHECK(hrkd_ctx_rewind(ctx, &mk) == 0);
    hrkd_tensor *c = hrkd_tensor_new(ctx, 1, &n);
    CHECK(c && c->data == b_data); /* the same memory again */
    CHECK(a->data != c->data);
    /* the next step gets one chunk for the peak, the given-back chunk's bytes included */
    hrkd_ctx_reset(ctx);
    CHECKF(hrkd_ctx_arena_bytes(ctx) >= hrkd_ctx_arena_peak(ctx), "arena %zu bytes after reset, peak %zu",
           hrkd_ctx_arena_bytes(ctx), hrkd_ctx_arena_peak(ctx));
    /* with the tape grown since the mark nothing is given back */
    hrkd_ctx_set_grad(ctx, 1);
    hrkd_tensor *p = hrkd_tensor_set_requires_grad(ctx, hrkd_tensor_zeros(ctx, 1, &n));
    mk = hrkd_ctx_mark_get(ctx);
    hrkd_tensor *q = hrkd_scale(ctx, p, 2.0f);
    CHECK(hrkd_ctx_tape_len(ctx) > mk.tape_len);
    CHECK(hrkd_ctx_rewind(ctx, &mk) == -1);
    hrkd_tensor *r = hrkd_tensor_new(ctx, 1, &n);
    CHECK(q && r && r->data != q->data);
    hrkd_ctx_destroy(ctx);
}

int main(void)
{
    hrkd_error err = {0};
    hrkd_backend *be = test_backend_open("cpu", 1);
    marks(be);
    const int B = 3, T = 16;
    hrkd_bert_config c = hrkd_bert_config_default();
    c.layers = 6; c.hidden = 32; c.heads = 4; c.ffn = 128; c.vocab = 200; c.max_positions = 32;
    hrkd_bert *m = hrkd_bert_create(be, &c, "teacher", 0, 0, &err);
    CHECKF(m != NULL, "%s", err.msg);
    if (!m) return test_finish("test_bert_kept");
    hrkd_bert_init_weights(m, 11);
    int32_t ids[B * T], types[B * T];
    float mask[B * T];
    for (int i = 0; i < B * T; i++) {
        ids[i] = (int32_t)(hrkd_rng_u64(7, (uint64_t)i) % (uint64_t)c.vocab);
        types[i] = (i % T) >= T / 2;
        mask[i] = (i % T) < T - (i / T) * 3 ? 1.0f : 0.0f;
    }
    const int64_t bt[2] = {B, T};
    hrkd_ctx *full_ctx = hrkd_ctx_create(be, &err), *kept_ctx = hrkd_ctx_create(be, &err);
    hrkd_bert_out full, kept;
    const uint64_t keep = 1u << 0 | 1u << 2 | 1u << 5; /* layers 0, 2, 5 (and 6, the last, always) */
    hrkd_ctx *ctxs[2] = {full_ctx, kept_ctx};
    for (int k = 0; k < 2; k++) {
        hrkd_ctx *ctx = ctxs[k];
        hrkd_ctx_set_grad(ctx, 0);
        hrkd_tensor *ti = hrkd_tensor_from_host_i32(ctx, 2, bt, ids);
        hrkd_tensor *tt = hrkd_tensor_from_host_i32(ctx, 2, bt, types);
        hrkd_tensor *tm = hrkd_tensor_from_host(ctx, 2, bt, mask);
        int rc = k == 0 ? hrkd_bert_forward(m, ctx, ti, tt, tm, &full)
                        : hrkd_bert_forward_kept(m, ctx, ti, tt, tm, keep, &kept);
        CHECKF(rc == 0, "%s", hrkd_ctx_error(ctx)->msg);
    }
    for (int l = 0; l <= c.layers; l++) {
        const int want = (int)(keep >> l & 1) || l == c.layers;
        CHECKF(want ? same(kept_ctx, kept.hidden[l], full.hidden[l]) : kept.hidden[l] == NULL, "hidden %d", l);
        if (l > 0) CHECKF(want ? same(kept_ctx, kept.attn[l], full.attn[l]) : kept.attn[l] == NULL, "attn %d", l);
    }
    CHECK(kept.attn[0] == NULL);
    CHECK(same(kept_ctx, kept.pooled, full.pooled));
    /* a whole forward holds every layer's intermediates; the kept one about one layer's */
    size_t pf = hrkd_ctx_arena_peak(full_ctx), pk = hrkd_ctx_arena_peak(kept_ctx);
    CHECKF(pk * 2 < pf, "peak of the kept forward %zu bytes, of the whole forward %zu", pk, pf);
    hrkd_ctx_destroy(full_ctx);
    hrkd_ctx_destroy(kept_ctx);
    hrkd_bert_destroy(m);
    hrkd_backend_unload(be);
    return test_finish("test_bert_kept");
}
