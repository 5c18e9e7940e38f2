/* host/train/kd.c — the distillation step (see kd.h). */
#include "train/kd.h"

#include "core/core.h"
#include "plugin/guard.h"
#include "train/dist.h"
#include "train/eval.h"
#include "train/teacher_cache.h"

#include <stdlib.h>
#include <string.h>

hrkd_status hrkd_kd_stats_init(hrkd_kd_stats *s, int D, int M, hrkd_error *err)
{
    memset(s, 0, sizeof *s);
    size_t n = (size_t)(M + 1) * D + (size_t)D * (M + 1) * (M + 2) / 2 + (size_t)(M + 3) * D;
    float *buf = calloc(n, sizeof *buf);
    if (!buf) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (step statistics)");
    s->D = D;
    s->M = M;
    s->ratios = buf;
    buf += (size_t)(M + 1) * D;
    for (int m = 0; m <= M; m++) {
        s->hier[m] = buf;
        buf += (size_t)D * (m + 1);
    }
    s->losses = buf;
    return HRKD_STATUS_OK;
}

void hrkd_kd_stats_free(hrkd_kd_stats *s)
{
    free(s->ratios);
    memset(s, 0, sizeof *s);
}

void hrkd_kd_uniform_layer_map(int M, int N, int *map)
{
    for (int m = 0; m <= M; m++) map[m] = M > 0 ? m * N / M : 0;
}

/* h[m][d] = mean over batch and tokens (padding included, as the reference) of fitH [B, T, F] */
static hrkd_tensor *prototype(hrkd_ctx *ctx, hrkd_tensor *h)
{
    int64_t flat[2] = {h->shape[0] * h->shape[1], h->shape[2]};
    return hrkd_mean(ctx, hrkd_reshape(ctx, h, 2, flat), 0);
}

/* The loss plugin's terms of domain d: each [1] and finite (plugin/guard.h). */
static int check_terms(hrkd_ctx *ctx, const hrkd_plugin_call *c, hrkd_tensor *const *terms,
                       const hrkd_tensor *pred, int M)
{
    const int64_t one = 1;
    char what[32];
    for (int m = 0; m <= M; m++) {
        snprintf(what, sizeof what, "layer_terms[%d]", m);
        if (hrkd_plugin_check_output(ctx, c, what, terms[m], 1, &one, 0) != 0) return -1;
    }
    return hrkd_plugin_check_output(ctx, c, "pred_term", pred, 1, &one, 0);
}

static hrkd_tensor *scalar_at(hrkd_ctx *ctx, hrkd_tensor *v, int i)
{
    return hrkd_slice(ctx, v, 0, i, 1);
}

hrkd_tensor *hrkd_kd_forward(hrkd_kd *kd, hrkd_ctx *ctx, const hrkd_batch *batches,
                             hrkd_kd_stats *stats)
{
    const int D = kd->D, M = kd->M;
    if (D < 1 || D > HRKD_MAX_DOMAINS || M < 1 || M > HRKD_BERT_MAX_LAYERS)
        return hrkd_ctx_fail(ctx, "distill: %d domains, %d student layers out of range", D, M);
    const int student_training = hrkd_ctx_training(ctx);
    const int sharded = hrkd_comm_size(kd->comm) > 1;
    hrkd_tensor *terms[HRKD_MAX_DOMAINS][HRKD_BERT_MAX_LAYERS + 1];
    hrkd_tensor *pred[HRKD_MAX_DOMAINS];
    hrkd_tensor *protos[HRKD_BERT_MAX_LAYERS + 1][HRKD_MAX_DOMAINS];

    for (int d = 0; d < D; d++) {
        if (kd->has_only_domain && d != kd->only_domain) { /* Meta-KD: one target domain */
            const int64_t one = 1;
            for (int m = 0; m <= M; m++) terms[d][m] = hrkd_tensor_zeros(ctx, 1, &one);
            pred[d] = hrkd_tensor_zeros(ctx, 1, &one);
            for (int m = 0; m <= M; m++) protos[m][d] = NULL;
            continue;
        }
        hrkd_tensor *ids, *types, *mask, *labels;
        if (hrkd_batch_upload(ctx, &batches[d], &ids, &types, &mask, &labels) != 0) return NULL;
        /* teacher_d: no tape, no dropout — or its precomputed outputs (teacher_cache.h) */
        hrkd_bert_out to, so;
        hrkd_tensor *tlogits, *t_last = NULL; /* the teacher's last layer (Meta-KD's D^T) */
        if (kd->cache && batches[d].index) {
            if (hrkd_teacher_cache_get(kd->cache, ctx, d, &batches[d], to.hidden, to.attn, &tlogits) != 0)
                return NULL;
        } else {
            hrkd_ctx_set_grad(ctx, 0);
            hrkd_ctx_set_training(ctx, 0);
            hrkd_bert *T = kd->teacher[d];
            hrkd_bert_out full;
            uint64_t keep = 0; /* the layers the layer map reads; the others' memory given back */
            for (int m = 0; m <= M; m++) keep |= (uint64_t)1 << kd->layer_map[m];
            hrkd_bert_forward_kept(T, ctx, ids, types, mask, keep, &full);
            tlogits = hrkd_bert_classify(T, ctx, full.pooled, kd->teacher_head[d]);
            t_last = full.hidden[T->cfg.layers];
            for (int m = 0; m <= M; m++) {
                to.hidden[m] = full.hidden[kd->layer_map[m]];
                to.attn[m] = full.attn[kd->layer_map[m]];
            }
            hrkd_ctx_set_grad(ctx, 1);
            hrkd_ctx_set_training(ctx, student_training);
        }
        /* student: on the tape */
        hrkd_bert *S = kd->student;
        if (sharded) hrkd_ctx_set_batch_shard(ctx, batches[d].offset, batches[d].B, batches[d].global_B);
        hrkd_bert_forward(S, ctx, ids, types, mask, &so);
        hrkd_tensor *slogits = hrkd_bert_classify(S, ctx, so.pooled, d);
        hrkd_ctx_set_batch_shard(ctx, 0, 0, 0);
        if (hrkd_ctx_failed(ctx)) return NULL;
        /* a shard's means weigh local_B / global_B: summed over ranks they are the global means */
        float w = sharded ? (float)batches[d].B / (float)batches[d].global_B : 1.0f;

        hrkd_tensor *sh[HRKD_BERT_MAX_LAYERS + 1], *th[HRKD_BERT_MAX_LAYERS + 1];
        hrkd_tensor *sa[HRKD_BERT_MAX_LAYERS + 1], *ta[HRKD_BERT_MAX_LAYERS + 1];
        for (int m = 0; m <= M; m++) {
            sh[m] = S->cfg.fit_dim > 0 ? hrkd_bert_fit(S, ctx, m, so.hidden[m]) : so.hidden[m];
            th[m] = to.hidden[m]; /* teacher layer layer_map[m] */
            sa[m] = so.attn[m];
            ta[m] = to.attn[m];
            protos[m][d] = sharded ? hrkd_scale(ctx, prototype(ctx, sh[m]), w) : prototype(ctx, sh[m]);
        }
        hrkd_kd_inputs in = {
            .struct_size = sizeof in, .domain = d, .n_student_layers = M,
            .layer_map = kd->layer_map, .attention_mask = mask, .student_hidden = sh,
            .teacher_hidden = th, .student_attn = sa, .teacher_attn = ta,
            .student_logits = slogits, .teacher_logits = tlogits, .labels = labels,
            .temperature = kd->temperature, .stage = kd->stage};
        if (batches[d].transferability)
            in.transferability = hrkd_tensor_from_host(ctx, 1, &batches[d].B, batches[d].transferability);
        const hrkd_plugin_inst *tp = &kd->teacher_plugin[d];
        if (tp->desc && tp->desc->abi_minor >= 1 && tp->desc->teacher->domain_repr) {
            /* D^T from the teacher's last layer, D^S from fit(H^S_M), both through domain d's
             * teacher branch (its weights frozen: gradients reach the student only) */
            hrkd_ctx_set_grad(ctx, 0);
            if (!t_last && kd->layer_map[M] == kd->teacher[d]->cfg.layers) t_last = to.hidden[M];
            if (!t_last)
                return hrkd_ctx_fail(ctx, "Meta-KD: the teacher's last layer is not among the cached "
                                     "layers ([distill] teacher_cache with a layer_map not ending "
                                     "at layer %d)", kd->teacher[d]->cfg.layers);
            const hrkd_plugin_call rc = {tp->desc, "domain_repr", -1, d};
            const int64_t bf[2] = {batches[d].B, sh[M]->shape[2]};
            in.teacher_domain_repr = tp->desc->teacher->domain_repr(tp->self, ctx, t_last, d);
            if (hrkd_plugin_call_done(ctx, &rc, !in.teacher_domain_repr) != 0 ||
                hrkd_plugin_check_output(ctx, &rc, "the teacher's domain representation",
                                         in.teacher_domain_repr, 2, bf, 0) != 0)
                return NULL;
            hrkd_ctx_set_grad(ctx, 1);
            in.student_domain_repr = tp->desc->teacher->domain_repr(tp->self, ctx, sh[M], d);
            if (hrkd_plugin_call_done(ctx, &rc, !in.student_domain_repr) != 0 ||
                hrkd_plugin_check_output(ctx, &rc, "the student's domain representation",
                                         in.student_domain_repr, 2, bf, 0) != 0)
                return NULL;
        }
        const hrkd_plugin_call lc = {kd->loss.desc, "compute", -1, d};
        for (int m = 0; m <= M; m++) terms[d][m] = NULL;
        pred[d] = NULL;
        int lrc = kd->loss.desc->loss->compute(kd->loss.self, ctx, &in, terms[d], &pred[d]);
        if (hrkd_plugin_call_done(ctx, &lc, lrc != 0) != 0 || check_terms(ctx, &lc, terms[d], pred[d], M) != 0)
            return NULL;
        if (sharded) {
            for (int m = 0; m <= M; m++) terms[d][m] = hrkd_scale(ctx, terms[d][m], w);
            pred[d] = hrkd_scale(ctx, pred[d], w);
        }
    }
    /* global prototypes on every rank (relational plugins then agree), global term values */
    float lg[HRKD_MAX_DOMAINS][HRKD_BERT_MAX_LAYERS + 1], pg[HRKD_MAX_DOMAINS];
    if (sharded && ((kd->relational && hrkd_dist_global_protos(kd->comm, ctx, protos, M, D) != 0) ||
                    hrkd_dist_global_terms(kd->comm, ctx, terms, pred, M, D, lg, pg) != 0))
        return NULL;

    /* the relational pipeline: r[m] [D] for m = 0..M */
    hrkd_tensor *ratio[HRKD_BERT_MAX_LAYERS + 1] = {0};
    hrkd_tensor *sim[HRKD_BERT_MAX_LAYERS + 1] = {0};
    if (kd->relational) {
        hrkd_tensor *layer_protos[HRKD_BERT_MAX_LAYERS + 1];
        for (int m = 0; m <= M; m++) {
            layer_protos[m] = hrkd_stack(ctx, protos[m], D, 0);           /* [D, F] */
            hrkd_tensor *upto = hrkd_stack(ctx, layer_protos, m + 1, 0);  /* [m+1, D, F] */
            if (hrkd_ctx_failed(ctx)) return NULL;
            /* every output checked where it enters (plugin/guard.h) */
            const int64_t df[2] = {D, layer_protos[m]->shape[1]}, dm[2] = {D, m + 1};
            const hrkd_plugin_call rc = {kd->reference.desc, "forward", m, -1};
            const hrkd_plugin_call ac = {kd->aggregate.desc, "forward", m, -1};
            const hrkd_plugin_call gc = {kd->graph.desc, "forward", m, -1};
            hrkd_tensor *ref = kd->reference.desc->reference->forward(kd->reference.self, ctx, m,
                                                                       layer_protos[m]);
            if (hrkd_plugin_call_done(ctx, &rc, !ref) != 0 ||
                hrkd_plugin_check_output(ctx, &rc, "the output", ref, 2, df, 0) != 0)
                return NULL;
            sim[m] = NULL;
            hrkd_tensor *agg = kd->aggregate.desc->aggregate->forward(kd->aggregate.self, ctx, m,
                                                                       upto, ref, &sim[m]);
            if (hrkd_plugin_call_done(ctx, &ac, !agg) != 0 ||
                hrkd_plugin_check_output(ctx, &ac, "the output", agg, 2, df, 0) != 0 ||
                (sim[m] && hrkd_plugin_check_output(ctx, &ac, "the similarity matrix", sim[m], 2, dm, D) != 0))
                return NULL;
            ratio[m] = kd->graph.desc->graph->forward(kd->graph.self, ctx, m, agg);
            if (hrkd_plugin_call_done(ctx, &gc, !ratio[m]) != 0 ||
                hrkd_plugin_check_output(ctx, &gc, "the ratio vector", ratio[m], 1, &df[0], 1) != 0)
                return NULL;
        }
    }

    /* Eq. 17 (reference form): Σ_d hidden_ratio·Σ_m r[m][d]·L[d][m] + pred_ratio·γ/D·L_pred[d];
     * without the relational pipeline r = 1 and the prediction term is not divided by D. */
    hrkd_tensor *total = NULL;
    float pred_w = kd->pred_ratio * kd->gamma / (kd->relational ? (float)D : 1.0f);
    for (int d = 0; d < D; d++) {
        hrkd_tensor *hid = NULL;
        for (int m = 0; m <= M; m++) {
            hrkd_tensor *t = terms[d][m];
            if (kd->relational && sharded) t = hrkd_dist_ratio_term(ctx, t, scalar_at(ctx, ratio[m], d), lg[d][m]);
            else if (kd->relational) t = hrkd_mul(ctx, t, scalar_at(ctx, ratio[m], d));
            hid = hid ? hrkd_add(ctx, hid, t) : t;
        }
        hrkd_tensor *ld = hrkd_add(ctx, hrkd_scale(ctx, hid, kd->hidden_ratio),
                                   hrkd_scale(ctx, pred[d], pred_w));
        total = total ? hrkd_add(ctx, total, ld) : ld;
    }
    if (hrkd_ctx_failed(ctx)) return NULL;

    if (stats) { /* the run file's rows (kd.h) */
        const size_t n_hier = (size_t)D * (M + 1) * (M + 2) / 2;
        memset(stats->ratios, 0, (size_t)(M + 1) * D * sizeof(float));
        memset(stats->hier[0], 0, n_hier * sizeof(float));
        stats->loss = hrkd_tensor_item(ctx, total);
        for (int m = 0; m <= M; m++) {
            float *r = stats->ratios + (size_t)m * D;
            if (kd->relational) {
                hrkd_tensor_to_host(ctx, ratio[m], r);
                if (sim[m] && hrkd_tensor_numel(sim[m]) == (int64_t)D * (m + 1))
                    hrkd_tensor_to_host(ctx, sim[m], stats->hier[m]);
            } else {
                for (int d = 0; d < D; d++) r[d] = 1.0f;
            }
        }
        for (int d = 0; d < D; d++) {
            float tot = 0;
            for (int m = 0; m <= M; m++) {
                float v = sharded ? lg[d][m] : hrkd_tensor_item(ctx, terms[d][m]);
                stats->losses[m * D + d] = v;
                tot += v;
            }
            stats->losses[(M + 1) * D + d] = sharded ? pg[d] : hrkd_tensor_item(ctx, pred[d]);
            stats->losses[(M + 2) * D + d] = tot + stats->losses[(M + 1) * D + d];
        }
        if (sharded) { /* this rank's total is not the global loss: rebuild it from the terms */
            double tot = 0;
            for (int d = 0; d < D; d++) {
                double hid = 0;
                for (int m = 0; m <= M; m++) hid += (double)stats->ratios[m * D + d] * lg[d][m];
                tot += kd->hidden_ratio * hid + pred_w * pg[d];
            }
            stats->loss = (float)tot;
        }
    }
    return total;
}


/* ---- the step of the training loop (loop.h) ---- */

static hrkd_status kd_step_run(void *self, hrkd_ctx *ctx, hrkd_batch *b, int64_t step, float *loss,
                               hrkd_error *err)
{
    hrkd_kd_step *ks = self;
    hrkd_kd *kd = ks->kd;
    int failed = 0;
    for (int d = 0; d < kd->D && !failed; d++) { /* Meta-KD: the batch's rows' t_i */
        if (!ks->transferability[d] || !b[d].index) continue;
        float *t = hrkd_ctx_alloc_host(ctx, (size_t)b[d].B * sizeof *t);
        if (!(failed = !t)) {
            for (int64_t i = 0; i < b[d].B; i++) t[i] = ks->transferability[d][b[d].index[i]];
            b[d].transferability = t;
        }
    }
    if (!failed && ks->log_ratios && ks->batch_size > 0) { /* the rows of the global batches */
        if (!ks->examples) ks->examples = malloc((size_t)kd->D * (size_t)ks->batch_size * sizeof *ks->examples);
        failed = !ks->examples;
        for (int d = 0; d < kd->D && !failed; d++) {
            int64_t *row = ks->examples + (size_t)d * ks->batch_size;
            int64_t n = b[d].global_B ? b[d].global_B : b[d].B;
            const int64_t *index = b[d].index ? b[d].index - b[d].offset : NULL;
            for (int64_t i = 0; i < ks->batch_size; i++) row[i] = index && i < n ? index[i] : -1;
        }
    }
    hrkd_tensor *total = failed ? NULL : hrkd_kd_forward(kd, ctx, b, &ks->stats);
    if (!total || hrkd_backward(ctx, total) != HRKD_STATUS_OK) {
        const char *why = failed ? "out of memory" : hrkd_ctx_error(ctx)->msg;
        if (kd->stage)
            return hrkd_error_set(err, HRKD_STATUS_RUNTIME, "meta-distillation stage %d step %lld: %s",
                                  kd->stage, (long long)step + 1, why);
        return hrkd_error_set(err, HRKD_STATUS_RUNTIME, "distillation step %lld: %s", (long long)step + 1, why);
    }
    *loss = ks->stats.loss;
    /* one all-reduce of the student's flat gradient buffer, before the (global) clip norm */
    return hrkd_dist_allreduce_grads(ks->comm, kd->student->params, err);
}

static hrkd_status kd_step_log(void *self, hrkd_run *run, int64_t row, hrkd_error *err)
{
    hrkd_kd_step *ks = self;
    const float *const *hier = ks->kd->relational ? (const float *const *)ks->stats.hier : NULL;
    hrkd_status st = HRKD_STATUS_OK;
    if (ks->log_ratios) st = hrkd_run_append_ratios(run, row, ks->stats.ratios, hier, err);
    if (st == HRKD_STATUS_OK && ks->log_ratios && ks->examples)
        st = hrkd_run_set_examples(run, ks->examples, ks->batch_size, err);
    if (st == HRKD_STATUS_OK) st = hrkd_run_append_losses(run, row, ks->stats.losses, err);
    return st;
}

static hrkd_status kd_step_evaluate(void *self, hrkd_ctx *ctx, int d, const hrkd_split_data *s,
                                    double *acc, hrkd_error *err)
{
    hrkd_kd_step *ks = self;
    return hrkd_eval_split(ks->comm, ks->kd->student, d, ctx, s, ks->eval_batch, acc, err);
}

hrkd_status hrkd_kd_step_init(hrkd_kd_step *ks, hrkd_kd *kd, hrkd_params *relational,
                              int64_t eval_batch, hrkd_comm *comm, hrkd_loop_step *out,
                              hrkd_error *err)
{
    memset(ks, 0, sizeof *ks);
    ks->kd = kd;
    ks->log_ratios = 1;
    ks->eval_batch = eval_batch;
    ks->comm = comm;
    hrkd_status st = hrkd_kd_stats_init(&ks->stats, kd->D, kd->M, err);
    if (st != HRKD_STATUS_OK) return st;
    *out = (hrkd_loop_step){.stores = {kd->student->params, relational}, .n_stores = relational ? 2 : 1,
                            .n_heads = kd->D, .self = ks, .run = kd_step_run, .log = kd_step_log,
                            .evaluate = kd_step_evaluate};
    for (int d = 0; d < kd->D; d++) out->head[d] = d; /* one student, head d for domain d */
    return HRKD_STATUS_OK;
}

void hrkd_kd_step_free(hrkd_kd_step *ks)
{
    hrkd_kd_stats_free(&ks->stats);
    free(ks->examples);
    ks->examples = NULL;
}
