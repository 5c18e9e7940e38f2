/* host/train/case.c — case studies of a trained student (see case.h). */
#include "train/case.h"

#include "train/eval.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

hrkd_status hrkd_case_set_alloc(hrkd_case_set *cs, int n, int D, int M, int64_t T, hrkd_error *err)
{
    memset(cs, 0, sizeof *cs);
    cs->n = n, cs->D = D, cs->M = M, cs->T = T;
    const size_t nd = (size_t)n * D, ndt = nd * (size_t)T;
    cs->ids = calloc(ndt, sizeof *cs->ids);
    cs->types = calloc(ndt, sizeof *cs->types);
    cs->mask = calloc(ndt, sizeof *cs->mask);
    cs->labels = calloc(nd, sizeof *cs->labels);
    cs->rows = malloc(nd * sizeof *cs->rows);
    cs->text = calloc(nd, sizeof *cs->text);
    cs->pred = calloc(nd, sizeof *cs->pred);
    cs->ratios = calloc(nd * (size_t)(M + 1), sizeof *cs->ratios);
    cs->hier = calloc((size_t)n * (size_t)hrkd_case_hier_offset(D, M + 1), sizeof *cs->hier);
    if (!cs->ids || !cs->types || !cs->mask || !cs->labels || !cs->rows || !cs->text || !cs->pred ||
        !cs->ratios || !cs->hier) {
        hrkd_case_set_free(cs);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (%d cases)", n);
    }
    for (size_t i = 0; i < nd; i++) cs->rows[i] = -1;
    return HRKD_STATUS_OK;
}

void hrkd_case_set_free(hrkd_case_set *cs)
{
    if (cs->text)
        for (size_t i = 0; i < (size_t)cs->n * cs->D; i++) free(cs->text[i]);
    free(cs->ids), free(cs->types), free(cs->mask), free(cs->labels), free(cs->rows);
    free(cs->text), free(cs->pred), free(cs->ratios), free(cs->hier);
    memset(cs, 0, sizeof *cs);
}

void hrkd_case_take_row(hrkd_case_set *cs, int c, int d, const hrkd_split_data *s, int64_t r)
{
    const size_t at = (size_t)c * cs->D + d, T = (size_t)cs->T;
    memcpy(cs->ids + at * T, s->ids + r * s->T, T * sizeof(int32_t));
    memcpy(cs->types + at * T, s->types + r * s->T, T * sizeof(int32_t));
    memcpy(cs->mask + at * T, s->mask + r * s->T, T * sizeof(int32_t));
    cs->labels[at] = s->labels[r];
    cs->rows[at] = r;
}

/* label l's name, or its id where the data names none */
static const char *label_name(const hrkd_train_data *data, int32_t l, char *buf, size_t cap)
{
    if (data->label_names && l >= 0 && l < data->num_labels && data->label_names[l]) return data->label_names[l];
    snprintf(buf, cap, "%d", (int)l);
    return buf;
}

int hrkd_case_label(const hrkd_train_data *data, const char *pattern)
{
    char name[32];
    int found = -1, n = 0;
    for (int l = 0; l < data->num_labels; l++) {
        const char *ln = label_name(data, l, name, sizeof name);
        if (!strcasecmp(ln, pattern)) return l;
        if (!strncasecmp(ln, pattern, strlen(pattern))) found = l, n++;
    }
    return n == 1 ? found : -1;
}

/* "a, b, c" of every label name (message text) */
static void label_list(const hrkd_train_data *data, char *out, size_t cap)
{
    size_t k = 0;
    char name[32];
    out[0] = 0;
    for (int l = 0; l < data->num_labels && k < cap; l++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", l ? ", " : "", label_name(data, l, name, sizeof name));
}

hrkd_status hrkd_case_sample(const hrkd_train_data *data, int split, const char *const *pattern,
                             int n, uint64_t seed, int64_t *rows, hrkd_error *err)
{
    static const char *const split_names[HRKD_SPLIT_COUNT] = {"train", "dev", "test"};
    char labels[256];
    for (int d = 0; d < data->D; d++) {
        const hrkd_split_data *s = &data->split[d][split];
        int want = -1;
        if (pattern && pattern[d] && pattern[d][0] && strcmp(pattern[d], "*")) {
            if ((want = hrkd_case_label(data, pattern[d])) < 0) {
                label_list(data, labels, sizeof labels);
                return hrkd_error_set(err, HRKD_STATUS_INVALID, "--pattern: '%s' (domain %s) names no "
                                      "label, or more than one; the labels are %s", pattern[d],
                                      data->domains[d], labels);
            }
        }
        /* the matching rows, then a seeded partial shuffle of them (Fisher–Yates, n draws) */
        int64_t *cand = malloc((size_t)(s->n ? s->n : 1) * sizeof *cand), m = 0;
        if (!cand) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        for (int64_t r = 0; r < s->n; r++)
            if (want < 0 || s->labels[r] == want) cand[m++] = r;
        if (m < n) {
            free(cand);
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "domain %s: the %s split has %lld "
                                  "example(s)%s%s, fewer than the %d case(s) asked for",
                                  data->domains[d], split_names[split], (long long)m,
                                  want >= 0 ? " labelled " : "", want >= 0 ? pattern[d] : "", n);
        }
        for (int c = 0; c < n; c++) {
            uint64_t u = hrkd_rng_u64(seed, ((uint64_t)d << 32) + (uint64_t)c);
            int64_t j = c + (int64_t)(u % (uint64_t)(m - c));
            int64_t t = cand[c];
            cand[c] = cand[j], cand[j] = t;
            rows[(size_t)c * data->D + d] = cand[c];
        }
        free(cand);
    }
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_case_forward(hrkd_kd *kd, hrkd_ctx *ctx, hrkd_case_set *cs, hrkd_error *err)
{
    const int D = cs->D, M = cs->M;
    if (!kd->relational)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "the run was distilled without relational "
                              "ratios ([distill] relational = false): there are no ratios to study");
    if (kd->D != D || kd->M != M)
        return hrkd_error_set(err, HRKD_STATUS_INTERNAL, "case set of %d domains, %d layers; step of %d, %d",
                              D, M, kd->D, kd->M);
    hrkd_kd_stats st;
    hrkd_status rc = hrkd_kd_stats_init(&st, D, M, err);
    if (rc != HRKD_STATUS_OK) return rc;
    struct hrkd_teacher_cache *cache = kd->cache;
    kd->cache = NULL; /* the examples are not training rows: the teachers run */
    const int64_t H = hrkd_case_hier_offset(D, M + 1);
    for (int c = 0; c < cs->n && rc == HRKD_STATUS_OK; c++) {
        hrkd_batch b[HRKD_MAX_DOMAINS];
        for (int d = 0; d < D; d++) {
            const size_t at = (size_t)c * D + d;
            b[d] = (hrkd_batch){.B = 1, .T = cs->T, .ids = cs->ids + at * cs->T, .types = cs->types + at * cs->T,
                                .mask = cs->mask + at * cs->T, .labels = cs->labels + at};
            if (cs->pad_longest) b[d].T = hrkd_batch_longest(b[d].mask, cs->T, NULL, 1); /* one row: a view */
        }
        hrkd_ctx_reset(ctx);
        hrkd_ctx_set_training(ctx, 0);
        hrkd_ctx_set_grad(ctx, 1);
        if (!hrkd_kd_forward(kd, ctx, b, &st)) {
            rc = hrkd_error_set(err, HRKD_STATUS_RUNTIME, "case %d: %s", c + 1, hrkd_ctx_error(ctx)->msg);
            break;
        }
        memcpy(cs->ratios + (size_t)c * (M + 1) * D, st.ratios, (size_t)(M + 1) * D * sizeof(float));
        memcpy(cs->hier + (size_t)c * H, st.hier[0], (size_t)H * sizeof(float));
        for (int d = 0; d < D && rc == HRKD_STATUS_OK; d++)
            if (hrkd_eval_batch(kd->student, d, ctx, &b[d], &cs->pred[(size_t)c * D + d]) < 0)
                rc = hrkd_error_set(err, HRKD_STATUS_RUNTIME, "case %d, domain %d: %s", c + 1, d,
                                    hrkd_ctx_error(ctx)->msg);
    }
    kd->cache = cache;
    hrkd_ctx_set_grad(ctx, 1);
    hrkd_kd_stats_free(&st);
    return rc;
}

char *hrkd_case_decode(const hrkd_tokenizer *tok, const int32_t *ids, const int32_t *mask, int64_t T)
{
    size_t cap = 64, k = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    out[0] = 0;
    /* the last [SEP] (without a tokenizer: the last token, and the first, [CLS]) is left out */
    int64_t first = tok ? 0 : 1, last = T;
    while (last > 0 && !mask[last - 1]) last--;
    if (last > 0 && (!tok || !strcmp(hrkd_tokenizer_token(tok, ids[last - 1]) ? hrkd_tokenizer_token(tok, ids[last - 1]) : "",
                                     "[SEP]")))
        last--;
    for (int64_t i = first; i < last; i++) {
        if (!mask[i]) continue;
        char idbuf[24];
        const char *w = tok ? hrkd_tokenizer_token(tok, ids[i]) : NULL;
        if (!w) snprintf(idbuf, sizeof idbuf, "#%d", (int)ids[i]), w = idbuf;
        if (!strcmp(w, "[CLS]") || !strcmp(w, "[PAD]")) continue;
        int glue = !strncmp(w, "##", 2) && k > 0;
        if (glue) w += 2;
        size_t need = k + strlen(w) + 2;
        if (need > cap) {
            while (cap < need) cap *= 2;
            char *grown = realloc(out, cap);
            if (!grown) { free(out); return NULL; }
            out = grown;
        }
        k += (size_t)snprintf(out + k, cap - k, "%s%s", glue || k == 0 ? "" : " ", w);
    }
    return out;
}


/* text cut to width characters (UTF-8 aware: never inside a character), "..." when cut */
static void excerpt(const char *text, int width, char *out, size_t cap)
{
    size_t k = 0;
    int chars = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p && chars < width && k + 8 < cap) {
        size_t len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : 4;
        for (size_t i = 0; i < len && p[i]; i++) out[k++] = (char)(isspace(p[i]) ? ' ' : p[i]);
        p += len;
        chars++;
    }
    if (*p) out[k++] = '.', out[k++] = '.', out[k++] = '.';
    out[k] = 0;
}

void hrkd_case_print(FILE *f, const hrkd_case_set *cs, const hrkd_train_data *data, int width)
{
    const int D = cs->D, M = cs->M;
    const int64_t H = hrkd_case_hier_offset(D, M + 1);
    int dw = 6, lw = 5;
    char b1[32], b2[32];
    for (int d = 0; d < D; d++) dw = (int)strlen(data->domains[d]) > dw ? (int)strlen(data->domains[d]) : dw;
    for (int l = 0; l < data->num_labels; l++) {
        int w = (int)strlen(label_name(data, l, b1, sizeof b1));
        lw = w > lw ? w : lw;
    }
    const int pw = lw > 10 ? lw : 10;
    char *ex = malloc((size_t)width * 4 + 16);
    if (!ex) return;
    for (int c = 0; c < cs->n; c++) {
        fprintf(f, "%scase %d\n", c ? "\n" : "", c + 1);
        fprintf(f, "  %-*s  %-*s  %-*s  %s\n", dw, "domain", lw, "label", pw, "prediction", "text");
        for (int d = 0; d < D; d++) {
            const size_t at = (size_t)c * D + d;
            excerpt(cs->text[at] ? cs->text[at] : "", width, ex, (size_t)width * 4 + 16);
            fprintf(f, "  %-*s  %-*s  %-*s  %s\n", dw, data->domains[d], lw, label_name(data, cs->labels[at], b1, sizeof b1),
                    pw, label_name(data, cs->pred[at], b2, sizeof b2), ex);
        }
        char head[64], list[16 * (HRKD_BERT_MAX_LAYERS + 1)];
        snprintf(head, sizeof head, "domain-relational ratio, layers 0..%d", M);
        int rw = 6 * (M + 1) > (int)strlen(head) ? 6 * (M + 1) : (int)strlen(head);
        fprintf(f, "  %-*s  %-*s  hierarchical similarity ratio, layers 1..%d\n", dw, "domain", rw, head, M);
        for (int d = 0; d < D; d++) {
            size_t k = 0;
            for (int m = 0; m <= M; m++)
                k += (size_t)snprintf(list + k, sizeof list - k, "%s%.2f", m ? ", " : "[",
                                      cs->ratios[((size_t)c * (M + 1) + m) * D + d]);
            snprintf(list + k, sizeof list - k, "]");
            fprintf(f, "  %-*s  %-*s  ", dw, data->domains[d], rw, list);
            for (int m = 1; m <= M; m++) {
                const float *h = cs->hier + (size_t)c * H + hrkd_case_hier_offset(D, m) + (size_t)d * (m + 1);
                fprintf(f, "%s[", m > 1 ? ", " : "");
                for (int j = 0; j <= m; j++) fprintf(f, "%s%.2f", j ? ", " : "", h[j]);
                fprintf(f, "]");
            }
            fprintf(f, "\n");
        }
    }
    free(ex);
}
