/* host/text/read_mnli.c — format mnli: GLUE MNLI's train.tsv and dev_matched.tsv (readers.h),
 * genre = domain, the papers' split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "text/readers.h"

/* MNLI file → examples of split s (train rows go to split 0 and are divided later) */
static hrkd_status mnli_file(const char *path, int64_t max_line, int s, hrkd_raw_data *r, hrkd_error *err)
{
    static const char *const LABELS[3] = {"contradiction", "entailment", "neutral"};
    line_reader rd;
    hrkd_status st = reader_open(&rd, path, max_line, err);
    if (st) return st;
    char *field[MAX_COLS + 1];
    int cg = -1, c1 = -1, c2 = -1, cl = -1, nf = 0, ncols = 0;
    long n;
    while (!st && (n = reader_next(&rd)) >= 0) {
        int kind = tsv_line(&rd, n, field, &nf, &ncols);
        if (kind == TSV_FAILED) break;
        if (kind == TSV_BLANK) continue;
        if (kind == TSV_HEADER) {
            cg = column_of(field, nf, "genre");
            c1 = column_of(field, nf, "sentence1");
            c2 = column_of(field, nf, "sentence2");
            cl = column_of(field, nf, "gold_label");
            const char *miss = cg < 0 ? "genre" : c1 < 0 ? "sentence1" : c2 < 0 ? "sentence2" : cl < 0 ? "gold_label" : NULL;
            if (miss) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:1: missing column '%s' in the header", path, miss);
            continue;
        }
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
    if (!st) st = tsv_end(&rd);
    reader_close(&rd);
    return st;
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
