/* host/model/bench.c — the engine benchmark of `hrkd bench` (arguments: host/cli/cmd_bench.c):
 * times training (forward + backward + AdamW) or forward steps of a BERT of a given size on
 * random data and prints one JSON line. The achieved
 * GFLOP/s counts the model's matrix-product FLOPs (backward = 2 × forward); the sgemm peak
 * is measured in the same run on a large square product through the same backend, with the
 * same precision (--precision, or its shorthands --tf32 and --bf16: the backend's options, as
 * [teacher] / [student] precision), and for tf32 and bf16 the float32 peak as well. */
#include "model/bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/core.h"
#include "model/precision.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Best of `reps` n×n×n products (GFLOP/s). */
static double sgemm_peak(const hrkd_kernels *k, int64_t n, int reps)
{
    float *a = k->alloc((size_t)(n * n) * 4), *b = k->alloc((size_t)(n * n) * 4),
          *c = k->alloc((size_t)(n * n) * 4);
    if (!a || !b || !c) return 0;
    k->fill(a, 0.5f, n * n);
    k->fill(b, 0.25f, n * n);
    hrkd_gemm g = {.m = n, .n = n, .k = n, .alpha = 1.0f, .beta = 0.0f, .batch = {1, 1},
                   .a = a, .lda = n, .b = b, .ldb = n, .c = c, .ldc = n};
    k->gemm(&g); /* warm-up */
    k->sync();
    double best = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = hrkd_now_s();
        k->gemm(&g);
        k->sync();
        double gf = 2.0 * (double)n * n * n / (hrkd_now_s() - t0) / 1e9;
        if (gf > best) best = gf;
    }
    k->free(a); k->free(b); k->free(c);
    return best;
}

hrkd_bench_opts hrkd_bench_defaults(void)
{
    hrkd_bench_opts o = {.c = hrkd_bert_config_default(), .T = 128, .B = 32, .steps = 10,
                         .warmup = 2, .threads = 0, .train = 1, .gemm_n = 2048,
                         .preset = "tinybert", .backend = "cpu"};
    hrkd_bench_preset(&o, "tinybert");
    o.c.num_heads_cls = 1; o.c.num_labels = 2;
    return o;
}

int hrkd_bench_preset(hrkd_bench_opts *o, const char *v)
{
    hrkd_bert_config *c = &o->c;
    if (!strcmp(v, "bert-base")) { c->layers = 12; c->hidden = 768; c->heads = 12; c->ffn = 3072; }
    else if (!strcmp(v, "tinybert")) { c->layers = 4; c->hidden = 312; c->heads = 12; c->ffn = 1200; }
    else if (!strcmp(v, "tiny")) {
        c->layers = 2; c->hidden = 64; c->heads = 4; c->ffn = 256; c->vocab = 500;
        o->T = 32; o->B = 8;
    }
    else return -1;
    o->preset = v;
    return 0;
}

int hrkd_bench_run(const hrkd_bench_opts *o)
{
    hrkd_bert_config c = o->c;
    int64_t T = o->T, B = o->B;
    const int steps = o->steps, warmup = o->warmup, threads = o->threads, train = o->train,
              gemm_n = o->gemm_n;
    const char *preset = o->preset, *backend = o->backend;
    const int tf32 = o->tf32, bf16 = o->bf16;
    if (T > c.max_positions) c.max_positions = (int)T;
    hrkd_error err = {0};
    hrkd_backend *be = NULL;
    if (hrkd_backend_load(backend, threads, &be, &err) != HRKD_STATUS_OK) {
        fprintf(stderr, "hrkd bench: %s\n", err.msg);
        return 3;
    }
    const int prec = bf16 ? HRKD_PRECISION_BF16 : tf32 ? HRKD_PRECISION_TF32 : HRKD_PRECISION_FP32;
    if (hrkd_precision_apply(hrkd_backend_kernels(be), prec, &err) != 0) {
        fprintf(stderr, "hrkd bench: --precision %s: %s\n", hrkd_precision_name(prec), err.msg);
        hrkd_backend_unload(be);
        return 3;
    }
    const char *precision = hrkd_precision_name(prec);
    hrkd_bert *m = hrkd_bert_create(be, &c, "bench", train, train, &err);
    if (!m) {
        fprintf(stderr, "hrkd bench: %s\n", err.msg);
        hrkd_backend_unload(be);
        return 2;
    }
    hrkd_bert_init_weights(m, 1);
    hrkd_ctx *ctx = hrkd_ctx_create(be, &err);
    hrkd_ctx_set_training(ctx, train);
    int32_t *ids = malloc((size_t)(B * T) * sizeof *ids), *tt = calloc((size_t)(B * T), sizeof *tt);
    int32_t *labels = malloc((size_t)B * sizeof *labels);
    float *mask = malloc((size_t)(B * T) * sizeof *mask);
    for (int64_t i = 0; i < B * T; i++) {
        ids[i] = (int32_t)(hrkd_rng_u64(7, (uint64_t)i) % (uint64_t)c.vocab);
        mask[i] = (i % T) < T - (i / T) % 8 ? 1.0f : 0.0f; /* some padding */
    }
    for (int64_t b = 0; b < B; b++) labels[b] = (int32_t)(b % c.num_labels);
    hrkd_adamw_config ac = hrkd_adamw_defaults();
    ac.total_steps = 1000000;
    int64_t step = 0;
    double *times = malloc((size_t)steps * sizeof *times);
    int64_t bt[2] = {B, T};
    int rc = 0;
    for (int s = 0; s < warmup + steps; s++) {
        double t0 = hrkd_now_s();
        hrkd_ctx_reset(ctx);
        hrkd_ctx_set_grad(ctx, train);
        hrkd_tensor *tid = hrkd_tensor_from_host_i32(ctx, 2, bt, ids);
        hrkd_tensor *ttt = hrkd_tensor_from_host_i32(ctx, 2, bt, tt);
        hrkd_tensor *tm = hrkd_tensor_from_host(ctx, 2, bt, mask);
        hrkd_bert_out o;
        hrkd_bert_forward(m, ctx, tid, ttt, tm, &o);
        hrkd_tensor *logits = hrkd_bert_classify(m, ctx, o.pooled, 0);
        if (train) {
            hrkd_params_zero_grad(m->params);
            hrkd_tensor *lab = hrkd_tensor_from_host_i32(ctx, 1, &B, labels);
            hrkd_tensor *loss = hrkd_cross_entropy(ctx, logits, lab);
            if (hrkd_backward(ctx, loss) != HRKD_STATUS_OK ||
                hrkd_adamw_step(&m->params, 1, &ac, &step, NULL, &err) != HRKD_STATUS_OK) {
                fprintf(stderr, "hrkd bench: %s%s\n", hrkd_ctx_error(ctx)->msg, err.msg);
                rc = 1;
                break;
            }
        }
        if (hrkd_ctx_failed(ctx)) {
            fprintf(stderr, "hrkd bench: %s\n", hrkd_ctx_error(ctx)->msg);
            rc = 1;
            break;
        }
        hrkd_backend_kernels(be)->sync();
        if (s >= warmup) times[s - warmup] = hrkd_now_s() - t0;
    }
    if (rc == 0) {
        double med = median(times, steps);
        double flops = hrkd_bert_forward_flops(&c, B, T) * (train ? 3.0 : 1.0);
        double peak = sgemm_peak(hrkd_backend_kernels(be), gemm_n, 5), peak32 = peak;
        if (prec != HRKD_PRECISION_FP32) { /* the float32 peak too, in the same run */
            if (hrkd_precision_apply(hrkd_backend_kernels(be), HRKD_PRECISION_FP32, &err) == 0)
                peak32 = sgemm_peak(hrkd_backend_kernels(be), gemm_n, 5);
            else
                peak32 = 0;
        }
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double gflops = flops / med / 1e9;
        printf("{\"config\": {\"preset\": \"%s\", \"mode\": \"%s\", \"backend\": \"%s\", "
               "\"precision\": \"%s\", "
               "\"layers\": %d, \"hidden\": %d, \"heads\": %d, \"ffn\": %d, \"vocab\": %d, "
               "\"seq\": %lld, \"batch\": %lld, \"steps\": %d, \"threads\": %d}, "
               "\"step_ms_median\": %.3f, \"step_ms_min\": %.3f, \"examples_per_s\": %.2f, "
               "\"gflops\": %.2f, \"sgemm_peak_gflops\": %.2f, \"gemm_size\": %d, "
               "\"fraction_of_peak\": %.3f, \"fp32_peak_gflops\": %.2f, \"fraction_of_fp32_peak\": %.3f, "
               "\"arena_mb\": %.1f, \"peak_rss_mb\": %.1f}\n",
               preset, train ? "train" : "forward", backend, precision, c.layers, c.hidden, c.heads, c.ffn,
               c.vocab, (long long)T, (long long)B, steps, threads, med * 1e3, times[0] * 1e3,
               (double)B / med, gflops, peak, gemm_n, peak > 0 ? gflops / peak : 0.0,
               peak32, peak32 > 0 ? gflops / peak32 : 0.0,
               (double)hrkd_ctx_arena_bytes(ctx) / 1048576.0, (double)ru.ru_maxrss / 1024.0);
    }
    free(times); free(ids); free(tt); free(labels); free(mask);
    hrkd_ctx_destroy(ctx);
    hrkd_bert_destroy(m);
    hrkd_backend_unload(be);
    return rc;
}
