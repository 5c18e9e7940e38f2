/* host/text/stats.c — `hrkd data stats FILE.ini`: load the [data] section's dataset and print,
 * per domain and split, the example count, the label balance, the mean and 95th-percentile
 * token length (before truncation) and the truncation rate.
 *
 * Until the shared configuration (host/config) is wired in, this parses [data] itself with
 * inih; keys as in hrkd_data_options (synthetic_* for the syn_* fields); other sections and
 * unknown keys are ignored. Relative paths are taken from the INI file's folder. */
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

typedef struct stats_ini {
    hrkd_data_options opt;
    FILE *f;
    int   line; /* the line inih is handling (Debian's inih passes no line numbers) */
    char *str[6]; /* owned strings: format path vocab domains cache_dir (+ spare) */
    const char *file;
    char errors[HRKD_ERROR_MSG_MAX];
} stats_ini;

static int set_str(stats_ini *s, int slot, const char **dst, const char *value)
{
    free(s->str[slot]);
    s->str[slot] = strdup(value);
    *dst = s->str[slot];
    return s->str[slot] != NULL;
}

static int parse_int(const char *v, long long lo, long long hi, long long *out)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || x < lo || x > hi) return 0;
    *out = x;
    return 1;
}

static char *read_line(char *str, int num, void *stream)
{
    stats_ini *s = stream;
    char *r = fgets(str, num, s->f);
    if (r) s->line++;
    return r;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    stats_ini *s = user;
    int line = s->line;
    if (strcmp(section, "data") != 0) return 1;
    hrkd_data_options *o = &s->opt;
    long long x = 0;
    int ok = 1;
    if (!strcmp(name, "format")) ok = set_str(s, 0, &o->format, value);
    else if (!strcmp(name, "path")) ok = set_str(s, 1, &o->path, value);
    else if (!strcmp(name, "vocab")) ok = set_str(s, 2, &o->vocab, value);
    else if (!strcmp(name, "domains")) ok = set_str(s, 3, &o->domains, value);
    else if (!strcmp(name, "cache_dir")) ok = set_str(s, 4, &o->cache_dir, value);
    else if (!strcmp(name, "few_shot_ratio")) {
        char *end;
        o->few_shot_ratio = strtod(value, &end);
        ok = end != value && !*end;
    } else if (!strcmp(name, "seed")) {
        char *end;
        o->seed = strtoull(value, &end, 10);
        ok = end != value && !*end;
    } else if (!strcmp(name, "lowercase")) {
        ok = !strcmp(value, "true") || !strcmp(value, "false") || !strcmp(value, "1") || !strcmp(value, "0");
        o->lowercase = !strcmp(value, "true") || !strcmp(value, "1");
    } else {
        static const char *const ints[7] = {"max_seq_len", "synthetic_domains", "synthetic_train", "synthetic_dev",
                                            "synthetic_test", "synthetic_vocab", "synthetic_labels"};
        int *dst[7] = {&o->max_seq_len, &o->syn_domains, &o->syn_train, &o->syn_dev, &o->syn_test, &o->syn_vocab, &o->syn_labels};
        for (int i = 0; i < 7; i++) {
            if (strcmp(name, ints[i])) continue;
            ok = parse_int(value, 0, 100000000, &x);
            if (ok) *dst[i] = (int)x;
        }
    }
    if (!ok && !s->errors[0])
        snprintf(s->errors, sizeof s->errors, "%s:%d: [data] %s: bad value '%s'", s->file, line, name, value);
    return 1;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* path relative to the INI's folder (absolute paths and "" unchanged); malloc'd */
static char *rebase(const char *ini, const char *p)
{
    if (!p || !p[0] || p[0] == '/') return strdup(p ? p : "");
    const char *slash = strrchr(ini, '/');
    if (!slash) return strdup(p);
    size_t dl = (size_t)(slash - ini) + 1, pl = strlen(p);
    char *r = malloc(dl + pl + 1);
    if (!r) return NULL;
    memcpy(r, ini, dl);
    memcpy(r + dl, p, pl + 1);
    return r;
}

int hrkd_cmd_data_stats(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hrkd data stats FILE.ini\n");
        return 2;
    }
    stats_ini s;
    memset(&s, 0, sizeof s);
    s.opt = hrkd_data_options_default();
    s.file = argv[1];
    s.f = fopen(argv[1], "r");
    if (!s.f) {
        fprintf(stderr, "%s: cannot open\n", argv[1]);
        return 1;
    }
    int rc = ini_parse_stream(read_line, &s, on_key, &s);
    fclose(s.f);
    if (rc > 0 && !s.errors[0]) snprintf(s.errors, sizeof s.errors, "%s:%d: malformed line", argv[1], rc);
    int code = 0;
    char *path = rebase(argv[1], s.opt.path), *vocab = rebase(argv[1], s.opt.vocab), *cache = rebase(argv[1], s.opt.cache_dir);
    hrkd_dataset *ds = NULL;
    if (s.errors[0]) {
        fprintf(stderr, "%s\n", s.errors);
        code = 1;
    } else if (!path || !vocab || !cache) {
        fprintf(stderr, "out of memory\n");
        code = 1;
    } else {
        s.opt.path = path;
        s.opt.vocab = vocab;
        s.opt.cache_dir = cache;
        hrkd_error err = {0};
        if (hrkd_data_load(&s.opt, &ds, &err) != HRKD_STATUS_OK) {
            fprintf(stderr, "%s: [data]: %s\n", argv[1], err.msg);
            code = 1;
        }
    }
    if (ds) {
        printf("format %s, %d domains, %d labels (", s.opt.format, ds->D, ds->num_labels);
        for (int l = 0; l < ds->num_labels; l++) printf("%s%s", l ? ", " : "", ds->label_names[l]);
        printf("), vocab %d, max_seq_len %d\n", ds->vocab_size, s.opt.max_seq_len);
        printf("%-14s %-6s %8s  %-28s %7s %5s %7s\n", "domain", "split", "examples", "labels (%)", "mean", "p95", "trunc%");
        for (int d = 0; d < ds->D; d++) {
            for (int sp = 0; sp < 3; sp++) {
                const hrkd_data_split *x = &ds->split[d * 3 + sp];
                char bal[64] = "";
                for (int l = 0; l < ds->num_labels && strlen(bal) < 56; l++) {
                    int64_t c = 0;
                    for (int64_t i = 0; i < x->n; i++) c += x->labels[i] == l;
                    size_t bl = strlen(bal);
                    snprintf(bal + bl, sizeof bal - bl, "%s%.1f", l ? "/" : "", x->n ? 100.0 * (double)c / (double)x->n : 0.0);
                }
                double mean = 0;
                int64_t trunc = 0;
                int32_t *len = malloc((size_t)(x->n ? x->n : 1) * sizeof *len);
                int p95 = 0;
                if (len) {
                    for (int64_t i = 0; i < x->n; i++) {
                        len[i] = x->length[i];
                        mean += x->length[i];
                        trunc += x->length[i] > x->T;
                    }
                    qsort(len, (size_t)x->n, sizeof *len, cmp_i32);
                    if (x->n) {
                        int64_t k = (int64_t)(0.95 * (double)(x->n - 1) + 0.5);
                        p95 = len[k];
                    }
                    free(len);
                }
                printf("%-14s %-6s %8lld  %-28s %7.1f %5d %7.2f\n", ds->domain_names[d], hrkd_data_split_name(sp), (long long)x->n, bal,
                       x->n ? mean / (double)x->n : 0.0, p95, x->n ? 100.0 * (double)trunc / (double)x->n : 0.0);
            }
        }
    }
    hrkd_dataset_destroy(ds);
    free(path);
    free(vocab);
    free(cache);
    for (int i = 0; i < 6; i++) free(s.str[i]);
    return code;
}
