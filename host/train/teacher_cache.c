/* host/train/teacher_cache.c — precomputed teacher outputs (see teacher_cache.h). */
#include "train/teacher_cache.h"

#include "core/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Row layout: hidden m = 0..M ([T, F] each), attention m = 1..M ([H, T, T] each), logits [C]. */
static int64_t off_hidden(const hrkd_teacher_cache *c, int m) { return (int64_t)m * c->T * c->F; }
static int64_t off_attn(const hrkd_teacher_cache *c, int m)
{
    return (int64_t)(c->M + 1) * c->T * c->F + (int64_t)(m - 1) * c->H * c->T * c->T;
}
static int64_t off_logits(const hrkd_teacher_cache *c)
{
    return (int64_t)(c->M + 1) * c->T * c->F + (int64_t)c->M * c->H * c->T * c->T;
}

static void shape_of(const hrkd_teacher_view *tv, const hrkd_train_data *data, int bf16,
                     hrkd_teacher_cache *c)
{
    const hrkd_bert_config *tc = &tv->teacher[0]->cfg;
    c->D = data->D;
    c->M = tv->M;
    c->T = data->split[0][HRKD_SPLIT_TRAIN].T;
    if (data->split[0][HRKD_SPLIT_TRAIN].pad_longest) { /* no training batch needs more columns */
        int64_t t = 1;
        for (int d = 0; d < data->D; d++) {
            const hrkd_split_data *s = &data->split[d][HRKD_SPLIT_TRAIN];
            int64_t td = hrkd_batch_longest(s->mask, s->T, NULL, s->n);
            if (td > t) t = td;
        }
        c->T = t < c->T ? t : c->T;
    }
    c->F = tc->hidden;
    c->H = tc->heads;
    c->C = tc->num_labels;
    c->bf16 = bf16;
    c->per_example = off_logits(c) + c->C;
}

static size_t value_bytes(const hrkd_teacher_cache *c) { return c->bf16 ? sizeof(uint16_t) : sizeof(float); }

/* the training examples of every domain, and the bytes of their rows in cache c */
static int64_t examples(const hrkd_train_data *data)
{
    int64_t n = 0;
    for (int d = 0; d < data->D; d++) n += data->split[d][HRKD_SPLIT_TRAIN].n;
    return n;
}
static int64_t total_bytes(const hrkd_teacher_cache *c, const hrkd_train_data *data)
{
    return examples(data) * c->per_example * (int64_t)value_bytes(c);
}

int64_t hrkd_teacher_cache_bytes(const hrkd_teacher_view *tv, const hrkd_train_data *data, int bf16)
{
    hrkd_teacher_cache c;
    shape_of(tv, data, bf16, &c);
    return total_bytes(&c, data);
}

int64_t hrkd_mem_available(void)
{
    const char *test = getenv("HRKD_TEST_MEM_AVAILABLE");
    if (test && *test) return strtoll(test, NULL, 10);
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return -1;
    char line[256];
    long long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1) break;
    fclose(f);
    return kb < 0 ? -1 : (int64_t)kb * 1024;
}

/* n values from floats into the cache at (base, at): bf16 rounded, or copied */
static void put(const hrkd_teacher_cache *c, void *base, int64_t at, const float *src, int64_t n)
{
    if (c->bf16) {
        uint16_t *dst = (uint16_t *)base + at;
        for (int64_t i = 0; i < n; i++) dst[i] = hrkd_bf16_pack(src[i]);
    } else {
        memcpy((float *)base + at, src, (size_t)n * sizeof *src);
    }
}

/* n values of the cache at (base, at) as floats */
static void get(const hrkd_teacher_cache *c, const void *base, int64_t at, float *dst, int64_t n)
{
    if (c->bf16) {
        const uint16_t *src = (const uint16_t *)base + at;
        for (int64_t i = 0; i < n; i++) dst[i] = hrkd_bf16_unpack(src[i]);
    } else {
        memcpy(dst, (const float *)base + at, (size_t)n * sizeof *dst);
    }
}

static void *map_rows(const char *dir, size_t bytes, hrkd_error *err)
{
    if (bytes == 0) bytes = sizeof(float);
    if (!dir || !*dir) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            hrkd_error_set(err, HRKD_STATUS_NOMEM, "teacher cache: cannot map %zu bytes of memory: %s "
                           "(set [distill] teacher_cache_dir to keep it on disk)", bytes, strerror(errno));
            return NULL;
        }
        return p;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/hrkd-teacher-cache-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        hrkd_error_set(err, HRKD_STATUS_IO, "[distill] teacher_cache_dir: cannot create a file in %s: %s",
                       dir, strerror(errno));
        return NULL;
    }
    unlink(path); /* the mapping keeps it alive; nothing remains after the run, or a kill */
    void *p = MAP_FAILED;
    int rc = ftruncate(fd, (off_t)bytes);
    if (rc == 0) p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (rc != 0 || p == MAP_FAILED) {
        hrkd_error_set(err, HRKD_STATUS_IO, "[distill] teacher_cache_dir: cannot size or map %zu bytes in %s: %s",
                       bytes, dir, strerror(e));
        return NULL;
    }
    return p;
}

void hrkd_teacher_cache_free(hrkd_teacher_cache *c, const char *who)
{
    if (!c) return;
    if (who) fprintf(stderr, "%s: teacher cache served %lld batches\n", who, (long long)c->served);
    for (int d = 0; d < c->D; d++)
        if (c->rows[d]) munmap(c->rows[d], c->bytes[d]);
    free(c);
}

/* One contiguous batch [i, i + k) of domain d: teacher forward on its first c->T columns
 * (cut: [3][k, c->T] when that is fewer than the split's), rows i..i+k-1 filled. */
static int fill_batch(const hrkd_teacher_view *tv, hrkd_teacher_cache *c, hrkd_ctx *ctx, int d,
                      const hrkd_split_data *s, int64_t i, int64_t k, float *tmp, int32_t *cut)
{
    const int64_t T = c->T;
    hrkd_batch b = hrkd_split_rows(s, i, k);
    if (T < b.T) b = hrkd_batch_cut(&b, T, cut, cut + k * T, cut + 2 * k * T);
    hrkd_ctx_reset(ctx);
    hrkd_ctx_set_grad(ctx, 0);
    hrkd_ctx_set_training(ctx, 0);
    hrkd_tensor *ids, *types, *mask;
    if (hrkd_batch_upload(ctx, &b, &ids, &types, &mask, NULL) != 0) return -1;
    hrkd_bert_out o;
    hrkd_bert *t = tv->teacher[d];
    if (hrkd_bert_forward(t, ctx, ids, types, mask, &o) != 0) return -1;
    hrkd_tensor *logits = hrkd_bert_classify(t, ctx, o.pooled, tv->head[d]);
    if (!logits || hrkd_ctx_failed(ctx)) return -1;
    void *rows = c->rows[d];
    const int64_t P = c->per_example, row0 = i * P;
    for (int m = 0; m <= c->M; m++) {
        int64_t len = T * c->F;
        hrkd_tensor_to_host(ctx, o.hidden[tv->layer_map[m]], tmp);
        for (int64_t j = 0; j < k; j++) put(c, rows, row0 + j * P + off_hidden(c, m), tmp + j * len, len);
    }
    for (int m = 1; m <= c->M; m++) {
        int64_t len = c->H * T * T;
        hrkd_tensor_to_host(ctx, o.attn[tv->layer_map[m]], tmp);
        for (int64_t j = 0; j < k; j++) put(c, rows, row0 + j * P + off_attn(c, m), tmp + j * len, len);
    }
    hrkd_tensor_to_host(ctx, logits, tmp);
    for (int64_t j = 0; j < k; j++) put(c, rows, row0 + j * P + off_logits(c), tmp + j * c->C, c->C);
    return hrkd_ctx_failed(ctx) ? -1 : 0;
}

/* The fraction of MemAvailable an anonymous cache may take: the rest is left to the models,
 * the step's activations and the rest of the system. */
#define MEM_SHARE 0.8

hrkd_status hrkd_teacher_cache_build(const hrkd_teacher_view *tv, const hrkd_train_data *data, hrkd_ctx *ctx,
                                     const char *dir, int bf16, int64_t eval_batch, const char *who,
                                     hrkd_teacher_cache **out, hrkd_error *err)
{
    *out = NULL;
    const double t0 = hrkd_now_s();
    const int on_disk = dir && *dir;
    hrkd_teacher_cache *c = calloc(1, sizeof *c);
    if (!c) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (teacher cache)");
    shape_of(tv, data, bf16, c);
    const int64_t n_all = examples(data), need = total_bytes(c, data);
    if (who)
        fprintf(stderr, "%s: caching the teacher's outputs on the training data: %lld examples x %lld "
                "values (T = %lld) x %zu bytes (%s) = %.1f MB, %s\n", who, (long long)n_all,
                (long long)c->per_example, (long long)c->T, value_bytes(c), bf16 ? "bf16" : "fp32",
                (double)need / 1e6, on_disk ? dir : "memory");
    const int64_t avail = on_disk ? -1 : hrkd_mem_available();
    if (avail >= 0 && (double)need > MEM_SHARE * (double)avail) {
        hrkd_teacher_cache_free(c, NULL);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM,
                              "[distill] teacher_cache: the cache needs %lld bytes (%.1f MB) of memory, "
                              "more than 80 %% of the %lld bytes (%.1f MB) available (MemAvailable); "
                              "set [distill] teacher_cache_dir to keep it in a file on disk%s",
                              (long long)need, (double)need / 1e6, (long long)avail, (double)avail / 1e6,
                              bf16 ? "" : ", or teacher_cache_precision = bf16 to halve it");
    }
    if (eval_batch < 1) eval_batch = 1;
    for (int d = 0; d < data->D; d++) {
        if (data->split[d][HRKD_SPLIT_TRAIN].T != data->split[0][HRKD_SPLIT_TRAIN].T) {
            hrkd_teacher_cache_free(c, NULL);
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "teacher cache: domains differ in sequence length");
        }
        if (tv->teacher[d]->cfg.hidden != c->F || tv->teacher[d]->cfg.heads != c->H ||
            tv->teacher[d]->cfg.num_labels != c->C) {
            hrkd_teacher_cache_free(c, NULL);
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "teacher cache: the domains' teachers differ in shape");
        }
    }
    /* the largest of one batch's tensors, for the device → host copies; the cut columns */
    int64_t big = c->T * c->F > c->H * c->T * c->T ? c->T * c->F : c->H * c->T * c->T;
    if (big < c->C) big = c->C;
    float *tmp = malloc((size_t)(eval_batch * big) * sizeof *tmp);
    int32_t *cut = malloc(3 * (size_t)(eval_batch * c->T) * sizeof *cut);
    if (!tmp || !cut) {
        free(tmp);
        free(cut);
        hrkd_teacher_cache_free(c, NULL);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (teacher cache)");
    }
    hrkd_status st = HRKD_STATUS_OK;
    for (int d = 0; d < data->D && st == HRKD_STATUS_OK; d++) {
        const hrkd_split_data *s = &data->split[d][HRKD_SPLIT_TRAIN];
        c->n[d] = s->n;
        c->bytes[d] = (size_t)(s->n > 0 ? s->n : 1) * (size_t)c->per_example * value_bytes(c);
        c->rows[d] = map_rows(dir, c->bytes[d], err);
        if (!c->rows[d]) { st = err->status ? err->status : HRKD_STATUS_NOMEM; break; }
        for (int64_t i = 0; i < s->n; i += eval_batch) {
            int64_t k = s->n - i < eval_batch ? s->n - i : eval_batch;
            if (fill_batch(tv, c, ctx, d, s, i, k, tmp, cut) != 0) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "teacher cache, domain %d rows %lld..%lld: %s",
                                    d, (long long)i, (long long)(i + k - 1), hrkd_ctx_error(ctx)->msg);
                break;
            }
        }
    }
    free(tmp);
    free(cut);
    hrkd_ctx_reset(ctx);
    hrkd_ctx_set_grad(ctx, 1);
    if (st != HRKD_STATUS_OK) {
        hrkd_teacher_cache_free(c, NULL);
        return st;
    }
    if (who)
        fprintf(stderr, "%s: teacher outputs cached for %lld examples in %.1f s\n", who, (long long)n_all,
                hrkd_now_s() - t0);
    *out = c;
    return HRKD_STATUS_OK;
}

/* The batch's rows of one block into a [B, ...] tensor: per example, from value `off` of its
 * row, `outer` sub-blocks `outer_stride` values apart, each `rows` runs of `len` values
 * `row_stride` apart (a [T', T'] corner of a [T, T] map: rows = len = T', row_stride = T). */
static hrkd_tensor *gather(const hrkd_teacher_cache *c, hrkd_ctx *ctx, int d, const hrkd_batch *b,
                           int64_t off, int64_t outer, int64_t outer_stride, int64_t rows,
                           int64_t row_stride, int64_t len, int ndim, const int64_t *shape)
{
    const int64_t per = outer * rows * len; /* values per example in the tensor */
    hrkd_tensor *t = hrkd_tensor_new(ctx, ndim, shape);
    float *h = t ? hrkd_ctx_alloc_host(ctx, (size_t)(b->B * per) * sizeof *h) : NULL;
    if (!h) return NULL;
    for (int64_t j = 0; j < b->B; j++) {
        const int64_t at = b->index[j] * c->per_example + off;
        float *dst = h + j * per;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t r = 0; r < rows; r++)
                get(c, c->rows[d], at + o * outer_stride + r * row_stride, dst + (o * rows + r) * len, len);
    }
    hrkd_ctx_kernels(ctx)->copy_h2d(t->data, h, (size_t)(b->B * per) * sizeof *h);
    return t;
}

int hrkd_teacher_cache_get(hrkd_teacher_cache *c, hrkd_ctx *ctx, int d, const hrkd_batch *b,
                           hrkd_tensor **hidden, hrkd_tensor **attn, hrkd_tensor **logits)
{
    if (d < 0 || d >= c->D || !b->index || b->T > c->T || b->T < 1) {
        hrkd_ctx_fail(ctx, "teacher cache: batch of domain %d does not fit the cache", d);
        return -1;
    }
    for (int64_t j = 0; j < b->B; j++)
        if (b->index[j] < 0 || b->index[j] >= c->n[d]) {
            hrkd_ctx_fail(ctx, "teacher cache: row %lld outside domain %d's %lld examples",
                          (long long)b->index[j], d, (long long)c->n[d]);
            return -1;
        }
    const int64_t T = c->T, T2 = b->T, F = c->F, H = c->H;
    int64_t hs[3] = {b->B, T2, F}, as[4] = {b->B, H, T2, T2}, ls[2] = {b->B, c->C};
    attn[0] = NULL;
    /* hidden [T, F] → its first T2 rows: one run of T2·F values */
    for (int m = 0; m <= c->M; m++)
        hidden[m] = gather(c, ctx, d, b, off_hidden(c, m), 1, 0, 1, 0, T2 * F, 3, hs);
    /* attention [H, T, T] → [H, T2, T2]: per head, the first T2 values of its first T2 rows */
    for (int m = 1; m <= c->M; m++)
        attn[m] = gather(c, ctx, d, b, off_attn(c, m), H, T * T, T2, T, T2, 4, as);
    *logits = gather(c, ctx, d, b, off_logits(c), 1, 0, 1, 0, c->C, 2, ls);
    if (hrkd_ctx_failed(ctx)) return -1;
    c->served++;
    return 0;
}
