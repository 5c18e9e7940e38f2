/* examples/plugins/graph_cosine/graph_cosine.c — a "relational.graph" plugin built on the
 * SDK's math ops: the domains form a cosine-similarity graph.
 *
 * agg [D, F] (aggregated prototypes of layer m) → S = cosine_similarity(agg, agg) [D, D];
 * each domain's centrality c_d = mean_j S[d, j] [D]; ratios r = softmax(c / temperature),
 * so domains whose prototypes resemble the others weigh more. Every step is an SDK op, so
 * the ratios pass gradients back to the prototypes. INI section:
 * [relational.example_cosine_graph].
 */
#include <stdlib.h>

#include "hrkd/plugin.h"

static const hrkd_plugin_param params[] = {
    {"temperature", HRKD_CFG_FLOAT, "0.5", 0.001, 1000.0, NULL, "softmax temperature over domains"},
    {"eps", HRKD_CFG_FLOAT, "1e-8", 1e-30, 1.0, NULL, "smallest prototype norm (l2_normalize)"},
};

typedef struct cosine_graph {
    float temperature, eps;
} cosine_graph;

static int cg_create(const hrkd_plugin_args *args, void **self, hrkd_error *err)
{
    cosine_graph *g = malloc(sizeof *g);
    if (!g) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "example_cosine_graph: out of memory");
    g->temperature = args->config ? (float)hrkd_cfg_float(args->config, "temperature") : 0.5f;
    g->eps = args->config ? (float)hrkd_cfg_float(args->config, "eps") : 1e-8f;
    *self = g;
    return 0;
}

static void cg_destroy(void *self) { free(self); }

/* agg [D, F] → r [D] */
static hrkd_tensor *cg_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg)
{
    const cosine_graph *g = self;
    hrkd_tensor *sim = hrkd_cosine_similarity(ctx, agg, agg, g->eps); /* [D, D] */
    hrkd_tensor *centrality = hrkd_mean(ctx, sim, 1);                  /* [D] */
    return hrkd_softmax(ctx, hrkd_scale(ctx, centrality, 1.0f / g->temperature), NULL);
}

static const hrkd_graph_fns fns = {.forward = cg_forward};

static const hrkd_plugin_descriptor descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor),
    .kind = HRKD_KIND_RELATIONAL_GRAPH,
    .name = "example_cosine_graph",
    .version = "1.0.0",
    .summary = "example: ratios = softmax of each domain's mean cosine similarity / temperature",
    .params = params, .n_params = 2,
    .create = cg_create, .destroy = cg_destroy,
    .graph = &fns,
};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &descriptor; }
