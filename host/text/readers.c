/* host/text/readers.c — what the dataset readers share (readers.h): line reading, growing
 * strings, the rule for tab-separated rows, the dev split carved from train. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "text/readers.h"
#include "text/unicode.h"

/* ---- line reading ---- */

long reader_next(line_reader *r)
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

hrkd_status reader_open(line_reader *r, const char *path, int64_t max_line, hrkd_error *err)
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

void reader_close(line_reader *r)
{
    if (r->f) fclose(r->f);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int reader_no_nul(line_reader *r, long n)
{
    if ((size_t)n == strlen(r->buf)) return 1;
    r->st = hrkd_error_set(r->err, HRKD_STATUS_INVALID, "%s:%ld: NUL byte in the file", r->path, r->line);
    return 0;
}

char *join_path(const char *dir, const char *name)
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

int sbuf_add(sbuf *b, const char *s, size_t n)
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

void trim(char *s)
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

hrkd_status need_utf8(const char *path, long line, const char *what, const char *s, hrkd_error *err)
{
    if (hrkd_utf8_valid(s, strlen(s))) return HRKD_STATUS_OK;
    return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%ld: %s is not valid UTF-8", path, line, what);
}

/* ---- tab-separated rows (MNLI, generic TSV) ---- */

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

int tsv_line(line_reader *r, long n, char **field, int *nf, int *ncols)
{
    if (!reader_no_nul(r, n)) return TSV_FAILED;
    *nf = split_tabs(r->buf, field, MAX_COLS);
    if (*nf > MAX_COLS) {
        r->st = hrkd_error_set(r->err, HRKD_STATUS_INVALID, "%s:%ld: more than %d tab-separated columns", r->path,
                               r->line, MAX_COLS);
        return TSV_FAILED;
    }
    if (r->line == 1) {
        *ncols = *nf;
        return TSV_HEADER;
    }
    if (n == 0) return TSV_BLANK;
    if (*nf != *ncols) {
        r->st = hrkd_error_set(r->err, HRKD_STATUS_INVALID, "%s:%ld: expected %d tab-separated columns, got %d",
                               r->path, r->line, *ncols, *nf);
        return TSV_FAILED;
    }
    return TSV_ROW;
}

hrkd_status tsv_end(const line_reader *r)
{
    if (r->st) return r->st;
    if (r->line == 0)
        return hrkd_error_set(r->err, HRKD_STATUS_INVALID, "%s:1: empty file (expected a header row)", r->path);
    return HRKD_STATUS_OK;
}

int column_of(char **field, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(field[i], name) == 0) return i;
    return -1;
}

/* ---- splits ---- */

hrkd_status carve_dev(const hrkd_data_options *opt, int file_order, hrkd_raw_data *r, hrkd_error *err)
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

int cmp_domain(const void *a, const void *b)
{
    return strcmp(((const hrkd_raw_domain *)a)->name, ((const hrkd_raw_domain *)b)->name);
}
