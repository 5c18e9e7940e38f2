/* hrkd/plugin_relational.h — what every relational plugin (reference, aggregate, graph) checks
 * alike: at create() the host's dimensions D, M, F, and at each forward the layer index and
 * the shape of the prototypes it was handed, refused with the messages the bundled plugins
 * print. A plugin without weights or parameters can take its whole state and create/destroy
 * from here (hrkd_rel_dims_create, hrkd_rel_dims_destroy).
 *
 * Header-only on the public SDK: a plugin that includes it stays one self-contained .so and
 * libhrkd's ABI does not change. */
#ifndef HRKD_PLUGIN_RELATIONAL_H
#define HRKD_PLUGIN_RELATIONAL_H

#include <stdlib.h>

#include "hrkd/plugin.h"

/* The host's dimensions: D domains, student layers 0..M, prototypes of width F. */
typedef struct hrkd_rel_dims {
    int     D, M;
    int64_t F;
} hrkd_rel_dims;

/* Read D, M, F from the host's arguments into *dims. Returns 0, or HRKD_STATUS_INVALID with
 * "relational plugin '<plugin>': ..." in err unless D >= 1, M >= 0 and F >= 1. */
static inline int hrkd_rel_dims_get(const char *plugin, const hrkd_plugin_args *args,
                                    hrkd_rel_dims *dims, hrkd_error *err)
{
    if (args->n_domains < 1 || args->n_student_layers < 0 || args->feature_dim < 1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "relational plugin '%s': %d domains, %d "
                              "student layers, feature width %lld: expected D >= 1, M >= 0, F >= 1",
                              plugin, args->n_domains, args->n_student_layers,
                              (long long)args->feature_dim);
    dims->D = args->n_domains;
    dims->M = args->n_student_layers;
    dims->F = args->feature_dim;
    return 0;
}

/* create() of a plugin whose whole state is its dimensions: *out = a malloc'd hrkd_rel_dims
 * (free it with hrkd_rel_dims_destroy). Returns 0, or non-zero with err filled. */
static inline int hrkd_rel_dims_create(const char *plugin, const hrkd_plugin_args *args, void **out,
                                       hrkd_error *err)
{
    hrkd_rel_dims dims;
    int rc = hrkd_rel_dims_get(plugin, args, &dims, err);
    if (rc != 0) return rc;
    hrkd_rel_dims *s = (hrkd_rel_dims *)malloc(sizeof *s); /* cast: C++ includes it too */
    if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "relational plugin '%s': out of memory", plugin);
    *s = dims;
    *out = s;
    return 0;
}

static inline void hrkd_rel_dims_destroy(void *self) { free(self); }

/* The layer m is in 0..M, or ctx fails with "<plugin>: layer m outside 0..M". 1 when it is. */
static inline int hrkd_rel_check_m(hrkd_ctx *ctx, const char *plugin, const hrkd_rel_dims *dims, int m)
{
    if (m >= 0 && m <= dims->M) return 1;
    hrkd_ctx_fail(ctx, "%s: layer %d outside 0..%d", plugin, m, dims->M);
    return 0;
}

/* At a reference or graph forward: 1 when the input may be used — protos is there, ctx has
 * not failed, m is in 0..M and protos is [D, F] — else 0, ctx failed with a message naming
 * the plugin unless protos was NULL or ctx had failed already. */
static inline int hrkd_rel_check_layer(hrkd_ctx *ctx, const char *plugin, const hrkd_rel_dims *dims,
                                       int m, const hrkd_tensor *protos)
{
    if (!protos || hrkd_ctx_failed(ctx) || !hrkd_rel_check_m(ctx, plugin, dims, m)) return 0;
    if (protos->ndim == 2 && protos->shape[0] == dims->D && protos->shape[1] == dims->F) return 1;
    char buf[64];
    hrkd_ctx_fail(ctx, "%s: prototypes %s, expected [%d, %lld]", plugin,
                  hrkd_shape_str(protos, buf, sizeof buf), dims->D, (long long)dims->F);
    return 0;
}

/* At an aggregate forward: the same for protos_upto [m+1, D, F] and, when ref is not NULL,
 * ref [D, F] (the message then names both shapes). */
static inline int hrkd_rel_check_upto(hrkd_ctx *ctx, const char *plugin, const hrkd_rel_dims *dims,
                                      int m, const hrkd_tensor *protos_upto, const hrkd_tensor *ref)
{
    if (!protos_upto || hrkd_ctx_failed(ctx) || !hrkd_rel_check_m(ctx, plugin, dims, m)) return 0;
    const int64_t L = (int64_t)m + 1, D = dims->D, F = dims->F;
    const hrkd_tensor *p = protos_upto;
    int ok = p->ndim == 3 && p->shape[0] == L && p->shape[1] == D && p->shape[2] == F;
    if (ok && (!ref || (ref->ndim == 2 && ref->shape[0] == D && ref->shape[1] == F))) return 1;
    char b1[64], b2[64];
    if (ref)
        hrkd_ctx_fail(ctx, "%s: layer %d got prototypes %s and reference %s, expected [%lld, %lld, "
                      "%lld] and [%lld, %lld]", plugin, m, hrkd_shape_str(p, b1, sizeof b1),
                      hrkd_shape_str(ref, b2, sizeof b2), (long long)L, (long long)D, (long long)F,
                      (long long)D, (long long)F);
    else
        hrkd_ctx_fail(ctx, "%s: layer %d got prototypes %s, expected [%lld, %lld, %lld]", plugin, m,
                      hrkd_shape_str(p, b1, sizeof b1), (long long)L, (long long)D, (long long)F);
    return 0;
}

#endif /* HRKD_PLUGIN_RELATIONAL_H */
