/* plugins/relational/identity.c — the "− Self-attention" ablation of HRKD's Table 4: the
 * reference prototypes are the layer's own prototypes, RP_m = h_m (no mixing across domains,
 * no weights). Equivalent to Eq. 13 with α^D_m = I. */
#include "hrkd/plugin.h"

#include <stdlib.h>

typedef struct identity {
    int     D, M;
    int64_t F;
} identity;

static int id_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    if (args->n_domains < 1 || args->n_student_layers < 0 || args->feature_dim < 1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "relational plugin 'identity': %d domains, "
                              "%d student layers, feature width %lld: expected D >= 1, M >= 0, F >= 1",
                              args->n_domains, args->n_student_layers, (long long)args->feature_dim);
    identity *s = malloc(sizeof *s);
    if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "relational plugin 'identity': out of memory");
    s->D = args->n_domains;
    s->M = args->n_student_layers;
    s->F = args->feature_dim;
    *out = s;
    return 0;
}

static void id_destroy(void *self) { free(self); }

static hrkd_tensor *id_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos)
{
    identity *s = self;
    if (!protos || hrkd_ctx_failed(ctx)) return NULL;
    char buf[64];
    if (m < 0 || m > s->M) return hrkd_ctx_fail(ctx, "identity: layer %d outside 0..%d", m, s->M);
    if (protos->ndim != 2 || protos->shape[0] != s->D || protos->shape[1] != s->F)
        return hrkd_ctx_fail(ctx, "identity: prototypes %s, expected [%d, %lld]",
                             hrkd_shape_str(protos, buf, sizeof buf), s->D, (long long)s->F);
    return protos;
}

static const hrkd_reference_fns id_fns = {.forward = id_forward};

static const hrkd_plugin_descriptor id_descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor), .kind = HRKD_KIND_RELATIONAL_REFERENCE,
    .name = "identity", .version = "1.0.0",
    .summary = "ablation '- Self-attention': reference prototypes RP_m = h_m",
    .params = NULL, .n_params = 0, .create = id_create, .destroy = id_destroy, .reference = &id_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &id_descriptor; }
