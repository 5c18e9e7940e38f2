/* examples/plugins/reference_identity/reference_identity.c — a minimal plugin of kind
 * "relational.reference".
 *
 * A reference plugin turns the D domain prototypes of one student layer, protos [D, F], into
 * reference prototypes RP [D, F] (HRKD Eq. 13-14 use self-attention across domains). This
 * example returns protos · scale: the "− Self-attention" ablation when scale = 1. The result
 * is an SDK op on the tape, so the gradient of the final loss flows back into protos and from
 * there into the student. INI section: [relational.example_reference].
 */
#include <stdlib.h>

#include "hrkd/plugin.h"

static const hrkd_plugin_param params[] = {
    {"scale", HRKD_CFG_FLOAT, "1.0", -100.0, 100.0, NULL, "multiplies every prototype"},
};

static int ref_create(const hrkd_plugin_args *args, void **self, hrkd_error *err)
{
    float *scale = malloc(sizeof *scale);
    if (!scale) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "example_reference: out of memory");
    *scale = args->config ? (float)hrkd_cfg_float(args->config, "scale") : 1.0f;
    *self = scale;
    return 0;
}

static void ref_destroy(void *self) { free(self); }

/* protos [D, F] → [D, F] */
static hrkd_tensor *ref_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos)
{
    return hrkd_scale(ctx, protos, *(float *)self);
}

static const hrkd_reference_fns fns = {.forward = ref_forward};

static const hrkd_plugin_descriptor descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor),
    .kind = HRKD_KIND_RELATIONAL_REFERENCE,
    .name = "example_reference",
    .version = "1.0.0",
    .summary = "example: reference prototypes = scale x prototypes",
    .params = params, .n_params = 1,
    .create = ref_create, .destroy = ref_destroy,
    .reference = &fns,
};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &descriptor; }
