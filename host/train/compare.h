/* host/train/compare.h — two runs, or two groups of runs (the seeds of two methods), compared
 * on their test accuracy: `hrkd compare` (host/cli/cmd_compare.c). Reads run files only. */
#ifndef HRKD_TRAIN_COMPARE_H
#define HRKD_TRAIN_COMPARE_H

#include "hrkd/status.h"

#define HRKD_COMPARE_MAX_RUNS 64 /* run files per group */

/* Per-domain and average test accuracy of groups A (ga, na ≥ 1) and B (gb, nb ≥ 1), their
 * difference and Welch's p-value, on stdout. Returns the exit code: 0, or 2 when a file is not
 * a finished run file or the runs' domains differ (the message on stderr). */
int hrkd_compare(const char *const *ga, int na, const char *const *gb, int nb);

/* Two-sided p-value of Welch's t-test; NAN when a group has fewer than 2 runs. */
HRKD_API double hrkd_welch_p(const double *a, int na, const double *b, int nb, double *t_out);

#endif
