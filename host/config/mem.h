/* host/config/mem.h — the configuration room's allocation helpers: checked copies, growing
 * arrays, formatted strings and a growing text buffer. Running out of memory is an assertion. */
#ifndef HRKD_CONFIG_MEM_H
#define HRKD_CONFIG_MEM_H

#include <stdarg.h>
#include <stddef.h>

#include "hrkd/status.h"

char *cfg_strdup(const char *s);
/* The first n bytes of s, NUL-terminated. */
char *cfg_strndup(const char *s, size_t n);
/* p grown (doubled from 8) so that `need` elements of elem bytes fit; *cap is updated. */
void *cfg_grow(void *p, int *cap, int need, size_t elem);
/* fmt printed into a new string. */
char *cfg_vasprintf(const char *fmt, va_list ap);

/* A growing text buffer: s is NULL until the first print, then NUL-terminated (malloc'd). */
typedef struct cfg_buf {
    char  *s;
    size_t n, cap;
} cfg_buf;
void cfg_buf_printf(cfg_buf *b, const char *fmt, ...) HRKD_PRINTF(2, 3);

#endif
