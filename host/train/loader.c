/* host/train/loader.c — batches of the training data (see loader.h). */
#include "train/loader.h"

#include "core/core.h"

#include <stdlib.h>
#include <string.h>

int hrkd_batch_upload(hrkd_ctx *ctx, const hrkd_batch *b, hrkd_tensor **ids, hrkd_tensor **types,
                      hrkd_tensor **mask, hrkd_tensor **labels)
{
    int64_t bt[2] = {b->B, b->T};
    *ids = hrkd_tensor_from_host_i32(ctx, 2, bt, b->ids);
    *types = hrkd_tensor_from_host_i32(ctx, 2, bt, b->types);
    hrkd_tensor *mi = hrkd_tensor_new(ctx, 2, bt);
    float *h = mi ? hrkd_ctx_alloc_host(ctx, (size_t)(b->B * b->T) * sizeof *h) : NULL;
    if (h) { /* host arena: no allocation in a steady-state step */
        for (int64_t i = 0; i < b->B * b->T; i++) h[i] = b->mask[i] ? 1.0f : 0.0f;
        hrkd_ctx_kernels(ctx)->copy_h2d(mi->data, h, (size_t)(b->B * b->T) * sizeof *h);
    }
    *mask = mi;
    if (labels) *labels = hrkd_tensor_from_host_i32(ctx, 1, &b->B, b->labels);
    return hrkd_ctx_failed(ctx) ? -1 : 0;
}

hrkd_batch hrkd_split_rows(const hrkd_split_data *s, int64_t i, int64_t k)
{
    return (hrkd_batch){.B = k, .T = s->T, .ids = s->ids + i * s->T, .types = s->types + i * s->T,
                        .mask = s->mask + i * s->T, .labels = s->labels + i};
}

int64_t hrkd_batch_longest(const int32_t *mask, int64_t T, const int64_t *rows, int64_t B)
{
    int64_t len = 1;
    for (int64_t i = 0; i < B; i++) {
        const int32_t *m = mask + (rows ? rows[i] : i) * T;
        for (int64_t t = T - 1; t >= len; t--)
            if (m[t]) { len = t + 1; break; }
    }
    len = (len + HRKD_PAD_MULTIPLE - 1) / HRKD_PAD_MULTIPLE * HRKD_PAD_MULTIPLE;
    return len < T ? len : T;
}

hrkd_batch hrkd_batch_cut(const hrkd_batch *b, int64_t T2, int32_t *ids, int32_t *types, int32_t *mask)
{
    hrkd_batch c = *b;
    for (int64_t i = 0; i < b->B; i++) {
        memcpy(ids + i * T2, b->ids + i * b->T, (size_t)T2 * sizeof *ids);
        memcpy(types + i * T2, b->types + i * b->T, (size_t)T2 * sizeof *types);
        memcpy(mask + i * T2, b->mask + i * b->T, (size_t)T2 * sizeof *mask);
    }
    c.T = T2;
    c.ids = ids;
    c.types = types;
    c.mask = mask;
    return c;
}

static void permute(int64_t *p, int64_t n, uint64_t seed, int d, int64_t epoch)
{
    uint64_t s = seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(d + 1)) ^ ((uint64_t)epoch << 32);
    for (int64_t i = 0; i < n; i++) p[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(hrkd_rng_u64(s, (uint64_t)i) % (uint64_t)(i + 1));
        int64_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

/* One row of a chunk being sorted: its length, its place in the shuffled order, the row. */
typedef struct ranked {
    int32_t len;
    int64_t at, row;
} ranked;

static int by_length(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* hrkd_loader_init's buckets on the epoch order of domain d (see loader.h), in the loader's
 * scratch (chunk positions). */
static void bucket(hrkd_loader *l, int d, int64_t epoch)
{
    const int64_t n = l->n[d], B = l->B, chunk = l->buckets * B;
    int64_t *p = l->perm[d], *blocks = l->scratch_blocks, *tmp = l->scratch_rows;
    ranked *r = l->scratch_ranked;
    const uint64_t s = l->seed ^ 0xD1B54A32D192ED03ull ^ (0x9E3779B97F4A7C15ull * (uint64_t)(d + 1)) ^
                       ((uint64_t)epoch << 32);
    for (int64_t c0 = 0; c0 < n; c0 += chunk) {
        const int64_t k = n - c0 < chunk ? n - c0 : chunk, full = k / B;
        for (int64_t i = 0; i < k; i++) r[i] = (ranked){.len = l->len[d][p[c0 + i]], .at = i, .row = p[c0 + i]};
        qsort(r, (size_t)k, sizeof *r, by_length);
        for (int64_t j = 0; j < full; j++) blocks[j] = j;
        for (int64_t j = full - 1; j > 0; j--) { /* full batches in a seeded order; a short last one stays last */
            int64_t x = (int64_t)(hrkd_rng_u64(s, (uint64_t)(c0 + j)) % (uint64_t)(j + 1)), t = blocks[j];
            blocks[j] = blocks[x];
            blocks[x] = t;
        }
        for (int64_t j = 0; j < full; j++)
            for (int64_t i = 0; i < B; i++) tmp[j * B + i] = r[blocks[j] * B + i].row;
        for (int64_t i = full * B; i < k; i++) tmp[i] = r[i].row;
        memcpy(p + c0, tmp, (size_t)k * sizeof *tmp);
    }
}

int hrkd_loader_init(hrkd_loader *l, const hrkd_train_data *data, int64_t B, uint64_t seed, int64_t buckets)
{
    memset(l, 0, sizeof *l);
    l->D = data->D;
    l->B = B;
    l->seed = seed;
    l->buckets = buckets > 1 ? buckets : 0;
    if (l->buckets) { /* scratch of bucket(): one chunk, at most the largest split */
        int64_t nmax = 1;
        for (int d = 0; d < data->D; d++)
            if (data->split[d][HRKD_SPLIT_TRAIN].n > nmax) nmax = data->split[d][HRKD_SPLIT_TRAIN].n;
        int64_t k = l->buckets * B < nmax ? l->buckets * B : nmax;
        l->scratch_ranked = malloc((size_t)k * sizeof(ranked));
        l->scratch_rows = malloc((size_t)k * sizeof(int64_t));
        l->scratch_blocks = malloc((size_t)l->buckets * sizeof(int64_t));
        if (!l->scratch_ranked || !l->scratch_rows || !l->scratch_blocks) return -1;
    }
    for (int d = 0; d < data->D; d++) {
        const hrkd_split_data *s = &data->split[d][HRKD_SPLIT_TRAIN];
        l->n[d] = s->n;
        l->perm[d] = malloc((size_t)(s->n ? s->n : 1) * sizeof(int64_t));
        size_t bt = (size_t)(B * s->T);
        l->ids[d] = malloc(bt * sizeof(int32_t));
        l->types[d] = malloc(bt * sizeof(int32_t));
        l->mask[d] = malloc(bt * sizeof(int32_t));
        l->labels[d] = malloc((size_t)B * sizeof(int32_t));
        if (!l->perm[d] || !l->ids[d] || !l->types[d] || !l->mask[d] || !l->labels[d]) return -1;
        if (l->buckets) {
            if (!(l->len[d] = malloc((size_t)(s->n ? s->n : 1) * sizeof *l->len[d]))) return -1;
            for (int64_t i = 0; i < s->n; i++) { /* the last mask = 1 column, + 1 */
                int64_t t = s->T;
                while (t > 0 && !s->mask[i * s->T + t - 1]) t--;
                l->len[d][i] = (int32_t)t;
            }
        }
        hrkd_loader_seek(l, d, 0, 0);
    }
    return 0;
}

void hrkd_loader_free(hrkd_loader *l)
{
    for (int d = 0; d < l->D; d++) {
        free(l->perm[d]); free(l->ids[d]); free(l->types[d]); free(l->mask[d]); free(l->labels[d]);
        free(l->len[d]);
    }
    free(l->scratch_ranked);
    free(l->scratch_rows);
    free(l->scratch_blocks);
    memset(l, 0, sizeof *l);
}

void hrkd_loader_seek(hrkd_loader *l, int d, int64_t epoch, int64_t pos)
{
    l->epoch[d] = epoch;
    l->pos[d] = pos;
    permute(l->perm[d], l->n[d], l->seed, d, epoch);
    if (l->buckets) bucket(l, d, epoch);
}

void hrkd_loader_next(hrkd_loader *l, const hrkd_train_data *data, int d, hrkd_batch *b)
{
    const hrkd_split_data *s = &data->split[d][HRKD_SPLIT_TRAIN];
    if (l->pos[d] >= l->n[d]) hrkd_loader_seek(l, d, l->epoch[d] + 1, 0);
    int64_t k = l->n[d] - l->pos[d];
    if (k > l->B) k = l->B;
    const int64_t *rows = l->perm[d] + l->pos[d];
    int64_t T = s->pad_longest ? hrkd_batch_longest(s->mask, s->T, rows, k) : s->T;
    for (int64_t i = 0; i < k; i++) { /* the first T columns of each row */
        int64_t r = rows[i];
        memcpy(l->ids[d] + i * T, s->ids + r * s->T, (size_t)T * sizeof(int32_t));
        memcpy(l->types[d] + i * T, s->types + r * s->T, (size_t)T * sizeof(int32_t));
        memcpy(l->mask[d] + i * T, s->mask + r * s->T, (size_t)T * sizeof(int32_t));
        l->labels[d][i] = s->labels[r];
    }
    l->pos[d] += k;
    *b = (hrkd_batch){.B = k, .T = T, .ids = l->ids[d], .types = l->types[d],
                      .mask = l->mask[d], .labels = l->labels[d], .index = l->perm[d] + l->pos[d] - k};
}
