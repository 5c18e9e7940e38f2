/* examples/plugins/teacher_pooled/teacher_pooled.c — a minimal plugin of kind "teacher".
 *
 * A teacher strategy tells the host how many teacher models to train (n_models), how many
 * classifier heads each has (n_heads), which model and head serve domain d (route), and the
 * training loss of one step from the per-domain logits and labels (train_loss). This example
 * is the "mix" strategy with a weight per domain: one model, one head, loss = Σ_d w · CE_d
 * (w = domain_weight for every domain). INI section: [teacher.example_teacher].
 */
#include <stdlib.h>

#include "hrkd/plugin.h"

static const hrkd_plugin_param params[] = {
    {"domain_weight", HRKD_CFG_FLOAT, "1.0", 0.0, 100.0, NULL, "weight of every domain's cross-entropy"},
};

static int teacher_create(const hrkd_plugin_args *args, void **self, hrkd_error *err)
{
    float *w = malloc(sizeof *w);
    if (!w) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "example_teacher: out of memory");
    *w = args->config ? (float)hrkd_cfg_float(args->config, "domain_weight") : 1.0f;
    *self = w;
    return 0;
}

static void teacher_destroy(void *self) { free(self); }
static int teacher_n_models(void *self, int n_domains) { return 1; }
static int teacher_n_heads(void *self, int n_domains) { return 1; }
static void teacher_route(void *self, int domain, int *model, int *head) { *model = 0; *head = 0; }

/* logits[d] [B, C], labels[d] int32 [B]; NULL for a domain without a batch this step */
static hrkd_tensor *teacher_train_loss(void *self, hrkd_ctx *ctx, int n_domains, hrkd_tensor **logits,
                                       hrkd_tensor **labels)
{
    hrkd_tensor *total = NULL;
    for (int d = 0; d < n_domains; d++) {
        if (!logits[d]) continue;
        hrkd_tensor *ce = hrkd_scale(ctx, hrkd_cross_entropy(ctx, logits[d], labels[d]), *(float *)self);
        total = total ? hrkd_add(ctx, total, ce) : ce;
    }
    return total;
}

static const hrkd_teacher_fns fns = {.n_models = teacher_n_models, .route = teacher_route,
                                     .n_heads = teacher_n_heads, .train_loss = teacher_train_loss};

static const hrkd_plugin_descriptor descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor),
    .kind = HRKD_KIND_TEACHER,
    .name = "example_teacher",
    .version = "1.0.0",
    .summary = "example: one model, one head, weighted sum of per-domain cross-entropy",
    .params = params, .n_params = 1,
    .create = teacher_create, .destroy = teacher_destroy,
    .teacher = &fns,
};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &descriptor; }
