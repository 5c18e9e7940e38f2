/* plugins/relational/weights.h — what the bundled relational plugins with weights
 * (self_attention, compare_aggregate, gat) do alike: check the host's arguments, declare
 * their per-layer weights in the run's parameter store, and find out at the first forward
 * which of those weights are still fresh (all zero) and want their seeded initialisation —
 * the ABI has no init hook, the host allocates the store after every create(), and a weight
 * that is non-zero by then came from a checkpoint and is left as it is. self_attention and
 * compare_aggregate, which hold one weight per layer and nothing else, take their whole state
 * and create/destroy from here (rel_layer_weights).
 *
 * Header-only and built on the public SDK alone (each plugin stays one self-contained .so);
 * a third-party plugin may copy it. */
#ifndef HRKD_PLUGINS_RELATIONAL_WEIGHTS_H
#define HRKD_PLUGINS_RELATIONAL_WEIGHTS_H

#include "hrkd/plugin_relational.h"

#include <stdio.h>
#include <stdlib.h>

/* The host must hand over a parameter store and D >= 1, M >= 0, F >= 1 (read into *dims). */
static inline int rel_get_args(const char *plugin, const hrkd_plugin_args *args, hrkd_rel_dims *dims,
                               hrkd_error *err)
{
    if (!args->params)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "relational plugin '%s': needs a parameter "
                              "store for its weights (args->params is NULL)", plugin);
    return hrkd_rel_dims_get(plugin, args, dims, err);
}

/* The same check, the dimensions not kept. */
static inline int rel_check_args(const char *plugin, const hrkd_plugin_args *args, hrkd_error *err)
{
    hrkd_rel_dims dims;
    return rel_get_args(plugin, args, &dims, err);
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

/* The state of a plugin with one weight per student layer m = 1..M and none at layer 0
 * (self_attention: [F, F]; compare_aggregate: [D, F, F], one matrix per domain), each
 * "<plugin>.layer<m>.w", Xavier-uniform with gain `init_gain` seeded by (seed, name) at the
 * first forward unless a checkpoint filled it. The plugin's create/destroy/forward use it
 * as their state directly. */
typedef struct rel_layer_weights {
    const char  *plugin;
    hrkd_params *params;
    hrkd_rel_dims dims;        /* D, M, F */
    uint64_t     seed;
    float        init_gain;
    int          per_domain;  /* 1: [D, F, F], 0: [F, F] */
    int         *w;           /* [M+1] parameter index of layer m's weight; w[0] = -1 */
    int          initialised;
} rel_layer_weights;

static inline void rel_layers_destroy(void *self)
{
    rel_layer_weights *s = self;
    if (!s) return;
    free(s->w);
    free(s);
}

/* create(): check the arguments, read `init_gain`, declare the M weights. */
static inline int rel_layers_create(const char *plugin, int per_domain, const hrkd_plugin_args *args,
                                    void **out, hrkd_error *err)
{
    hrkd_rel_dims dims;
    int rc = rel_get_args(plugin, args, &dims, err);
    if (rc != 0) return rc;
    rel_layer_weights *s = calloc(1, sizeof *s);
    if (s) s->w = calloc((size_t)args->n_student_layers + 1, sizeof *s->w);
    if (!s || !s->w) {
        rel_layers_destroy(s);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "relational plugin '%s': out of memory", plugin);
    }
    s->plugin = plugin;
    s->params = args->params;
    s->dims = dims;
    s->seed = args->seed;
    s->init_gain = args->config ? (float)hrkd_cfg_float(args->config, "init_gain") : 1.414f;
    s->per_domain = per_domain;
    s->w[0] = -1;
    int64_t shape[3] = {dims.D, dims.F, dims.F};
    for (int m = 1; m <= dims.M; m++)
        if ((s->w[m] = rel_declare(s->params, plugin, m, "w", per_domain ? 3 : 2,
                                   per_domain ? shape : shape + 1, err)) < 0) {
            rel_layers_destroy(s);
            return HRKD_STATUS_INVALID;
        }
    *out = s;
    return 0;
}

/* At the first forward: Xavier-initialise every weight still all zero. 0, or -1 (ctx failed). */
static inline int rel_layers_init(rel_layer_weights *s, hrkd_ctx *ctx)
{
    if (s->initialised) return 0;
    const hrkd_rel_dims *d = &s->dims;
    float *buf = malloc((size_t)((s->per_domain ? d->D : 1) * d->F * d->F) * sizeof *buf);
    if (!buf) {
        hrkd_ctx_fail(ctx, "%s: out of memory", s->plugin);
        return -1;
    }
    int fresh = 0;
    for (int m = 1; m <= d->M && fresh >= 0; m++)
        if ((fresh = rel_is_fresh(s->params, s->w[m], buf, ctx, s->plugin, m)) == 1)
            hrkd_params_init_xavier_uniform(s->params, s->w[m], s->init_gain, s->seed);
    free(buf);
    if (fresh < 0) return -1;
    s->initialised = 1;
    return 0;
}

#endif
