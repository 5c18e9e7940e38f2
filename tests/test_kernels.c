/* tests/test_kernels.c — the CPU backend's kernel table against naive double-precision
 * references written here, on random inputs with odd sizes.
 *
 * The backend is opened directly with dlopen (not through the host loader) from
 * $HRKD_BUILD/lib/hrkd/backends/hrkd_backend_cpu.so. Every _bwd kernel is called on outputs
 * pre-filled with a nonzero value, so the references include that value: this checks that
 * they accumulate. Backward kernels are also checked against central differences of the
 * forward. Silent on success apart from the summary; a failure names the kernel and error.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backend.h"
#include "common/test.h"
#include "hrkd/backend.h"

static const hrkd_kernels *K;

/* ---- helpers ---- */

static uint64_t rng_state = 0x1234567ull;

static double urand(void) { return test_lcg_uniform(&rng_state); } /* [0, 1) */

static float *fnew(int64_t n)
{
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    if (!p) {
        fprintf(stderr, "test_kernels: out of memory\n");
        exit(1);
    }
    return p;
}

static double *dnew(int64_t n)
{
    double *p = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    if (!p) {
        fprintf(stderr, "test_kernels: out of memory\n");
        exit(1);
    }
    return p;
}

static float *frandom(int64_t n, double lo, double hi)
{
    float *p = fnew(n);
    for (int64_t i = 0; i < n; i++) p[i] = (float)(lo + (hi - lo) * urand());
    return p;
}

static float *fconst(int64_t n, float v)
{
    float *p = fnew(n);
    for (int64_t i = 0; i < n; i++) p[i] = v;
    return p;
}

static float *fcopy(const float *x, int64_t n)
{
    float *p = fnew(n);
    memcpy(p, x, (size_t)n * sizeof(float));
    return p;
}

/* max |got − ref| / max |ref| (ref in double); NaN or Inf in got counts as infinite error */
static double rel_err(const float *got, const double *ref, int64_t n)
{
    double scale = 0, diff = 0;
    for (int64_t i = 0; i < n; i++) {
        if (fabs(ref[i]) > scale) scale = fabs(ref[i]);
        if (!isfinite(got[i])) return INFINITY;
        double d = fabs((double)got[i] - ref[i]);
        if (d > diff) diff = d;
    }
    return diff / (scale > 1e-30 ? scale : 1e-30);
}

/* Record a comparison: the kernel name and the measured error on failure. */
#define EXPECT_CLOSE(got, ref, n, tol, ...)                                                 \
    do {                                                                                    \
        double e_ = rel_err((got), (ref), (n));                                             \
        char what_[160];                                                                    \
        snprintf(what_, sizeof what_, __VA_ARGS__);                                         \
        CHECKF(e_ <= (tol), "%s: relative error %.3g > %.3g", what_, e_, (double)(tol));    \
    } while (0)

#define TOL_ELEM 1e-5
#define TOL_RED  1e-4

/* ---- table, memory ---- */

static void test_table(void)
{
    test_kernel_table(K, "cpu");
    CHECK(K->description && strstr(K->description, "thread") != NULL);

    hrkd_error err = {0};
    CHECK(K->set_option("tf32", "false", &err) == 0 && err.status == HRKD_STATUS_OK);
    CHECK(K->set_option("bf16", "true", &err) != 0 && err.status != HRKD_STATUS_OK &&
          strstr(err.msg, "bf16") != NULL);
    hrkd_error err2 = {0};
    CHECK(K->set_option("no_such_option", "1", &err2) != 0 && strstr(err2.msg, "no_such_option"));

    for (size_t bytes = 0; bytes < 300; bytes += 37) {
        void *p = K->alloc(bytes);
        CHECKF(p != NULL && ((uintptr_t)p % 64) == 0, "alloc(%zu) not 64-byte aligned", bytes);
        K->free(p);
    }
    float src[37], mid[37], dst[37];
    for (int i = 0; i < 37; i++) src[i] = (float)i * 0.5f;
    float *dev = K->alloc(sizeof src), *dev2 = K->alloc(sizeof src);
    K->copy_h2d(dev, src, sizeof src);
    K->copy_d2d(dev2, dev, sizeof src);
    K->copy_d2h(dst, dev2, sizeof src);
    K->sync();
    memcpy(mid, src, sizeof mid);
    CHECKF(memcmp(dst, mid, sizeof dst) == 0, "copy_h2d/d2d/d2h round trip differs");
    K->free(dev);
    K->free(dev2);
}

/* ---- fill, axpby ---- */

static void test_fill_axpby(void)
{
    const int64_t sizes[] = {7, 33, 40001};
    for (int s = 0; s < 3; s++) {
        int64_t n = sizes[s];
        float *x = fnew(n);
        K->fill(x, 1.25f, n);
        int ok = 1;
        for (int64_t i = 0; i < n; i++) ok &= x[i] == 1.25f;
        CHECKF(ok, "fill n=%ld", (long)n);
        free(x);

        float *a = frandom(n, -2, 2), *y = frandom(n, -2, 2), *y0 = fcopy(y, n);
        double *ref = dnew(n);
        K->axpby(y, a, 0.7f, -1.3f, n);
        for (int64_t i = 0; i < n; i++) ref[i] = 0.7 * a[i] - 1.3 * y0[i];
        EXPECT_CLOSE(y, ref, n, TOL_ELEM, "axpby n=%ld", (long)n);
        for (int64_t i = 0; i < n; i++) y[i] = NAN;
        K->axpby(y, a, 0.7f, 0.0f, n);
        for (int64_t i = 0; i < n; i++) ref[i] = 0.7 * a[i];
        EXPECT_CLOSE(y, ref, n, TOL_ELEM, "axpby beta=0 over NaN n=%ld", (long)n);
        free(a), free(y), free(y0), free(ref);
    }
}

/* ---- binary ---- */

static double binary_ref(hrkd_binary op, double a, double b)
{
    return op == HRKD_BINARY_ADD ? a + b : op == HRKD_BINARY_SUB ? a - b
         : op == HRKD_BINARY_MUL ? a * b : a / b;
}

/* divisors away from zero: ±[0.5, 2] */
static void away_from_zero(float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++) b[i] = copysignf(0.5f + 0.75f * fabsf(b[i]), b[i]);
}

static void test_binary(void)
{
    struct { int64_t n, nb; } cases[] = {{91, 91}, {91, 7}, {91, 13}, {91, 1}, {33 * 2003, 33},
                                         {33 * 2003, 1}, {33 * 2003, 33 * 2003}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t n = cases[c].n, nb = cases[c].nb;
        for (int op = 0; op < HRKD_BINARY_COUNT; op++)
            for (int acc = 0; acc < 2; acc++)
                for (int alias = 0; alias < 2; alias++) {
                    float *a = frandom(n, -2, 2), *b = frandom(nb, -2, 2);
                    if (op == HRKD_BINARY_DIV) away_from_zero(b, nb);
                    float *out = alias ? a : frandom(n, -1, 1);
                    float *out0 = fcopy(out, n), *a0 = fcopy(a, n);
                    double *ref = dnew(n);
                    for (int64_t i = 0; i < n; i++)
                        ref[i] = (acc ? out0[i] : 0.0) + binary_ref(op, a0[i], b[i % nb]);
                    K->binary((hrkd_binary)op, out, a, b, n, nb, acc);
                    EXPECT_CLOSE(out, ref, n, TOL_ELEM, "binary op=%d n=%ld nb=%ld acc=%d alias=%d",
                                 op, (long)n, (long)nb, acc, alias);
                    if (!alias) free(out);
                    free(a), free(b), free(out0), free(a0), free(ref);
                }
    }
}

/* ---- unary ---- */

static const double SQRT_2_PI = 0.79788456080286535588;

static double unary_ref(hrkd_unary op, double x, double alpha)
{
    switch (op) {
    case HRKD_UNARY_GELU_ERF: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case HRKD_UNARY_GELU_TANH: return 0.5 * x * (1 + tanh(SQRT_2_PI * (x + 0.044715 * x * x * x)));
    case HRKD_UNARY_TANH: return tanh(x);
    case HRKD_UNARY_RELU: return x > 0 ? x : 0;
    case HRKD_UNARY_ELU: return x > 0 ? x : alpha * (exp(x) - 1);
    case HRKD_UNARY_LEAKY_RELU: return x > 0 ? x : alpha * x;
    case HRKD_UNARY_EXP: return exp(x);
    case HRKD_UNARY_SQUARE: return x * x;
    case HRKD_UNARY_ZERO_BELOW: return x <= alpha ? 0 : x;
    case HRKD_UNARY_SQRT: return sqrt(x);
    case HRKD_UNARY_RSQRT: return 1 / sqrt(x);
    case HRKD_UNARY_LOG: return log(x);
    case HRKD_UNARY_CLAMP_MIN: return x < alpha ? alpha : x;
    case HRKD_UNARY_CLAMP_MAX: return x > alpha ? alpha : x;
    default: return NAN;
    }
}

static double unary_dref(hrkd_unary op, double x, double alpha)
{
    switch (op) {
    case HRKD_UNARY_GELU_ERF:
        return 0.5 * (1 + erf(x / sqrt(2.0))) + x * exp(-0.5 * x * x) / sqrt(2 * M_PI);
    case HRKD_UNARY_GELU_TANH: {
        double t = tanh(SQRT_2_PI * (x + 0.044715 * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_PI * (1 + 3 * 0.044715 * x * x);
    }
    case HRKD_UNARY_TANH: return 1 - tanh(x) * tanh(x);
    case HRKD_UNARY_RELU: return x > 0 ? 1 : 0;
    case HRKD_UNARY_ELU: return x > 0 ? 1 : alpha * exp(x);
    case HRKD_UNARY_LEAKY_RELU: return x > 0 ? 1 : alpha;
    case HRKD_UNARY_EXP: return exp(x);
    case HRKD_UNARY_SQUARE: return 2 * x;
    case HRKD_UNARY_ZERO_BELOW: return x <= alpha ? 0 : 1;
    case HRKD_UNARY_SQRT: return 0.5 / sqrt(x);
    case HRKD_UNARY_RSQRT: return -0.5 / (x * sqrt(x));
    case HRKD_UNARY_LOG: return 1 / x;
    case HRKD_UNARY_CLAMP_MIN: return x >= alpha ? 1 : 0;
    case HRKD_UNARY_CLAMP_MAX: return x <= alpha ? 1 : 0;
    default: return NAN;
    }
}

static void test_unary(void)
{
    const float alphas[HRKD_UNARY_COUNT] = {0, 0, 0, 0, 0.7f, 0.1f, 0, 0, 0.2f, 0, 0, 0, 0.2f, -0.4f};
    const int64_t sizes[] = {13, 40003};
    const float h = 1e-2f; /* central-difference step (float forward, difference in double) */
    for (int s = 0; s < 2; s++) {
        int64_t n = sizes[s];
        for (int op = 0; op < HRKD_UNARY_COUNT; op++) {
            float alpha = alphas[op];
            float *x = frandom(n, -3, 3);
            /* keep the kinks (0, and alpha for ZERO_BELOW) out of the difference stencil */
            for (int64_t i = 0; i < n; i++) {
                if (fabsf(x[i]) < 2 * h) x[i] += x[i] < 0 ? -4 * h : 4 * h;
                int kink_at_alpha = op == HRKD_UNARY_ZERO_BELOW || op == HRKD_UNARY_CLAMP_MIN ||
                                    op == HRKD_UNARY_CLAMP_MAX;
                if (kink_at_alpha && fabsf(x[i] - alpha) < 2 * h) x[i] += 4 * h;
                /* sqrt, rsqrt and log: the domain x > 0, away from the pole */
                if (op == HRKD_UNARY_SQRT || op == HRKD_UNARY_RSQRT || op == HRKD_UNARY_LOG)
                    x[i] = 0.5f + fabsf(x[i]);
            }
            float *y = fnew(n), *dout = frandom(n, -1, 1), *dx = fconst(n, 0.5f);
            double *ref = dnew(n);
            K->unary_fwd((hrkd_unary)op, y, x, n, alpha);
            for (int64_t i = 0; i < n; i++) ref[i] = unary_ref(op, x[i], alpha);
            EXPECT_CLOSE(y, ref, n, TOL_ELEM, "unary_fwd op=%d n=%ld", op, (long)n);

            K->unary_bwd((hrkd_unary)op, dx, dout, x, y, n, alpha);
            for (int64_t i = 0; i < n; i++) ref[i] = 0.5 + dout[i] * unary_dref(op, x[i], alpha);
            EXPECT_CLOSE(dx, ref, n, TOL_ELEM, "unary_bwd op=%d n=%ld (analytic)", op, (long)n);

            /* central differences of the kernel's own forward */
            float *xp = fnew(n), *xm = fnew(n), *yp = fnew(n), *ym = fnew(n);
            for (int64_t i = 0; i < n; i++) xp[i] = x[i] + h, xm[i] = x[i] - h;
            K->unary_fwd((hrkd_unary)op, yp, xp, n, alpha);
            K->unary_fwd((hrkd_unary)op, ym, xm, n, alpha);
            for (int64_t i = 0; i < n; i++)
                ref[i] = 0.5 + dout[i] * ((double)yp[i] - (double)ym[i]) / ((double)xp[i] - (double)xm[i]);
            EXPECT_CLOSE(dx, ref, n, 2e-3, "unary_bwd op=%d n=%ld (finite differences)", op, (long)n);

            /* y = NULL is allowed: derivatives come from x then */
            float *dx2 = fconst(n, 0.5f);
            K->unary_bwd((hrkd_unary)op, dx2, dout, x, NULL, n, alpha);
            EXPECT_CLOSE(dx2, ref, n, 2e-3, "unary_bwd op=%d n=%ld y=NULL", op, (long)n);
            free(x), free(y), free(dout), free(dx), free(dx2), free(ref);
            free(xp), free(xm), free(yp), free(ym);
        }
    }
}

/* ---- copy_strided ---- */

static void copy_case(const int64_t shape[4], const int perm[4], int64_t src_pad, int bcast_dim,
                      float alpha, int acc)
{
    /* src: a [shape] view inside a buffer whose rows are padded (src_pad extra elements in
     * the innermost stride chain), optionally broadcast along bcast_dim (stride 0).
     * dst: the layout permuted by perm (dst dims in order perm[0] outermost). */
    int64_t ss[4], ds[4], st = 1;
    for (int d = 3; d >= 0; d--) {
        ss[d] = d == bcast_dim ? 0 : st;
        st *= shape[d] + (d == 3 ? src_pad : 0);
    }
    int64_t src_n = st, dst_n = 1;
    for (int d = 3; d >= 0; d--) {
        ds[perm[d]] = dst_n;
        dst_n *= shape[perm[d]];
    }
    float *src = frandom(src_n, -2, 2), *dst = frandom(dst_n, -1, 1), *dst0 = fcopy(dst, dst_n);
    double *ref = dnew(dst_n);
    for (int64_t i = 0; i < dst_n; i++) ref[i] = acc ? dst0[i] : 0.0;
    for (int64_t a = 0; a < shape[0]; a++)
        for (int64_t b = 0; b < shape[1]; b++)
            for (int64_t c = 0; c < shape[2]; c++)
                for (int64_t d = 0; d < shape[3]; d++)
                    ref[a * ds[0] + b * ds[1] + c * ds[2] + d * ds[3]] +=
                        (double)alpha * src[a * ss[0] + b * ss[1] + c * ss[2] + d * ss[3]];
    K->copy_strided(dst, ds, src, ss, shape, alpha, acc);
    EXPECT_CLOSE(dst, ref, dst_n, TOL_ELEM,
                 "copy_strided shape=[%ld,%ld,%ld,%ld] perm=%d%d%d%d pad=%ld bcast=%d alpha=%g acc=%d",
                 (long)shape[0], (long)shape[1], (long)shape[2], (long)shape[3], perm[0], perm[1],
                 perm[2], perm[3], (long)src_pad, bcast_dim, alpha, acc);
    free(src), free(dst), free(dst0), free(ref);
}

static void test_copy_strided(void)
{
    const int64_t small[4] = {2, 3, 5, 7}, big[4] = {3, 17, 33, 41}, ones[4] = {1, 1, 1, 1};
    const int64_t unit[4] = {3, 1, 5, 1};
    const int perms[][4] = {{0, 1, 2, 3}, {0, 2, 1, 3}, {3, 1, 0, 2}, {1, 0, 3, 2}};
    for (int p = 0; p < 4; p++)
        for (int acc = 0; acc < 2; acc++) {
            copy_case(small, perms[p], 0, -1, 1.0f, acc);
            copy_case(small, perms[p], 3, -1, 0.5f, acc);
            copy_case(small, perms[p], 0, 2, -1.5f, acc);
            copy_case(big, perms[p], 0, -1, 1.0f, acc);
            copy_case(big, perms[p], 5, -1, 0.25f, acc);
            copy_case(unit, perms[p], 2, -1, 2.0f, acc);
        }
    copy_case(ones, perms[0], 0, -1, 3.0f, 1);
}

/* ---- reductions ---- */

static void test_reduce(void)
{
    struct { int64_t outer, n, inner; } cases[] = {
        {1, 1, 1},    {7, 13, 1},    {1, 33, 1},   {1, 20001, 1}, {3, 9001, 1},
        {100, 53, 1}, {7, 13, 5},    {2, 301, 33}, {1, 4096, 312}, {1, 257, 1200},
        {4, 13, 70},  {13, 1, 7},    {1, 1000, 2}, {3, 0, 5},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t O = cases[c].outer, N = cases[c].n, I = cases[c].inner;
        float *x = frandom(O * N * I, -1, 2), *out = frandom(O * I, -1, 1);
        float *out0 = fcopy(out, O * I);
        double *ref = dnew(O * I);
        for (int acc = 0; acc < 2; acc++) {
            memcpy(out, out0, (size_t)(O * I) * sizeof(float));
            for (int64_t o = 0; o < O; o++)
                for (int64_t i = 0; i < I; i++) {
                    double s = 0;
                    for (int64_t j = 0; j < N; j++) s += x[(o * N + j) * I + i];
                    ref[o * I + i] = (acc ? out0[o * I + i] : 0.0) + 0.75 * s;
                }
            K->reduce_sum(out, x, O, N, I, 0.75f, acc);
            EXPECT_CLOSE(out, ref, O * I, TOL_RED, "reduce_sum outer=%ld n=%ld inner=%ld acc=%d",
                         (long)O, (long)N, (long)I, acc);
            /* bitwise reproducible */
            float *again = fcopy(out0, O * I);
            memcpy(out, out0, (size_t)(O * I) * sizeof(float));
            K->reduce_sum(out, x, O, N, I, 0.75f, acc);
            K->reduce_sum(again, x, O, N, I, 0.75f, acc);
            CHECKF(memcmp(out, again, (size_t)(O * I) * sizeof(float)) == 0,
                   "reduce_sum outer=%ld n=%ld inner=%ld: two calls differ", (long)O, (long)N,
                   (long)I);
            free(again);
        }
        /* broadcast_acc on the same shapes: out[o,j,i] += alpha x[o,i] */
        if (N > 0) {
            float *bx = frandom(O * I, -1, 1), *bo = frandom(O * N * I, -1, 1);
            double *bref = dnew(O * N * I);
            for (int64_t o = 0; o < O; o++)
                for (int64_t j = 0; j < N; j++)
                    for (int64_t i = 0; i < I; i++)
                        bref[(o * N + j) * I + i] = bo[(o * N + j) * I + i] - 1.5 * bx[o * I + i];
            K->broadcast_acc(bo, bx, O, N, I, -1.5f);
            EXPECT_CLOSE(bo, bref, O * N * I, TOL_ELEM, "broadcast_acc outer=%ld n=%ld inner=%ld",
                         (long)O, (long)N, (long)I);
            free(bx), free(bo), free(bref);
        }
        free(x), free(out), free(out0), free(ref);
    }
}

static void test_sum_squares(void)
{
    const int64_t sizes[] = {1, 7, 33, 100003};
    for (int s = 0; s < 4; s++) {
        int64_t n = sizes[s];
        float *x = frandom(n, -3, 3);
        double ref = 0;
        for (int64_t i = 0; i < n; i++) ref += (double)x[i] * x[i];
        double got = K->sum_squares(x, n), again = K->sum_squares(x, n);
        CHECKF(fabs(got - ref) <= 1e-9 * ref, "sum_squares n=%ld: %.17g vs %.17g", (long)n, got, ref);
        CHECKF(memcmp(&got, &again, sizeof got) == 0, "sum_squares n=%ld: two calls differ", (long)n);
        free(x);
    }
    CHECK(K->sum_squares(NULL, 0) == 0.0);
}

/* ---- gemm ---- */

typedef struct gemm_case {
    int ta, tb;
    int64_t m, n, k, b0, b1;
    int64_t pad;  /* extra elements per stored row (ld = columns + pad) */
    int64_t gap;  /* extra elements between batch entries */
    float alpha, beta;
} gemm_case;

static void gemm_check(const gemm_case *t)
{
    int64_t ar = t->ta ? t->k : t->m, ac = t->ta ? t->m : t->k;
    int64_t br = t->tb ? t->n : t->k, bc = t->tb ? t->k : t->n;
    hrkd_gemm g = {.trans_a = t->ta, .trans_b = t->tb, .m = t->m, .n = t->n, .k = t->k,
                   .alpha = t->alpha, .beta = t->beta, .batch = {t->b0, t->b1}};
    g.lda = ac + t->pad, g.ldb = bc + t->pad + 1, g.ldc = t->n + t->pad + 2;
    int64_t as = ar * g.lda + t->gap, bs = br * g.ldb + t->gap, cs = t->m * g.ldc + t->gap;
    /* batch dim 1 inner, dim 0 outer */
    g.a_stride[1] = as, g.a_stride[0] = as * t->b1;
    g.b_stride[1] = bs, g.b_stride[0] = bs * t->b1;
    g.c_stride[1] = cs, g.c_stride[0] = cs * t->b1;
    int64_t an = as * t->b0 * t->b1, bn = bs * t->b0 * t->b1, cn = cs * t->b0 * t->b1;
    float *A = frandom(an, -1, 1), *B = frandom(bn, -1, 1), *C = frandom(cn, -1, 1);
    float *C0 = fcopy(C, cn);
    if (t->beta == 0.0f)
        for (int64_t i = 0; i < cn; i++) C[i] = NAN;
    double *ref = dnew(cn);
    /* outside the C views (padding, gaps) nothing may change: the reference keeps C0 there */
    for (int64_t i = 0; i < cn; i++) ref[i] = t->beta == 0.0f ? NAN : C0[i];
    for (int64_t i0 = 0; i0 < t->b0; i0++)
        for (int64_t i1 = 0; i1 < t->b1; i1++) {
            const float *a = A + i0 * g.a_stride[0] + i1 * g.a_stride[1];
            const float *b = B + i0 * g.b_stride[0] + i1 * g.b_stride[1];
            int64_t co = i0 * g.c_stride[0] + i1 * g.c_stride[1];
            for (int64_t i = 0; i < t->m; i++)
                for (int64_t j = 0; j < t->n; j++) {
                    double s = 0;
                    for (int64_t p = 0; p < t->k; p++) {
                        double av = t->ta ? a[p * g.lda + i] : a[i * g.lda + p];
                        double bv = t->tb ? b[j * g.ldb + p] : b[p * g.ldb + j];
                        s += av * bv;
                    }
                    double c0 = t->beta == 0.0f ? 0.0 : (double)t->beta * C0[co + i * g.ldc + j];
                    ref[co + i * g.ldc + j] = t->alpha * s + c0;
                }
        }
    g.a = A, g.b = B, g.c = C;
    K->gemm(&g);
    /* compare only the views; NaN padding of a beta=0 case is compared for identity */
    double scale = 0, diff = 0;
    int outside_ok = 1;
    for (int64_t i = 0; i < cn; i++) {
        if (isnan(ref[i])) {
            outside_ok &= isnan(C[i]);
            continue;
        }
        if (fabs(ref[i]) > scale) scale = fabs(ref[i]);
        double d = isfinite(C[i]) ? fabs(C[i] - ref[i]) : INFINITY;
        if (d > diff) diff = d;
    }
    double err = diff / (scale > 0 ? scale : 1);
    CHECKF(err <= TOL_RED && outside_ok,
           "gemm ta=%d tb=%d m=%ld n=%ld k=%ld batch=%ldx%ld alpha=%g beta=%g: relative error "
           "%.3g%s",
           t->ta, t->tb, (long)t->m, (long)t->n, (long)t->k, (long)t->b0, (long)t->b1, t->alpha,
           t->beta, err, outside_ok ? "" : ", wrote outside C");
    /* bitwise reproducible */
    float *C2 = fcopy(C0, cn), *C3 = fcopy(C0, cn);
    g.c = C2;
    K->gemm(&g);
    g.c = C3;
    K->gemm(&g);
    CHECKF(memcmp(C2, C3, (size_t)cn * sizeof(float)) == 0, "gemm ta=%d tb=%d m=%ld: two calls differ",
           t->ta, t->tb, (long)t->m);
    free(A), free(B), free(C), free(C0), free(C2), free(C3), free(ref);
}

/* Attention with head views: Q, K, V stored [B, T, NH, HS], read as [B, NH, T, HS]
 * (lda = NH·HS, batch strides T·NH·HS and HS); S = Q Kᵀ into dense [B, NH, T, T], then
 * O = S V written back into a [B, T, NH, HS] view. */
static void test_gemm_attention(void)
{
    const int64_t B = 3, T = 13, NH = 5, HS = 7, D = NH * HS;
    float *q = frandom(B * T * D, -1, 1), *k = frandom(B * T * D, -1, 1), *v = frandom(B * T * D, -1, 1);
    float *s = fconst(B * NH * T * T, NAN), *o = fconst(B * T * D, NAN);
    hrkd_gemm g = {.trans_a = 0, .trans_b = 1, .m = T, .n = T, .k = HS, .alpha = 0.125f,
                   .beta = 0.0f, .batch = {B, NH}, .a = q, .lda = D, .a_stride = {T * D, HS},
                   .b = k, .ldb = D, .b_stride = {T * D, HS}, .c = s, .ldc = T,
                   .c_stride = {NH * T * T, T * T}};
    K->gemm(&g);
    double *sref = dnew(B * NH * T * T), *oref = dnew(B * T * D);
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < NH; h++)
            for (int64_t i = 0; i < T; i++)
                for (int64_t j = 0; j < T; j++) {
                    double acc = 0;
                    for (int64_t p = 0; p < HS; p++)
                        acc += (double)q[(b * T + i) * D + h * HS + p] * k[(b * T + j) * D + h * HS + p];
                    sref[((b * NH + h) * T + i) * T + j] = 0.125 * acc;
                }
    EXPECT_CLOSE(s, sref, B * NH * T * T, TOL_RED, "gemm attention scores (head views, trans_b)");
    hrkd_gemm g2 = {.trans_a = 0, .trans_b = 0, .m = T, .n = HS, .k = T, .alpha = 1.0f,
                    .beta = 0.0f, .batch = {B, NH}, .a = s, .lda = T, .a_stride = {NH * T * T, T * T},
                    .b = v, .ldb = D, .b_stride = {T * D, HS}, .c = o, .ldc = D,
                    .c_stride = {T * D, HS}};
    K->gemm(&g2);
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < NH; h++)
            for (int64_t i = 0; i < T; i++)
                for (int64_t p = 0; p < HS; p++) {
                    double acc = 0;
                    for (int64_t j = 0; j < T; j++)
                        acc += (double)s[((b * NH + h) * T + i) * T + j] * v[(b * T + j) * D + h * HS + p];
                    oref[(b * T + i) * D + h * HS + p] = acc;
                }
    EXPECT_CLOSE(o, oref, B * T * D, TOL_RED, "gemm attention S·V into head views");
    free(q), free(k), free(v), free(s), free(o), free(sref), free(oref);
}

static void test_gemm(void)
{
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            gemm_case cases[] = {
                {ta, tb, 7, 13, 33, 1, 1, 0, 0, 1.0f, 0.0f},
                {ta, tb, 7, 13, 33, 1, 1, 3, 0, 0.7f, 0.3f},
                {ta, tb, 13, 7, 5, 2, 3, 2, 11, 1.0f, 0.0f},
                {ta, tb, 13, 7, 5, 3, 2, 1, 4, -0.5f, 1.0f},
                {ta, tb, 1, 33, 7, 1, 1, 0, 0, 1.0f, 0.0f},
                {ta, tb, 65, 70, 81, 1, 1, 1, 0, 1.0f, 0.5f},
                {ta, tb, 9, 11, 0, 2, 1, 0, 0, 1.0f, 0.5f}, /* k = 0: C = beta C */
                {ta, tb, 9, 11, 0, 1, 1, 0, 0, 1.0f, 0.0f}, /* k = 0, beta = 0: C = 0 */
            };
            for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) gemm_check(&cases[c]);
        }
    test_gemm_attention();
}

/* ---- layer norm ---- */

/* double reference: out, mean, rstd */
static void ln_ref_fwd(double *out, double *mean, double *rstd, const double *x, const float *w,
                       const float *b, int64_t rows, int64_t C, double eps)
{
    for (int64_t r = 0; r < rows; r++) {
        double m = 0, v = 0;
        for (int64_t c = 0; c < C; c++) m += x[r * C + c];
        m /= C;
        for (int64_t c = 0; c < C; c++) v += (x[r * C + c] - m) * (x[r * C + c] - m);
        double rs = 1 / sqrt(v / C + eps);
        for (int64_t c = 0; c < C; c++) out[r * C + c] = (x[r * C + c] - m) * rs * w[c] + b[c];
        if (mean) mean[r] = m;
        if (rstd) rstd[r] = rs;
    }
}

/* double reference backward (gradients only, no accumulation) */
static void ln_ref_bwd(double *dx, double *dw, double *db, const float *dout, const double *x,
                       const float *w, int64_t rows, int64_t C, double eps)
{
    for (int64_t c = 0; c < C; c++) dw[c] = db[c] = 0;
    for (int64_t r = 0; r < rows; r++) {
        double m = 0, v = 0;
        for (int64_t c = 0; c < C; c++) m += x[r * C + c];
        m /= C;
        for (int64_t c = 0; c < C; c++) v += (x[r * C + c] - m) * (x[r * C + c] - m);
        double rs = 1 / sqrt(v / C + eps), sg = 0, sgx = 0;
        for (int64_t c = 0; c < C; c++) {
            double xh = (x[r * C + c] - m) * rs, g = dout[r * C + c] * (double)w[c];
            sg += g, sgx += g * xh;
            dw[c] += dout[r * C + c] * xh;
            db[c] += dout[r * C + c];
        }
        for (int64_t c = 0; c < C; c++) {
            double xh = (x[r * C + c] - m) * rs;
            dx[r * C + c] = rs * (dout[r * C + c] * (double)w[c] - sg / C - xh * sgx / C);
        }
    }
}

/* The double reference backward against central differences of the double reference
 * forward (loss Σ out·dout), so the formula the kernel is compared with is itself right. */
static void test_layernorm_reference(void)
{
    const int64_t rows = 3, C = 7;
    float *w = frandom(C, 0.5, 1.5), *b = frandom(C, -0.5, 0.5), *dout = frandom(rows * C, -1, 1);
    double *x = dnew(rows * C), *out = dnew(rows * C), *dx = dnew(rows * C), *dw = dnew(C), *db = dnew(C);
    for (int64_t i = 0; i < rows * C; i++) x[i] = 2 * urand() - 1;
    ln_ref_bwd(dx, dw, db, dout, x, w, rows, C, 1e-5);
    double worst = 0;
    for (int64_t i = 0; i < rows * C; i++) {
        double keep = x[i], lp = 0, lm = 0, h = 1e-6;
        x[i] = keep + h;
        ln_ref_fwd(out, NULL, NULL, x, w, b, rows, C, 1e-5);
        for (int64_t j = 0; j < rows * C; j++) lp += out[j] * dout[j];
        x[i] = keep - h;
        ln_ref_fwd(out, NULL, NULL, x, w, b, rows, C, 1e-5);
        for (int64_t j = 0; j < rows * C; j++) lm += out[j] * dout[j];
        x[i] = keep;
        double e = fabs((lp - lm) / (2 * h) - dx[i]);
        if (e > worst) worst = e;
    }
    CHECKF(worst < 1e-6, "layernorm double reference vs finite differences: %.3g", worst);
    free(w), free(b), free(dout), free(x), free(out), free(dx), free(dw), free(db);
}

static void test_layernorm(void)
{
    test_layernorm_reference();
    struct { int64_t rows, C; float eps; } cases[] = {
        {13, 33, 1e-5f}, {300, 312, 1e-12f}, {7, 1100, 1e-12f}, {1, 7, 1e-5f}, {257, 20, 1e-5f}};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int64_t rows = cases[t].rows, C = cases[t].C, n = rows * C;
        float *x = frandom(n, -2, 3), *w = frandom(C, 0.5, 1.5), *b = frandom(C, -0.5, 0.5);
        float *out = fnew(n), *mean = fnew(rows), *rstd = fnew(rows);
        double *xd = dnew(n), *ref = dnew(n), *mref = dnew(rows), *rref = dnew(rows);
        for (int64_t i = 0; i < n; i++) xd[i] = x[i];
        K->layernorm_fwd(out, mean, rstd, x, w, b, rows, C, cases[t].eps);
        ln_ref_fwd(ref, mref, rref, xd, w, b, rows, C, cases[t].eps);
        EXPECT_CLOSE(out, ref, n, TOL_ELEM, "layernorm_fwd rows=%ld C=%ld", (long)rows, (long)C);
        EXPECT_CLOSE(mean, mref, rows, TOL_ELEM, "layernorm_fwd mean rows=%ld C=%ld", (long)rows, (long)C);
        EXPECT_CLOSE(rstd, rref, rows, TOL_ELEM, "layernorm_fwd rstd rows=%ld C=%ld", (long)rows, (long)C);

        float *dout = frandom(n, -1, 1), *dx = fconst(n, 0.5f), *dw = fconst(C, -0.25f),
              *db = fconst(C, 0.75f);
        double *dxr = dnew(n), *dwr = dnew(C), *dbr = dnew(C);
        ln_ref_bwd(dxr, dwr, dbr, dout, xd, w, rows, C, cases[t].eps);
        for (int64_t i = 0; i < n; i++) dxr[i] += 0.5;
        for (int64_t c = 0; c < C; c++) dwr[c] -= 0.25, dbr[c] += 0.75;
        K->layernorm_bwd(dx, dw, db, dout, x, w, mean, rstd, rows, C);
        EXPECT_CLOSE(dx, dxr, n, TOL_RED, "layernorm_bwd dx rows=%ld C=%ld", (long)rows, (long)C);
        EXPECT_CLOSE(dw, dwr, C, TOL_RED, "layernorm_bwd dw rows=%ld C=%ld", (long)rows, (long)C);
        EXPECT_CLOSE(db, dbr, C, TOL_RED, "layernorm_bwd db rows=%ld C=%ld", (long)rows, (long)C);
        /* NULL outputs are skipped; the others are unchanged by that */
        float *dx2 = fconst(n, 0.5f), *dw2 = fconst(C, -0.25f);
        K->layernorm_bwd(dx2, NULL, NULL, dout, x, w, mean, rstd, rows, C);
        K->layernorm_bwd(NULL, dw2, NULL, dout, x, w, mean, rstd, rows, C);
        CHECKF(memcmp(dx2, dx, (size_t)n * sizeof(float)) == 0, "layernorm_bwd dx alone differs");
        CHECKF(memcmp(dw2, dw, (size_t)C * sizeof(float)) == 0, "layernorm_bwd dw alone differs");
        free(x), free(w), free(b), free(out), free(mean), free(rstd), free(xd), free(ref);
        free(mref), free(rref), free(dout), free(dx), free(dw), free(db), free(dxr), free(dwr);
        free(dbr), free(dx2), free(dw2);
    }
}

/* ---- softmax ---- */

static void sm_ref_fwd(double *out, const double *x, const float *mask, int64_t rows, int64_t n,
                       int64_t rpm, int log_out)
{
    for (int64_t r = 0; r < rows; r++) {
        double mx = -INFINITY, s = 0;
        for (int64_t j = 0; j < n; j++) {
            double v = x[r * n + j] + (mask ? mask[(r / rpm) * n + j] : 0.0);
            if (v > mx) mx = v;
        }
        for (int64_t j = 0; j < n; j++)
            s += exp(x[r * n + j] + (mask ? mask[(r / rpm) * n + j] : 0.0) - mx);
        for (int64_t j = 0; j < n; j++) {
            double v = x[r * n + j] + (mask ? mask[(r / rpm) * n + j] : 0.0) - mx;
            out[r * n + j] = log_out ? v - log(s) : exp(v) / s;
        }
    }
}

static void sm_ref_bwd(double *dx, const float *dout, const double *y, int64_t rows, int64_t n,
                       int log_out)
{
    for (int64_t r = 0; r < rows; r++) {
        double s = 0;
        for (int64_t j = 0; j < n; j++) s += log_out ? dout[r * n + j] : dout[r * n + j] * y[r * n + j];
        for (int64_t j = 0; j < n; j++)
            dx[r * n + j] = log_out ? dout[r * n + j] - exp(y[r * n + j]) * s
                                    : y[r * n + j] * (dout[r * n + j] - s);
    }
}

static void test_softmax(void)
{
    const int64_t rows = 12, n = 13, rpm = 4;
    float *mask = fnew((rows / rpm) * n);
    for (int64_t i = 0; i < (rows / rpm) * n; i++) mask[i] = (i % 5 == 3) ? -10000.0f : 0.0f;
    for (int log_out = 0; log_out < 2; log_out++)
        for (int use_mask = 0; use_mask < 2; use_mask++) {
            const float *mk = use_mask ? mask : NULL;
            float *x = frandom(rows * n, -4, 4), *y = fnew(rows * n);
            double *xd = dnew(rows * n), *yd = dnew(rows * n), *dxr = dnew(rows * n);
            for (int64_t i = 0; i < rows * n; i++) xd[i] = x[i];
            K->softmax_fwd(y, x, mk, rows, n, rpm, log_out);
            sm_ref_fwd(yd, xd, mk, rows, n, rpm, log_out);
            EXPECT_CLOSE(y, yd, rows * n, TOL_ELEM, "softmax_fwd log=%d mask=%d", log_out, use_mask);

            float *dout = frandom(rows * n, -1, 1), *dx = fconst(rows * n, 0.5f);
            sm_ref_bwd(dxr, dout, yd, rows, n, log_out);
            for (int64_t i = 0; i < rows * n; i++) dxr[i] += 0.5;
            K->softmax_bwd(dx, dout, y, rows, n, log_out);
            EXPECT_CLOSE(dx, dxr, rows * n, TOL_RED, "softmax_bwd log=%d mask=%d", log_out, use_mask);

            /* the reference backward against central differences of the reference forward */
            /* (only row i / n changes; its log-probabilities reach −10⁴ under the mask, so a
             * larger step keeps the cancellation error small) */
            double worst = 0, h = 1e-4, *yp = dnew(rows * n), *ym = dnew(rows * n);
            for (int64_t i = 0; i < rows * n; i += 5) {
                double keep = xd[i], lp = 0, lm = 0;
                int64_t r0 = (i / n) * n;
                xd[i] = keep + h;
                sm_ref_fwd(yp, xd, mk, rows, n, rpm, log_out);
                xd[i] = keep - h;
                sm_ref_fwd(ym, xd, mk, rows, n, rpm, log_out);
                xd[i] = keep;
                for (int64_t j = r0; j < r0 + n; j++) lp += yp[j] * dout[j], lm += ym[j] * dout[j];
                double e = fabs((lp - lm) / (2 * h) - (dxr[i] - 0.5));
                if (e > worst) worst = e;
            }
            CHECKF(worst < 1e-5, "softmax double reference vs finite differences log=%d: %.3g",
                   log_out, worst);
            free(x), free(y), free(xd), free(yd), free(dxr), free(dout), free(dx), free(yp), free(ym);
        }
    /* large rows take the threaded path: compare with the same rows computed one by one */
    const int64_t R = 3000, N = 29;
    float *x = frandom(R * N, -4, 4), *y = fnew(R * N), *y1 = fnew(N);
    K->softmax_fwd(y, x, NULL, R, N, 1, 0);
    int same = 1;
    for (int64_t r = 0; r < R; r += 97) {
        K->softmax_fwd(y1, x + r * N, NULL, 1, N, 1, 0);
        same &= memcmp(y1, y + r * N, N * sizeof(float)) == 0;
    }
    CHECKF(same, "softmax_fwd: threaded rows differ from single rows");
    free(x), free(y), free(y1), free(mask);
}

/* ---- dropout ---- */

static void test_dropout(void)
{
    const int64_t n = 100003;
    const float p = 0.1f;
    const uint64_t seed = 42, offset = 1000;
    float *x = frandom(n, 0.5, 1.5), *y = fnew(n), *y2 = fnew(n), *y3 = fnew(n);
    K->dropout_fwd(y, x, n, p, seed, offset);
    K->dropout_fwd(y2, x, n, p, seed, offset);
    K->dropout_fwd(y3, x, n, p, seed, offset + 1);
    CHECKF(memcmp(y, y2, (size_t)n * sizeof(float)) == 0, "dropout_fwd: same (seed, offset) differs");
    int64_t kept = 0, differ = 0, wrong_mask = 0;
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        int keep = y[i] != 0.0f;
        kept += keep;
        differ += keep != (y3[i] != 0.0f);
        wrong_mask += keep != (hrkd_rng_uniform(seed, offset + (uint64_t)i) >= p);
        if (keep) {
            double e = fabs(y[i] - x[i] / (1.0 - p)) / (x[i] / (1.0 - p));
            if (e > worst) worst = e;
        }
    }
    double sigma = sqrt(p * (1 - p) / n), frac = (double)kept / n;
    CHECKF(fabs(frac - (1 - p)) <= 3 * sigma, "dropout_fwd: kept fraction %.5f, expected %.5f ± %.5f",
           frac, 1 - p, 3 * sigma);
    CHECKF(differ > 0, "dropout_fwd: offset+1 gives the same mask");
    CHECKF(wrong_mask == 0, "dropout_fwd: %ld elements disagree with hrkd_rng_uniform", (long)wrong_mask);
    CHECKF(worst <= TOL_ELEM, "dropout_fwd: kept values not x/(1-p): %.3g", worst);

    float *dout = frandom(n, -1, 1), *dx = fconst(n, 0.25f);
    double *ref = dnew(n);
    for (int64_t i = 0; i < n; i++)
        ref[i] = 0.25 + (hrkd_rng_uniform(seed, offset + (uint64_t)i) >= p ? dout[i] / (1.0 - p) : 0.0);
    K->dropout_bwd(dx, dout, n, p, seed, offset);
    EXPECT_CLOSE(dx, ref, n, TOL_ELEM, "dropout_bwd");
    /* p = 0 keeps everything unchanged */
    K->dropout_fwd(y2, x, n, 0.0f, seed, offset);
    CHECKF(memcmp(y2, x, (size_t)n * sizeof(float)) == 0, "dropout_fwd p=0 is not the identity");
    free(x), free(y), free(y2), free(y3), free(dout), free(dx), free(ref);
}

/* ---- embeddings ---- */

static void test_embedding(void)
{
    struct { int64_t V, C, n; } cases[] = {{11, 37, 40}, {7, 37, 2001}, {5, 3, 33}};
    for (size_t t = 0; t < 3; t++) {
        int64_t V = cases[t].V, C = cases[t].C, n = cases[t].n;
        int32_t *ids = malloc((size_t)n * sizeof(int32_t));
        for (int64_t i = 0; i < n; i++) ids[i] = (int32_t)((i * 7 + i / 3) % V); /* repeats */
        float *table = frandom(V * C, -1, 1), *out = fnew(n * C);
        double *ref = dnew(n * C);
        K->embedding_fwd(out, table, ids, n, C);
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < C; c++) ref[i * C + c] = table[ids[i] * C + c];
        EXPECT_CLOSE(out, ref, n * C, 0.0, "embedding_fwd V=%ld C=%ld n=%ld", (long)V, (long)C, (long)n);

        float *dout = frandom(n * C, -1, 1), *dtable = fconst(V * C, 0.5f);
        double *dref = dnew(V * C);
        for (int64_t i = 0; i < V * C; i++) dref[i] = 0.5;
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < C; c++) dref[ids[i] * C + c] += dout[i * C + c];
        K->embedding_bwd(dtable, dout, ids, n, C);
        EXPECT_CLOSE(dtable, dref, V * C, TOL_RED, "embedding_bwd V=%ld C=%ld n=%ld (repeated ids)",
                     (long)V, (long)C, (long)n);
        free(ids), free(table), free(out), free(ref), free(dout), free(dtable), free(dref);
    }
}

/* ---- losses ---- */

static void test_mse(void)
{
    const int64_t n = 1001;
    float *a = frandom(n, -2, 2), *b = frandom(n, -2, 2), out = 0, dout = 0.7f;
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    K->mse_fwd(&out, a, b, n);
    double ref = s / n;
    CHECKF(fabs(out - ref) <= TOL_RED * ref, "mse_fwd: %.8g vs %.8g", out, ref);

    float *da = fconst(n, 0.5f), *db = fconst(n, -0.5f), *da2 = fconst(n, 0.5f);
    double *ra = dnew(n), *rb = dnew(n);
    for (int64_t i = 0; i < n; i++) {
        double g = 2.0 * ((double)a[i] - b[i]) / n * dout;
        ra[i] = 0.5 + g, rb[i] = -0.5 - g;
    }
    K->mse_bwd(da, db, &dout, a, b, n);
    EXPECT_CLOSE(da, ra, n, TOL_ELEM, "mse_bwd da");
    EXPECT_CLOSE(db, rb, n, TOL_ELEM, "mse_bwd db");
    K->mse_bwd(da2, NULL, &dout, a, b, n);
    EXPECT_CLOSE(da2, ra, n, TOL_ELEM, "mse_bwd da with db=NULL");
    free(a), free(b), free(da), free(db), free(da2), free(ra), free(rb);
}

static void test_nll(void)
{
    const int64_t rows = 9, C = 7;
    int32_t labels[9] = {3, -1, 0, 6, 6, -1, 2, 1, 5};
    float *logp = frandom(rows * C, -5, 0), out = 0, dout = 1.3f;
    double s = 0;
    int cnt = 0;
    for (int64_t r = 0; r < rows; r++)
        if (labels[r] >= 0) s -= logp[r * C + labels[r]], cnt++;
    K->nll_fwd(&out, logp, labels, rows, C);
    CHECKF(fabs(out - s / cnt) <= TOL_ELEM * fabs(s / cnt), "nll_fwd: %.8g vs %.8g", out, s / cnt);

    float *d = fconst(rows * C, 0.5f);
    double *ref = dnew(rows * C);
    for (int64_t i = 0; i < rows * C; i++) ref[i] = 0.5;
    for (int64_t r = 0; r < rows; r++)
        if (labels[r] >= 0) ref[r * C + labels[r]] -= (double)dout / cnt;
    K->nll_bwd(d, &dout, labels, rows, C);
    EXPECT_CLOSE(d, ref, rows * C, TOL_ELEM, "nll_bwd (ignored labels)");

    int32_t none[3] = {-1, -1, -1};
    float *d2 = fconst(3 * C, 0.5f);
    K->nll_fwd(&out, logp, none, 3, C);
    CHECKF(out == 0.0f, "nll_fwd with every label ignored: %g, expected 0", out);
    K->nll_bwd(d2, &dout, none, 3, C);
    int same = 1;
    for (int64_t i = 0; i < 3 * C; i++) same &= d2[i] == 0.5f;
    CHECKF(same, "nll_bwd with every label ignored changed dlogp");
    free(logp), free(d), free(ref), free(d2);
}

/* ---- AdamW ---- */

static void test_adamw(void)
{
    const int64_t n = 40007;
    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f, gs = 0.5f;
    float *p = frandom(n, -1, 1), *m = fconst(n, 0), *v = fconst(n, 0);
    double *pr = dnew(n), *mr = dnew(n), *vr = dnew(n);
    for (int64_t i = 0; i < n; i++) pr[i] = p[i];
    for (int step = 1; step <= 3; step++) {
        float *g = frandom(n, -2, 2);
        float bc1 = 1.0f - powf(b1, (float)step), bc2 = 1.0f - powf(b2, (float)step);
        K->adamw(p, g, m, v, n, lr, b1, b2, eps, wd, bc1, bc2, gs);
        for (int64_t i = 0; i < n; i++) {
            double gg = (double)g[i] * gs;
            mr[i] = b1 * mr[i] + (1 - (double)b1) * gg;
            vr[i] = b2 * vr[i] + (1 - (double)b2) * gg * gg;
            pr[i] -= (double)lr * wd * pr[i];
            pr[i] -= lr * (mr[i] / bc1) / (sqrt(vr[i] / bc2) + eps);
        }
        EXPECT_CLOSE(p, pr, n, TOL_ELEM, "adamw p step %d", step);
        EXPECT_CLOSE(m, mr, n, TOL_ELEM, "adamw m step %d", step);
        EXPECT_CLOSE(v, vr, n, TOL_ELEM, "adamw v step %d", step);
        free(g);
    }
    free(p), free(m), free(v), free(pr), free(mr), free(vr);
}

/* ---- forward kernels in place (out == x) give what they give out of place ---- */

static void test_in_place(void)
{
    const int64_t rows = 300, C = 37, n = rows * C;
    float *x = frandom(n, -3, 3), *ref = fnew(n), *w = frandom(C, 0.5, 1.5), *b = frandom(C, -1, 1);
    float *io = fnew(n), *mean = fnew(rows), *rstd = fnew(rows);
#define SAME(call_ref, call_io, what)                                                       \
    do {                                                                                    \
        memcpy(io, x, (size_t)n * sizeof(float));                                           \
        call_ref;                                                                           \
        call_io;                                                                            \
        CHECKF(memcmp(io, ref, (size_t)n * sizeof(float)) == 0, "%s in place differs", what); \
    } while (0)
    for (int op = 0; op < HRKD_UNARY_COUNT; op++)
        SAME(K->unary_fwd((hrkd_unary)op, ref, x, n, 0.3f),
             K->unary_fwd((hrkd_unary)op, io, io, n, 0.3f), "unary_fwd");
    SAME(K->dropout_fwd(ref, x, n, 0.2f, 7, 99), K->dropout_fwd(io, io, n, 0.2f, 7, 99), "dropout_fwd");
    SAME(K->softmax_fwd(ref, x, NULL, rows, C, 1, 0), K->softmax_fwd(io, io, NULL, rows, C, 1, 0),
         "softmax_fwd");
    SAME(K->softmax_fwd(ref, x, w, rows, C, rows, 1), K->softmax_fwd(io, io, w, rows, C, rows, 1),
         "log-softmax_fwd");
    SAME(K->layernorm_fwd(ref, mean, rstd, x, w, b, rows, C, 1e-5f),
         K->layernorm_fwd(io, mean, rstd, io, w, b, rows, C, 1e-5f), "layernorm_fwd");
    SAME((memcpy(ref, x, (size_t)n * sizeof(float)), K->axpby(ref, x, 0.5f, 2.0f, n)),
         K->axpby(io, io, 0.5f, 2.0f, n), "axpby");
#undef SAME
    free(x), free(ref), free(w), free(b), free(io), free(mean), free(rstd);
}

/* ---- reductions do not depend on the thread count ---- */

static void test_thread_independence(void)
{
    hrkd_error err = {0};
    const int64_t O = 1, N = 4096, I = 312;
    float *x = frandom(O * N * I, -1, 1), *o1 = fnew(O * I), *o2 = fnew(O * I);
    float *r1 = fnew(1), *r2 = fnew(1);
    CHECK(K->init(1, &err) == 0);
    K->reduce_sum(o1, x, O, N, I, 1.0f, 0);
    K->reduce_sum(r1, x, 1, O * N * I, 1, 1.0f, 0);
    double s1 = K->sum_squares(x, O * N * I);
    CHECK(K->init(2, &err) == 0);
    K->reduce_sum(o2, x, O, N, I, 1.0f, 0);
    K->reduce_sum(r2, x, 1, O * N * I, 1, 1.0f, 0);
    double s2 = K->sum_squares(x, O * N * I);
    CHECKF(memcmp(o1, o2, (size_t)(O * I) * sizeof(float)) == 0 && r1[0] == r2[0] && s1 == s2,
           "reductions differ between 1 and 2 threads");
    free(x), free(o1), free(o2), free(r1), free(r2);
}

int main(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/lib/hrkd/backends/hrkd_backend_cpu.so", test_build_dir());
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "test_kernels: cannot open %s: %s\n", path, dlerror());
        return 1;
    }
    hrkd_backend_entry_fn entry = (hrkd_backend_entry_fn)dlsym(h, HRKD_BACKEND_ENTRY);
    if (!entry || !(K = entry())) {
        fprintf(stderr, "test_kernels: %s has no %s()\n", path, HRKD_BACKEND_ENTRY);
        dlclose(h);
        return 1;
    }
    hrkd_error err = {0};
    if (K->init(2, &err) != 0) {
        fprintf(stderr, "test_kernels: init failed: %s\n", err.msg);
        dlclose(h);
        return 1;
    }
    test_table();
    test_fill_axpby();
    test_binary();
    test_unary();
    test_copy_strided();
    test_reduce();
    test_sum_squares();
    test_gemm();
    test_layernorm();
    test_softmax();
    test_dropout();
    test_embedding();
    test_mse();
    test_nll();
    test_adamw();
    test_in_place();
    test_thread_independence();
    K->shutdown();
    dlclose(h);
    return test_finish("test_kernels");
}
