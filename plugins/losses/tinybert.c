/* plugins/losses/tinybert.c — TinyBERT-KD per-layer terms as the HRKD reference computes them
 * (cheneydon/hrkd finetune_multi_domain.py, calc_total_losses; paper Eq. 1–4):
 *
 *   layer 0:       MSE(H^T_0, H^S_0)                          embedding term (Eq. 1)
 *   layer m >= 1:  MSE(z(A^T_m), z(A^S_m)) + MSE(H^T_m, H^S_m)  attention (Eq. 3) + hidden (Eq. 4)
 *   prediction:    −Σ_c softmax(z^T/t)_c log_softmax(z^S/t)_c, averaged      (Eq. 2)
 *
 * A are pre-softmax attention scores [B, heads, T, T] that carry the additive padding mask
 * (−10000); z(·) sets every entry <= `attention_threshold` (−100) to 0 in both tensors so
 * padded positions add nothing but their zeros to the mean, which runs over all B·heads·T·T
 * entries (= Eq. 3's 1/h Σ_i MSE_i). The student hidden states arrive already fit-projected
 * to the teacher width (W^embd, W^hidn_m of Eq. 1 and 4 are the host's). The reference
 * averages the soft cross-entropy over B·C (`soft_ce_mean = batch_classes`); `batch` averages
 * over the batch only, the usual KD form. The temperature t is the host's [distill] value
 * (hrkd_kd_inputs.temperature; 1 when absent). */
#include "hrkd/plugin.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct tinybert {
    float threshold;        /* scores <= threshold are zeroed before the attention MSE */
    int   mean_over_classes;
} tinybert;

static const hrkd_plugin_param tb_params[] = {
    {"soft_ce_mean", HRKD_CFG_ENUM, "batch_classes", 0, -1, "batch|batch_classes",
     "average of the soft cross-entropy: over B·C (the reference's .mean()) or over B"},
    {"attention_threshold", HRKD_CFG_FLOAT, "-100", 0, -1, NULL,
     "attention scores <= this (masked positions) are set to 0 in both tensors"},
};

static int tb_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    tinybert *s = malloc(sizeof *s);
    if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "loss plugin 'tinybert': out of memory");
    s->threshold = -100.0f;
    s->mean_over_classes = 1;
    if (args->config) {
        s->threshold = (float)hrkd_cfg_float(args->config, "attention_threshold");
        s->mean_over_classes = strcmp(hrkd_cfg_str(args->config, "soft_ce_mean"), "batch") != 0;
    }
    *out = s;
    return 0;
}

static void tb_destroy(void *self) { free(self); }

static int tb_compute(void *self, hrkd_ctx *ctx, const hrkd_kd_inputs *in, hrkd_tensor **layer_terms,
                      hrkd_tensor **pred_term)
{
    tinybert *s = self;
    if (hrkd_ctx_failed(ctx)) return -1;
    if (!in || in->struct_size < offsetof(hrkd_kd_inputs, labels) + sizeof in->labels ||
        in->n_student_layers < 0 || !in->student_hidden || !in->teacher_hidden ||
        (in->n_student_layers > 0 && (!in->student_attn || !in->teacher_attn))) {
        hrkd_ctx_fail(ctx, "tinybert: incomplete distillation inputs");
        return -1;
    }
    float t = 1.0f;
    if (in->struct_size >= offsetof(hrkd_kd_inputs, temperature) + sizeof in->temperature &&
        in->temperature > 0.0f)
        t = in->temperature;
    const int M = in->n_student_layers;
    layer_terms[0] = hrkd_mse(ctx, in->teacher_hidden[0], in->student_hidden[0]);
    for (int m = 1; m <= M; m++) {
        hrkd_tensor *at = hrkd_unary_op(ctx, in->teacher_attn[m], HRKD_UNARY_ZERO_BELOW, s->threshold);
        hrkd_tensor *as = hrkd_unary_op(ctx, in->student_attn[m], HRKD_UNARY_ZERO_BELOW, s->threshold);
        layer_terms[m] = hrkd_add(ctx, hrkd_mse(ctx, at, as),
                                  hrkd_mse(ctx, in->teacher_hidden[m], in->student_hidden[m]));
    }
    *pred_term = hrkd_soft_cross_entropy(ctx, in->student_logits, in->teacher_logits, t,
                                         s->mean_over_classes);
    return hrkd_ctx_failed(ctx) ? -1 : 0;
}

static const hrkd_loss_fns tb_fns = {.compute = tb_compute};

static const hrkd_plugin_descriptor tb_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_LOSS, .name = "tinybert", .version = "1.0.0",
    .summary = "TinyBERT-KD terms: embedding, masked attention-score and hidden MSE, soft cross-entropy",
    .params = tb_params, .n_params = (int)(sizeof tb_params / sizeof tb_params[0]),
    .create = tb_create, .destroy = tb_destroy, .loss = &tb_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &tb_descriptor; }
