/* plugins/relational/uniform.c — the "− Domain Rel." ablation of HRKD's Table 4: no graph,
 * every domain gets the same ratio r_{m,d} = 1/D at every layer (Eq. 17 then weighs all
 * domains equally; the ratios carry no gradient). */
#include "hrkd/plugin_relational.h"

static int uni_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    return hrkd_rel_dims_create("uniform", args, out, err);
}

static hrkd_tensor *uni_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg)
{
    const hrkd_rel_dims *s = self;
    if (!hrkd_rel_check_layer(ctx, "uniform", s, m, agg)) return NULL;
    int64_t d = s->D;
    return hrkd_softmax(ctx, hrkd_tensor_zeros(ctx, 1, &d), NULL); /* exactly 1/D each */
}

static const hrkd_graph_fns uni_fns = {.forward = uni_forward};

static const hrkd_plugin_descriptor uni_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_RELATIONAL_GRAPH,
    .name = "uniform", .version = "1.0.0",
    .summary = "ablation '- Domain Rel.': r_m = 1/D for every domain",
    .create = uni_create, .destroy = hrkd_rel_dims_destroy, .graph = &uni_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &uni_descriptor; }
