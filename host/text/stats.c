/* host/text/stats.c — `hrkd data stats FILE.ini`: load the [data] section's dataset and print,
 * per domain and split, the example count, the label balance, the mean and 95th-percentile
 * token length (before truncation) and the truncation rate. The INI goes through the shared
 * configuration (host/config), so `base =` and `%include` chains work as for `hrkd run`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg.h"
#include "text/text.h"

void hrkd_data_options_from_config(const hrkd_config_section *s, hrkd_data_options *o)
{
    *o = hrkd_data_options_default();
    o->format = hrkd_cfg_str(s, "format");
    o->path = hrkd_cfg_str(s, "path");
    o->vocab = hrkd_cfg_str(s, "vocab");
    o->max_seq_len = (int)hrkd_cfg_int(s, "max_seq_len");
    o->seed = (uint64_t)hrkd_cfg_int(s, "seed");
    o->few_shot_ratio = hrkd_cfg_float(s, "few_shot_ratio");
    /* [data] few_shot_seed −1: the run's seed, which hrkd run sets per seed (train/setup.c) */
    o->few_shot_seed = hrkd_cfg_int(s, "few_shot_seed");
    o->domains = hrkd_cfg_str(s, "domains");
    o->cache_dir = hrkd_cfg_str(s, "cache_dir");
    o->lowercase = hrkd_cfg_bool(s, "lowercase");
    o->train_windows = (int)hrkd_cfg_int(s, "train_windows");
    o->max_line_bytes = hrkd_cfg_int(s, "max_line_bytes");
    o->dev_as_test = hrkd_cfg_bool(s, "dev_as_test");
    o->columns = hrkd_cfg_str(s, "columns");
    o->default_domain = hrkd_cfg_str(s, "default_domain");
    o->labels = hrkd_cfg_str(s, "labels");
    o->syn_domains = (int)hrkd_cfg_int(s, "synthetic_domains");
    o->syn_train = (int)hrkd_cfg_int(s, "synthetic_train");
    o->syn_dev = (int)hrkd_cfg_int(s, "synthetic_dev");
    o->syn_test = (int)hrkd_cfg_int(s, "synthetic_test");
    o->syn_vocab = (int)hrkd_cfg_int(s, "synthetic_vocab");
    o->syn_labels = (int)hrkd_cfg_int(s, "synthetic_labels");
}

int hrkd_data_checkpoint_vocab(const hrkd_config *cfg, char *out, size_t cap)
{
    const char *secs[2] = {"teacher", "student"};
    for (int i = 0; i < 2; i++) {
        const char *ck = hrkd_cfg_str(hrkd_config_get_section(cfg, secs[i]), "checkpoint");
        struct stat sb;
        if (!ck[0] || stat(ck, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;
        snprintf(out, cap, "%s/vocab.txt", ck);
        if (access(out, R_OK) == 0) return 1;
    }
    out[0] = 0;
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int hrkd_data_stats(const char *ini)
{
    hrkd_config_errors ce = {0};
    hrkd_config *cfg = hrkd_config_load(ini, &ce);
    if (!cfg) {
        for (int i = 0; i < ce.n; i++) fprintf(stderr, "%s\n", ce.msg[i]);
        hrkd_config_errors_free(&ce);
        return 2;
    }
    hrkd_data_options opt;
    hrkd_data_options_from_config(hrkd_config_get_section(cfg, "data"), &opt);
    hrkd_dataset *ds = NULL;
    hrkd_error err = {0};
    int code = 0;
    char vocab[4200] = "";
    if (!opt.vocab[0] && strcmp(opt.format, "synthetic") != 0) { /* as hrkd run: a checkpoint folder's */
        if (!hrkd_data_checkpoint_vocab(cfg, vocab, sizeof vocab)) {
            fprintf(stderr, "%s: [data] vocab is empty and neither [teacher] nor [student] checkpoint is a folder "
                            "holding vocab.txt; set [data] vocab (docs/data.md)\n", ini);
            hrkd_config_free(cfg);
            return 2;
        }
        opt.vocab = vocab;
    }
    if (hrkd_data_load(&opt, &ds, &err) != HRKD_STATUS_OK) {
        fprintf(stderr, "%s: [data]: %s\n", ini, err.msg);
        code = 2;
    }
    if (ds) {
        printf("format %s, %d domains, %d labels (", opt.format, ds->D, ds->num_labels);
        for (int l = 0; l < ds->num_labels; l++) printf("%s%s", l ? ", " : "", ds->label_names[l]);
        printf("), vocab %d, max_seq_len %d\n", ds->vocab_size, opt.max_seq_len);
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
    hrkd_config_free(cfg);
    return code;
}
