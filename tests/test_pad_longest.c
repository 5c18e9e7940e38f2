/* tests/test_pad_longest.c — [data] pad_to = longest and the teacher cache's precision.
 *
 * On random data with texts of 3 to 40 tokens in max_seq_len = 48 columns:
 *  - hrkd_batch_longest: the last mask = 1 column + 1, rounded up to 8, capped at T;
 *  - the loader cuts each batch to its rows' T' (the first T' columns of those rows);
 *  - length_buckets: every row once an epoch, a chunk's batches do not interleave in length,
 *    fewer columns than the plain order, the same batches after a seek (resume);
 *  - a teacher forward on the first T' columns gives the same hidden states (every column
 *    < T'), attention scores ([T', T'] corner) and logits as on all T columns, within float
 *    rounding (relative 1e-5: only the GEMM blocking differs);
 *  - evaluation of a split gives the same accuracy cut or padded;
 *  - the teacher cache of a pad_longest split keeps T = the longest training text rounded up
 *    (40 → 40), and what it serves a cut batch equals the uncached forward on that batch
 *    (relative 1e-5); the padded cache serves the padded forward likewise;
 *  - a bf16 cache takes half the bytes and serves every value within bf16 rounding (relative
 *    2^-8) of the fp32 cache's;
 *  - the memory check: HRKD_TEST_MEM_AVAILABLE (bytes; the seam that stands in for
 *    MemAvailable in tests) set to what an fp32 cache needs refuses it (over 80 %) naming
 *    teacher_cache_dir and teacher_cache_precision = bf16, takes the bf16 cache (50 %), and
 *    takes the fp32 cache when a teacher_cache_dir is given;
 *  - bf16 pack / unpack: round to nearest even, ±0, ±inf, NaN stays NaN (also a NaN whose
 *    payload sits in the low half), every bf16 value survives a round trip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/backend.h"
#include "common/test.h"
#include "core/core.h"
#include "model/bert.h"
#include "train/eval.h"
#include "train/teacher_cache.h"

#define ND 2
#define N 20  /* training rows per domain */
#define TT 48 /* max_seq_len */
#define TOL 1e-5

static hrkd_backend *g_be;

typedef struct data {
    int32_t ids[ND][N * TT], types[ND][N * TT], mask[ND][N * TT], labels[ND][N];
    hrkd_train_data td;
} data;

/* rows of 3..29 tokens, and one of 40 in domain 1 (so the cache keeps 40 columns) */
static void make_data(data *x, int longest)
{
    uint64_t s = 17;
    memset(x, 0, sizeof *x);
    x->td.D = ND;
    x->td.num_labels = 3;
    for (int d = 0; d < ND; d++) {
        for (int i = 0; i < N; i++) {
            int len = d == 1 && i == 11 ? 40 : 3 + (int)(test_lcg_uniform(&s) * 27);
            for (int t = 0; t < len; t++) {
                x->ids[d][i * TT + t] = t == 0 ? 2 : t == len - 1 ? 3 : 5 + (int)(test_lcg_uniform(&s) * 55);
                x->types[d][i * TT + t] = t > len / 2;
                x->mask[d][i * TT + t] = 1;
            }
            x->labels[d][i] = (int32_t)(test_lcg_uniform(&s) * 3);
        }
        for (int k = 0; k < HRKD_SPLIT_COUNT; k++)
            x->td.split[d][k] = (hrkd_split_data){.n = N, .T = TT, .ids = x->ids[d], .types = x->types[d],
                                                  .mask = x->mask[d], .labels = x->labels[d],
                                                  .pad_longest = longest};
    }
}

static double rel(const float *a, const float *b, long n) { return test_rel_err(a, b, n); }

static void test_longest(void)
{
    int32_t m[3 * 16] = {0};
    for (int t = 0; t < 3; t++) m[t] = 1;        /* row 0: 3 tokens */
    for (int t = 0; t < 9; t++) m[16 + t] = 1;   /* row 1: 9 tokens */
    m[32 + 13] = 1;                              /* row 2: a lone token in column 13 */
    CHECK(hrkd_batch_longest(m, 16, NULL, 1) == 8);
    CHECK(hrkd_batch_longest(m, 16, NULL, 2) == 16);
    const int64_t rows[2] = {0, 2};
    CHECK(hrkd_batch_longest(m, 16, rows, 2) == 16); /* the last mask = 1 column, not the count */
    CHECK(hrkd_batch_longest(m, 12, NULL, 2) == 12); /* capped at T */
    int32_t z[8] = {0};
    CHECK(hrkd_batch_longest(z, 8, NULL, 1) == 8);
    CHECK(hrkd_batch_longest(z, 5, NULL, 1) == 5);
}

static void test_loader(data *x)
{
    hrkd_loader l;
    CHECK(hrkd_loader_init(&l, &x->td, 6, 3, 0) == 0);
    int saw_cut = 0;
    for (int step = 0; step < 8; step++)
        for (int d = 0; d < ND; d++) {
            hrkd_batch b;
            hrkd_loader_next(&l, &x->td, d, &b);
            const hrkd_split_data *s = &x->td.split[d][HRKD_SPLIT_TRAIN];
            CHECK(b.T == hrkd_batch_longest(s->mask, TT, b.index, b.B));
            saw_cut |= b.T < TT;
            for (int64_t i = 0; i < b.B; i++) {
                int64_t r = b.index[i];
                CHECK(!memcmp(b.ids + i * b.T, s->ids + r * TT, (size_t)b.T * sizeof(int32_t)));
                CHECK(!memcmp(b.mask + i * b.T, s->mask + r * TT, (size_t)b.T * sizeof(int32_t)));
                CHECK(!memcmp(b.types + i * b.T, s->types + r * TT, (size_t)b.T * sizeof(int32_t)));
                for (int64_t t = b.T; t < TT; t++) CHECK(s->mask[r * TT + t] == 0); /* only padding cut */
                CHECK(b.labels[i] == s->labels[r]);
            }
        }
    CHECK(saw_cut);
    hrkd_loader_free(&l);
}

/* last mask = 1 column + 1 of row r of domain d's training split */
static int64_t row_len(const data *x, int d, int64_t r)
{
    int64_t t = TT;
    while (t > 0 && !x->mask[d][r * TT + t - 1]) t--;
    return t;
}

/* [data] length_buckets: chunks of K batches sorted by length, every row once an epoch, fewer
 * columns than the plain order, and the same batches after a seek (resume) */
static void test_buckets(data *x)
{
    enum { B = 4, K = 3, EPOCHS = 6 };
    hrkd_loader plain, lb, again;
    CHECK(hrkd_loader_init(&plain, &x->td, B, 9, 0) == 0);
    CHECK(hrkd_loader_init(&lb, &x->td, B, 9, K) == 0);
    CHECK(hrkd_loader_init(&again, &x->td, B, 9, K) == 0);
    int64_t cols_plain = 0, cols_lb = 0;
    const int per_epoch = (N + B - 1) / B;
    for (int d = 0; d < ND; d++)
        for (int e = 0; e < EPOCHS; e++) {
            int seen[N] = {0};
            int64_t lo[per_epoch], hi[per_epoch];
            if (e == 3) hrkd_loader_seek(&again, d, 3, 0);
            for (int k = 0; k < per_epoch; k++) {
                hrkd_batch b, p, a;
                hrkd_loader_next(&lb, &x->td, d, &b);
                hrkd_loader_next(&plain, &x->td, d, &p);
                cols_lb += b.T;
                cols_plain += p.T;
                lo[k] = TT, hi[k] = 0;
                for (int64_t i = 0; i < b.B; i++) {
                    seen[b.index[i]]++;
                    int64_t len = row_len(x, d, b.index[i]);
                    if (len < lo[k]) lo[k] = len;
                    if (len > hi[k]) hi[k] = len;
                }
                if (e == 3) { /* a loader sought to (3, 0) gives the same batches */
                    hrkd_loader_next(&again, &x->td, d, &a);
                    CHECK(a.B == b.B && !memcmp(a.index, b.index, (size_t)b.B * sizeof *b.index));
                }
            }
            int once = 1;
            for (int r = 0; r < N; r++) once &= seen[r] == 1;
            CHECKF(once, "domain %d epoch %d: every row once", d, e);
            for (int k = 0; k < per_epoch; k++) /* full batches of one chunk do not interleave */
                for (int j = (k / K) * K; j < k; j++)
                    if (j < N / B && k < N / B)
                        CHECKF(hi[j] <= lo[k] || hi[k] <= lo[j], "batches %d and %d of a chunk interleave", j, k);
        }
    CHECKF(cols_lb < cols_plain, "columns with buckets %lld, without %lld", (long long)cols_lb, (long long)cols_plain);
    printf("length_buckets = %d: %lld columns over %d epochs, plain order %lld\n", K, (long long)cols_lb, EPOCHS,
           (long long)cols_plain);
    hrkd_loader_free(&plain);
    hrkd_loader_free(&lb);
    hrkd_loader_free(&again);
}

static hrkd_bert *make_teacher(void)
{
    hrkd_error err = {0};
    hrkd_bert_config c = hrkd_bert_config_default();
    c.layers = 2; c.hidden = 32; c.heads = 2; c.ffn = 64; c.vocab = 60; c.max_positions = TT;
    c.num_labels = 3; c.num_heads_cls = ND;
    hrkd_bert *t = hrkd_bert_create(g_be, &c, "teacher_0", 0, 0, &err);
    CHECKF(t != NULL, "bert: %s", err.msg);
    if (t) hrkd_bert_init_weights(t, 5);
    return t;
}

/* Uncached teacher outputs of batch b (domain d's head) into host arrays. */
typedef struct outs {
    float *hidden[3], *attn[3], *logits;
    int64_t B, T;
} outs;

static int forward(hrkd_bert *t, hrkd_ctx *ctx, const hrkd_batch *b, int head, outs *o)
{
    hrkd_ctx_reset(ctx);
    hrkd_ctx_set_grad(ctx, 0);
    hrkd_ctx_set_training(ctx, 0);
    hrkd_tensor *ids, *types, *mask;
    hrkd_bert_out bo;
    if (hrkd_batch_upload(ctx, b, &ids, &types, &mask, NULL) != 0 ||
        hrkd_bert_forward(t, ctx, ids, types, mask, &bo) != 0)
        return -1;
    hrkd_tensor *z = hrkd_bert_classify(t, ctx, bo.pooled, head);
    if (!z) return -1;
    o->B = b->B;
    o->T = b->T;
    for (int m = 0; m <= 2; m++) {
        o->hidden[m] = malloc((size_t)hrkd_tensor_numel(bo.hidden[m]) * sizeof(float));
        hrkd_tensor_to_host(ctx, bo.hidden[m], o->hidden[m]);
        o->attn[m] = NULL;
        if (m > 0) {
            o->attn[m] = malloc((size_t)hrkd_tensor_numel(bo.attn[m]) * sizeof(float));
            hrkd_tensor_to_host(ctx, bo.attn[m], o->attn[m]);
        }
    }
    o->logits = malloc((size_t)hrkd_tensor_numel(z) * sizeof(float));
    hrkd_tensor_to_host(ctx, z, o->logits);
    return hrkd_ctx_failed(ctx) ? -1 : 0;
}

static void outs_free(outs *o)
{
    for (int m = 0; m <= 2; m++) { free(o->hidden[m]); free(o->attn[m]); }
    free(o->logits);
}

/* The [B, T2, F] / [B, H, T2, T2] corner of a [B, T, F] / [B, H, T, T] array. */
static float *corner_hidden(const float *h, int64_t B, int64_t T, int64_t T2, int64_t F)
{
    float *c = malloc((size_t)(B * T2 * F) * sizeof *c);
    for (int64_t j = 0; j < B; j++) memcpy(c + j * T2 * F, h + j * T * F, (size_t)(T2 * F) * sizeof *c);
    return c;
}
static float *corner_attn(const float *a, int64_t BH, int64_t T, int64_t T2)
{
    float *c = malloc((size_t)(BH * T2 * T2) * sizeof *c);
    for (int64_t j = 0; j < BH; j++)
        for (int64_t q = 0; q < T2; q++) memcpy(c + (j * T2 + q) * T2, a + (j * T + q) * T, (size_t)T2 * sizeof *c);
    return c;
}

static double g_worst_cut, g_worst_cache, g_worst_bf16;

/* forward on the first T' columns == the first T' columns of the padded forward */
static void test_forward_cut(hrkd_bert *t, hrkd_ctx *ctx, data *x)
{
    const hrkd_split_data *s = &x->td.split[0][HRKD_SPLIT_TRAIN];
    hrkd_batch full = hrkd_split_rows(s, 4, 8);
    int64_t T2 = hrkd_batch_longest(full.mask, TT, NULL, full.B);
    CHECKF(T2 < TT, "the batch is cut (%lld)", (long long)T2);
    int32_t cut[3 * 8 * TT];
    hrkd_batch b = hrkd_batch_cut(&full, T2, cut, cut + 8 * T2, cut + 16 * T2);
    outs of, oc;
    CHECK(forward(t, ctx, &full, 0, &of) == 0);
    CHECK(forward(t, ctx, &b, 0, &oc) == 0);
    for (int m = 0; m <= 2; m++) {
        float *h = corner_hidden(of.hidden[m], 8, TT, T2, 32);
        double e = rel(oc.hidden[m], h, 8 * T2 * 32);
        CHECKF(e < TOL, "hidden %d: relative %g", m, e);
        if (e > g_worst_cut) g_worst_cut = e;
        free(h);
        if (m == 0) continue;
        float *a = corner_attn(of.attn[m], 8 * 2, TT, T2);
        e = rel(oc.attn[m], a, 8 * 2 * T2 * T2);
        CHECKF(e < TOL, "attention %d: relative %g", m, e);
        if (e > g_worst_cut) g_worst_cut = e;
        free(a);
    }
    double e = rel(oc.logits, of.logits, 8 * 3);
    CHECKF(e < TOL, "logits: relative %g", e);
    if (e > g_worst_cut) g_worst_cut = e;
    outs_free(&of);
    outs_free(&oc);
}

static void test_eval(hrkd_bert *t, hrkd_ctx *ctx, data *padded, data *cut)
{
    hrkd_error err = {0};
    for (int d = 0; d < ND; d++) {
        double a = -1, b = -2;
        CHECK(hrkd_eval_split(NULL, t, d, ctx, &padded->td.split[d][HRKD_SPLIT_DEV], 6, &a, &err) == HRKD_STATUS_OK);
        CHECK(hrkd_eval_split(NULL, t, d, ctx, &cut->td.split[d][HRKD_SPLIT_DEV], 6, &b, &err) == HRKD_STATUS_OK);
        CHECKF(a == b && a >= 0, "domain %d accuracy padded %g, cut %g", d, a, b);
    }
}

/* what the cache serves for the loader's batches == the uncached forward on them */
static void test_cache(hrkd_bert *t, hrkd_ctx *ctx, data *x, int bf16, hrkd_teacher_cache *ref)
{
    hrkd_error err = {0};
    hrkd_bert *tt[ND] = {t, t};
    const int head[ND] = {0, 1}, map[3] = {0, 1, 2};
    hrkd_teacher_view tv = {.M = 2, .teacher = tt, .head = head, .layer_map = map};
    hrkd_teacher_cache *c = NULL;
    CHECKF(hrkd_teacher_cache_build(&tv, &x->td, ctx, NULL, bf16, 7, NULL, &c, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (!c) return;
    const int longest = x->td.split[0][HRKD_SPLIT_TRAIN].pad_longest;
    CHECKF(c->T == (longest ? 40 : TT), "cached columns %lld", (long long)c->T);
    CHECK(hrkd_teacher_cache_bytes(&tv, &x->td, bf16) ==
          (int64_t)(ND * N) * c->per_example * (bf16 ? 2 : 4));
    hrkd_loader l;
    CHECK(hrkd_loader_init(&l, &x->td, 6, 11, 0) == 0);
    for (int step = 0; step < 5; step++)
        for (int d = 0; d < ND; d++) {
            hrkd_batch b;
            hrkd_loader_next(&l, &x->td, d, &b);
            outs o;
            CHECK(forward(t, ctx, &b, head[d], &o) == 0);
            hrkd_ctx_reset(ctx);
            hrkd_tensor *h[3], *a[3], *z, *rh[3], *ra[3], *rz;
            CHECK(hrkd_teacher_cache_get(c, ctx, d, &b, h, a, &z) == 0);
            if (ref) CHECK(hrkd_teacher_cache_get(ref, ctx, d, &b, rh, ra, &rz) == 0);
            for (int m = 0; m <= 2; m++) {
                int64_t n = hrkd_tensor_numel(h[m]);
                CHECK(n == b.B * b.T * 32);
                float *got = malloc((size_t)n * sizeof *got), *want = malloc((size_t)n * sizeof *want);
                hrkd_tensor_to_host(ctx, h[m], got);
                if (!bf16) {
                    double e = rel(got, o.hidden[m], (long)n);
                    CHECKF(e < TOL, "cache hidden %d, T' %lld: relative %g", m, (long long)b.T, e);
                    if (e > g_worst_cache) g_worst_cache = e;
                } else if (ref) { /* each value within bf16 rounding of the fp32 cache's */
                    hrkd_tensor_to_host(ctx, rh[m], want);
                    for (int64_t i = 0; i < n; i++) {
                        double e = fabs((double)got[i] - want[i]) / (fabs(want[i]) + 1e-30);
                        if (want[i] == 0) e = got[i] == 0 ? 0 : 1;
                        if (e > g_worst_bf16) g_worst_bf16 = e;
                    }
                }
                if (m > 0) {
                    int64_t na = hrkd_tensor_numel(a[m]);
                    CHECK(na == b.B * 2 * b.T * b.T);
                    float *ga = malloc((size_t)na * sizeof *ga), *wa = malloc((size_t)na * sizeof *wa);
                    hrkd_tensor_to_host(ctx, a[m], ga);
                    if (!bf16) {
                        double e = rel(ga, o.attn[m], (long)na);
                        CHECKF(e < TOL, "cache attention %d: relative %g", m, e);
                        if (e > g_worst_cache) g_worst_cache = e;
                    } else if (ref) {
                        hrkd_tensor_to_host(ctx, ra[m], wa);
                        for (int64_t i = 0; i < na; i++) {
                            double e = fabs((double)ga[i] - wa[i]) / (fabs(wa[i]) + 1e-30);
                            if (wa[i] == 0) e = ga[i] == 0 ? 0 : 1;
                            if (e > g_worst_bf16) g_worst_bf16 = e;
                        }
                    }
                    free(ga);
                    free(wa);
                }
                free(got);
                free(want);
            }
            float zl[6 * 3];
            hrkd_tensor_to_host(ctx, z, zl);
            double e = rel(zl, o.logits, (long)(b.B * 3));
            CHECKF(e < (bf16 ? 1e-2 : TOL), "cache logits: relative %g", e);
            outs_free(&o);
        }
    CHECK(c->served == 10); /* 5 steps × 2 domains */
    hrkd_loader_free(&l);
    hrkd_teacher_cache_free(c, NULL);
}

static void test_memory_check(hrkd_bert *t, hrkd_ctx *ctx, data *x)
{
    hrkd_bert *tt[ND] = {t, t};
    const int head[ND] = {0, 1}, map[3] = {0, 1, 2};
    hrkd_teacher_view tv = {.M = 2, .teacher = tt, .head = head, .layer_map = map};
    int64_t need = hrkd_teacher_cache_bytes(&tv, &x->td, 0);
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)need);
    setenv("HRKD_TEST_MEM_AVAILABLE", v, 1);
    CHECK(hrkd_mem_available() == need);
    hrkd_error err = {0};
    hrkd_teacher_cache *c = NULL;
    hrkd_status st = hrkd_teacher_cache_build(&tv, &x->td, ctx, "", 0, 8, NULL, &c, &err);
    CHECKF(st == HRKD_STATUS_NOMEM && !c, "fp32 cache of %lld bytes in %lld available refused", (long long)need,
           (long long)need);
    char want[64];
    snprintf(want, sizeof want, "needs %lld bytes", (long long)need);
    CHECKF(strstr(err.msg, want) && strstr(err.msg, "teacher_cache_dir") &&
           strstr(err.msg, "teacher_cache_precision = bf16"), "message: %s", err.msg);
    printf("refusal: %s\n", err.msg);
    err = (hrkd_error){0};
    CHECKF(hrkd_teacher_cache_build(&tv, &x->td, ctx, NULL, 1, 8, NULL, &c, &err) == HRKD_STATUS_OK, "bf16: %s", err.msg);
    hrkd_teacher_cache_free(c, NULL);
    c = NULL;
    char dir[] = "/tmp/hrkd_cache_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECKF(hrkd_teacher_cache_build(&tv, &x->td, ctx, dir, 0, 8, NULL, &c, &err) == HRKD_STATUS_OK, "on disk: %s", err.msg);
    hrkd_teacher_cache_free(c, NULL);
    rmdir(dir);
    unsetenv("HRKD_TEST_MEM_AVAILABLE");
    CHECK(hrkd_mem_available() != 0);
}

static float f_of(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }

static void test_bf16(void)
{
    CHECK(hrkd_bf16_pack(1.0f) == 0x3F80 && hrkd_bf16_pack(-5.0f) == 0xC0A0);
    CHECK(hrkd_bf16_pack(f_of(0x3F808000u)) == 0x3F80); /* 1 + 2^-8: a tie, to the even 0x3F80 */
    CHECK(hrkd_bf16_pack(f_of(0x3F818000u)) == 0x3F82); /* 1 + 3·2^-8: a tie, to the even 0x3F82 */
    CHECK(hrkd_bf16_pack(f_of(0x3F808001u)) == 0x3F81); /* just past the tie: up */
    CHECK(hrkd_bf16_pack(f_of(0x3F807FFFu)) == 0x3F80); /* just below: down */
    CHECK(hrkd_bf16_pack(f_of(0xBF818000u)) == 0xBF82); /* negative ties alike */
    CHECK(hrkd_bf16_pack(0.0f) == 0x0000 && hrkd_bf16_pack(-0.0f) == 0x8000);
    CHECK(signbit(hrkd_bf16_unpack(hrkd_bf16_pack(-0.0f))));
    CHECK(hrkd_bf16_pack(INFINITY) == 0x7F80 && hrkd_bf16_pack(-INFINITY) == 0xFF80);
    CHECK(isinf(hrkd_bf16_unpack(0x7F80)) && hrkd_bf16_unpack(0xFF80) < 0);
    CHECK(hrkd_bf16_pack(3.4028235e38f) == 0x7F80); /* FLT_MAX rounds past the largest bf16 */
    CHECK(isnan(hrkd_bf16_unpack(hrkd_bf16_pack(NAN))));
    CHECK(isnan(hrkd_bf16_unpack(hrkd_bf16_pack(f_of(0x7F800001u))))); /* payload in the low half */
    CHECK(isnan(hrkd_bf16_unpack(hrkd_bf16_pack(f_of(0xFFFFFFFFu)))));
    CHECK(hrkd_bf16_unpack(0x0001) == ldexpf(1.0f, -133)); /* smallest subnormal */
    int bad = 0;
    for (uint32_t b = 0; b < 0x10000u; b++) {
        float f = hrkd_bf16_unpack((uint16_t)b);
        if (isnan(f)) bad += !isnan(hrkd_bf16_unpack(hrkd_bf16_pack(f)));
        else bad += hrkd_bf16_pack(f) != b;
    }
    CHECKF(bad == 0, "%d bf16 values do not survive a round trip", bad);
    /* rounding error of random values: at most half a unit of the 8th significant bit, 2^-8 */
    uint64_t s = 3;
    double worst = 0;
    for (int i = 0; i < 100000; i++) {
        float f = (float)((test_lcg_uniform(&s) - 0.5) * pow(2.0, (int)(test_lcg_uniform(&s) * 40) - 20));
        double e = fabs((double)hrkd_bf16_unpack(hrkd_bf16_pack(f)) - f) / fabs((double)f);
        if (e > worst) worst = e;
    }
    CHECKF(worst <= ldexp(1.0, -8), "bf16 rounding: relative %g", worst);
}

int main(void)
{
    g_be = test_backend_open("cpu", 1);
    static data padded, cut;
    make_data(&padded, 0);
    make_data(&cut, 1);
    test_longest();
    test_bf16();
    test_loader(&cut);
    test_buckets(&cut);
    hrkd_error err = {0};
    hrkd_bert *t = make_teacher();
    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    CHECKF(ctx != NULL, "%s", err.msg);
    if (t && ctx) {
        test_forward_cut(t, ctx, &cut);
        test_eval(t, ctx, &padded, &cut);
        test_cache(t, ctx, &padded, 0, NULL);
        /* fp32 cache of the cut data, kept as the reference of the bf16 one */
        hrkd_bert *tt[ND] = {t, t};
        const int head[ND] = {0, 1}, map[3] = {0, 1, 2};
        hrkd_teacher_view tv = {.M = 2, .teacher = tt, .head = head, .layer_map = map};
        hrkd_teacher_cache *ref = NULL;
        CHECK(hrkd_teacher_cache_build(&tv, &cut.td, ctx, NULL, 0, 7, NULL, &ref, &err) == HRKD_STATUS_OK);
        test_cache(t, ctx, &cut, 0, NULL);
        if (ref) test_cache(t, ctx, &cut, 1, ref);
        CHECKF(g_worst_bf16 <= ldexp(1.0, -8), "bf16 cache: relative %g", g_worst_bf16);
        hrkd_teacher_cache_free(ref, NULL);
        test_memory_check(t, ctx, &cut);
        printf("pad_longest: cut forward vs padded %.2e, cache vs uncached %.2e (tolerance %.0e); "
               "bf16 cache vs fp32 cache %.2e (bound 2^-8 = %.2e)\n",
               g_worst_cut, g_worst_cache, TOL, g_worst_bf16, ldexp(1.0, -8));
    }
    hrkd_ctx_destroy(ctx);
    hrkd_bert_destroy(t);
    hrkd_backend_unload(g_be);
    return test_finish("test_pad_longest");
}
