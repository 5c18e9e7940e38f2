/* host/train/case_run.c — `hrkd case`'s work (case.h, hrkd_case_run): a trained HRKD student
 * rebuilt from the INI (setup.h) with its relational modules, cases of one example per domain
 * chosen, run and printed (case.c), and written with --out (hrkd_case_file_write). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/case.h"
#include "train/setup.h"

/* The teacher file run h5 distilled from: --teacher, [teacher] checkpoint when it names a run
 * file, else the one the run trained first beside it (RUN.h5 -> RUN_teacher.h5, as hrkd run
 * names it). */
static void teacher_path(const hrkd_setup *s, const hrkd_case_opts *a, char *out, size_t cap)
{
    const char *tck = teacher_checkpoint(s);
    if (a->teacher) snprintf(out, cap, "%s", a->teacher);
    else if (tck && *tck && !hrkd_setup_teacher_pretrained(s)) snprintf(out, cap, "%s", tck);
    else {
        size_t n = strlen(a->h5);
        if (n > 3 && !strcmp(a->h5 + n - 3, ".h5")) n -= 3;
        snprintf(out, cap, "%.*s_teacher.h5", (int)n, a->h5);
    }
}

/* The student and relational weights of group (the relational weights from /checkpoint, the
 * end of training, where group lacks them: files whose best snapshots held the student only). */
static hrkd_status load_weights(hrkd_run *run, const char *group, hrkd_distill *dd, const char **rel_from,
                                int64_t *step, hrkd_error *err)
{
    hrkd_params *student = dd->kd.student->params;
    hrkd_run_state rs = {0};
    hrkd_status st = hrkd_run_load_checkpoint(run, group, &student, 1, &rs, err);
    if (st != HRKD_STATUS_OK) return st;
    *step = rs.step;
    *rel_from = "their initial values (not trained: [relational] trainable = false)";
    if (!dd->trainable || hrkd_params_count(dd->relational) == 0) return HRKD_STATUS_OK;
    hrkd_error e2 = {0};
    *rel_from = group;
    if (hrkd_run_load_checkpoint(run, group, &dd->relational, 1, NULL, &e2) == HRKD_STATUS_OK) return HRKD_STATUS_OK;
    *rel_from = "checkpoint (the end of training; this group holds the student only)";
    if (!hrkd_run_has_group(run, "checkpoint"))
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: the trained relational modules were kept in /checkpoint only, which hrkd "
                              "prune has dropped (/%s holds the student); prune students only where no case "
                              "study is wanted", hrkd_run_path(run), group);
    return hrkd_run_load_checkpoint(run, "checkpoint", &dd->relational, 1, NULL, err);
}

/* --examples FILE: "domain<TAB>label<TAB>text[<TAB>text_b]" lines (# comments, blank lines and a
 * first line starting "domain<TAB>" skipped); case i takes the i-th example of each domain. */
static hrkd_status read_examples(const hrkd_setup *s, const hrkd_tokenizer *tok, const char *path,
                                 hrkd_case_set *cs, int M, hrkd_error *err)
{
    const hrkd_train_data *data = &s->data;
    const int D = data->D;
    if (!tok) /* the synthetic data */
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "--examples: [data] format = synthetic has no "
                              "vocabulary to tokenize texts with; use --split and --pattern");
    FILE *f = fopen(path, "r");
    if (!f) return hrkd_error_set(err, HRKD_STATUS_NOT_FOUND, "%s: cannot open", path);
    char *line = NULL;
    size_t cap = 0;
    int count[HRKD_MAX_DOMAINS] = {0}, lineno = 0, n = -1;
    hrkd_status st = HRKD_STATUS_OK;
    /* two passes: count per domain, then read into the case set */
    for (int pass = 0; pass < 2 && st == HRKD_STATUS_OK; pass++) {
        rewind(f);
        lineno = 0;
        memset(count, 0, sizeof count);
        ssize_t len;
        while (st == HRKD_STATUS_OK && (len = getline(&line, &cap, f)) >= 0) {
            lineno++;
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
            if (!len || line[0] == '#' || (lineno == 1 && !strncmp(line, "domain\t", 7))) continue;
            char *field[5] = {line}, *p = line;
            int nf = 1;
            while (nf < 5 && (p = strchr(p, '\t'))) *p++ = 0, field[nf++] = p;
            if (nf < 3 || nf > 4) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: expected domain, label, text[, text_b] "
                                    "separated by tabs; found %d field(s)", path, lineno, nf);
                break;
            }
            int d = 0, l;
            while (d < D && strcmp(data->domains[d], field[0])) d++;
            if (d == D) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: '%s' is not a domain of the data (%s%s%s%s)",
                                    path, lineno, field[0], data->domains[0], D > 1 ? ", " : "",
                                    D > 1 ? data->domains[1] : "", D > 2 ? ", ..." : "");
                break;
            }
            if ((l = hrkd_case_label(data, field[1])) < 0) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: '%s' is not a label of the data, nor "
                                    "the unique start of one", path, lineno, field[1]);
                break;
            }
            int c = count[d]++;
            if (pass == 0) continue;
            const size_t at = (size_t)c * D + d, T = (size_t)cs->T;
            hrkd_tokenizer_encode(tok, field[2], nf == 4 ? field[3] : NULL, (int)T, cs->ids + at * T,
                                  cs->types + at * T, cs->mask + at * T);
            cs->labels[at] = l;
            size_t tl = strlen(field[2]) + (nf == 4 ? strlen(field[3]) + 7 : 0) + 1;
            if ((cs->text[at] = malloc(tl)))
                snprintf(cs->text[at], tl, "%s%s%s", field[2], nf == 4 ? " [SEP] " : "", nf == 4 ? field[3] : "");
            else st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        }
        if (st != HRKD_STATUS_OK || pass) break;
        n = count[0];
        for (int d = 0; d < D && st == HRKD_STATUS_OK; d++)
            if (count[d] != n || !n)
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: domain %s has %d example(s), domain %s %d: "
                                    "every case takes one example of each domain", path, data->domains[0], n,
                                    data->domains[d], count[d]);
        if (st == HRKD_STATUS_OK) st = hrkd_case_set_alloc(cs, n, D, M, data->split[0][HRKD_SPLIT_TEST].T, err);
    }
    free(line);
    fclose(f);
    return st;
}

/* "5,12,40": the numbers of a comma list, at most cap; −1 when it is not such a list */
static int parse_ints(const char *list, int64_t *out, int cap)
{
    int n = 0;
    for (const char *p = list; *p;) {
        char *end;
        long long k = strtoll(p, &end, 10);
        if (end == p || (*end && *end != ',') || n == cap) return -1;
        out[n++] = k;
        p = end + (*end == ',');
    }
    return n;
}

/* The cases' examples: --examples, --step (rows of logged training steps) or sampled. */
static hrkd_status choose(const hrkd_setup *s, const hrkd_case_opts *a, const hrkd_tokenizer *tok, hrkd_run *run,
                          int M, hrkd_case_set *cs, hrkd_error *err)
{
    const hrkd_train_data *data = &s->data;
    const int D = data->D;
    if (a->examples) return read_examples(s, tok, a->examples, cs, M, err);
    int split = !strcmp(a->split, "train") ? HRKD_SPLIT_TRAIN : !strcmp(a->split, "dev") ? HRKD_SPLIT_DEV
              : !strcmp(a->split, "test") ? HRKD_SPLIT_TEST : -1;
    if (split < 0) return hrkd_error_set(err, HRKD_STATUS_INVALID, "--split: '%s' is not train, dev or test", a->split);
    int64_t steps[1024];
    int n = a->cases;
    if (a->steps) { /* the first example of each domain's batch at each listed step */
        hrkd_run_view v;
        hrkd_run_get_view(run, &v);
        if ((n = parse_ints(a->steps, steps, 1024)) < 1)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "--step: '%s' is not a list of steps (at most 1024)",
                                  a->steps);
        if (!v.ratio_examples || v.B_examples < 1)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: no /ratios/examples (a run file of format "
                                  "version 1, or a run that logged no ratios): --step needs them", a->h5);
        hrkd_status st = hrkd_case_set_alloc(cs, n, D, M, data->split[0][HRKD_SPLIT_TRAIN].T, err);
        if (st != HRKD_STATUS_OK) return st;
        for (int c = 0; c < n; c++) {
            int64_t row = -1;
            for (int64_t i = 0; i < v.n_ratio; i++) if (v.ratio_step[i] == steps[c]) row = i;
            if (row < 0) return hrkd_error_set(err, HRKD_STATUS_INVALID, "--step %lld: no such logged step "
                                               "in %s (steps %lld..%lld)", (long long)steps[c], a->h5,
                                               v.n_ratio ? (long long)v.ratio_step[0] : 0LL,
                                               v.n_ratio ? (long long)v.ratio_step[v.n_ratio - 1] : -1LL);
            for (int d = 0; d < D; d++) {
                int64_t r = v.ratio_examples[((size_t)row * D + d) * v.B_examples];
                if (r < 0) return hrkd_error_set(err, HRKD_STATUS_INVALID, "--step %lld: domain %s had no "
                                                 "batch at that step", (long long)steps[c], data->domains[d]);
                if (r >= data->split[d][HRKD_SPLIT_TRAIN].n)
                    return hrkd_error_set(err, HRKD_STATUS_INVALID, "--step %lld: row %lld of domain %s is past its "
                                          "training split (%lld rows): the INI's data differ from the run's",
                                          (long long)steps[c], (long long)r, data->domains[d],
                                          (long long)data->split[d][HRKD_SPLIT_TRAIN].n);
                hrkd_case_take_row(cs, c, d, &data->split[d][HRKD_SPLIT_TRAIN], r);
            }
        }
        return HRKD_STATUS_OK;
    }
    if (a->rows) { /* one case: row R_d of the split for domain d */
        int64_t r[HRKD_MAX_DOMAINS];
        int nr = parse_ints(a->rows, r, D);
        for (int d = 0; d < nr; d++)
            if (r[d] < 0) nr = -1;
        if (nr != D)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "--rows: '%s' is not %d row numbers (one per "
                                  "domain, in the data's domain order)", a->rows, D);
        hrkd_status st = hrkd_case_set_alloc(cs, 1, D, M, data->split[0][split].T, err);
        for (int d = 0; d < D && st == HRKD_STATUS_OK; d++) {
            if (r[d] >= data->split[d][split].n)
                return hrkd_error_set(err, HRKD_STATUS_INVALID, "--rows: row %lld of domain %s is past its %s "
                                      "split (%lld rows)", (long long)r[d], data->domains[d], a->split,
                                      (long long)data->split[d][split].n);
            hrkd_case_take_row(cs, 0, d, &data->split[d][split], r[d]);
        }
        return st;
    }
    const char *pat[HRKD_MAX_DOMAINS] = {0};
    char *pcopy = a->pattern ? strdup(a->pattern) : NULL;
    int np = 0;
    for (char *t = pcopy ? strtok(pcopy, ",") : NULL; t; t = strtok(NULL, ",")) {
        while (*t == ' ') t++;
        if (np < HRKD_MAX_DOMAINS) pat[np] = t;
        np++;
    }
    hrkd_status st = HRKD_STATUS_OK;
    if (a->pattern && np != 1 && np != D)
        st = hrkd_error_set(err, HRKD_STATUS_INVALID, "--pattern: %d label(s) for %d domains (give one per "
                            "domain, in the data's domain order, or one for all)", np, D);
    for (int d = 1; d < D && np == 1; d++) pat[d] = pat[0];
    int64_t *rows = st == HRKD_STATUS_OK ? malloc((size_t)n * D * sizeof *rows) : NULL;
    if (st == HRKD_STATUS_OK && !rows) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    if (st == HRKD_STATUS_OK) st = hrkd_case_sample(data, split, a->pattern ? pat : NULL, n, a->seed, rows, err);
    if (st == HRKD_STATUS_OK) st = hrkd_case_set_alloc(cs, n, D, M, data->split[0][split].T, err);
    for (int c = 0; c < n && st == HRKD_STATUS_OK; c++)
        for (int d = 0; d < D; d++) hrkd_case_take_row(cs, c, d, &data->split[d][split], rows[(size_t)c * D + d]);
    free(rows);
    free(pcopy);
    return st;
}

int hrkd_case_run(const hrkd_case_opts *opts)
{
    const hrkd_case_opts a = *opts;
    if (hrkd_comm_launcher_rank() > 0) return 0; /* one process studies the cases */
    hrkd_setup r = {0};
    if (a.out && !a.force && access(a.out, F_OK) == 0) {
        fprintf(stderr, "hrkd case: %s exists; --force replaces it\n", a.out);
        return 2;
    }
    if (hrkd_setup_config(&r, a.ini) != 0) return 2;
    hrkd_error err = {0};
    int rc = 0;
    hrkd_ctx *ctx = NULL;
    hrkd_run *run = NULL;
    hrkd_distill dd = {0};
    hrkd_case_set cs = {0};
    hrkd_tokenizer *tok = NULL;
    char tpath[PATH_MAX];
    const char *rel_from = "";
    int64_t step = 0;
    if ((rc = hrkd_setup_backend(&r, &err)) != 0) goto fail;
    if (!(r.reg = hrkd_registry_create(run_plugin_path(&r), &err))) { rc = 2; goto fail; }
    if (!(ctx = hrkd_ctx_create(r.be, &err))) { rc = 1; goto fail; }
    if (hrkd_run_open(a.h5, &run, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    /* the run's seed: a few-shot run's training rows are its own sample's */
    if (hrkd_setup_data_seed(&r, v.seed, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
    if (!strcmp(run_mode(&r), "teacher") || v.M == 0) {
        hrkd_error_set(&err, HRKD_STATUS_INVALID, "%s is a teacher's run file: the ratios are the student's", a.h5);
        rc = 2;
        goto fail;
    }
    teacher_path(&r, &a, tpath, sizeof tpath);
    if (hrkd_setup_distill(&r, v.seed, tpath, &dd, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
    if (dd.kd.M != v.M || r.data.D != v.D) {
        hrkd_error_set(&err, HRKD_STATUS_INVALID, "%s has %d domains and %d student layers, %s %d and %d: "
                       "not the run of this INI", a.h5, v.D, v.M, a.ini, r.data.D, dd.kd.M);
        rc = 2;
        goto fail;
    }
    if (!dd.kd.relational) {
        hrkd_error_set(&err, HRKD_STATUS_INVALID, "%s: [distill] relational = false (TinyBERT-KD or "
                       "Meta-KD): the run has no ratios to study", a.ini);
        rc = 2;
        goto fail;
    }
    if (load_weights(run, a.group, &dd, &rel_from, &step, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
    /* the data's tokenizer: --examples' texts in, every other example's text out (none for the
     * synthetic data, whose texts are shown as ids) */
    char vocab[PATH_MAX];
    if (hrkd_setup_vocab(&r, vocab, sizeof vocab, &err) != HRKD_STATUS_OK ||
        (vocab[0] && !(tok = hrkd_tokenizer_create(vocab, hrkd_cfg_bool(r.section.data, "lowercase"), &err)))) {
        rc = 2;
        goto fail;
    }
    if (choose(&r, &a, tok, run, dd.kd.M, &cs, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
    for (size_t i = 0; i < (size_t)cs.n * cs.D; i++)
        if (!cs.text[i] && !(cs.text[i] = hrkd_case_decode(tok, cs.ids + i * cs.T, cs.mask + i * cs.T, cs.T))) {
            hrkd_error_set(&err, HRKD_STATUS_NOMEM, "out of memory");
            rc = 1;
            goto fail;
        }
    cs.pad_longest = r.data.split[0][HRKD_SPLIT_TRAIN].pad_longest;
    if (hrkd_case_forward(&dd.kd, ctx, &cs, &err) != HRKD_STATUS_OK) { rc = 1; goto fail; }
    printf("%s: student of group /%s (step %lld), relational weights from %s; teacher %s\n", a.h5, a.group,
           (long long)step, rel_from, tpath);
    if (a.examples) printf("examples: %s\n", a.examples);
    else if (a.steps) printf("examples: the first of each domain's batch at training step(s) %s\n", a.steps);
    else if (a.rows) printf("examples: rows %s of the %s split\n", a.rows, a.split);
    else printf("examples: %s split, label pattern %s, seed %llu\n", a.split, a.pattern ? a.pattern : "any",
                (unsigned long long)a.seed);
    printf("\n");
    hrkd_case_print(stdout, &cs, &r.data, a.width);
    if (a.out) {
        hrkd_case_file cf = {.path = a.out, .run_file = a.h5, .group = a.group, .n = cs.n, .D = cs.D, .M = cs.M,
                             .domains = r.data.domains, .label_names = r.data.label_names,
                             .num_labels = r.data.num_labels, .labels = cs.labels, .pred = cs.pred,
                             .rows = cs.rows, .text = (const char *const *)cs.text, .ratios = cs.ratios,
                             .hier = cs.hier};
        if (hrkd_case_file_write(&cf, &err) != HRKD_STATUS_OK) { rc = 1; goto fail; }
        printf("\nwrote %s\n", a.out);
    }
    goto done;
fail:
    fprintf(stderr, "hrkd case: %s\n", err.msg[0] ? err.msg : "failed");
    if (!rc) rc = 1;
done:
    hrkd_tokenizer_destroy(tok);
    hrkd_case_set_free(&cs);
    hrkd_distill_free(&dd);
    hrkd_run_free(run);
    hrkd_ctx_destroy(ctx);
    hrkd_setup_free(&r);
    return rc;
}
