/* host/train/dist.c — data-parallel pieces of the distillation step and the training loop (dist.h). */
#include "train/dist.h"

#include "core/core.h"

#include <stdlib.h>
#include <string.h>

void hrkd_dist_shard(const hrkd_comm *c, int64_t n_global, int64_t *lo, int64_t *n)
{
    int64_t k = hrkd_comm_rank(c), N = hrkd_comm_size(c);
    *lo = k * n_global / N;
    *n = (k + 1) * n_global / N - *lo;
}

hrkd_status hrkd_dist_shard_batch(const hrkd_comm *c, hrkd_batch *b, const char *domain,
                                  hrkd_error *err)
{
    if (hrkd_comm_size(c) == 1) return HRKD_STATUS_OK;
    int64_t lo, n;
    hrkd_dist_shard(c, b->B, &lo, &n);
    if (n == 0)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "domain '%s': a batch of %lld examples cannot be shared by %d ranks "
                              "(raise [data] batch_size or use fewer ranks)", domain,
                              (long long)b->B, hrkd_comm_size(c));
    b->global_B = b->B;
    b->offset = lo;
    b->B = n;
    b->ids += lo * b->T;
    b->types += lo * b->T;
    b->mask += lo * b->T;
    b->labels += lo;
    if (b->index) b->index += lo;
    if (b->transferability) b->transferability += lo;
    return HRKD_STATUS_OK;
}

static int ctx_fail_with(hrkd_ctx *ctx, const hrkd_error *e)
{
    hrkd_ctx_fail(ctx, "%s", e->msg);
    return -1;
}

int hrkd_dist_global_protos(hrkd_comm *c, hrkd_ctx *ctx, hrkd_tensor *protos[][HRKD_MAX_DOMAINS],
                            int M, int D)
{
    const hrkd_kernels *k = hrkd_ctx_kernels(ctx);
    int64_t F = protos[0][0]->shape[0], n = (int64_t)(M + 1) * D * F;
    float *local = hrkd_ctx_alloc_host(ctx, 2 * (size_t)n * sizeof *local);
    if (!local) return ctx_fail_with(ctx, &(hrkd_error){.msg = "out of memory (prototypes)"});
    float *global = local + n;
    for (int m = 0; m <= M; m++)
        for (int d = 0; d < D; d++) hrkd_tensor_to_host(ctx, protos[m][d], local + ((int64_t)m * D + d) * F);
    memcpy(global, local, (size_t)n * sizeof *local);
    hrkd_error e = {0};
    if (hrkd_comm_allreduce_f32(c, global, n, &e) != HRKD_STATUS_OK) return ctx_fail_with(ctx, &e);
    for (int m = 0; m <= M; m++)
        for (int d = 0; d < D; d++) {
            float *g = global + ((int64_t)m * D + d) * F, *l = local + ((int64_t)m * D + d) * F;
            /* the other ranks' shares, as a constant */
            for (int64_t i = 0; i < F; i++) l[i] = g[i] - l[i];
            hrkd_tensor *others = hrkd_tensor_from_host(ctx, 1, &F, l);
            hrkd_tensor *p = hrkd_add(ctx, protos[m][d], others);
            if (!p) return -1;
            /* share + others rounds differently on each rank; store the all-reduced value itself
             * so every rank's relational plugins see the same bits. The add's backward does not
             * read its output, so the gradient to the share is unchanged. */
            k->copy_h2d(p->data, g, (size_t)F * sizeof *g);
            protos[m][d] = p;
        }
    return hrkd_ctx_failed(ctx) ? -1 : 0;
}

int hrkd_dist_global_terms(hrkd_comm *c, hrkd_ctx *ctx, hrkd_tensor *terms[][HRKD_BERT_MAX_LAYERS + 1],
                           hrkd_tensor *const *pred, int M, int D, float lg[][HRKD_BERT_MAX_LAYERS + 1],
                           float *pg)
{
    float buf[HRKD_MAX_DOMAINS * (HRKD_BERT_MAX_LAYERS + 2)];
    int n = 0;
    for (int d = 0; d < D; d++) {
        for (int m = 0; m <= M; m++) buf[n++] = hrkd_tensor_item(ctx, terms[d][m]);
        buf[n++] = hrkd_tensor_item(ctx, pred[d]);
    }
    if (hrkd_ctx_failed(ctx)) return -1;
    hrkd_error e = {0};
    if (hrkd_comm_allreduce_f32(c, buf, n, &e) != HRKD_STATUS_OK) return ctx_fail_with(ctx, &e);
    n = 0;
    for (int d = 0; d < D; d++) {
        for (int m = 0; m <= M; m++) lg[d][m] = buf[n++];
        pg[d] = buf[n++];
    }
    return 0;
}

hrkd_tensor *hrkd_dist_ratio_term(hrkd_ctx *ctx, hrkd_tensor *lk, hrkd_tensor *r, float lg)
{
    return hrkd_add(ctx, hrkd_mul(ctx, lk, hrkd_detach(ctx, r)), hrkd_scale(ctx, r, lg));
}

hrkd_status hrkd_dist_allreduce_grads(hrkd_comm *c, hrkd_params *p, hrkd_error *err)
{
    float *g = hrkd_params_grad(p);
    if (hrkd_comm_size(c) == 1 || !g) return HRKD_STATUS_OK;
    hrkd_status st = hrkd_comm_allreduce_backend(c, hrkd_backend_kernels(hrkd_params_backend(p)), g, hrkd_params_numel(p), err);
    if (st != HRKD_STATUS_OK) hrkd_error_prefix(err, "gradients of '%s': ", hrkd_params_model_name(p));
    return st;
}

/* rank 0's backend memory to every rank, staged through the host off the CPU backend */
static hrkd_status bcast_backend(hrkd_comm *c, const hrkd_kernels *k, float *buf, int64_t n,
                                 hrkd_error *err)
{
    if (!buf || n == 0) return HRKD_STATUS_OK;
    if (!strcmp(k->name, "cpu")) return hrkd_comm_bcast(c, buf, (size_t)n * sizeof *buf, err);
    float *h = malloc((size_t)n * sizeof *h);
    if (!h) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (broadcast)");
    k->copy_d2h(h, buf, (size_t)n * sizeof *h);
    hrkd_status st = hrkd_comm_bcast(c, h, (size_t)n * sizeof *h, err);
    if (st == HRKD_STATUS_OK) k->copy_h2d(buf, h, (size_t)n * sizeof *h);
    free(h);
    return st;
}

hrkd_status hrkd_dist_bcast_params(hrkd_comm *c, hrkd_params *p, hrkd_error *err)
{
    if (hrkd_comm_size(c) == 1 || !p) return HRKD_STATUS_OK;
    const hrkd_kernels *k = hrkd_backend_kernels(hrkd_params_backend(p));
    int64_t n = hrkd_params_numel(p);
    hrkd_status st = bcast_backend(c, k, hrkd_params_data(p), n, err);
    if (st == HRKD_STATUS_OK) st = bcast_backend(c, k, hrkd_params_m(p), n, err);
    if (st == HRKD_STATUS_OK) st = bcast_backend(c, k, hrkd_params_v(p), n, err);
    return st;
}

hrkd_status hrkd_dist_bcast_state(hrkd_comm *c, hrkd_run_state *st, hrkd_error *err)
{
    return hrkd_comm_bcast(c, st, sizeof *st, err);
}

/* FNV-1a over the values' bits */
static uint64_t params_hash(hrkd_params *p, hrkd_status *st, hrkd_error *err)
{
    const hrkd_kernels *k = hrkd_backend_kernels(hrkd_params_backend(p));
    int64_t n = hrkd_params_numel(p);
    const float *v = hrkd_params_data(p);
    float *h = NULL;
    if (strcmp(k->name, "cpu") != 0) {
        if (!(h = malloc((size_t)n * sizeof *h))) {
            *st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (parameter hash)");
            return 0;
        }
        k->copy_d2h(h, v, (size_t)n * sizeof *h);
        v = h;
    }
    uint64_t x = 0xcbf29ce484222325ull;
    for (int64_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &v[i], sizeof b);
        x = (x ^ b) * 0x100000001b3ull;
    }
    free(h);
    return x;
}

hrkd_status hrkd_dist_check_sync(hrkd_comm *c, hrkd_params *const *stores, int n, int64_t step,
                                 hrkd_error *err)
{
    if (hrkd_comm_size(c) == 1) return HRKD_STATUS_OK;
    for (int s = 0; s < n; s++) {
        hrkd_status st = HRKD_STATUS_OK;
        uint64_t mine = params_hash(stores[s], &st, err), root = mine;
        if (st != HRKD_STATUS_OK) return st;
        if ((st = hrkd_comm_bcast(c, &root, sizeof root, err)) != HRKD_STATUS_OK) return st;
        double drifted = mine != root;
        if ((st = hrkd_comm_allreduce_f64(c, &drifted, 1, err)) != HRKD_STATUS_OK) return st;
        if (drifted > 0)
            return hrkd_error_set(err, HRKD_STATUS_INTERNAL,
                                  "after step %lld the parameters of '%s' differ from rank 0's on "
                                  "%g rank(s)%s", (long long)step, hrkd_params_model_name(stores[s]),
                                  drifted, mine != root ? ", this one included" : "");
    }
    return HRKD_STATUS_OK;
}
