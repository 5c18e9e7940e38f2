/* host/text/tokenizer.c — BERT WordPiece, byte-for-byte the Hugging Face `tokenizers`
 * pipeline that transformers' BertTokenizer runs (uncased):
 *   1. special tokens ([CLS] [SEP] [PAD] [UNK] [MASK], when in the vocab) are cut out of the
 *      raw text first and never split or normalized (HF: added tokens, normalized=false);
 *   2. clean: drop NUL, U+FFFD and control characters, whitespace → ' ';
 *      CJK ideographs become separate words;
 *   3. lowercasing mode: NFD, drop nonspacing marks, then lowercase (the HF order);
 *   4. split on whitespace and around every punctuation character;
 * Steps 2–4 are per code point; unicode_table.c records, for every code point, what
 * tokenizers itself does (scripts/gen_unicode_table.py), so the Unicode versions agree.
 *   5. greedy longest-match WordPiece with "##" continuations; a word longer than 100
 *      characters, or one that cannot be covered, is a single [UNK].
 * Invalid UTF-8 decodes to U+FFFD, which step 2 drops: any byte string is accepted. */
#include "core/path.h"
#include "text/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/unicode.h"

#define MAX_WORD_CHARS 100

struct hrkd_tokenizer {
    int      n;         /* vocab size (largest id + 1) */
    char    *pool;      /* all token strings, NUL-separated */
    size_t  *off;       /* [n] offset of token i in pool (or SIZE_MAX when the id is unused) */
    uint32_t *len;      /* [n] */
    int32_t *slot;      /* open-addressing table of ids, -1 = empty */
    uint64_t mask;      /* table size − 1 */
    int      lower;
    int32_t  unk, cls, sep, pad;
    int      n_special;
    int32_t  special[5];
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int32_t vocab_find(const hrkd_tokenizer *t, const char *s, size_t n)
{
    for (uint64_t h = hash_bytes(s, n) & t->mask;; h = (h + 1) & t->mask) {
        int32_t id = t->slot[h];
        if (id < 0) return -1;
        if (t->len[id] == n && memcmp(t->pool + t->off[id], s, n) == 0) return id;
    }
}

/* Build from n token strings (the line i of vocab.txt is id i). A repeated token keeps its
 * last id, as Hugging Face does. */
hrkd_tokenizer *hrkd_tokenizer_create_from_tokens(const char *const *tokens, int n, int do_lower_case,
                                                  hrkd_error *err)
{
    if (n <= 0) { hrkd_error_set(err, HRKD_STATUS_INVALID, "vocab: no tokens"); return NULL; }
    hrkd_tokenizer *t = calloc(1, sizeof *t);
    size_t total = 0;
    for (int i = 0; i < n; i++) total += strlen(tokens[i]) + 1;
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2) cap <<= 1;
    if (t) {
        t->pool = malloc(total ? total : 1);
        t->off  = malloc((size_t)n * sizeof *t->off);
        t->len  = malloc((size_t)n * sizeof *t->len);
        t->slot = malloc(cap * sizeof *t->slot);
    }
    if (!t || !t->pool || !t->off || !t->len || !t->slot) {
        hrkd_tokenizer_destroy(t);
        hrkd_error_set(err, HRKD_STATUS_NOMEM, "vocab: out of memory (%d tokens)", n);
        return NULL;
    }
    memset(t->slot, 0xff, cap * sizeof *t->slot);
    t->n = n;
    t->mask = cap - 1;
    t->lower = do_lower_case;
    size_t p = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(tokens[i]);
        memcpy(t->pool + p, tokens[i], l + 1);
        t->off[i] = p;
        t->len[i] = (uint32_t)l;
        p += l + 1;
        uint64_t h = hash_bytes(tokens[i], l) & t->mask;
        for (;; h = (h + 1) & t->mask) {
            int32_t id = t->slot[h];
            if (id < 0) { t->slot[h] = i; break; }
            if (t->len[id] == l && memcmp(t->pool + t->off[id], tokens[i], l) == 0) {
                t->slot[h] = i; /* duplicate: the later line wins */
                break;
            }
        }
    }
    static const char *const names[5] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    int32_t ids[5];
    for (int k = 0; k < 5; k++) {
        ids[k] = vocab_find(t, names[k], strlen(names[k]));
        if (ids[k] >= 0) t->special[t->n_special++] = ids[k];
    }
    t->pad = ids[0]; t->unk = ids[1]; t->cls = ids[2]; t->sep = ids[3];
    for (int k = 0; k < 4; k++) {
        if (ids[k] < 0) {
            hrkd_error_set(err, HRKD_STATUS_INVALID, "vocab: the token %s is missing", names[k]);
            hrkd_tokenizer_destroy(t);
            return NULL;
        }
    }
    return t;
}

hrkd_tokenizer *hrkd_tokenizer_create(const char *vocab_path, int do_lower_case, hrkd_error *err)
{
    if (hrkd_path_expect(vocab_path, HRKD_PATH_FILE, err)) return NULL;
    FILE *f = fopen(vocab_path, "rb");
    if (!f) { hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot open vocab", vocab_path); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) { hrkd_error_set(err, HRKD_STATUS_NOMEM, "%s: out of memory", vocab_path); return NULL; }
    buf[n] = 0;
    /* lines: trailing whitespace trimmed (HF: line.trim_end()); a final newline ends no line */
    int lines = 0;
    for (size_t i = 0; i < n; i++) if (buf[i] == '\n') lines++;
    if (n && buf[n - 1] != '\n') lines++;
    const char **tok = malloc((size_t)(lines ? lines : 1) * sizeof *tok);
    if (!tok) { free(buf); hrkd_error_set(err, HRKD_STATUS_NOMEM, "%s: out of memory", vocab_path); return NULL; }
    int li = 0;
    size_t s = 0;
    for (size_t i = 0; i <= n && li < lines; i++) {
        if (i == n || buf[i] == '\n') {
            size_t e = i;
            while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t' || buf[e - 1] == '\r')) e--;
            buf[e] = 0;
            tok[li++] = buf + s;
            s = i + 1;
        }
    }
    for (int i = 0; i < li; i++) {
        if (!hrkd_utf8_valid(tok[i], strlen(tok[i]))) {
            hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: token is not UTF-8", vocab_path, i + 1);
            free(tok); free(buf);
            return NULL;
        }
    }
    hrkd_tokenizer *t = hrkd_tokenizer_create_from_tokens(tok, li, do_lower_case, err);
    if (!t) hrkd_error_prefix(err, "%s: ", vocab_path);
    free(tok);
    free(buf);
    return t;
}

void hrkd_tokenizer_destroy(hrkd_tokenizer *t)
{
    if (!t) return;
    free(t->pool); free(t->off); free(t->len); free(t->slot);
    free(t);
}

int hrkd_tokenizer_vocab_size(const hrkd_tokenizer *t) { return t->n; }

const char *hrkd_tokenizer_token(const hrkd_tokenizer *t, int32_t id)
{
    return (id >= 0 && id < t->n) ? t->pool + t->off[id] : NULL;
}

/* ---- the pipeline ---- */

/* ids go to a caller's array (cap) or, with grow set, to a heap array that doubles; on
 * allocation failure the count still advances, only storage stops */
typedef struct out_buf { int32_t *ids; int cap, n, grow; } out_buf;

static void emit(out_buf *o, int32_t id)
{
    if (o->n >= o->cap && o->grow) {
        int cap = o->cap ? o->cap * 2 : 256;
        int32_t *ni = realloc(o->ids, (size_t)cap * sizeof *ni);
        if (ni) { o->ids = ni; o->cap = cap; }
    }
    if (o->n < o->cap) o->ids[o->n] = id;
    o->n++;
}

/* WordPiece of one word: cps[0..n) code points. key is scratch of ≥ 2 + 4·n bytes. */
static void wordpiece(const hrkd_tokenizer *t, const uint32_t *cps, int n, char *key, int *coff, out_buf *o)
{
    if (n > MAX_WORD_CHARS) { emit(o, t->unk); return; }
    /* UTF-8 of the word after a "##" prefix; coff[i] = byte offset of char i */
    char *w = key + 2;
    int b = 0;
    for (int i = 0; i < n; i++) { coff[i] = b; b += hrkd_utf8_encode(cps[i], w + b); }
    coff[n] = b;
    int mark = o->n, start = 0;
    while (start < n) {
        int32_t found = -1;
        int end = n;
        for (; end > start; end--) {
            const char *s = w + coff[start];
            size_t l = (size_t)(coff[end] - coff[start]);
            if (start > 0) { /* "##" + piece, built in place before the piece */
                char save0 = s[-2], save1 = s[-1];
                char *m = (char *)s;
                m[-2] = '#'; m[-1] = '#';
                found = vocab_find(t, s - 2, l + 2);
                m[-2] = save0; m[-1] = save1;
            } else {
                found = vocab_find(t, s, l);
            }
            if (found >= 0) break;
        }
        if (found < 0) { o->n = mark; emit(o, t->unk); return; }
        emit(o, found);
        start = end;
    }
}

/* Normalize and tokenize raw bytes s[0..n) that contain no special token. */
static void tokenize_plain(const hrkd_tokenizer *t, const char *s, size_t n, out_buf *o)
{
    if (!n) return;
    /* normalized code points: a byte decodes to at most one code point, which becomes at
     * most 4 (fold) or 3 (a padded CJK ideograph) */
    uint32_t stackbuf[512];
    size_t cap = n * 4 + 8;
    uint32_t *cp = cap <= 512 ? stackbuf : malloc(cap * sizeof *cp);
    char keybuf[2 + 4 * MAX_WORD_CHARS + 8];
    int coff[MAX_WORD_CHARS + 2];
    if (!cp) { emit(o, t->unk); return; }
    size_t m = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        i += (size_t)hrkd_utf8_decode(u + i, n - i, &c);
        if (c == 0 || c == 0xFFFD) continue;
        int cls = hrkd_uc_class(c);
        if (cls == HRKD_UC_CTRL) continue;
        if (cls == HRKD_UC_WS) { cp[m++] = ' '; continue; }
        if (cls == HRKD_UC_CJK) cp[m++] = ' ';
        if (!t->lower) cp[m++] = c;
        else m += (size_t)hrkd_uc_fold_cp(c, cls, cp + m);
        if (cls == HRKD_UC_CJK) cp[m++] = ' ';
    }
    size_t ws = 0; /* start of the current word */
    for (size_t i = 0; i <= m; i++) {
        int cls = i == m || cp[i] == ' ' ? HRKD_UC_WS : hrkd_uc_class(cp[i]);
        if (cls != HRKD_UC_WS && cls != HRKD_UC_PUNCT) continue;
        if (i > ws) {
            size_t wl = i - ws;
            if (wl > MAX_WORD_CHARS) emit(o, t->unk);
            else wordpiece(t, cp + ws, (int)wl, keybuf, coff, o);
        }
        if (cls != HRKD_UC_WS) wordpiece(t, cp + i, 1, keybuf, coff, o);
        ws = i + 1;
    }
    if (cp != stackbuf) free(cp);
}

static void tokenize_all(const hrkd_tokenizer *t, const char *text, out_buf *o)
{
    if (!text) return;
    size_t n = strlen(text), start = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] != '[') continue;
        int32_t best = -1;
        size_t best_len = 0;
        for (int k = 0; k < t->n_special; k++) {
            int32_t id = t->special[k];
            size_t l = t->len[id];
            if (l > best_len && l <= n - i && memcmp(text + i, t->pool + t->off[id], l) == 0) {
                best = id;
                best_len = l;
            }
        }
        if (best < 0) continue;
        tokenize_plain(t, text + start, i - start, o);
        emit(o, best);
        i += best_len - 1;
        start = i + 1;
    }
    tokenize_plain(t, text + start, n - start, o);
}

int hrkd_tokenizer_tokenize(const hrkd_tokenizer *t, const char *text, int32_t *out, int cap)
{
    out_buf o = {out, out ? cap : 0, 0, 0};
    tokenize_all(t, text, &o);
    return o.n;
}

static int32_t *tokenize_alloc(const hrkd_tokenizer *t, const char *text, int *n)
{
    out_buf o = {NULL, 0, 0, 1};
    tokenize_all(t, text, &o);
    *n = o.n < o.cap ? o.n : o.cap; /* fewer only when memory ran out */
    return o.ids;
}

int hrkd_tokenizer_encode(const hrkd_tokenizer *t, const char *a, const char *b, int max_len,
                          int32_t *ids, int32_t *segment, int32_t *mask)
{
    int la = 0, lb = 0;
    int32_t *ta = tokenize_alloc(t, a, &la);
    int32_t *tb = b ? tokenize_alloc(t, b, &lb) : NULL;
    int specials = b ? 3 : 2;
    int full = la + lb + specials;
    /* longest-first, as HF tokenizers computes it: the shorter side keeps up to half the
     * budget (rounded down), the longer side takes the rest; on a tie a is the "shorter" one,
     * so with an odd budget b keeps one token more. */
    int budget = max_len - specials > 0 ? max_len - specials : 0;
    int ka = la, kb = lb;
    if (ka + kb > budget) {
        if (!b) ka = budget;
        else if (la > lb) {
            kb = lb < budget / 2 ? lb : budget / 2;
            ka = la < budget - kb ? la : budget - kb;
        } else {
            ka = la < budget / 2 ? la : budget / 2;
            kb = lb < budget - ka ? lb : budget - ka;
        }
    }
    int p = 0;
#define PUT(id_, seg_)                                                                          \
    do {                                                                                        \
        if (p < max_len) { ids[p] = (id_); segment[p] = (seg_); mask[p] = 1; p++; }            \
    } while (0)
    PUT(t->cls, 0);
    for (int i = 0; i < ka; i++) PUT(ta ? ta[i] : t->unk, 0);
    PUT(t->sep, 0);
    if (b) {
        for (int i = 0; i < kb; i++) PUT(tb ? tb[i] : t->unk, 1);
        PUT(t->sep, 1);
    }
#undef PUT
    for (; p < max_len; p++) { ids[p] = t->pad; segment[p] = 0; mask[p] = 0; }
    free(ta);
    free(tb);
    return full;
}
