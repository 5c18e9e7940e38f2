/* host/train/metakd.c — transferability weights and the two-stage meta-distillation loop of
 * the Meta-KD baseline (see metakd.h; the loss itself is plugins/losses/meta_distill.c, the
 * meta-teacher plugins/teachers/meta_teacher.c). */
#include "train/metakd.h"

#include "core/core.h"
#include "train/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- transferability ------------------------------------------------------------------ */

void hrkd_metakd_mean_pool(const float *h, int64_t B, int64_t T, int64_t F, float *out)
{
    for (int64_t b = 0; b < B; b++) {
        for (int64_t f = 0; f < F; f++) {
            double s = 0;
            for (int64_t t = 1; t < T; t++) s += h[(b * T + t) * F + f];
            out[b * F + f] = T > 1 ? (float)(s / (double)(T - 1)) : 0.0f;
        }
    }
}

static double cosine(const float *a, const double *b, int64_t F)
{
    double ab = 0, aa = 0, bb = 0;
    for (int64_t f = 0; f < F; f++) {
        ab += (double)a[f] * b[f];
        aa += (double)a[f] * a[f];
        bb += b[f] * b[f];
    }
    /* torch.cosine_similarity clamps each norm at eps = 1e-8 */
    double na = sqrt(aa), nb = sqrt(bb);
    return ab / ((na > 1e-8 ? na : 1e-8) * (nb > 1e-8 ? nb : 1e-8));
}

void hrkd_metakd_transferability(const float *h, const int32_t *dom, int64_t N, int D, int64_t F,
                                 float *t)
{
    double *c = calloc((size_t)(D + 1) * (size_t)F, sizeof *c), *other = NULL;
    int64_t *n = calloc((size_t)D, sizeof *n);
    if (!c || !n) { free(c); free(n); for (int64_t i = 0; i < N; i++) t[i] = NAN; return; }
    other = c + (size_t)D * F;
    for (int64_t i = 0; i < N; i++) {
        n[dom[i]]++;
        for (int64_t f = 0; f < F; f++) c[dom[i] * F + f] += h[i * F + f];
    }
    for (int d = 0; d < D; d++)
        for (int64_t f = 0; f < F; f++) c[d * F + f] /= (double)(n[d] ? n[d] : 1);
    for (int64_t i = 0; i < N; i++) {
        int d = dom[i];
        double own = cosine(h + i * F, c + d * F, F);
        if (D == 1) { t[i] = (float)own; continue; }
        for (int64_t f = 0; f < F; f++) {
            double s = 0;
            for (int e = 0; e < D; e++) if (e != d) s += c[e * F + f];
            other[f] = s / (double)(D - 1);
        }
        t[i] = (float)(0.5 * (own + cosine(h + i * F, other, F)));
    }
    free(c);
    free(n);
}

void hrkd_metakd_t_free(hrkd_metakd_t *w)
{
    for (int d = 0; d < HRKD_MAX_DOMAINS; d++) free(w->t[d]);
    memset(w, 0, sizeof *w);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* state layout of /transferability: step = D, epoch = encoder fingerprint,
 * loader = {n_0, data hash_0, n_1, data hash_1, ...} */
static void fingerprint(const hrkd_train_data *data, const char *encoder_id, hrkd_run_state *st)
{
    memset(st, 0, sizeof *st);
    st->step = data->D;
    st->epoch = (int64_t)(fnv(0xcbf29ce484222325ull, encoder_id, strlen(encoder_id)) >> 1);
    st->n_loader = 2 * data->D;
    for (int d = 0; d < data->D; d++) {
        const hrkd_split_data *s = &data->split[d][HRKD_SPLIT_TRAIN];
        uint64_t h = fnv(0xcbf29ce484222325ull, data->domains[d], strlen(data->domains[d]));
        h = fnv(h, s->ids, (size_t)(s->n * s->T) * sizeof(int32_t));
        h = fnv(h, s->mask, (size_t)(s->n * s->T) * sizeof(int32_t));
        st->loader[2 * d] = s->n;
        st->loader[2 * d + 1] = (int64_t)(h >> 1);
    }
}

static hrkd_params *t_store(hrkd_backend *be, const hrkd_train_data *data, hrkd_error *err)
{
    hrkd_params *p = hrkd_params_create(be, "t");
    if (!p) { hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); return NULL; }
    for (int d = 0; d < data->D; d++) {
        int64_t n = data->split[d][HRKD_SPLIT_TRAIN].n;
        if (hrkd_params_add(p, data->domains[d], 1, &n, HRKD_PARAM_FROZEN) < 0) {
            hrkd_params_destroy(p);
            hrkd_error_set(err, HRKD_STATUS_INVALID, "transferability: domain name '%s' unusable",
                           data->domains[d]);
            return NULL;
        }
    }
    if (hrkd_params_alloc(p, 0, 0, err) != HRKD_STATUS_OK) { hrkd_params_destroy(p); return NULL; }
    return p;
}

/* Load /transferability of run into out when present and matching (*found = 1). A group
 * with other data is an error only when `strict` (the teacher file of a distillation). */
static hrkd_status t_load(hrkd_run *run, const hrkd_train_data *data, const char *encoder_id,
                          hrkd_backend *be, int strict, hrkd_metakd_t *out, int *found, hrkd_error *err)
{
    *found = 0;
    if (!hrkd_run_has_group(run, "transferability")) return HRKD_STATUS_OK;
    hrkd_run_state got, want;
    /* the fingerprint first: weights for other data may not even have the right shapes */
    hrkd_status st = hrkd_run_load_checkpoint(run, "transferability", NULL, 0, &got, err);
    hrkd_params *p = NULL;
    if (st == HRKD_STATUS_OK) {
        fingerprint(data, encoder_id ? encoder_id : "", &want);
        int same = got.step == want.step && got.n_loader == want.n_loader &&
                   (!encoder_id || got.epoch == want.epoch);
        for (int i = 0; same && i < want.n_loader; i++) same = got.loader[i] == want.loader[i];
        if (!same) {
            if (strict)
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: /transferability was computed "
                                    "for other training data (domains, sizes or tokens differ)",
                                    hrkd_run_path(run));
            else
                fprintf(stderr, "transferability: %s holds weights for other data or another "
                        "encoder; not reused\n", hrkd_run_path(run));
        } else if (!(p = t_store(be, data, err)) ||
                   (st = hrkd_run_load_checkpoint(run, "transferability", &p, 1, NULL, err)) != HRKD_STATUS_OK) {
            if (!p) st = err->status;
        } else {
            out->D = data->D;
            for (int d = 0; d < data->D && st == HRKD_STATUS_OK; d++) {
                int64_t n = data->split[d][HRKD_SPLIT_TRAIN].n;
                out->t[d] = malloc((size_t)(n ? n : 1) * sizeof(float));
                if (!out->t[d]) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
                else st = hrkd_params_read(p, d, out->t[d]);
            }
            *found = st == HRKD_STATUS_OK;
        }
    } else if (err->status == HRKD_STATUS_NOT_FOUND && !strict) {
        hrkd_error_clear(err);
        st = HRKD_STATUS_OK;
    }
    hrkd_params_destroy(p);
    return st;
}

static hrkd_status t_save(hrkd_run *run, const hrkd_train_data *data, const char *encoder_id,
                          hrkd_backend *be, const hrkd_metakd_t *w, hrkd_error *err)
{
    hrkd_params *p = t_store(be, data, err);
    if (!p) return err->status;
    hrkd_status st = HRKD_STATUS_OK;
    for (int d = 0; d < data->D && st == HRKD_STATUS_OK; d++) st = hrkd_params_write(p, d, w->t[d]);
    hrkd_run_state fp;
    fingerprint(data, encoder_id, &fp);
    if (st == HRKD_STATUS_OK) st = hrkd_run_checkpoint(run, "transferability", &p, 1, &fp, err);
    hrkd_params_destroy(p);
    return st;
}

static hrkd_status t_compute(hrkd_bert *enc, hrkd_ctx *ctx, const hrkd_train_data *data,
                             int64_t eb, hrkd_metakd_t *out, hrkd_error *err)
{
    const int64_t F = enc->cfg.hidden;
    int64_t N = 0;
    for (int d = 0; d < data->D; d++) N += data->split[d][HRKD_SPLIT_TRAIN].n;
    float *h = malloc((size_t)(N ? N : 1) * (size_t)F * sizeof *h);
    int32_t *dom = malloc((size_t)(N ? N : 1) * sizeof *dom);
    float *t = malloc((size_t)(N ? N : 1) * sizeof *t), *last = NULL;
    hrkd_status st = HRKD_STATUS_OK;
    if (!h || !dom || !t) { st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (transferability of %lld instances)", (long long)N); goto out; }
    int64_t row = 0;
    for (int d = 0; d < data->D && st == HRKD_STATUS_OK; d++) {
        const hrkd_split_data *s = &data->split[d][HRKD_SPLIT_TRAIN];
        free(last);
        last = malloc((size_t)(eb * s->T * F) * sizeof *last);
        if (!last) { st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); break; }
        for (int64_t i = 0; i < s->n; i += eb) {
            int64_t k = s->n - i < eb ? s->n - i : eb;
            hrkd_batch b = hrkd_split_rows(s, i, k);
            hrkd_ctx_reset(ctx);
            hrkd_ctx_set_grad(ctx, 0);
            hrkd_ctx_set_training(ctx, 0);
            hrkd_tensor *ids, *types, *mask;
            hrkd_bert_out o;
            if (hrkd_batch_upload(ctx, &b, &ids, &types, &mask, NULL) != 0 ||
                hrkd_bert_forward(enc, ctx, ids, types, mask, &o) != 0 ||
                hrkd_tensor_to_host(ctx, o.hidden[enc->cfg.layers], last) != 0) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "transferability encoder: %s",
                                    hrkd_ctx_error(ctx)->msg);
                break;
            }
            hrkd_metakd_mean_pool(last, k, s->T, F, h + row * F);
            for (int64_t j = 0; j < k; j++) dom[row + j] = d;
            row += k;
        }
    }
    hrkd_ctx_set_grad(ctx, 1);
    if (st != HRKD_STATUS_OK) goto out;
    hrkd_metakd_transferability(h, dom, N, data->D, F, t);
    out->D = data->D;
    row = 0;
    for (int d = 0; d < data->D && st == HRKD_STATUS_OK; d++) {
        int64_t n = data->split[d][HRKD_SPLIT_TRAIN].n;
        out->t[d] = malloc((size_t)(n ? n : 1) * sizeof(float));
        if (!out->t[d]) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        else memcpy(out->t[d], t + row, (size_t)n * sizeof(float));
        row += n;
    }
out:
    free(h); free(dom); free(t); free(last);
    return st;
}

hrkd_status hrkd_metakd_t_prepare(const hrkd_metakd_t_source *src, const hrkd_train_data *data,
                                  hrkd_backend *be, hrkd_ctx *ctx, hrkd_run *run, hrkd_metakd_t *out,
                                  hrkd_error *err)
{
    int found = 0;
    memset(out, 0, sizeof *out);
    /* 1. this run's own file (a resumed run) */
    hrkd_status st = t_load(run, data, src->encoder_id, be, 0, out, &found, err);
    if (st != HRKD_STATUS_OK || found) {
        if (found) printf("transferability: reused from %s\n", hrkd_run_path(run));
        return st;
    }
    /* 2. the cache file shared by runs on the same data */
    int have_cache = src->cache && *src->cache;
    if (have_cache && access(src->cache, R_OK) == 0) {
        hrkd_run *c = NULL;
        if (hrkd_run_open(src->cache, &c, err) == HRKD_STATUS_OK) {
            st = t_load(c, data, src->encoder_id, be, 0, out, &found, err);
            hrkd_run_free(c);
            if (st != HRKD_STATUS_OK) return st;
        } else {
            fprintf(stderr, "transferability: cache %s unreadable (%s); computing\n", src->cache, err->msg);
            hrkd_error_clear(err);
        }
        if (found) {
            printf("transferability: reused from %s\n", src->cache);
            return t_save(run, data, src->encoder_id, be, out, err);
        }
    }
    /* 3. compute */
    int64_t N = 0;
    for (int d = 0; d < data->D; d++) N += data->split[d][HRKD_SPLIT_TRAIN].n;
    if ((st = t_compute(src->encoder, ctx, data, src->eval_batch, out, err)) != HRKD_STATUS_OK) return st;
    if ((st = t_save(run, data, src->encoder_id, be, out, err)) != HRKD_STATUS_OK) return st;
    printf("transferability: computed for %lld training instances with %s; stored in %s\n",
           (long long)N, src->encoder_id, hrkd_run_path(run));
    if (have_cache) {
        hrkd_run *c = NULL;
        hrkd_run_meta meta = {.ini_text = src->ini_text ? src->ini_text : "", .backend = "cpu",
                              .n_domains = data->D, .domains = data->domains};
        if ((st = hrkd_run_create(src->cache, &meta, &c, err)) != HRKD_STATUS_OK) return st;
        st = t_save(c, data, src->encoder_id, be, out, err);
        hrkd_error e2 = {0};
        hrkd_status cs = hrkd_run_close(c, &e2);
        if (st == HRKD_STATUS_OK && cs != HRKD_STATUS_OK) { *err = e2; st = cs; }
        if (st == HRKD_STATUS_OK) printf("transferability: also stored in %s\n", src->cache);
    }
    return st;
}

hrkd_status hrkd_metakd_t_read(const char *path, const hrkd_train_data *data, hrkd_backend *be,
                               hrkd_metakd_t *out, hrkd_error *err)
{
    memset(out, 0, sizeof *out);
    hrkd_run *run = NULL;
    hrkd_status st = hrkd_run_open(path, &run, err);
    if (st != HRKD_STATUS_OK) return st;
    int found = 0;
    st = t_load(run, data, NULL, be, 1, out, &found, err);
    if (st == HRKD_STATUS_OK && !found)
        st = hrkd_error_set(err, HRKD_STATUS_NOT_FOUND, "%s: no /transferability group (not a "
                            "meta_teacher run?)", path);
    if (st == HRKD_STATUS_OK) printf("transferability: reused from %s\n", path);
    hrkd_run_free(run);
    return st;
}

/* ---- two-stage meta-distillation ------------------------------------------------------- */

static void zero_moments(hrkd_params *p)
{
    const hrkd_kernels *k = hrkd_backend_kernels(hrkd_params_backend(p));
    int64_t n = hrkd_params_numel(p);
    if (hrkd_params_m(p)) k->fill(hrkd_params_m(p), 0.0f, n);
    if (hrkd_params_v(p)) k->fill(hrkd_params_v(p), 0.0f, n);
}

static void stage_path(const char *path, const char *dom, int stage, char *out, size_t cap)
{
    size_t n = strlen(path);
    int h5 = n > 3 && !strcmp(path + n - 3, ".h5");
    snprintf(out, cap, "%.*s%s%s%s.h5", (int)(h5 ? n - 3 : n), path, dom ? "_" : "", dom ? dom : "",
             stage == 1 ? "_stage1" : "");
}

typedef struct stage_args {
    int         stage;
    int64_t     epochs;
    double      lr;
    int         first, last; /* active domains first..last */
} stage_args;

/* One stage on one run file (*run_io, or when NULL a stage file at path, created or reopened
 * with --resume). test[d] receives the test accuracy of best_d<d> after stage 2. */
static hrkd_status run_stage(const hrkd_loop_opts *base, const stage_args *sa, const char *path,
                             const hrkd_run_meta *meta, const hrkd_train_data *data,
                             const hrkd_loop_step *step, hrkd_kd *kd, hrkd_ctx *ctx, hrkd_run **run_io,
                             double *test, int *stopped, hrkd_error *err)
{
    hrkd_loop_opts o = *base;
    o.label = sa->stage == 1 ? "student stage 1" : "student stage 2";
    o.epochs = sa->epochs;
    o.optim.lr = (float)sa->lr;
    o.constant_lr = sa->stage == 1; /* the released code's stage 1 */
    o.seed = base->seed + (uint64_t)sa->stage;
    o.first = sa->first;
    o.last = sa->last;
    o.evaluate = sa->stage == 2;
    o.best_average = 1;
    o.test_title = NULL; /* hrkd_metakd_distill prints every target's table at the end */
    o.comm = NULL;
    hrkd_run *run = *run_io;
    hrkd_status st = HRKD_STATUS_OK;
    zero_moments(kd->student->params); /* every stage starts a fresh optimizer */
    if (run) o.resume = base->resume && hrkd_run_has_group(run, "checkpoint");
    else if ((st = hrkd_loop_open_run(path, meta, base->resume, 0, &run, &o.resume, err)) != HRKD_STATUS_OK)
        return st; /* a stage file */
    kd->stage = sa->stage;
    printf("meta-distillation stage %d (%s): %lld steps, lr %g%s; run file %s\n", sa->stage,
           sa->stage == 1 ? "layers + domain representation" : "soft cross-entropy",
           (long long)hrkd_loop_total_steps(&o, data), sa->lr, sa->stage == 1 ? " constant" : "", path);
    fflush(stdout);
    hrkd_loop_result res;
    st = hrkd_loop_run(&o, step, data, ctx, run, &res, err);
    *stopped = st == HRKD_STATUS_OK && res.stopped;
    if (st == HRKD_STATUS_OK && sa->stage == 2) memcpy(test, res.test, (size_t)data->D * sizeof *test);
    kd->stage = 0;
    if (*run_io == NULL) { /* a stage file this function opened */
        hrkd_error e2 = {0};
        hrkd_status cs = hrkd_run_close(run, &e2);
        if (st == HRKD_STATUS_OK && cs != HRKD_STATUS_OK) { *err = e2; st = cs; }
    }
    return st;
}

hrkd_status hrkd_metakd_distill(const hrkd_loop_opts *o, const hrkd_metakd_opts *mo,
                                const hrkd_train_data *data, hrkd_kd *kd, const hrkd_metakd_t *tw,
                                hrkd_ctx *ctx, hrkd_run *run, hrkd_error *err)
{
    const int D = data->D;
    hrkd_params *store = kd->student->params;
    int64_t n = hrkd_params_numel(store);
    float *init = malloc((size_t)n * sizeof *init);
    if (!init) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    const hrkd_kernels *k = hrkd_backend_kernels(hrkd_params_backend(store));
    k->copy_d2h(init, hrkd_params_data(store), (size_t)n * sizeof *init);
    hrkd_kd_step ks;
    hrkd_loop_step ls;
    hrkd_status st = hrkd_kd_step_init(&ks, kd, NULL, o->eval_batch_size, NULL, &ls, err);
    if (st != HRKD_STATUS_OK) { free(init); return st; }
    ks.log_ratios = 0; /* Meta-KD has no relational ratios */
    for (int d = 0; d < D && tw; d++) ks.transferability[d] = tw->t[d];
    int first = mo->target >= 0 ? mo->target : 0, last = mo->target >= 0 ? mo->target : D - 1;
    int each = mo->target == -2;
    double test[HRKD_MAX_DOMAINS], all_test[HRKD_MAX_DOMAINS];
    for (int d = 0; d < D; d++) all_test[d] = NAN;
    int stopped = 0; /* a stop request ended a stage: its checkpoint is written, nothing after runs */
    for (int t = first; t <= last && st == HRKD_STATUS_OK; t++) {
        int a = each ? t : first, b = each ? t : last;
        const char *dom = each ? data->domains[t] : NULL;
        kd->has_only_domain = a == b;
        kd->only_domain = a;
        k->copy_h2d(hrkd_params_data(store), init, (size_t)n * sizeof *init); /* a fresh student */
        char p1[4096], p2[4096];
        stage_path(mo->path, dom, 1, p1, sizeof p1);
        stage_path(mo->path, dom, 2, p2, sizeof p2);
        stage_args s1 = {.stage = 1, .epochs = mo->epochs[0], .lr = mo->lr[0], .first = a, .last = b};
        stage_args s2 = {.stage = 2, .epochs = mo->epochs[1], .lr = mo->lr[1], .first = a, .last = b};
        hrkd_run *none = NULL, *r2 = each ? NULL : run;
        if (each || mo->target >= 0)
            printf("== meta-distillation: student for target domain %s ==\n", data->domains[t]);
        st = run_stage(o, &s1, p1, &mo->meta, data, &ls, kd, ctx, &none, test, &stopped, err);
        /* stage 2 starts from stage 1's student: never from a stopped one (--resume finishes
         * stage 1 first) */
        if (st == HRKD_STATUS_OK && !stopped)
            st = run_stage(o, &s2, p2, &mo->meta, data, &ls, kd, ctx, &r2, test, &stopped, err);
        if (stopped) break;
        if (st == HRKD_STATUS_OK)
            for (int d = a; d <= b; d++) all_test[d] = test[d];
        if (st == HRKD_STATUS_OK && each) { /* the summary file: this target's best_d<t> */
            hrkd_run *tr = NULL;
            char g[32];
            snprintf(g, sizeof g, "best_d%d", t);
            hrkd_run_state rs;
            if ((st = hrkd_run_open(p2, &tr, err)) == HRKD_STATUS_OK &&
                (st = hrkd_run_load_checkpoint(tr, g, &store, 1, &rs, err)) == HRKD_STATUS_OK)
                st = hrkd_run_snapshot(run, g, &store, 1, &rs, err);
            hrkd_run_free(tr);
        }
        if (!each) break;
    }
    kd->has_only_domain = 0;
    hrkd_kd_step_free(&ks);
    free(init);
    if (st != HRKD_STATUS_OK || stopped) return st; /* stopped: no test table (hrkd run says how to go on) */
    if (each) st = hrkd_run_append_metrics(run, "test", 0, all_test, err);
    hrkd_print_accuracy_table(data, "student test accuracy (%) of each domain's best dev checkpoint (Meta-KD):", all_test);
    return st;
}
