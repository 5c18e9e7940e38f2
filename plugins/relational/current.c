/* plugins/relational/current.c — the "− Hierarchical Rel." ablation of HRKD's Table 4: each
 * layer's graph sees only that layer's prototypes, AP_{m,d} = h_{m,d}; the similarity ratios
 * are one-hot on layer m. This is also what the reference code runs without --hierarchical. */
#include "hrkd/plugin_relational.h"

#include <stdlib.h>

typedef struct current {
    hrkd_rel_dims dims;
    float        *onehot; /* [D, M+1] host scratch for the similarity ratios */
} current;

static void cur_destroy(void *self)
{
    current *s = self;
    if (!s) return;
    free(s->onehot);
    free(s);
}

static int cur_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    hrkd_rel_dims dims;
    int rc = hrkd_rel_dims_get("current", args, &dims, err);
    if (rc != 0) return rc;
    current *s = calloc(1, sizeof *s);
    if (s) s->onehot = malloc((size_t)dims.D * ((size_t)dims.M + 1) * sizeof(float));
    if (!s || !s->onehot) {
        cur_destroy(s);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "relational plugin 'current': out of memory");
    }
    s->dims = dims;
    *out = s;
    return 0;
}

static hrkd_tensor *cur_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos_upto,
                                hrkd_tensor *ref, hrkd_tensor **similarity)
{
    current *s = self;
    if (similarity) *similarity = NULL;
    if (!hrkd_rel_check_upto(ctx, "current", &s->dims, m, protos_upto, NULL)) return NULL;
    const int D = s->dims.D;
    int64_t dl[2] = {D, (int64_t)m + 1}, df[2] = {D, s->dims.F};
    if (similarity) {
        for (int d = 0; d < D; d++)
            for (int j = 0; j <= m; j++) s->onehot[d * (m + 1) + j] = j == m ? 1.0f : 0.0f;
        *similarity = hrkd_tensor_from_host(ctx, 2, dl, s->onehot);
    }
    return hrkd_reshape(ctx, hrkd_slice(ctx, protos_upto, 0, m, 1), 2, df);    /* h_m [D, F] */
}

static const hrkd_aggregate_fns cur_fns = {.forward = cur_forward};

static const hrkd_plugin_descriptor cur_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_RELATIONAL_AGGREGATE,
    .name = "current", .version = "1.0.0",
    .summary = "ablation '- Hierarchical Rel.': AP_m = h_m, one-hot similarity on layer m",
    .create = cur_create, .destroy = cur_destroy, .aggregate = &cur_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &cur_descriptor; }
