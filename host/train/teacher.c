/* host/train/teacher.c — the teacher-training step and the teachers of a run file (teacher.h). */
#include "train/teacher.h"

#include "core/core.h"
#include "train/eval.h"

#include <stdio.h>

hrkd_tensor *(*hrkd_teacher_loss_ex(const hrkd_plugin_inst *s))(void *, hrkd_ctx *,
                                                                 const hrkd_teacher_batch *)
{
    if (!s->desc || s->desc->abi_minor < 1) return NULL; /* a 1.0 table ends at train_loss */
    return s->desc->teacher->train_loss_ex;
}

static hrkd_status teacher_step_run(void *self, hrkd_ctx *ctx, hrkd_batch *b, int64_t step,
                                    float *loss_out, hrkd_error *err)
{
    hrkd_teacher_step *s = self;
    hrkd_teacher_setup *ts = s->ts;
    const int D = s->D;
    hrkd_tensor *logits[HRKD_MAX_DOMAINS], *labels[HRKD_MAX_DOMAINS];
    hrkd_tensor *pooled[HRKD_MAX_DOMAINS], *last[HRKD_MAX_DOMAINS], *masks[HRKD_MAX_DOMAINS];
    hrkd_tensor *tw[HRKD_MAX_DOMAINS] = {0};
    for (int d = 0; d < D; d++) {
        hrkd_tensor *ids, *types, *mask;
        hrkd_batch_upload(ctx, &b[d], &ids, &types, &mask, &labels[d]);
        hrkd_bert *m = ts->models[s->model[d]];
        hrkd_bert_out out;
        hrkd_bert_forward(m, ctx, ids, types, mask, &out);
        logits[d] = hrkd_bert_classify(m, ctx, out.pooled, s->head[d]);
        pooled[d] = out.pooled;
        last[d] = out.hidden[m->cfg.layers];
        masks[d] = mask;
        if (ts->transferability[d]) { /* the instance weights of this batch's rows */
            float *t = hrkd_ctx_alloc_host(ctx, (size_t)(b[d].B > 0 ? b[d].B : 1) * sizeof *t);
            if (!t) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "teacher step %lld: out of memory",
                                          (long long)step + 1);
            for (int64_t i = 0; i < b[d].B; i++) t[i] = ts->transferability[d][b[d].index[i]];
            tw[d] = hrkd_tensor_from_host(ctx, 1, &b[d].B, t);
        }
    }
    hrkd_tensor *(*loss_ex)(void *, hrkd_ctx *, const hrkd_teacher_batch *) = hrkd_teacher_loss_ex(&ts->strategy);
    hrkd_tensor *loss;
    if (loss_ex) {
        hrkd_teacher_batch tb = {.struct_size = sizeof tb, .n_domains = D, .logits = logits,
                                 .labels = labels, .pooled = pooled, .last_hidden = last,
                                 .mask = masks, .transferability = tw};
        loss = loss_ex(ts->strategy.self, ctx, &tb);
    } else {
        loss = ts->strategy.desc->teacher->train_loss(ts->strategy.self, ctx, D, logits, labels);
    }
    if (!loss || hrkd_ctx_failed(ctx) || hrkd_backward(ctx, loss) != HRKD_STATUS_OK)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "teacher step %lld: %s", (long long)step + 1,
                              hrkd_ctx_error(ctx)->msg);
    /* per-domain CE for the log (no tape) */
    hrkd_ctx_set_grad(ctx, 0);
    for (int d = 0; d < D; d++)
        s->ce[d] = hrkd_tensor_item(ctx, hrkd_cross_entropy(ctx, hrkd_detach(ctx, logits[d]), labels[d]));
    *loss_out = hrkd_tensor_item(ctx, loss);
    return HRKD_STATUS_OK;
}

static hrkd_status teacher_step_log(void *self, hrkd_run *run, int64_t row, hrkd_error *err)
{
    hrkd_teacher_step *s = self;
    return hrkd_run_append_losses(run, row, s->ce, err);
}

static hrkd_status teacher_step_evaluate(void *self, hrkd_ctx *ctx, int d, const hrkd_split_data *sp,
                                         double *acc, hrkd_error *err)
{
    hrkd_teacher_step *s = self;
    return hrkd_eval_split(NULL, s->ts->models[s->model[d]], s->head[d], ctx, sp, s->eval_batch, acc, err);
}

void hrkd_teacher_step_init(hrkd_teacher_step *s, hrkd_teacher_setup *ts, int D, int64_t eval_batch,
                            hrkd_loop_step *out)
{
    *s = (hrkd_teacher_step){.ts = ts, .D = D, .eval_batch = eval_batch};
    *out = (hrkd_loop_step){.n_stores = ts->n_models, .n_heads = ts->n_heads, .extra = ts->plugin_params, .self = s,
                            .run = teacher_step_run, .log = teacher_step_log,
                            .evaluate = teacher_step_evaluate};
    for (int k = 0; k < ts->n_models; k++) out->stores[k] = ts->models[k]->params;
    if (ts->plugin_params) out->stores[out->n_stores++] = ts->plugin_params; /* the strategy's own, last */
    for (int d = 0; d < D; d++) {
        ts->strategy.desc->teacher->route(ts->strategy.self, d, &s->model[d], &s->head[d]);
        out->model[d] = s->model[d];
        out->head[d] = s->head[d];
    }
}

int hrkd_teacher_route(const hrkd_run_state *rs, int *model, int *head, int *n_heads)
{
    if (rs->n_heads > 0) {
        *model = (int)rs->model;
        *head = (int)rs->head;
        *n_heads = (int)rs->n_heads;
        return 1;
    }
    /* run files written before the record: {model, head} in state.loader, heads not kept */
    *model = rs->n_loader >= 2 ? (int)rs->loader[0] : 0;
    *head = rs->n_loader >= 2 ? (int)rs->loader[1] : 0;
    *n_heads = *head + 1;
    return 0;
}

hrkd_status hrkd_teacher_read_heads(hrkd_run *run, int D, int *n_heads, hrkd_error *err)
{
    *n_heads = 1;
    for (int d = 0; d < D; d++) {
        char g[32];
        snprintf(g, sizeof g, "best_d%d", d);
        hrkd_run_state rs;
        hrkd_error e2 = {0};
        int model, head, n;
        if (hrkd_run_load_checkpoint(run, g, NULL, 0, &rs, &e2) != HRKD_STATUS_OK) continue;
        hrkd_teacher_route(&rs, &model, &head, &n);
        if (n > *n_heads) *n_heads = n;
    }
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_load_teachers(const char *path, hrkd_backend *be, const hrkd_bert_config *cfg,
                               int D, hrkd_bert **teachers, int *heads, hrkd_error *err)
{
    hrkd_run *run = NULL;
    hrkd_status st = hrkd_run_open(path, &run, err);
    if (st != HRKD_STATUS_OK) return st;
    int models[HRKD_MAX_DOMAINS];
    int64_t steps[HRKD_MAX_DOMAINS];
    for (int d = 0; d < D && st == HRKD_STATUS_OK; d++) {
        char group[32], name[32];
        snprintf(group, sizeof group, "best_d%d", d);
        hrkd_run_state rs;
        st = hrkd_run_load_checkpoint(run, group, NULL, 0, &rs, err);
        if (st != HRKD_STATUS_OK) {
            hrkd_error_prefix(err, "%s: teacher for domain %d: ", path, d);
            break;
        }
        int n_heads;
        hrkd_teacher_route(&rs, &models[d], &heads[d], &n_heads);
        steps[d] = rs.step;
        /* a group holding the same model at the same step as an earlier domain's is, when its
         * values agree bit for bit, served by that domain's copy */
        int same = 0;
        for (int e = 0; e < d && !same && st == HRKD_STATUS_OK; e++)
            if (models[e] == models[d] && steps[e] == steps[d] &&
                (st = hrkd_run_checkpoint_same(run, group, teachers[e]->params, &same, err)) == HRKD_STATUS_OK &&
                same)
                teachers[d] = teachers[e];
        if (same || st != HRKD_STATUS_OK) continue;
        snprintf(name, sizeof name, "teacher_%d", models[d]);
        teachers[d] = hrkd_bert_create(be, cfg, name, 0, 0, err);
        if (!teachers[d]) { st = err ? err->status : HRKD_STATUS_INVALID; break; }
        hrkd_params *s = teachers[d]->params;
        st = hrkd_run_load_checkpoint(run, group, &s, 1, NULL, err); /* names the file */
    }
    hrkd_run_free(run);
    return st;
}
