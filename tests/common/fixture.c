/* tests/common/fixture.c — see fixture.h */
#include "common/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rd(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n; }

fixture *fixture_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "%s: cannot open fixture\n", path); return NULL; }
    char magic[8];
    uint32_t n = 0;
    fixture *fx = calloc(1, sizeof *fx);
    if (!rd(f, magic, 8) || memcmp(magic, "HRKDFIX1", 8) || !rd(f, &n, 4) || n > 100000) goto bad;
    fx->t = calloc(n ? n : 1, sizeof *fx->t);
    for (uint32_t i = 0; i < n; i++) {
        fixture_tensor *t = &fx->t[i];
        uint32_t len, dtype, ndim;
        if (!rd(f, &len, 4) || len > 4096) goto bad;
        t->name = calloc(len + 1, 1);
        if (!rd(f, t->name, len) || !rd(f, &dtype, 4) || !rd(f, &ndim, 4) || dtype > 1 || ndim > 8)
            goto bad;
        fx->n = (int)i + 1;
        t->dtype = (int)dtype;
        t->ndim  = (int)ndim;
        t->numel = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            if (!rd(f, &t->shape[d], 8) || t->shape[d] < 0) goto bad;
            t->numel *= t->shape[d];
        }
        t->data = malloc((size_t)(t->numel ? t->numel : 1) * 4);
        if (!rd(f, t->data, (size_t)t->numel * 4)) goto bad;
    }
    fclose(f);
    return fx;
bad:
    fprintf(stderr, "%s: malformed fixture\n", path);
    fclose(f);
    fixture_free(fx);
    return NULL;
}

void fixture_free(fixture *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) { free(f->t[i].name); free(f->t[i].data); }
    free(f->t);
    free(f);
}

const fixture_tensor *fixture_get(const fixture *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

const fixture_tensor *fixture_need(const fixture *f, const char *name)
{
    const fixture_tensor *t = fixture_get(f, name);
    if (!t) { fprintf(stderr, "fixture lacks tensor '%s'\n", name); exit(1); }
    return t;
}
