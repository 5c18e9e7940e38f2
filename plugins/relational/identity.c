/* plugins/relational/identity.c — the "− Self-attention" ablation of HRKD's Table 4: the
 * reference prototypes are the layer's own prototypes, RP_m = h_m (no mixing across domains,
 * no weights). Equivalent to Eq. 13 with α^D_m = I. */
#include "hrkd/plugin_relational.h"

static int id_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    return hrkd_rel_dims_create("identity", args, out, err);
}

static hrkd_tensor *id_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos)
{
    return hrkd_rel_check_layer(ctx, "identity", self, m, protos) ? protos : NULL;
}

static const hrkd_reference_fns id_fns = {.forward = id_forward};

static const hrkd_plugin_descriptor id_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_RELATIONAL_REFERENCE,
    .name = "identity", .version = "1.0.0",
    .summary = "ablation '- Self-attention': reference prototypes RP_m = h_m",
    .create = id_create, .destroy = hrkd_rel_dims_destroy, .reference = &id_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &id_descriptor; }
