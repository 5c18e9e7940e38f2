/* host/core/backward.c — reverse pass over the tape.
 *
 * Each case differentiates the forward line quoted in its comment. All gradient writes
 * accumulate (+=): a tensor feeding several consumers receives the sum of their gradients,
 * and views share their base's gradient storage. */
#include "core/internal.h"

#include <string.h>

static int64_t numel(const hrkd_tensor *t) { return hrkd_tensor_numel(t); }
static int wants(const hrkd_tensor *t) { return t && t->requires_grad && t->grad; }

/* dst += alpha·src for two tensors of the same shape and any strides */
static void acc_strided(hrkd_ctx *ctx, const hrkd_tensor *dst_t, float *dst,
                        const hrkd_tensor *src_t, const float *src, float alpha)
{
    int64_t sh[4], ds[4], ss[4], sh2[4];
    hrkd_to4(dst_t, sh, ds);
    hrkd_to4(src_t, sh2, ss);
    ctx->k->copy_strided(dst, ds, src, ss, sh, alpha, 1);
}

/* the gradients n's backward adds to, given out now (grad.c); −1 when out of memory */
static int inputs_grad(hrkd_ctx *ctx, hrkd_node *n)
{
    int cnt = n->op == HRKD_OP_CONCAT ? (int)n->i[0] : n->n_in;
    for (int i = 0; i < cnt; i++) {
        hrkd_tensor *x = n->op == HRKD_OP_CONCAT ? n->list[i] : n->in[i];
        if (x && hrkd_grad_get(ctx, x) != 0) return -1;
    }
    return 0;
}

void hrkd_backward_node(hrkd_ctx *ctx, hrkd_node *n)
{
    if (inputs_grad(ctx, n) != 0) return;
    const hrkd_kernels *k = ctx->k;
    hrkd_tensor *out = n->out, *x = n->in[0];
    const float *dout = out->grad;
    switch (n->op) {
    case HRKD_OP_CONTIGUOUS:
        /* out = copy(x) */
        if (wants(x)) acc_strided(ctx, x, x->grad, out, dout, 1.0f);
        break;

    case HRKD_OP_MATMUL: {
        /* out = alpha · op(A) · op(B) */
        hrkd_tensor *A = n->in[0], *B = n->in[1];
        int ta = (int)n->i[0], tb = (int)n->i[1];
        float alpha = n->f[0];
        if (wants(A)) {
            if (!ta) /* dA = alpha · dOut · op(B)ᵀ */
                hrkd_gemm_tensors(ctx, out, dout, 0, B, B->data, !tb, A, A->grad, alpha, 1.0f);
            else     /* A stored [k, m]: dA = alpha · op(B) · dOutᵀ */
                hrkd_gemm_tensors(ctx, B, B->data, tb, out, dout, 1, A, A->grad, alpha, 1.0f);
        }
        if (wants(B)) {
            if (!tb) /* dB = alpha · op(A)ᵀ · dOut */
                hrkd_gemm_tensors(ctx, A, A->data, !ta, out, dout, 0, B, B->grad, alpha, 1.0f);
            else     /* B stored [n, k]: dB = alpha · dOutᵀ · op(A) */
                hrkd_gemm_tensors(ctx, out, dout, 1, A, A->data, ta, B, B->grad, alpha, 1.0f);
        }
        break;
    }

    case HRKD_OP_LINEAR: {
        /* out[r, o] = Σ_i x[r, i] · W[o, i] + b[o] */
        hrkd_tensor *W = n->in[1], *b = n->in[2];
        int64_t in_f = W->shape[1], out_f = W->shape[0], rows = numel(x) / in_f;
        if (wants(x)) { /* dx = dOut · W */
            hrkd_gemm g = {.trans_a = 0, .trans_b = 0, .m = rows, .n = in_f, .k = out_f,
                           .alpha = 1.0f, .beta = 1.0f, .batch = {1, 1}, .a = dout, .lda = out_f,
                           .b = W->data, .ldb = in_f, .c = x->grad, .ldc = in_f};
            k->gemm(&g);
        }
        if (wants(W)) { /* dW = dOutᵀ · x */
            hrkd_gemm g = {.trans_a = 1, .trans_b = 0, .m = out_f, .n = in_f, .k = rows,
                           .alpha = 1.0f, .beta = 1.0f, .batch = {1, 1}, .a = dout, .lda = out_f,
                           .b = x->data, .ldb = in_f, .c = W->grad, .ldc = in_f};
            k->gemm(&g);
        }
        if (wants(b)) k->reduce_sum(b->grad, dout, 1, rows, out_f, 1.0f, 1); /* db = Σ_r dOut */
        break;
    }

    case HRKD_OP_BINARY: {
        /* out = a ∘ b, b broadcast over a's leading dims (index i % nb) */
        hrkd_tensor *a = n->in[0], *b = n->in[1];
        int64_t na = numel(a), nb = numel(b);
        hrkd_binary op = (hrkd_binary)n->i[0];
        if (wants(a)) {
            if (op == HRKD_BINARY_MUL || op == HRKD_BINARY_DIV) /* da = dOut ∘ b (or / b) */
                k->binary(op, a->grad, dout, b->data, na, nb, 1);
            else k->axpby(a->grad, dout, 1.0f, 1.0f, na);
        }
        if (wants(b)) {
            float sign = op == HRKD_BINARY_SUB || op == HRKD_BINARY_DIV ? -1.0f : 1.0f;
            const float *g = dout;
            if (op == HRKD_BINARY_MUL || op == HRKD_BINARY_DIV) {
                /* mul: db = Σ dOut · a;  div: db = −Σ dOut · (a/b) / b = −Σ dOut · out / b */
                float *tmp = hrkd_ctx_alloc_f32(ctx, na);
                if (!tmp) return;
                if (op == HRKD_BINARY_MUL) {
                    k->binary(HRKD_BINARY_MUL, tmp, dout, a->data, na, na, 0);
                } else {
                    k->binary(HRKD_BINARY_MUL, tmp, dout, out->data, na, na, 0);
                    k->binary(HRKD_BINARY_DIV, tmp, tmp, b->data, na, nb, 0);
                }
                g = tmp;
            }
            k->reduce_sum(b->grad, g, 1, na / nb, nb, sign, 1);
        }
        break;
    }

    case HRKD_OP_SCALE: /* out = alpha · x */
        if (wants(x)) k->axpby(x->grad, dout, n->f[0], 1.0f, numel(x));
        break;

    case HRKD_OP_SUM: /* out[o, i] = alpha · Σ_j x[o, j, i] */
        if (wants(x)) k->broadcast_acc(x->grad, dout, n->i[0], n->i[1], n->i[2], n->f[0]);
        break;

    case HRKD_OP_REPEAT: /* out[o, j, i] = x[o, i] */
        if (wants(x)) k->reduce_sum(x->grad, dout, n->i[0], n->i[1], n->i[2], 1.0f, 1);
        break;

    case HRKD_OP_UNARY: /* out = f(x) */
        if (wants(x))
            k->unary_bwd((hrkd_unary)n->i[0], x->grad, dout, x->data, out->data, numel(x), n->f[0]);
        break;

    case HRKD_OP_LAYERNORM: { /* out = (x − mean)·rstd·w + b */
        hrkd_tensor *w = n->in[1], *b = n->in[2];
        if (wants(x) || wants(w) || wants(b))
            k->layernorm_bwd(wants(x) ? x->grad : NULL, wants(w) ? w->grad : NULL,
                             wants(b) ? b->grad : NULL, dout, x->data, w->data, n->saved[0],
                             n->saved[1], n->i[0], n->i[1]);
        break;
    }

    case HRKD_OP_SOFTMAX: /* out = softmax(x + mask) or log_softmax(x) */
        if (wants(x)) k->softmax_bwd(x->grad, dout, out->data, n->i[0], n->i[1], (int)n->i[2]);
        break;

    case HRKD_OP_DROPOUT: /* out = keep(seed, offset + i) ? x / (1 − p) : 0 */
        if (wants(x))
            k->dropout_bwd(x->grad, dout, numel(x), n->f[0], ctx->rng_seed, (uint64_t)n->i[0]);
        break;

    case HRKD_OP_EMBEDDING: /* out[i, :] = table[ids[i], :] */
        if (wants(x)) k->embedding_bwd(x->grad, dout, n->in[1]->data, n->i[0], n->i[1]);
        break;

    case HRKD_OP_CONCAT: { /* out = [x_0 | x_1 | ...] along axis */
        int cnt = (int)n->i[0], axis = (int)n->i[1];
        int64_t off = 0;
        for (int i = 0; i < cnt; i++) {
            hrkd_tensor *xi = n->list[i];
            if (wants(xi)) {
                hrkd_tensor view = *out;
                view.shape[axis] = xi->shape[axis];
                acc_strided(ctx, xi, xi->grad, &view, dout + off * out->stride[axis], 1.0f);
            }
            off += xi->shape[axis];
        }
        break;
    }

    case HRKD_OP_MSE: { /* out = mean((a − b)²) */
        hrkd_tensor *a = n->in[0], *b = n->in[1];
        k->mse_bwd(wants(a) ? a->grad : NULL, wants(b) ? b->grad : NULL, dout, a->data, b->data,
                   numel(a));
        break;
    }

    case HRKD_OP_NLL: /* out = −mean_r logp[r, label_r] */
        if (wants(x)) k->nll_bwd(x->grad, dout, n->in[1]->data, n->i[0], n->i[1]);
        break;

    case HRKD_OP_CUSTOM: { /* out = the plugin's forward(in) */
        /* the callback sees a NULL gradient for inputs that take none */
        hrkd_tensor *ins = hrkd_ctx_alloc_host(ctx, (size_t)n->n_in * sizeof *ins);
        hrkd_tensor **ptrs = hrkd_ctx_alloc_host(ctx, (size_t)n->n_in * sizeof *ptrs);
        if (!ins || !ptrs) return;
        for (int i = 0; i < n->n_in; i++) {
            ins[i] = *n->in[i];
            if (!wants(n->in[i])) ins[i].grad = NULL;
            ptrs[i] = &ins[i];
        }
        hrkd_custom_call call = {.ctx = ctx, .k = k, .in = ptrs, .n_in = n->n_in, .out = out,
                                 .state = n->state};
        if (n->custom->backward(&call) != 0 && !hrkd_ctx_failed(ctx))
            hrkd_ctx_fail(ctx, "custom op %s: backward failed", n->custom->name);
        break;
    }

    case HRKD_OP_COUNT:
        HRKD_ASSERT(!"bad op");
    }
}

hrkd_status hrkd_backward(hrkd_ctx *ctx, hrkd_tensor *loss)
{
    if (hrkd_ctx_failed(ctx)) return ctx->err.status;
    if (!loss) return hrkd_error_set(&ctx->err, HRKD_STATUS_INVALID, "backward: no loss tensor");
    if (numel(loss) != 1) {
        char s[64];
        return hrkd_error_set(&ctx->err, HRKD_STATUS_INVALID,
                              "backward: loss must have one element, got %s",
                              hrkd_shape_str(loss, s, sizeof s));
    }
    if (!loss->requires_grad)
        return hrkd_error_set(&ctx->err, HRKD_STATUS_INVALID,
                              "backward: the loss does not depend on anything that requires grad");
    if (hrkd_grad_get(ctx, loss) != 0) return ctx->err.status;
    ctx->k->fill(loss->grad, 1.0f, 1);
    /* a node whose output got no gradient (nothing after it used it) adds nothing: skipped;
     * one that ran gives its output's gradient back (grad.c) */
    for (int i = ctx->tape_len - 1; i >= 0; i--) {
        hrkd_node *n = ctx->tape[i];
        if (!n->out->grad) continue;
        hrkd_backward_node(ctx, n);
        if (hrkd_ctx_failed(ctx)) return ctx->err.status;
        hrkd_grad_release(ctx, n->out);
    }
    return HRKD_STATUS_OK;
}
