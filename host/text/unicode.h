/* host/text/unicode.h — what the BERT tokenizer does with each code point (tables generated
 * into unicode_table.c by scripts/gen_unicode_table.py, which probes Hugging Face tokenizers
 * itself) and a forgiving UTF-8 decoder. */
#ifndef HRKD_TEXT_UNICODE_H
#define HRKD_TEXT_UNICODE_H

#include <stddef.h>
#include <stdint.h>

enum {
    HRKD_UC_OTHER = 0,
    HRKD_UC_CTRL  = 1, /* removed by text cleaning (NUL, U+FFFD, control, format, private use) */
    HRKD_UC_WS    = 2, /* whitespace: becomes ' ' */
    HRKD_UC_PUNCT = 3, /* punctuation (Unicode P* and ASCII symbols): a word of its own */
    HRKD_UC_MN    = 4, /* nonspacing mark: dropped by accent stripping (lowercasing mode) */
    HRKD_UC_CJK   = 5, /* CJK ideograph: surrounded by spaces */
};

typedef struct hrkd_uc_range { uint32_t lo, hi; uint8_t cls; } hrkd_uc_range;
typedef struct hrkd_uc_fold { uint32_t cp; uint16_t off; uint8_t len; } hrkd_uc_fold;

extern const hrkd_uc_range hrkd_uc_ranges[];
extern const int hrkd_uc_n_ranges;
extern const uint32_t hrkd_uc_fold_pool[];
extern const hrkd_uc_fold hrkd_uc_folds[];
extern const int hrkd_uc_n_folds;

int hrkd_uc_class(uint32_t cp);
/* Lowercasing mode: NFD of cp, nonspacing marks dropped, lowercased, written to out (cap ≥ 4);
 * returns the count (0 for a nonspacing mark). cls = hrkd_uc_class(cp). */
int hrkd_uc_fold_cp(uint32_t cp, int cls, uint32_t *out);
/* Decode one code point from s[0..n) (n ≥ 1); invalid or truncated sequences, overlongs and
 * surrogates yield U+FFFD and consume one byte. Returns the bytes consumed. */
int hrkd_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Encode cp (≤ 0x10FFFF) into out[4]; returns the byte count. */
int hrkd_utf8_encode(uint32_t cp, char *out);
/* 1 when s[0..n) is valid UTF-8 */
int hrkd_utf8_valid(const char *s, size_t n);

#endif
