/* host/core/optim.c — AdamW with linear warmup then linear decay, and global-norm clipping
 * (the semantics of torch.optim.AdamW + transformers.get_linear_schedule_with_warmup +
 * torch.nn.utils.clip_grad_norm_). */
#include "core/internal.h"

#include <math.h>

hrkd_adamw_config hrkd_adamw_defaults(void)
{
    return (hrkd_adamw_config){.lr = 5e-5f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                               .weight_decay = 0.01f, .max_grad_norm = 1.0f,
                               .warmup_steps = 0, .total_steps = 0};
}

float hrkd_lr_at(const hrkd_adamw_config *cfg, int64_t step)
{
    double f;
    if (step < cfg->warmup_steps) f = (double)step / (double)(cfg->warmup_steps > 0 ? cfg->warmup_steps : 1);
    else if (cfg->total_steps <= 0) f = 1.0;
    else {
        double rest = (double)(cfg->total_steps - cfg->warmup_steps);
        f = rest > 0 ? (double)(cfg->total_steps - step) / rest : 0.0;
        if (f < 0) f = 0;
    }
    return (float)(cfg->lr * f);
}

hrkd_status hrkd_adamw_step(hrkd_params *const *stores, int n_stores, const hrkd_adamw_config *cfg,
                            int64_t *step, double *grad_norm, hrkd_error *err)
{
    double sq = 0.0;
    for (int s = 0; s < n_stores; s++) {
        hrkd_params *p = stores[s];
        float *g = hrkd_params_grad(p);
        if (!g || !hrkd_params_m(p))
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "adamw: model '%s' has no gradient or optimizer state",
                                  hrkd_params_model_name(p));
        sq += hrkd_params_backend(p)->k->sum_squares(g, hrkd_params_numel(p));
    }
    double norm = sqrt(sq);
    if (grad_norm) *grad_norm = norm;
    if (!isfinite(norm))
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "adamw: gradient norm is %g at step %lld (diverged)", norm,
                              (long long)*step);
    float scale = 1.0f;
    if (cfg->max_grad_norm > 0) {
        double coef = cfg->max_grad_norm / (norm + 1e-6);
        if (coef < 1.0) scale = (float)coef;
    }
    float lr = hrkd_lr_at(cfg, *step);
    double t = (double)(*step + 1);
    float bc1 = (float)(1.0 - pow(cfg->beta1, t));
    float bc2 = (float)(1.0 - pow(cfg->beta2, t));
    for (int s = 0; s < n_stores; s++) {
        hrkd_params *p = stores[s];
        const hrkd_kernels *k = hrkd_params_backend(p)->k;
        float *data = hrkd_params_data(p), *g = hrkd_params_grad(p);
        float *m = hrkd_params_m(p), *v = hrkd_params_v(p);
        for (int i = 0; i < hrkd_params_count(p); i++) {
            const hrkd_param_info *pi = hrkd_params_info(p, i);
            if (pi->flags & HRKD_PARAM_FROZEN) continue;
            float wd = (pi->flags & HRKD_PARAM_NO_DECAY) ? 0.0f : cfg->weight_decay;
            int64_t o = pi->offset;
            k->adamw(data + o, g + o, m + o, v + o, pi->numel, lr, cfg->beta1, cfg->beta2,
                     cfg->eps, wd, bc1, bc2, scale);
        }
    }
    (*step)++;
    return HRKD_STATUS_OK;
}
