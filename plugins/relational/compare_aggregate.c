/* plugins/relational/compare_aggregate.c — the hierarchical compare-aggregate mechanism
 * (HRKD Eq. 15–16). For layer m and domain d, the prototypes of layers 0..m are compared with
 * the reference prototype RP_{m,d} and averaged by their similarity:
 *
 *     α^H_{m,d}  = softmax(h_{≤m,d} W^H_{m,d} RP_{m,d})   [m+1]   (the similarity ratios)
 *     AP_{m,d}   = α^H_{m,d} h_{≤m,d}                     [F]
 *
 * One weight per layer m = 1..M holding the D domain matrices, "compare_aggregate.layer<m>.w"
 * [D, F, F] (the reference's w_attn_2[m]); the domains are one batched product. Layer 0 has
 * no weight: the softmax has a single entry, so AP_0 = h_0 and α = 1 exactly, which is what
 * the reference computes by skipping the step at layer 0.
 *
 * Weights: Xavier-uniform with gain `init_gain` (reference 1.414) over the whole [D, F, F]
 * tensor as the reference initialises it (fan_in F·F, fan_out D·F), seeded by (seed, name),
 * applied lazily at the first forward; a weight already non-zero then is left as it is. */
#include "hrkd/plugin.h"

#include "weights.h"

static const hrkd_plugin_param ca_params[] = {
    {"init_gain", HRKD_CFG_FLOAT, "1.414", 0.0, 100.0, NULL,
     "gain of the Xavier-uniform initialisation of W^H_m (the reference's 1.414)"},
};

static int ca_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    return rel_layers_create("compare_aggregate", 1, args, out, err);
}

static hrkd_tensor *ca_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos_upto,
                               hrkd_tensor *ref, hrkd_tensor **similarity)
{
    rel_layer_weights *s = self;
    if (similarity) *similarity = NULL;
    if (!ref || !hrkd_rel_check_upto(ctx, "compare_aggregate", &s->dims, m, protos_upto, ref))
        return NULL;
    const int64_t D = s->dims.D, F = s->dims.F, L = (int64_t)m + 1;
    int64_t dl[2] = {D, L};
    if (m == 0) {
        /* one layer to choose from: α = softmax of one entry = 1, AP_0 = h_0 */
        if (similarity) *similarity = hrkd_softmax(ctx, hrkd_tensor_zeros(ctx, 2, dl), NULL);
        int64_t df[2] = {D, F};
        return hrkd_reshape(ctx, protos_upto, 2, df);
    }
    if (rel_layers_init(s, ctx) != 0) return NULL;
    static const int to_domain_major[3] = {1, 0, 2};
    hrkd_tensor *hier = hrkd_permute(ctx, protos_upto, to_domain_major);       /* [D, m+1, F] */
    hrkd_tensor *w = hrkd_params_tensor(s->params, s->w[m]);                   /* [D, F, F] */
    int64_t col[3] = {D, F, 1};
    hrkd_tensor *wr = hrkd_matmul(ctx, w, hrkd_reshape(ctx, ref, 3, col), 0, 0, 1.0f); /* W RP [D, F, 1] */
    hrkd_tensor *scores = hrkd_matmul(ctx, hier, wr, 0, 0, 1.0f);              /* [D, m+1, 1] */
    hrkd_tensor *alpha = hrkd_softmax(ctx, hrkd_reshape(ctx, scores, 2, dl), NULL); /* Eq. 16 */
    int64_t row[3] = {D, 1, L}, df[2] = {D, F};
    hrkd_tensor *agg = hrkd_matmul(ctx, hrkd_reshape(ctx, alpha, 3, row), hier, 0, 0, 1.0f);
    if (similarity) *similarity = alpha;
    return hrkd_reshape(ctx, agg, 2, df);                                       /* Eq. 15 [D, F] */
}

static const hrkd_aggregate_fns ca_fns = {.forward = ca_forward};

static const hrkd_plugin_descriptor ca_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_RELATIONAL_AGGREGATE,
    .name = "compare_aggregate", .version = "1.0.0",
    .summary = "aggregated prototypes AP_m,d = softmax(h_<=m,d W_m,d RP_m,d) h_<=m,d (Eq. 15-16)",
    .params = ca_params, .n_params = (int)(sizeof ca_params / sizeof ca_params[0]),
    .create = ca_create, .destroy = rel_layers_destroy, .aggregate = &ca_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &ca_descriptor; }
