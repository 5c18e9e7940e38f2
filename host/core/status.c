/* host/core/status.c — error messages and logging (see hrkd/status.h). */
#include "hrkd/status.h"

#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s into msg; a message longer than msg keeps its head and its tail around "...": the tail
 * holds the cause ("...: No such file or directory"), which a plain cut would drop. */
static void fit_message(char *msg, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n < cap) { memcpy(msg, s, n + 1); return; }
    size_t head = cap / 4, tail = cap - 1 - head - 3;
    memcpy(msg, s, head);
    memcpy(msg + head, "...", 3);
    memcpy(msg + head + 3, s + n - tail, tail + 1);
}

hrkd_status hrkd_error_vset(hrkd_error *err, hrkd_status st, const char *fmt, va_list ap)
{
    if (!err || err->status != HRKD_STATUS_OK) return st; /* first error wins */
    err->status = st;
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    char *full = n >= (int)sizeof err->msg ? malloc((size_t)n + 1) : NULL;
    if (full) {
        vsnprintf(full, (size_t)n + 1, fmt, aq);
        fit_message(err->msg, sizeof err->msg, full);
        free(full);
    }
    va_end(aq);
    return st;
}

hrkd_status hrkd_error_set(hrkd_error *err, hrkd_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hrkd_error_vset(err, st, fmt, ap);
    va_end(ap);
    return st;
}

void hrkd_error_prefix(hrkd_error *err, const char *fmt, ...)
{
    if (!err || err->status == HRKD_STATUS_OK) return;
    char pre[HRKD_ERROR_MSG_MAX], both[2 * HRKD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(both, sizeof both, "%s%s", pre, err->msg);
    fit_message(err->msg, sizeof err->msg, both);
}

void hrkd_error_clear(hrkd_error *err)
{
    if (!err) return;
    err->status = HRKD_STATUS_OK;
    err->msg[0] = '\0';
}

int hrkd_exit_code(int st)
{
    switch (st) {
    case HRKD_STATUS_OK: return 0;
    case HRKD_STATUS_INVALID:
    case HRKD_STATUS_NOT_FOUND: return 2;
    case HRKD_STATUS_UNSUPPORTED: return 3;
    default: return 1;
    }
}

const char *hrkd_status_name(hrkd_status st)
{
    switch (st) {
    case HRKD_STATUS_OK: return "ok";
    case HRKD_STATUS_INVALID: return "invalid";
    case HRKD_STATUS_IO: return "io";
    case HRKD_STATUS_UNSUPPORTED: return "unsupported";
    case HRKD_STATUS_NOMEM: return "out of memory";
    case HRKD_STATUS_NOT_FOUND: return "not found";
    case HRKD_STATUS_INTERNAL: return "internal";
    case HRKD_STATUS_RUNTIME: return "runtime";
    }
    return "unknown";
}

static int g_level = -1;

hrkd_log_level hrkd_log_get_level(void)
{
    if (g_level < 0) {
        const char *e = getenv("HRKD_LOG");
        g_level = HRKD_LOG_INFO;
        if (e) {
            if (!strcmp(e, "error")) g_level = HRKD_LOG_ERROR;
            else if (!strcmp(e, "warn")) g_level = HRKD_LOG_WARN;
            else if (!strcmp(e, "debug")) g_level = HRKD_LOG_DEBUG;
        }
    }
    return (hrkd_log_level)g_level;
}

void hrkd_log_set_level(hrkd_log_level level) { g_level = (int)level; }

void hrkd_log(hrkd_log_level level, const char *fmt, ...)
{
    if ((int)level > (int)hrkd_log_get_level()) return;
    static const char *tags[] = {"error", "warning", "info", "debug"};
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hrkd: %s: ", tags[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void hrkd_log_memory(const char *what)
{
    if (hrkd_log_get_level() < HRKD_LOG_DEBUG) return;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return;
    char line[256];
    long rss = -1, hwm = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6)) rss = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "VmHWM:", 6)) hwm = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    hrkd_log(HRKD_LOG_DEBUG, "memory: %s: resident %.1f MB, peak %.1f MB", what, rss / 1024.0, hwm / 1024.0);
}

void hrkd_assert_fail(const char *file, int line, const char *cond)
{
    fprintf(stderr, "%s:%d: internal error: assertion '%s' failed\n", file, line, cond);
    abort();
}
