/* examples/plugins/graph_softmax/graph_softmax.c — a minimal plugin of kind
 * "relational.graph".
 *
 * A graph plugin turns the aggregated prototypes of layer m, agg [D, F], into the
 * domain-relational ratios r_m [D] that weight each domain's loss terms; they must sum to 1
 * (HRKD Eq. 7-12 use a 2-layer GAT over the D domain nodes). This example scores each domain
 * by the mean of its prototype and takes softmax(score / temperature). Every step is an SDK
 * op, so the ratios pass gradients back to the prototypes (and so to the student), as in the
 * reference code. INI section: [relational.example_graph].
 */
#include <stdlib.h>

#include "hrkd/plugin.h"

static const hrkd_plugin_param params[] = {
    {"temperature", HRKD_CFG_FLOAT, "1.0", 0.001, 1000.0, NULL, "softmax temperature over domains"},
};

static int graph_create(const hrkd_plugin_args *args, void **self, hrkd_error *err)
{
    float *t = malloc(sizeof *t);
    if (!t) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "example_graph: out of memory");
    *t = args->config ? (float)hrkd_cfg_float(args->config, "temperature") : 1.0f;
    *self = t;
    return 0;
}

static void graph_destroy(void *self) { free(self); }

/* agg [D, F] → r [D] */
static hrkd_tensor *graph_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg)
{
    float t = *(float *)self;
    hrkd_tensor *score = hrkd_mean(ctx, agg, 1);           /* [D] */
    return hrkd_softmax(ctx, hrkd_scale(ctx, score, 1.0f / t), NULL);
}

static const hrkd_graph_fns fns = {.forward = graph_forward};

static const hrkd_plugin_descriptor descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor),
    .kind = HRKD_KIND_RELATIONAL_GRAPH,
    .name = "example_graph",
    .version = "1.0.0",
    .summary = "example: domain ratios = softmax of mean prototype / temperature",
    .params = params, .n_params = 1,
    .create = graph_create, .destroy = graph_destroy,
    .graph = &fns,
};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &descriptor; }
