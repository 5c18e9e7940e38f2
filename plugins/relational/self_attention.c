/* plugins/relational/self_attention.c — reference prototypes by self-attention over the
 * domains of one layer (HRKD Eq. 13–14):
 *
 *     α^D_m = softmax(h_m W^D_m h_mᵀ)   [D, D], softmax over the last axis
 *     RP_m  = α^D_m h_m                [D, F]
 *
 * so each domain's reference mixes in the prototypes of the other domains. One weight
 * W^D_m [F, F] per layer m = 1..M, declared as "self_attention.layer<m>.w". Layer 0 has no
 * weight and RP_0 = h_0: the reference code (cheneydon/hrkd, MetaGraph) runs the hierarchical
 * step only for layers ≥ 1, and at layer 0 the compare-aggregate softmax has a single entry,
 * so RP_0 cannot change anything downstream.
 *
 * Weights: Xavier-uniform with gain `init_gain` (reference 1.414), seeded by (seed, name),
 * applied lazily at the first forward (the ABI has no init hook and the host allocates the
 * store after every create()); a weight that is already non-zero then (a checkpoint was
 * loaded) is left as it is. */
#include "hrkd/plugin.h"

#include "weights.h"

static const hrkd_plugin_param sa_params[] = {
    {"init_gain", HRKD_CFG_FLOAT, "1.414", 0.0, 100.0, NULL,
     "gain of the Xavier-uniform initialisation of W^D_m (the reference's 1.414)"},
};

static int sa_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    return rel_layers_create("self_attention", 0, args, out, err);
}

static hrkd_tensor *sa_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos)
{
    rel_layer_weights *s = self;
    if (!hrkd_rel_check_layer(ctx, "self_attention", &s->dims, m, protos)) return NULL;
    if (m == 0) return protos;
    if (rel_layers_init(s, ctx) != 0) return NULL;
    hrkd_tensor *w = hrkd_params_tensor(s->params, s->w[m]);                   /* [F, F] */
    hrkd_tensor *scores = hrkd_matmul(ctx, hrkd_matmul(ctx, protos, w, 0, 0, 1.0f), protos, 0, 1,
                                      1.0f);                                    /* h W hᵀ [D, D] */
    hrkd_tensor *att = hrkd_softmax(ctx, scores, NULL);                         /* Eq. 14 */
    return hrkd_matmul(ctx, att, protos, 0, 0, 1.0f);                           /* Eq. 13 [D, F] */
}

static const hrkd_reference_fns sa_fns = {.forward = sa_forward};

static const hrkd_plugin_descriptor sa_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_RELATIONAL_REFERENCE,
    .name = "self_attention", .version = "1.0.0",
    .summary = "reference prototypes RP_m = softmax(h_m W_m h_m^T) h_m across domains (Eq. 13-14)",
    .params = sa_params, .n_params = (int)(sizeof sa_params / sizeof sa_params[0]),
    .create = sa_create, .destroy = rel_layers_destroy, .reference = &sa_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &sa_descriptor; }
