/* host/train/compare.c — `hrkd compare A.h5 [A2.h5 ...] -- B.h5 [B2.h5 ...]` (or just
 * `hrkd compare A.h5 B.h5`; arguments: host/cli/cmd_compare.c): per-domain and average test
 * accuracy of two groups of runs (e.g. the seeds of two methods), their difference, and
 * Welch's t-test p-value. */
#include "train/compare.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"

#define MAXR HRKD_COMPARE_MAX_RUNS
#define MAXD 64

/* Regularised incomplete beta I_x(a, b) by its continued fraction (modified Lentz). */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + aa * d; if (fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c; if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + aa * d; if (fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c; if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-14) break;
    }
    return h;
}

static double inc_beta(double a, double b, double x)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1.0 - x);
    if (x < (a + 1.0) / (a + b + 2.0)) return exp(lbt) * betacf(a, b, x) / a;
    return 1.0 - exp(lbt) * betacf(b, a, 1.0 - x) / b;
}

double hrkd_welch_p(const double *a, int na, const double *b, int nb, double *t_out)
{
    if (na < 2 || nb < 2) return NAN;
    double ma = 0, mb = 0, va = 0, vb = 0;
    for (int i = 0; i < na; i++) ma += a[i] / na;
    for (int i = 0; i < nb; i++) mb += b[i] / nb;
    for (int i = 0; i < na; i++) va += (a[i] - ma) * (a[i] - ma) / (na - 1);
    for (int i = 0; i < nb; i++) vb += (b[i] - mb) * (b[i] - mb) / (nb - 1);
    double sa = va / na, sb = vb / nb;
    if (sa + sb == 0) {
        if (t_out) *t_out = ma == mb ? 0 : INFINITY;
        return ma == mb ? 1.0 : 0.0;
    }
    double t = (ma - mb) / sqrt(sa + sb);
    double df = (sa + sb) * (sa + sb) / (sa * sa / (na - 1) + sb * sb / (nb - 1));
    if (t_out) *t_out = t;
    return inc_beta(df / 2.0, 0.5, df / (df + t * t));
}

/* Last "test" row of a run file: acc[d]; returns D or −1. */
static int read_test(const char *path, char names[MAXD][64], double *acc)
{
    hrkd_error err = {0};
    hrkd_run *run = NULL;
    if (hrkd_run_open(path, &run, &err) != HRKD_STATUS_OK) {
        fprintf(stderr, "hrkd compare: %s\n", err.msg);
        return -1;
    }
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    int D = -1;
    for (int i = 0; i < v.n_split; i++)
        if (!strcmp(v.split_name[i], "test") && v.split_rows[i] > 0 && v.D <= MAXD) {
            D = v.D;
            for (int d = 0; d < D; d++) {
                acc[d] = v.split_vals[i][(v.split_rows[i] - 1) * v.D * v.K + d * v.K];
                snprintf(names[d], 64, "%s", v.domains[d]);
            }
        }
    if (D < 0) fprintf(stderr, "hrkd compare: %s: no test metrics (did the run finish?)\n", path);
    hrkd_run_free(run);
    return D;
}

int hrkd_compare(const char *const *ga, int na, const char *const *gb, int nb)
{
    static double A[MAXR][MAXD + 1], Bv[MAXR][MAXD + 1];
    char names[MAXD][64], names2[MAXD][64];
    int D = -1;
    for (int i = 0; i < na + nb; i++) {
        const char *p = i < na ? ga[i] : gb[i - na];
        double *row = i < na ? A[i] : Bv[i - na];
        int d = read_test(p, D < 0 ? names : names2, row);
        if (d < 0) return 2; /* an input that is not a finished run file */
        int same = D < 0 || d == D;
        for (int k = 0; D >= 0 && same && k < D; k++) same = !strcmp(names[k], names2[k]);
        if (!same) {
            fprintf(stderr, "hrkd compare: %s has other domains than %s\n", p, ga[0]);
            return 2;
        }
        D = d;
        double avg = 0;
        for (int k = 0; k < D; k++) avg += row[k] / D;
        row[D] = avg;
    }
    printf("%-24s %10s %10s %8s %8s\n", "domain", "A (%)", "B (%)", "A-B", "p");
    for (int d = 0; d <= D; d++) {
        double a[MAXR], b[MAXR], ma = 0, mb = 0;
        for (int i = 0; i < na; i++) { a[i] = 100 * A[i][d]; ma += a[i] / na; }
        for (int i = 0; i < nb; i++) { b[i] = 100 * Bv[i][d]; mb += b[i] / nb; }
        double p = hrkd_welch_p(a, na, b, nb, NULL);
        char ps[16];
        if (isnan(p)) snprintf(ps, sizeof ps, "n/a");
        else snprintf(ps, sizeof ps, "%.4f", p);
        printf("%-24s %10.2f %10.2f %+8.2f %8s\n", d < D ? names[d] : "average", ma, mb, ma - mb, ps);
    }
    if (na < 2 || nb < 2) printf("(Welch's t-test needs at least 2 runs per side: p is n/a)\n");
    return 0;
}
