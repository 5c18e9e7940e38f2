/* host/text/unicode.c — lookups in the generated Unicode tables and a UTF-8 decoder that
 * never fails (bad bytes become U+FFFD, which the tokenizer's cleaning step drops). */
#include "text/unicode.h"

int hrkd_uc_class(uint32_t cp)
{
    int lo = 0, hi = hrkd_uc_n_ranges - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cp < hrkd_uc_ranges[mid].lo) hi = mid - 1;
        else if (cp > hrkd_uc_ranges[mid].hi) lo = mid + 1;
        else return hrkd_uc_ranges[mid].cls;
    }
    return HRKD_UC_OTHER;
}

int hrkd_uc_fold_cp(uint32_t cp, int cls, uint32_t *out)
{
    if (cp < 0x80) { out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp; return 1; }
    if (cls == HRKD_UC_MN) return 0;
    if (cp >= 0xAC00 && cp <= 0xD7A3) { /* Hangul syllable → L V (T) jamo, all letters */
        uint32_t s = cp - 0xAC00, t = s % 28;
        out[0] = 0x1100 + s / (21 * 28);
        out[1] = 0x1161 + (s % (21 * 28)) / 28;
        if (t) { out[2] = 0x11A7 + t; return 3; }
        return 2;
    }
    int lo = 0, hi = hrkd_uc_n_folds - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cp < hrkd_uc_folds[mid].cp) hi = mid - 1;
        else if (cp > hrkd_uc_folds[mid].cp) lo = mid + 1;
        else {
            int n = hrkd_uc_folds[mid].len; /* 1..4, checked by the generator */
            for (int i = 0; i < n; i++) out[i] = hrkd_uc_fold_pool[hrkd_uc_folds[mid].off + i];
            return n;
        }
    }
    out[0] = cp;
    return 1;
}

int hrkd_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    int len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else { *cp = 0xFFFD; return 1; }
    if ((size_t)len > n) { *cp = 0xFFFD; return 1; }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = 0xFFFD; return 1; }
    *cp = v;
    return len;
}

int hrkd_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { o[0] = (unsigned char)(0xC0 | (cp >> 6)); o[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int hrkd_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int k = hrkd_utf8_decode(u + i, n - i, &cp);
        if (cp == 0xFFFD && !(k == 3 && u[i] == 0xEF && u[i + 1] == 0xBF && u[i + 2] == 0xBD)) return 0;
        i += (size_t)k;
    }
    return 1;
}
