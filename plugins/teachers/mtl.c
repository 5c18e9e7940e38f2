/* plugins/teachers/mtl.c — the HRKD-teacher (BERT-mtl): one encoder shared by all domains,
 * one classification head per domain, trained on Σ_d CE_d (reference:
 * train_multi_domain.py). Distillation uses domain d's best checkpoint with head d. */
#include "hrkd/plugin_teacher.h"

static int mtl_n_models(void *self, int n_domains) { return 1; }
static int mtl_n_heads(void *self, int n_domains) { return n_domains; }
static void mtl_route(void *self, int domain, int *model, int *head) { *model = 0; *head = domain; }

static const hrkd_teacher_fns mtl_fns = {
    .n_models = mtl_n_models, .route = mtl_route, .n_heads = mtl_n_heads,
    .train_loss = hrkd_teacher_ce_sum};

static const hrkd_plugin_descriptor mtl_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_TEACHER, .name = "mtl", .version = "1.0.0",
    .summary = "HRKD-teacher: shared encoder, one head per domain, loss sum of per-domain CE",
    .create = hrkd_teacher_stateless_create, .destroy = hrkd_teacher_stateless_destroy,
    .teacher = &mtl_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &mtl_descriptor; }
