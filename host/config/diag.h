/* host/config/diag.h — the problems found in one load, each "FILE:LINE: ...", reported in the
 * order of the files and lines they point at, whatever the order they were found in. */
#ifndef HRKD_CONFIG_DIAG_H
#define HRKD_CONFIG_DIAG_H

#include "config/cfg.h"

/* Error collection with ordering (file index, line) so a report reads top to bottom. */
typedef struct cfg_diag {
    int   file_idx, line, seq;
    char *msg;
} cfg_diag;
typedef struct cfg_diags {
    cfg_diag *d;
    int       n, cap;
} cfg_diags;
/* file NULL: the config's main file; line 0: no line. */
void cfg_diag_add(cfg_diags *ds, const hrkd_config *cfg, const char *file, int line,
                  const char *fmt, ...) HRKD_PRINTF(5, 6);
/* Sorts and moves every message into errs (errs may be NULL: they are dropped). */
void cfg_diags_flush(cfg_diags *ds, hrkd_config_errors *errs);

#endif
