/* host/text/read_amazon.c — format amazon: the sorted_data_acl reviews (readers.h), per domain
 * a seeded shuffle, then the paper's train / dev / test counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "text/readers.h"
#include "text/unicode.h"

/* decode the HTML entities of s in place (&amp; &quot; &lt; &gt; &apos; &nbsp; &#N; &#xH;);
 * anything else stays literal */
static void html_unescape(char *s)
{
    static const struct { const char *name; const char *utf8; } ent[] = {
        {"amp", "&"}, {"quot", "\""}, {"lt", "<"}, {"gt", ">"}, {"apos", "'"}, {"nbsp", "\xc2\xa0"},
    };
    char *w = s;
    for (char *r = s; *r;) {
        if (*r == '&') {
            char *semi = r + 1;
            while (*semi && *semi != ';' && *semi != '&' && *semi != ' ' && semi - r < 12) semi++;
            if (*semi == ';') {
                size_t n = (size_t)(semi - r - 1);
                const char *name = r + 1;
                if (n >= 2 && name[0] == '#') {
                    int hex = name[1] == 'x' || name[1] == 'X';
                    char *end;
                    unsigned long v = strtoul(name + 1 + hex, &end, hex ? 16 : 10);
                    if (end == semi && end > name + 1 + hex && v > 0 && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF)) {
                        char enc[4];
                        int k = hrkd_utf8_encode((uint32_t)v, enc);
                        /* the encoding is never longer than the entity it replaces */
                        memcpy(w, enc, (size_t)k);
                        w += k;
                        r = semi + 1;
                        continue;
                    }
                } else {
                    int done = 0;
                    for (size_t e = 0; e < sizeof ent / sizeof ent[0]; e++) {
                        if (strlen(ent[e].name) == n && !memcmp(name, ent[e].name, n)) {
                            size_t k = strlen(ent[e].utf8);
                            memcpy(w, ent[e].utf8, k);
                            w += k;
                            r = semi + 1;
                            done = 1;
                            break;
                        }
                    }
                    if (done) continue;
                }
            }
        }
        *w++ = *r++;
    }
    *w = 0;
}

static const struct { const char *dir, *name; int counts[3]; } AMAZON[4] = {
    {"books", "books", {1631, 170, 199}},
    {"dvd", "dvd", {1621, 194, 185}},
    {"electronics", "electronics", {1615, 172, 213}},
    {"kitchen_&_housewares", "kitchen", {1613, 184, 203}},
};

static hrkd_status amazon_file(const char *path, int64_t max_line, int label, hrkd_example_list *out, hrkd_error *err)
{
    line_reader r;
    hrkd_status st = reader_open(&r, path, max_line, err);
    if (st) return st;
    sbuf text = {0};
    long open_line = 0; /* > 0 while inside <review_text> */
    long n;
    while (!st && (n = reader_next(&r)) >= 0) {
        char *ln = r.buf;
        if (!reader_no_nul(&r, n)) break;
        char *open = strstr(ln, "<review_text>");
        char *close = strstr(ln, "</review_text>");
        if (open && (!close || open < close)) {
            if (open_line) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: <review_text> opened again before the block of line %ld was closed",
                                    path, r.line, open_line);
                break;
            }
            open_line = r.line;
            text.n = 0;
            if (!sbuf_add(&text, "", 0)) { st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); break; }
            ln = open + strlen("<review_text>");
            close = strstr(ln, "</review_text>");
            if (!*ln && !close) continue; /* the usual layout: the tag alone on its line */
        } else if (!open_line) {
            if (close) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: </review_text> without <review_text>", path, r.line); break; }
            continue;
        }
        size_t len = close ? (size_t)(close - ln) : strlen(ln);
        if (!hrkd_utf8_valid(ln, len)) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: review text is not valid UTF-8", path, r.line); break; }
        if (len || !close) {
            if ((text.n && !sbuf_add(&text, " ", 1)) || !sbuf_add(&text, ln, len)) {
                st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
                break;
            }
        }
        if (close) {
            html_unescape(text.s);
            char *t = strdup(text.s);
            if (!t) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
            else st = hrkd_example_push(out, t, NULL, label, err);
            open_line = 0;
            text.n = 0;
        }
    }
    if (!st) st = r.st;
    if (!st && open_line)
        st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: <review_text> opened at line %ld is never closed (truncated review block)",
                            path, r.line, open_line);
    free(text.s);
    reader_close(&r);
    return st;
}

hrkd_status hrkd_read_amazon(const hrkd_data_options *opt, hrkd_raw_data *r, hrkd_error *err)
{
    r->L = 2;
    r->label_names = calloc(2, sizeof *r->label_names);
    if (!r->label_names) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    r->label_names[0] = strdup("negative");
    r->label_names[1] = strdup("positive");
    if (!r->label_names[0] || !r->label_names[1]) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    hrkd_status st0 = hrkd_path_expect(opt->path, HRKD_PATH_DIR, err);
    if (st0) return st0;
    /* [data] domains: read only the folders of the domains it names */
    int want[4] = {1, 1, 1, 1};
    if (opt->domains && opt->domains[0]) {
        char *list = strdup(opt->domains), *save = NULL;
        if (!list) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        for (int d = 0; d < 4; d++) want[d] = 0;
        for (char *t = strtok_r(list, ",", &save); t && !st0; t = strtok_r(NULL, ",", &save)) {
            trim(t);
            if (!*t) continue;
            int found = -1;
            for (int d = 0; d < 4; d++)
                if (!strcmp(t, AMAZON[d].name)) found = d;
            if (found < 0)
                st0 = hrkd_error_set(err, HRKD_STATUS_INVALID, "domains: unknown domain '%.80s' (have: books, dvd, "
                                     "electronics, kitchen)", t);
            else want[found] = 1;
        }
        free(list);
        if (st0) return st0;
    }
    snprintf(r->splits, sizeof r->splits, "per domain a seeded shuffle of its reviews, then the paper's train / dev / "
             "test counts (seed %llu)", (unsigned long long)opt->seed);
    for (int d = 0; d < 4; d++) {
        if (!want[d]) continue;
        int di = hrkd_raw_domain_index(r, AMAZON[d].name, 1);
        if (di < 0) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        hrkd_example_list all = {0};
        hrkd_status st = HRKD_STATUS_OK;
        for (int lab = 1; lab >= 0 && !st; lab--) {
            char rel[128];
            snprintf(rel, sizeof rel, "%s/%s.review", AMAZON[d].dir, lab ? "positive" : "negative");
            char *p = join_path(opt->path, rel);
            st = p ? amazon_file(p, opt->max_line_bytes, lab, &all, err) : hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
            free(p);
        }
        if (!st) {
            hrkd_example_shuffle(&all, opt->seed, (uint64_t)d + 1);
            /* the paper's counts for 2000 reviews; other totals are split in proportion */
            int64_t total = all.n, cnt[3];
            const int *c = AMAZON[d].counts;
            cnt[0] = total == 2000 ? c[0] : total * c[0] / 2000;
            cnt[1] = total == 2000 ? c[1] : total * c[1] / 2000;
            cnt[2] = total - cnt[0] - cnt[1];
            int64_t at = 0;
            for (int s = 0; s < 3 && !st; s++) {
                for (int64_t i = 0; i < cnt[s] && !st; i++, at++) {
                    hrkd_example *e = &all.ex[at];
                    char *a = e->a;
                    e->a = NULL; /* ownership moves (push frees it on failure) */
                    st = hrkd_example_push(&r->dom[di].split[s], a, NULL, e->label, err);
                }
            }
        }
        for (int64_t i = 0; i < all.n; i++) free(all.ex[i].a);
        free(all.ex);
        if (st) return st;
    }
    return HRKD_STATUS_OK;
}
