/* tests/test_grad_lazy.c — gradients given out during backward and taken back after
 * (host/core/grad.c): a long chain's input gradient against a double reference while the
 * arena holds about one gradient in flight, not one per activation; an op's output holds no
 * gradient after backward while leaves keep theirs; views (slice, reshape, transpose) of an
 * output whose gradient is not there yet share it once it is; a node nothing used is skipped;
 * hrkd_tensor_set_requires_grad on an output keeps its gradient; a second step reuses memory. */
#include <math.h>
#include <string.h>

#include "common/backend.h"
#include "common/test.h"
#include "core/core.h"

#define N     (1 << 18)
#define CHAIN 16

static float xs[N], gx[N];

/* loss = mean(tanh^CHAIN(x)²): ∂/∂x by the chain rule, in double */
static double chain_grad(double x)
{
    double y = x, d = 1.0;
    for (int i = 0; i < CHAIN; i++) {
        y = tanh(y);
        d *= 1.0 - y * y;
    }
    return 2.0 * y * d / N;
}

static void chain(hrkd_backend *be)
{
    hrkd_error err = {0};
    hrkd_ctx *ctx = hrkd_ctx_create(be, &err);
    const int64_t n = N;
    for (int i = 0; i < N; i++) xs[i] = (float)((i % 997) - 498) / 300.0f;
    for (int step = 0; step < 2; step++) {
        hrkd_tensor *x = hrkd_tensor_set_requires_grad(ctx, hrkd_tensor_from_host(ctx, 1, &n, xs));
        hrkd_tensor *y[CHAIN + 1] = {x};
        for (int i = 1; i <= CHAIN; i++) y[i] = hrkd_tanh(ctx, y[i - 1]);
        hrkd_tensor *loss = hrkd_mse(ctx, y[CHAIN], hrkd_tensor_zeros(ctx, 1, &n));
        CHECK(!hrkd_ctx_failed(ctx));
        for (int i = 1; i <= CHAIN; i++) CHECK(y[i]->requires_grad && y[i]->grad == NULL);
        CHECK(hrkd_backward(ctx, loss) == HRKD_STATUS_OK);
        for (int i = 1; i <= CHAIN; i++) CHECKF(y[i]->grad == NULL, "y[%d] kept its gradient", i);
        CHECK(x->grad != NULL && hrkd_tensor_grad_to_host(ctx, x, gx) == 0);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double ref = chain_grad(xs[i]), e = fabs(gx[i] - ref) / (fabs(ref) + 1e-9 / N);
            if (e > worst) worst = e;
        }
        CHECKF(worst < 1e-3, "step %d: worst relative error %.3g", step, worst);
        /* inputs (x, zeros) and CHAIN activations, plus at most a few gradients at once;
         * a gradient per activation would need about twice that */
        size_t act = (size_t)(CHAIN + 2) * N * sizeof(float);
        size_t peak = hrkd_ctx_arena_peak(ctx);
        CHECKF(peak < act + 4 * (size_t)N * sizeof(float), "step %d: arena peak %zu bytes, "
               "activations %zu", step, peak, act);
        hrkd_ctx_reset(ctx);
    }
    /* the second step's one chunk covers the peak: nothing new was allocated */
    CHECK(hrkd_ctx_arena_bytes(ctx) >= hrkd_ctx_arena_peak(ctx));
    hrkd_ctx_destroy(ctx);
}

static void views(hrkd_backend *be)
{
    hrkd_error err = {0};
    hrkd_ctx *ctx = hrkd_ctx_create(be, &err);
    const int64_t sh[2] = {2, 6}, row[1] = {6};
    float xv[12], g[12];
    for (int i = 0; i < 12; i++) xv[i] = 0.25f * (float)i - 1.0f;
    hrkd_tensor *x = hrkd_tensor_set_requires_grad(ctx, hrkd_tensor_from_host(ctx, 2, sh, xv));
    hrkd_tensor *y = hrkd_scale(ctx, x, 2.0f);                   /* y = 2x, gradient later */
    hrkd_tensor *a = hrkd_reshape(ctx, hrkd_slice(ctx, y, 0, 0, 1), 1, row); /* 2 x[0, :] */
    hrkd_tensor *b = hrkd_reshape(ctx, hrkd_slice(ctx, y, 0, 1, 1), 1, row); /* 2 x[1, :] */
    hrkd_tensor *t = hrkd_transpose(ctx, y, 0, 1);               /* [6, 2], unused */
    hrkd_tensor *kept = hrkd_scale(ctx, b, 3.0f);               /* 6 x[1, :] */
    CHECK(hrkd_tensor_set_requires_grad(ctx, kept) == kept && kept->grad != NULL);
    hrkd_tensor *unused = hrkd_tanh(ctx, t);                     /* nothing reads it */
    hrkd_tensor *loss = hrkd_mse(ctx, a, kept);                  /* mean((2x0 − 6x1)²) */
    CHECK(!hrkd_ctx_failed(ctx) && unused && a->grad == NULL && y->grad == NULL);
    CHECK(hrkd_backward(ctx, loss) == HRKD_STATUS_OK);
    CHECK(unused->grad == NULL); /* skipped: no gradient reached it */
    CHECK(y->grad == NULL && hrkd_tensor_grad_to_host(ctx, y, g) != 0);
    CHECK(x->grad && hrkd_tensor_grad_to_host(ctx, x, g) == 0);
    float gk[6];
    CHECK(hrkd_tensor_grad_to_host(ctx, kept, gk) == 0);
    for (int j = 0; j < 6; j++) {
        float d = 2.0f * xv[j] - 6.0f * xv[6 + j];
        float dl = 2.0f * d / 6.0f;                      /* ∂loss/∂a_j; ∂loss/∂kept_j = −dl */
        CHECKF(fabsf(g[j] - 2.0f * dl) < 1e-5f, "x[0,%d] grad %g, want %g", j, g[j], 2.0f * dl);
        CHECKF(fabsf(g[6 + j] + 6.0f * dl) < 1e-5f, "x[1,%d] grad %g, want %g", j, g[6 + j],
               -6.0f * dl);
        CHECKF(fabsf(gk[j] + dl) < 1e-5f, "kept[%d] grad %g, want %g", j, gk[j], -dl);
    }
    hrkd_ctx_destroy(ctx);
}

int main(void)
{
    hrkd_backend *be = test_backend_open("cpu", 1);
    chain(be);
    views(be);
    hrkd_backend_unload(be);
    return test_finish("test_grad_lazy");
}
