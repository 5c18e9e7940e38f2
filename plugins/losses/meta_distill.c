/* plugins/losses/meta_distill.c — Meta-KD meta-distillation (Pan et al. 2020; released code,
 * alibaba/EasyTransfer scripts/metaKD), as a loss plugin of the host's distillation step.
 *
 * Domain-expertise instance weight (no gradient):
 *   g_i = 1 / (exp((1 − p_{i,y_i})²) + 1),  p = softmax(teacher logits)
 *   w_i = (1 + t_i) · g_i                   t_i: transferability (hrkd_kd_inputs.transferability;
 *                                           NULL: t_i = 0)
 * Stage 1 (hrkd_kd_inputs.stage = 1), per-instance terms weighted and averaged over the batch:
 *   layer 0:      mean_i w_i · MSE_i(H^T_0, H^S_0)
 *   layer m ≥ 1:  mean_i w_i · (MSE_i(z(A^T_m), z(A^S_m)) + MSE_i(H^T_m, H^S_m))
 *   layer M adds  γ2 · mean_i w_i · MSE_i(D^S, D^T)   (domain representations, when given)
 *   prediction:   0
 * Stage 2 (stage = 2): every layer term 0, prediction = soft cross-entropy
 *   −Σ_c softmax(z^T/t)_c log_softmax(z^S/t)_c averaged over the batch (soft_ce_mean).
 * Stage 0 (a host without the two-stage schedule): stage 1's layer terms and stage 2's
 * prediction term together.
 *
 * MSE_i averages over everything but the batch axis, so with w_i = 1 the layer terms equal the
 * TinyBERT-KD terms (plugins/losses/tinybert.c). z(·) zeroes attention scores <=
 * `attention_threshold` (the padding mask) in both tensors. The student hidden states (and
 * D^S) arrive fit-projected to the teacher width. Summing the layer terms gives the stage-1
 * loss mean_i w_i · (Σ_m hidden_i + Σ_m attention_i + γ2 · domain_i) of the reference. */
#include "hrkd/plugin.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct meta_distill {
    float gamma2, threshold;
    int   weighting, mean_over_classes;
} meta_distill;

static const hrkd_plugin_param md_params[] = {
    {"gamma2", HRKD_CFG_FLOAT, "0.5", 0.0, 1e6, NULL,
     "γ2: weight of the domain-representation MSE in stage 1"},
    {"instance_weights", HRKD_CFG_BOOL, "true", 0, -1, NULL,
     "weight stage-1 terms by w_i = (1 + t_i)·g_i (false: w_i = 1)"},
    {"attention_threshold", HRKD_CFG_FLOAT, "-100", 0, -1, NULL,
     "attention scores <= this (masked positions) are set to 0 in both tensors"},
    {"soft_ce_mean", HRKD_CFG_ENUM, "batch", 0, -1, "batch|batch_classes",
     "stage-2 soft cross-entropy averaged over B (usual KD) or over B·C"},
};

static int md_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    meta_distill *s = malloc(sizeof *s);
    if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "loss plugin 'meta_distill': out of memory");
    *s = (meta_distill){.gamma2 = 0.5f, .threshold = -100.0f, .weighting = 1, .mean_over_classes = 0};
    if (args->config) {
        s->gamma2 = (float)hrkd_cfg_float(args->config, "gamma2");
        s->weighting = hrkd_cfg_bool(args->config, "instance_weights");
        s->threshold = (float)hrkd_cfg_float(args->config, "attention_threshold");
        s->mean_over_classes = strcmp(hrkd_cfg_str(args->config, "soft_ce_mean"), "batch") != 0;
    }
    *out = s;
    return 0;
}

static void md_destroy(void *self) { free(self); }

/* MSE per instance: a, b [B, ...] → [B] */
static hrkd_tensor *inst_mse(hrkd_ctx *ctx, hrkd_tensor *a, hrkd_tensor *b)
{
    hrkd_tensor *d = hrkd_sub(ctx, a, b);
    if (!d) return NULL;
    int64_t shape[2] = {d->shape[0], hrkd_tensor_numel(d) / d->shape[0]};
    return hrkd_mean(ctx, hrkd_reshape(ctx, hrkd_mul(ctx, d, d), 2, shape), 1);
}

/* w [B] from the teacher logits, labels and t (host arithmetic: the weights are constants) */
static hrkd_tensor *instance_weights(meta_distill *s, hrkd_ctx *ctx, const hrkd_kd_inputs *in,
                                     hrkd_tensor *t)
{
    int64_t B = in->teacher_logits->shape[0], C = in->teacher_logits->shape[1];
    float *z = malloc((size_t)(B * C + 2 * B) * sizeof *z);
    if (!z) return hrkd_ctx_fail(ctx, "meta_distill: out of memory");
    float *tv = z + B * C, *w = tv + B;
    int32_t *y = malloc((size_t)B * sizeof *y);
    hrkd_tensor *out = NULL;
    if (y && hrkd_tensor_to_host(ctx, in->teacher_logits, z) == 0 &&
        hrkd_tensor_to_host(ctx, in->labels, (float *)(void *)y) == 0 &&
        (!t || hrkd_tensor_to_host(ctx, t, tv) == 0)) {
        for (int64_t i = 0; i < B; i++) {
            if (!s->weighting) { w[i] = 1.0f; continue; }
            const float *r = z + i * C;
            double mx = r[0], sum = 0;
            for (int64_t c = 1; c < C; c++) mx = r[c] > mx ? r[c] : mx;
            for (int64_t c = 0; c < C; c++) sum += exp((double)r[c] - mx);
            double p = (y[i] >= 0 && y[i] < C) ? exp((double)r[y[i]] - mx) / sum : 0.0;
            double g = 1.0 / (exp((1.0 - p) * (1.0 - p)) + 1.0);
            w[i] = (float)((1.0 + (t ? (double)tv[i] : 0.0)) * g);
        }
        out = hrkd_tensor_from_host(ctx, 1, &B, w);
    } else {
        hrkd_ctx_fail(ctx, "meta_distill: cannot read the teacher logits / labels / transferability");
    }
    free(y);
    free(z);
    return out;
}

static hrkd_tensor *weighted_mean(hrkd_ctx *ctx, hrkd_tensor *w, hrkd_tensor *per)
{
    return hrkd_mean(ctx, hrkd_mul(ctx, per, w), HRKD_ALL);
}

static int md_compute(void *self, hrkd_ctx *ctx, const hrkd_kd_inputs *in, hrkd_tensor **layer_terms,
                      hrkd_tensor **pred_term)
{
    meta_distill *s = self;
    if (hrkd_ctx_failed(ctx)) return -1;
    if (!in || in->struct_size < offsetof(hrkd_kd_inputs, labels) + sizeof in->labels ||
        in->n_student_layers < 0 || !in->student_hidden || !in->teacher_hidden ||
        !in->teacher_logits || !in->student_logits || !in->labels ||
        (in->n_student_layers > 0 && (!in->student_attn || !in->teacher_attn))) {
        hrkd_ctx_fail(ctx, "meta_distill: incomplete distillation inputs");
        return -1;
    }
    /* ABI 1.1 fields: a 1.0 host passes none of them (stage 0, no t, no domain terms) */
    const int v11 = in->struct_size >= offsetof(hrkd_kd_inputs, teacher_domain_repr) +
                                           sizeof in->teacher_domain_repr;
    int stage = v11 ? in->stage : 0;
    if (stage < 0 || stage > 2) {
        hrkd_ctx_fail(ctx, "meta_distill: stage %d (expected 0, 1 or 2)", stage);
        return -1;
    }
    hrkd_tensor *t = v11 ? in->transferability : NULL;
    float temp = 1.0f;
    if (in->struct_size >= offsetof(hrkd_kd_inputs, temperature) + sizeof in->temperature &&
        in->temperature > 0.0f)
        temp = in->temperature;
    const int M = in->n_student_layers;
    const int64_t one = 1;
    if (stage == 2) {
        for (int m = 0; m <= M; m++) layer_terms[m] = hrkd_tensor_zeros(ctx, 1, &one);
    } else {
        hrkd_tensor *w = instance_weights(s, ctx, in, t);
        layer_terms[0] = weighted_mean(ctx, w, inst_mse(ctx, in->teacher_hidden[0], in->student_hidden[0]));
        for (int m = 1; m <= M; m++) {
            hrkd_tensor *at = hrkd_unary_op(ctx, in->teacher_attn[m], HRKD_UNARY_ZERO_BELOW, s->threshold);
            hrkd_tensor *as = hrkd_unary_op(ctx, in->student_attn[m], HRKD_UNARY_ZERO_BELOW, s->threshold);
            hrkd_tensor *per = hrkd_add(ctx, inst_mse(ctx, at, as),
                                        inst_mse(ctx, in->teacher_hidden[m], in->student_hidden[m]));
            layer_terms[m] = weighted_mean(ctx, w, per);
        }
        if (v11 && in->student_domain_repr && in->teacher_domain_repr && s->gamma2 != 0.0f) {
            hrkd_tensor *dom = weighted_mean(ctx, w, inst_mse(ctx, in->teacher_domain_repr,
                                                              in->student_domain_repr));
            layer_terms[M] = hrkd_add(ctx, layer_terms[M], hrkd_scale(ctx, dom, s->gamma2));
        }
    }
    if (stage == 1)
        *pred_term = hrkd_tensor_zeros(ctx, 1, &one);
    else
        *pred_term = hrkd_soft_cross_entropy(ctx, in->student_logits, in->teacher_logits, temp,
                                             s->mean_over_classes);
    return hrkd_ctx_failed(ctx) ? -1 : 0;
}

static const hrkd_loss_fns md_fns = {.compute = md_compute};

static const hrkd_plugin_descriptor md_descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = 1,
    .struct_size = sizeof(hrkd_plugin_descriptor), .kind = HRKD_KIND_LOSS, .name = "meta_distill",
    .version = "1.0.0",
    .summary = "Meta-KD meta-distillation: (1+t_i)·g_i-weighted layer and domain terms, then soft CE",
    .params = md_params, .n_params = (int)(sizeof md_params / sizeof md_params[0]),
    .create = md_create, .destroy = md_destroy, .loss = &md_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &md_descriptor; }
