/* tests/test_backend_parity.c — every kernel of the CUDA backend against the CPU backend on
 * the same random inputs (odd sizes), forward and backward, accumulate semantics included.
 *
 * Both backends are opened directly with dlopen from $HRKD_BUILD/lib/hrkd/backends/ (not
 * through the host loader). Where the CUDA backend was not built (no nvcc), cannot be
 * loaded, or its init() refuses (no GPU, no driver), the test prints the reason and exits
 * 77 — after checking what needs no GPU: the table, the description before init, and the
 * refusal of unknown options.
 *
 * Each input is written with the backend's own copy_h2d and each output read back with its
 * copy_d2h. Outputs of _bwd kernels start from nonzero values on both sides, so a kernel
 * that overwrites instead of accumulating fails. Comparison: |gpu − cpu| <= atol + rtol·|cpu|
 * per element, with
 *   - pointwise kernels: rtol 1e-5, atol = rtol (the data are O(1));
 *   - sums (reductions, layer-norm parameter gradients, scatter-add, matrix products):
 *     atol = rtol · max(1, max |cpu|), since the summation order differs; rtol 1e-5, and
 *     1e-4 for gemm;
 *   - TF32 and bf16 products: rtol 1e-2 (scaled as for gemm);
 *   - dropout and the embedding gather: bit for bit (memcmp).
 * NaN matches NaN only (beta = 0 over a NaN-filled C checks that C is not read).
 */
#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/backend.h"
#include "common/test.h"
#include "hrkd/backend.h"

static const hrkd_kernels *CPU, *GPU;

/* Run a statement once per backend: K is the table, P(b) the buffer's pointer on that side. */
#define BOTH(...)                                                                           \
    for (int s_ = 0; s_ < 2; s_++) {                                                        \
        const hrkd_kernels *K = s_ ? GPU : CPU;                                             \
        __VA_ARGS__;                                                                        \
    }
#define P(b) (s_ ? (b).g : (b).c)

/* ---- random numbers (host side, fixed seed) ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static double urand(void) { return test_lcg_uniform(&rng_state); } /* [0, 1) */

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "test_backend_parity: out of memory\n");
        exit(1);
    }
    return p;
}

/* ---- a float tensor on both backends, with a host copy of its initial contents ---- */

typedef struct {
    int64_t n;
    float *h; /* host values uploaded to both sides */
    float *c; /* cpu backend memory */
    float *g; /* cuda backend memory */
} dbuf;

static void dput(dbuf *b)
{
    CPU->copy_h2d(b->c, b->h, (size_t)b->n * sizeof(float));
    GPU->copy_h2d(b->g, b->h, (size_t)b->n * sizeof(float));
}

static dbuf dalloc(int64_t n)
{
    dbuf b = {n, xmalloc((size_t)n * sizeof(float)), NULL, NULL};
    b.c = CPU->alloc((size_t)n * sizeof(float));
    b.g = GPU->alloc((size_t)n * sizeof(float));
    if (!b.c || !b.g) {
        fprintf(stderr, "test_backend_parity: backend alloc of %ld floats failed\n", (long)n);
        exit(1);
    }
    return b;
}

static dbuf drand(int64_t n, double lo, double hi)
{
    dbuf b = dalloc(n);
    for (int64_t i = 0; i < n; i++) b.h[i] = (float)(lo + (hi - lo) * urand());
    dput(&b);
    return b;
}

static dbuf dconst(int64_t n, float v)
{
    dbuf b = dalloc(n);
    for (int64_t i = 0; i < n; i++) b.h[i] = v;
    dput(&b);
    return b;
}

static void dfree(dbuf *b)
{
    CPU->free(b->c);
    GPU->free(b->g);
    free(b->h);
    memset(b, 0, sizeof *b);
}

/* int32 ids / labels on both backends */
typedef struct {
    int64_t n;
    int32_t *h, *c, *g;
} ibuf;

static ibuf iupload(const int32_t *v, int64_t n)
{
    ibuf b = {n, xmalloc((size_t)n * sizeof(int32_t)), NULL, NULL};
    memcpy(b.h, v, (size_t)n * sizeof(int32_t));
    b.c = CPU->alloc((size_t)n * sizeof(int32_t));
    b.g = GPU->alloc((size_t)n * sizeof(int32_t));
    if (!b.c || !b.g) {
        fprintf(stderr, "test_backend_parity: backend alloc failed\n");
        exit(1);
    }
    CPU->copy_h2d(b.c, b.h, (size_t)n * sizeof(int32_t));
    GPU->copy_h2d(b.g, b.h, (size_t)n * sizeof(int32_t));
    return b;
}

static void ifree(ibuf *b)
{
    CPU->free(b->c);
    GPU->free(b->g);
    free(b->h);
}

/* ---- comparisons ---- */

enum { TOL_POINT, TOL_SUM };

/* Read both sides back and compare every element (see the file comment for the rule). */
static void dcompare(const dbuf *b, double rtol, int mode, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void dcompare(const dbuf *b, double rtol, int mode, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t bytes = (size_t)b->n * sizeof(float);
    float *cv = xmalloc(bytes), *gv = xmalloc(bytes);
    CPU->copy_d2h(cv, b->c, bytes);
    GPU->copy_d2h(gv, b->g, bytes);
    double scale = 1.0;
    for (int64_t i = 0; i < b->n; i++)
        if (isfinite(cv[i]) && fabs(cv[i]) > scale) scale = fabs(cv[i]);
    double atol = mode == TOL_SUM ? rtol * scale : rtol;
    int64_t bad = 0, first = -1;
    double worst = 0;
    for (int64_t i = 0; i < b->n; i++) {
        double c = cv[i], g = gv[i];
        int ok;
        if (isnan(c) || isnan(g)) ok = isnan(c) && isnan(g);
        else if (isinf(c) || isinf(g)) ok = c == g;
        else {
            double d = fabs(g - c);
            ok = d <= atol + rtol * fabs(c);
            if (d / (atol + rtol * fabs(c)) > worst) worst = d / (atol + rtol * fabs(c));
        }
        if (!ok && bad++ == 0) first = i;
    }
    CHECKF(bad == 0, "%s: %ld of %ld elements differ; first [%ld] cpu %.9g cuda %.9g "
           "(rtol %.1g, atol %.3g, worst %.3g × tolerance)", what, (long)bad, (long)b->n,
           (long)first, first >= 0 ? cv[first] : 0.0, first >= 0 ? gv[first] : 0.0, rtol, atol,
           worst);
    free(cv);
    free(gv);
}

static void dexact(const dbuf *b, const char *what)
{
    size_t bytes = (size_t)b->n * sizeof(float);
    float *cv = xmalloc(bytes), *gv = xmalloc(bytes);
    CPU->copy_d2h(cv, b->c, bytes);
    GPU->copy_d2h(gv, b->g, bytes);
    int64_t first = -1;
    for (int64_t i = 0; i < b->n && first < 0; i++)
        if (memcmp(&cv[i], &gv[i], sizeof(float)) != 0) first = i;
    CHECKF(first < 0, "%s: not bitwise equal; first [%ld] cpu %.9g cuda %.9g", what,
           (long)first, first >= 0 ? cv[first] : 0.0, first >= 0 ? gv[first] : 0.0);
    free(cv);
    free(gv);
}

#define RTOL      1e-5
#define RTOL_GEMM 1e-4
#define RTOL_LOW  1e-2 /* tf32, bf16 */

/* ---- table and memory (the part that needs no GPU comes first, in main) ---- */

static void test_table_before_init(void)
{
    test_kernel_table(GPU, "cuda");
    CHECKF(GPU->description && strstr(GPU->description, "not initialised"),
           "description before init: %s", GPU->description ? GPU->description : "(null)");

    hrkd_error err = {0};
    CHECK(GPU->set_option("no_such_option", "true", &err) != 0 &&
          err.status != HRKD_STATUS_OK && strstr(err.msg, "no_such_option") != NULL);
    hrkd_error err2 = {0};
    CHECK(GPU->set_option("tf32", "maybe", &err2) != 0 && strstr(err2.msg, "maybe") != NULL);
    hrkd_error err3 = {0};
    CHECK(GPU->set_option("tf32", "false", &err3) == 0 && err3.status == HRKD_STATUS_OK);
    CHECK(GPU->set_option("bf16", "false", &err3) == 0 && err3.status == HRKD_STATUS_OK);
}

static void test_memory(void)
{
    CHECKF(strstr(GPU->description, "cuda:") != NULL, "description: %s", GPU->description);
    for (size_t bytes = 0; bytes < 300; bytes += 37) {
        void *p = GPU->alloc(bytes);
        CHECKF(p != NULL && ((uintptr_t)p % 64) == 0, "cuda alloc(%zu) not 64-byte aligned", bytes);
        GPU->free(p);
    }
    float src[37], dst[37];
    for (int i = 0; i < 37; i++) src[i] = (float)i * 0.5f - 3.0f;
    float *d1 = GPU->alloc(sizeof src), *d2 = GPU->alloc(sizeof src);
    GPU->copy_h2d(d1, src, sizeof src);
    GPU->copy_d2d(d2, d1, sizeof src);
    memset(dst, 0, sizeof dst);
    GPU->copy_d2h(dst, d2, sizeof src);
    GPU->sync();
    CHECKF(memcmp(dst, src, sizeof dst) == 0, "cuda copy_h2d/d2d/d2h round trip differs");
    GPU->free(d1);
    GPU->free(d2);

    hrkd_error err = {0};
    CHECK(GPU->set_option("tf32", "true", &err) == 0);
    CHECK(GPU->set_option("tf32", "false", &err) == 0 && err.status == HRKD_STATUS_OK);
}

/* ---- elementwise ---- */

static void test_fill_axpby(void)
{
    const int64_t sizes[] = {1, 37, 100003};
    for (int s = 0; s < 3; s++) {
        int64_t n = sizes[s];
        dbuf x = dconst(n, 0.0f);
        BOTH(K->fill(P(x), -1.75f, n));
        dexact(&x, "fill");
        dfree(&x);

        dbuf a = drand(n, -2, 2), y = drand(n, -2, 2);
        BOTH(K->axpby(P(y), P(a), 0.7f, -1.3f, n));
        dcompare(&y, RTOL, TOL_POINT, "axpby n=%ld", (long)n);
        dbuf z = dconst(n, NAN);
        BOTH(K->axpby(P(z), P(a), 0.7f, 0.0f, n));
        dcompare(&z, RTOL, TOL_POINT, "axpby beta=0 over NaN n=%ld", (long)n);
        dfree(&a), dfree(&y), dfree(&z);
    }
}

static void test_binary(void)
{
    struct { int64_t n, nb; } cases[] = {{1001, 1001}, {1001, 7}, {1001, 1}, {33 * 257, 33}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int op = 0; op < HRKD_BINARY_COUNT; op++)
            for (int acc = 0; acc < 2; acc++)
                for (int alias = 0; alias < 2; alias++) {
                    int64_t n = cases[c].n, nb = cases[c].nb;
                    /* divisors in [0.5, 2] (the quotient stays O(1)) */
                    dbuf a = drand(n, -2, 2), out = drand(n, -1, 1);
                    dbuf b = op == HRKD_BINARY_DIV ? drand(nb, 0.5, 2) : drand(nb, -2, 2);
                    dbuf *o = alias ? &a : &out;
                    BOTH(K->binary((hrkd_binary)op, P(*o), P(a), P(b), n, nb, acc));
                    dcompare(o, RTOL, TOL_POINT, "binary op=%d n=%ld nb=%ld acc=%d alias=%d", op,
                             (long)n, (long)nb, acc, alias);
                    dfree(&a), dfree(&b), dfree(&out);
                }
}

static void test_unary(void)
{
    const int64_t n = 20011;
    for (int op = 0; op < HRKD_UNARY_COUNT; op++) {
        float alpha = op == HRKD_UNARY_ZERO_BELOW ? -0.25f : 0.3f;
        /* sqrt, rsqrt and log on their domain x > 0 */
        int positive = op == HRKD_UNARY_SQRT || op == HRKD_UNARY_RSQRT || op == HRKD_UNARY_LOG;
        dbuf x = positive ? drand(n, 0.05, 3) : drand(n, -3, 3), y = dconst(n, NAN);
        BOTH(K->unary_fwd((hrkd_unary)op, P(y), P(x), n, alpha));
        dcompare(&y, RTOL, TOL_POINT, "unary_fwd op=%d", op);
        /* backward with and without the saved output; dx starts nonzero (accumulate) */
        for (int with_y = 0; with_y < 2; with_y++) {
            dbuf dout = drand(n, -1, 1), dx = drand(n, -1, 1);
            BOTH(K->unary_bwd((hrkd_unary)op, P(dx), P(dout), P(x), with_y ? P(y) : NULL, n,
                              alpha));
            dcompare(&dx, RTOL, TOL_POINT, "unary_bwd op=%d with_y=%d", op, with_y);
            dfree(&dout), dfree(&dx);
        }
        /* in place */
        BOTH(K->unary_fwd((hrkd_unary)op, P(x), P(x), n, alpha));
        dcompare(&x, RTOL, TOL_POINT, "unary_fwd in place op=%d", op);
        dfree(&x), dfree(&y);
    }
}

/* The kernel chain of hrkd_l2_normalize (x · rsqrt(max(Σ x², eps²)) over the last axis,
 * the inverse norm repeated along the row) and of the pairwise hrkd_cosine_similarity
 * (a gemm of two normalized matrices, bᵀ). rep and ss are scratch [rows·F] and [rows]. */
static void l2_chain(const hrkd_kernels *K, float *out, float *rep, float *ss, const float *x,
                     int64_t rows, int64_t F, float eps)
{
    int64_t n = rows * F;
    int64_t sh[4] = {1, rows, F, 1}, src[4] = {0, 1, 0, 1}, dst[4] = {n, F, 1, 1};
    K->unary_fwd(HRKD_UNARY_SQUARE, rep, x, n, 0.0f);
    K->reduce_sum(ss, rep, rows, F, 1, 1.0f, 0);
    K->unary_fwd(HRKD_UNARY_CLAMP_MIN, ss, ss, rows, eps * eps);
    K->unary_fwd(HRKD_UNARY_RSQRT, ss, ss, rows, 0.0f);
    K->copy_strided(rep, dst, ss, src, sh, 1.0f, 0);
    K->binary(HRKD_BINARY_MUL, out, x, rep, n, n, 0);
}

static void test_l2_cosine_chain(void)
{
    const int64_t N = 37, M = 23, F = 19;
    dbuf a = drand(N * F, -2, 2), b = drand(M * F, -2, 2);
    for (int64_t j = 0; j < F; j++) a.h[j] = 0.0f; /* an all-zero row: the eps path */
    dput(&a);
    dbuf na = dconst(N * F, NAN), nb = dconst(M * F, NAN), rep = dconst(N * F, 0.0f);
    dbuf ss = dconst(N, 0.0f), sim = dconst(N * M, NAN);
    BOTH(l2_chain(K, P(na), P(rep), P(ss), P(a), N, F, 1e-6f));
    dcompare(&na, RTOL_GEMM, TOL_SUM, "l2_normalize chain [%ld, %ld]", (long)N, (long)F);
    BOTH(l2_chain(K, P(nb), P(rep), P(ss), P(b), M, F, 1e-6f));
    hrkd_gemm g = {.trans_a = 0, .trans_b = 1, .m = N, .n = M, .k = F, .alpha = 1.0f,
                   .beta = 0.0f, .batch = {1, 1}, .lda = F, .ldb = F, .ldc = M};
    BOTH(hrkd_gemm gk = g; gk.a = P(na); gk.b = P(nb); gk.c = P(sim); K->gemm(&gk));
    dcompare(&sim, RTOL_GEMM, TOL_SUM, "cosine_similarity chain [%ld, %ld] x [%ld, %ld]",
             (long)N, (long)F, (long)M, (long)F);
    dfree(&a), dfree(&b), dfree(&na), dfree(&nb), dfree(&rep), dfree(&ss), dfree(&sim);
}

static void test_copy_strided(void)
{
    /* a permuting copy: src [3,5,7,11] dense, dst the same tensor laid out as [11,7,5,3] */
    const int64_t shape[4] = {3, 5, 7, 11};
    const int64_t sst[4] = {5 * 7 * 11, 7 * 11, 11, 1};
    const int64_t dst_perm[4] = {1, 3, 3 * 5, 3 * 5 * 7};
    int64_t n = 3 * 5 * 7 * 11;
    for (int acc = 0; acc < 2; acc++) {
        dbuf src = drand(n, -2, 2), dst = drand(n, -1, 1);
        BOTH(K->copy_strided(P(dst), dst_perm, P(src), sst, shape, 0.75f, acc));
        dcompare(&dst, RTOL, TOL_POINT, "copy_strided permute acc=%d", acc);
        dfree(&src), dfree(&dst);
    }
    /* a slice into a padded destination (rows of 11 inside rows of 16), alpha 1 */
    {
        const int64_t pst[4] = {5 * 7 * 16, 7 * 16, 16, 1};
        int64_t nd = 3 * 5 * 7 * 16;
        dbuf src = drand(n, -2, 2), dst = drand(nd, -1, 1);
        BOTH(K->copy_strided(P(dst) + 2, pst, P(src), sst, shape, 1.0f, 0));
        dcompare(&dst, RTOL, TOL_POINT, "copy_strided into padded rows");
        dfree(&src), dfree(&dst);
    }
    /* destination stride 0 along dim 1: accumulate sums the 5 sources, a copy keeps the last */
    for (int acc = 0; acc < 2; acc++) {
        const int64_t zst[4] = {7 * 11, 0, 11, 1};
        dbuf src = drand(n, -2, 2), dst = drand(3 * 7 * 11, -1, 1);
        BOTH(K->copy_strided(P(dst), zst, P(src), sst, shape, -0.5f, acc));
        dcompare(&dst, RTOL, TOL_SUM, "copy_strided zero dst stride acc=%d", acc);
        dfree(&src), dfree(&dst);
    }
}

/* ---- reductions ---- */

static void test_reduce(void)
{
    struct { int64_t outer, n, inner; } cases[] = {
        {37, 1001, 1}, {3, 200003, 1}, {5, 257, 33}, {1, 4099, 312}, {2, 3, 1029}, {7, 0, 5}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int acc = 0; acc < 2; acc++) {
            int64_t o = cases[c].outer, n = cases[c].n, in = cases[c].inner;
            dbuf x = drand(o * n * in > 0 ? o * n * in : 1, -1, 1), out = drand(o * in, -1, 1);
            BOTH(K->reduce_sum(P(out), P(x), o, n, in, 0.7f, acc));
            dcompare(&out, RTOL, TOL_SUM, "reduce_sum [%ld,%ld,%ld] acc=%d", (long)o, (long)n,
                     (long)in, acc);
            dfree(&x), dfree(&out);
        }
    struct { int64_t outer, n, inner; } bc[] = {{5, 257, 33}, {37, 101, 1}, {1, 9, 3001}};
    for (size_t c = 0; c < sizeof bc / sizeof bc[0]; c++) {
        int64_t o = bc[c].outer, n = bc[c].n, in = bc[c].inner;
        dbuf x = drand(o * in, -1, 1), out = drand(o * n * in, -1, 1);
        BOTH(K->broadcast_acc(P(out), P(x), o, n, in, -1.5f));
        dcompare(&out, RTOL, TOL_POINT, "broadcast_acc [%ld,%ld,%ld]", (long)o, (long)n, (long)in);
        dfree(&x), dfree(&out);
    }
    const int64_t sq[] = {1, 1001, 300007, 5000011};
    for (int s = 0; s < 4; s++) {
        dbuf x = drand(sq[s], -2, 2);
        double c = CPU->sum_squares(x.c, sq[s]), g = GPU->sum_squares(x.g, sq[s]);
        CHECKF(fabs(g - c) <= 1e-9 * fabs(c), "sum_squares n=%ld: cpu %.17g cuda %.17g",
               (long)sq[s], c, g);
        dfree(&x);
    }
}

/* ---- matrix products ---- */

typedef struct {
    int ta, tb, nb0, nb1, pad, gap, share_b;
    int64_t m, n, k;
    float alpha, beta;
} gemm_case;

/* Lays out A, B, C with leading-dimension padding `pad`, an extra `gap` between batch[0]
 * entries (so the two batch levels do not collapse), B shared across the batch when
 * share_b; runs both backends and compares all of C (padding included: nothing outside the
 * products may change). */
static void run_gemm(gemm_case t, double rtol, const char *tag)
{
    int64_t ar = t.ta ? t.k : t.m, ac = t.ta ? t.m : t.k;
    int64_t br = t.tb ? t.n : t.k, bc = t.tb ? t.k : t.n;
    hrkd_gemm g = {0};
    g.trans_a = t.ta, g.trans_b = t.tb, g.m = t.m, g.n = t.n, g.k = t.k;
    g.alpha = t.alpha, g.beta = t.beta, g.batch[0] = t.nb0, g.batch[1] = t.nb1;
    g.lda = ac + t.pad, g.ldb = bc + t.pad, g.ldc = t.n + t.pad;
    int64_t asz = ar * g.lda, bsz = br * g.ldb, csz = t.m * g.ldc;
    g.a_stride[1] = asz, g.a_stride[0] = t.nb1 * asz + t.gap;
    g.b_stride[1] = t.share_b ? 0 : bsz, g.b_stride[0] = t.share_b ? 0 : t.nb1 * bsz + t.gap;
    g.c_stride[1] = csz, g.c_stride[0] = t.nb1 * csz + t.gap;
    int64_t na = (t.nb0 - 1) * g.a_stride[0] + (t.nb1 - 1) * g.a_stride[1] + asz;
    int64_t nb = (t.nb0 - 1) * g.b_stride[0] + (t.nb1 - 1) * g.b_stride[1] + bsz;
    int64_t nc = (t.nb0 - 1) * g.c_stride[0] + (t.nb1 - 1) * g.c_stride[1] + csz;
    dbuf a = drand(na > 0 ? na : 1, -1, 1), b = drand(nb > 0 ? nb : 1, -1, 1);
    /* beta = 0: C starts as NaN everywhere and must not be read (the padding stays NaN) */
    dbuf c = t.beta == 0.0f ? dconst(nc, NAN) : drand(nc, -1, 1);
    BOTH(hrkd_gemm gk = g; gk.a = P(a); gk.b = P(b); gk.c = P(c); K->gemm(&gk));
    dcompare(&c, rtol, TOL_SUM,
             "gemm%s ta=%d tb=%d m=%ld n=%ld k=%ld batch=[%d,%d] pad=%d gap=%d share_b=%d beta=%g",
             tag, t.ta, t.tb, (long)t.m, (long)t.n, (long)t.k, t.nb0, t.nb1, t.pad, t.gap,
             t.share_b, (double)t.beta);
    dfree(&a), dfree(&b), dfree(&c);
}

static void test_gemm(void)
{
    const int batches[][2] = {{1, 1}, {3, 1}, {1, 4}, {3, 4}};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int bi = 0; bi < 4; bi++)
                for (int beta0 = 0; beta0 < 2; beta0++) {
                    gemm_case t = {ta, tb, batches[bi][0], batches[bi][1], (ta + tb) % 2 * 3,
                                   0, 0, 37, 29, 53, 0.9f, beta0 ? 0.0f : 0.5f};
                    run_gemm(t, RTOL_GEMM, "");
                }
    /* batch levels that do not collapse, a batch sharing B, one-row products, k = 0 */
    run_gemm((gemm_case){0, 1, 3, 4, 2, 7, 0, 17, 19, 23, 1.0f, 0.0f}, RTOL_GEMM, "");
    run_gemm((gemm_case){1, 0, 2, 5, 0, 5, 0, 17, 19, 23, 1.0f, 1.0f}, RTOL_GEMM, "");
    run_gemm((gemm_case){0, 1, 5, 1, 0, 0, 1, 31, 13, 41, 1.0f, 0.0f}, RTOL_GEMM, "");
    run_gemm((gemm_case){0, 0, 1, 1, 0, 0, 0, 1, 300, 77, 1.0f, 0.0f}, RTOL_GEMM, "");
    run_gemm((gemm_case){0, 0, 2, 3, 1, 0, 0, 9, 7, 0, 1.0f, 0.0f}, RTOL_GEMM, "");
    run_gemm((gemm_case){0, 0, 2, 3, 1, 0, 0, 9, 7, 0, 1.0f, 0.25f}, RTOL_GEMM, "");

    /* reduced precision: TF32, then bf16 autocast; the CPU stays float32 */
    const char *opts[] = {"tf32", "bf16"};
    for (int o = 0; o < 2; o++) {
        hrkd_error err = {0};
        if (GPU->set_option(opts[o], "true", &err) != 0) {
            /* bf16 is refused before compute capability 8.0: say so, anything else fails */
            CHECKF(strstr(err.msg, "compute capability") != NULL, "set_option %s: %s", opts[o],
                   err.msg);
            printf("not tested: %s\n", err.msg);
            continue;
        }
        char tag[16];
        snprintf(tag, sizeof tag, " [%s]", opts[o]);
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                run_gemm((gemm_case){ta, tb, 1, 1, 1, 0, 0, 37, 29, 53, 0.9f, 0.0f}, RTOL_LOW, tag);
                run_gemm((gemm_case){ta, tb, 3, 4, 0, 0, 0, 19, 33, 41, 1.0f, 0.5f}, RTOL_LOW, tag);
                run_gemm((gemm_case){ta, tb, 3, 4, 2, 5, 0, 19, 33, 41, 1.0f, 0.0f}, RTOL_LOW, tag);
            }
        run_gemm((gemm_case){0, 1, 4, 1, 0, 0, 1, 31, 13, 41, 1.0f, 0.0f}, RTOL_LOW, tag);
        CHECK(GPU->set_option(opts[o], "false", &err) == 0);
    }
}

/* ---- layer norm, softmax ---- */

static void test_layernorm(void)
{
    struct { int64_t rows, C; } cases[] = {{37, 311}, {1030, 65}, {3, 1025}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int affine = 0; affine < 2; affine++) {
            int64_t R = cases[c].rows, C = cases[c].C;
            dbuf x = drand(R * C, -2, 3), w = drand(C, 0.5, 1.5), b = drand(C, -0.5, 0.5);
            dbuf out = dconst(R * C, NAN), mean = dconst(R, NAN), rstd = dconst(R, NAN);
            BOTH(K->layernorm_fwd(P(out), P(mean), P(rstd), P(x), affine ? P(w) : NULL,
                                  affine ? P(b) : NULL, R, C, 1e-5f));
            dcompare(&out, RTOL, TOL_POINT, "layernorm_fwd out [%ld,%ld] affine=%d", (long)R,
                     (long)C, affine);
            dcompare(&mean, RTOL, TOL_POINT, "layernorm_fwd mean [%ld,%ld]", (long)R, (long)C);
            dcompare(&rstd, RTOL, TOL_POINT, "layernorm_fwd rstd [%ld,%ld]", (long)R, (long)C);

            /* backward: all three outputs, then each alone (the others NULL) */
            for (int which = 0; which < 4; which++) {
                dbuf dout = drand(R * C, -1, 1), dx = drand(R * C, -1, 1);
                dbuf dw = drand(C, -1, 1), db = drand(C, -1, 1);
                int want_dx = which == 0 || which == 1, want_dw = which == 0 || which == 2;
                int want_db = which == 0 || which == 3;
                BOTH(K->layernorm_bwd(want_dx ? P(dx) : NULL, want_dw ? P(dw) : NULL,
                                      want_db ? P(db) : NULL, P(dout), P(x),
                                      affine ? P(w) : NULL, P(mean), P(rstd), R, C));
                dcompare(&dx, RTOL, TOL_POINT, "layernorm_bwd dx [%ld,%ld] affine=%d which=%d",
                         (long)R, (long)C, affine, which);
                dcompare(&dw, RTOL, TOL_SUM, "layernorm_bwd dw [%ld,%ld] which=%d", (long)R,
                         (long)C, which);
                dcompare(&db, RTOL, TOL_SUM, "layernorm_bwd db [%ld,%ld] which=%d", (long)R,
                         (long)C, which);
                dfree(&dout), dfree(&dx), dfree(&dw), dfree(&db);
            }
            /* in place */
            BOTH(K->layernorm_fwd(P(x), NULL, NULL, P(x), P(w), P(b), R, C, 1e-12f));
            dcompare(&x, RTOL, TOL_POINT, "layernorm_fwd in place [%ld,%ld]", (long)R, (long)C);
            dfree(&x), dfree(&w), dfree(&b), dfree(&out), dfree(&mean), dfree(&rstd);
        }
}

static void test_softmax(void)
{
    /* attention-like: B = 4 sequences × NH = 3 heads × T = 17 queries, n = 17 keys, one mask
     * row per sequence (rows_per_mask = NH·T); then long rows without a mask */
    struct { int64_t rows, n, rpm; int masked; } cases[] = {{4 * 3 * 17, 17, 3 * 17, 1},
                                                            {7, 1001, 1, 0}, {5, 40, 1, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int log_out = 0; log_out < 2; log_out++) {
            int64_t R = cases[c].rows, n = cases[c].n, rpm = cases[c].rpm;
            int64_t mrows = R / rpm;
            dbuf x = drand(R * n, -4, 4), y = dconst(R * n, NAN), mask = dconst(mrows * n, 0.0f);
            for (int64_t i = 0; i < mrows * n; i++) mask.h[i] = urand() < 0.3 ? -10000.0f : 0.0f;
            dput(&mask);
            BOTH(K->softmax_fwd(P(y), P(x), cases[c].masked ? P(mask) : NULL, R, n, rpm, log_out));
            dcompare(&y, RTOL, TOL_POINT, "softmax_fwd rows=%ld n=%ld masked=%d log=%d", (long)R,
                     (long)n, cases[c].masked, log_out);
            dbuf dout = drand(R * n, -1, 1), dx = drand(R * n, -1, 1);
            BOTH(K->softmax_bwd(P(dx), P(dout), P(y), R, n, log_out));
            dcompare(&dx, RTOL, TOL_POINT, "softmax_bwd rows=%ld n=%ld log=%d", (long)R, (long)n,
                     log_out);
            /* in place */
            BOTH(K->softmax_fwd(P(x), P(x), cases[c].masked ? P(mask) : NULL, R, n, rpm, log_out));
            dcompare(&x, RTOL, TOL_POINT, "softmax_fwd in place rows=%ld n=%ld log=%d", (long)R,
                     (long)n, log_out);
            dfree(&x), dfree(&y), dfree(&mask), dfree(&dout), dfree(&dx);
        }
}

/* ---- dropout: the same counter-based masks, bit for bit ---- */

static void test_dropout(void)
{
    const float ps[] = {0.0f, 0.1f, 0.5f, 1.0f};
    const int64_t n = 100003;
    for (int i = 0; i < 4; i++) {
        dbuf x = drand(n, -2, 2), out = dconst(n, NAN), dout = drand(n, -1, 1);
        dbuf dx0 = dconst(n, 0.0f), dx = drand(n, -1, 1);
        uint64_t seed = 0xC0FFEEull + (uint64_t)i, offset = 12345678901ull;
        BOTH(K->dropout_fwd(P(out), P(x), n, ps[i], seed, offset));
        char what[64];
        snprintf(what, sizeof what, "dropout_fwd p=%g", (double)ps[i]);
        dexact(&out, what);
        /* from zero, dx is a single rounded product on both sides (even where a compiler
         * fuses the multiply-add): bit for bit; onto nonzero dx, within rounding */
        BOTH(K->dropout_bwd(P(dx0), P(dout), n, ps[i], seed, offset));
        snprintf(what, sizeof what, "dropout_bwd p=%g", (double)ps[i]);
        dexact(&dx0, what);
        BOTH(K->dropout_bwd(P(dx), P(dout), n, ps[i], seed, offset));
        dcompare(&dx, RTOL, TOL_POINT, "dropout_bwd accumulate p=%g", (double)ps[i]);
        dfree(&x), dfree(&out), dfree(&dout), dfree(&dx0), dfree(&dx);
    }
}

/* ---- embeddings ---- */

static void test_embedding(void)
{
    const int64_t V = 50, C = 33, n = 301; /* many repeated ids */
    int32_t *ids = xmalloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) ids[i] = (int32_t)(urand() * (double)V);
    ids[0] = ids[1] = ids[2] = 7;
    ibuf id = iupload(ids, n);
    dbuf table = drand(V * C, -1, 1), out = dconst(n * C, NAN);
    BOTH(K->embedding_fwd(P(out), P(table), P(id), n, C));
    dexact(&out, "embedding_fwd");
    dbuf dout = drand(n * C, -1, 1), dtable = drand(V * C, -1, 1);
    BOTH(K->embedding_bwd(P(dtable), P(dout), P(id), n, C));
    dcompare(&dtable, RTOL, TOL_SUM, "embedding_bwd (repeated ids)");
    dfree(&table), dfree(&out), dfree(&dout), dfree(&dtable);
    ifree(&id);
    free(ids);
}

/* ---- losses ---- */

static void test_losses(void)
{
    const int64_t n = 10007;
    dbuf a = drand(n, -2, 2), b = drand(n, -2, 2), out = dconst(1, NAN), dout = dconst(1, 0.37f);
    BOTH(K->mse_fwd(P(out), P(a), P(b), n));
    dcompare(&out, RTOL, TOL_POINT, "mse_fwd");
    for (int which = 0; which < 3; which++) { /* both, da only, db only */
        dbuf da = drand(n, -1, 1), db = drand(n, -1, 1);
        BOTH(K->mse_bwd(which != 2 ? P(da) : NULL, which != 1 ? P(db) : NULL, P(dout), P(a),
                        P(b), n));
        dcompare(&da, RTOL, TOL_POINT, "mse_bwd da which=%d", which);
        dcompare(&db, RTOL, TOL_POINT, "mse_bwd db which=%d", which);
        dfree(&da), dfree(&db);
    }
    dfree(&a), dfree(&b);

    const int64_t rows = 37, C = 11;
    int32_t labels[37];
    for (int r = 0; r < rows; r++) labels[r] = r % 5 == 0 ? -1 : (int32_t)(urand() * (double)C);
    int32_t none[37];
    for (int r = 0; r < rows; r++) none[r] = -1;
    for (int all_ignored = 0; all_ignored < 2; all_ignored++) {
        ibuf lab = iupload(all_ignored ? none : labels, rows);
        dbuf logp = drand(rows * C, -5, 0), dlogp = drand(rows * C, -1, 1);
        BOTH(K->nll_fwd(P(out), P(logp), P(lab), rows, C));
        dcompare(&out, RTOL, TOL_POINT, "nll_fwd all_ignored=%d", all_ignored);
        BOTH(K->nll_bwd(P(dlogp), P(dout), P(lab), rows, C));
        dcompare(&dlogp, RTOL, TOL_POINT, "nll_bwd all_ignored=%d", all_ignored);
        dfree(&logp), dfree(&dlogp);
        ifree(&lab);
    }
    dfree(&out), dfree(&dout);
}

/* ---- AdamW: a few steps, the state carried on each side ---- */

static void test_adamw(void)
{
    const int64_t n = 10007;
    const float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-6f, wd = 0.01f;
    dbuf p = drand(n, -1, 1), m = dconst(n, 0.0f), v = dconst(n, 0.0f);
    for (int t = 1; t <= 3; t++) {
        dbuf grad = drand(n, -1, 1);
        float bc1 = 1.0f - powf(b1, (float)t), bc2 = 1.0f - powf(b2, (float)t);
        BOTH(K->adamw(P(p), P(grad), P(m), P(v), n, lr, b1, b2, eps, wd, bc1, bc2, 0.5f));
        dfree(&grad);
    }
    dcompare(&p, RTOL, TOL_POINT, "adamw p after 3 steps");
    dcompare(&m, RTOL, TOL_POINT, "adamw m after 3 steps");
    dcompare(&v, RTOL, TOL_POINT, "adamw v after 3 steps");
    dfree(&p), dfree(&m), dfree(&v);
}

/* ---- main ---- */

static const hrkd_kernels *open_backend(const char *name, char *why, size_t why_len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/lib/hrkd/backends/hrkd_backend_%s.so", test_build_dir(), name);
    if (access(path, F_OK) != 0) {
        snprintf(why, why_len, "%s not built%s", path,
                 strcmp(name, "cuda") == 0 ? " (no nvcc when the tree was built)" : "");
        return NULL;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, why_len, "cannot load %s: %s", path, dlerror());
        return NULL;
    }
    hrkd_backend_entry_fn entry = (hrkd_backend_entry_fn)dlsym(h, HRKD_BACKEND_ENTRY);
    if (!entry) {
        snprintf(why, why_len, "%s: no symbol %s", path, HRKD_BACKEND_ENTRY);
        return NULL;
    }
    return entry();
}

int main(void)
{
    char why[1200];
    GPU = open_backend("cuda", why, sizeof why);
    if (!GPU) test_skip(why);
    test_table_before_init();
    hrkd_error err = {0};
    if (GPU->init(0, &err) != 0) {
        CHECKF(err.status != HRKD_STATUS_OK && err.msg[0] != '\0',
               "cuda init failed without a message");
        if (hrkd_test_failures) return test_finish("test_backend_parity");
        snprintf(why, sizeof why, "cuda backend unavailable here: %s", err.msg);
        test_skip(why);
    }
    CPU = open_backend("cpu", why, sizeof why);
    CHECKF(CPU != NULL, "%s", why);
    if (!CPU) return test_finish("test_backend_parity");
    hrkd_error cerr = {0};
    CHECKF(CPU->init(0, &cerr) == 0, "cpu init: %s", cerr.msg);
    printf("comparing %s\n     with %s\n", GPU->description, CPU->description);

    test_memory();
    test_fill_axpby();
    test_binary();
    test_unary();
    test_l2_cosine_chain();
    test_copy_strided();
    test_reduce();
    test_gemm();
    test_layernorm();
    test_softmax();
    test_dropout();
    test_embedding();
    test_losses();
    test_adamw();

    GPU->sync();
    GPU->shutdown();
    CHECKF(strstr(GPU->description, "not initialised") != NULL, "description after shutdown: %s",
           GPU->description);
    return test_finish("test_backend_parity");
}
