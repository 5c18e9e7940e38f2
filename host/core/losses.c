/* host/core/losses.c — loss builders: mean squared error, cross-entropy on hard labels
 * (log-softmax + NLL) and on a teacher's soft labels at a temperature. */
#include "core/internal.h"

#include <string.h>

#define SHAPE(t, buf) hrkd_shape_str((t), (buf), sizeof(buf))

hrkd_tensor *hrkd_mse(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b)
{
    if (hrkd_op_bad(ctx, a, "mse") || hrkd_op_bad(ctx, b, "mse") || !hrkd_op_need_f32(ctx, a, "mse") ||
        !hrkd_op_need_f32(ctx, b, "mse"))
        return NULL;
    char s1[64], s2[64];
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof(int64_t)))
        return hrkd_ctx_fail(ctx, "mse: shapes %s and %s differ", SHAPE(a, s1), SHAPE(b, s2));
    a = hrkd_dense(ctx, a);
    b = hrkd_dense(ctx, b);
    int64_t one = 1;
    hrkd_tensor *out = (a && b) ? hrkd_tensor_new(ctx, 1, &one) : NULL;
    if (!out) return NULL;
    ctx->k->mse_fwd(out->data, a->data, b->data, hrkd_tensor_numel(a));
    hrkd_tensor *in[2] = {a, b};
    hrkd_op_record(ctx, HRKD_OP_MSE, out, in, 2);
    return out;
}

static hrkd_tensor *nll(hrkd_ctx *ctx, hrkd_tensor *logp, hrkd_tensor *labels)
{
    int64_t one = 1, rows = logp->shape[0], C = logp->shape[1];
    hrkd_tensor *out = hrkd_tensor_new(ctx, 1, &one);
    if (!out) return NULL;
    ctx->k->nll_fwd(out->data, logp->data, labels->data, rows, C);
    hrkd_node *n = hrkd_op_record(ctx, HRKD_OP_NLL, out, &logp, 1);
    if (n) { n->in[1] = labels; n->i[0] = rows; n->i[1] = C; }
    return out;
}

hrkd_tensor *hrkd_cross_entropy(hrkd_ctx *ctx, hrkd_tensor *logits, hrkd_tensor *labels)
{
    if (hrkd_op_bad(ctx, logits, "cross_entropy") || hrkd_op_bad(ctx, labels, "cross_entropy")) return NULL;
    char s1[64], s2[64];
    if (logits->ndim != 2 || labels->ndim != 1 || labels->dtype != HRKD_I32 ||
        labels->shape[0] != logits->shape[0] || !hrkd_tensor_is_contiguous(labels))
        return hrkd_ctx_fail(ctx, "cross_entropy: logits %s (expected [B, C]) and int32 labels "
                             "%s (expected [B])", SHAPE(logits, s1), SHAPE(labels, s2));
    int64_t n = labels->shape[0], C = logits->shape[1];
    const int32_t *h = hrkd_op_ids_to_host(ctx, labels, n, "cross_entropy");
    if (!h) return NULL;
    for (int64_t i = 0; i < n; i++)
        if (h[i] < -1 || h[i] >= C)
            return hrkd_ctx_fail(ctx, "cross_entropy: label %d at row %lld outside [0, %lld)", h[i],
                                 (long long)i, (long long)C);
    hrkd_tensor *logp = hrkd_log_softmax(ctx, logits);
    return logp ? nll(ctx, logp, labels) : NULL;
}

hrkd_tensor *hrkd_soft_cross_entropy(hrkd_ctx *ctx, hrkd_tensor *student, hrkd_tensor *teacher,
                                     float temperature, int mean_over_classes)
{
    if (hrkd_op_bad(ctx, student, "soft_cross_entropy") || hrkd_op_bad(ctx, teacher, "soft_cross_entropy"))
        return NULL;
    char s1[64], s2[64];
    if (student->ndim != 2 || teacher->ndim != 2 || student->shape[0] != teacher->shape[0] ||
        student->shape[1] != teacher->shape[1])
        return hrkd_ctx_fail(ctx, "soft_cross_entropy: student %s and teacher %s must both be "
                             "[B, C]", SHAPE(student, s1), SHAPE(teacher, s2));
    if (!(temperature > 0.0f))
        return hrkd_ctx_fail(ctx, "soft_cross_entropy: temperature %g must be > 0", (double)temperature);
    float inv_t = 1.0f / temperature;
    hrkd_tensor *pt = hrkd_softmax(ctx, hrkd_scale(ctx, hrkd_detach(ctx, teacher), inv_t), NULL);
    hrkd_tensor *ls = hrkd_log_softmax(ctx, hrkd_scale(ctx, student, inv_t));
    hrkd_tensor *s = hrkd_sum(ctx, hrkd_mul(ctx, ls, pt), HRKD_ALL);
    float denom = (float)student->shape[0] * (mean_over_classes ? (float)student->shape[1] : 1.0f);
    return hrkd_scale(ctx, s, -1.0f / denom);
}
