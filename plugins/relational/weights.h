/* plugins/relational/weights.h — what the bundled relational plugins with weights
 * (self_attention, compare_aggregate, gat) do alike: check the host's arguments, declare
 * their per-layer weights in the run's parameter store, and find out at the first forward
 * which of those weights are still fresh (all zero) and want their seeded initialisation —
 * the ABI has no init hook, the host allocates the store after every create(), and a weight
 * that is non-zero by then came from a checkpoint and is left as it is.
 *
 * Header-only and built on the public SDK alone (each plugin stays one self-contained .so);
 * a third-party plugin may copy it. */
#ifndef HRKD_PLUGINS_RELATIONAL_WEIGHTS_H
#define HRKD_PLUGINS_RELATIONAL_WEIGHTS_H

#include "hrkd/plugin.h"

#include <stdio.h>

/* The host must hand over a parameter store and D >= 1, M >= 0, F >= 1. */
static inline int rel_check_args(const char *plugin, const hrkd_plugin_args *args, hrkd_error *err)
{
    if (!args->params)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "relational plugin '%s': needs a parameter "
                              "store for its weights (args->params is NULL)", plugin);
    if (args->n_domains < 1 || args->n_student_layers < 0 || args->feature_dim < 1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "relational plugin '%s': %d domains, %d "
                              "student layers, feature width %lld: expected D >= 1, M >= 0, F >= 1",
                              plugin, args->n_domains, args->n_student_layers,
                              (long long)args->feature_dim);
    return 0;
}

/* Declare "<plugin>.layer<m>.<suffix>" with the given shape; its index, or -1 with err set. */
static inline int rel_declare(hrkd_params *p, const char *plugin, int m, const char *suffix,
                              int ndim, const int64_t *shape, hrkd_error *err)
{
    char name[96];
    snprintf(name, sizeof name, "%s.layer%d.%s", plugin, m, suffix);
    int i = hrkd_params_add(p, name, ndim, shape, 0);
    if (i < 0)
        hrkd_error_set(err, HRKD_STATUS_INVALID, "relational plugin '%s': cannot declare "
                       "parameter '%s' (duplicate name?)", plugin, name);
    return i;
}

/* 1 when parameter i holds only zeros (nothing loaded it), 0 when not, -1 (ctx failed) when
 * it cannot be read. buf holds at least the parameter's numel floats. */
static inline int rel_is_fresh(hrkd_params *p, int i, float *buf, hrkd_ctx *ctx, const char *plugin,
                               int m)
{
    const hrkd_param_info *pi = hrkd_params_info(p, i);
    if (!pi || hrkd_params_read(p, i, buf) != HRKD_STATUS_OK) {
        hrkd_ctx_fail(ctx, "%s: cannot read the weights of layer %d", plugin, m);
        return -1;
    }
    for (int64_t k = 0; k < pi->numel; k++)
        if (buf[k] != 0.0f) return 0;
    return 1;
}

#endif
