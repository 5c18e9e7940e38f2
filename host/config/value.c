/* host/config/value.c — one written value checked against its declared key (value.h).
 *
 * Numbers in range, booleans, enum choices, lists; the messages say what was expected. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/value.h"

const char *cfg_type_name(hrkd_cfg_type t)
{
    switch (t) {
    case HRKD_CFG_INT: return "int";
    case HRKD_CFG_FLOAT: return "float";
    case HRKD_CFG_BOOL: return "bool";
    case HRKD_CFG_STRING: return "string";
    case HRKD_CFG_ENUM: return "enum";
    case HRKD_CFG_LIST: return "list";
    case HRKD_CFG_PATH: return "path";
    }
    return "?";
}

static int cfg_bounded(const cfg_key *k) { return !(k->min > k->max); }

void cfg_key_range(const cfg_key *k, char *out, size_t cap)
{
    out[0] = 0;
    if (k->type == HRKD_CFG_ENUM) {
        snprintf(out, cap, "%s", k->choices ? k->choices : "");
        return;
    }
    int numeric = k->type == HRKD_CFG_INT || k->type == HRKD_CFG_FLOAT ||
                  (k->type == HRKD_CFG_LIST && (k->flags & CFG_LIST_INT));
    if (!numeric || !cfg_bounded(k)) return;
    const char *lo = (k->flags & CFG_MIN_EXCLUSIVE) ? "(" : "[";
    if (isinf(k->max) && isinf(k->min)) return;
    if (isinf(k->max)) snprintf(out, cap, "%s %.10g", (k->flags & CFG_MIN_EXCLUSIVE) ? ">" : ">=", k->min);
    else if (isinf(k->min)) snprintf(out, cap, "<= %.10g", k->max);
    else snprintf(out, cap, "%s%.10g, %.10g]", lo, k->min, k->max);
}

static int cfg_in_range(const cfg_key *k, double x)
{
    if (!cfg_bounded(k)) return 1;
    if ((k->flags & CFG_MIN_EXCLUSIVE) ? !(x > k->min) : !(x >= k->min)) return 0;
    return x <= k->max;
}

/* Copies at most 60 characters of a user value into a message. */
static const char *cfg_show(const char *text, char *buf, size_t cap)
{
    size_t n = strlen(text);
    if (n + 1 <= cap && n <= 60) return text;
    snprintf(buf, cap, "%.57s...", text);
    return buf;
}

static int cfg_parse_int(const char *t, int64_t *out)
{
    if (!*t) return 0;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(t, &end, 10);
    if (end == t || *end || errno == ERANGE) return 0;
    *out = v;
    return 1;
}

static int cfg_range_why(const cfg_key *k, const char *text, char *why, size_t cap)
{
    char r[128], sb[64];
    cfg_key_range(k, r, sizeof r);
    if (r[0] == '>' || r[0] == '<') snprintf(why, cap, "%s is out of range: must be %s", cfg_show(text, sb, sizeof sb), r);
    else snprintf(why, cap, "%s is out of range %s", cfg_show(text, sb, sizeof sb), r);
    return 1;
}

int cfg_check_value(const cfg_key *k, const char *text, cfg_value *out, char *why, size_t cap)
{
    cfg_value v = {0};
    char sb[64];
    switch (k->type) {
    case HRKD_CFG_INT:
        if (!cfg_parse_int(text, &v.i)) {
            /* an integer too large for 64 bits is out of range, not "not an integer" */
            size_t sign = (text[0] == '-' || text[0] == '+') ? 1 : 0;
            if (text[sign] && strspn(text + sign, "0123456789") == strlen(text + sign)) return cfg_range_why(k, text, why, cap);
            snprintf(why, cap, "expected an integer, got '%s'", cfg_show(text, sb, sizeof sb));
            return 1;
        }
        if (!cfg_in_range(k, (double)v.i)) return cfg_range_why(k, text, why, cap);
        v.f = (double)v.i;
        break;
    case HRKD_CFG_FLOAT: {
        char *end = NULL;
        errno = 0;
        v.f = *text ? strtod(text, &end) : 0.0;
        if (!*text || end == text || *end || !isfinite(v.f)) {
            snprintf(why, cap, "expected a number, got '%s'", cfg_show(text, sb, sizeof sb));
            return 1;
        }
        if (!cfg_in_range(k, v.f)) return cfg_range_why(k, text, why, cap);
        break;
    }
    case HRKD_CFG_BOOL: {
        static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
        int found = 0;
        for (int i = 0; i < 4 && !found; i++) {
            if (strcasecmp(text, yes[i]) == 0) { v.b = 1; found = 1; }
            else if (strcasecmp(text, no[i]) == 0) { v.b = 0; found = 1; }
        }
        if (!found) {
            snprintf(why, cap, "expected true/false, yes/no, on/off or 1/0, got '%s'",
                     cfg_show(text, sb, sizeof sb));
            return 1;
        }
        v.i = v.b;
        break;
    }
    case HRKD_CFG_ENUM: {
        const char *c = k->choices ? k->choices : "";
        size_t n = strlen(text);
        int ok = 0;
        while (*c && !ok) {
            const char *bar = strchr(c, '|');
            size_t len = bar ? (size_t)(bar - c) : strlen(c);
            if (len == n && n > 0 && strncmp(c, text, n) == 0) ok = 1;
            c = bar ? bar + 1 : c + len;
        }
        if (!ok) {
            snprintf(why, cap, "expected one of %s, got '%s'", k->choices ? k->choices : "(none)",
                     cfg_show(text, sb, sizeof sb));
            return 1;
        }
        break;
    }
    case HRKD_CFG_LIST: {
        if (!*text) break; /* the empty list */
        const char *p = text;
        int idx = 0;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            while (len && (*p == ' ' || *p == '\t')) { p++; len--; }
            while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
            if (!len) {
                snprintf(why, cap, "item %d of the list is empty", idx + 1);
                return 1;
            }
            if (k->flags & CFG_LIST_INT) {
                char item[64];
                int64_t iv;
                snprintf(item, sizeof item, "%.*s", (int)(len < 63 ? len : 63), p);
                if (len > 63 || !cfg_parse_int(item, &iv)) {
                    snprintf(why, cap, "item %d: expected an integer, got '%s'", idx + 1, item);
                    return 1;
                }
                if (!cfg_in_range(k, (double)iv)) {
                    char r[128];
                    cfg_range_why(k, item, r, sizeof r);
                    snprintf(why, cap, "item %d: %s", idx + 1, r);
                    return 1;
                }
            }
            idx++;
            if (!comma) break;
            p = comma + 1;
        }
        v.i = idx;
        break;
    }
    case HRKD_CFG_STRING:
    case HRKD_CFG_PATH:
        break;
    default:
        snprintf(why, cap, "undeclared type %d", (int)k->type);
        return 1;
    }
    if (out) *out = v;
    return 0;
}
