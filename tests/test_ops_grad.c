/* tests/test_ops_grad.c — every op's backward against central finite differences.
 *
 * For each op: random inputs, loss = Σ out · R with a fixed random R (summed on the host in
 * double), analytic gradient from hrkd_backward, numeric gradient from (L(x+ε) − L(x−ε)) / 2ε
 * with ε = 1e-2 in float32; pass when max |analytic − numeric| / max |numeric| < 2e-2
 * (STYLE.md). Shapes are tiny so every input element is perturbed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backend.h"
#include "common/test.h"
#include "core/core.h"
#include "hrkd/tensor.h"

#define MAXIN 4
typedef struct spec {
    const char *name;
    int n_in;
    int ndim[MAXIN];
    int64_t shape[MAXIN][4];
    int grad_in[MAXIN]; /* which inputs get checked */
    hrkd_tensor *(*build)(hrkd_ctx *, hrkd_tensor **, const struct spec *);
    int away_from_zero; /* 1: keep inputs away from 0; 2: positive (≥ 0.3); 3: away from
                         * multiples of 0.1 (the clamp bounds) */
    int param;          /* free integer for the builder */
} spec;

static hrkd_backend *g_be;
static uint64_t g_rng = 12345;
static float frand(void) /* [-1, 1), 24 bits */
{
    return (float)((test_lcg_next(&g_rng) >> 40) / 16777216.0) * 2.0f - 1.0f;
}

static int64_t numel_of(const spec *s, int i)
{
    int64_t n = 1;
    for (int d = 0; d < s->ndim[i]; d++) n *= s->shape[i][d];
    return n;
}

/* Evaluate L = Σ out·R; when grads != NULL also return d L / d input. */
static double eval(const spec *s, float **x, const float *R, int64_t n_out_expect, float **grads,
                   int64_t *n_out, char *errbuf)
{
    hrkd_error err = {0};
    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    hrkd_ctx_set_training(ctx, 1);
    hrkd_ctx_set_rng(ctx, 99, 0);
    hrkd_tensor *in[MAXIN];
    for (int i = 0; i < s->n_in; i++) {
        in[i] = hrkd_tensor_from_host(ctx, s->ndim[i], s->shape[i], x[i]);
        if (grads && s->grad_in[i]) hrkd_tensor_set_requires_grad(ctx, in[i]);
    }
    hrkd_tensor *out = s->build(ctx, in, s);
    double L = NAN;
    if (!out || hrkd_ctx_failed(ctx)) {
        snprintf(errbuf, 256, "%s", hrkd_ctx_error(ctx)->msg);
        hrkd_ctx_destroy(ctx);
        return NAN;
    }
    int64_t n = hrkd_tensor_numel(out);
    *n_out = n;
    float *o = malloc((size_t)n * sizeof *o);
    hrkd_tensor_to_host(ctx, out, o);
    L = 0;
    for (int64_t j = 0; j < n && j < n_out_expect; j++) L += (double)o[j] * R[j];
    if (grads) {
        hrkd_tensor *r = hrkd_tensor_from_host(ctx, out->ndim, out->shape, R);
        hrkd_tensor *loss = hrkd_sum(ctx, hrkd_mul(ctx, out, r), HRKD_ALL);
        if (hrkd_backward(ctx, loss) != HRKD_STATUS_OK)
            snprintf(errbuf, 256, "backward: %s", hrkd_ctx_error(ctx)->msg);
        for (int i = 0; i < s->n_in; i++)
            if (s->grad_in[i]) hrkd_tensor_grad_to_host(ctx, in[i], grads[i]);
    }
    free(o);
    hrkd_ctx_destroy(ctx);
    return L;
}

static void gradcheck(const spec *s)
{
    float *x[MAXIN], *g[MAXIN];
    for (int i = 0; i < s->n_in; i++) {
        int64_t n = numel_of(s, i);
        x[i] = malloc((size_t)n * sizeof(float));
        g[i] = calloc((size_t)n, sizeof(float));
        for (int64_t j = 0; j < n; j++) {
            float v = frand();
            if (s->away_from_zero == 1) v = v >= 0 ? 0.2f + v : -0.2f + v;
            if (s->away_from_zero == 2) v = 0.3f + fabsf(v);
            if (s->away_from_zero == 3) v = floorf(v * 10.0f) / 10.0f + 0.05f;
            x[i][j] = v;
        }
    }
    char errbuf[256] = "";
    int64_t n_out = 0;
    float *R = malloc(4096 * sizeof(float));
    for (int j = 0; j < 4096; j++) R[j] = frand();
    double L0 = eval(s, x, R, 4096, g, &n_out, errbuf);
    CHECKF(!isnan(L0) && errbuf[0] == 0, "%s: forward/backward failed: %s", s->name, errbuf);
    if (isnan(L0)) goto done;
    CHECKF(n_out <= 4096, "%s: output too large for the test (%lld)", s->name, (long long)n_out);
    const float eps = 1e-2f;
    for (int i = 0; i < s->n_in; i++) {
        if (!s->grad_in[i]) continue;
        int64_t n = numel_of(s, i);
        double max_num = 0, max_diff = 0;
        for (int64_t j = 0; j < n; j++) {
            float keep = x[i][j];
            int64_t no;
            x[i][j] = keep + eps;
            double lp = eval(s, x, R, 4096, NULL, &no, errbuf);
            x[i][j] = keep - eps;
            double lm = eval(s, x, R, 4096, NULL, &no, errbuf);
            x[i][j] = keep;
            double num = (lp - lm) / (2.0 * eps);
            double diff = fabs(num - (double)g[i][j]);
            if (fabs(num) > max_num) max_num = fabs(num);
            if (diff > max_diff) max_diff = diff;
        }
        double rel = max_diff / (max_num > 1e-3 ? max_num : 1e-3);
        CHECKF(rel < 2e-2, "%s: input %d gradient relative error %.3g (max |num| %.3g)", s->name,
               i, rel, max_num);
        CHECKF(max_num > 0, "%s: input %d has an all-zero gradient (test is vacuous)", s->name, i);
    }
done:
    for (int i = 0; i < s->n_in; i++) { free(x[i]); free(g[i]); }
    free(R);
}

/* ---- builders ---- */
static hrkd_tensor *b_linear(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_linear(c, in[0], in[1], s->n_in > 2 ? in[2] : NULL); }
static hrkd_tensor *b_matmul(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_matmul(c, in[0], in[1], s->param & 1, (s->param >> 1) & 1, 0.7f); }
static hrkd_tensor *b_matmul_perm(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    /* attention-style: [B, T, NH, HS] viewed as [B, NH, T, HS], q kᵀ with a broadcast addend */
    const int perm[4] = {0, 2, 1, 3};
    hrkd_tensor *q = hrkd_permute(c, in[0], perm), *k = hrkd_permute(c, in[1], perm);
    hrkd_tensor add = *in[2];
    add.ndim = 4;
    add.shape[0] = q->shape[0]; add.shape[1] = q->shape[1]; add.shape[2] = q->shape[2]; add.shape[3] = k->shape[2];
    add.stride[0] = k->shape[2]; add.stride[1] = 0; add.stride[2] = 0; add.stride[3] = 1;
    hrkd_tensor *sc = hrkd_matmul_add(c, q, k, 0, 1, 0.5f, &add);
    hrkd_tensor *v = hrkd_permute(c, in[1], perm);
    return hrkd_matmul(c, hrkd_softmax(c, sc, NULL), v, 0, 0, 1.0f);
}
static hrkd_tensor *b_transposed_lhs(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    /* gradient written through a transposed (column-major) view */
    return hrkd_matmul(c, hrkd_transpose(c, in[0], 0, 1), in[1], 0, 0, 1.0f);
}
static hrkd_tensor *b_add(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_add(c, in[0], in[1]); }
static hrkd_tensor *b_sub(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_sub(c, in[0], in[1]); }
static hrkd_tensor *b_mul(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_mul(c, in[0], in[1]); }
static hrkd_tensor *b_scale(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_scale(c, in[0], -1.7f); }
static hrkd_tensor *b_sum(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_sum(c, in[0], s->param); }
static hrkd_tensor *b_mean(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_mean(c, in[0], s->param); }
static hrkd_tensor *b_repeat(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_repeat(c, in[0], s->param, 3); }
static hrkd_tensor *b_unary(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    float alpha = s->param == HRKD_UNARY_ZERO_BELOW ? -0.1f : 0.3f;
    return hrkd_unary_op(c, in[0], (hrkd_unary)s->param, alpha);
}
static hrkd_tensor *b_exp(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_exp(c, in[0]); }
static hrkd_tensor *b_ln(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_ln(c, in[0]); }
static hrkd_tensor *b_sqrt(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_sqrt(c, in[0]); }
static hrkd_tensor *b_rsqrt(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_rsqrt(c, in[0]); }
static hrkd_tensor *b_div(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_div(c, in[0], in[1]); }
static hrkd_tensor *b_clamp(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    /* param 0: both bounds; 1: lower only; 2: upper only */
    float lo = s->param == 2 ? -INFINITY : -0.3f, hi = s->param == 1 ? INFINITY : 0.4f;
    return hrkd_clamp(c, in[0], lo, hi);
}
static hrkd_tensor *b_l2_normalize(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    /* param 1: the input is a transposed view */
    hrkd_tensor *x = s->param ? hrkd_transpose(c, in[0], 0, 1) : in[0];
    return hrkd_l2_normalize(c, x, 1e-6f);
}
static hrkd_tensor *b_cosine(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    return hrkd_cosine_similarity(c, in[0], s->n_in > 1 ? in[1] : in[0], 1e-6f);
}

/* A plugin-style op through hrkd_custom: out = a ∘ b² · state, on kernels only. */
static int sq_mul_fwd(const hrkd_custom_call *call)
{
    const hrkd_kernels *k = call->k;
    int64_t n = hrkd_tensor_numel(call->out);
    float scale = *(const float *)call->state;
    k->binary(HRKD_BINARY_MUL, call->out->data, call->in[1]->data, call->in[1]->data, n, n, 0);
    k->binary(HRKD_BINARY_MUL, call->out->data, call->out->data, call->in[0]->data, n, n, 0);
    k->axpby(call->out->data, call->out->data, scale, 0.0f, n);
    return 0;
}
static int sq_mul_bwd(const hrkd_custom_call *call)
{
    /* out = s·a·b²  →  da += s·b²·dout;  db += 2s·a·b·dout */
    const hrkd_kernels *k = call->k;
    hrkd_tensor *a = call->in[0], *b = call->in[1];
    int64_t n = hrkd_tensor_numel(call->out);
    float scale = *(const float *)call->state;
    hrkd_tensor *t = hrkd_tensor_new(call->ctx, call->out->ndim, call->out->shape);
    if (!t) return 1;
    float *tmp = t->data;
    k->binary(HRKD_BINARY_MUL, tmp, call->out->grad, b->data, n, n, 0);
    if (a->grad) {
        hrkd_tensor *t2t = hrkd_tensor_new(call->ctx, call->out->ndim, call->out->shape);
        if (!t2t) return 1;
        float *t2 = t2t->data;
        k->binary(HRKD_BINARY_MUL, t2, tmp, b->data, n, n, 0);
        k->axpby(a->grad, t2, scale, 1.0f, n);
    }
    if (b->grad) {
        k->binary(HRKD_BINARY_MUL, tmp, tmp, a->data, n, n, 0);
        k->axpby(b->grad, tmp, 2.0f * scale, 1.0f, n);
    }
    return 0;
}
static const hrkd_custom_op sq_mul = {"sq_mul", sq_mul_fwd, sq_mul_bwd};
static hrkd_tensor *b_custom(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    float scale = 0.75f;
    /* the inputs go through a view and an SDK op, the output into another op */
    hrkd_tensor *a = hrkd_transpose(c, in[0], 0, 1), *b = hrkd_tanh(c, in[1]);
    hrkd_tensor *xs[2] = {a, b};
    return hrkd_scale(c, hrkd_custom(c, &sq_mul, xs, 2, a->ndim, a->shape, &scale, sizeof scale),
                      1.5f);
}
static hrkd_tensor *b_layernorm(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_layernorm(c, in[0], in[1], in[2], 1e-5f); }
static hrkd_tensor *b_softmax(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_softmax(c, in[0], s->n_in > 1 ? hrkd_detach(c, in[1]) : NULL); }
static hrkd_tensor *b_log_softmax(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_log_softmax(c, in[0]); }
static hrkd_tensor *b_dropout(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_dropout(c, in[0], 0.4f); }
static hrkd_tensor *b_embedding(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    int32_t ids[6] = {3, 0, 3, 4, 1, 3};
    int64_t sh[2] = {2, 3};
    return hrkd_embedding(c, in[0], hrkd_tensor_from_host_i32(c, 2, sh, ids));
}
static hrkd_tensor *b_concat(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_concat(c, in, s->n_in, s->param); }
static hrkd_tensor *b_stack(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_stack(c, in, s->n_in, s->param); }
static hrkd_tensor *b_slice_perm(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    const int perm[3] = {2, 0, 1};
    return hrkd_contiguous(c, hrkd_permute(c, hrkd_slice(c, in[0], 1, 1, 2), perm));
}
static hrkd_tensor *b_mse(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_mse(c, in[0], in[1]); }
static hrkd_tensor *b_xent(hrkd_ctx *c, hrkd_tensor **in, const spec *s)
{
    int32_t labels[4] = {2, 0, -1, 1};
    int64_t sh = 4;
    return hrkd_cross_entropy(c, in[0], hrkd_tensor_from_host_i32(c, 1, &sh, labels));
}
static hrkd_tensor *b_soft_xent(hrkd_ctx *c, hrkd_tensor **in, const spec *s) { return hrkd_soft_cross_entropy(c, in[0], in[1], 2.0f, s->param); }

int main(void)
{
    g_be = test_backend_open("cpu", 2);
    spec specs[] = {
        {"linear", 3, {3, 2, 1}, {{2, 3, 5}, {4, 5}, {4}}, {1, 1, 1}, b_linear, 0, 0},
        {"linear_nobias", 2, {2, 2}, {{3, 5}, {4, 5}}, {1, 1}, b_linear, 0, 0},
        {"matmul_nn", 2, {2, 2}, {{3, 4}, {4, 5}}, {1, 1}, b_matmul, 0, 0},
        {"matmul_tn", 2, {2, 2}, {{4, 3}, {4, 5}}, {1, 1}, b_matmul, 0, 1},
        {"matmul_nt", 2, {3, 3}, {{2, 3, 4}, {2, 5, 4}}, {1, 1}, b_matmul, 0, 2},
        {"matmul_tt", 2, {4, 4}, {{2, 2, 4, 3}, {2, 2, 5, 4}}, {1, 1}, b_matmul, 0, 3},
        {"matmul_heads_views", 3, {4, 4, 2}, {{2, 3, 2, 4}, {2, 3, 2, 4}, {2, 3}}, {1, 1, 0}, b_matmul_perm, 0, 0},
        {"matmul_transposed_view", 2, {2, 2}, {{4, 3}, {4, 5}}, {1, 1}, b_transposed_lhs, 0, 0},
        {"add_broadcast", 2, {3, 1}, {{2, 3, 4}, {4}}, {1, 1}, b_add, 0, 0},
        {"sub_broadcast", 2, {3, 2}, {{2, 3, 4}, {3, 4}}, {1, 1}, b_sub, 0, 0},
        {"mul", 2, {2, 2}, {{3, 4}, {3, 4}}, {1, 1}, b_mul, 0, 0},
        {"mul_broadcast", 2, {3, 1}, {{2, 3, 4}, {4}}, {1, 1}, b_mul, 0, 0},
        {"scale", 1, {2}, {{3, 4}}, {1}, b_scale, 0, 0},
        {"sum_axis0", 1, {3}, {{2, 3, 4}}, {1}, b_sum, 0, 0},
        {"sum_axis1", 1, {3}, {{2, 3, 4}}, {1}, b_sum, 0, 1},
        {"sum_all", 1, {3}, {{2, 3, 4}}, {1}, b_sum, 0, HRKD_ALL},
        {"mean_axis2", 1, {3}, {{2, 3, 4}}, {1}, b_mean, 0, 2},
        {"repeat", 1, {2}, {{2, 4}}, {1}, b_repeat, 0, 1},
        {"gelu_erf", 1, {2}, {{3, 5}}, {1}, b_unary, 0, HRKD_UNARY_GELU_ERF},
        {"gelu_tanh", 1, {2}, {{3, 5}}, {1}, b_unary, 0, HRKD_UNARY_GELU_TANH},
        {"tanh", 1, {2}, {{3, 5}}, {1}, b_unary, 0, HRKD_UNARY_TANH},
        {"relu", 1, {2}, {{3, 5}}, {1}, b_unary, 1, HRKD_UNARY_RELU},
        {"elu", 1, {2}, {{3, 5}}, {1}, b_unary, 1, HRKD_UNARY_ELU},
        {"leaky_relu", 1, {2}, {{3, 5}}, {1}, b_unary, 1, HRKD_UNARY_LEAKY_RELU},
        {"exp", 1, {2}, {{3, 5}}, {1}, b_unary, 0, HRKD_UNARY_EXP},
        {"square", 1, {2}, {{3, 5}}, {1}, b_unary, 0, HRKD_UNARY_SQUARE},
        {"zero_below", 1, {2}, {{3, 5}}, {1}, b_unary, 1, HRKD_UNARY_ZERO_BELOW},
        {"exp_named", 1, {2}, {{3, 5}}, {1}, b_exp, 0, 0},
        {"ln", 1, {2}, {{3, 5}}, {1}, b_ln, 2, 0},
        {"sqrt", 1, {2}, {{3, 5}}, {1}, b_sqrt, 2, 0},
        {"rsqrt", 1, {2}, {{3, 5}}, {1}, b_rsqrt, 2, 0},
        {"div", 2, {2, 2}, {{3, 4}, {3, 4}}, {1, 1}, b_div, 2, 0},
        {"div_broadcast", 2, {3, 1}, {{2, 3, 4}, {4}}, {1, 1}, b_div, 2, 0},
        {"clamp", 1, {2}, {{4, 5}}, {1}, b_clamp, 3, 0},
        {"clamp_lower", 1, {2}, {{4, 5}}, {1}, b_clamp, 3, 1},
        {"clamp_upper", 1, {2}, {{4, 5}}, {1}, b_clamp, 3, 2},
        {"l2_normalize", 1, {3}, {{2, 3, 4}}, {1}, b_l2_normalize, 0, 0},
        {"l2_normalize_view", 1, {2}, {{4, 3}}, {1}, b_l2_normalize, 0, 1},
        {"cosine_similarity", 2, {2, 2}, {{4, 3}, {5, 3}}, {1, 1}, b_cosine, 0, 0},
        {"cosine_similarity_self", 1, {2}, {{4, 3}}, {1}, b_cosine, 0, 0},
        {"cosine_similarity_batched", 2, {3, 3}, {{2, 3, 4}, {2, 2, 4}}, {1, 1}, b_cosine, 0, 0},
        {"custom_op", 2, {2, 2}, {{4, 3}, {3, 4}}, {1, 1}, b_custom, 0, 0},
        {"layernorm", 3, {3, 1, 1}, {{2, 3, 6}, {6}, {6}}, {1, 1, 1}, b_layernorm, 0, 0},
        {"softmax", 1, {2}, {{3, 5}}, {1}, b_softmax, 0, 0},
        {"softmax_masked", 2, {3, 2}, {{2, 3, 5}, {2, 5}}, {1, 0}, b_softmax, 0, 0},
        {"log_softmax", 1, {2}, {{3, 5}}, {1}, b_log_softmax, 0, 0},
        {"dropout", 1, {2}, {{4, 6}}, {1}, b_dropout, 0, 0},
        {"embedding", 1, {2}, {{5, 4}}, {1}, b_embedding, 0, 0},
        {"concat_axis1", 3, {3, 3, 3}, {{2, 1, 3}, {2, 2, 3}, {2, 3, 3}}, {1, 1, 1}, b_concat, 0, 1},
        {"concat_2d", 2, {2, 2}, {{2, 3}, {2, 2}}, {1, 1}, b_concat, 0, 1},
        {"stack_axis0", 2, {2, 2}, {{2, 3}, {2, 3}}, {1, 1}, b_stack, 0, 0},
        {"stack_axis_last", 3, {1, 1, 1}, {{4}, {4}, {4}}, {1, 1, 1}, b_stack, 0, -1},
        {"slice_permute_contiguous", 1, {3}, {{2, 4, 3}}, {1}, b_slice_perm, 0, 0},
        {"mse", 2, {3, 3}, {{2, 3, 4}, {2, 3, 4}}, {1, 1}, b_mse, 0, 0},
        {"cross_entropy", 1, {2}, {{4, 3}}, {1}, b_xent, 0, 0},
        {"soft_cross_entropy", 2, {2, 2}, {{4, 3}, {4, 3}}, {1, 0}, b_soft_xent, 0, 0},
        {"soft_cross_entropy_mean_classes", 2, {2, 2}, {{4, 3}, {4, 3}}, {1, 0}, b_soft_xent, 0, 1},
    };
    int n = (int)(sizeof specs / sizeof specs[0]);
    for (int i = 0; i < n; i++) {
        int before = hrkd_test_failures;
        gradcheck(&specs[i]);
        if (hrkd_test_failures == before) printf("ok   %s\n", specs[i].name);
    }
    hrkd_backend_unload(g_be);
    return test_finish("test_ops_grad");
}
