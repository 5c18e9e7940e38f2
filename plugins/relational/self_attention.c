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

#include <stdlib.h>

#include "weights.h"

typedef struct self_attention {
    hrkd_params *params;
    int          D, M;
    int64_t      F;
    uint64_t     seed;
    float        init_gain;
    int         *w;           /* [M+1] parameter index of W^D_m; w[0] = -1 */
    int          initialised;
} self_attention;

static const hrkd_plugin_param sa_params[] = {
    {"init_gain", HRKD_CFG_FLOAT, "1.414", 0.0, 100.0, NULL,
     "gain of the Xavier-uniform initialisation of W^D_m (the reference's 1.414)"},
};

static void sa_destroy(void *self)
{
    self_attention *s = self;
    if (!s) return;
    free(s->w);
    free(s);
}

static int sa_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    int rc = rel_check_args("self_attention", args, err);
    if (rc != 0) return rc;
    self_attention *s = calloc(1, sizeof *s);
    if (s) s->w = calloc((size_t)args->n_student_layers + 1, sizeof *s->w);
    if (!s || !s->w) {
        sa_destroy(s);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "relational plugin 'self_attention': out of memory");
    }
    s->params = args->params;
    s->D = args->n_domains;
    s->M = args->n_student_layers;
    s->F = args->feature_dim;
    s->seed = args->seed;
    s->init_gain = args->config ? (float)hrkd_cfg_float(args->config, "init_gain") : 1.414f;
    s->w[0] = -1;
    int64_t shape[2] = {s->F, s->F};
    for (int m = 1; m <= s->M; m++)
        if ((s->w[m] = rel_declare(s->params, "self_attention", m, "w", 2, shape, err)) < 0) {
            sa_destroy(s);
            return HRKD_STATUS_INVALID;
        }
    *out = s;
    return 0;
}

/* Xavier-initialise every weight that is still all zero (fresh store). */
static int sa_init(self_attention *s, hrkd_ctx *ctx)
{
    float *host = malloc((size_t)(s->F * s->F) * sizeof *host);
    if (!host) {
        hrkd_ctx_fail(ctx, "self_attention: out of memory");
        return -1;
    }
    int fresh = 0;
    for (int m = 1; m <= s->M && fresh >= 0; m++)
        if ((fresh = rel_is_fresh(s->params, s->w[m], host, ctx, "self_attention", m)) == 1)
            hrkd_params_init_xavier_uniform(s->params, s->w[m], s->init_gain, s->seed);
    free(host);
    if (fresh < 0) return -1;
    s->initialised = 1;
    return 0;
}

static hrkd_tensor *sa_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos)
{
    self_attention *s = self;
    if (!protos || hrkd_ctx_failed(ctx)) return NULL;
    char buf[64];
    if (m < 0 || m > s->M)
        return hrkd_ctx_fail(ctx, "self_attention: layer %d outside 0..%d", m, s->M);
    if (protos->ndim != 2 || protos->shape[0] != s->D || protos->shape[1] != s->F)
        return hrkd_ctx_fail(ctx, "self_attention: prototypes %s, expected [%d, %lld]",
                             hrkd_shape_str(protos, buf, sizeof buf), s->D, (long long)s->F);
    if (m == 0) return protos;
    if (!s->initialised && sa_init(s, ctx) != 0) return NULL;
    hrkd_tensor *w = hrkd_params_tensor(s->params, s->w[m]);                   /* [F, F] */
    hrkd_tensor *scores = hrkd_matmul(ctx, hrkd_matmul(ctx, protos, w, 0, 0, 1.0f), protos, 0, 1,
                                      1.0f);                                    /* h W hᵀ [D, D] */
    hrkd_tensor *att = hrkd_softmax(ctx, scores, NULL);                         /* Eq. 14 */
    return hrkd_matmul(ctx, att, protos, 0, 0, 1.0f);                           /* Eq. 13 [D, F] */
}

static const hrkd_reference_fns sa_fns = {.forward = sa_forward};

static const hrkd_plugin_descriptor sa_descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor), .kind = HRKD_KIND_RELATIONAL_REFERENCE,
    .name = "self_attention", .version = "1.0.0",
    .summary = "reference prototypes RP_m = softmax(h_m W_m h_m^T) h_m across domains (Eq. 13-14)",
    .params = sa_params, .n_params = (int)(sizeof sa_params / sizeof sa_params[0]),
    .create = sa_create, .destroy = sa_destroy, .reference = &sa_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &sa_descriptor; }
