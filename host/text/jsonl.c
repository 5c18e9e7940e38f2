/* host/text/jsonl.c — the minimal JSON of one JSONL line (readers.h): an object per line;
 * string values (with escapes), numbers / true / false / null as their literal text, nested
 * arrays and objects skipped. */
#include <stdlib.h>
#include <string.h>

#include "text/readers.h"
#include "text/unicode.h"

void json_ws(json_cur *c) { while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n') c->p++; }

static int json_hex4(const char *p, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
        if (d < 0) return 0;
        *v = *v * 16 + (uint32_t)d;
    }
    return 1;
}

/* parse a string at c->p (on the quote) into out (NULL to skip) */
static int json_string(json_cur *c, sbuf *out)
{
    if (*c->p != '"') { c->why = "expected a string"; return 0; }
    c->p++;
    for (;;) {
        char ch = *c->p;
        if (!ch) { c->why = "unterminated string"; return 0; }
        if ((unsigned char)ch < 0x20) { c->why = "control character in a string"; return 0; }
        if (ch == '"') { c->p++; return 1; }
        if (ch != '\\') {
            if (out && !sbuf_add(out, c->p, 1)) { c->why = "out of memory"; return 0; }
            c->p++;
            continue;
        }
        char e = c->p[1];
        const char *simple = NULL;
        switch (e) {
        case '"': simple = "\""; break;
        case '\\': simple = "\\"; break;
        case '/': simple = "/"; break;
        case 'b': simple = "\b"; break;
        case 'f': simple = "\f"; break;
        case 'n': simple = "\n"; break;
        case 'r': simple = "\r"; break;
        case 't': simple = "\t"; break;
        case 'u': break;
        default: c->why = "bad escape in a string"; return 0;
        }
        if (simple) {
            if (out && !sbuf_add(out, simple, 1)) { c->why = "out of memory"; return 0; }
            c->p += 2;
            continue;
        }
        uint32_t v, lo;
        if (!json_hex4(c->p + 2, &v)) { c->why = "bad \\u escape"; return 0; }
        c->p += 6;
        if (v >= 0xD800 && v <= 0xDBFF && c->p[0] == '\\' && c->p[1] == 'u' && json_hex4(c->p + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            c->p += 6;
        } else if (v >= 0xD800 && v <= 0xDFFF) v = 0xFFFD; /* lone surrogate */
        if (v == 0) v = 0xFFFD;                              /* keep strings NUL-free */
        char enc[4];
        int k = hrkd_utf8_encode(v, enc);
        if (out && !sbuf_add(out, enc, (size_t)k)) { c->why = "out of memory"; return 0; }
    }
}

static int json_skip(json_cur *c, int depth)
{
    json_ws(c);
    if (depth > 64) { c->why = "nesting too deep"; return 0; }
    char ch = *c->p;
    if (ch == '"') return json_string(c, NULL);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        json_ws(c);
        if (*c->p == close) { c->p++; return 1; }
        for (;;) {
            if (ch == '{') {
                json_ws(c);
                if (!json_string(c, NULL)) return 0;
                json_ws(c);
                if (*c->p != ':') { c->why = "expected ':'"; return 0; }
                c->p++;
            }
            if (!json_skip(c, depth + 1)) return 0;
            json_ws(c);
            if (*c->p == ',') { c->p++; continue; }
            if (*c->p == close) { c->p++; return 1; }
            c->why = ch == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
            return 0;
        }
    }
    const char *s = c->p;
    while (*c->p && strchr("+-0123456789.eE", *c->p)) c->p++;
    if (c->p > s) return 1;
    for (int k = 0; k < 3; k++) {
        const char *lit = k == 0 ? "true" : k == 1 ? "false" : "null";
        if (!strncmp(c->p, lit, strlen(lit))) { c->p += strlen(lit); return 1; }
    }
    c->why = "expected a value";
    return 0;
}

int json_row(json_cur *c, char *const *names, char **val)
{
    json_ws(c);
    if (*c->p != '{') { c->why = "expected a JSON object"; return 0; }
    c->p++;
    json_ws(c);
    if (*c->p == '}') { c->p++; goto end; }
    for (;;) {
        sbuf key = {0};
        json_ws(c);
        if (!json_string(c, &key)) { free(key.s); return 0; }
        json_ws(c);
        if (*c->p != ':') { free(key.s); c->why = "expected ':'"; return 0; }
        c->p++;
        json_ws(c);
        int col = -1;
        for (int k = 0; k < N_COLS; k++)
            if (key.s && !strcmp(key.s, names[k])) col = k;
        free(key.s);
        if (col >= 0 && *c->p == '"') {
            sbuf v = {0};
            if (!json_string(c, &v) || !sbuf_add(&v, "", 0)) { free(v.s); return 0; }
            free(val[col]);
            val[col] = v.s;
        } else if (col >= 0 && *c->p != '{' && *c->p != '[' && strncmp(c->p, "null", 4)) {
            const char *s = c->p;
            if (!json_skip(c, 0)) return 0;
            free(val[col]);
            val[col] = strndup(s, (size_t)(c->p - s));
        } else if (!json_skip(c, 0)) return 0;
        json_ws(c);
        if (*c->p == ',') { c->p++; continue; }
        if (*c->p == '}') { c->p++; break; }
        c->why = "expected ',' or '}'";
        return 0;
    }
end:
    json_ws(c);
    if (*c->p) { c->why = "text after the object"; return 0; }
    return 1;
}
