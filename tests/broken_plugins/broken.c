/* tests/broken_plugins/broken.c — deliberately broken plugins for tests/t_plugin_refusals.sh.
 * Built once per defect with -DBROKEN_<DEFECT> (plus -DPLUGIN_NAME='"..."' to pick the name);
 * without a BROKEN_ macro it is a valid relational.graph plugin. Each defect must be refused
 * by the host with "<path>: <reason>" and never crash it. */
#include <stddef.h>

#include "hrkd/plugin.h"

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "broken_graph"
#endif

static int b_create(const hrkd_plugin_args *args, void **self, hrkd_error *err)
{
    *self = NULL;
    return 0;
}
static void b_destroy(void *self) {}
/* a valid graph: r = softmax over the domains of each one's mean feature */
static hrkd_tensor *b_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg)
{
    return hrkd_softmax(ctx, hrkd_mean(ctx, agg, 1), NULL);
}

static const hrkd_graph_fns good_fns = {.forward = b_forward};
#ifdef BROKEN_WRONG_TABLE
static int b_compute(void *self, hrkd_ctx *ctx, const hrkd_kd_inputs *in, hrkd_tensor **terms,
                     hrkd_tensor **pred)
{
    return 1;
}
static const hrkd_loss_fns loss_fns = {.compute = b_compute};
#endif
static const hrkd_graph_fns null_fns = {.forward = NULL};

static const hrkd_plugin_param params[] = {
    {"alpha", HRKD_CFG_FLOAT, "0.5", 0, 1, NULL, "a number in [0, 1]"},
#ifdef BROKEN_PARAM_DEFAULT
    {"beta", HRKD_CFG_INT, "many", 0, 10, NULL, "default is not an int"},
#endif
};

static const hrkd_plugin_descriptor descriptor = {
#ifdef BROKEN_MAGIC
    .magic = 0xdeadbeefu,
#else
    .magic = HRKD_PLUGIN_MAGIC,
#endif
#ifdef BROKEN_ABI_MAJOR
    .abi_major = 2,
#else
    .abi_major = HRKD_PLUGIN_ABI_MAJOR,
#endif
#ifdef BROKEN_ABI_MINOR
    .abi_minor = 5,
#elif defined(ABI_MINOR_ZERO) /* not broken: a plugin built for ABI 1.0 still loads */
    .abi_minor = 0,
#else
    .abi_minor = HRKD_PLUGIN_ABI_MINOR,
#endif
#ifdef BROKEN_SIZE
    .struct_size = 8,
#else
    .struct_size = sizeof(hrkd_plugin_descriptor),
#endif
#ifdef BROKEN_KIND
    .kind = (hrkd_plugin_kind)42,
#else
    .kind = HRKD_KIND_RELATIONAL_GRAPH,
#endif
    .name = PLUGIN_NAME,
    .version = "0.0.1",
    .summary = "test plugin (" PLUGIN_NAME ")",
    .params = params,
    .n_params = (int)(sizeof params / sizeof params[0]),
#ifdef BROKEN_NULL_CREATE
    .create = NULL,
#else
    .create = b_create,
#endif
    .destroy = b_destroy,
#if defined(BROKEN_NULL_TABLE)
    .graph = NULL,
#elif defined(BROKEN_WRONG_TABLE) /* kind graph, but the loss table filled in */
    .graph = NULL,
    .loss = &loss_fns,
#elif defined(BROKEN_NULL_FUNCTION)
    .graph = &null_fns,
#else
    .graph = &good_fns,
#endif
};

#ifndef BROKEN_NO_ENTRY
HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &descriptor; }
#else
/* exported, but not under the entry name */
HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry_v0(void) { return &descriptor; }
#endif
