/* hrkd/status.h — status codes and error messages shared by the host, backends and plugins.
 *
 * Contract (inih / ggml style): anything that can fail returns an hrkd_status and, when the
 * caller passes an hrkd_error, fills its message. Only main() exits. A message names the file
 * (and line) and what was expected, e.g. "ini/a.ini:12: [student] hidden: must be > 0".
 */
#ifndef HRKD_STATUS_H
#define HRKD_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define HRKD_API __attribute__((visibility("default")))
#define HRKD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HRKD_API
#define HRKD_PRINTF(a, b)
#endif

typedef enum hrkd_status {
    HRKD_STATUS_OK          = 0,
    HRKD_STATUS_INVALID     = 1, /* bad argument, config value, shape, or file content */
    HRKD_STATUS_IO          = 2, /* a file could not be opened, read or written */
    HRKD_STATUS_UNSUPPORTED = 3, /* the backend or build lacks a feature */
    HRKD_STATUS_NOMEM       = 4, /* allocation failed */
    HRKD_STATUS_NOT_FOUND   = 5, /* a named thing (plugin, tensor, key) does not exist */
    HRKD_STATUS_INTERNAL    = 6, /* a bug: please report */
    HRKD_STATUS_RUNTIME     = 7, /* a run failed while running (a plugin's error in a step) */
} hrkd_status;

#define HRKD_ERROR_MSG_MAX 1024

typedef struct hrkd_error {
    hrkd_status status;
    char        msg[HRKD_ERROR_MSG_MAX];
} hrkd_error;

/* Record an error (the first one wins: later calls do not overwrite a set message, so the
 * innermost, most specific message survives). A message longer than HRKD_ERROR_MSG_MAX - 1
 * bytes keeps its head and its end joined by "...", so the cause at the end survives (also
 * through hrkd_error_prefix). Returns st so callers can
 * `return hrkd_error_set(err, HRKD_STATUS_INVALID, "...")`. err may be NULL. */
HRKD_API hrkd_status hrkd_error_set(hrkd_error *err, hrkd_status st, const char *fmt, ...)
    HRKD_PRINTF(3, 4);
HRKD_API hrkd_status hrkd_error_vset(hrkd_error *err, hrkd_status st, const char *fmt, va_list ap);
/* Prefix an existing message with context ("while loading X: "). No-op when err is NULL or OK. */
HRKD_API void hrkd_error_prefix(hrkd_error *err, const char *fmt, ...) HRKD_PRINTF(2, 3);
HRKD_API void hrkd_error_clear(hrkd_error *err);
HRKD_API const char *hrkd_status_name(hrkd_status st);

/* Logging to stderr. Level from HRKD_LOG (error, warn, info, debug; default info). */
typedef enum hrkd_log_level {
    HRKD_LOG_ERROR = 0,
    HRKD_LOG_WARN  = 1,
    HRKD_LOG_INFO  = 2,
    HRKD_LOG_DEBUG = 3,
} hrkd_log_level;

HRKD_API void hrkd_log(hrkd_log_level level, const char *fmt, ...) HRKD_PRINTF(2, 3);
HRKD_API void hrkd_log_set_level(hrkd_log_level level);
HRKD_API hrkd_log_level hrkd_log_get_level(void);

/* Programmer errors (never user input): abort with file:line. */
#define HRKD_ASSERT(cond)                                                                   \
    do {                                                                                    \
        if (!(cond)) hrkd_assert_fail(__FILE__, __LINE__, #cond);                           \
    } while (0)
HRKD_API void hrkd_assert_fail(const char *file, int line, const char *cond) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif
#endif /* HRKD_STATUS_H */
