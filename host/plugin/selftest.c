/* host/plugin/selftest.c — a plugin's self-test (selftest.h).
 *
 * Two rounds. The first creates the plugin with the given shapes (those of the INI) and calls
 * each function of its kind once per layer on random inputs, checking every output where the
 * step would take it (guard.h). The second creates a fresh instance on a tiny shape (D <= 3,
 * M <= 2, F = 8) and compares, per function and layer, backward's gradient of a fixed random
 * projection Σ w·output with central differences at a few points of each input on the tape. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "core/core.h"
#include "plugin/guard.h"
#include "plugin/selftest.h"
#include "train/kd.h"

enum { MAX_PROBES = 5 * HRKD_MAX_DOMAINS + 8 }; /* teacher: 5 per domain; loss: 4 per layer + 4 */
enum { FILL_NORMAL, FILL_LABELS, FILL_MASK };

/* One input, kept in host memory and uploaded afresh for every evaluation. */
typedef struct probe {
    char     name[48];
    int      ndim;
    int64_t  shape[4];
    int64_t  n;
    float   *h;     /* float inputs */
    int32_t *hi;    /* int32 inputs (labels) */
    int      grad;  /* on the tape: its gradient is checked */
    hrkd_tensor *t;
} probe;

typedef struct tester {
    const hrkd_plugin_descriptor *d;
    void                *self;
    hrkd_ctx            *ctx;
    hrkd_selftest_shape  sh;
    probe                p[MAX_PROBES];
    int                  np;
    int                  layer;
    uint64_t             rng;
    hrkd_error          *err;
} tester;

typedef hrkd_tensor *(*run_fn)(tester *t, int check);

static double uniform(uint64_t *s) /* [0, 1) */
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

static double normal(uint64_t *s)
{
    double u = uniform(s), v = uniform(s);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* Input `name`, or "name[i]" for i >= 0 (a layer's or a domain's). */
static probe *add_probe(tester *t, const char *name, int i, int ndim, const int64_t *shape, int grad,
                        int fill)
{
    HRKD_ASSERT(t->np < MAX_PROBES);
    probe *p = &t->p[t->np++];
    memset(p, 0, sizeof *p);
    if (i >= 0) snprintf(p->name, sizeof p->name, "%s[%d]", name, i);
    else snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = ndim;
    p->n = 1;
    for (int i = 0; i < ndim; i++) p->n *= (p->shape[i] = shape[i]);
    p->grad = grad;
    if (fill == FILL_LABELS) {
        p->hi = malloc((size_t)p->n * sizeof *p->hi);
        HRKD_ASSERT(p->hi);
        for (int64_t i = 0; i < p->n; i++) p->hi[i] = (int32_t)(uniform(&t->rng) * t->sh.classes);
    } else {
        p->h = malloc((size_t)p->n * sizeof *p->h);
        HRKD_ASSERT(p->h);
        for (int64_t i = 0; i < p->n; i++) p->h[i] = fill == FILL_MASK ? 1.0f : (float)normal(&t->rng);
    }
    return p;
}

static void free_probes(tester *t)
{
    for (int i = 0; i < t->np; i++) {
        free(t->p[i].h);
        free(t->p[i].hi);
    }
    t->np = 0;
}

static void upload(tester *t)
{
    int grad = hrkd_ctx_grad_enabled(t->ctx);
    for (int i = 0; i < t->np; i++) {
        probe *p = &t->p[i];
        p->t = p->hi ? hrkd_tensor_from_host_i32(t->ctx, p->ndim, p->shape, p->hi)
                     : hrkd_tensor_from_host(t->ctx, p->ndim, p->shape, p->h);
        if (p->t && p->grad && grad) hrkd_tensor_set_requires_grad(t->ctx, p->t);
    }
}

/* Σ w ⊙ out with fixed pseudo-random w (the same for every evaluation): a scalar whose
 * gradient reaches every element of out. */
static hrkd_tensor *project(tester *t, hrkd_tensor *out, int k)
{
    if (!out || hrkd_ctx_failed(t->ctx)) return NULL;
    int64_t n = hrkd_tensor_numel(out);
    float *w = hrkd_ctx_alloc_host(t->ctx, (size_t)n * sizeof *w);
    if (!w) return NULL;
    uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1);
    for (int64_t i = 0; i < n; i++) w[i] = (float)(2.0 * uniform(&s) - 1.0);
    hrkd_tensor *wt = hrkd_tensor_from_host(t->ctx, out->ndim, out->shape, w);
    return hrkd_sum(t->ctx, hrkd_mul(t->ctx, hrkd_contiguous(t->ctx, out), wt), HRKD_ALL);
}

static hrkd_tensor *add_to(hrkd_ctx *ctx, hrkd_tensor *acc, hrkd_tensor *x)
{
    return acc ? hrkd_add(ctx, acc, x) : x;
}

/* ---- the kinds ------------------------------------------------------------------------- */

static hrkd_tensor *run_reference(tester *t, int check)
{
    const hrkd_plugin_call c = {t->d, "forward", t->layer, -1};
    const int64_t df[2] = {t->sh.D, t->sh.F};
    hrkd_tensor *out = t->d->reference->forward(t->self, t->ctx, t->layer, t->p[0].t);
    if (hrkd_plugin_call_done(t->ctx, &c, !out) != 0) return NULL;
    if (check && hrkd_plugin_check_output(t->ctx, &c, "the output", out, 2, df, 0) != 0) return NULL;
    return project(t, out, 0);
}

static hrkd_tensor *run_aggregate(tester *t, int check)
{
    const hrkd_plugin_call c = {t->d, "forward", t->layer, -1};
    const int64_t df[2] = {t->sh.D, t->sh.F}, dm[2] = {t->sh.D, t->layer + 1};
    hrkd_tensor *sim = NULL;
    hrkd_tensor *out = t->d->aggregate->forward(t->self, t->ctx, t->layer, t->p[0].t, t->p[1].t, &sim);
    if (hrkd_plugin_call_done(t->ctx, &c, !out) != 0) return NULL;
    if (check && (hrkd_plugin_check_output(t->ctx, &c, "the output", out, 2, df, 0) != 0 ||
                  (sim && hrkd_plugin_check_output(t->ctx, &c, "the similarity matrix", sim, 2, dm,
                                                   t->sh.D) != 0)))
        return NULL;
    hrkd_tensor *l = project(t, out, 0);
    return sim ? add_to(t->ctx, l, project(t, sim, 1)) : l;
}

static hrkd_tensor *run_graph(tester *t, int check)
{
    const hrkd_plugin_call c = {t->d, "forward", t->layer, -1};
    const int64_t d1 = t->sh.D;
    hrkd_tensor *out = t->d->graph->forward(t->self, t->ctx, t->layer, t->p[0].t);
    if (hrkd_plugin_call_done(t->ctx, &c, !out) != 0) return NULL;
    if (check && hrkd_plugin_check_output(t->ctx, &c, "the ratio vector", out, 1, &d1, 1) != 0) return NULL;
    return project(t, out, 0);
}

/* loss probes: [0] mask, [1] labels, [2] student logits, [3] teacher logits, then per layer m
 * student hidden, teacher hidden, student attention, teacher attention (4 + 4m ...). */
static hrkd_tensor *run_loss(tester *t, int check)
{
    const int M = t->sh.M;
    const hrkd_plugin_call c = {t->d, "compute", -1, 0};
    hrkd_tensor *sh[HRKD_BERT_MAX_LAYERS + 1], *th[HRKD_BERT_MAX_LAYERS + 1];
    hrkd_tensor *sa[HRKD_BERT_MAX_LAYERS + 1], *ta[HRKD_BERT_MAX_LAYERS + 1];
    int map[HRKD_BERT_MAX_LAYERS + 1];
    for (int m = 0; m <= M; m++) {
        sh[m] = t->p[4 + 4 * m].t;
        th[m] = t->p[5 + 4 * m].t;
        sa[m] = t->p[6 + 4 * m].t;
        ta[m] = t->p[7 + 4 * m].t;
        map[m] = M > 0 ? m * t->sh.N / M : 0;
    }
    hrkd_kd_inputs in = {.struct_size = sizeof in, .domain = 0, .n_student_layers = M,
                         .layer_map = map, .attention_mask = t->p[0].t, .student_hidden = sh,
                         .teacher_hidden = th, .student_attn = sa, .teacher_attn = ta,
                         .student_logits = t->p[2].t, .teacher_logits = t->p[3].t,
                         .labels = t->p[1].t, .temperature = 1.0f};
    hrkd_tensor *terms[HRKD_BERT_MAX_LAYERS + 1] = {0}, *pred = NULL;
    int rc = t->d->loss->compute(t->self, t->ctx, &in, terms, &pred);
    if (hrkd_plugin_call_done(t->ctx, &c, rc != 0) != 0) return NULL;
    const int64_t one = 1;
    char what[32];
    hrkd_tensor *l = NULL;
    for (int m = 0; m <= M; m++) {
        snprintf(what, sizeof what, "layer_terms[%d]", m);
        if (check && hrkd_plugin_check_output(t->ctx, &c, what, terms[m], 1, &one, 0) != 0) return NULL;
        if (!terms[m]) return hrkd_ctx_fail(t->ctx, "layer_terms[%d] is NULL", m);
        l = add_to(t->ctx, l, project(t, terms[m], m));
    }
    if (check && hrkd_plugin_check_output(t->ctx, &c, "pred_term", pred, 1, &one, 0) != 0) return NULL;
    return add_to(t->ctx, l, project(t, pred, M + 1));
}

/* teacher probes: per domain d logits, labels, pooled, last hidden, mask (5d ...) */
static hrkd_tensor *run_teacher_loss(tester *t, int check)
{
    const int D = t->sh.D;
    hrkd_tensor *logits[HRKD_MAX_DOMAINS], *labels[HRKD_MAX_DOMAINS], *pooled[HRKD_MAX_DOMAINS];
    hrkd_tensor *last[HRKD_MAX_DOMAINS], *mask[HRKD_MAX_DOMAINS];
    for (int d = 0; d < D; d++) {
        logits[d] = t->p[5 * d].t;
        labels[d] = t->p[5 * d + 1].t;
        pooled[d] = t->p[5 * d + 2].t;
        last[d] = t->p[5 * d + 3].t;
        mask[d] = t->p[5 * d + 4].t;
    }
    const int ex = t->d->abi_minor >= 1 && t->d->teacher->train_loss_ex;
    const hrkd_plugin_call c = {t->d, ex ? "train_loss_ex" : "train_loss", -1, -1};
    hrkd_tensor *loss;
    if (ex) {
        hrkd_teacher_batch b = {.struct_size = sizeof b, .n_domains = D, .logits = logits,
                                .labels = labels, .pooled = pooled, .last_hidden = last, .mask = mask};
        loss = t->d->teacher->train_loss_ex(t->self, t->ctx, &b);
    } else {
        loss = t->d->teacher->train_loss(t->self, t->ctx, D, logits, labels);
    }
    const int64_t one = 1;
    if (hrkd_plugin_call_done(t->ctx, &c, !loss) != 0) return NULL;
    if (check && hrkd_plugin_check_output(t->ctx, &c, "the loss", loss, 1, &one, 0) != 0) return NULL;
    return project(t, loss, 0);
}

/* domain_repr probe: [0] hidden [B, T, F] of domain t->layer (used as the domain here) */
static hrkd_tensor *run_domain_repr(tester *t, int check)
{
    const hrkd_plugin_call c = {t->d, "domain_repr", -1, t->layer};
    const int64_t bf[2] = {t->sh.B, t->sh.F};
    hrkd_tensor *out = t->d->teacher->domain_repr(t->self, t->ctx, t->p[0].t, t->layer);
    if (hrkd_plugin_call_done(t->ctx, &c, !out) != 0) return NULL;
    if (check && hrkd_plugin_check_output(t->ctx, &c, "the domain representation", out, 2, bf, 0) != 0)
        return NULL;
    return project(t, out, 0);
}

/* ---- driving ----------------------------------------------------------------------------- */

static void set_probes(tester *t, run_fn run)
{
    free_probes(t);
    const hrkd_selftest_shape *s = &t->sh;
    const int64_t df[2] = {s->D, s->F}, bt[2] = {s->B, s->T}, btf[3] = {s->B, s->T, s->F};
    const int64_t bhtt[4] = {s->B, s->heads, s->T, s->T}, bc[2] = {s->B, s->classes};
    const int64_t bf[2] = {s->B, s->F}, b1 = s->B;
    if (run == run_reference || run == run_graph) {
        add_probe(t, run == run_graph ? "agg" : "protos", -1, 2, df, 1, FILL_NORMAL);
    } else if (run == run_aggregate) {
        const int64_t up[3] = {t->layer + 1, s->D, s->F};
        add_probe(t, "protos_upto", -1, 3, up, 1, FILL_NORMAL);
        add_probe(t, "ref", -1, 2, df, 1, FILL_NORMAL);
    } else if (run == run_loss) {
        add_probe(t, "attention_mask", -1, 2, bt, 0, FILL_MASK);
        add_probe(t, "labels", -1, 1, &b1, 0, FILL_LABELS);
        add_probe(t, "student_logits", -1, 2, bc, 1, FILL_NORMAL);
        add_probe(t, "teacher_logits", -1, 2, bc, 0, FILL_NORMAL);
        for (int m = 0; m <= s->M; m++) {
            add_probe(t, "student_hidden", m, 3, btf, 1, FILL_NORMAL);
            add_probe(t, "teacher_hidden", m, 3, btf, 0, FILL_NORMAL);
            add_probe(t, "student_attn", m, 4, bhtt, 1, FILL_NORMAL);
            add_probe(t, "teacher_attn", m, 4, bhtt, 0, FILL_NORMAL);
        }
    } else if (run == run_teacher_loss) {
        for (int d = 0; d < s->D; d++) {
            add_probe(t, "logits", d, 2, bc, 1, FILL_NORMAL);
            add_probe(t, "labels", d, 1, &b1, 0, FILL_LABELS);
            add_probe(t, "pooled", d, 2, bf, 1, FILL_NORMAL);
            add_probe(t, "last_hidden", d, 3, btf, 1, FILL_NORMAL);
            add_probe(t, "mask", d, 2, bt, 0, FILL_MASK);
        }
    } else if (run == run_domain_repr) {
        add_probe(t, "hidden", -1, 3, btf, 1, FILL_NORMAL);
    }
}

/* One evaluation of the projected output; NaN when it fails. */
static double eval_once(tester *t, run_fn run)
{
    hrkd_ctx_reset(t->ctx);
    hrkd_ctx_set_grad(t->ctx, 0);
    upload(t);
    hrkd_tensor *l = run(t, 0);
    double v = l && !hrkd_ctx_failed(t->ctx) ? (double)hrkd_tensor_item(t->ctx, l) : NAN;
    hrkd_ctx_set_grad(t->ctx, 1);
    return v;
}

static hrkd_status ctx_failure(tester *t)
{
    hrkd_config_take_misuse(NULL, 0);
    const hrkd_error *e = hrkd_ctx_error(t->ctx);
    return hrkd_error_set(t->err, HRKD_STATUS_INVALID, "%s", e->msg);
}

/* Round one: outputs checked. */
static hrkd_status check_call(tester *t, run_fn run)
{
    set_probes(t, run);
    hrkd_ctx_reset(t->ctx);
    hrkd_ctx_clear_error(t->ctx);
    hrkd_ctx_set_grad(t->ctx, 1);
    upload(t);
    if (!run(t, 1) || hrkd_ctx_failed(t->ctx)) return ctx_failure(t);
    return HRKD_STATUS_OK;
}

/* Round two: backward against central differences. *points counts the points compared. */
static hrkd_status grad_call(tester *t, run_fn run, const char *fn, int *points)
{
    set_probes(t, run);
    hrkd_ctx_reset(t->ctx);
    hrkd_ctx_clear_error(t->ctx);
    hrkd_ctx_set_grad(t->ctx, 1);
    upload(t);
    hrkd_tensor *l = run(t, 1);
    if (!l || hrkd_ctx_failed(t->ctx)) return ctx_failure(t);
    const hrkd_plugin_call c = {t->d, fn, t->layer, -1};
    /* outputs that do not depend on the inputs (a constant graph): backward's gradient is 0 */
    if (l->requires_grad && hrkd_backward(t->ctx, l) != HRKD_STATUS_OK)
        return hrkd_plugin_call_error(t->err, &c, "backward through the outputs failed: %s",
                                      hrkd_ctx_error(t->ctx)->msg);
    /* the analytic gradients, all read before the ctx is reset */
    float *g[MAX_PROBES] = {0};
    hrkd_status st = HRKD_STATUS_OK;
    for (int i = 0; i < t->np; i++) {
        probe *p = &t->p[i];
        if (!p->grad) continue;
        g[i] = calloc((size_t)p->n, sizeof *g[i]);
        HRKD_ASSERT(g[i]);
        if (p->t && p->t->grad) hrkd_tensor_grad_to_host(t->ctx, p->t, g[i]);
    }
    for (int i = 0; i < t->np && st == HRKD_STATUS_OK; i++) {
        probe *p = &t->p[i];
        if (!p->grad) continue;
        for (int k = 0; k < HRKD_SELFTEST_FD_POINTS && st == HRKD_STATUS_OK; k++) {
            int64_t at = (int64_t)(((double)k + 0.5) * (double)p->n / HRKD_SELFTEST_FD_POINTS);
            if (k > 0 && at == (int64_t)(((double)k - 0.5) * (double)p->n / HRKD_SELFTEST_FD_POINTS)) continue;
            const float v = p->h[at];
            double an = g[i][at], est = 0;
            int ok = 0;
            for (double h = HRKD_SELFTEST_FD_STEP; !ok && h >= HRKD_SELFTEST_FD_STEP / 4.5; h /= 4) {
                p->h[at] = (float)(v + h);
                double hp = (double)p->h[at] - v;
                double fp = eval_once(t, run);
                p->h[at] = (float)(v - h);
                double hm = v - (double)p->h[at];
                double fm = eval_once(t, run);
                p->h[at] = v;
                if (isnan(fp) || isnan(fm)) {
                    st = ctx_failure(t);
                    break;
                }
                est = (fp - fm) / (hp + hm);
                ok = fabs(an - est) <= HRKD_SELFTEST_FD_ATOL + HRKD_SELFTEST_FD_RTOL * fmax(fabs(an), fabs(est));
            }
            if (st != HRKD_STATUS_OK) break;
            if (!ok)
                st = hrkd_plugin_call_error(t->err, &c, "gradient with respect to %s at element %lld: backward "
                                            "gives %.6g, central differences %.6g (tolerance %g + %g relative)",
                                            p->name, (long long)at, an, est, HRKD_SELFTEST_FD_ATOL,
                                            HRKD_SELFTEST_FD_RTOL);
            (*points)++;
        }
    }
    for (int i = 0; i < t->np; i++) free(g[i]);
    return st;
}

static hrkd_status create(tester *t, const hrkd_config_section *cs, hrkd_backend *be, hrkd_params **params)
{
    *params = hrkd_params_create(be, "plugin");
    if (!*params) return hrkd_error_set(t->err, HRKD_STATUS_NOMEM, "out of memory");
    hrkd_plugin_args a = {.struct_size = sizeof a, .config = cs, .params = *params,
                          .n_domains = t->sh.D, .n_student_layers = t->sh.M,
                          .n_teacher_layers = t->sh.N, .feature_dim = t->sh.F, .seed = t->sh.seed};
    const hrkd_plugin_call c = {t->d, "create", -1, -1};
    hrkd_error e = {0};
    t->self = NULL;
    int rc = t->d->create(&a, &t->self, &e);
    char misuse[512];
    hrkd_status st = HRKD_STATUS_OK;
    if (hrkd_config_take_misuse(misuse, sizeof misuse)) {
        if (rc == 0) t->d->destroy(t->self);
        st = hrkd_plugin_call_error(t->err, &c, "%s", misuse);
    } else if (rc != 0) {
        st = e.status != HRKD_STATUS_OK
                 ? hrkd_plugin_call_error(t->err, &c, "%s", e.msg)
                 : hrkd_error_set(t->err, HRKD_STATUS_INVALID, "plugin '%s' (%s.create) returned no result and no message",
                                  t->d->name, hrkd_plugin_kind_name(t->d->kind));
    } else if (hrkd_params_count(*params) > 0 && hrkd_params_alloc(*params, 1, 0, &e) != HRKD_STATUS_OK) {
        t->d->destroy(t->self);
        st = hrkd_plugin_call_error(t->err, &c, "its parameters: %s", e.msg);
    }
    if (st != HRKD_STATUS_OK) {
        hrkd_params_destroy(*params);
        *params = NULL;
    }
    return st;
}

static void destroy(tester *t, hrkd_params *params)
{
    t->d->destroy(t->self);
    t->self = NULL;
    hrkd_params_destroy(params);
}

/* The teacher's integer functions. */
static hrkd_status check_routes(tester *t, FILE *out)
{
    const hrkd_teacher_fns *f = t->d->teacher;
    const int D = t->sh.D;
    const hrkd_plugin_call cm = {t->d, "n_models", -1, -1}, ch = {t->d, "n_heads", -1, -1};
    int models = f->n_models(t->self, D), heads = f->n_heads(t->self, D);
    if (models < 1 || models > D)
        return hrkd_plugin_call_error(t->err, &cm, "%d models for %d domains, expected 1..%d", models, D, D);
    if (heads < 1 || heads > D)
        return hrkd_plugin_call_error(t->err, &ch, "%d heads for %d domains, expected 1..%d", heads, D, D);
    for (int d = 0; d < D; d++) {
        const hrkd_plugin_call c = {t->d, "route", -1, d};
        int model = -1, head = -1;
        f->route(t->self, d, &model, &head);
        if (model < 0 || model >= models || head < 0 || head >= heads)
            return hrkd_plugin_call_error(t->err, &c, "model %d head %d, expected model 0..%d, head 0..%d",
                                          model, head, models - 1, heads - 1);
    }
    char misuse[512];
    if (hrkd_config_take_misuse(misuse, sizeof misuse))
        return hrkd_plugin_call_error(t->err, &cm, "%s", misuse);
    if (out)
        fprintf(out, "ok   teacher.n_models / n_heads / route: %d model(s), %d head(s), every domain routed\n",
                models, heads);
    return HRKD_STATUS_OK;
}

static const char *fn_of(run_fn run)
{
    if (run == run_loss) return "compute";
    if (run == run_domain_repr) return "domain_repr";
    if (run == run_teacher_loss) return "train_loss";
    return "forward";
}

/* The functions of a kind and the layers (or domains) each is called for. */
static int functions(const tester *t, run_fn *runs, int *per_layer)
{
    int n = 0;
    switch (t->d->kind) {
    case HRKD_KIND_RELATIONAL_REFERENCE: runs[n] = run_reference; per_layer[n++] = 1; break;
    case HRKD_KIND_RELATIONAL_AGGREGATE: runs[n] = run_aggregate; per_layer[n++] = 1; break;
    case HRKD_KIND_RELATIONAL_GRAPH: runs[n] = run_graph; per_layer[n++] = 1; break;
    case HRKD_KIND_LOSS: runs[n] = run_loss; per_layer[n++] = 0; break;
    case HRKD_KIND_TEACHER:
        runs[n] = run_teacher_loss; per_layer[n++] = 0;
        if (t->d->abi_minor >= 1 && t->d->teacher->domain_repr) { runs[n] = run_domain_repr; per_layer[n++] = 2; }
        break;
    default: break;
    }
    return n;
}

/* per_layer 1: m = 0..M; 2: every domain; 0: once */
static int rounds_of(const tester *t, int per_layer)
{
    return per_layer == 1 ? t->sh.M + 1 : per_layer == 2 ? t->sh.D : 1;
}

static const char *kind_fn(const tester *t, run_fn run, char *buf, size_t cap)
{
    const char *fn = fn_of(run);
    if (run == run_teacher_loss && t->d->abi_minor >= 1 && t->d->teacher->train_loss_ex) fn = "train_loss_ex";
    snprintf(buf, cap, "%s.%s", hrkd_plugin_kind_name(t->d->kind), fn);
    return buf;
}

hrkd_status hrkd_plugin_selftest(const hrkd_plugin_descriptor *d, const hrkd_config_section *cs,
                                 const hrkd_selftest_shape *shape, hrkd_backend *be, FILE *out,
                                 hrkd_error *err)
{
    hrkd_selftest_shape sh = *shape;
    if (sh.D < 1 || sh.D > HRKD_MAX_DOMAINS || sh.M < 1 || sh.M > HRKD_BERT_MAX_LAYERS || sh.N < 1 ||
        sh.F < 1 || sh.heads < 1 || sh.classes < 1 || sh.B < 1 || sh.T < 1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "plugin test: shapes out of range (D = %d, M = %d, N = %d, F = %lld)", sh.D,
                              sh.M, sh.N, (long long)sh.F);
    hrkd_ctx *ctx = hrkd_ctx_create(be, err);
    if (!ctx) return err->status;
    tester *t = calloc(1, sizeof *t);
    HRKD_ASSERT(t);
    t->d = d;
    t->ctx = ctx;
    t->err = err;
    hrkd_ctx_set_training(ctx, 0);
    hrkd_config_take_misuse(NULL, 0);
    run_fn runs[4];
    int per_layer[4];
    char name[96];
    hrkd_params *params = NULL;
    hrkd_status st;

    const int nf = functions(t, runs, per_layer);
    /* round one: the given shapes */
    t->sh = sh;
    t->rng = sh.seed * 2654435761u + 1;
    if ((st = create(t, cs, be, &params)) != HRKD_STATUS_OK) goto done;
    if (out)
        fprintf(out, "ok   %s.create (D = %d, M = %d, N = %d, F = %lld), %d weight tensor(s)\n",
                hrkd_plugin_kind_name(d->kind), sh.D, sh.M, sh.N, (long long)sh.F, hrkd_params_count(params));
    if (d->kind == HRKD_KIND_TEACHER && (st = check_routes(t, out)) != HRKD_STATUS_OK) goto first_round_done;
    for (int f = 0; f < nf && st == HRKD_STATUS_OK; f++) {
        int n = rounds_of(t, per_layer[f]);
        for (t->layer = 0; t->layer < n && st == HRKD_STATUS_OK; t->layer++) st = check_call(t, runs[f]);
        if (st == HRKD_STATUS_OK && out)
            fprintf(out, "ok   %s%s: output shapes, finite values%s\n", kind_fn(t, runs[f], name, sizeof name),
                    per_layer[f] == 1 ? " (every layer 0..M)" : per_layer[f] == 2 ? " (every domain)" : "",
                    runs[f] == run_graph ? ", ratios non-negative summing to 1"
                    : runs[f] == run_aggregate ? ", similarity rows summing to 1"
                    : runs[f] == run_loss ? ", terms [1]" : "");
    }
first_round_done:
    destroy(t, params);
    params = NULL;
    if (st != HRKD_STATUS_OK) goto done;

    /* round two: a tiny shape, gradients against central differences */
    t->sh.D = sh.D < 3 ? sh.D : 3;
    t->sh.M = sh.M < 2 ? sh.M : 2;
    t->sh.N = sh.N < 2 ? sh.N : 2;
    t->sh.F = 8;
    t->sh.heads = 2;
    t->sh.B = 2;
    t->sh.T = 3;
    t->rng = sh.seed * 2654435761u + 7;
    if ((st = create(t, cs, be, &params)) != HRKD_STATUS_OK) {
        hrkd_error_prefix(err, "on the gradient check's shape (D = %d, M = %d, F = 8): ", t->sh.D, t->sh.M);
        goto done;
    }
    for (int f = 0; f < nf && st == HRKD_STATUS_OK; f++) {
        int n = rounds_of(t, per_layer[f]), points = 0;
        for (t->layer = 0; t->layer < n && st == HRKD_STATUS_OK; t->layer++)
            st = grad_call(t, runs[f], fn_of(runs[f]), &points);
        if (st == HRKD_STATUS_OK && out)
            fprintf(out, "ok   %s: gradients match central differences at %d point(s)\n",
                    kind_fn(t, runs[f], name, sizeof name), points);
    }
    destroy(t, params);
done:
    free_probes(t);
    free(t);
    hrkd_ctx_destroy(ctx);
    return st;
}
