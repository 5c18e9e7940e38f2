/* host/text/unicode.h — the Unicode facts the BERT tokenizer needs (tables generated into
 * unicode_table.c by scripts/gen_unicode_table.py) and a forgiving UTF-8 decoder. */
#ifndef HRKD_TEXT_UNICODE_H
#define HRKD_TEXT_UNICODE_H

#include <stddef.h>
#include <stdint.h>

enum {
    HRKD_UC_OTHER = 0,
    HRKD_UC_CTRL  = 1, /* removed by text cleaning (C* but Cn, except \t \n \r) */
    HRKD_UC_WS    = 2, /* White_Space: becomes ' ' */
    HRKD_UC_PUNCT = 3, /* P* and ASCII punctuation: split into its own token */
    HRKD_UC_MN    = 4, /* nonspacing mark: dropped by accent stripping */
    HRKD_UC_CJK   = 5, /* CJK ideograph: surrounded by spaces */
};

typedef struct hrkd_uc_range { uint32_t lo, hi; uint8_t cls; } hrkd_uc_range;
typedef struct hrkd_uc_pair { uint32_t cp, to; } hrkd_uc_pair;
typedef struct hrkd_uc_decomp { uint32_t cp; uint16_t off; uint8_t len; } hrkd_uc_decomp;

extern const hrkd_uc_range hrkd_uc_ranges[];
extern const int hrkd_uc_n_ranges;
extern const hrkd_uc_pair hrkd_uc_lower[];
extern const int hrkd_uc_n_lower;
extern const uint32_t hrkd_uc_decomp_pool[];
extern const hrkd_uc_decomp hrkd_uc_decomps[];
extern const int hrkd_uc_n_decomps;

int hrkd_uc_class(uint32_t cp);
uint32_t hrkd_uc_tolower(uint32_t cp);
/* NFD of cp with nonspacing marks removed, written to out (cap ≥ 4); returns the count
 * (0 when cp itself is a nonspacing mark). */
int hrkd_uc_strip(uint32_t cp, uint32_t *out);
/* Decode one code point from s[0..n) (n ≥ 1); invalid or truncated sequences, overlongs and
 * surrogates yield U+FFFD and consume one byte. Returns the bytes consumed. */
int hrkd_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Encode cp (≤ 0x10FFFF) into out[4]; returns the byte count. */
int hrkd_utf8_encode(uint32_t cp, char *out);
/* 1 when s[0..n) is valid UTF-8 */
int hrkd_utf8_valid(const char *s, size_t n);

#endif
