/* plugins/teachers/single.c — BERT-single: one separate model per domain, each with one head,
 * each trained only on its own domain (the per-model losses are summed; their gradients do
 * not interact because the models share nothing). */
#include "hrkd/plugin_teacher.h"

static int single_n_models(void *self, int n_domains) { return n_domains; }
static int single_n_heads(void *self, int n_domains) { return 1; }
static void single_route(void *self, int domain, int *model, int *head) { *model = domain; *head = 0; }

static const hrkd_teacher_fns single_fns = {.n_models = single_n_models, .route = single_route,
                                            .n_heads = single_n_heads,
                                            .train_loss = hrkd_teacher_ce_sum};

static const hrkd_plugin_descriptor single_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_TEACHER, .name = "single", .version = "1.0.0",
    .summary = "BERT-single: one separate model per domain, each trained on its own domain",
    .create = hrkd_teacher_stateless_create, .destroy = hrkd_teacher_stateless_destroy,
    .teacher = &single_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &single_descriptor; }
