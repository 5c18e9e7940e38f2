/* examples/gradcheck/plugin_gradcheck.c — check a relational.graph plugin's gradients
 * against central finite differences, out of tree, with the installed SDK only.
 *
 *   plugin_gradcheck PLUGIN.so [backend]      (backend: cpu (default) or cuda)
 *
 * Loads the plugin (dlopen + hrkd_plugin_entry), creates it with its declared defaults
 * (config = NULL) for D = 3 domains and F = 5 features, and for random prototypes
 * agg [D, F] computes L = Σ_d r_d · R_d with a fixed random R. The analytic dL/dagg comes
 * from hrkd_backward; the numeric one from (L(agg + ε) − L(agg − ε)) / 2ε, ε = 1e-2, for
 * every element. Passes when max |analytic − numeric| / max |numeric| < 2e-2 and the
 * ratios sum to 1. Prints one line per check; exit 0 pass, 1 fail, 2 usage or load error.
 * Copy it for another kind: only build() changes.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hrkd/plugin.h"

enum { D = 3, F = 5 };

static const hrkd_plugin_descriptor *g_desc;
static void *g_self;
static hrkd_backend *g_be;

/* r = the plugin's ratios for agg; L = Σ r·R; grad (when not NULL) = dL/dagg. NAN on error. */
static double eval(const float *agg, const float *R, float *grad, float *ratio_sum)
{
    hrkd_error err = {0};
    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    if (!ctx) { fprintf(stderr, "ctx: %s\n", err.msg); return NAN; }
    int64_t shape[2] = {D, F}, d = D;
    hrkd_tensor *a = hrkd_tensor_from_host(ctx, 2, shape, agg);
    if (grad) a = hrkd_tensor_set_requires_grad(ctx, a);
    hrkd_tensor *r = g_desc->graph->forward(g_self, ctx, 1, a);
    hrkd_tensor *loss = hrkd_sum(ctx, hrkd_mul(ctx, r, hrkd_tensor_from_host(ctx, 1, &d, R)), HRKD_ALL);
    double L = NAN;
    if (!hrkd_ctx_failed(ctx) && r->ndim == 1 && r->shape[0] == D) {
        float rh[D];
        hrkd_tensor_to_host(ctx, r, rh);
        L = 0;
        *ratio_sum = 0;
        for (int i = 0; i < D; i++) { L += (double)rh[i] * R[i]; *ratio_sum += rh[i]; }
        if (grad && (hrkd_backward(ctx, loss) != HRKD_STATUS_OK ||
                     hrkd_tensor_grad_to_host(ctx, a, grad) != 0))
            L = NAN;
    }
    if (hrkd_ctx_failed(ctx)) fprintf(stderr, "graph: %s\n", hrkd_ctx_error(ctx)->msg);
    else if (isnan(L)) fprintf(stderr, "graph: ratios are not [%d]\n", D);
    hrkd_ctx_destroy(ctx);
    return L;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s PLUGIN.so [backend]\n", argv[0]); return 2; }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    hrkd_plugin_entry_fn entry = h ? (hrkd_plugin_entry_fn)dlsym(h, HRKD_PLUGIN_ENTRY) : NULL;
    g_desc = entry ? entry() : NULL;
    if (!g_desc || g_desc->kind != HRKD_KIND_RELATIONAL_GRAPH || !g_desc->graph) {
        fprintf(stderr, "%s: not a relational.graph plugin (%s)\n", argv[1], h ? "" : dlerror());
        return 2;
    }
    hrkd_error err = {0};
    if (hrkd_backend_load(argc > 2 ? argv[2] : "cpu", 1, &g_be, &err) != HRKD_STATUS_OK) {
        fprintf(stderr, "backend: %s\n", err.msg);
        return 2;
    }
    hrkd_params *p = hrkd_params_create(g_be, "relational");
    hrkd_plugin_args args = {.struct_size = sizeof args, .config = NULL, .params = p,
                             .n_domains = D, .n_student_layers = 2, .n_teacher_layers = 2,
                             .feature_dim = F, .seed = 1};
    if (g_desc->create(&args, &g_self, &err) != 0 ||
        hrkd_params_alloc(p, 1, 0, &err) != HRKD_STATUS_OK) {
        fprintf(stderr, "create: %s\n", err.msg);
        return 2;
    }
    for (int i = 0; i < hrkd_params_count(p); i++) hrkd_params_init_normal(p, i, 0.0f, 0.3f, 7);

    float agg[D * F], R[D], grad[D * F];
    uint64_t s = 12345;
    for (int i = 0; i < D * F + D; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        float v = (float)((s >> 40) / 16777216.0) * 2.0f - 1.0f;
        if (i < D * F) agg[i] = v; else R[i - D * F] = v;
    }
    float sum = 0;
    if (isnan(eval(agg, R, grad, &sum))) return 1;
    const float eps = 1e-2f;
    double max_num = 0, max_diff = 0;
    for (int i = 0; i < D * F; i++) {
        float keep = agg[i], unused;
        agg[i] = keep + eps;
        double lp = eval(agg, R, NULL, &unused);
        agg[i] = keep - eps;
        double lm = eval(agg, R, NULL, &unused);
        agg[i] = keep;
        double num = (lp - lm) / (2.0 * eps);
        if (fabs(num) > max_num) max_num = fabs(num);
        if (fabs(num - grad[i]) > max_diff) max_diff = fabs(num - grad[i]);
    }
    double rel = max_diff / (max_num > 1e-3 ? max_num : 1e-3);
    int ok_grad = rel < 2e-2 && max_num > 0, ok_sum = fabsf(sum - 1.0f) < 1e-5f;
    printf("%s %s: ratios sum to %.7f\n", ok_sum ? "ok  " : "FAIL", g_desc->name, (double)sum);
    printf("%s %s: d ratios / d prototypes vs finite differences: relative error %.3g "
           "(max |numeric| %.3g, %d elements)\n", ok_grad ? "ok  " : "FAIL", g_desc->name, rel,
           max_num, D * F);
    g_desc->destroy(g_self);
    hrkd_params_destroy(p);
    hrkd_backend_unload(g_be);
    return ok_grad && ok_sum ? 0 : 1;
}
