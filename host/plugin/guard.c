/* host/plugin/guard.c — naming and checking plugin calls (guard.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "core/core.h"
#include "plugin/guard.h"

void hrkd_plugin_call_name(const hrkd_plugin_call *c, char *out, size_t cap)
{
    int n = snprintf(out, cap, "plugin '%s' (%s.%s", c->desc->name, hrkd_plugin_kind_name(c->desc->kind),
                     c->fn);
    if (n >= 0 && (size_t)n < cap && c->layer >= 0) n += snprintf(out + n, cap - (size_t)n, ", layer %d", c->layer);
    if (n >= 0 && (size_t)n < cap && c->domain >= 0) n += snprintf(out + n, cap - (size_t)n, ", domain %d", c->domain);
    if (n >= 0 && (size_t)n < cap) snprintf(out + n, cap - (size_t)n, ")");
}

hrkd_status hrkd_plugin_call_error(hrkd_error *err, const hrkd_plugin_call *c, const char *fmt, ...)
{
    char name[256], body[HRKD_ERROR_MSG_MAX];
    hrkd_plugin_call_name(c, name, sizeof name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: %s", name, body);
}

int hrkd_plugin_call_done(hrkd_ctx *ctx, const hrkd_plugin_call *c, int failed)
{
    char misuse[512], name[256];
    if (hrkd_config_take_misuse(misuse, sizeof misuse)) {
        /* what failed after a zero read in place of the key is a consequence: report the cause */
        hrkd_error_clear(hrkd_ctx_err(ctx));
        hrkd_plugin_call_error(hrkd_ctx_err(ctx), c, "%s", misuse);
        return -1;
    }
    if (hrkd_ctx_failed(ctx)) {
        hrkd_plugin_call_name(c, name, sizeof name);
        hrkd_error_prefix(hrkd_ctx_err(ctx), "%s: ", name);
        return -1;
    }
    if (failed) {
        hrkd_plugin_call_name(c, name, sizeof name);
        hrkd_error_set(hrkd_ctx_err(ctx), HRKD_STATUS_INVALID, "%s returned no result and no message", name);
        return -1;
    }
    return 0;
}

static void shape_text(int ndim, const int64_t *shape, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (n < cap) snprintf(out + n, cap - n, "]");
}

int hrkd_plugin_check_output(hrkd_ctx *ctx, const hrkd_plugin_call *c, const char *what,
                             const hrkd_tensor *t, int ndim, const int64_t *shape, int ratio_rows)
{
    char want[128], got[128];
    shape_text(ndim, shape, want, sizeof want);
    if (!t) {
        hrkd_plugin_call_error(hrkd_ctx_err(ctx), c, "%s is NULL, expected %s", what, want);
        return -1;
    }
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
        shape_text(t->ndim, t->shape, got, sizeof got);
        hrkd_plugin_call_error(hrkd_ctx_err(ctx), c, "%s has shape %s, expected %s", what, got, want);
        return -1;
    }
    if (t->dtype != HRKD_F32) {
        hrkd_plugin_call_error(hrkd_ctx_err(ctx), c, "%s is not a float32 tensor", what);
        return -1;
    }
    int64_t n = hrkd_tensor_numel(t);
    float stack[256];
    float *h = n <= 256 ? stack : malloc((size_t)n * sizeof *h);
    if (!h) {
        hrkd_plugin_call_error(hrkd_ctx_err(ctx), c, "%s: out of memory checking it", what);
        return -1;
    }
    int rc = 0;
    if (hrkd_tensor_to_host(ctx, t, h) != 0) {
        rc = -1;
    } else {
        for (int64_t i = 0; i < n && rc == 0; i++)
            if (!isfinite(h[i])) {
                hrkd_plugin_call_error(hrkd_ctx_err(ctx), c, "%s is not finite (%g at element %lld)", what,
                                       (double)h[i], (long long)i);
                rc = -1;
            }
        int64_t per = ratio_rows > 0 ? n / ratio_rows : 0;
        for (int r = 0; r < ratio_rows && rc == 0; r++) {
            double sum = 0;
            for (int64_t i = r * per; i < (r + 1) * per && rc == 0; i++) {
                if (h[i] < 0) {
                    hrkd_plugin_call_error(hrkd_ctx_err(ctx), c, "%s: element %lld is negative (%g); ratios are "
                                           "non-negative and sum to 1", what, (long long)i, (double)h[i]);
                    rc = -1;
                }
                sum += h[i];
            }
            if (rc == 0 && fabs(sum - 1.0) > HRKD_RATIO_TOLERANCE) {
                if (ratio_rows > 1)
                    hrkd_plugin_call_error(hrkd_ctx_err(ctx), c, "%s: row %d sums to %.6g, expected 1 (tolerance %g)",
                                           what, r, sum, HRKD_RATIO_TOLERANCE);
                else
                    hrkd_plugin_call_error(hrkd_ctx_err(ctx), c, "%s sums to %.6g, expected 1 (tolerance %g)", what,
                                           sum, HRKD_RATIO_TOLERANCE);
                rc = -1;
            }
        }
    }
    if (h != stack) free(h);
    return rc;
}
