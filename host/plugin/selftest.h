/* host/plugin/selftest.h — a plugin's self-test (`hrkd plugins test`, and `hrkd check` for every
 * plugin an INI uses): create, each function of its kind on small random inputs, destroy.
 *
 * Checked: every output's shape (the actual one printed), finite values, ratios (graph: [D]
 * non-negative, summing to 1; aggregate similarity: each of the D rows of [D, m+1] likewise),
 * scalar loss terms ([1]), teacher routes within n_models / n_heads, no read of an undeclared
 * key (config/cfg.h), and the gradient of every output with respect to every input on the
 * tape against central differences (guard.h names the call in every message). */
#ifndef HRKD_PLUGIN_SELFTEST_H
#define HRKD_PLUGIN_SELFTEST_H

#include <stdio.h>

#include "hrkd/plugin.h"

/* Central differences: step h = HRKD_SELFTEST_FD_STEP, in float32 inputs, the difference
 * taken in double; backward's g and the estimate e agree when
 * |g - e| <= HRKD_SELFTEST_FD_ATOL + HRKD_SELFTEST_FD_RTOL * max(|g|, |e|). A point that
 * disagrees is tried again with h / 4 (a kink of ReLU / ELU between x - h and x + h). */
#define HRKD_SELFTEST_FD_STEP 1e-2
#define HRKD_SELFTEST_FD_ATOL 2e-3
#define HRKD_SELFTEST_FD_RTOL 5e-2
/* Points probed per input tensor. */
#define HRKD_SELFTEST_FD_POINTS 3

typedef struct hrkd_selftest_shape {
    int      D, M, N;  /* domains, student layers, teacher layers */
    int64_t  F;        /* feature width (the teacher's hidden width) */
    int      heads;    /* attention heads of the attention-score inputs */
    int      classes;  /* logits width */
    int      B, T;     /* batch rows, tokens */
    uint64_t seed;
} hrkd_selftest_shape;

/* Runs the self-test of d with its bound section cs (NULL: the plugin reads its defaults) on
 * backend be. Progress lines go to out (NULL: none). Returns OK, or the first failure in err:
 * "plugin 'NAME' (KIND.FUNCTION[, layer m]): what was wrong". */
hrkd_status hrkd_plugin_selftest(const hrkd_plugin_descriptor *d, const hrkd_config_section *cs,
                                 const hrkd_selftest_shape *shape, hrkd_backend *be, FILE *out,
                                 hrkd_error *err);

#endif
