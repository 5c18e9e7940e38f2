/* host/store/json.c — a small strict JSON reader for safetensors headers and config.json.
 *
 * Recursive descent over a length-bounded buffer (no NUL terminator needed). Bounded in depth
 * (HRKD_JSON_MAX_DEPTH) and in size by its input; every failure names the file and line.
 * Integers are kept exactly (is_int / i) because safetensors offsets may exceed 2^53.
 */
#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* keeps the duplicate-key check (quadratic) bounded */
#define HRKD_JSON_MAX_MEMBERS 20000

typedef struct json_parser {
    const char *s;
    size_t      len, pos;
    const char *fname;
    hrkd_error *err;
    int         failed;
} json_parser;

int hrkd_json_line(const char *text, size_t len, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos && i < len; i++)
        if (text[i] == '\n') line++;
    return line;
}

static hrkd_json *jp_fail(json_parser *p, const char *what)
{
    if (!p->failed)
        hrkd_error_set(p->err, HRKD_STATUS_INVALID, "%s:%d: JSON: %s (byte %zu)", p->fname,
                       hrkd_json_line(p->s, p->len, p->pos), what, p->pos);
    p->failed = 1;
    return NULL;
}

void hrkd_json_free(hrkd_json *j)
{
    while (j) {
        hrkd_json *next = j->next;
        hrkd_json_free(j->child);
        free(j->key);
        free(j->str);
        free(j);
        j = next;
    }
}

static void jp_skip_ws(json_parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int jp_hex4(json_parser *p, unsigned *out)
{
    if (p->len - p->pos < 4) return 0;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p->s[p->pos + (size_t)k]);
        if (h < 0) return 0;
        v = v * 16u + (unsigned)h;
    }
    p->pos += 4;
    *out = v;
    return 1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* On entry p->pos is at the opening quote. The decoded text is never longer than the source. */
static char *jp_string(json_parser *p, size_t *out_len)
{
    p->pos++;
    size_t start = p->pos, end = start;
    while (end < p->len && p->s[end] != '"') {
        if (p->s[end] == '\\') end++;
        end++;
    }
    if (end >= p->len) { jp_fail(p, "unterminated string"); return NULL; }
    char *o = malloc(end - start + 1);
    if (!o) { jp_fail(p, "out of memory"); return NULL; }
    size_t n = 0;
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) { free(o); jp_fail(p, "control character in string"); return NULL; }
        if (c != '\\') { o[n++] = (char)c; p->pos++; continue; }
        p->pos++;
        char e = p->s[p->pos++];
        switch (e) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!jp_hex4(p, &cp)) { free(o); jp_fail(p, "bad \\u escape"); return NULL; }
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                    free(o);
                    jp_fail(p, "unpaired surrogate");
                    return NULL;
                }
                p->pos += 2;
                if (!jp_hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    free(o);
                    jp_fail(p, "unpaired surrogate");
                    return NULL;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                free(o);
                jp_fail(p, "unpaired surrogate");
                return NULL;
            }
            /* 6 or 12 source bytes always cover at most 4 output bytes */
            n += put_utf8(o + n, cp);
            break;
        }
        default: free(o); jp_fail(p, "bad escape in string"); return NULL;
        }
        if (p->pos > end) { free(o); jp_fail(p, "bad escape in string"); return NULL; }
    }
    o[n] = '\0';
    p->pos = end + 1;
    *out_len = n;
    return o;
}

static int jp_number(json_parser *p, hrkd_json *j)
{
    size_t start = p->pos, i = p->pos;
    int is_int = 1;
    if (i < p->len && p->s[i] == '-') i++;
    if (i >= p->len) return 0;
    if (p->s[i] == '0') i++;
    else if (p->s[i] >= '1' && p->s[i] <= '9') while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
    else return 0;
    if (i < p->len && p->s[i] == '.') {
        is_int = 0;
        i++;
        size_t d = i;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
        if (i == d) return 0;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        is_int = 0;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) i++;
        size_t d = i;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
        if (i == d) return 0;
    }
    char buf[64];
    if (i - start >= sizeof buf) {
        /* long literal: only as a double */
        is_int = 0;
        char *tmp = malloc(i - start + 1);
        if (!tmp) return 0;
        memcpy(tmp, p->s + start, i - start);
        tmp[i - start] = '\0';
        j->num = strtod(tmp, NULL);
        free(tmp);
    } else {
        memcpy(buf, p->s + start, i - start);
        buf[i - start] = '\0';
        j->num = strtod(buf, NULL);
        if (is_int) {
            errno = 0;
            long long v = strtoll(buf, NULL, 10);
            if (errno == 0) {
                j->is_int = 1;
                j->i = (int64_t)v;
            }
        }
    }
    if (!isfinite(j->num)) return 0;
    p->pos = i;
    return 1;
}

static hrkd_json *jp_value(json_parser *p, int depth)
{
    jp_skip_ws(p);
    if (p->pos >= p->len) return jp_fail(p, "unexpected end of input");
    if (depth > HRKD_JSON_MAX_DEPTH) return jp_fail(p, "nesting too deep");
    hrkd_json *j = calloc(1, sizeof *j);
    if (!j) return jp_fail(p, "out of memory");
    j->pos = p->pos;
    char c = p->s[p->pos];
    if (c == '{' || c == '[') {
        int obj = c == '{';
        j->kind = obj ? HRKD_JSON_OBJECT : HRKD_JSON_ARRAY;
        p->pos++;
        jp_skip_ws(p);
        char close = obj ? '}' : ']';
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return j;
        }
        hrkd_json **tail = &j->child;
        for (;;) {
            char *key = NULL;
            if (obj) {
                jp_skip_ws(p);
                size_t klen;
                if (p->pos >= p->len || p->s[p->pos] != '"') {
                    hrkd_json_free(j);
                    return jp_fail(p, "expected a string key");
                }
                size_t kpos = p->pos;
                key = jp_string(p, &klen);
                if (!key) { hrkd_json_free(j); return NULL; }
                if (strlen(key) != klen || hrkd_json_get(j, key)) {
                    free(key);
                    hrkd_json_free(j);
                    p->pos = kpos;
                    return jp_fail(p, "duplicate or invalid object key");
                }
                jp_skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':') {
                    free(key);
                    hrkd_json_free(j);
                    return jp_fail(p, "expected ':'");
                }
                p->pos++;
            }
            hrkd_json *v = jp_value(p, depth + 1);
            if (!v) { free(key); hrkd_json_free(j); return NULL; }
            v->key = key;
            *tail = v;
            tail = &v->next;
            if (++j->len > HRKD_JSON_MAX_MEMBERS) {
                hrkd_json_free(j);
                return jp_fail(p, "too many members in one array or object");
            }
            jp_skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; continue; }
            if (p->pos < p->len && p->s[p->pos] == close) { p->pos++; return j; }
            hrkd_json_free(j);
            return jp_fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (c == '"') {
        j->kind = HRKD_JSON_STRING;
        j->str = jp_string(p, &j->len);
        if (!j->str) { free(j); return NULL; }
        return j;
    }
    static const struct { const char *w; hrkd_json_kind k; int b; } words[] = {
        {"true", HRKD_JSON_BOOL, 1}, {"false", HRKD_JSON_BOOL, 0}, {"null", HRKD_JSON_NULL, 0}};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t wl = strlen(words[w].w);
        if (p->len - p->pos >= wl && memcmp(p->s + p->pos, words[w].w, wl) == 0) {
            j->kind = words[w].k;
            j->b = words[w].b;
            p->pos += wl;
            return j;
        }
    }
    j->kind = HRKD_JSON_NUMBER;
    if (!jp_number(p, j)) { free(j); return jp_fail(p, "expected a value"); }
    return j;
}

hrkd_json *hrkd_json_parse(const char *text, size_t len, const char *fname, hrkd_error *err)
{
    json_parser p = {text, len, 0, fname ? fname : "<json>", err, 0};
    hrkd_json *j = jp_value(&p, 0);
    if (!j) return NULL;
    jp_skip_ws(&p);
    if (p.pos != len) {
        hrkd_json_free(j);
        return jp_fail(&p, "trailing characters after the value");
    }
    return j;
}

const hrkd_json *hrkd_json_get(const hrkd_json *obj, const char *key)
{
    if (!obj || obj->kind != HRKD_JSON_OBJECT) return NULL;
    for (const hrkd_json *c = obj->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0) return c;
    return NULL;
}

void hrkd_json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}
