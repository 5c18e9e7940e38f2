/* plugins/teachers/mix.c — BERT-mix: one encoder and ONE head for all domains pooled
 * (the loss is the mean cross-entropy over every example of the step). */
#include "hrkd/plugin_teacher.h"

static int mix_n_models(void *self, int n_domains) { return 1; }
static int mix_n_heads(void *self, int n_domains) { return 1; }
static void mix_route(void *self, int domain, int *model, int *head) { *model = 0; *head = 0; }

static hrkd_tensor *mix_train_loss(void *self, hrkd_ctx *ctx, int n_domains, hrkd_tensor **logits,
                                   hrkd_tensor **labels)
{
    /* pooled data: every example weighs the same, so concatenate rows, then one mean CE */
    hrkd_tensor *rows[256], *labs[256];
    int n = 0;
    for (int d = 0; d < n_domains && n < 256; d++)
        if (logits[d]) { rows[n] = logits[d]; labs[n] = labels[d]; n++; }
    if (n == 0) return hrkd_ctx_fail(ctx, "teacher mix: no domain has a batch");
    if (n == 1) return hrkd_cross_entropy(ctx, rows[0], labs[0]);
    /* the mean over all pooled rows = Σ_d (rows_d / rows) · mean CE_d */
    int64_t total_rows = 0;
    for (int i = 0; i < n; i++) total_rows += rows[i]->shape[0];
    hrkd_tensor *total = NULL;
    for (int i = 0; i < n; i++) {
        hrkd_tensor *ce = hrkd_scale(ctx, hrkd_cross_entropy(ctx, rows[i], labs[i]),
                                     (float)rows[i]->shape[0] / (float)total_rows);
        total = total ? hrkd_add(ctx, total, ce) : ce;
    }
    return total;
}

static const hrkd_teacher_fns mix_fns = {
    .n_models = mix_n_models, .route = mix_route, .n_heads = mix_n_heads, .train_loss = mix_train_loss};

static const hrkd_plugin_descriptor mix_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_TEACHER, .name = "mix", .version = "1.0.0",
    .summary = "BERT-mix: one encoder and one head trained on all domains pooled",
    .create = hrkd_teacher_stateless_create, .destroy = hrkd_teacher_stateless_destroy,
    .teacher = &mix_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &mix_descriptor; }
