/* host/train/run.c — `hrkd run FILE.ini`: configuration → backend, data, models, plugins →
 * the teacher and/or distillation loops (trainer.c) → one HDF5 run file per phase and seed.
 *
 * [run] mode = teacher trains teachers with the [teacher] strategy plugin. mode = distill
 * distils a student from the teacher run file named by [teacher] checkpoint; when that key is
 * empty the teacher is trained first (file <output>_teacher.h5), so one INI runs the whole
 * pipeline (the quickstart). [run] seeds = 1,2,3 repeats everything per seed (files
 * <output>_seed<N>.h5) and ends with per-domain mean ± std. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "comm/comm.h"
#include "config/cfg.h"
#include "core/commands.h"
#include "hrkd/hrkd.h"
#include "plugin/registry.h"
#include "text/text.h"
#include "train/metakd.h"
#include "train/trainer.h"

typedef struct run_ctx {
    hrkd_config        *cfg;
    hrkd_registry      *reg;
    hrkd_backend       *be;
    hrkd_dataset       *ds;
    hrkd_train_data     data;
    const hrkd_config_section *run, *sdata, *teacher, *student, *distill, *relational, *optim,
                              *output, *backend, *metakd;
    char               *ini_text;
    int                 resume;
    int64_t             kill_after;
    int                 kill_rank;
    int                 threads;
    hrkd_comm          *comm;  /* data-parallel ranks (NULL: one process), docs/scale-out.md */
} run_ctx;

static const char *S(const hrkd_config_section *s, const char *k) { return hrkd_cfg_str(s, k); }
static int64_t I(const hrkd_config_section *s, const char *k) { return hrkd_cfg_int(s, k); }
static double F(const hrkd_config_section *s, const char *k) { return hrkd_cfg_float(s, k); }
static int B(const hrkd_config_section *s, const char *k) { return hrkd_cfg_bool(s, k); }

static int ensure_parent_dir(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    char *dir = dirname(tmp);
    if (!*dir || !strcmp(dir, ".")) return 0;
    char build[PATH_MAX] = "";
    for (char *p = dir; *p; p++) {
        if (*p == '/' && p != dir) {
            size_t n = (size_t)(p - dir);
            memcpy(build, dir, n);
            build[n] = 0;
            if (mkdir(build, 0777) != 0 && errno != EEXIST) return -1;
        }
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* [output] file, or <dir>/<run name>.h5; with a seed suffix when several seeds run. */
static void output_path(run_ctx *r, const char *suffix, char *out, size_t cap)
{
    const char *file = S(r->output, "file");
    char base[PATH_MAX];
    if (file && *file) snprintf(base, sizeof base, "%s", file);
    else snprintf(base, sizeof base, "%s/%s.h5", S(r->output, "dir"), S(r->run, "name"));
    size_t n = strlen(base);
    if (n > 3 && !strcmp(base + n - 3, ".h5")) base[n - 3] = 0;
    snprintf(out, cap, "%s%s.h5", base, suffix);
}

/* [data] vocab left empty: the vocab.txt of the [teacher] or [student] checkpoint folder
 * (a Hugging Face model folder), as the key's documentation promises. */
static int default_vocab(const run_ctx *r, char *out, size_t cap)
{
    const hrkd_config_section *secs[2] = {r->teacher, r->student};
    for (int i = 0; i < 2; i++) {
        const char *ck = S(secs[i], "checkpoint");
        struct stat sb;
        if (!ck || !*ck || stat(ck, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;
        snprintf(out, cap, "%s/vocab.txt", ck);
        if (access(out, R_OK) == 0) return 1;
    }
    return 0;
}

static hrkd_status load_data(run_ctx *r, uint64_t seed, hrkd_error *err)
{
    hrkd_data_options o;
    hrkd_data_options_from_config(r->sdata, &o);
    (void)seed;
    char vocab[PATH_MAX];
    if ((!o.vocab || !*o.vocab) && strcmp(o.format, "synthetic") != 0) {
        if (!default_vocab(r, vocab, sizeof vocab))
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "%s: [data] vocab is empty and neither [teacher] nor [student] "
                                  "checkpoint is a folder holding vocab.txt; set [data] vocab",
                                  hrkd_config_path(r->cfg));
        o.vocab = vocab;
    }
    hrkd_status st = hrkd_data_load(&o, &r->ds, err);
    if (st != HRKD_STATUS_OK) return st;
    if (r->ds->D > HRKD_MAX_DOMAINS || r->ds->D > 32)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [data] %d domains, at most 32 supported",
                              hrkd_config_path(r->cfg), r->ds->D);
    memset(&r->data, 0, sizeof r->data);
    r->data.D = r->ds->D;
    r->data.num_labels = r->ds->num_labels;
    for (int d = 0; d < r->ds->D; d++) {
        r->data.domains[d] = r->ds->domain_names[d];
        for (int s = 0; s < HRKD_SPLIT_COUNT; s++) {
            const hrkd_data_split *x = &r->ds->split[d * 3 + s];
            r->data.split[d][s] = (hrkd_split_data){.n = x->n, .T = x->T, .ids = x->ids,
                                                    .types = x->segment, .mask = x->mask,
                                                    .labels = x->labels};
        }
        if (r->data.split[d][HRKD_SPLIT_TRAIN].n == 0)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "[data] domain '%s' has no training examples",
                                  r->data.domains[d]);
    }
    return HRKD_STATUS_OK;
}

static void model_config(const hrkd_config_section *s, int vocab, int max_len, hrkd_bert_config *c)
{
    *c = hrkd_bert_config_default();
    c->layers = (int)I(s, "layers");
    c->hidden = (int)I(s, "hidden");
    c->heads = (int)I(s, "heads");
    c->ffn = (int)I(s, "ffn");
    c->max_positions = (int)I(s, "max_positions");
    if (c->max_positions < max_len) c->max_positions = max_len;
    c->vocab = vocab;
    c->gelu_tanh = !strcmp(S(s, "gelu"), "tanh");
    c->layer_norm_eps = (float)F(s, "layer_norm_eps");
    c->dropout = (float)F(s, "dropout");
    c->attn_dropout = (float)F(s, "attention_dropout");
}

static hrkd_train_opts train_opts(run_ctx *r, uint64_t seed, const char *who, int64_t epochs, double lr)
{
    hrkd_train_opts o = {0};
    o.epochs = epochs;
    o.max_steps = I(r->run, "max_steps");
    o.val_every = I(r->run, "val_every");
    o.log_every = I(r->run, "log_every");
    o.checkpoint_every = I(r->output, "checkpoint_every");
    o.batch_size = I(r->sdata, "batch_size");
    o.eval_batch_size = I(r->sdata, "eval_batch_size");
    o.optim = hrkd_adamw_defaults();
    o.optim.lr = (float)lr;
    o.optim.weight_decay = (float)F(r->optim, "weight_decay");
    o.optim.beta1 = (float)F(r->optim, "beta1");
    o.optim.beta2 = (float)F(r->optim, "beta2");
    o.optim.eps = (float)F(r->optim, "eps");
    o.optim.max_grad_norm = (float)F(r->optim, "max_grad_norm");
    o.warmup_ratio = F(r->optim, "warmup_ratio");
    o.seed = seed;
    o.resume = r->resume;
    o.progress_tty = isatty(2);
    o.run_name = S(r->run, "name");
    o.trained_model = who;
    o.kill_after_step = r->kill_after;
    o.kill_rank = r->kill_rank;
    if (hrkd_comm_rank(r->comm) != 0) o.log_every = 0; /* rank 0 reports */
    return o;
}

/* Create the run file, or with --resume reopen it; *resumed says whether there is a checkpoint
 * to continue from (a run killed before its first checkpoint starts again from scratch). */
static hrkd_status open_run(run_ctx *r, const char *path, const hrkd_run_meta *meta, hrkd_run **run,
                            int *resumed, hrkd_error *err)
{
    *resumed = 0;
    if (ensure_parent_dir(path) != 0)
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create its folder: %s", path, strerror(errno));
    if (r->resume && access(path, F_OK) == 0) {
        hrkd_status st = hrkd_run_open(path, run, err);
        if (st != HRKD_STATUS_OK) return st;
        if (hrkd_run_has_group(*run, "checkpoint")) {
            *resumed = 1;
            return HRKD_STATUS_OK;
        }
        fprintf(stderr, "%s: no checkpoint yet, starting this phase from the beginning\n", path);
        hrkd_run_free(*run);
        *run = NULL;
    }
    return hrkd_run_create(path, meta, run, err);
}

static int bind_plugin(run_ctx *r, const char *name, hrkd_plugin_kind kind, const char *key_section,
                       const char *key, hrkd_plugin_inst *inst, const hrkd_plugin_args *args_in,
                       hrkd_error *err)
{
    const hrkd_plugin_descriptor *d = hrkd_registry_get(r->reg, name, kind, err);
    if (!d) {
        hrkd_error_prefix(err, "%s: [%s] %s: ", hrkd_config_path(r->cfg), key_section, key);
        return -1;
    }
    char sec[160];
    hrkd_plugin_section_name(d, sec, sizeof sec);
    hrkd_config_errors ce = {0};
    const hrkd_config_section *cs = hrkd_config_bind_plugin(r->cfg, sec, d, &ce);
    if (!cs) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s", ce.n ? ce.msg[0] : "plugin section invalid");
        for (int i = 1; i < ce.n; i++) fprintf(stderr, "%s\n", ce.msg[i]);
        hrkd_config_errors_free(&ce);
        return -1;
    }
    hrkd_config_errors_free(&ce);
    hrkd_plugin_args a = *args_in;
    a.struct_size = sizeof a;
    a.config = cs;
    inst->desc = d;
    inst->self = NULL;
    if (d->create(&a, &inst->self, err) != 0) {
        if (err && err->status == HRKD_STATUS_OK)
            hrkd_error_set(err, HRKD_STATUS_INVALID, "plugin '%s' failed to start", d->name);
        hrkd_error_prefix(err, "plugin '%s': ", d->name);
        inst->desc = NULL;
        return -1;
    }
    return 0;
}

static void unbind(hrkd_plugin_inst *i)
{
    if (i->desc && i->desc->destroy) i->desc->destroy(i->self);
    i->desc = NULL;
}

/* Import pretrained weights (Hugging Face folder) into a model whose architecture came from
 * the folder's config.json. */
static hrkd_status import_pretrained(const char *dir, hrkd_bert *m, hrkd_error *err)
{
    hrkd_import_report rep = {0};
    hrkd_status st = hrkd_hf_import(dir, m->params, NULL, &rep, err);
    if (st == HRKD_STATUS_OK) hrkd_import_report_log(&rep, dir);
    hrkd_import_report_free(&rep);
    return st;
}

/* [teacher] checkpoint names either a teacher run file (.h5: distil from it) or a Hugging Face
 * folder (config.json: initialise the teacher from it, then train it). */
static const char *teacher_pretrained_dir(run_ctx *r)
{
    static char probe[PATH_MAX];
    const char *ck = S(r->teacher, "checkpoint");
    if (!ck || !*ck) return NULL;
    snprintf(probe, sizeof probe, "%s/config.json", ck);
    return access(probe, R_OK) == 0 ? ck : NULL;
}

/* Architecture of teachers: [teacher] sizes, or the pretrained folder's config.json. */
static hrkd_status teacher_arch(run_ctx *r, hrkd_bert_config *c, hrkd_error *err)
{
    int max_len = (int)I(r->sdata, "max_seq_len");
    model_config(r->teacher, r->ds->vocab_size, max_len, c);
    const char *pre = teacher_pretrained_dir(r);
    if (pre) {
        hrkd_hf_config hc;
        hrkd_status st = hrkd_hf_read_config(pre, &hc, err);
        if (st != HRKD_STATUS_OK) return st;
        float drop = c->dropout, adrop = c->attn_dropout;
        hrkd_hf_to_bert_config(&hc, c);
        c->dropout = drop;
        c->attn_dropout = adrop;
        if (c->vocab < r->ds->vocab_size)
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "%s: [teacher] checkpoint: vocabulary of %d ids is smaller than the data's %d",
                                  hrkd_config_path(r->cfg), c->vocab, r->ds->vocab_size);
    }
    c->num_labels = r->data.num_labels;
    c->cls_relu = !strcmp(S(r->teacher, "head_activation"), "relu");
    return hrkd_bert_config_check(c, err);
}

/* Meta-KD: the transferability weights of the training data, from the frozen [metakd]
 * encoder or, when that is empty, from the teacher as initialised (before training). */
static hrkd_status metakd_teacher_weights(run_ctx *r, uint64_t seed, hrkd_bert *teacher, hrkd_ctx *ctx,
                                          hrkd_run *run, hrkd_metakd_t *tw, hrkd_error *err)
{
    const char *enc_dir = S(r->metakd, "encoder");
    char id[PATH_MAX + 64];
    hrkd_bert *enc = teacher;
    hrkd_status st = HRKD_STATUS_OK;
    if (enc_dir && *enc_dir) {
        hrkd_hf_config hc;
        hrkd_bert_config c;
        if ((st = hrkd_hf_read_config(enc_dir, &hc, err)) != HRKD_STATUS_OK) goto fail;
        hrkd_hf_to_bert_config(&hc, &c);
        if (c.vocab < r->ds->vocab_size)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [metakd] encoder: vocabulary of %d "
                                  "ids is smaller than the data's %d", hrkd_config_path(r->cfg),
                                  c.vocab, r->ds->vocab_size);
        if (c.max_positions < (int)I(r->sdata, "max_seq_len")) c.max_positions = (int)I(r->sdata, "max_seq_len");
        c.num_heads_cls = 0;
        if (!(enc = hrkd_bert_create(r->be, &c, "encoder", 0, 0, err))) return err->status;
        if ((st = import_pretrained(enc_dir, enc, err)) != HRKD_STATUS_OK) goto fail;
        snprintf(id, sizeof id, "encoder:%s", enc_dir);
    } else if (teacher_pretrained_dir(r)) {
        snprintf(id, sizeof id, "teacher-init:%s", teacher_pretrained_dir(r));
    } else {
        snprintf(id, sizeof id, "teacher-init:random:seed=%llu:%dx%d", (unsigned long long)seed,
                 teacher->cfg.layers, teacher->cfg.hidden);
    }
    hrkd_metakd_t_source src = {.encoder = enc, .encoder_id = id, .cache = S(r->metakd, "transferability_cache"),
                                .eval_batch = I(r->sdata, "eval_batch_size"), .ini_text = r->ini_text};
    st = hrkd_metakd_t_prepare(&src, &r->data, r->be, ctx, run, tw, err);
fail:
    if (st != HRKD_STATUS_OK && enc != teacher) hrkd_error_prefix(err, "%s: [metakd] encoder: ", hrkd_config_path(r->cfg));
    if (enc != teacher) hrkd_bert_destroy(enc);
    return st;
}

static hrkd_status phase_teacher(run_ctx *r, uint64_t seed, const char *path, hrkd_ctx *ctx,
                                 double *test_out, hrkd_error *err)
{
    hrkd_bert_config c;
    hrkd_status st = teacher_arch(r, &c, err);
    if (st != HRKD_STATUS_OK) return st;
    hrkd_teacher_setup ts = {0};
    int resumed = 0;
    /* a strategy may declare weights of its own (meta_teacher): model "strategy" */
    hrkd_params *sp = hrkd_params_create(r->be, "strategy");
    hrkd_plugin_args args = {.n_domains = r->data.D, .seed = seed, .params = sp,
                             .n_teacher_layers = c.layers, .feature_dim = c.hidden};
    if (!sp || bind_plugin(r, S(r->teacher, "strategy"), HRKD_KIND_TEACHER, "teacher", "strategy",
                           &ts.strategy, &args, err) != 0) {
        hrkd_params_destroy(sp);
        return sp ? err->status : HRKD_STATUS_NOMEM;
    }
    if (hrkd_params_count(sp) > 0) {
        ts.plugin_params = sp;
        st = hrkd_params_alloc(sp, 1, 1, err);
    }
    hrkd_metakd_t tw = {0};
    ts.n_models = ts.strategy.desc->teacher->n_models(ts.strategy.self, r->data.D);
    ts.n_heads = ts.strategy.desc->teacher->n_heads(ts.strategy.self, r->data.D);
    c.num_heads_cls = ts.n_heads;
    hrkd_run *run = NULL;
    for (int k = 0; k < ts.n_models && st == HRKD_STATUS_OK; k++) {
        char name[32];
        snprintf(name, sizeof name, "teacher_%d", k);
        ts.models[k] = hrkd_bert_create(r->be, &c, name, 1, 1, err);
        if (!ts.models[k]) { st = err->status; break; }
        hrkd_bert_init_weights(ts.models[k], seed * 1000003u + (uint64_t)k);
        if (teacher_pretrained_dir(r))
            st = import_pretrained(teacher_pretrained_dir(r), ts.models[k], err);
    }
    if (st == HRKD_STATUS_OK) {
        const char *terms[1] = {"ce"};
        hrkd_run_meta meta = {.ini_text = r->ini_text, .data_splits = r->ds->splits, .backend = S(r->backend, "device"),
                              .backend_detail = hrkd_backend_kernels(r->be)->description,
                              .threads = r->threads, .seed = seed, .n_domains = r->data.D,
                              .domains = r->data.domains, .student_layers = 0,
                              .teacher_layers = c.layers, .n_loss_terms = 1, .loss_terms = terms};
        st = open_run(r, path, &meta, &run, &resumed, err);
    }
    if (st == HRKD_STATUS_OK && hrkd_teacher_loss_ex(&ts.strategy)) {
        st = metakd_teacher_weights(r, seed, ts.models[0], ctx, run, &tw, err);
        for (int d = 0; d < r->data.D; d++) ts.transferability[d] = tw.t[d];
    }
    if (st == HRKD_STATUS_OK) {
        printf("teacher: %d model(s) of %d layers, hidden %d, %d head(s); %d domains; run file %s\n",
               ts.n_models, c.layers, c.hidden, ts.n_heads, r->data.D, path);
        fflush(stdout);
        int64_t ep = I(r->teacher, "epochs");
        double lr = F(r->teacher, "lr");
        hrkd_train_opts o = train_opts(r, seed, "teacher", ep > 0 ? ep : I(r->run, "epochs"),
                                       lr > 0 ? lr : F(r->optim, "lr"));
        o.resume = resumed;
        st = hrkd_train_teacher(&o, &r->data, &ts, ctx, run, err);
        if (st == HRKD_STATUS_OK && test_out) {
            hrkd_run_view v;
            hrkd_run_get_view(run, &v);
            for (int i = 0; i < v.n_split; i++)
                if (!strcmp(v.split_name[i], "test") && v.split_rows[i] > 0)
                    for (int d = 0; d < r->data.D; d++)
                        test_out[d] = v.split_vals[i][(v.split_rows[i] - 1) * v.D * v.K + d * v.K];
        }
        hrkd_error e2 = {0};
        hrkd_status cs = hrkd_run_close(run, &e2);
        if (st == HRKD_STATUS_OK && cs != HRKD_STATUS_OK) { *err = e2; st = cs; }
    }
    for (int k = 0; k < ts.n_models; k++) hrkd_bert_destroy(ts.models[k]);
    unbind(&ts.strategy);
    hrkd_params_destroy(sp);
    hrkd_metakd_t_free(&tw);
    return st;
}

/* [student] fit_init = identity: every fit projection starts as I (weight) and 0 (bias). */
static hrkd_status fit_identity(run_ctx *r, hrkd_bert *s, hrkd_error *err)
{
    int n = s->cfg.hidden, f = s->cfg.fit_dim;
    if (f != n)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: [student] fit_init = identity needs the student's width to equal "
                              "the teacher's (student %d, teacher %d)", hrkd_config_path(r->cfg), n, f);
    float *w = calloc((size_t)n * n + n, sizeof *w), *b = w ? w + (size_t)n * n : NULL; /* b = 0 */
    if (!w) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) w[(size_t)i * n + i] = 1.0f;
    hrkd_status st = HRKD_STATUS_OK;
    for (int l = 0; l <= s->cfg.layers && st == HRKD_STATUS_OK; l++)
        if ((st = hrkd_params_write(s->params, s->fit_w[l], w)) == HRKD_STATUS_OK)
            st = hrkd_params_write(s->params, s->fit_b[l], b);
    free(w);
    if (st != HRKD_STATUS_OK)
        return hrkd_error_set(err, st, "[student] fit_init: cannot write the fit projections");
    return HRKD_STATUS_OK;
}

/* Student initialisation from the teacher layers the layer map pairs with. */
static hrkd_status init_from_teacher(hrkd_bert *s, hrkd_bert *t, const int *map, hrkd_error *err)
{
    if (s->cfg.hidden != t->cfg.hidden || s->cfg.ffn != t->cfg.ffn || s->cfg.heads != t->cfg.heads)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "[student] init = teacher_layers needs the teacher's hidden/ffn/heads "
                              "(student %d/%d/%d, teacher %d/%d/%d)", s->cfg.hidden, s->cfg.ffn,
                              s->cfg.heads, t->cfg.hidden, t->cfg.ffn, t->cfg.heads);
    int n = hrkd_params_count(s->params);
    for (int i = 0; i < n; i++) {
        const hrkd_param_info *pi = hrkd_params_info(s->params, i);
        char tname[256];
        int l;
        if (sscanf(pi->name, "encoder.layer.%d.", &l) == 1) {
            const char *rest = strchr(pi->name + strlen("encoder.layer."), '.') + 1;
            snprintf(tname, sizeof tname, "encoder.layer.%d.%s", map[l + 1] - 1, rest);
        } else if (!strncmp(pi->name, "embeddings.", 11) || !strncmp(pi->name, "pooler.", 7)) {
            snprintf(tname, sizeof tname, "%s", pi->name);
        } else continue;
        int j = hrkd_params_find(t->params, tname);
        if (j < 0 || hrkd_params_info(t->params, j)->numel != pi->numel) continue;
        float *buf = malloc((size_t)pi->numel * sizeof *buf);
        if (!buf) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        hrkd_params_read(t->params, j, buf);
        hrkd_params_write(s->params, i, buf);
        free(buf);
    }
    return HRKD_STATUS_OK;
}

/* Meta-KD distillation: domain d's teacher strategy (meta_teacher) with the weights of the
 * teacher file's best_d<d> group, for the domain representations D^T and D^S. */
static hrkd_status metakd_bind_teachers(run_ctx *r, uint64_t seed, const char *teacher_path,
                                        const hrkd_bert_config *tc, hrkd_kd *kd, hrkd_params **msp,
                                        hrkd_error *err)
{
    hrkd_run *tr = NULL;
    hrkd_status st = hrkd_run_open(teacher_path, &tr, err);
    for (int d = 0; d < r->data.D && st == HRKD_STATUS_OK; d++) {
        msp[d] = hrkd_params_create(r->be, "strategy");
        hrkd_plugin_args args = {.n_domains = r->data.D, .seed = seed, .params = msp[d],
                                 .n_teacher_layers = tc->layers, .feature_dim = tc->hidden};
        if (!msp[d]) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        if (bind_plugin(r, S(r->teacher, "strategy"), HRKD_KIND_TEACHER, "teacher", "strategy",
                        &kd->teacher_plugin[d], &args, err) != 0) { st = err->status; break; }
        const hrkd_plugin_descriptor *pd = kd->teacher_plugin[d].desc;
        if (pd->abi_minor < 1 || !pd->teacher->domain_repr || hrkd_params_count(msp[d]) == 0) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [teacher] strategy: '%s' has no domain "
                                "representation; [distill] method = metakd needs a meta_teacher",
                                hrkd_config_path(r->cfg), pd->name);
            break;
        }
        char g[32];
        snprintf(g, sizeof g, "best_d%d", d);
        if ((st = hrkd_params_alloc(msp[d], 0, 0, err)) == HRKD_STATUS_OK &&
            (st = hrkd_run_load_checkpoint(tr, g, &msp[d], 1, NULL, err)) != HRKD_STATUS_OK)
            hrkd_error_prefix(err, "%s: [teacher] checkpoint %s (trained with strategy = %s?): ",
                              hrkd_config_path(r->cfg), teacher_path, pd->name);
    }
    hrkd_run_free(tr);
    return st;
}

static hrkd_status metakd_distill(run_ctx *r, uint64_t seed, const hrkd_train_opts *o, hrkd_kd *kd,
                                  int teacher_layers, const char *teacher_path, const char *path,
                                  hrkd_ctx *ctx, hrkd_run *run, hrkd_error *err)
{
    hrkd_metakd_opts mo = {.epochs = {I(r->metakd, "stage1_epochs"), I(r->metakd, "stage2_epochs")},
                           .lr = {F(r->metakd, "stage1_lr"), F(r->metakd, "stage2_lr")}, .path = path};
    const char *target = S(r->metakd, "target");
    mo.target = !strcmp(target, "all") ? -1 : !strcmp(target, "each") ? -2 : -3;
    for (int d = 0; d < r->data.D && mo.target == -3; d++)
        if (!strcmp(target, r->data.domains[d])) mo.target = d;
    if (mo.target == -3) {
        int line = 0;
        const char *file = hrkd_cfg_origin(r->metakd, "target", &line);
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: [metakd] target: '%s' is not all, "
                              "each or a domain of the data", file ? file : hrkd_config_path(r->cfg),
                              line, target);
    }
    char *terms[HRKD_BERT_MAX_LAYERS + 3];
    char tbuf[HRKD_BERT_MAX_LAYERS + 3][16];
    for (int m = 0; m <= kd->M; m++) { snprintf(tbuf[m], 16, "layer_%d", m); terms[m] = tbuf[m]; }
    terms[kd->M + 1] = "pred";
    terms[kd->M + 2] = "total";
    mo.meta = (hrkd_run_meta){.ini_text = r->ini_text, .data_splits = r->ds->splits, .backend = S(r->backend, "device"),
                              .backend_detail = hrkd_backend_kernels(r->be)->description,
                              .threads = r->threads, .seed = seed, .n_domains = r->data.D,
                              .domains = r->data.domains, .student_layers = kd->M,
                              .teacher_layers = teacher_layers, .layer_map = kd->layer_map,
                              .n_loss_terms = kd->M + 3, .loss_terms = (const char *const *)terms};
    hrkd_metakd_t tw;
    hrkd_status st = hrkd_metakd_t_read(teacher_path, &r->data, r->be, &tw, err);
    if (st != HRKD_STATUS_OK) {
        hrkd_error_prefix(err, "%s: [teacher] checkpoint: ", hrkd_config_path(r->cfg));
        return st;
    }
    st = hrkd_metakd_distill(o, &mo, &r->data, kd, &tw, ctx, run, err);
    hrkd_metakd_t_free(&tw);
    return st;
}

static hrkd_status phase_distill(run_ctx *r, uint64_t seed, const char *teacher_path,
                                 const char *path, hrkd_ctx *ctx, double *test_out, hrkd_error *err)
{
    const int D = r->data.D;
    hrkd_bert_config tc;
    hrkd_status st = teacher_arch(r, &tc, err);
    if (st != HRKD_STATUS_OK) return st;
    hrkd_kd kd = {0};
    kd.D = D;
    const int metakd = !strcmp(S(r->distill, "method"), "metakd");
    hrkd_params *msp[HRKD_MAX_DOMAINS] = {0}; /* Meta-KD: domain d's teacher-strategy weights */
    hrkd_params *rel = NULL;
    hrkd_run *run = NULL;
    int resumed = 0;
    /* teachers: domain d's best dev checkpoint and head */
    tc.num_heads_cls = 1;
    {   /* the number of heads is that of the saved models: read it from the first group */
        hrkd_run *tr = NULL;
        st = hrkd_run_open(teacher_path, &tr, err);
        if (st != HRKD_STATUS_OK) {
            hrkd_error_prefix(err, "%s: [teacher] checkpoint: ", hrkd_config_path(r->cfg));
            return st;
        }
        hrkd_run_view v;
        hrkd_run_get_view(tr, &v);
        if (v.D != D) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: [teacher] checkpoint %s was trained on %d domains, the data has %d",
                                hrkd_config_path(r->cfg), teacher_path, v.D, D);
        }
        for (int d = 0; d < D && st == HRKD_STATUS_OK; d++) {
            int found = 0;
            for (int e = 0; e < v.D; e++) found |= !strcmp(v.domains[e], r->data.domains[d]);
            if (!found)
                st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                    "%s: [teacher] checkpoint %s has no teacher for domain '%s'",
                                    hrkd_config_path(r->cfg), teacher_path, r->data.domains[d]);
        }
        /* mtl teachers have one head per domain */
        hrkd_run_state rs;
        if (st == HRKD_STATUS_OK && hrkd_run_load_checkpoint(tr, "best_d0", NULL, 0, &rs, err) == HRKD_STATUS_OK) {
            int maxhead = 0;
            for (int d = 0; d < D; d++) {
                char g[32];
                snprintf(g, sizeof g, "best_d%d", d);
                hrkd_error e2 = {0};
                if (hrkd_run_load_checkpoint(tr, g, NULL, 0, &rs, &e2) == HRKD_STATUS_OK && rs.n_loader >= 2 &&
                    rs.loader[1] > maxhead)
                    maxhead = (int)rs.loader[1];
            }
            tc.num_heads_cls = maxhead + 1;
        }
        hrkd_run_free(tr);
        if (st != HRKD_STATUS_OK) return st;
        hrkd_error_clear(err);
    }
    st = hrkd_load_teachers(teacher_path, r->be, &tc, D, kd.teacher, kd.teacher_head, err);
    if (st != HRKD_STATUS_OK) {
        hrkd_error_prefix(err, "%s: [teacher] checkpoint: ", hrkd_config_path(r->cfg));
        goto out;
    }
    if (metakd && (st = metakd_bind_teachers(r, seed, teacher_path, &tc, &kd, msp, err)) != HRKD_STATUS_OK)
        goto out;
    /* student */
    hrkd_bert_config sc;
    model_config(r->student, tc.vocab, (int)I(r->sdata, "max_seq_len"), &sc);
    if (!strcmp(S(r->student, "init"), "pretrained")) {
        hrkd_hf_config hc;
        if ((st = hrkd_hf_read_config(S(r->student, "checkpoint"), &hc, err)) != HRKD_STATUS_OK) goto out;
        float drop = sc.dropout, adrop = sc.attn_dropout;
        hrkd_hf_to_bert_config(&hc, &sc);
        sc.dropout = drop;
        sc.attn_dropout = adrop;
    }
    sc.num_labels = r->data.num_labels;
    sc.num_heads_cls = D;
    sc.fit_dim = tc.hidden;
    if (sc.vocab != tc.vocab) {
        st = hrkd_error_set(err, HRKD_STATUS_INVALID, "[student] vocabulary %d differs from the teacher's %d",
                            sc.vocab, tc.vocab);
        goto out;
    }
    kd.M = sc.layers;
    if (!strcmp(S(r->distill, "layer_map"), "uniform")) {
        if (kd.M < 1 || tc.layers % kd.M != 0) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: [student] layers = %d must divide the teacher's %d layers for "
                                "[distill] layer_map = uniform (or list the teacher layers)",
                                hrkd_config_path(r->cfg), kd.M, tc.layers);
            goto out;
        }
        hrkd_kd_uniform_layer_map(kd.M, tc.layers, kd.layer_map);
    } else { /* M+1 teacher layer numbers, validated by the config schema */
        const char *p = S(r->distill, "layer_map");
        for (int m = 0; m <= kd.M; m++) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || v < 0 || v > tc.layers) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [distill] layer_map: expected %d "
                                    "teacher layer numbers in 0..%d", hrkd_config_path(r->cfg),
                                    kd.M + 1, tc.layers);
                goto out;
            }
            kd.layer_map[m] = (int)v;
            p = end;
            while (*p == ',' || *p == ' ') p++;
        }
    }
    kd.student = hrkd_bert_create(r->be, &sc, "student", 1, 1, err);
    if (!kd.student) { st = err->status; goto out; }
    hrkd_bert_init_weights(kd.student, seed * 7919u + 1);
    if (!strcmp(S(r->student, "fit_init"), "identity") &&
        (st = fit_identity(r, kd.student, err)) != HRKD_STATUS_OK)
        goto out;
    if (!strcmp(S(r->student, "init"), "pretrained"))
        st = import_pretrained(S(r->student, "checkpoint"), kd.student, err);
    else if (!strcmp(S(r->student, "init"), "teacher_layers"))
        st = init_from_teacher(kd.student, kd.teacher[0], kd.layer_map, err);
    if (st != HRKD_STATUS_OK) goto out;
    /* plugins */
    kd.relational = B(r->distill, "relational");
    kd.gamma = (float)F(r->distill, "gamma");
    kd.temperature = (float)F(r->distill, "temperature");
    kd.hidden_ratio = (float)F(r->distill, "hidden_ratio");
    kd.pred_ratio = (float)F(r->distill, "pred_ratio");
    int trainable = B(r->relational, "trainable");
    rel = hrkd_params_create(r->be, "relational");
    hrkd_plugin_args args = {.n_domains = D, .n_student_layers = kd.M, .n_teacher_layers = tc.layers,
                             .feature_dim = tc.hidden, .seed = seed, .params = rel};
    hrkd_plugin_args largs = args;
    largs.params = NULL;
    if (bind_plugin(r, S(r->distill, "loss"), HRKD_KIND_LOSS, "distill", "loss", &kd.loss, &largs, err) != 0 ||
        (kd.relational &&
         (bind_plugin(r, S(r->relational, "reference"), HRKD_KIND_RELATIONAL_REFERENCE, "relational",
                      "reference", &kd.reference, &args, err) != 0 ||
          bind_plugin(r, S(r->relational, "aggregate"), HRKD_KIND_RELATIONAL_AGGREGATE, "relational",
                      "aggregate", &kd.aggregate, &args, err) != 0 ||
          bind_plugin(r, S(r->relational, "graph"), HRKD_KIND_RELATIONAL_GRAPH, "relational", "graph",
                      &kd.graph, &args, err) != 0))) {
        st = err->status;
        goto out;
    }
    if ((st = hrkd_params_alloc(rel, trainable, trainable, err)) != HRKD_STATUS_OK) goto out;
    {
        char *terms[HRKD_BERT_MAX_LAYERS + 3];
        char tbuf[HRKD_BERT_MAX_LAYERS + 3][16];
        for (int m = 0; m <= kd.M; m++) { snprintf(tbuf[m], 16, "layer_%d", m); terms[m] = tbuf[m]; }
        terms[kd.M + 1] = "pred";
        terms[kd.M + 2] = "total";
        hrkd_run_meta meta = {.ini_text = r->ini_text, .data_splits = r->ds->splits, .backend = S(r->backend, "device"),
                              .backend_detail = hrkd_backend_kernels(r->be)->description,
                              .threads = r->threads, .seed = seed, .n_domains = D,
                              .domains = r->data.domains, .student_layers = kd.M,
                              .teacher_layers = tc.layers, .layer_map = kd.layer_map,
                              .n_loss_terms = kd.M + 3, .loss_terms = (const char *const *)terms};
        if (hrkd_comm_rank(r->comm) == 0 && (st = open_run(r, path, &meta, &run, &resumed, err)) != HRKD_STATUS_OK)
            goto out;
        /* rank 0 alone has the run file: whether there is a checkpoint to resume is its call */
        int32_t flag = resumed;
        if ((st = hrkd_comm_bcast(r->comm, &flag, sizeof flag, err)) != HRKD_STATUS_OK) goto out;
        resumed = flag;
    }
    printf("student: %d layers, hidden %d, heads %d from teacher %s (%d layers, hidden %d); %s; run file %s\n",
           sc.layers, sc.hidden, sc.heads, teacher_path, tc.layers, tc.hidden,
           metakd ? "Meta-KD (meta-distillation)" :
           kd.relational ? "HRKD (relational ratios)" : "TinyBERT-KD (uniform ratios)", path);
    fflush(stdout);
    {
        hrkd_train_opts o = train_opts(r, seed, "student", I(r->run, "epochs"), F(r->optim, "lr"));
        o.teacher_cache = B(r->distill, "teacher_cache");
        o.teacher_cache_dir = S(r->distill, "teacher_cache_dir");
        o.resume = resumed;
        o.comm = r->comm;
        kd.comm = r->comm;
        if (metakd) {
            o.resume = r->resume; /* stage files resume on their own */
            st = metakd_distill(r, seed, &o, &kd, tc.layers, teacher_path, path, ctx, run, err);
        } else {
            st = hrkd_train_distill(&o, &r->data, &kd, trainable ? rel : NULL, ctx, run, err);
        }
    }
    if (st == HRKD_STATUS_OK && test_out && run) {
        hrkd_run_view v;
        hrkd_run_get_view(run, &v);
        for (int i = 0; i < v.n_split; i++)
            if (!strcmp(v.split_name[i], "test") && v.split_rows[i] > 0)
                for (int d = 0; d < D; d++)
                    test_out[d] = v.split_vals[i][(v.split_rows[i] - 1) * v.D * v.K + d * v.K];
    }
    if (st == HRKD_STATUS_OK && S(r->output, "export_hf")[0] && hrkd_comm_rank(r->comm) == 0) {
        hrkd_hf_export_info info = {0};
        info.cfg.layers = sc.layers; info.cfg.hidden = sc.hidden; info.cfg.heads = sc.heads;
        info.cfg.intermediate = sc.ffn; info.cfg.vocab = sc.vocab; info.cfg.max_positions = sc.max_positions;
        info.cfg.type_vocab = sc.type_vocab; info.cfg.num_labels = sc.num_labels;
        snprintf(info.cfg.hidden_act, sizeof info.cfg.hidden_act, "%s", sc.gelu_tanh ? "gelu_new" : "gelu");
        info.cfg.layer_norm_eps = sc.layer_norm_eps;
        snprintf(info.cfg.model_type, sizeof info.cfg.model_type, "bert");
        info.n_domains = D;
        info.domains = r->data.domains;
        const char *vocab = S(r->sdata, "vocab");
        info.vocab_path = vocab && *vocab ? vocab : NULL;
        st = hrkd_hf_export(S(r->output, "export_hf"), kd.student->params, &info, err);
        if (st == HRKD_STATUS_OK) printf("exported the student to %s\n", S(r->output, "export_hf"));
    }
out:
    if (run) {
        hrkd_error e2 = {0};
        hrkd_status cs = hrkd_run_close(run, &e2);
        if (st == HRKD_STATUS_OK && cs != HRKD_STATUS_OK) { *err = e2; st = cs; }
    }
    unbind(&kd.loss);
    unbind(&kd.reference);
    unbind(&kd.aggregate);
    unbind(&kd.graph);
    for (int d = 0; d < D; d++) {
        unbind(&kd.teacher_plugin[d]);
        hrkd_params_destroy(msp[d]);
    }
    hrkd_params_destroy(rel);
    hrkd_bert_destroy(kd.student);
    for (int d = 0; d < D; d++) hrkd_bert_destroy(kd.teacher[d]);
    return st;
}

/* [backend] blas_core. OpenBLAS reads OPENBLAS_CORETYPE once, when the CPU backend's dlopen
 * loads it, so the variable is set before hrkd_backend_load and the backend's description
 * (which names the kernel set OpenBLAS runs) is checked after it. OpenBLAS does not check that
 * a forced kernel set's instructions exist, so this refuses x86 sets the CPU lacks first. */
static const char *blas_core_unsupported(const char *core)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static const struct { const char *core; int level; } need[] = {
        {"sandybridge", 1}, {"haswell", 2}, {"zen", 2}, {"skylakex", 3}, {"cooperlake", 4},
    };
    int level = 0;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!strcasecmp(core, need[i].core)) level = need[i].level;
    __builtin_cpu_init();
    if (level >= 1 && !__builtin_cpu_supports("avx")) return "AVX";
    if (level >= 2 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return "AVX2 and FMA";
    if (level >= 3 && !(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")))
        return "AVX-512 (F, BW, DQ, VL)";
    if (level >= 4 && !__builtin_cpu_supports("avx512bf16")) return "AVX-512 BF16";
#else
    (void)core;
#endif
    return NULL;
}

/* Is word (any case) a whole word of text? */
static int has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; *p; p++)
        if ((p == text || p[-1] == ' ') && !strncasecmp(p, word, n) && (p[n] == ' ' || p[n] == ',' || !p[n]))
            return 1;
    return 0;
}

/* The [backend] the INI names, started with its threads and options; rc 2 (configuration) or 3. */
static int load_backend(run_ctx *r, const char *ini, hrkd_error *err)
{
    const char *core = S(r->backend, "blas_core");
    r->threads = (int)I(r->backend, "threads");
    if (*core) {
        const char *lacks = blas_core_unsupported(core);
        if (lacks) {
            hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "%s: [backend] blas_core = %s: this CPU lacks %s",
                           ini, core, lacks);
            return 2;
        }
        setenv("OPENBLAS_CORETYPE", core, 1);
    }
    if (hrkd_backend_load(S(r->backend, "device"), r->threads, &r->be, err) != HRKD_STATUS_OK) return 3;
    const hrkd_kernels *k = hrkd_backend_kernels(r->be);
    if (*core && !has_word(k->description ? k->description : "", core)) {
        hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED,
                       "%s: [backend] blas_core = %s: OpenBLAS did not take it (%s); it takes the "
                       "names of its DYNAMIC_ARCH build, and only when the CPU backend is the first "
                       "to load it", ini, core, k->description ? k->description : "no description");
        return 2;
    }
    const char *opts[2] = {"tf32", "bf16"};
    for (int i = 0; i < 2; i++)
        if (B(r->backend, opts[i]) && (!k->set_option || k->set_option(opts[i], "true", err) != 0)) {
            hrkd_error_prefix(err, "%s: [backend] %s: ", ini, opts[i]);
            return 3;
        }
    return 0;
}

/* [run] comm: join the data-parallel job this process belongs to (none: run alone). Ranks
 * other than 0 print nothing on stdout; their errors still reach stderr. */
static hrkd_status open_comm(run_ctx *r, const char *ini, hrkd_error *err)
{
    hrkd_status st = hrkd_comm_open(S(r->run, "comm"), F(r->run, "comm_timeout"), &r->comm, err);
    if (st != HRKD_STATUS_OK) {
        hrkd_error_prefix(err, "%s: [run] comm: ", ini);
        return st;
    }
    if (hrkd_comm_rank(r->comm) != 0 && !freopen("/dev/null", "w", stdout))
        return hrkd_error_set(err, HRKD_STATUS_IO, "cannot silence stdout of rank %d", hrkd_comm_rank(r->comm));
    if (hrkd_comm_size(r->comm) > 1 && hrkd_comm_rank(r->comm) == 0)
        fprintf(stderr, "hrkd run: rank 0 of %d ranks (%s); distillation is data-parallel\n",
                hrkd_comm_size(r->comm), hrkd_comm_name(r->comm));
    return HRKD_STATUS_OK;
}

/* Teacher training is not data-parallel: rank 0 trains, the other ranks wait (without a
 * timeout, politely) and then read the teacher file like rank 0 does. */
static hrkd_status teacher_on_rank0(run_ctx *r, uint64_t seed, const char *path, hrkd_ctx *ctx,
                                    double *test_out, hrkd_error *err)
{
    if (hrkd_comm_rank(r->comm) == 0) {
        if (hrkd_comm_size(r->comm) > 1)
            fprintf(stderr, "hrkd run: the teacher phase runs on rank 0 only; other ranks wait\n");
        hrkd_status st = phase_teacher(r, seed, path, ctx, test_out, err);
        if (st != HRKD_STATUS_OK) return st;
    }
    return hrkd_comm_barrier(r->comm, 0, err);
}

static int parse_seeds(const char *list, uint64_t *seeds, int cap)
{
    int n = 0;
    const char *p = list;
    while (p && *p && n < cap) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p) return -1;
        seeds[n++] = v;
        while (*end == ' ' || *end == ',') end++;
        p = end;
    }
    return n;
}

/* Load and validate the INI (every problem printed) and look up the host sections. */
static int load_config(run_ctx *r, const char *ini)
{
    hrkd_config_errors ce = {0};
    r->cfg = hrkd_config_load(ini, &ce);
    if (!r->cfg) {
        for (int i = 0; i < ce.n; i++) fprintf(stderr, "%s\n", ce.msg[i]);
        hrkd_config_errors_free(&ce);
        return -1;
    }
    r->run = hrkd_config_get_section(r->cfg, "run");
    r->sdata = hrkd_config_get_section(r->cfg, "data");
    r->teacher = hrkd_config_get_section(r->cfg, "teacher");
    r->student = hrkd_config_get_section(r->cfg, "student");
    r->distill = hrkd_config_get_section(r->cfg, "distill");
    r->relational = hrkd_config_get_section(r->cfg, "relational");
    r->optim = hrkd_config_get_section(r->cfg, "optimizer");
    r->output = hrkd_config_get_section(r->cfg, "output");
    r->backend = hrkd_config_get_section(r->cfg, "backend");
    r->metakd = hrkd_config_get_section(r->cfg, "metakd");
    return 0;
}

static void usage_run(void)
{
    fprintf(stderr, "usage: hrkd run FILE.ini [--resume]\n"
                    "  --resume   continue each phase from the 'checkpoint' group of its run file\n");
}

int hrkd_cmd_run(int argc, char **argv)
{
    const char *ini = NULL;
    run_ctx r = {.kill_rank = -1};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--resume")) r.resume = 1;
        else if (!strcmp(argv[i], "--kill-after-step") && i + 1 < argc) r.kill_after = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--kill-rank") && i + 1 < argc) r.kill_rank = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage_run(); return 0; }
        else if (argv[i][0] == '-') { fprintf(stderr, "hrkd run: unknown option '%s'\n", argv[i]); usage_run(); return 2; }
        else if (!ini) ini = argv[i];
        else { usage_run(); return 2; }
    }
    if (!ini) { usage_run(); return 2; }
    if (load_config(&r, ini) != 0) return 2;
    if (!strcmp(S(r.run, "mode"), "eval")) { /* evaluate [student] checkpoint */
        char *ck = strdup(S(hrkd_config_get_section(r.cfg, "student"), "checkpoint"));
        hrkd_config_free(r.cfg);
        char *eargv[3] = {"eval", (char *)ini, ck};
        int erc = hrkd_cmd_eval(3, eargv);
        free(ck);
        return erc;
    }
    hrkd_error err = {0};
    int rc = 0;
    hrkd_ctx *ctx = NULL;
    uint64_t seeds[64];
    int n_seeds = parse_seeds(S(r.run, "seeds"), seeds, 64);
    if (n_seeds < 0) {
        fprintf(stderr, "%s: [run] seeds: expected a comma-separated list of integers\n", ini);
        rc = 2;
        goto done;
    }
    if (n_seeds == 0) { seeds[0] = (uint64_t)I(r.run, "seed"); n_seeds = 1; }
    if (open_comm(&r, ini, &err) != HRKD_STATUS_OK) { rc = 3; goto fail; }
    if (hrkd_checkpoint_check(S(r.teacher, "checkpoint"), &err) != HRKD_STATUS_OK) {
        hrkd_error_prefix(&err, "%s: [teacher] checkpoint: ", ini); rc = 2; goto fail; }
    r.reg = hrkd_registry_create(S(r.run, "plugin_path"), &err);
    if (!r.reg) { rc = 2; goto fail; }
    if ((rc = load_backend(&r, ini, &err)) != 0) goto fail;
    ctx = hrkd_ctx_create(r.be, &err);
    r.ini_text = hrkd_config_effective_ini(r.cfg);
    if (!ctx || !r.ini_text) { rc = 1; goto fail; }
    if (load_data(&r, seeds[0], &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }

    const int distill = !strcmp(S(r.run, "mode"), "distill");
    double test[64][HRKD_MAX_DOMAINS];
    for (int si = 0; si < n_seeds; si++) {
        char suffix[48] = "", path[PATH_MAX], tpath[PATH_MAX];
        if (n_seeds > 1) snprintf(suffix, sizeof suffix, "_seed%llu", (unsigned long long)seeds[si]);
        output_path(&r, suffix, path, sizeof path);
        if (n_seeds > 1) printf("== seed %llu ==\n", (unsigned long long)seeds[si]);
        if (!distill) {
            if (teacher_on_rank0(&r, seeds[si], path, ctx, test[si], &err) != HRKD_STATUS_OK) { rc = hrkd_exit_code(err.status); goto fail; }
            continue;
        }
        const char *tck = S(r.teacher, "checkpoint");
        if (tck && *tck && !teacher_pretrained_dir(&r)) {
            snprintf(tpath, sizeof tpath, "%s", tck);
        } else {
            char ts[64];
            snprintf(ts, sizeof ts, "%s_teacher", suffix);
            output_path(&r, ts, tpath, sizeof tpath);
            if (teacher_on_rank0(&r, seeds[si], tpath, ctx, NULL, &err) != HRKD_STATUS_OK) { rc = hrkd_exit_code(err.status); goto fail; }
        }
        if (phase_distill(&r, seeds[si], tpath, path, ctx, test[si], &err) != HRKD_STATUS_OK) {
            rc = hrkd_exit_code(err.status);
            goto fail;
        }
    }
    if (n_seeds > 1) {
        printf("test accuracy over %d seeds (mean ± std, %%):\n", n_seeds);
        double avg_runs[64] = {0};
        for (int d = 0; d <= r.data.D; d++) {
            double mean = 0, var = 0;
            for (int s = 0; s < n_seeds; s++) {
                double v;
                if (d < r.data.D) { v = test[s][d]; avg_runs[s] += v / r.data.D; }
                else v = avg_runs[s];
                mean += v / n_seeds;
            }
            for (int s = 0; s < n_seeds; s++) {
                double v = d < r.data.D ? test[s][d] : avg_runs[s];
                var += (v - mean) * (v - mean) / (n_seeds > 1 ? n_seeds - 1 : 1);
            }
            printf("  %-24s %6.2f ± %.2f\n", d < r.data.D ? r.data.domains[d] : "average", 100 * mean,
                   100 * sqrt(var));
        }
    }
    goto done;
fail:
    if (hrkd_comm_size(r.comm) > 1)
        fprintf(stderr, "hrkd run: rank %d of %d: %s\n", hrkd_comm_rank(r.comm), hrkd_comm_size(r.comm),
                err.msg[0] ? err.msg : "failed");
    else
        fprintf(stderr, "hrkd run: %s\n", err.msg[0] ? err.msg : "failed");
    if (!rc) rc = 1;
    fflush(NULL);
    hrkd_comm_abort(r.comm, rc); /* the other ranks would wait for this one: end them all */
done:
    hrkd_comm_close(r.comm);
    free(r.ini_text);
    hrkd_ctx_destroy(ctx);
    hrkd_dataset_destroy(r.ds);
    if (r.be) hrkd_backend_unload(r.be);
    hrkd_registry_destroy(r.reg);
    hrkd_config_free(r.cfg);
    return rc;
}

/* `hrkd eval FILE.ini RUN.h5 [--split dev|test] [--group NAME]`: rebuild the run's model from
 * the INI, load each domain's best checkpoint (best_d<d>, or one --group for all domains) and
 * print per-domain accuracy. Works for teacher runs (mode = teacher) and students. */
int hrkd_cmd_eval(int argc, char **argv)
{
    const char *ini = NULL, *h5 = NULL, *group = NULL, *split_name = "test";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--split") && i + 1 < argc) split_name = argv[++i];
        else if (!strcmp(argv[i], "--group") && i + 1 < argc) group = argv[++i];
        else if (!ini) ini = argv[i];
        else if (!h5) h5 = argv[i];
        else ini = NULL, i = argc;
    }
    int split = !strcmp(split_name, "dev") ? HRKD_SPLIT_DEV : !strcmp(split_name, "test") ? HRKD_SPLIT_TEST
              : !strcmp(split_name, "train") ? HRKD_SPLIT_TRAIN : -1;
    if (!ini || !h5 || split < 0) {
        fprintf(stderr, "usage: hrkd eval FILE.ini RUN.h5 [--split dev|test|train] [--group NAME]\n");
        return 2;
    }
    /* Evaluation is not sharded: under mpirun rank 0 evaluates alone and prints once. */
    if (hrkd_comm_launcher_rank() > 0) return 0;
    run_ctx r = {0};
    if (load_config(&r, ini) != 0) return 2;
    hrkd_error err = {0};
    int rc = 0;
    hrkd_ctx *ctx = NULL;
    hrkd_run *run = NULL;
    hrkd_bert *m = NULL;
    if ((rc = load_backend(&r, ini, &err)) != 0) goto fail;
    if (!(ctx = hrkd_ctx_create(r.be, &err))) { rc = 1; goto fail; }
    if (load_data(&r, 0, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
    if (hrkd_run_open(h5, &run, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
    int teacher_run = !strcmp(S(r.run, "mode"), "teacher");
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    teacher_run = teacher_run || v.M == 0;
    int n_heads = 0; /* teachers: as many heads as the saved models have (mix, meta_teacher: 1) */
    for (int d = 0; d < r.data.D && teacher_run; d++) {
        char g[32];
        hrkd_run_state rs = {0};
        hrkd_error e2 = {0};
        snprintf(g, sizeof g, "best_d%d", d);
        if (hrkd_run_load_checkpoint(run, group ? group : g, NULL, 0, &rs, &e2) == HRKD_STATUS_OK &&
            rs.n_loader >= 2 && rs.loader[1] + 1 > n_heads)
            n_heads = (int)rs.loader[1] + 1;
    }
    double acc[HRKD_MAX_DOMAINS];
    for (int d = 0; d < r.data.D; d++) {
        char g[32];
        if (group) snprintf(g, sizeof g, "%s", group);
        else snprintf(g, sizeof g, "best_d%d", d);
        hrkd_run_state rs = {0};
        if (hrkd_run_load_checkpoint(run, g, NULL, 0, &rs, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
        int model = rs.n_loader >= 2 ? (int)rs.loader[0] : 0, head = rs.n_loader >= 2 ? (int)rs.loader[1] : d;
        hrkd_bert_config c;
        if (teacher_run) {
            if (teacher_arch(&r, &c, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
            c.num_heads_cls = n_heads > head ? n_heads : head + 1;
        } else {
            model_config(r.student, r.ds->vocab_size, (int)I(r.sdata, "max_seq_len"), &c);
            hrkd_bert_config tc;
            if (teacher_arch(&r, &tc, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
            c.vocab = tc.vocab;
            c.fit_dim = tc.hidden;
            c.num_labels = r.data.num_labels;
            c.num_heads_cls = r.data.D;
            head = d;
        }
        char name[32];
        if (teacher_run) snprintf(name, sizeof name, "teacher_%d", model);
        else snprintf(name, sizeof name, "student");
        hrkd_bert_destroy(m);
        m = hrkd_bert_create(r.be, &c, name, 0, 0, &err);
        if (!m) { rc = 2; goto fail; }
        hrkd_params *p = m->params;
        if (hrkd_run_load_checkpoint(run, g, &p, 1, NULL, &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }
        if (head >= c.num_heads_cls) head = 0;
        acc[d] = hrkd_evaluate(m, head, ctx, &r.data.split[d][split], I(r.sdata, "eval_batch_size"));
    }
    {
        char title[128];
        snprintf(title, sizeof title, "%s accuracy (%%) on %s:", h5, split_name);
        double avg = 0;
        printf("%s\n", title);
        for (int d = 0; d < r.data.D; d++) {
            printf("  %-24s %6.2f\n", r.data.domains[d], 100 * acc[d]);
            avg += acc[d] / r.data.D;
        }
        printf("  %-24s %6.2f\n", "average", 100 * avg);
    }
    goto done;
fail:
    fprintf(stderr, "hrkd eval: %s\n", err.msg[0] ? err.msg : "failed");
    if (!rc) rc = 1;
done:
    hrkd_bert_destroy(m);
    hrkd_run_free(run);
    hrkd_ctx_destroy(ctx);
    hrkd_dataset_destroy(r.ds);
    if (r.be) hrkd_backend_unload(r.be);
    hrkd_config_free(r.cfg);
    return rc;
}
