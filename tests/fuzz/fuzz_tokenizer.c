/* tests/fuzz/fuzz_tokenizer.c — libFuzzer target: the WordPiece tokenizer on arbitrary bytes
 * (invalid UTF-8, control characters, special-token fragments, very long words). The first
 * byte picks the mode (lowercasing, pair split point, max_len); every call must return, and
 * encode must keep its outputs well formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

static const char *const VOCAB[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##a", "ab", "##b", "c", "##c", "\xc3\xa9",
    "e", "##e", "\xe4\xb8\xad", "!", "[", "]", "##\xe2\x80\x8b", "the", "##s", "\xce\xb1", "##\xce\xb1",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hrkd_tokenizer *tok[2];
    if (!tok[0]) {
        hrkd_error err = {0};
        for (int k = 0; k < 2; k++) {
            tok[k] = hrkd_tokenizer_create_from_tokens(VOCAB, (int)(sizeof VOCAB / sizeof VOCAB[0]), k, &err);
            if (!tok[k]) __builtin_trap();
        }
    }
    if (size < 1) return 0;
    unsigned mode = data[0];
    const hrkd_tokenizer *t = tok[mode & 1];
    /* the rest as a C string; a NUL byte in it splits a and b */
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    const char *b = NULL;
    size_t al = strlen(s);
    if (al + 1 < size - 1 && (mode & 2)) b = s + al + 1;
    int32_t out[64];
    int n = hrkd_tokenizer_tokenize(t, s, out, 64);
    if (n < 0) __builtin_trap();
    for (int i = 0; i < n && i < 64; i++)
        if (out[i] < 0 || out[i] >= hrkd_tokenizer_vocab_size(t)) __builtin_trap();
    int max_len = 1 + (int)(mode >> 2); /* 1..64 */
    int32_t ids[64], seg[64], mask[64];
    int full = hrkd_tokenizer_encode(t, s, b, max_len, ids, seg, mask);
    if (full < (b ? 3 : 2)) __builtin_trap();
    int pad = 0;
    for (int i = 0; i < max_len; i++) {
        if (ids[i] < 0 || ids[i] >= hrkd_tokenizer_vocab_size(t) || (mask[i] != 0 && mask[i] != 1)) __builtin_trap();
        if (!mask[i]) pad = 1;
        else if (pad) __builtin_trap(); /* padding only at the end */
        if (seg[i] && !b) __builtin_trap();
    }
    free(s);
    return 0;
}
