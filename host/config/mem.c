/* host/config/mem.c — the configuration room's allocation helpers (mem.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/mem.h"

char *cfg_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    HRKD_ASSERT(d);
    memcpy(d, s, n);
    return d;
}

char *cfg_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    HRKD_ASSERT(d);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void *cfg_grow(void *p, int *cap, int need, size_t elem)
{
    if (need <= *cap) return p;
    int nc = *cap ? *cap * 2 : 8;
    while (nc < need) nc *= 2;
    void *q = realloc(p, (size_t)nc * elem);
    HRKD_ASSERT(q);
    *cap = nc;
    return q;
}

char *cfg_vasprintf(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0) n = 0;
    char *s = malloc((size_t)n + 1);
    HRKD_ASSERT(s);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

void cfg_buf_printf(cfg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *piece = cfg_vasprintf(fmt, ap);
    va_end(ap);
    size_t n = strlen(piece);
    if (b->n + n + 1 > b->cap) {
        while (b->n + n + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 1024;
        b->s = realloc(b->s, b->cap);
        HRKD_ASSERT(b->s);
    }
    memcpy(b->s + b->n, piece, n + 1);
    b->n += n;
    free(piece);
}
