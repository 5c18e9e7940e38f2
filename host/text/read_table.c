/* host/text/read_table.c — formats tsv and jsonl (readers.h): a data folder of train / dev / test
 * files or one file split 80 / 10 / 10, the columns of [data] columns, the labels sorted or
 * fixed by [data] labels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/readers.h"

/* How a table file is read: the file's name of each field ([data] columns), the domain of rows
 * without one, whether the label set is fixed ([data] labels). */
typedef struct table_opts {
    char       *col[N_COLS];
    const char *default_domain;
    int         fixed_labels;
    int64_t     max_line;
} table_opts;

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

/* the names, ", "-separated, into out (cut at cap) */
static void name_set_list(const name_set *s, char *out, size_t cap)
{
    out[0] = 0;
    for (int i = 0; i < s->n; i++) {
        size_t hl = strlen(out);
        snprintf(out + hl, cap - hl, "%s%s", i ? ", " : "", s->name[i]);
    }
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

static hrkd_status table_file(const char *path, const table_opts *to, int jsonl, int s, hrkd_raw_data *r,
                              name_set *labels, hrkd_error *err)
{
    line_reader rd;
    hrkd_status st = reader_open(&rd, path, to->max_line, err);
    if (st) return st;
    int col[N_COLS] = {-1, -1, -1, -1}, nf = 0, ncols = 0;
    char *field[MAX_COLS + 1];
    long n;
    while (!st && (n = reader_next(&rd)) >= 0) {
        char *val[N_COLS] = {NULL, NULL, NULL, NULL};
        if (!jsonl) {
            int kind = tsv_line(&rd, n, field, &nf, &ncols);
            if (kind == TSV_FAILED) break;
            if (kind == TSV_BLANK) continue;
            if (kind == TSV_HEADER) {
                for (int k = 0; k < N_COLS; k++) col[k] = column_of(field, nf, to->col[k]);
                int miss = col[COL_TEXT] < 0 ? COL_TEXT : col[COL_LABEL] < 0 ? COL_LABEL : -1;
                if (miss >= 0)
                    st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:1: missing column '%s' in the header%s", path,
                                        to->col[miss], strcmp(to->col[miss], hrkd_table_fields[miss]) ?
                                        " ([data] columns)" : " (another name: [data] columns, docs/data.md)");
                continue;
            }
            for (int k = 0; k < N_COLS; k++) {
                if (col[k] < 0) continue;
                val[k] = strdup(field[col[k]]);
                if (!val[k]) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
            }
        } else {
            if (!reader_no_nul(&rd, n)) break;
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
                char have[256];
                name_set_list(labels, have, sizeof have);
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: label '%.80s' is not one of [data] labels (%s)",
                                    path, rd.line, val[COL_LABEL], have);
            } else if (lab < 0) {
                char have[256];
                name_set_list(labels, have, sizeof have);
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
    if (!st) st = jsonl ? rd.st : tsv_end(&rd);
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
