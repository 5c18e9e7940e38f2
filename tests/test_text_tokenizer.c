/* tests/test_text_tokenizer.c — the WordPiece tokenizer: a small vocab written here with
 * hand-checked ids, then (when the bert-base-uncased vocab is around: $HRKD_BERT_VOCAB or
 * ../shared/data/vocab/bert-base-uncased/vocab.txt) the hard cases of
 * tests/fixtures/tokenizer_cases.fix, whose ids come from Hugging Face's BertTokenizer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fixture.h"
#include "common/test.h"
#include "text/text.h"

static const char *const SMALL[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "un", "##aff", "##able", ",",
    "!", "cafe", "\xe4\xb8\xad" /* 中 */, "hello", "##s", "a", "b", "##b",
};
enum { N_SMALL = sizeof SMALL / sizeof SMALL[0] };

static int ids_are(const hrkd_tokenizer *t, const char *text, const int32_t *want, int n)
{
    int32_t got[64];
    int k = hrkd_tokenizer_tokenize(t, text, got, 64);
    int ok = k == n;
    for (int i = 0; ok && i < n; i++) ok = got[i] == want[i];
    if (!ok) {
        fprintf(stderr, "tokenize(\"%s\"): got", text);
        for (int i = 0; i < k && i < 64; i++) fprintf(stderr, " %d", got[i]);
        fprintf(stderr, "\n");
    }
    return ok;
}
#define IDS(t, text, ...)                                                                     \
    do {                                                                                      \
        const int32_t w_[] = {__VA_ARGS__};                                                   \
        CHECK(ids_are(t, text, w_, (int)(sizeof w_ / sizeof w_[0])));                         \
    } while (0)

static void small_vocab(void)
{
    /* through a file, as hrkd_data_load does (CRLF line ends and trailing blanks trimmed) */
    char path[] = "/tmp/hrkd_test_vocab_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < N_SMALL; i++) fprintf(f, "%s%s", SMALL[i], i == 5 ? " \r\n" : "\n");
    fclose(f);
    hrkd_error err = {0};
    hrkd_tokenizer *t = hrkd_tokenizer_create(path, 1, &err);
    unlink(path);
    CHECKF(t != NULL, "%s", err.msg);
    if (!t) return;
    CHECK(hrkd_tokenizer_vocab_size(t) == N_SMALL);
    CHECK(strcmp(hrkd_tokenizer_token(t, 7), "##aff") == 0 && hrkd_tokenizer_token(t, N_SMALL) == NULL);

    IDS(t, "Hello, the unaffable!", 13, 9, 5, 6, 7, 8, 10);
    IDS(t, "UNAFFABLES", 6, 7, 8, 14);               /* lowercase, greedy longest match */
    IDS(t, "Caf\xc3\xa9  CAFE\xcc\x81", 11, 11);      /* é precomposed and decomposed */
    IDS(t, "\xe4\xb8\xad\xe4\xb8\xad", 12, 12);       /* CJK: one token per character */
    IDS(t, "unaffxyz the", 1, 5);                    /* uncovered word → one [UNK] */
    IDS(t, "hello[SEP]the [MASK]", 13, 3, 5, 4);     /* specials are never split */
    IDS(t, "[sep]", 1, 1, 1);                        /* … only in their exact spelling */
    IDS(t, "a\x01" "b\tthe", 15, 17, 5);             /* control dropped, tab is a space */
    IDS(t, "a\xff" "b a\xc3", 15, 17, 15);           /* invalid UTF-8 dropped, no crash */
    IDS(t, "a\xe2\x80\x8b" "b", 15, 17);             /* zero width space (Cf) dropped */
    IDS(t, "bbbb", 16, 17, 17, 17);
    {
        char longw[200];
        memset(longw, 'b', 101);
        longw[101] = 0;
        IDS(t, longw, 1);                            /* > 100 characters → [UNK] */
        longw[100] = 0;
        int32_t out[128];
        CHECK(hrkd_tokenizer_tokenize(t, longw, out, 128) == 100);
        CHECK(hrkd_tokenizer_tokenize(t, longw, out, 3) == 100); /* cap: count still total */
    }
    CHECK(hrkd_tokenizer_tokenize(t, "", NULL, 0) == 0);

    /* encode: specials, truncation, padding, segments */
    int32_t ids[8], seg[8], mask[8];
    CHECK(hrkd_tokenizer_encode(t, "the the the the", NULL, 4, ids, seg, mask) == 6);
    CHECK(ids[0] == 2 && ids[1] == 5 && ids[2] == 5 && ids[3] == 3 && mask[3] == 1);
    CHECK(hrkd_tokenizer_encode(t, "the", NULL, 5, ids, seg, mask) == 3);
    CHECK(ids[0] == 2 && ids[1] == 5 && ids[2] == 3 && ids[3] == 0 && ids[4] == 0);
    CHECK(mask[2] == 1 && mask[3] == 0 && mask[4] == 0 && seg[4] == 0);
    /* pair, budget 3: a (3) is longer than b (1) → a loses one */
    CHECK(hrkd_tokenizer_encode(t, "the the the", "a", 6, ids, seg, mask) == 7);
    const int32_t wi[6] = {2, 5, 5, 3, 15, 3}, ws[6] = {0, 0, 0, 0, 1, 1};
    CHECK(!memcmp(ids, wi, sizeof wi) && !memcmp(seg, ws, sizeof ws));
    /* tie (2 vs 2, budget 3): a keeps floor(3 / 2) = 1, b the rest (HF's arithmetic) */
    CHECK(hrkd_tokenizer_encode(t, "the the", "a a", 6, ids, seg, mask) == 7);
    const int32_t wt[6] = {2, 5, 3, 15, 15, 3};
    CHECK(!memcmp(ids, wt, sizeof wt));
    hrkd_tokenizer_destroy(t);

    /* cased mode: no lowercasing, no accent stripping */
    t = hrkd_tokenizer_create_from_tokens(SMALL, N_SMALL, 0, &err);
    CHECKF(t != NULL, "%s", err.msg);
    if (t) {
        IDS(t, "Hello hello", 1, 13);
        hrkd_tokenizer_destroy(t);
    }
    /* a vocab without [CLS] */
    const char *const nocls[] = {"[PAD]", "[UNK]", "[SEP]", "x"};
    hrkd_error_clear(&err);
    CHECK(hrkd_tokenizer_create_from_tokens(nocls, 4, 1, &err) == NULL);
    CHECKF(strcmp(err.msg, "vocab: the token [CLS] is missing") == 0, "%s", err.msg);
    hrkd_error_clear(&err);
    CHECK(hrkd_tokenizer_create("/nonexistent/vocab.txt", 1, &err) == NULL && err.status == HRKD_STATUS_IO);
}

static char *bytes_of(const fixture_tensor *ft)
{
    char *s = malloc((size_t)ft->numel + 1);
    for (int64_t i = 0; i < ft->numel; i++) s[i] = (char)((const int32_t *)ft->data)[i];
    s[ft->numel] = 0;
    return s;
}

static void hf_fixture(void)
{
    const char *vocab = getenv("HRKD_BERT_VOCAB");
    if (!vocab || !vocab[0]) vocab = "../shared/data/vocab/bert-base-uncased/vocab.txt";
    if (access(vocab, R_OK) != 0) {
        printf("fixture part skipped: no bert-base-uncased vocab at %s (set HRKD_BERT_VOCAB)\n", vocab);
        return;
    }
    hrkd_error err = {0};
    hrkd_tokenizer *t = hrkd_tokenizer_create(vocab, 1, &err);
    CHECKF(t != NULL, "%s", err.msg);
    fixture *fx = fixture_load("tests/fixtures/tokenizer_cases.fix");
    CHECK(fx != NULL);
    if (!t || !fx) { hrkd_tokenizer_destroy(t); fixture_free(fx); return; }
    CHECK(hrkd_tokenizer_vocab_size(t) == 30522);
    int cases = 0, pairs = 0;
    char name[64];
    for (int i = 0;; i++, cases++) {
        snprintf(name, sizeof name, "case%d.text", i);
        const fixture_tensor *tx = fixture_get(fx, name);
        if (!tx) break;
        snprintf(name, sizeof name, "case%d.ids", i);
        const fixture_tensor *want = fixture_need(fx, name);
        char *s = bytes_of(tx);
        int32_t got[1024];
        int n = hrkd_tokenizer_tokenize(t, s, got, 1024);
        int ok = n == want->numel && !memcmp(got, want->data, (size_t)n * 4);
        CHECKF(ok, "case %d (\"%.60s\"): %d ids, want %lld", i, s, n, (long long)want->numel);
        free(s);
    }
    for (int i = 0;; i++, pairs++) {
        snprintf(name, sizeof name, "pair%d.a", i);
        const fixture_tensor *fa = fixture_get(fx, name);
        if (!fa) break;
        char *a, *b;
        a = bytes_of(fa);
        snprintf(name, sizeof name, "pair%d.b", i); b = bytes_of(fixture_need(fx, name));
        snprintf(name, sizeof name, "pair%d.max_len", i);
        int L = ((const int32_t *)fixture_need(fx, name)->data)[0];
        int32_t ids[64], seg[64], mask[64];
        int full = hrkd_tokenizer_encode(t, a, b, L, ids, seg, mask);
        snprintf(name, sizeof name, "pair%d.length", i);
        CHECKF(full == ((const int32_t *)fixture_need(fx, name)->data)[0], "pair %d length %d", i, full);
        snprintf(name, sizeof name, "pair%d.ids", i);
        CHECKF(!memcmp(ids, fixture_need(fx, name)->data, (size_t)L * 4), "pair %d ids", i);
        snprintf(name, sizeof name, "pair%d.segment", i);
        CHECKF(!memcmp(seg, fixture_need(fx, name)->data, (size_t)L * 4), "pair %d segment", i);
        snprintf(name, sizeof name, "pair%d.mask", i);
        CHECKF(!memcmp(mask, fixture_need(fx, name)->data, (size_t)L * 4), "pair %d mask", i);
        free(a);
        free(b);
    }
    CHECK(cases >= 20 && pairs >= 5);
    printf("HF fixture: %d cases, %d pairs compared\n", cases, pairs);
    fixture_free(fx);
    hrkd_tokenizer_destroy(t);
}

int main(void)
{
    small_vocab();
    hf_fixture();
    return test_finish("text_tokenizer");
}
