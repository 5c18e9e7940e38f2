/* host/train/trainer.c — teacher and distillation loops (see trainer.h).
 *
 * Bit-identical resume (CPU, same threads): everything a step depends on is restored from the
 * "checkpoint" group — parameters and AdamW moments, the optimizer step, every domain's loader
 * epoch and position (the permutation is a pure function of seed, domain and epoch), the
 * dropout stream counter, and the best dev accuracies so far. */
#include "train/trainer.h"
#include "train/dist.h"

#include "train/teacher_cache.h"
#include "core/internal.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loader ---- */

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

int hrkd_loader_init(hrkd_loader *l, const hrkd_train_data *data, int64_t B, uint64_t seed)
{
    memset(l, 0, sizeof *l);
    l->D = data->D;
    l->B = B;
    l->seed = seed;
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
        permute(l->perm[d], s->n, seed, d, 0);
    }
    return 0;
}

void hrkd_loader_free(hrkd_loader *l)
{
    for (int d = 0; d < l->D; d++) {
        free(l->perm[d]); free(l->ids[d]); free(l->types[d]); free(l->mask[d]); free(l->labels[d]);
    }
    memset(l, 0, sizeof *l);
}

static void loader_seek(hrkd_loader *l, int d, int64_t epoch, int64_t pos)
{
    l->epoch[d] = epoch;
    l->pos[d] = pos;
    permute(l->perm[d], l->n[d], l->seed, d, epoch);
}

void hrkd_loader_seek(hrkd_loader *l, int d, int64_t epoch, int64_t pos) { loader_seek(l, d, epoch, pos); }

void hrkd_loader_next(hrkd_loader *l, const hrkd_train_data *data, int d, hrkd_batch *b)
{
    const hrkd_split_data *s = &data->split[d][HRKD_SPLIT_TRAIN];
    if (l->pos[d] >= l->n[d]) loader_seek(l, d, l->epoch[d] + 1, 0);
    int64_t k = l->n[d] - l->pos[d];
    if (k > l->B) k = l->B;
    int64_t T = s->T;
    for (int64_t i = 0; i < k; i++) {
        int64_t r = l->perm[d][l->pos[d] + i];
        memcpy(l->ids[d] + i * T, s->ids + r * T, (size_t)T * sizeof(int32_t));
        memcpy(l->types[d] + i * T, s->types + r * T, (size_t)T * sizeof(int32_t));
        memcpy(l->mask[d] + i * T, s->mask + r * T, (size_t)T * sizeof(int32_t));
        l->labels[d][i] = s->labels[r];
    }
    l->pos[d] += k;
    *b = (hrkd_batch){.B = k, .T = T, .ids = l->ids[d], .types = l->types[d],
                      .mask = l->mask[d], .labels = l->labels[d], .index = l->perm[d] + l->pos[d] - k};
}

hrkd_tensor *hrkd_loader_gather_f32(hrkd_ctx *ctx, const hrkd_loader *l, int d, int64_t k,
                                    const float *values)
{
    float *h = malloc((size_t)(k > 0 ? k : 1) * sizeof *h);
    if (!h) return hrkd_ctx_fail(ctx, "out of memory (instance weights)");
    for (int64_t i = 0; i < k; i++) h[i] = values[l->perm[d][l->pos[d] - k + i]];
    hrkd_tensor *t = hrkd_tensor_from_host(ctx, 1, &k, h);
    free(h);
    return t;
}

double hrkd_evaluate(hrkd_bert *model, int head, hrkd_ctx *ctx, const hrkd_split_data *s,
                     int64_t eval_batch)
{
    if (s->n == 0) return NAN;
    int64_t correct = 0;
    for (int64_t i = 0; i < s->n; i += eval_batch) {
        int64_t k = s->n - i < eval_batch ? s->n - i : eval_batch;
        hrkd_batch b = {.B = k, .T = s->T, .ids = s->ids + i * s->T, .types = s->types + i * s->T,
                        .mask = s->mask + i * s->T, .labels = s->labels + i};
        int64_t c = hrkd_eval_batch(model, head, ctx, &b, NULL);
        if (c < 0) return NAN;
        correct += c;
    }
    return (double)correct / (double)s->n;
}

/* ---- shared loop pieces ---- */

typedef struct plan {
    int64_t steps_per_epoch, total;
} plan;

static plan make_plan(const hrkd_train_opts *o, const hrkd_train_data *data)
{
    int64_t nmax = 0;
    for (int d = 0; d < data->D; d++)
        if (data->split[d][HRKD_SPLIT_TRAIN].n > nmax) nmax = data->split[d][HRKD_SPLIT_TRAIN].n;
    plan p;
    p.steps_per_epoch = (nmax + o->batch_size - 1) / o->batch_size;
    if (p.steps_per_epoch < 1) p.steps_per_epoch = 1;
    p.total = o->max_steps > 0 ? o->max_steps : o->epochs * p.steps_per_epoch;
    return p;
}

static void save_state(hrkd_run_state *st, int64_t step, const hrkd_loader *l, const hrkd_ctx *ctx,
                       const double *best, int n_best)
{
    memset(st, 0, sizeof *st);
    st->step = step;
    st->epoch = l->D ? l->epoch[0] : 0;
    st->rng_seed = hrkd_ctx_rng_seed(ctx);
    st->rng_counter = hrkd_ctx_rng_counter(ctx);
    st->n_loader = 2 * l->D;
    for (int d = 0; d < l->D; d++) {
        st->loader[2 * d] = l->epoch[d];
        st->loader[2 * d + 1] = l->pos[d];
    }
    st->n_best = n_best;
    for (int i = 0; i < n_best; i++) st->best[i] = best[i];
}

static void restore_state(const hrkd_run_state *st, hrkd_loader *l, hrkd_ctx *ctx, double *best,
                          int n_best)
{
    for (int d = 0; d < l->D && 2 * d + 1 < st->n_loader; d++)
        loader_seek(l, d, st->loader[2 * d], st->loader[2 * d + 1]);
    hrkd_ctx_set_rng(ctx, st->rng_seed, st->rng_counter);
    for (int i = 0; i < n_best && i < st->n_best; i++) best[i] = st->best[i];
}

static void progress(const hrkd_train_opts *o, const plan *p, int64_t step, double loss,
                     double ex_per_s, double t_start)
{
    double elapsed = hrkd_now_s() - t_start;
    double eta = step > 0 ? elapsed / (double)step * (double)(p->total - step) : 0;
    int64_t epoch = step > 0 ? (step - 1) / p->steps_per_epoch + 1 : 1;
    if (o->progress_tty) {
        fprintf(stderr, "\r%s: epoch %lld step %lld/%lld loss %.4f %.1f ex/s ETA %.0fs   ",
                o->trained_model, (long long)epoch, (long long)step, (long long)p->total, loss,
                ex_per_s, eta);
        if (step == p->total) fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s: epoch %lld step %lld/%lld loss %.4f %.1f ex/s ETA %.0fs\n",
                o->trained_model, (long long)epoch, (long long)step, (long long)p->total, loss,
                ex_per_s, eta);
    }
}

void hrkd_print_accuracy_table(const hrkd_train_data *data, const char *title, const double *acc)
{
    printf("%s\n", title);
    double sum = 0;
    int n = 0;
    for (int d = 0; d < data->D; d++) {
        printf("  %-24s %6.2f\n", data->domains[d], 100.0 * acc[d]);
        if (!isnan(acc[d])) { sum += acc[d]; n++; }
    }
    printf("  %-24s %6.2f\n", "average", n ? 100.0 * sum / n : NAN);
}

static hrkd_status checkpoint_best_d(hrkd_run *run, int d, hrkd_params *store, int model, int head,
                                     int64_t step, double acc, hrkd_params *extra, hrkd_error *err)
{
    char group[32];
    snprintf(group, sizeof group, "best_d%d", d);
    hrkd_run_state st = {.step = step, .n_loader = 2, .loader = {model, head}, .n_best = 1,
                         .best = {acc}};
    hrkd_params *stores[2] = {store, extra};
    return hrkd_run_snapshot(run, group, stores, extra ? 2 : 1, &st, err);
}

hrkd_tensor *(*hrkd_teacher_loss_ex(const hrkd_plugin_inst *s))(void *, hrkd_ctx *,
                                                                 const hrkd_teacher_batch *)
{
    if (!s->desc || s->desc->abi_minor < 1) return NULL; /* a 1.0 table ends at train_loss */
    return s->desc->teacher->train_loss_ex;
}

/* ---- teacher ---- */

hrkd_status hrkd_train_teacher(const hrkd_train_opts *o, const hrkd_train_data *data,
                               hrkd_teacher_setup *ts, hrkd_ctx *ctx, hrkd_run *run, hrkd_error *err)
{
    const int D = data->D, K = ts->n_models;
    plan p = make_plan(o, data);
    hrkd_adamw_config ac = o->optim;
    ac.total_steps = p.total;
    ac.warmup_steps = (int64_t)(o->warmup_ratio * (double)p.total);
    hrkd_params *stores[HRKD_MAX_DOMAINS + 1];
    for (int k = 0; k < K; k++) stores[k] = ts->models[k]->params;
    const int NS = K + (ts->plugin_params ? 1 : 0); /* the strategy's own weights last */
    if (ts->plugin_params) stores[K] = ts->plugin_params;
    hrkd_tensor *(*loss_ex)(void *, hrkd_ctx *, const hrkd_teacher_batch *) =
        hrkd_teacher_loss_ex(&ts->strategy);
    int route_model[HRKD_MAX_DOMAINS], route_head[HRKD_MAX_DOMAINS];
    for (int d = 0; d < D; d++)
        ts->strategy.desc->teacher->route(ts->strategy.self, d, &route_model[d], &route_head[d]);

    hrkd_loader l;
    if (hrkd_loader_init(&l, data, o->batch_size, o->seed) != 0)
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (data loader)");
    double best[HRKD_MAX_DOMAINS];
    for (int d = 0; d < D; d++) best[d] = -1.0;
    int64_t step = 0;
    hrkd_ctx_set_rng(ctx, o->seed, 0);
    hrkd_status st = HRKD_STATUS_OK;
    if (o->resume) {
        hrkd_run_state rs;
        st = hrkd_run_load_checkpoint(run, "checkpoint", stores, NS, &rs, err);
        if (st != HRKD_STATUS_OK) goto out;
        step = rs.step;
        restore_state(&rs, &l, ctx, best, D);
        fprintf(stderr, "%s: resumed at step %lld\n", o->trained_model, (long long)step);
    }
    double t_start = hrkd_now_s(), t_last = t_start;
    int64_t ex_since = 0;
    while (step < p.total) {
        hrkd_ctx_reset(ctx);
        hrkd_ctx_set_training(ctx, 1);
        hrkd_ctx_set_grad(ctx, 1);
        for (int k = 0; k < NS; k++) hrkd_params_zero_grad(stores[k]);
        hrkd_tensor *logits[HRKD_MAX_DOMAINS], *labels[HRKD_MAX_DOMAINS];
        hrkd_tensor *pooled[HRKD_MAX_DOMAINS], *last[HRKD_MAX_DOMAINS], *masks[HRKD_MAX_DOMAINS];
        hrkd_tensor *tw[HRKD_MAX_DOMAINS] = {0};
        for (int d = 0; d < D; d++) {
            hrkd_batch b;
            hrkd_loader_next(&l, data, d, &b);
            ex_since += b.B;
            hrkd_tensor *ids, *types, *mask;
            hrkd_batch_upload(ctx, &b, &ids, &types, &mask, &labels[d]);
            hrkd_bert *m = ts->models[route_model[d]];
            hrkd_bert_out out;
            hrkd_bert_forward(m, ctx, ids, types, mask, &out);
            logits[d] = hrkd_bert_classify(m, ctx, out.pooled, route_head[d]);
            pooled[d] = out.pooled;
            last[d] = out.hidden[m->cfg.layers];
            masks[d] = mask;
            if (ts->transferability[d]) /* rows of this batch: the loader's last b.B positions */
                tw[d] = hrkd_loader_gather_f32(ctx, &l, d, b.B, ts->transferability[d]);
        }
        hrkd_tensor *loss;
        if (loss_ex) {
            hrkd_teacher_batch tb = {.struct_size = sizeof tb, .n_domains = D, .logits = logits,
                                     .labels = labels, .pooled = pooled, .last_hidden = last,
                                     .mask = masks, .transferability = tw};
            loss = loss_ex(ts->strategy.self, ctx, &tb);
        } else {
            loss = ts->strategy.desc->teacher->train_loss(ts->strategy.self, ctx, D, logits, labels);
        }
        if (!loss || hrkd_ctx_failed(ctx) || hrkd_backward(ctx, loss) != HRKD_STATUS_OK) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "teacher step %lld: %s", (long long)step + 1,
                                hrkd_ctx_error(ctx)->msg);
            goto out;
        }
        /* per-domain CE for the log (no tape) */
        float ce[HRKD_MAX_DOMAINS];
        hrkd_ctx_set_grad(ctx, 0);
        for (int d = 0; d < D; d++)
            ce[d] = hrkd_tensor_item(ctx, hrkd_cross_entropy(ctx, hrkd_detach(ctx, logits[d]), labels[d]));
        float total = hrkd_tensor_item(ctx, loss);
        double gn = 0;
        st = hrkd_adamw_step(stores, NS, &ac, &step, &gn, err);
        if (st != HRKD_STATUS_OK) goto out;
        if ((st = hrkd_run_append_losses(run, step - 1, ce, err)) != HRKD_STATUS_OK) goto out;
        if (o->log_every > 0 && (step % o->log_every == 0 || step == p.total)) {
            double t = hrkd_now_s();
            progress(o, &p, step, total, (double)ex_since / (t - t_last), t_start);
            t_last = t;
            ex_since = 0;
        }
        int evaluate = (o->val_every > 0 && step % o->val_every == 0) || step == p.total;
        if (evaluate) {
            double acc[HRKD_MAX_DOMAINS];
            for (int d = 0; d < D; d++)
                acc[d] = hrkd_evaluate(ts->models[route_model[d]], route_head[d], ctx,
                                       &data->split[d][HRKD_SPLIT_DEV], o->eval_batch_size);
            if ((st = hrkd_run_append_metrics(run, "dev", step, acc, err)) != HRKD_STATUS_OK) goto out;
            for (int d = 0; d < D; d++)
                if (acc[d] > best[d]) {
                    best[d] = acc[d];
                    st = checkpoint_best_d(run, d, stores[route_model[d]], route_model[d],
                                           route_head[d], step, acc[d], ts->plugin_params, err);
                    if (st != HRKD_STATUS_OK) goto out;
                }
        }
        if ((o->checkpoint_every > 0 && step % o->checkpoint_every == 0) || step == p.total) {
            hrkd_run_state rs;
            save_state(&rs, step, &l, ctx, best, D);
            if ((st = hrkd_run_checkpoint(run, "checkpoint", stores, NS, &rs, err)) != HRKD_STATUS_OK)
                goto out;
        }
        if (o->kill_after_step > 0 && step == o->kill_after_step) raise(SIGKILL);
    }
    /* final test of each domain's best checkpoint */
    double test[HRKD_MAX_DOMAINS];
    for (int d = 0; d < D; d++) {
        char group[32];
        snprintf(group, sizeof group, "best_d%d", d);
        hrkd_params *s = stores[route_model[d]];
        if ((st = hrkd_run_load_checkpoint(run, group, &s, 1, NULL, err)) != HRKD_STATUS_OK) goto out;
        test[d] = hrkd_evaluate(ts->models[route_model[d]], route_head[d], ctx,
                                &data->split[d][HRKD_SPLIT_TEST], o->eval_batch_size);
    }
    st = hrkd_run_append_metrics(run, "test", step, test, err);
    hrkd_print_accuracy_table(data, "teacher test accuracy (%) of each domain's best dev checkpoint:", test);
out:
    hrkd_loader_free(&l);
    return st;
}

/* ---- distillation ---- */

/* Rank 0 read the checkpoint; every rank gets its parameters, moments and state. */
static hrkd_status dist_share_checkpoint(hrkd_comm *c, hrkd_params *const *stores, int n,
                                         hrkd_run_state *rs, hrkd_error *err)
{
    hrkd_status st = hrkd_dist_bcast_state(c, rs, err);
    for (int s = 0; s < n && st == HRKD_STATUS_OK; s++) st = hrkd_dist_bcast_params(c, stores[s], err);
    return st;
}

/* Tests of hrkd_dist_check_sync: nudge the first value of a store on this rank only. */
static void test_drift(hrkd_params *p)
{
    const hrkd_param_info *pi = hrkd_params_info(p, 0);
    float *v = malloc((size_t)pi->numel * sizeof *v);
    if (!v || hrkd_params_read(p, 0, v) != HRKD_STATUS_OK) { free(v); return; }
    v[0] += 1e-3f;
    hrkd_params_write(p, 0, v);
    free(v);
}

/* One line for people and scripts/bench_mpi.sh: training-step throughput and all-reduce cost. */
static void dist_report(const hrkd_comm *c, int64_t steps, int64_t examples, double t_steps,
                        double t_reduce, double t_skew, int64_t numel)
{
    fprintf(stderr, "data-parallel: %d ranks (%s), %lld steps, %.2f examples/s in training steps, "
            "all-reduce %.3f ms/step of %lld bytes (+%.3f ms/step waiting for the slowest rank)\n",
            hrkd_comm_size(c), hrkd_comm_name(c), (long long)steps, (double)examples / t_steps,
            1e3 * t_reduce / (double)steps, (long long)(numel * (int64_t)sizeof(float)),
            1e3 * t_skew / (double)steps);
}

hrkd_status hrkd_train_distill(const hrkd_train_opts *o, const hrkd_train_data *data, hrkd_kd *kd,
                               hrkd_params *relational, hrkd_ctx *ctx, hrkd_run *run,
                               hrkd_error *err)
{
    const int D = data->D, M = kd->M;
    hrkd_comm *comm = o->comm;
    const int root = hrkd_comm_rank(comm) == 0; /* writes the run file (NULL elsewhere) */
    plan p = make_plan(o, data);
    hrkd_adamw_config ac = o->optim;
    ac.total_steps = p.total;
    ac.warmup_steps = (int64_t)(o->warmup_ratio * (double)p.total);
    hrkd_params *stores[2] = {kd->student->params, relational};
    int n_stores = relational ? 2 : 1;
    hrkd_loader l;
    if (hrkd_loader_init(&l, data, o->batch_size, o->seed) != 0)
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (data loader)");
    /* best[0..D-1] per domain, best[D] the average */
    double best[HRKD_MAX_DOMAINS + 1];
    for (int d = 0; d <= D; d++) best[d] = -1.0;
    int64_t step = 0;
    hrkd_ctx_set_rng(ctx, o->seed, 0);
    hrkd_status st = HRKD_STATUS_OK;
    hrkd_teacher_cache *cache = NULL;
    hrkd_kd_stats *stats = malloc(sizeof *stats);
    float *losses = malloc((size_t)(M + 3) * D * sizeof *losses);
    float *ratios = malloc((size_t)(M + 1) * D * sizeof *ratios);
    float *hier_buf = malloc((size_t)(M + 1) * D * (M + 1) * sizeof *hier_buf);
    if (!stats || !losses || !ratios || !hier_buf) {
        st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        goto out;
    }
    if (o->resume) {
        hrkd_run_state rs;
        if (root && (st = hrkd_run_load_checkpoint(run, "checkpoint", stores, n_stores, &rs, err)) != HRKD_STATUS_OK)
            goto out;
        if ((st = dist_share_checkpoint(comm, stores, n_stores, &rs, err)) != HRKD_STATUS_OK) goto out;
        step = rs.step;
        restore_state(&rs, &l, ctx, best, D + 1);
        fprintf(stderr, "%s: resumed at step %lld\n", o->trained_model, (long long)step);
    }
    if (o->teacher_cache && !kd->cache && step < p.total) { /* every rank holds the whole cache */
        if ((st = hrkd_teacher_cache_build(kd, data, ctx, o->teacher_cache_dir, o->eval_batch_size,
                                           root ? o->trained_model : NULL, &cache, err)) != HRKD_STATUS_OK)
            goto out;
        kd->cache = cache;
    }
    double t_start = hrkd_now_s(), t_last = t_start, t_steps = 0, reduce0 = hrkd_comm_reduce_seconds(comm),
           skew0 = hrkd_comm_skew_seconds(comm);
    int64_t ex_since = 0, ex_total = 0, step0 = step;
    while (step < p.total) {
        double t_step = hrkd_now_s();
        hrkd_ctx_reset(ctx);
        hrkd_ctx_set_training(ctx, 1);
        hrkd_ctx_set_grad(ctx, 1);
        for (int s = 0; s < n_stores; s++) hrkd_params_zero_grad(stores[s]);
        hrkd_batch b[HRKD_MAX_DOMAINS];
        for (int d = 0; d < D; d++) {
            hrkd_loader_next(&l, data, d, &b[d]);
            ex_since += b[d].B; /* global examples */
            ex_total += b[d].B;
            if ((st = hrkd_dist_shard_batch(comm, &b[d], data->domains[d], err)) != HRKD_STATUS_OK) goto out;
        }
        hrkd_tensor *loss = hrkd_kd_forward(kd, ctx, b, stats);
        if (!loss || hrkd_backward(ctx, loss) != HRKD_STATUS_OK) {
            st = hrkd_error_set(err, HRKD_STATUS_RUNTIME, "distillation step %lld: %s",
                                (long long)step + 1, hrkd_ctx_error(ctx)->msg);
            goto out;
        }
        /* one all-reduce of the student's flat gradient buffer, before the (global) clip norm */
        if ((st = hrkd_dist_allreduce_grads(comm, stores[0], err)) != HRKD_STATUS_OK) goto out;
        double gn = 0;
        if ((st = hrkd_adamw_step(stores, n_stores, &ac, &step, &gn, err)) != HRKD_STATUS_OK) goto out;
        t_steps += hrkd_now_s() - t_step;
        /* log: ratios [M+1][D], hierarchical [m] → [D][m+1], losses [layer_0..M, pred, total][D];
         * rows carry the 0-based index of the step that produced them (results/README.md) */
        const float *hier[HRKD_BERT_MAX_LAYERS + 1];
        size_t off = 0;
        for (int m = 0; m <= M; m++) {
            for (int d = 0; d < D; d++) {
                ratios[m * D + d] = stats->ratios[m][d];
                for (int j = 0; j <= m; j++) hier_buf[off + (size_t)d * (m + 1) + j] = stats->sim[m][d][j];
            }
            hier[m] = hier_buf + off;
            off += (size_t)D * (m + 1);
        }
        hrkd_kd_stats_losses(stats, D, M, losses);
        if (root && ((st = hrkd_run_append_ratios(run, step - 1, ratios, kd->relational ? hier : NULL, err)) != HRKD_STATUS_OK ||
                     (st = hrkd_run_append_losses(run, step - 1, losses, err)) != HRKD_STATUS_OK))
            goto out;
        if (o->log_every > 0 && (step % o->log_every == 0 || step == p.total)) {
            double t = hrkd_now_s();
            progress(o, &p, step, stats->loss, (double)ex_since / (t - t_last), t_start);
            t_last = t;
            ex_since = 0;
        }
        int evaluate = (o->val_every > 0 && step % o->val_every == 0) || step == p.total;
        if (evaluate) {
            double acc[HRKD_MAX_DOMAINS], avg = 0;
            for (int d = 0; d < D; d++) {
                st = hrkd_dist_evaluate(comm, kd->student, d, ctx, &data->split[d][HRKD_SPLIT_DEV],
                                        o->eval_batch_size, &acc[d], err);
                if (st != HRKD_STATUS_OK) goto out;
                avg += acc[d] / D;
            }
            if (root && (st = hrkd_run_append_metrics(run, "dev", step, acc, err)) != HRKD_STATUS_OK) goto out;
            if (avg > best[D]) {
                best[D] = avg;
                hrkd_run_state rs = {.step = step, .n_best = 1, .best = {avg}};
                if (root && (st = hrkd_run_snapshot(run, "best", stores, 1, &rs, err)) != HRKD_STATUS_OK) goto out;
            }
            for (int d = 0; d < D; d++)
                if (acc[d] > best[d]) {
                    best[d] = acc[d];
                    st = root ? checkpoint_best_d(run, d, stores[0], 0, d, step, acc[d], NULL, err) : HRKD_STATUS_OK;
                    if (st != HRKD_STATUS_OK) goto out;
                }
        }
        if ((o->checkpoint_every > 0 && step % o->checkpoint_every == 0) || step == p.total) {
            hrkd_run_state rs;
            save_state(&rs, step, &l, ctx, best, D + 1);
            if ((st = hrkd_dist_check_sync(comm, stores, n_stores, step, err)) != HRKD_STATUS_OK) goto out;
            if (root && (st = hrkd_run_checkpoint(run, "checkpoint", stores, n_stores, &rs, err)) != HRKD_STATUS_OK)
                goto out;
        }
        if (o->kill_after_step > 0 && step == o->kill_after_step &&
            (o->kill_rank < 0 || o->kill_rank == hrkd_comm_rank(comm))) {
            if (getenv("HRKD_TEST_DRIFT")) test_drift(stores[0]); /* tests: a rank out of step */
            else raise(getenv("HRKD_TEST_STALL") ? SIGSTOP : SIGKILL); /* tests: a hung rank */
        }
    }
    if (root && comm && step > step0)
        dist_report(comm, step - step0, ex_total, t_steps, hrkd_comm_reduce_seconds(comm) - reduce0,
                    hrkd_comm_skew_seconds(comm) - skew0, hrkd_params_numel(stores[0]));
    double test[HRKD_MAX_DOMAINS];
    for (int d = 0; d < D; d++) {
        char group[32];
        snprintf(group, sizeof group, "best_d%d", d);
        if (root && (st = hrkd_run_load_checkpoint(run, group, stores, 1, NULL, err)) != HRKD_STATUS_OK) goto out;
        if ((st = hrkd_dist_bcast_params(comm, stores[0], err)) != HRKD_STATUS_OK) goto out;
        st = hrkd_dist_evaluate(comm, kd->student, d, ctx, &data->split[d][HRKD_SPLIT_TEST],
                                o->eval_batch_size, &test[d], err);
        if (st != HRKD_STATUS_OK) goto out;
    }
    if (root) {
        st = hrkd_run_append_metrics(run, "test", step, test, err);
        hrkd_print_accuracy_table(data, "student test accuracy (%) of each domain's best dev checkpoint:", test);
    }
out:
    if (cache) {
        kd->cache = NULL;
        hrkd_teacher_cache_free(cache, root ? o->trained_model : NULL);
    }
    free(stats); free(losses); free(ratios); free(hier_buf);
    hrkd_loader_free(&l);
    return st;
}

hrkd_status hrkd_load_teachers(const char *path, hrkd_backend *be, const hrkd_bert_config *cfg,
                               int D, hrkd_bert **teachers, int *heads, hrkd_error *err)
{
    hrkd_run *run = NULL;
    hrkd_status st = hrkd_run_open(path, &run, err);
    if (st != HRKD_STATUS_OK) return st;
    for (int d = 0; d < D && st == HRKD_STATUS_OK; d++) {
        char group[32], name[32];
        snprintf(group, sizeof group, "best_d%d", d);
        hrkd_run_state rs;
        st = hrkd_run_load_checkpoint(run, group, NULL, 0, &rs, err);
        if (st != HRKD_STATUS_OK) {
            hrkd_error_prefix(err, "%s: teacher for domain %d: ", path, d);
            break;
        }
        int model = rs.n_loader >= 2 ? (int)rs.loader[0] : 0;
        heads[d] = rs.n_loader >= 2 ? (int)rs.loader[1] : 0;
        snprintf(name, sizeof name, "teacher_%d", model);
        teachers[d] = hrkd_bert_create(be, cfg, name, 0, 0, err);
        if (!teachers[d]) { st = err ? err->status : HRKD_STATUS_INVALID; break; }
        hrkd_params *s = teachers[d]->params;
        st = hrkd_run_load_checkpoint(run, group, &s, 1, NULL, err); /* names the file */
    }
    hrkd_run_free(run);
    return st;
}
