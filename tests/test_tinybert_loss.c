/* tests/test_tinybert_loss.c — the loss plugin plugins/losses/tinybert.c, loaded with dlopen,
 * against tests/fixtures/tinybert_loss_small.fix (the HRKD reference's loss computation in
 * PyTorch, tests/oracle/make_metagraph_fixture.py): the per-layer terms (embedding MSE,
 * masked attention-score MSE + hidden MSE), the soft cross-entropy for two temperatures and
 * both averaging modes, and the gradients of Σ_m w_m term_m + w_p pred with respect to every
 * student tensor, to 1e-4. Also: the temperature field absent from an older hrkd_kd_inputs
 * means t = 1, and bad inputs fail with a message instead of crashing. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backend.h"
#include "common/fixture.h"
#include "common/plugin.h"
#include "common/test.h"
#include "config/cfg.h"
#include "hrkd/plugin.h"

#define FIXTURE "tests/fixtures/tinybert_loss_small.fix"
#define TOL 1e-4

static hrkd_backend *g_be;
static double g_worst;

static void *create(const hrkd_plugin_descriptor *d, const char *soft_ce_mean, hrkd_config **cfg)
{
    const hrkd_config_section *s = NULL;
    *cfg = NULL;
    if (soft_ce_mean) {
        char text[128];
        snprintf(text, sizeof text, "[loss.tinybert]\nsoft_ce_mean = %s\n", soft_ce_mean);
        hrkd_config_errors errs = {0};
        *cfg = hrkd_config_load_string(text, "test_tinybert_loss.ini", &errs);
        s = *cfg ? hrkd_config_bind_plugin(*cfg, "loss.tinybert", d, &errs) : NULL;
        for (int i = 0; i < errs.n; i++) fprintf(stderr, "config: %s\n", errs.msg[i]);
        hrkd_config_errors_free(&errs);
        CHECKF(s != NULL, "[loss.tinybert] soft_ce_mean = %s", soft_ce_mean);
        if (!s) return NULL;
    }
    hrkd_plugin_args a = {.struct_size = sizeof a, .config = s, .n_domains = 1,
                          .n_student_layers = 2, .n_teacher_layers = 4, .feature_dim = 16};
    void *self = NULL;
    hrkd_error err = {0};
    CHECKF(d->create(&a, &self, &err) == 0, "create: %s", err.msg);
    return self;
}

static void expect(hrkd_ctx *ctx, hrkd_tensor *t, int grad, const fixture *fx, const char *name)
{
    const fixture_tensor *want = fixture_need(fx, name);
    CHECKF(t && hrkd_tensor_numel(t) == want->numel, "%s: missing or wrong size", name);
    if (!t || hrkd_tensor_numel(t) != want->numel) return;
    float *got = malloc((size_t)want->numel * sizeof *got);
    CHECK((grad ? hrkd_tensor_grad_to_host(ctx, t, got) : hrkd_tensor_to_host(ctx, t, got)) == 0);
    double e = test_rel_err(got, want->data, (long)want->numel);
    CHECKF(e <= TOL, "%s: relative error %.3g", name, e);
    if (e > g_worst) g_worst = e;
    free(got);
}

static void make_inputs(hrkd_ctx *ctx, const fixture *fx, int M, test_kd *x)
{
    test_kd_from_fixture(ctx, fx, "", M, x);
    int64_t B = x->sl->shape[0];
    int32_t lab[16] = {0};
    x->in.labels = hrkd_tensor_from_host_i32(ctx, 1, &B, lab);
}

/* One temperature / averaging mode against the fixture (tag "t<i>.<mode>"). */
static void run_case(const hrkd_plugin_descriptor *d, const fixture *fx, int ti, const char *mode,
                     int pass_mode, int old_struct)
{
    const int M = ((const int32_t *)fixture_need(fx, "config")->data)[5];
    hrkd_config *cfg = NULL;
    void *self = create(d, pass_mode ? mode : NULL, &cfg);
    if (!self) return;
    hrkd_error err = {0};
    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    test_kd x;
    make_inputs(ctx, fx, M, &x);
    char tag[64], name[96];
    snprintf(tag, sizeof tag, "t%d.%s", ti, mode);
    snprintf(name, sizeof name, "temperature.%s", tag);
    x.in.temperature = *(const float *)fixture_need(fx, name)->data;
    if (old_struct) { /* a host built before the field: whatever lies there is not read, t = 1 */
        x.in.struct_size = offsetof(hrkd_kd_inputs, temperature);
        x.in.temperature = 2.0f;
    }

    hrkd_tensor *terms[TEST_KD_MAXL] = {0}, *pred = NULL;
    int rc = d->loss->compute(self, ctx, &x.in, terms, &pred);
    CHECKF(rc == 0 && !hrkd_ctx_failed(ctx), "compute (%s): %s", tag, hrkd_ctx_error(ctx)->msg);
    if (rc == 0) {
        const float *wt = fixture_need(fx, "w_terms")->data, *wp = fixture_need(fx, "w_pred")->data;
        hrkd_tensor *loss = hrkd_scale(ctx, pred, wp[0]);
        for (int m = 0; m <= M; m++) {
            snprintf(name, sizeof name, "term.%d", m);
            expect(ctx, terms[m], 0, fx, name);
            CHECK(terms[m] && terms[m]->ndim == 1 && terms[m]->shape[0] == 1);
            loss = hrkd_add(ctx, loss, hrkd_scale(ctx, terms[m], wt[m]));
        }
        snprintf(name, sizeof name, "pred.%s", tag);
        expect(ctx, pred, 0, fx, name);
        snprintf(name, sizeof name, "loss.%s", tag);
        expect(ctx, loss, 0, fx, name);
        CHECK(hrkd_backward(ctx, loss) == HRKD_STATUS_OK);
        snprintf(name, sizeof name, "grad.student_logits.%s", tag);
        expect(ctx, x.sl, 1, fx, name);
        for (int m = 0; m <= M; m++) {
            snprintf(name, sizeof name, "grad.student_hidden.%d", m);
            expect(ctx, x.sh[m], 1, fx, name);
            if (m > 0) {
                snprintf(name, sizeof name, "grad.student_attn.%d", m);
                expect(ctx, x.sa[m], 1, fx, name);
            }
        }
    }
    hrkd_ctx_destroy(ctx);
    d->destroy(self);
    hrkd_config_free(cfg);
}

static void test_bad_inputs(const hrkd_plugin_descriptor *d, const fixture *fx)
{
    hrkd_config *cfg = NULL;
    void *self = create(d, NULL, &cfg);
    if (!self) return;
    hrkd_error err = {0};
    hrkd_ctx *ctx = hrkd_ctx_create(g_be, &err);
    test_kd x;
    make_inputs(ctx, fx, 2, &x);
    hrkd_tensor *terms[TEST_KD_MAXL] = {0}, *pred = NULL;
    /* a student attention of the wrong shape: the op reports both shapes */
    x.sa[2] = x.sh[2];
    CHECK(d->loss->compute(self, ctx, &x.in, terms, &pred) != 0 && hrkd_ctx_failed(ctx) &&
          strstr(hrkd_ctx_error(ctx)->msg, "mse"));
    hrkd_ctx_clear_error(ctx);
    make_inputs(ctx, fx, 2, &x);
    x.in.student_attn = NULL;
    CHECK(d->loss->compute(self, ctx, &x.in, terms, &pred) != 0 &&
          strstr(hrkd_ctx_error(ctx)->msg, "tinybert"));
    hrkd_ctx_clear_error(ctx);
    x.in.student_attn = x.sa;
    x.in.struct_size = 8; /* far too old */
    CHECK(d->loss->compute(self, ctx, &x.in, terms, &pred) != 0);
    hrkd_ctx_destroy(ctx);
    d->destroy(self);
}

int main(void)
{
    g_be = test_backend_open("cpu", 1);
    void *so = NULL;
    const hrkd_plugin_descriptor *d = test_open_plugin("tinybert", HRKD_KIND_LOSS, &so);
    int is_loss = d && d->loss && d->loss->compute && !d->reference && !d->graph;
    CHECK(!d || is_loss);
    if (!is_loss) d = NULL;
    fixture *fx = fixture_load(FIXTURE);
    CHECKF(fx != NULL, "%s", FIXTURE);
    if (d && fx) {
        run_case(d, fx, 0, "batch_classes", 0, 0); /* config NULL: the default is batch_classes */
        run_case(d, fx, 0, "batch_classes", 1, 0);
        run_case(d, fx, 0, "batch", 1, 0);
        run_case(d, fx, 1, "batch_classes", 1, 0);
        run_case(d, fx, 1, "batch", 1, 0);
        run_case(d, fx, 0, "batch", 1, 1);         /* no temperature field: t = 1 */
        test_bad_inputs(d, fx);
        printf("tinybert: largest relative error %.2e (tolerance %.0e)\n", g_worst, TOL);
    }
    fixture_free(fx);
    if (so) dlclose(so);
    hrkd_backend_unload(g_be);
    return test_finish("test_tinybert_loss");
}
