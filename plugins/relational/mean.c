/* plugins/relational/mean.c — the "− Comp-Agg" ablation of HRKD's Table 4: the aggregated
 * prototype is the plain mean of the layer prototypes 0..m, AP_{m,d} = 1/(m+1) Σ_{j≤m} h_{j,d},
 * i.e. Eq. 15 with uniform similarity ratios α^H_{m,d} = 1/(m+1) (no comparison with the
 * reference prototypes, no weights). */
#include "hrkd/plugin_relational.h"

static int mean_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    return hrkd_rel_dims_create("mean", args, out, err);
}

static hrkd_tensor *mean_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos_upto,
                                 hrkd_tensor *ref, hrkd_tensor **similarity)
{
    const hrkd_rel_dims *s = self;
    if (similarity) *similarity = NULL;
    if (!hrkd_rel_check_upto(ctx, "mean", s, m, protos_upto, NULL)) return NULL;
    /* uniform ratios: softmax of zeros is exactly 1/(m+1) per entry (no gradient) */
    int64_t dl[2] = {s->D, (int64_t)m + 1};
    if (similarity) *similarity = hrkd_softmax(ctx, hrkd_tensor_zeros(ctx, 2, dl), NULL);
    return hrkd_mean(ctx, protos_upto, 0);                                       /* [D, F] */
}

static const hrkd_aggregate_fns mean_fns = {.forward = mean_forward};

static const hrkd_plugin_descriptor mean_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_RELATIONAL_AGGREGATE,
    .name = "mean", .version = "1.0.0",
    .summary = "ablation '- Comp-Agg': AP_m = mean of the prototypes of layers 0..m",
    .create = mean_create, .destroy = hrkd_rel_dims_destroy, .aggregate = &mean_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &mean_descriptor; }
