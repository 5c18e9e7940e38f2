/* examples/plugins/graph_custom_op/graph_custom_op.c — a "relational.graph" plugin with a
 * differentiable op of its own (hrkd_custom, hrkd/tensor.h).
 *
 * agg [D, F] → score_d = rms(agg[d, :])^sharpness (SDK ops) → r = sum_normalize(score),
 * where sum_normalize (out_i = x_i / Σ_j x_j over the last axis, x > 0) is this plugin's op:
 * a forward and a backward callback written with the backend's kernel table only, so the
 * same code runs on cpu (host pointers) and cuda (device pointers) without reading the
 * data on the host. INI section: [relational.example_custom_graph].
 */
#include <math.h>
#include <stdlib.h>

#include "hrkd/plugin.h"

static const hrkd_plugin_param params[] = {
    {"sharpness", HRKD_CFG_FLOAT, "2.0", 0.01, 100.0, NULL, "exponent applied to each domain's RMS"},
};

/* State kept between the forward and the backward of one call (hrkd_custom copies it). */
typedef struct sum_norm_state {
    int64_t rows, n;
    float  *denom; /* [rows, n]: Σ_j x[r, j] repeated along the row (scratch from the arena) */
} sum_norm_state;

/* out[r, i] = x[r, i] / Σ_j x[r, j] */
static int sum_norm_forward(const hrkd_custom_call *c)
{
    const hrkd_kernels *k = c->k;
    sum_norm_state *st = c->state;
    int64_t shape1 = st->rows, total = st->rows * st->n;
    hrkd_tensor *sum = hrkd_tensor_new(c->ctx, 1, &shape1);
    hrkd_tensor *den = hrkd_tensor_new(c->ctx, c->out->ndim, c->out->shape);
    if (!sum || !den) return 1;
    k->reduce_sum(sum->data, c->in[0]->data, st->rows, st->n, 1, 1.0f, 0);
    k->fill(den->data, 0.0f, total);
    k->broadcast_acc(den->data, sum->data, st->rows, st->n, 1, 1.0f);
    k->binary(HRKD_BINARY_DIV, c->out->data, c->in[0]->data, den->data, total, total, 0);
    st->denom = den->data;
    return 0;
}

/* out = x / S  →  dx_i += (dout_i − Σ_j dout_j out_j) / S */
static int sum_norm_backward(const hrkd_custom_call *c)
{
    const hrkd_kernels *k = c->k;
    const sum_norm_state *st = c->state;
    float *dx = c->in[0]->grad;
    if (!dx) return 0;
    int64_t shape1 = st->rows, total = st->rows * st->n;
    hrkd_tensor *t = hrkd_tensor_new(c->ctx, c->out->ndim, c->out->shape);
    hrkd_tensor *dot = hrkd_tensor_new(c->ctx, 1, &shape1);
    if (!t || !dot) return 1;
    k->binary(HRKD_BINARY_MUL, t->data, c->out->grad, c->out->data, total, total, 0);
    k->reduce_sum(dot->data, t->data, st->rows, st->n, 1, 1.0f, 0);   /* Σ_j dout_j out_j */
    k->fill(t->data, 0.0f, total);
    k->broadcast_acc(t->data, dot->data, st->rows, st->n, 1, -1.0f);  /* −Σ along the row */
    k->axpby(t->data, c->out->grad, 1.0f, 1.0f, total);              /* dout − Σ */
    k->binary(HRKD_BINARY_DIV, dx, t->data, st->denom, total, total, 1); /* dx += … / S */
    return 0;
}

static const hrkd_custom_op sum_normalize_op = {
    .name = "sum_normalize", .forward = sum_norm_forward, .backward = sum_norm_backward,
};

/* x [..., n], every element > 0 → x / Σ over the last axis */
static hrkd_tensor *sum_normalize(hrkd_ctx *ctx, hrkd_tensor *x)
{
    if (!x) return NULL;
    sum_norm_state st = {.n = x->shape[x->ndim - 1], .denom = NULL};
    st.rows = st.n ? hrkd_tensor_numel(x) / st.n : 0;
    return hrkd_custom(ctx, &sum_normalize_op, &x, 1, x->ndim, x->shape, &st, sizeof st);
}

static int cg_create(const hrkd_plugin_args *args, void **self, hrkd_error *err)
{
    float *s = malloc(sizeof *s);
    if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "example_custom_graph: out of memory");
    *s = args->config ? (float)hrkd_cfg_float(args->config, "sharpness") : 2.0f;
    *self = s;
    return 0;
}

static void cg_destroy(void *self) { free(self); }

/* agg [D, F] → r [D] */
static hrkd_tensor *cg_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg)
{
    float sharpness = *(const float *)self;
    hrkd_tensor *ms = hrkd_mean(ctx, hrkd_unary_op(ctx, agg, HRKD_UNARY_SQUARE, 0.0f), 1); /* [D] */
    /* rms^s = exp(s · ½ ln(mean square)); the clamp keeps ln finite for a zero prototype */
    hrkd_tensor *log_ms = hrkd_ln(ctx, hrkd_clamp(ctx, ms, 1e-12f, INFINITY));
    hrkd_tensor *score = hrkd_exp(ctx, hrkd_scale(ctx, log_ms, 0.5f * sharpness));
    return sum_normalize(ctx, score);
}

static const hrkd_graph_fns fns = {.forward = cg_forward};

static const hrkd_plugin_descriptor descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor),
    .kind = HRKD_KIND_RELATIONAL_GRAPH,
    .name = "example_custom_graph",
    .version = "1.0.0",
    .summary = "example: ratios ∝ RMS^sharpness of each prototype, normalised by a plugin-defined op",
    .params = params, .n_params = 1,
    .create = cg_create, .destroy = cg_destroy,
    .graph = &fns,
};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &descriptor; }
