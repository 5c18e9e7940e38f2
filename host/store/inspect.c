/* host/store/inspect.c — `hrkd inspect FILE.h5 [--config]`: a run file's metadata, its metrics
 * table (split × domain: latest and best of the first metric column), the latest
 * domain-relational ratios [layer × domain] and losses; the effective configuration with
 * --config. Reads through hrkd_run_open, so a damaged file
 * gives one message and exit status 1. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "store/store.h"

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void print_metrics(const hrkd_run_view *v)
{
    printf("\n== metrics (%s; latest and best over evaluations) ==\n", v->metric_names[0]);
    if (v->n_split == 0) {
        printf("(no evaluations yet)\n");
        return;
    }
    printf("%-8s %-16s %10s %10s %10s %8s\n", "split", "domain", "latest", "best", "best_step", "evals");
    for (int s = 0; s < v->n_split; s++) {
        int64_t rows = v->split_rows[s];
        double mean_latest = 0;
        for (int d = 0; d < v->D; d++) {
            if (rows == 0) {
                printf("%-8s %-16s %10s %10s %10s %8d\n", v->split_name[s], v->domains[d], "-", "-", "-", 0);
                continue;
            }
            double latest = v->split_vals[s][((rows - 1) * v->D + d) * v->K];
            double best = latest;
            int64_t best_step = v->split_step[s][rows - 1];
            for (int64_t i = 0; i < rows; i++) {
                double x = v->split_vals[s][(i * v->D + d) * v->K];
                if (x > best) {
                    best = x;
                    best_step = v->split_step[s][i];
                }
            }
            mean_latest += latest / v->D;
            printf("%-8s %-16s %10.4f %10.4f %10lld %8lld\n", v->split_name[s], v->domains[d], latest, best,
                   (long long)best_step, (long long)rows);
        }
        if (rows) printf("%-8s %-16s %10.4f   (step %lld)\n", v->split_name[s], "mean", mean_latest,
                         (long long)v->split_step[s][rows - 1]);
    }
}

static void print_ratios(const hrkd_run_view *v)
{
    printf("\n== latest domain-relational ratios ==\n");
    if (v->n_ratio == 0) {
        printf("(none logged)\n");
        return;
    }
    int64_t last = v->n_ratio - 1;
    printf("step %lld, rows = student layer m (0 = embeddings), columns = domains\n", (long long)v->ratio_step[last]);
    printf("%-6s", "layer");
    for (int d = 0; d < v->D; d++) printf(" %12.12s", v->domains[d]);
    printf("\n");
    const float *r = v->ratio_domain + last * (int64_t)(v->M + 1) * v->D;
    for (int m = 0; m <= v->M; m++) {
        printf("%-6d", m);
        for (int d = 0; d < v->D; d++) printf(" %12.4f", r[m * v->D + d]);
        printf("\n");
    }
}

static void print_losses(const hrkd_run_view *v)
{
    if (v->n_loss == 0 || v->T == 0) return;
    int64_t last = v->n_loss - 1;
    printf("\n== latest losses (step %lld) ==\n%-16s", (long long)v->loss_step[last], "term");
    for (int d = 0; d < v->D; d++) printf(" %12.12s", v->domains[d]);
    printf("\n");
    for (int t = 0; t < v->T; t++) {
        printf("%-16s", v->loss_terms[t]);
        for (int d = 0; d < v->D; d++) printf(" %12.5g", v->loss_vals[(last * v->T + t) * v->D + d]);
        printf("\n");
    }
}

int hrkd_inspect(const char *path, int with_config)
{
    hrkd_error err = {0};
    hrkd_run *run;
    if (hrkd_run_open(path, &run, &err) != HRKD_STATUS_OK) {
        fprintf(stderr, "hrkd inspect: %s\n", err.msg);
        return hrkd_exit_code(err.status);
    }
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    printf("run file:   %s\n", path);
    printf("hrkd:       %s  backend %s  threads %d  seed %llu\n", v.version, v.backend, v.threads,
           (unsigned long long)v.seed);
    if (v.backend_detail[0]) printf("kernels:    %s\n", v.backend_detail);
    if (v.data_splits[0]) printf("splits:     %s\n", v.data_splits);
    printf("started:    %s on %s\n", v.start_time, v.host);
    printf("domains:    ");
    for (int d = 0; d < v.D; d++) printf("%s%s", d ? ", " : "", v.domains[d]);
    printf("\nlabels:     ");
    if (v.n_labels == 0) printf("(not recorded: written before label names were kept)");
    for (int l = 0; l < v.n_labels; l++) printf("%s%d %s", l ? ", " : "", l, v.label_names[l]);
    printf("\nlayers:     student %d, teacher %d, map", v.M, v.N);
    for (int m = 0; m <= v.M; m++) printf(" %d->%d", m, v.layer_map[m]);
    printf("\nlogged:     %lld ratio rows, %lld loss rows\n", (long long)v.n_ratio, (long long)v.n_loss);
    printf("checkpoints:");
    if (v.n_groups == 0) printf(" none");
    for (int g = 0; g < v.n_groups; g++) printf(" /%s", v.groups[g]);
    if (v.ckpt_step >= 0) printf("  (resume step %lld)", (long long)v.ckpt_step);
    if (v.pruned_step >= 0)
        printf("  (/checkpoint of step %lld dropped by hrkd prune: not resumable)", (long long)v.pruned_step);
    printf("\n");
    print_metrics(&v);
    print_ratios(&v);
    print_losses(&v);
    const char *ini = hrkd_run_ini_text(run);
    if (with_config) {
        size_t n = strlen(ini);
        printf("\n== configuration ==\n%s%s", ini, n && ini[n - 1] != '\n' ? "\n" : "");
    } else {
        printf("\nconfiguration: %zu lines (hrkd inspect %s --config)\n", count_lines(ini), path);
    }
    hrkd_run_free(run);
    return 0;
}
