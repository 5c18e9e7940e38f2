/* tests/test_relational.c — the relational plugins (plugins/relational/) loaded with dlopen.
 *
 *  1. Oracle: self_attention + compare_aggregate + gat with the weights of
 *     tests/fixtures/metagraph_small.fix (a PyTorch re-implementation of the reference's
 *     MetaGraph, tests/oracle/make_metagraph_fixture.py): the reference and aggregated
 *     prototypes, the similarity ratios, the domain ratios, and the gradients of
 *     Σ r·R + Σ sim·S with respect to the prototypes and to every weight, to 1e-4.
 *  2. Lazy initialisation: fresh weights get the reference's Xavier bounds; r sums to 1.
 *  3. Dropout of the graph acts only while the ctx is training.
 *  4. The ablations identity / mean / current / uniform: exact outputs and gradients.
 *  5. Errors: no parameter store, wrong shapes, layers out of range. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backend.h"
#include "common/fixture.h"
#include "common/plugin.h"
#include "common/test.h"
#include "config/cfg.h"
#include "hrkd/plugin.h"

#define FIXTURE "tests/fixtures/metagraph_small.fix"
#define TOL 1e-4

static hrkd_backend *g_be;
static double g_worst; /* largest relative error seen by expect() */

typedef struct plugin {
    void                         *so;
    const hrkd_plugin_descriptor *desc;
    void                         *self;
} plugin;

/* dlopen $HRKD_BUILD/lib/hrkd/plugins/<name>.so and check its descriptor. */
static int plugin_open(const char *name, hrkd_plugin_kind kind, plugin *pl)
{
    memset(pl, 0, sizeof *pl);
    const hrkd_plugin_descriptor *d = test_open_plugin(name, kind, &pl->so);
    if (!d) return -1;
    CHECK((kind == HRKD_KIND_RELATIONAL_REFERENCE) == (d->reference && d->reference->forward));
    CHECK((kind == HRKD_KIND_RELATIONAL_AGGREGATE) == (d->aggregate && d->aggregate->forward));
    CHECK((kind == HRKD_KIND_RELATIONAL_GRAPH) == (d->graph && d->graph->forward));
    pl->desc = d;
    return 0;
}

static void plugin_close(plugin *pl)
{
    if (pl->desc && pl->self) pl->desc->destroy(pl->self);
    if (pl->so) dlclose(pl->so);
    memset(pl, 0, sizeof *pl);
}

/* A config whose section `section` holds `ini` keys, bound to the plugin's declarations. */
static const hrkd_config_section *plugin_config(hrkd_config **cfg, const char *section,
                                                const char *keys, const plugin *pl)
{
    char text[512];
    snprintf(text, sizeof text, "[%s]\n%s", section, keys);
    hrkd_config_errors errs = {0};
    *cfg = hrkd_config_load_string(text, "test_relational.ini", &errs);
    const hrkd_config_section *s = *cfg ? hrkd_config_bind_plugin(*cfg, section, pl->desc, &errs) : NULL;
    for (int i = 0; i < errs.n; i++) fprintf(stderr, "config: %s\n", errs.msg[i]);
    hrkd_config_errors_free(&errs);
    CHECKF(s != NULL, "config section [%s] for %s", section, pl->desc->name);
    return s;
}

static int plugin_create(plugin *pl, const hrkd_config_section *cfg, hrkd_params *p, int D, int M,
                         int64_t F, uint64_t seed, hrkd_error *err)
{
    hrkd_plugin_args a = {.struct_size = sizeof a, .config = cfg, .params = p, .n_domains = D,
                          .n_student_layers = M, .n_teacher_layers = 2 * M, .feature_dim = F,
                          .seed = seed};
    return pl->desc->create(&a, &pl->self, err);
}

static hrkd_tensor *fx_tensor(hrkd_ctx *ctx, const fixture_tensor *t)
{
    return hrkd_tensor_from_host(ctx, t->ndim, t->shape, t->data);
}

/* Compare a tensor (or its gradient) with a fixture record. */
static void expect(hrkd_ctx *ctx, hrkd_tensor *t, int grad, const fixture *fx, const char *name)
{
    const fixture_tensor *want = fixture_need(fx, name);
    CHECKF(t != NULL, "%s: no tensor", name);
    if (!t) return;
    CHECKF(hrkd_tensor_numel(t) == want->numel, "%s: %lld elements, fixture %lld", name,
           (long long)hrkd_tensor_numel(t), (long long)want->numel);
    if (hrkd_tensor_numel(t) != want->numel) return;
    float *got = malloc((size_t)want->numel * sizeof *got);
    int rc = grad ? hrkd_tensor_grad_to_host(ctx, t, got) : hrkd_tensor_to_host(ctx, t, got);
    CHECKF(rc == 0, "%s: copy to host", name);
    double e = test_rel_err(got, want->data, (long)want->numel);
    CHECKF(e <= TOL, "%s: relative error %.3g", name, e);
    if (e > g_worst) g_worst = e;
    free(got);
}

/* ---- 1. oracle ---- */

static void test_oracle(void)
{
    fixture *fx = fixture_load(FIXTURE);
    CHECKF(fx != NULL, "%s", FIXTURE);
    if (!fx) return;
    const int32_t *cfgv = fixture_need(fx, "config")->data;
    const int D = cfgv[0], M = cfgv[1];
    const int64_t F = cfgv[2];
    char gat_keys[128];
    snprintf(gat_keys, sizeof gat_keys, "heads = %d\nhidden = %d\nalpha = %g\n", cfgv[3], cfgv[4],
             (double)*(const float *)fixture_need(fx, "alpha")->data);

    plugin ref, agg, graph;
    hrkd_config *gcfg = NULL;
    hrkd_error err = {0};
    if (plugin_open("self_attention", HRKD_KIND_RELATIONAL_REFERENCE, &ref) ||
        plugin_open("compare_aggregate", HRKD_KIND_RELATIONAL_AGGREGATE, &agg) ||
        plugin_open("gat", HRKD_KIND_RELATIONAL_GRAPH, &graph)) {
        fixture_free(fx);
        return;
    }
    hrkd_params *p = hrkd_params_create(g_be, "relational");
    const hrkd_config_section *gs = plugin_config(&gcfg, "relational.gat", gat_keys, &graph);
    CHECKF(plugin_create(&ref, NULL, p, D, M, F, 7, &err) == 0, "%s", err.msg);
    CHECKF(plugin_create(&agg, NULL, p, D, M, F, 7, &err) == 0, "%s", err.msg);
    CHECKF(gs && plugin_create(&graph, gs, p, D, M, F, 7, &err) == 0, "%s", err.msg);
    CHECK(hrkd_params_alloc(p, 1, 0, &err) == HRKD_STATUS_OK);

    /* every declared weight has a fixture record of its shape, and the fixture has no other */
    int n_weights = 0;
    for (int i = 0; i < hrkd_params_count(p); i++) {
        const hrkd_param_info *pi = hrkd_params_info(p, i);
        const fixture_tensor *w = fixture_get(fx, pi->name);
        CHECKF(w && w->numel == pi->numel && w->ndim == pi->ndim &&
               memcmp(w->shape, pi->shape, (size_t)pi->ndim * sizeof(int64_t)) == 0,
               "parameter %s has no matching fixture record", pi->name);
        if (w && w->numel == pi->numel) hrkd_params_write(p, i, w->data);
    }
    for (int i = 0; i < fx->n; i++)
        if (strncmp(fx->t[i].name, "self_attention.", 15) == 0 ||
            strncmp(fx->t[i].name, "compare_aggregate.", 18) == 0 ||
            strncmp(fx->t[i].name, "gat.", 4) == 0) {
            n_weights++;
            CHECKF(hrkd_params_find(p, fx->t[i].name) >= 0, "fixture weight %s not declared",
                   fx->t[i].name);
        }
    CHECK(n_weights == hrkd_params_count(p));
    hrkd_params_zero_grad(p);

    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    hrkd_ctx_set_training(ctx, 0); /* the fixture has dropout off */
    hrkd_tensor *protos = hrkd_tensor_set_requires_grad(ctx, fx_tensor(ctx, fixture_need(fx, "protos")));
    hrkd_tensor *R = fx_tensor(ctx, fixture_need(fx, "R"));
    hrkd_tensor *loss = NULL;
    hrkd_tensor *refs[8], *aggs[8], *sims[8], *ratios[8];
    for (int m = 0; m <= M && m < 8; m++) {
        int64_t df[2] = {D, F};
        hrkd_tensor *layer = hrkd_reshape(ctx, hrkd_slice(ctx, protos, 0, m, 1), 2, df);
        hrkd_tensor *upto = hrkd_slice(ctx, protos, 0, 0, m + 1);
        refs[m] = ref.desc->reference->forward(ref.self, ctx, m, layer);
        aggs[m] = agg.desc->aggregate->forward(agg.self, ctx, m, upto, refs[m], &sims[m]);
        ratios[m] = graph.desc->graph->forward(graph.self, ctx, m, aggs[m]);
        char name[32];
        snprintf(name, sizeof name, "S.layer%d", m);
        hrkd_tensor *S = fx_tensor(ctx, fixture_need(fx, name));
        hrkd_tensor *term = hrkd_add(ctx, hrkd_sum(ctx, hrkd_mul(ctx, ratios[m], hrkd_reshape(ctx,
                                         hrkd_slice(ctx, R, 0, m, 1), 1, (int64_t[]){D})), HRKD_ALL),
                                     hrkd_sum(ctx, hrkd_mul(ctx, sims[m], S), HRKD_ALL));
        loss = loss ? hrkd_add(ctx, loss, term) : term;
    }
    CHECKF(!hrkd_ctx_failed(ctx), "forward: %s", hrkd_ctx_error(ctx)->msg);
    if (!hrkd_ctx_failed(ctx)) {
        for (int m = 0; m <= M && m < 8; m++) {
            char name[32];
            snprintf(name, sizeof name, "ref.layer%d", m);
            expect(ctx, refs[m], 0, fx, name);
            snprintf(name, sizeof name, "agg.layer%d", m);
            expect(ctx, aggs[m], 0, fx, name);
            snprintf(name, sizeof name, "sim.layer%d", m);
            expect(ctx, sims[m], 0, fx, name);
            snprintf(name, sizeof name, "ratio.layer%d", m);
            expect(ctx, ratios[m], 0, fx, name);
        }
        expect(ctx, loss, 0, fx, "loss");
        CHECK(hrkd_backward(ctx, loss) == HRKD_STATUS_OK);
        expect(ctx, protos, 1, fx, "grad.protos");
        for (int i = 0; i < hrkd_params_count(p); i++) {
            char name[128];
            snprintf(name, sizeof name, "grad.%s", hrkd_params_info(p, i)->name);
            expect(ctx, hrkd_params_tensor(p, i), 1, fx, name);
        }
        printf("oracle: %d weights, largest relative error %.2e (tolerance %.0e)\n",
               hrkd_params_count(p), g_worst, TOL);
    }
    hrkd_ctx_destroy(ctx);
    plugin_close(&ref);
    plugin_close(&agg);
    plugin_close(&graph);
    hrkd_params_destroy(p);
    hrkd_config_free(gcfg);
    fixture_free(fx);
}

/* ---- 2. lazy initialisation with the declared defaults ---- */

static double max_abs_param(hrkd_params *p, int i)
{
    const hrkd_param_info *pi = hrkd_params_info(p, i);
    float *h = malloc((size_t)pi->numel * sizeof *h);
    hrkd_params_read(p, i, h);
    double mx = 0;
    for (int64_t k = 0; k < pi->numel; k++) mx = fmax(mx, fabs(h[k]));
    free(h);
    return mx;
}

static void test_lazy_init(void)
{
    const int D = 4, M = 2;
    const int64_t F = 24;
    plugin ref, agg, graph;
    hrkd_error err = {0};
    if (plugin_open("self_attention", HRKD_KIND_RELATIONAL_REFERENCE, &ref) ||
        plugin_open("compare_aggregate", HRKD_KIND_RELATIONAL_AGGREGATE, &agg) ||
        plugin_open("gat", HRKD_KIND_RELATIONAL_GRAPH, &graph))
        return;
    hrkd_params *p = hrkd_params_create(g_be, "relational");
    CHECK(plugin_create(&ref, NULL, p, D, M, F, 11, &err) == 0);
    CHECK(plugin_create(&agg, NULL, p, D, M, F, 11, &err) == 0);
    CHECK(plugin_create(&graph, NULL, p, D, M, F, 11, &err) == 0);
    /* defaults: 8 heads of F, so 4 weights per layer of the graph */
    int hw = hrkd_params_find(p, "gat.layer1.heads.w"), ha = hrkd_params_find(p, "gat.layer1.heads.a");
    int ow = hrkd_params_find(p, "gat.layer1.out.w"), sa = hrkd_params_find(p, "self_attention.layer2.w");
    int ca = hrkd_params_find(p, "compare_aggregate.layer2.w");
    CHECK(hw >= 0 && ha >= 0 && ow >= 0 && sa >= 0 && ca >= 0);
    CHECK(hrkd_params_find(p, "self_attention.layer0.w") < 0); /* layer 0 has no weight */
    if (hw < 0 || ha < 0 || ow < 0 || sa < 0 || ca < 0) goto done;
    CHECK(hrkd_params_info(p, hw)->shape[0] == 8 && hrkd_params_info(p, hw)->shape[1] == F);
    CHECK(hrkd_params_alloc(p, 0, 0, &err) == HRKD_STATUS_OK);

    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    hrkd_ctx_set_training(ctx, 0);
    float *host = malloc((size_t)((M + 1) * D * F) * sizeof *host);
    for (int64_t i = 0; i < (M + 1) * D * F; i++) host[i] = (float)sin(0.37 * (double)i);
    int64_t shape[3] = {M + 1, D, F}, df[2] = {D, F};
    hrkd_tensor *protos = hrkd_tensor_from_host(ctx, 3, shape, host);
    for (int m = 0; m <= M; m++) {
        hrkd_tensor *layer = hrkd_reshape(ctx, hrkd_slice(ctx, protos, 0, m, 1), 2, df);
        hrkd_tensor *rp = ref.desc->reference->forward(ref.self, ctx, m, layer);
        hrkd_tensor *sim = NULL;
        hrkd_tensor *ap = agg.desc->aggregate->forward(agg.self, ctx, m,
                                                       hrkd_slice(ctx, protos, 0, 0, m + 1), rp, &sim);
        hrkd_tensor *r = graph.desc->graph->forward(graph.self, ctx, m, ap);
        CHECKF(r && sim && !hrkd_ctx_failed(ctx), "layer %d: %s", m, hrkd_ctx_error(ctx)->msg);
        if (!r || !sim) break;
        float rv[4], sv[4 * 3];
        hrkd_tensor_to_host(ctx, r, rv);
        hrkd_tensor_to_host(ctx, sim, sv);
        double rs = 0;
        for (int d = 0; d < D; d++) rs += rv[d];
        CHECKF(fabs(rs - 1.0) < 1e-5, "layer %d: ratios sum to %.7f", m, rs);
        for (int d = 0; d < D; d++) {
            double ss = 0;
            for (int j = 0; j <= m; j++) ss += sv[d * (m + 1) + j];
            CHECKF(fabs(ss - 1.0) < 1e-5, "layer %d domain %d: similarities sum to %.7f", m, d, ss);
        }
    }
    /* the reference's Xavier bounds (gain 1.414): per head for the graph, per tensor otherwise */
    struct { int idx; double bound; const char *what; } b[] = {
        {hw, 1.414 * sqrt(6.0 / (double)(F + F)), "gat heads W (F + F')"},
        {ha, 1.414 * sqrt(6.0 / (double)(2 * F + 1)), "gat heads a (2F' + 1)"},
        {ow, 1.414 * sqrt(6.0 / (double)(8 * F + 1)), "gat out W (K F' + 1)"},
        {sa, 1.414 * sqrt(6.0 / (double)(2 * F)), "self-attention W (2F)"},
        {ca, 1.414 * sqrt(6.0 / (double)(F * F + D * F)), "compare-aggregate W (F F + D F)"},
    };
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        double mx = max_abs_param(p, b[i].idx);
        CHECKF(mx <= b[i].bound * (1 + 1e-6) && mx >= 0.8 * b[i].bound, "%s: max |w| = %g, bound %g",
               b[i].what, mx, b[i].bound);
    }
    free(host);
    hrkd_ctx_destroy(ctx);
done:
    plugin_close(&ref);
    plugin_close(&agg);
    plugin_close(&graph);
    hrkd_params_destroy(p);
}

/* ---- 3. dropout only while training ---- */

static void ratios_of(hrkd_ctx *ctx, plugin *graph, hrkd_tensor *agg, int m, float *out)
{
    hrkd_tensor *r = graph->desc->graph->forward(graph->self, ctx, m, agg);
    CHECKF(r && !hrkd_ctx_failed(ctx), "gat forward: %s", hrkd_ctx_error(ctx)->msg);
    if (r) hrkd_tensor_to_host(ctx, r, out);
}

static void test_dropout(void)
{
    fixture *fx = fixture_load(FIXTURE);
    if (!fx) return;
    const int32_t *cfgv = fixture_need(fx, "config")->data;
    const int D = cfgv[0], M = cfgv[1];
    const int64_t F = cfgv[2];
    char keys[128];
    snprintf(keys, sizeof keys, "heads = %d\nhidden = %d\ndropout = 0.5\n", cfgv[3], cfgv[4]);
    plugin graph;
    hrkd_config *cfg = NULL;
    hrkd_error err = {0};
    if (plugin_open("gat", HRKD_KIND_RELATIONAL_GRAPH, &graph)) {
        fixture_free(fx);
        return;
    }
    hrkd_params *p = hrkd_params_create(g_be, "relational");
    const hrkd_config_section *s = plugin_config(&cfg, "relational.gat", keys, &graph);
    CHECK(s && plugin_create(&graph, s, p, D, M, F, 3, &err) == 0);
    CHECK(hrkd_params_alloc(p, 0, 0, &err) == HRKD_STATUS_OK);
    for (int i = 0; i < hrkd_params_count(p); i++) {
        const fixture_tensor *w = fixture_get(fx, hrkd_params_info(p, i)->name);
        if (w) hrkd_params_write(p, i, w->data);
    }
    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    hrkd_tensor *agg = fx_tensor(ctx, fixture_need(fx, "agg.layer1"));
    float eval1[16], eval2[16], train1[16], train2[16];
    hrkd_ctx_set_rng(ctx, 1234, 0);
    hrkd_ctx_set_training(ctx, 0);
    ratios_of(ctx, &graph, agg, 1, eval1);
    CHECK(hrkd_ctx_rng_counter(ctx) == 0); /* no dropout stream consumed outside training */
    ratios_of(ctx, &graph, agg, 1, eval2);
    CHECK(test_max_abs_diff(eval1, eval2, D) == 0.0);
    expect(ctx, graph.desc->graph->forward(graph.self, ctx, 1, agg), 0, fx, "ratio.layer1");

    hrkd_ctx_set_training(ctx, 1);
    ratios_of(ctx, &graph, agg, 1, train1);
    CHECK(hrkd_ctx_rng_counter(ctx) > 0);
    ratios_of(ctx, &graph, agg, 1, train2); /* the stream moved on: another mask */
    double s1 = 0, s2 = 0;
    for (int d = 0; d < D; d++) s1 += train1[d], s2 += train2[d];
    CHECKF(fabs(s1 - 1) < 1e-5 && fabs(s2 - 1) < 1e-5, "training ratios sum to %g and %g", s1, s2);
    CHECKF(test_max_abs_diff(train1, eval1, D) > 1e-4 || test_max_abs_diff(train2, eval1, D) > 1e-4,
           "dropout at 0.5 changed nothing");
    CHECK(test_max_abs_diff(train1, train2, D) > 0.0);
    /* same seed and counter: same mask */
    hrkd_ctx_set_rng(ctx, 1234, 0);
    float again[16];
    ratios_of(ctx, &graph, agg, 1, again);
    CHECK(test_max_abs_diff(again, train1, D) == 0.0);

    hrkd_ctx_destroy(ctx);
    plugin_close(&graph);
    hrkd_params_destroy(p);
    hrkd_config_free(cfg);
    fixture_free(fx);
}

/* ---- 4. ablations ---- */

static void test_ablations(void)
{
    const int D = 3, M = 3;
    const int64_t F = 5;
    plugin id, mean, cur, uni;
    hrkd_error err = {0};
    if (plugin_open("identity", HRKD_KIND_RELATIONAL_REFERENCE, &id) ||
        plugin_open("mean", HRKD_KIND_RELATIONAL_AGGREGATE, &mean) ||
        plugin_open("current", HRKD_KIND_RELATIONAL_AGGREGATE, &cur) ||
        plugin_open("uniform", HRKD_KIND_RELATIONAL_GRAPH, &uni))
        return;
    /* none of them needs a parameter store */
    CHECK(plugin_create(&id, NULL, NULL, D, M, F, 1, &err) == 0);
    CHECK(plugin_create(&mean, NULL, NULL, D, M, F, 1, &err) == 0);
    CHECK(plugin_create(&cur, NULL, NULL, D, M, F, 1, &err) == 0);
    CHECK(plugin_create(&uni, NULL, NULL, D, M, F, 1, &err) == 0);

    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    float h[4 * 3 * 5], got[4 * 3 * 5], sim[3 * 4];
    for (int i = 0; i < (M + 1) * D * (int)F; i++) h[i] = (float)cos(1.3 * i) * 2.0f;
    int64_t shape[3] = {M + 1, D, F}, df[2] = {D, F};
    for (int m = 0; m <= M; m++) {
        hrkd_ctx_reset(ctx);
        hrkd_tensor *protos = hrkd_tensor_set_requires_grad(ctx, hrkd_tensor_from_host(ctx, 3, shape, h));
        hrkd_tensor *layer = hrkd_reshape(ctx, hrkd_slice(ctx, protos, 0, m, 1), 2, df);
        hrkd_tensor *upto = hrkd_slice(ctx, protos, 0, 0, m + 1);

        hrkd_tensor *rp = id.desc->reference->forward(id.self, ctx, m, layer);
        CHECK(rp && hrkd_tensor_to_host(ctx, rp, got) == 0 &&
              memcmp(got, h + m * D * F, (size_t)(D * F) * sizeof *got) == 0);

        hrkd_tensor *s_mean = NULL, *s_cur = NULL;
        hrkd_tensor *ap_mean = mean.desc->aggregate->forward(mean.self, ctx, m, upto, rp, &s_mean);
        hrkd_tensor *ap_cur = cur.desc->aggregate->forward(cur.self, ctx, m, upto, rp, &s_cur);
        CHECKF(ap_mean && ap_cur && s_mean && s_cur, "layer %d: %s", m, hrkd_ctx_error(ctx)->msg);
        if (!ap_mean || !ap_cur || !s_mean || !s_cur) break;
        hrkd_tensor_to_host(ctx, ap_mean, got);
        double e = 0;
        for (int i = 0; i < D * F; i++) {
            double want = 0;
            for (int j = 0; j <= m; j++) want += h[j * D * F + i];
            e = fmax(e, fabs(got[i] - want / (m + 1)));
        }
        CHECKF(e < 1e-6, "mean layer %d: max error %g", m, e);
        CHECK(s_mean->ndim == 2 && s_mean->shape[0] == D && s_mean->shape[1] == m + 1);
        hrkd_tensor_to_host(ctx, s_mean, sim);
        for (int i = 0; i < D * (m + 1); i++) CHECK(fabsf(sim[i] - 1.0f / (float)(m + 1)) < 1e-7f);

        hrkd_tensor_to_host(ctx, ap_cur, got);
        CHECK(memcmp(got, h + m * D * F, (size_t)(D * F) * sizeof *got) == 0);
        CHECK(s_cur->ndim == 2 && s_cur->shape[0] == D && s_cur->shape[1] == m + 1);
        hrkd_tensor_to_host(ctx, s_cur, sim);
        for (int d = 0; d < D; d++)
            for (int j = 0; j <= m; j++) CHECK(sim[d * (m + 1) + j] == (j == m ? 1.0f : 0.0f));

        hrkd_tensor *r = uni.desc->graph->forward(uni.self, ctx, m, ap_mean);
        CHECK(r && r->ndim == 1 && r->shape[0] == D);
        if (r) {
            hrkd_tensor_to_host(ctx, r, got);
            for (int d = 0; d < D; d++) CHECK(fabsf(got[d] - 1.0f / (float)D) < 1e-7f);
        }

        /* gradients: d Σ(AP_mean + 2·AP_cur) / d h_j = 1/(m+1) (j <= m) + 2 (j = m) */
        hrkd_tensor *l = hrkd_add(ctx, hrkd_sum(ctx, ap_mean, HRKD_ALL),
                                  hrkd_scale(ctx, hrkd_sum(ctx, ap_cur, HRKD_ALL), 2.0f));
        CHECK(hrkd_backward(ctx, l) == HRKD_STATUS_OK);
        hrkd_tensor_grad_to_host(ctx, protos, got);
        e = 0;
        for (int j = 0; j <= M; j++)
            for (int i = 0; i < D * F; i++) {
                double want = (j <= m ? 1.0 / (m + 1) : 0.0) + (j == m ? 2.0 : 0.0);
                e = fmax(e, fabs(got[j * D * F + i] - want));
            }
        CHECKF(e < 1e-6, "ablation gradients at layer %d: max error %g", m, e);
    }
    hrkd_ctx_destroy(ctx);
    plugin_close(&id);
    plugin_close(&mean);
    plugin_close(&cur);
    plugin_close(&uni);
}

/* ---- 5. errors ---- */

static void test_errors(void)
{
    const char *weighted[3] = {"self_attention", "compare_aggregate", "gat"};
    const hrkd_plugin_kind kinds[3] = {HRKD_KIND_RELATIONAL_REFERENCE, HRKD_KIND_RELATIONAL_AGGREGATE,
                                       HRKD_KIND_RELATIONAL_GRAPH};
    for (int i = 0; i < 3; i++) {
        plugin pl;
        if (plugin_open(weighted[i], kinds[i], &pl)) continue;
        hrkd_error err = {0};
        CHECKF(plugin_create(&pl, NULL, NULL, 3, 2, 8, 1, &err) != 0 && pl.self == NULL &&
               strstr(err.msg, "parameter store") && strstr(err.msg, weighted[i]),
               "%s without a store: '%s'", weighted[i], err.msg);
        hrkd_error_clear(&err);
        hrkd_params *tmp = hrkd_params_create(g_be, "x");
        CHECK(plugin_create(&pl, NULL, tmp, 0, 2, 8, 1, &err) != 0); /* no domains */
        hrkd_params_destroy(tmp);
        plugin_close(&pl);
    }

    plugin ref, agg, graph;
    hrkd_error err = {0};
    if (plugin_open("self_attention", HRKD_KIND_RELATIONAL_REFERENCE, &ref) ||
        plugin_open("compare_aggregate", HRKD_KIND_RELATIONAL_AGGREGATE, &agg) ||
        plugin_open("gat", HRKD_KIND_RELATIONAL_GRAPH, &graph))
        return;
    hrkd_params *p = hrkd_params_create(g_be, "relational");
    CHECK(plugin_create(&ref, NULL, p, 3, 2, 8, 1, &err) == 0);
    CHECK(plugin_create(&agg, NULL, p, 3, 2, 8, 1, &err) == 0);
    CHECK(plugin_create(&graph, NULL, p, 3, 2, 8, 1, &err) == 0);
    /* a second instance on the same store collides on its parameter names */
    plugin dup;
    if (plugin_open("gat", HRKD_KIND_RELATIONAL_GRAPH, &dup) == 0) {
        CHECKF(plugin_create(&dup, NULL, p, 3, 2, 8, 1, &err) != 0 && strstr(err.msg, "gat.layer0"),
               "duplicate: '%s'", err.msg);
        plugin_close(&dup);
    }
    CHECK(hrkd_params_alloc(p, 0, 0, &err) == HRKD_STATUS_OK);
    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    int64_t bad_shape[2] = {3, 7}, good[2] = {3, 8}, upto[3] = {2, 3, 8};
    hrkd_tensor *bad = hrkd_tensor_zeros(ctx, 2, bad_shape);
    CHECK(ref.desc->reference->forward(ref.self, ctx, 1, bad) == NULL && hrkd_ctx_failed(ctx) &&
          strstr(hrkd_ctx_error(ctx)->msg, "self_attention"));
    hrkd_ctx_clear_error(ctx);
    CHECK(graph.desc->graph->forward(graph.self, ctx, 3, hrkd_tensor_zeros(ctx, 2, good)) == NULL &&
          strstr(hrkd_ctx_error(ctx)->msg, "outside 0..2"));
    hrkd_ctx_clear_error(ctx);
    hrkd_tensor *sim = (hrkd_tensor *)1;
    CHECK(agg.desc->aggregate->forward(agg.self, ctx, 2, hrkd_tensor_zeros(ctx, 3, upto),
                                       hrkd_tensor_zeros(ctx, 2, good), &sim) == NULL &&
          sim == NULL && strstr(hrkd_ctx_error(ctx)->msg, "compare_aggregate"));
    hrkd_ctx_clear_error(ctx);
    hrkd_ctx_destroy(ctx);
    plugin_close(&ref);
    plugin_close(&agg);
    plugin_close(&graph);
    hrkd_params_destroy(p);
}

int main(void)
{
    g_be = test_backend_open("cpu", 1);
    test_oracle();
    test_lazy_init();
    test_dropout();
    test_ablations();
    test_errors();
    hrkd_backend_unload(g_be);
    return test_finish("test_relational");
}
