/* host/config/diag.c — the problems of one load, sorted by file and line (diag.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/diag.h"
#include "config/mem.h"
#include "config/store.h"

void cfg_diag_add(cfg_diags *ds, const hrkd_config *cfg, const char *file, int line,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = cfg_vasprintf(fmt, ap);
    va_end(ap);
    const char *f = file ? file : (cfg && cfg->path ? cfg->path : "(config)");
    size_t n = strlen(f) + strlen(body) + 32;
    char *msg = malloc(n);
    HRKD_ASSERT(msg);
    if (line > 0) snprintf(msg, n, "%s:%d: %s", f, line, body);
    else snprintf(msg, n, "%s: %s", f, body);
    free(body);
    ds->d = cfg_grow(ds->d, &ds->cap, ds->n + 1, sizeof(cfg_diag));
    cfg_diag *d = &ds->d[ds->n];
    d->file_idx = cfg ? cfg_file_index(cfg, f) : 0;
    d->line = line > 0 ? line : INT_MAX;
    d->seq = ds->n;
    d->msg = msg;
    ds->n++;
}

static int cfg_diag_cmp(const void *a, const void *b)
{
    const cfg_diag *x = a, *y = b;
    if (x->file_idx != y->file_idx) return x->file_idx < y->file_idx ? -1 : 1;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cfg_diags_flush(cfg_diags *ds, hrkd_config_errors *errs)
{
    if (ds->n > 1) qsort(ds->d, (size_t)ds->n, sizeof(cfg_diag), cfg_diag_cmp);
    for (int i = 0; i < ds->n; i++) {
        if (errs) {
            errs->msg = realloc(errs->msg, (size_t)(errs->n + 1) * sizeof(char *));
            HRKD_ASSERT(errs->msg);
            errs->msg[errs->n++] = ds->d[i].msg;
        } else {
            free(ds->d[i].msg);
        }
    }
    free(ds->d);
    ds->d = NULL;
    ds->n = ds->cap = 0;
}

void hrkd_config_errors_free(hrkd_config_errors *e)
{
    if (!e) return;
    for (int i = 0; i < e->n; i++) free(e->msg[i]);
    free(e->msg);
    e->msg = NULL;
    e->n = 0;
}
