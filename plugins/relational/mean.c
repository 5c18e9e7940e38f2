/* plugins/relational/mean.c — the "− Comp-Agg" ablation of HRKD's Table 4: the aggregated
 * prototype is the plain mean of the layer prototypes 0..m, AP_{m,d} = 1/(m+1) Σ_{j≤m} h_{j,d},
 * i.e. Eq. 15 with uniform similarity ratios α^H_{m,d} = 1/(m+1) (no comparison with the
 * reference prototypes, no weights). */
#include "hrkd/plugin.h"

#include <stdlib.h>

typedef struct mean_agg {
    int     D, M;
    int64_t F;
} mean_agg;

static int mean_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    if (args->n_domains < 1 || args->n_student_layers < 0 || args->feature_dim < 1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "relational plugin 'mean': %d domains, "
                              "%d student layers, feature width %lld: expected D >= 1, M >= 0, F >= 1",
                              args->n_domains, args->n_student_layers, (long long)args->feature_dim);
    mean_agg *s = malloc(sizeof *s);
    if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "relational plugin 'mean': out of memory");
    s->D = args->n_domains;
    s->M = args->n_student_layers;
    s->F = args->feature_dim;
    *out = s;
    return 0;
}

static void mean_destroy(void *self) { free(self); }

static hrkd_tensor *mean_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos_upto,
                                 hrkd_tensor *ref, hrkd_tensor **similarity)
{
    mean_agg *s = self;
    if (similarity) *similarity = NULL;
    if (!protos_upto || hrkd_ctx_failed(ctx)) return NULL;
    char buf[64];
    if (m < 0 || m > s->M) return hrkd_ctx_fail(ctx, "mean: layer %d outside 0..%d", m, s->M);
    if (protos_upto->ndim != 3 || protos_upto->shape[0] != m + 1 || protos_upto->shape[1] != s->D ||
        protos_upto->shape[2] != s->F)
        return hrkd_ctx_fail(ctx, "mean: layer %d got prototypes %s, expected [%d, %d, %lld]", m,
                             hrkd_shape_str(protos_upto, buf, sizeof buf), m + 1, s->D,
                             (long long)s->F);
    /* uniform ratios: softmax of zeros is exactly 1/(m+1) per entry (no gradient) */
    int64_t dl[2] = {s->D, (int64_t)m + 1};
    if (similarity) *similarity = hrkd_softmax(ctx, hrkd_tensor_zeros(ctx, 2, dl), NULL);
    return hrkd_mean(ctx, protos_upto, 0);                                       /* [D, F] */
}

static const hrkd_aggregate_fns mean_fns = {.forward = mean_forward};

static const hrkd_plugin_descriptor mean_descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor), .kind = HRKD_KIND_RELATIONAL_AGGREGATE,
    .name = "mean", .version = "1.0.0",
    .summary = "ablation '- Comp-Agg': AP_m = mean of the prototypes of layers 0..m",
    .params = NULL, .n_params = 0, .create = mean_create, .destroy = mean_destroy,
    .aggregate = &mean_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &mean_descriptor; }
