/* host/text/readers.c — the dataset readers. Each turns files into raw examples per domain
 * and split (text_internal.h); errors on user input read "FILE:LINE: what was expected".
 *
 *   amazon  sorted_data_acl (Blitzer et al.): <domain dir>/{positive,negative}.review,
 *           pseudo-XML; the text of each <review_text> block, lines joined by spaces, HTML
 *           entities decoded; per domain a seeded shuffle, then the paper's train/dev/test
 *           counts (Table 1 of HRKD / Meta-KD).
 *   mnli    GLUE MNLI: train.tsv + dev_matched.tsv; genre = domain; per genre the first 90 %
 *           of train rows train, the last 10 % dev; dev_matched is the test split.
 *   tsv     a header row naming the columns text, text_b (optional), label, domain (other
 *           names through [data] columns; default_domain for a file without domains; [data]
 *           labels fixes the label order)
 *   jsonl   one JSON object per line with the same keys. For both: path is a folder with
 *           train.EXT (dev.EXT, test.EXT optional) or one file, split 80/10/10 per domain by
 *           a seeded shuffle. Labels are the sorted set of label names, or [data] labels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/columns.h"
#include "core/path.h"
#include "text/text_internal.h"
#include "text/unicode.h"

/* ---- line reading ---- */

typedef struct line_reader {
    FILE        *f;
    const char  *path;
    char        *buf;
    size_t       cap;
    long         line;
    size_t       max;  /* longest line accepted (bytes before the newline) */
    hrkd_status  st;   /* why reading stopped early: a read error, a line too long, no memory */
    hrkd_error  *err;
} line_reader;

/* next line without its "\n" (and "\r"), a UTF-8 byte-order mark at the start of the file
 * dropped; returns its length, or -1 at the end of the file and when reading failed (then
 * r->st and the error are set: a read error, a line longer than r->max or no memory is never
 * taken for the end). NUL bytes inside are kept in the count so callers can refuse them. */
static long reader_next(line_reader *r)
{
    if (r->st) return -1;
    size_t n = 0;
    int c;
    while ((c = getc_unlocked(r->f)) != EOF && c != '\n') {
        if (n >= r->max) {
            r->st = hrkd_error_set(r->err, HRKD_STATUS_INVALID, "%s:%ld: line longer than %zu bytes (raise [data] "
                                   "max_line_bytes to read it)", r->path, r->line + 1, r->max);
            return -1;
        }
        if (n + 2 > r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 256;
            char *nb = realloc(r->buf, cap);
            if (!nb) {
                r->st = hrkd_error_set(r->err, HRKD_STATUS_NOMEM, "%s:%ld: out of memory for a line of %zu bytes",
                                       r->path, r->line + 1, n);
                return -1;
            }
            r->buf = nb;
            r->cap = cap;
        }
        r->buf[n++] = (char)c;
    }
    if (c == EOF && ferror(r->f)) {
        r->st = hrkd_error_set(r->err, HRKD_STATUS_IO, "%s:%ld: read error (%s)", r->path, r->line + 1, strerror(errno));
        return -1;
    }
    if (c == EOF && n == 0) return -1;
    if (!r->buf) { /* an empty first line */
        r->buf = malloc(1);
        if (!r->buf) { r->st = hrkd_error_set(r->err, HRKD_STATUS_NOMEM, "out of memory"); return -1; }
        r->cap = 1;
    }
    r->buf[n] = 0;
    r->line++;
    if (n && r->buf[n - 1] == '\r') r->buf[--n] = 0;
    if (r->line == 1 && n >= 3 && !memcmp(r->buf, "\xEF\xBB\xBF", 3)) {
        memmove(r->buf, r->buf + 3, n - 2);
        n -= 3;
    }
    return (long)n;
}

/* path MUST be a regular file (a FIFO would block, a device never end, a folder read as
 * empty); max_line is the longest line it may hold */
static hrkd_status reader_open(line_reader *r, const char *path, int64_t max_line, hrkd_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->err = err;
    r->max = max_line > 0 ? (size_t)max_line : (size_t)16 << 20;
    hrkd_status st = hrkd_path_expect(path, HRKD_PATH_FILE, err);
    if (st) return st;
    r->f = fopen(path, "rb");
    if (!r->f) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot open (%s)", path, strerror(errno));
    return HRKD_STATUS_OK;
}

static void reader_close(line_reader *r)
{
    if (r->f) fclose(r->f);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

static char *join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/') p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

/* ---- growing strings ---- */

typedef struct sbuf { char *s; size_t n, cap; } sbuf;

static int sbuf_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) return 0;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
    return 1;
}

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

/* drop leading and trailing ASCII white space in place (NULL is left alone) */
static void trim(char *s)
{
    if (!s) return;
    size_t a = 0, n = strlen(s);
    while (a < n && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n' || s[a] == '\v' || s[a] == '\f')) a++;
    while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == '\v' ||
                     s[n - 1] == '\f'))
        n--;
    memmove(s, s + a, n - a);
    s[n - a] = 0;
}

/* ---- amazon ---- */

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
        if ((size_t)n != strlen(ln)) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: NUL byte in the file", path, r.line); break; }
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

/* ---- tab-separated tables (MNLI, generic TSV) ---- */

/* split line at tabs in place; returns the field count, or cap + 1 when there are more
 * (field[] is then incomplete and MUST NOT be used) */
static int split_tabs(char *line, char **field, int cap)
{
    int n = 0;
    field[n++] = line;
    for (char *p = line; *p; p++) {
        if (*p == '\t') {
            *p = 0;
            if (n < cap) field[n++] = p + 1;
            else return cap + 1;
        }
    }
    return n;
}

static int column_of(char **field, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(field[i], name) == 0) return i;
    return -1;
}

/* a label-name table built while reading (labels are sorted and numbered at the end) */
typedef struct name_set { char **name; int n, cap; } name_set;

static int name_set_find(const name_set *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0) return i;
    return -1;
}

static int name_set_add(name_set *s, const char *name)
{
    int i = name_set_find(s, name);
    if (i >= 0) return i;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        char **nn = realloc(s->name, (size_t)cap * sizeof *nn);
        if (!nn) return -1;
        s->name = nn;
        s->cap = cap;
    }
    s->name[s->n] = strdup(name);
    if (!s->name[s->n]) return -1;
    return s->n++;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* number the labels by sorted name (or keep the order of [data] labels: keep_order) — rewrite
 * every example's provisional label (an index in s) — and move the names into r */
static hrkd_status finish_labels(hrkd_raw_data *r, name_set *s, int keep_order, hrkd_error *err)
{
    char **sorted = malloc((size_t)(s->n ? s->n : 1) * sizeof *sorted);
    int *map = malloc((size_t)(s->n ? s->n : 1) * sizeof *map);
    if (!sorted || !map) { free(sorted); free(map); return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); }
    if (s->n) memcpy(sorted, s->name, (size_t)s->n * sizeof *sorted);
    if (s->n > 1 && !keep_order) qsort(sorted, (size_t)s->n, sizeof *sorted, cmp_str);
    for (int i = 0; i < s->n; i++)
        for (int j = 0; j < s->n; j++)
            if (s->name[i] == sorted[j]) map[i] = j;
    for (int d = 0; d < r->D; d++)
        for (int sp = 0; sp < 3; sp++)
            for (int64_t i = 0; i < r->dom[d].split[sp].n; i++)
                r->dom[d].split[sp].ex[i].label = map[r->dom[d].split[sp].ex[i].label];
    r->L = s->n;
    r->label_names = sorted;
    free(map);
    free(s->name);
    memset(s, 0, sizeof *s);
    return HRKD_STATUS_OK;
}

static void name_set_free(name_set *s)
{
    for (int i = 0; i < s->n; i++) free(s->name[i]);
    free(s->name);
    memset(s, 0, sizeof *s);
}

/* The one way dev is taken from train when a data folder has no dev file (or its dev file is
 * the test split): per domain (domains sorted by name) the last tenth of train becomes dev,
 * after a seeded shuffle — or, with file_order (MNLI, as the papers' code splits it), in the
 * order of the file. */
static hrkd_status carve_dev(const hrkd_data_options *opt, int file_order, hrkd_raw_data *r, hrkd_error *err)
{
    hrkd_status st = HRKD_STATUS_OK;
    for (int d = 0; d < r->D && !st; d++) {
        hrkd_example_list *t = &r->dom[d].split[HRKD_DATA_TRAIN];
        if (!file_order) hrkd_example_shuffle(t, opt->seed, 0x6465760000ull + (uint64_t)d);
        int64_t ntr = file_order ? t->n * 9 / 10 : t->n - t->n / 10; /* MNLI: int(0.9 n) train rows */
        for (int64_t i = ntr; i < t->n && !st; i++) {
            char *a = t->ex[i].a, *b = t->ex[i].b;
            t->ex[i].a = t->ex[i].b = NULL; /* ownership moves (push frees on failure) */
            st = hrkd_example_push(&r->dom[d].split[HRKD_DATA_DEV], a, b, t->ex[i].label, err);
        }
        if (!st) t->n = ntr;
    }
    return st;
}

static hrkd_status need_utf8(const char *path, long line, const char *what, const char *s, hrkd_error *err)
{
    if (hrkd_utf8_valid(s, strlen(s))) return HRKD_STATUS_OK;
    return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: %s is not valid UTF-8", path, line, what);
}

#define MAX_COLS 64

/* MNLI file → examples of split s (train rows go to split 0 and are divided later) */
static hrkd_status mnli_file(const char *path, int64_t max_line, int s, hrkd_raw_data *r, hrkd_error *err)
{
    static const char *const LABELS[3] = {"contradiction", "entailment", "neutral"};
    line_reader rd;
    hrkd_status st = reader_open(&rd, path, max_line, err);
    if (st) return st;
    char *field[MAX_COLS + 1];
    int cg = -1, c1 = -1, c2 = -1, cl = -1, ncols = 0;
    long n;
    while (!st && (n = reader_next(&rd)) >= 0) {
        if ((size_t)n != strlen(rd.buf)) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: NUL byte in the file", path, rd.line); break; }
        int nf = split_tabs(rd.buf, field, MAX_COLS);
        if (nf > MAX_COLS) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: more than %d tab-separated columns", path, rd.line, MAX_COLS); break; }
        if (rd.line == 1) {
            ncols = nf;
            cg = column_of(field, nf, "genre");
            c1 = column_of(field, nf, "sentence1");
            c2 = column_of(field, nf, "sentence2");
            cl = column_of(field, nf, "gold_label");
            const char *miss = cg < 0 ? "genre" : c1 < 0 ? "sentence1" : c2 < 0 ? "sentence2" : cl < 0 ? "gold_label" : NULL;
            if (miss) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:1: missing column '%s' in the header", path, miss);
            continue;
        }
        if (n == 0) continue;
        if (nf != ncols) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: expected %d tab-separated columns, got %d", path, rd.line, ncols, nf); break; }
        if (!field[cg][0]) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: empty domain (genre)", path, rd.line); break; }
        int lab = -1;
        for (int k = 0; k < 3; k++)
            if (strcmp(field[cl], LABELS[k]) == 0) lab = k;
        if (lab < 0) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: unknown label '%.40s' (expected contradiction, entailment or neutral)",
                                path, rd.line, field[cl]);
            break;
        }
        if ((st = need_utf8(path, rd.line, "sentence1", field[c1], err)) || (st = need_utf8(path, rd.line, "sentence2", field[c2], err)) ||
            (st = need_utf8(path, rd.line, "genre", field[cg], err)))
            break;
        int d = hrkd_raw_domain_index(r, field[cg], 1);
        char *a = strdup(field[c1]), *b = strdup(field[c2]);
        if (d < 0 || !a || !b) { free(a); free(b); st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); break; }
        st = hrkd_example_push(&r->dom[d].split[s], a, b, lab, err);
    }
    if (!st) st = rd.st;
    if (!st && rd.line == 0) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:1: empty file (expected a header row)", path);
    reader_close(&rd);
    return st;
}

static int cmp_domain(const void *a, const void *b)
{
    return strcmp(((const hrkd_raw_domain *)a)->name, ((const hrkd_raw_domain *)b)->name);
}

hrkd_status hrkd_read_mnli(const hrkd_data_options *opt, hrkd_raw_data *r, hrkd_error *err)
{
    /* MNLI has no test file: its dev file (dev_matched.tsv) is the test split only when asked */
    if (!opt->dev_as_test)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: MNLI has no test file; set [data] dev_as_test = true to take "
                              "dev_matched.tsv as the test split (dev is then the last 10 %% of each genre's train "
                              "rows), the papers' protocol", opt->path);
    hrkd_status st = hrkd_path_expect(opt->path, HRKD_PATH_DIR, err);
    if (st) return st;
    char *tr = join_path(opt->path, "train.tsv"), *dv = join_path(opt->path, "dev_matched.tsv");
    st = (!tr || !dv) ? hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory") : HRKD_STATUS_OK;
    if (!st) st = mnli_file(tr, opt->max_line_bytes, HRKD_DATA_TRAIN, r, err);
    if (!st) st = mnli_file(dv, opt->max_line_bytes, HRKD_DATA_TEST, r, err);
    free(tr);
    free(dv);
    if (st) return st;
    if (r->D > 1) qsort(r->dom, (size_t)r->D, sizeof *r->dom, cmp_domain);
    st = carve_dev(opt, 1, r, err);
    snprintf(r->splits, sizeof r->splits, "train.tsv; test = dev_matched.tsv (dev_as_test); dev = the last 10 %% of "
             "each genre's train rows, in file order (the papers' split)");
    r->L = 3;
    r->label_names = calloc(3, sizeof *r->label_names);
    if (!r->label_names) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    r->label_names[0] = strdup("contradiction");
    r->label_names[1] = strdup("entailment");
    r->label_names[2] = strdup("neutral");
    return st;
}

/* ---- generic TSV / JSONL ---- */

/* minimal JSON: an object per line; string values (with escapes), numbers / true / false /
 * null as their literal text, nested arrays and objects skipped */
typedef struct json_cur { const char *p; const char *why; } json_cur;

static void json_ws(json_cur *c) { while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n') c->p++; }

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

enum { COL_TEXT = HRKD_COL_TEXT, COL_TEXT_B = HRKD_COL_TEXT_B, COL_LABEL = HRKD_COL_LABEL,
       COL_DOMAIN = HRKD_COL_DOMAIN, N_COLS = HRKD_N_COLS };

/* How a table file is read: the file's name of each field ([data] columns), the domain of rows
 * without one, whether the label set is fixed ([data] labels). */
typedef struct table_opts {
    char       *col[N_COLS];
    const char *default_domain;
    int         fixed_labels;
    int64_t     max_line;
} table_opts;

/* one JSONL line → the four values (malloc'd or NULL); returns 0 with c->why on bad JSON */
static int json_row(json_cur *c, char *const *names, char **val)
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

static hrkd_status table_file(const char *path, const table_opts *to, int jsonl, int s, hrkd_raw_data *r,
                              name_set *labels, hrkd_error *err)
{
    line_reader rd;
    hrkd_status st = reader_open(&rd, path, to->max_line, err);
    if (st) return st;
    int col[N_COLS] = {-1, -1, -1, -1}, ncols = 0;
    char *field[MAX_COLS + 1];
    long n;
    while (!st && (n = reader_next(&rd)) >= 0) {
        if ((size_t)n != strlen(rd.buf)) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: NUL byte in the file", path, rd.line); break; }
        char *val[N_COLS] = {NULL, NULL, NULL, NULL};
        if (!jsonl) {
            int nf = split_tabs(rd.buf, field, MAX_COLS);
            if (nf > MAX_COLS) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: more than %d tab-separated columns", path, rd.line, MAX_COLS); break; }
            if (rd.line == 1) {
                ncols = nf;
                for (int k = 0; k < N_COLS; k++) col[k] = column_of(field, nf, to->col[k]);
                int miss = col[COL_TEXT] < 0 ? COL_TEXT : col[COL_LABEL] < 0 ? COL_LABEL : -1;
                if (miss >= 0)
                    st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:1: missing column '%s' in the header%s", path,
                                        to->col[miss], strcmp(to->col[miss], hrkd_table_fields[miss]) ?
                                        " ([data] columns)" : " (another name: [data] columns, docs/data.md)");
                continue;
            }
            if (n == 0) continue;
            if (nf != ncols) { st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: expected %d tab-separated columns, got %d", path, rd.line, ncols, nf); break; }
            for (int k = 0; k < N_COLS; k++) {
                if (col[k] < 0) continue;
                val[k] = strdup(field[col[k]]);
                if (!val[k]) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
            }
        } else {
            json_cur c = {rd.buf, NULL};
            json_ws(&c);
            if (!*c.p) continue;
            if (!json_row(&c, to->col, val)) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: %s (at byte %ld)", path, rd.line, c.why, (long)(c.p - rd.buf) + 1);
            else if (!val[COL_TEXT]) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: missing key '%s'", path, rd.line, to->col[COL_TEXT]);
            else if (!val[COL_LABEL]) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: missing key '%s'", path, rd.line, to->col[COL_LABEL]);
        }
        if (!st) { trim(val[COL_LABEL]); trim(val[COL_DOMAIN]); }
        const char *dom = val[COL_DOMAIN] ? val[COL_DOMAIN] : to->default_domain;
        if (!st && col[COL_DOMAIN] >= 0 && !jsonl && !dom[0]) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: empty domain", path, rd.line);
        if (!st && jsonl && val[COL_DOMAIN] && !dom[0]) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: empty domain", path, rd.line);
        if (!st && !val[COL_LABEL][0]) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: empty label", path, rd.line);
        if (!st) st = need_utf8(path, rd.line, "text", val[COL_TEXT], err);
        if (!st && val[COL_TEXT_B]) st = need_utf8(path, rd.line, "text_b", val[COL_TEXT_B], err);
        if (!st) st = need_utf8(path, rd.line, "label", val[COL_LABEL], err);
        if (!st) st = need_utf8(path, rd.line, "domain", dom, err);
        int d = -1, lab = -1;
        if (!st) {
            d = hrkd_raw_domain_index(r, dom, 1);
            const int add = s == HRKD_DATA_TRAIN && !to->fixed_labels;
            lab = add ? name_set_add(labels, val[COL_LABEL]) : name_set_find(labels, val[COL_LABEL]);
            if (d < 0 || (lab < 0 && add)) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
            else if (lab < 0 && to->fixed_labels) {
                char have[256] = "";
                for (int i = 0; i < labels->n; i++) {
                    size_t hl = strlen(have);
                    snprintf(have + hl, sizeof have - hl, "%s%s", i ? ", " : "", labels->name[i]);
                }
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: label '%.80s' is not one of [data] labels (%s)",
                                    path, rd.line, val[COL_LABEL], have);
            } else if (lab < 0) {
                char have[256] = "";
                for (int i = 0; i < labels->n; i++) {
                    size_t hl = strlen(have);
                    snprintf(have + hl, sizeof have - hl, "%s%s", i ? ", " : "", labels->name[i]);
                }
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: label '%.80s' does not occur in the training data "
                                    "(which has: %s)", path, rd.line, val[COL_LABEL], have);
            }
        }
        if (!st) {
            st = hrkd_example_push(&r->dom[d].split[s], val[COL_TEXT], val[COL_TEXT_B], lab, err);
            val[COL_TEXT] = val[COL_TEXT_B] = NULL;
        }
        for (int k = 0; k < N_COLS; k++) free(val[k]);
    }
    if (!st) st = rd.st;
    if (!st && !jsonl && rd.line == 0) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:1: empty file (expected a header row)", path);
    reader_close(&rd);
    return st;
}

hrkd_status hrkd_read_table(const hrkd_data_options *opt, int jsonl, hrkd_raw_data *r, hrkd_error *err)
{
    const char *ext = jsonl ? "jsonl" : "tsv";
    struct stat sb;
    if (stat(opt->path, &sb) != 0) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot open (%s)", opt->path, strerror(errno));
    name_set labels = {0};
    table_opts to = {.default_domain = opt->default_domain && opt->default_domain[0] ? opt->default_domain : "all",
                     .max_line = opt->max_line_bytes};
    char why[200];
    hrkd_status st = HRKD_STATUS_OK;
    if (hrkd_table_columns_parse(opt->columns, to.col, why, sizeof why) != 0)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "[data] columns: %s", why);
    /* [data] labels: the label set and its order, fixed before any row is read */
    for (const char *p = opt->labels ? opt->labels : ""; *p && !st;) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        char *name = strndup(p, (size_t)(end - p));
        if (!name) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        else {
            trim(name);
            if (name[0] && name_set_find(&labels, name) >= 0)
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "[data] labels: '%s' is named twice", name);
            else if (name[0] && name_set_add(&labels, name) < 0)
                st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
            free(name);
        }
        p = *end ? end + 1 : end;
        to.fixed_labels = labels.n > 0;
    }
    if (st) { hrkd_table_columns_free(to.col); name_set_free(&labels); return st; }
    if (S_ISDIR(sb.st_mode)) {
        /* train.EXT, then dev.EXT and test.EXT; see text.h for the rule when one is missing */
        char *p[3] = {NULL, NULL, NULL};
        int have[3] = {0, 0, 0};
        for (int s = 0; s < 3; s++) {
            char name[32];
            snprintf(name, sizeof name, "%s.%s", hrkd_data_split_name(s), ext);
            p[s] = join_path(opt->path, name);
            if (!p[s]) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
            else have[s] = access(p[s], F_OK) == 0;
        }
        if (!st && !have[HRKD_DATA_TEST] && !opt->dev_as_test)
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: no test.%s; add one, or set [data] dev_as_test = true to take "
                                "dev.%s as the test split (dev is then a seeded 10 %% of train)", opt->path, ext, ext);
        if (!st && opt->dev_as_test && have[HRKD_DATA_TEST])
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [data] dev_as_test = true, but the folder has test.%s: "
                                "remove one of them", opt->path, ext);
        if (!st && opt->dev_as_test && !have[HRKD_DATA_DEV])
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [data] dev_as_test = true needs dev.%s", opt->path, ext);
        if (!st) st = table_file(p[0], &to, jsonl, HRKD_DATA_TRAIN, r, &labels, err);
        if (!st && have[HRKD_DATA_DEV])
            st = table_file(p[1], &to, jsonl, opt->dev_as_test ? HRKD_DATA_TEST : HRKD_DATA_DEV, r, &labels, err);
        if (!st && have[HRKD_DATA_TEST]) st = table_file(p[2], &to, jsonl, HRKD_DATA_TEST, r, &labels, err);
        if (!st && r->D > 1) qsort(r->dom, (size_t)r->D, sizeof *r->dom, cmp_domain);
        if (!st && (opt->dev_as_test || !have[HRKD_DATA_DEV])) st = carve_dev(opt, 0, r, err);
        if (opt->dev_as_test)
            snprintf(r->splits, sizeof r->splits, "train.%s; test = dev.%s (dev_as_test); dev = a seeded 10 %% of train "
                     "(seed %llu)", ext, ext, (unsigned long long)opt->seed);
        else if (!have[HRKD_DATA_DEV])
            snprintf(r->splits, sizeof r->splits, "train.%s, test.%s; dev = a seeded 10 %% of train (seed %llu)", ext, ext,
                     (unsigned long long)opt->seed);
        else
            snprintf(r->splits, sizeof r->splits, "train.%s, dev.%s, test.%s", ext, ext, ext);
        for (int s = 0; s < 3; s++) free(p[s]);
    } else {
        st = table_file(opt->path, &to, jsonl, HRKD_DATA_TRAIN, r, &labels, err);
        snprintf(r->splits, sizeof r->splits, "one file: a seeded 80 / 10 / 10 %% split per domain (seed %llu)",
                 (unsigned long long)opt->seed);
        /* one file: a seeded 80 / 10 / 10 split per domain */
        for (int d = 0; d < r->D && !st; d++) {
            hrkd_example_list *t = &r->dom[d].split[HRKD_DATA_TRAIN];
            hrkd_example_shuffle(t, opt->seed, (uint64_t)d + 1);
            int64_t ntr = t->n * 8 / 10, ndv = t->n / 10;
            for (int64_t i = ntr; i < t->n && !st; i++) {
                int s = i < ntr + ndv ? HRKD_DATA_DEV : HRKD_DATA_TEST;
                char *a = t->ex[i].a, *b = t->ex[i].b;
                t->ex[i].a = t->ex[i].b = NULL; /* ownership moves (push frees on failure) */
                st = hrkd_example_push(&r->dom[d].split[s], a, b, t->ex[i].label, err);
            }
            if (!st) t->n = ntr;
        }
    }
    if (!st) {
        if (r->D > 1) qsort(r->dom, (size_t)r->D, sizeof *r->dom, cmp_domain);
        st = finish_labels(r, &labels, to.fixed_labels, err);
    }
    name_set_free(&labels);
    hrkd_table_columns_free(to.col);
    return st;
}
