/* host/plugin/guard.h — checking what a plugin hands back, where it enters the host.
 *
 * Every plugin call is named in messages as "plugin 'NAME' (KIND.FUNCTION[, layer m][,
 * domain d])". After a call the host folds into the ctx's error: a recorded read of an
 * undeclared key (config/cfg.h), a failure without a message, and the plugin's own message,
 * each prefixed with that name; then it checks each output tensor: shape (the actual one is
 * printed), finite values, and for ratios non-negative entries summing to 1 per row. */
#ifndef HRKD_PLUGIN_GUARD_H
#define HRKD_PLUGIN_GUARD_H

#include "hrkd/plugin.h"

/* |Σ r - 1| allowed for a row of ratios (float32 sums of D ≤ 64 softmax entries are far
 * closer). */
#define HRKD_RATIO_TOLERANCE 1e-3

typedef struct hrkd_plugin_call {
    const hrkd_plugin_descriptor *desc;
    const char                   *fn;     /* "forward", "compute", "train_loss", ... */
    int                           layer;  /* -1: none */
    int                           domain; /* -1: none */
} hrkd_plugin_call;

/* "plugin 'gat' (relational.graph.forward, layer 2)" */
void hrkd_plugin_call_name(const hrkd_plugin_call *c, char *out, size_t cap);

/* After the call: failed = the call reported failure (non-zero status, or NULL where a
 * tensor was due). Returns 0 when the call succeeded cleanly; otherwise the ctx's error is
 * set and named (a config misuse wins over what followed from it) and -1 returned. */
int hrkd_plugin_call_done(hrkd_ctx *ctx, const hrkd_plugin_call *c, int failed);

/* Check one output: `what` names it ("ratios", "layer_terms[2]"); shape[ndim] the expected
 * shape; ratio_rows > 0: the tensor holds ratio_rows rows of ratios (non-negative, each
 * summing to 1 within HRKD_RATIO_TOLERANCE). NULL t is an error. Returns 0, or -1 with the
 * ctx's error set and named. */
int hrkd_plugin_check_output(hrkd_ctx *ctx, const hrkd_plugin_call *c, const char *what,
                             const hrkd_tensor *t, int ndim, const int64_t *shape, int ratio_rows);

/* The same for a host-side failure: "plugin ...: why" into err. */
hrkd_status hrkd_plugin_call_error(hrkd_error *err, const hrkd_plugin_call *c, const char *fmt, ...)
    HRKD_PRINTF(3, 4);

#endif
