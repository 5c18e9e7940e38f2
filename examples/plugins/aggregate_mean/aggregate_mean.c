/* examples/plugins/aggregate_mean/aggregate_mean.c — a minimal plugin of kind
 * "relational.aggregate".
 *
 * An aggregate plugin sees the prototypes of layers 0..m, protos_upto [m+1, D, F], and the
 * reference prototypes of layer m, ref [D, F]; it returns the aggregated prototypes AP [D, F]
 * and, through *similarity, the hierarchical similarity ratios [D, m+1] that the host logs to
 * the run file (HRKD Eq. 15-16 compare each layer with the reference). This example averages
 * over the layers (the "− Comp-Agg" ablation) and reports equal ratios 1/(m+1).
 * It declares no parameters: its section [relational.example_aggregate] takes no keys.
 */
#include <stdlib.h>

#include "hrkd/plugin.h"

static int agg_create(const hrkd_plugin_args *args, void **self, hrkd_error *err)
{
    *self = NULL; /* stateless: the host passes NULL back to every call */
    return 0;
}

static void agg_destroy(void *self) {}

static hrkd_tensor *agg_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos_upto,
                                hrkd_tensor *ref, hrkd_tensor **similarity)
{
    const int64_t D = protos_upto->shape[1];
    /* mean over axis 0 (the layers): [m+1, D, F] → [D, F] */
    hrkd_tensor *ap = hrkd_mean(ctx, protos_upto, 0);
    if (similarity) {
        int64_t shape[2] = {D, m + 1};
        float *uniform = malloc((size_t)(D * (m + 1)) * sizeof(float));
        if (!uniform) return hrkd_ctx_fail(ctx, "example_aggregate: out of memory");
        for (int64_t i = 0; i < D * (m + 1); i++) uniform[i] = 1.0f / (float)(m + 1);
        *similarity = hrkd_tensor_from_host(ctx, 2, shape, uniform); /* a constant: no gradient */
        free(uniform);
    }
    return ap;
}

static const hrkd_aggregate_fns fns = {.forward = agg_forward};

static const hrkd_plugin_descriptor descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor),
    .kind = HRKD_KIND_RELATIONAL_AGGREGATE,
    .name = "example_aggregate",
    .version = "1.0.0",
    .summary = "example: aggregated prototypes = mean over layers 0..m",
    .params = NULL, .n_params = 0,
    .create = agg_create, .destroy = agg_destroy,
    .aggregate = &fns,
};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &descriptor; }
