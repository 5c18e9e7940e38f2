/* examples/plugins/loss_mse/loss_mse.c — a minimal plugin of kind "loss".
 *
 * What a loss plugin does: for one domain's batch it returns one term per student layer
 * (m = 0: the embedding output, m >= 1: transformer layer m) and one prediction term. The
 * host weights and sums them (Eq. 17 of the HRKD paper) and runs backward: because every term
 * here is built from SDK ops (hrkd/tensor.h), gradients reach the student tensors in `in`
 * without this file computing a single derivative.
 *
 * This example: term m = hidden_weight · MSE(student_hidden[m], teacher_hidden[m]) (plus the
 * attention-score MSE for m >= 1 when use_attention is on); prediction term = soft
 * cross-entropy at the configured temperature. INI section: [loss.example_loss].
 */
#include <stdlib.h>

#include "hrkd/plugin.h"

/* The parameters are the schema of [loss.example_loss]: the host validates the INI against
 * them (type, default, range) before create() runs, and fills in the defaults. */
static const hrkd_plugin_param params[] = {
    {"hidden_weight", HRKD_CFG_FLOAT, "1.0", 0.0, 1000.0, NULL, "scale of every layer term"},
    {"use_attention", HRKD_CFG_BOOL, "true", 1, 0, NULL, "add the attention-score MSE for m >= 1"},
    {"temperature", HRKD_CFG_FLOAT, "1.0", 0.01, 100.0, NULL, "soft cross-entropy temperature"},
};

typedef struct example_loss {
    float hidden_weight, temperature;
    int   use_attention;
} example_loss;

static int loss_create(const hrkd_plugin_args *args, void **self, hrkd_error *err)
{
    example_loss *s = calloc(1, sizeof *s);
    if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "example_loss: out of memory");
    s->hidden_weight = 1.0f;
    s->temperature = 1.0f;
    s->use_attention = 1;
    if (args->config) { /* NULL means "all defaults" (tests, tools) */
        s->hidden_weight = (float)hrkd_cfg_float(args->config, "hidden_weight");
        s->use_attention = hrkd_cfg_bool(args->config, "use_attention");
        s->temperature = (float)hrkd_cfg_float(args->config, "temperature");
    }
    *self = s;
    return 0;
}

static void loss_destroy(void *self) { free(self); }

static int loss_compute(void *self, hrkd_ctx *ctx, const hrkd_kd_inputs *in, hrkd_tensor **layer_terms,
                        hrkd_tensor **pred_term)
{
    example_loss *s = self;
    for (int m = 0; m <= in->n_student_layers; m++) {
        hrkd_tensor *t = hrkd_mse(ctx, in->student_hidden[m], in->teacher_hidden[m]);
        if (m > 0 && s->use_attention)
            t = hrkd_add(ctx, t, hrkd_mse(ctx, in->student_attn[m], in->teacher_attn[m]));
        layer_terms[m] = hrkd_scale(ctx, t, s->hidden_weight);
    }
    *pred_term = hrkd_soft_cross_entropy(ctx, in->student_logits, in->teacher_logits, s->temperature, 0);
    /* An op that fails records its error in ctx and returns NULL: report it, do not crash. */
    return hrkd_ctx_failed(ctx) ? 1 : 0;
}

static const hrkd_loss_fns fns = {.compute = loss_compute};

static const hrkd_plugin_descriptor descriptor = {
    .magic = HRKD_PLUGIN_MAGIC,
    .abi_major = HRKD_PLUGIN_ABI_MAJOR,
    .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor),
    .kind = HRKD_KIND_LOSS,
    .name = "example_loss",
    .version = "1.0.0",
    .summary = "example: per-layer hidden (+attention) MSE and soft cross-entropy",
    .params = params,
    .n_params = (int)(sizeof params / sizeof params[0]),
    .create = loss_create,
    .destroy = loss_destroy,
    .loss = &fns,
};

/* The one exported symbol (everything else is hidden by -fvisibility=hidden). */
HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &descriptor; }
