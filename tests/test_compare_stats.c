/* tests/test_compare_stats.c — Welch's t-test used by `hrkd compare` against values computed
 * independently with mpmath (regularised incomplete beta in arbitrary precision):
 *   a = 80.1 80.5 79.9 80.3, b = 81.0 81.4 80.9 → t = −4.5, p = 0.0087378347177924
 *   a = 1..5, b = 2 4 6 8 10                    → t = −1.8973665961010, p = 0.1075311949306273 */
#include <math.h>

#include "common/test.h"
#include "train/compare.h"

int main(void)
{
    double a1[] = {80.1, 80.5, 79.9, 80.3}, b1[] = {81.0, 81.4, 80.9};
    double t = 0, p = hrkd_welch_p(a1, 4, b1, 3, &t);
    CHECKF(fabs(t + 4.5) < 1e-9, "t = %.12g", t);
    CHECKF(fabs(p - 0.0087378347177924295) < 1e-10, "p = %.15g", p);
    double a2[] = {1, 2, 3, 4, 5}, b2[] = {2, 4, 6, 8, 10};
    p = hrkd_welch_p(a2, 5, b2, 5, &t);
    CHECKF(fabs(t + 1.8973665961010275) < 1e-9, "t = %.12g", t);
    CHECKF(fabs(p - 0.10753119493062728) < 1e-10, "p = %.15g", p);
    /* symmetric, and fewer than two runs per side gives NaN */
    double p2 = hrkd_welch_p(b2, 5, a2, 5, &t);
    CHECK(fabs(p2 - p) < 1e-12 && t > 0);
    CHECK(isnan(hrkd_welch_p(a1, 1, b1, 3, NULL)));
    /* identical groups: p = 1 */
    CHECK(fabs(hrkd_welch_p(a1, 4, a1, 4, NULL) - 1.0) < 1e-12);
    return test_finish("test_compare_stats");
}
