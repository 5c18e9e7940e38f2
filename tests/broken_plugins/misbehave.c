/* tests/broken_plugins/misbehave.c — plugins that load fine and then misbehave, for
 * tests/t_plugin_selftest.sh. Built once per mistake with -DMISTAKE_<NAME>; -DLOSS_KIND makes
 * it a loss plugin ("bad_loss"), else a relational.graph plugin ("bad_graph"). Without a
 * MISTAKE_ macro both are valid. `hrkd plugins test` and `hrkd check` must refuse each mistake,
 * and a run that meets it must stop naming the plugin, the function and what was wrong. */
#include <math.h>
#include <stddef.h>

#include "hrkd/plugin.h"

static const hrkd_plugin_param params[] = {
    {"alpha", HRKD_CFG_FLOAT, "0.5", 0, 1, NULL, "a declared number"},
};

static int b_create(const hrkd_plugin_args *args, void **self, hrkd_error *err)
{
    *self = (void *)args->config; /* the section: read later */
#if defined(MISTAKE_CREATE_UNDECLARED)
    if (hrkd_cfg_int(args->config, "heads") > 4) return hrkd_error_set(err, HRKD_STATUS_INVALID, "too many");
#elif defined(MISTAKE_CREATE_TYPE) /* alpha is a float */
    if (hrkd_cfg_int(args->config, "alpha") > 4) return hrkd_error_set(err, HRKD_STATUS_INVALID, "too big");
#endif
    return 0;
}
static void b_destroy(void *self) {}

#ifdef LOSS_KIND
#define NAME "bad_loss"
static int b_compute(void *self, hrkd_ctx *ctx, const hrkd_kd_inputs *in, hrkd_tensor **terms,
                     hrkd_tensor **pred)
{
    const int M = in->n_student_layers;
    for (int m = 0; m <= M; m++) terms[m] = hrkd_mse(ctx, in->student_hidden[m], in->teacher_hidden[m]);
    *pred = hrkd_mse(ctx, in->student_logits, in->teacher_logits);
#if defined(MISTAKE_SHAPE) /* a per-token term [B, T] where [1] is due */
    terms[M] = hrkd_mean(ctx, in->student_hidden[M], 2);
#elif defined(MISTAKE_NAN)
    terms[0] = hrkd_scale(ctx, terms[0], NAN);
#elif defined(MISTAKE_NULL_TERM) /* success, with a term left out */
    terms[M] = NULL;
#elif defined(MISTAKE_FAIL_SILENT)
    return 1;
#endif
    return 0;
}
static const hrkd_loss_fns fns = {.compute = b_compute};
#else
#define NAME "bad_graph"
static hrkd_tensor *b_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg)
{
    hrkd_tensor *r = hrkd_softmax(ctx, hrkd_mean(ctx, agg, 1), NULL); /* [D], sums to 1 */
#if defined(MISTAKE_SUM)
    r = hrkd_scale(ctx, r, 1.5f);
#elif defined(MISTAKE_SHAPE) /* the aggregated prototypes [D, F] handed back */
    r = agg;
#elif defined(MISTAKE_NAN)
    r = hrkd_scale(ctx, r, NAN);
#elif defined(MISTAKE_DETACH) /* ratios cut off from the student: no gradient reaches it */
    r = hrkd_softmax(ctx, hrkd_mean(ctx, hrkd_detach(ctx, agg), 1), NULL);
#elif defined(MISTAKE_UNDECLARED) /* "beta" is not among the declared parameters */
    r = hrkd_scale(ctx, r, 1.0f + (float)hrkd_cfg_float((const hrkd_config_section *)self, "beta"));
#elif defined(MISTAKE_NULL_SILENT)
    r = NULL;
#elif defined(MISTAKE_OP_NULL) /* an op given NULL */
    r = hrkd_softmax(ctx, NULL, NULL);
#endif
    return r;
}
static const hrkd_graph_fns fns = {.forward = b_forward};
#endif

static const hrkd_plugin_descriptor descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor),
#ifdef LOSS_KIND
    .kind = HRKD_KIND_LOSS, .loss = &fns,
#else
    .kind = HRKD_KIND_RELATIONAL_GRAPH, .graph = &fns,
#endif
    .name = NAME, .version = "0.0.1", .summary = "test plugin with a mistake",
    .params = params, .n_params = 1, .create = b_create, .destroy = b_destroy,
};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &descriptor; }
