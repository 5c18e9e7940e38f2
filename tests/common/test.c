/* tests/common/test.c — see test.h */
#include "common/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hrkd_test_failures = 0;
int hrkd_test_checks   = 0;

int test_finish(const char *name)
{
    if (hrkd_test_checks == 0) {
        fprintf(stderr, "%s: no checks ran\n", name);
        return 1;
    }
    printf("%s: %d checks, %d failed\n", name, hrkd_test_checks, hrkd_test_failures);
    return hrkd_test_failures ? 1 : 0;
}

void test_skip(const char *reason)
{
    printf("skipped: %s\n", reason);
    exit(77);
}

double test_max_abs_diff(const float *a, const float *b, long n)
{
    double m = 0;
    for (long i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d != d) return INFINITY;
        if (d > m) m = d;
    }
    return m;
}

double test_rel_err(const float *a, const float *b, long n)
{
    double scale = 0;
    for (long i = 0; i < n; i++)
        if (fabs((double)b[i]) > scale) scale = fabs((double)b[i]);
    if (scale < 1e-30) scale = 1e-30;
    return test_max_abs_diff(a, b, n) / scale;
}

uint64_t test_lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state;
}

double test_lcg_uniform(uint64_t *state)
{
    return (double)(test_lcg_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

const char *test_build_dir(void)
{
    const char *b = getenv("HRKD_BUILD");
    return (b && *b) ? b : "build";
}

char *test_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strdup(buf);
}
