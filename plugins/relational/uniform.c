/* plugins/relational/uniform.c — the "− Domain Rel." ablation of HRKD's Table 4: no graph,
 * every domain gets the same ratio r_{m,d} = 1/D at every layer (Eq. 17 then weighs all
 * domains equally; the ratios carry no gradient). */
#include "hrkd/plugin.h"

#include <stdlib.h>

typedef struct uniform {
    int     D, M;
    int64_t F;
} uniform;

static int uni_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    if (args->n_domains < 1 || args->n_student_layers < 0 || args->feature_dim < 1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "relational plugin 'uniform': %d domains, "
                              "%d student layers, feature width %lld: expected D >= 1, M >= 0, F >= 1",
                              args->n_domains, args->n_student_layers, (long long)args->feature_dim);
    uniform *s = malloc(sizeof *s);
    if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "relational plugin 'uniform': out of memory");
    s->D = args->n_domains;
    s->M = args->n_student_layers;
    s->F = args->feature_dim;
    *out = s;
    return 0;
}

static void uni_destroy(void *self) { free(self); }

static hrkd_tensor *uni_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg)
{
    uniform *s = self;
    if (!agg || hrkd_ctx_failed(ctx)) return NULL;
    char buf[64];
    if (m < 0 || m > s->M) return hrkd_ctx_fail(ctx, "uniform: layer %d outside 0..%d", m, s->M);
    if (agg->ndim != 2 || agg->shape[0] != s->D || agg->shape[1] != s->F)
        return hrkd_ctx_fail(ctx, "uniform: prototypes %s, expected [%d, %lld]",
                             hrkd_shape_str(agg, buf, sizeof buf), s->D, (long long)s->F);
    int64_t d = s->D;
    return hrkd_softmax(ctx, hrkd_tensor_zeros(ctx, 1, &d), NULL); /* exactly 1/D each */
}

static const hrkd_graph_fns uni_fns = {.forward = uni_forward};

static const hrkd_plugin_descriptor uni_descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor), .kind = HRKD_KIND_RELATIONAL_GRAPH,
    .name = "uniform", .version = "1.0.0",
    .summary = "ablation '- Domain Rel.': r_m = 1/D for every domain",
    .params = NULL, .n_params = 0, .create = uni_create, .destroy = uni_destroy, .graph = &uni_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &uni_descriptor; }
