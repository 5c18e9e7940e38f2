/* host/train/setup.c — configuration → backend, data, models, plugins and loop settings
 * (see setup.h). */
#include "train/setup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrkd/hrkd.h"

/* ---- configuration, backend, communicator, data ---- */

int hrkd_setup_config(hrkd_setup *s, const char *ini)
{
    hrkd_config_errors ce = {0};
    s->ini = ini;
    s->cfg = hrkd_config_load(ini, &ce);
    if (!s->cfg) {
        for (int i = 0; i < ce.n; i++) fprintf(stderr, "%s\n", ce.msg[i]);
        hrkd_config_errors_free(&ce);
        return -1;
    }
#define FIND_SECTION(sec) s->section.sec = hrkd_config_get_section(s->cfg, #sec);
    HRKD_SETUP_SECTIONS(FIND_SECTION)
#undef FIND_SECTION
    return 0;
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

int hrkd_setup_backend(hrkd_setup *s, hrkd_error *err)
{
    const char *ini = s->ini, *core = backend_blas_core(s);
    s->threads = (int)backend_threads(s);
    if (*core) {
        const char *lacks = blas_core_unsupported(core);
        if (lacks) {
            hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "%s: [backend] blas_core = %s: this CPU lacks %s",
                           ini, core, lacks);
            return 2;
        }
        setenv("OPENBLAS_CORETYPE", core, 1);
    }
    if (hrkd_backend_load(backend_device(s), s->threads, &s->be, err) != HRKD_STATUS_OK) return 3;
    const hrkd_kernels *k = hrkd_backend_kernels(s->be);
    if (*core && !has_word(k->description ? k->description : "", core)) {
        hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED,
                       "%s: [backend] blas_core = %s: OpenBLAS did not take it (%s); it takes the "
                       "names of its DYNAMIC_ARCH build, and only when the CPU backend is the first "
                       "to load it", ini, core, k->description ? k->description : "no description");
        return 2;
    }
    const struct { const char *key; int on; } opts[2] = {{key_backend_tf32, backend_tf32(s)},
                                                         {key_backend_bf16, backend_bf16(s)}};
    for (int i = 0; i < 2; i++)
        if (opts[i].on && (!k->set_option || k->set_option(opts[i].key, "true", err) != 0)) {
            hrkd_error_prefix(err, "%s: [backend] %s: ", ini, opts[i].key);
            return 3;
        }
    return 0;
}

hrkd_status hrkd_setup_comm(hrkd_setup *s, hrkd_error *err)
{
    hrkd_status st = hrkd_comm_open(run_comm(s), run_comm_timeout(s), &s->comm, err);
    if (st != HRKD_STATUS_OK) {
        hrkd_error_prefix(err, "%s: [run] comm: ", s->ini);
        return st;
    }
    if (hrkd_comm_rank(s->comm) != 0 && !freopen("/dev/null", "w", stdout))
        return hrkd_error_set(err, HRKD_STATUS_IO, "cannot silence stdout of rank %d", hrkd_comm_rank(s->comm));
    if (hrkd_comm_size(s->comm) > 1 && hrkd_comm_rank(s->comm) == 0)
        fprintf(stderr, "hrkd run: rank 0 of %d ranks (%s); distillation is data-parallel\n",
                hrkd_comm_size(s->comm), hrkd_comm_name(s->comm));
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_setup_data(hrkd_setup *s, hrkd_error *err)
{
    hrkd_data_options o;
    hrkd_data_options_from_config(s->section.data, &o);
    char vocab[PATH_MAX];
    if ((!o.vocab || !*o.vocab) && strcmp(o.format, "synthetic") != 0) {
        if (!hrkd_data_checkpoint_vocab(s->cfg, vocab, sizeof vocab))
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "%s: [data] vocab is empty and neither [teacher] nor [student] "
                                  "checkpoint is a folder holding vocab.txt; set [data] vocab",
                                  hrkd_config_path(s->cfg));
        o.vocab = vocab;
    }
    hrkd_status st = hrkd_data_load(&o, &s->ds, err);
    if (st != HRKD_STATUS_OK) return st;
    if (s->ds->D > HRKD_MAX_DOMAINS)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [data] %d domains, at most %d supported",
                              hrkd_config_path(s->cfg), s->ds->D, HRKD_MAX_DOMAINS);
    memset(&s->data, 0, sizeof s->data);
    s->data.D = s->ds->D;
    s->data.num_labels = s->ds->num_labels;
    s->data.label_names = (const char *const *)s->ds->label_names;
    for (int d = 0; d < s->ds->D; d++) {
        s->data.domains[d] = s->ds->domain_names[d];
        for (int k = 0; k < HRKD_SPLIT_COUNT; k++) {
            const hrkd_data_split *x = &s->ds->split[d * 3 + k];
            s->data.split[d][k] = (hrkd_split_data){.n = x->n, .T = x->T, .ids = x->ids,
                                                    .types = x->segment, .mask = x->mask,
                                                    .labels = x->labels};
        }
        if (s->data.split[d][HRKD_SPLIT_TRAIN].n == 0)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "[data] domain '%s' has no training examples",
                                  s->data.domains[d]);
    }
    return HRKD_STATUS_OK;
}

void hrkd_setup_free(hrkd_setup *s)
{
    free(s->ini_text);
    hrkd_dataset_destroy(s->ds);
    if (s->be) hrkd_backend_unload(s->be);
    hrkd_registry_destroy(s->reg);
    hrkd_config_free(s->cfg);
    memset(s, 0, sizeof *s);
}

/* ---- run files and loop settings ---- */

void hrkd_setup_output_path(const hrkd_setup *s, const char *suffix, char *out, size_t cap)
{
    const char *file = output_file(s);
    char base[PATH_MAX];
    if (file && *file) snprintf(base, sizeof base, "%s", file);
    else snprintf(base, sizeof base, "%s/%s.h5", output_dir(s), run_name(s));
    size_t n = strlen(base);
    if (n > 3 && !strcmp(base + n - 3, ".h5")) base[n - 3] = 0;
    snprintf(out, cap, "%s%s.h5", base, suffix);
}

hrkd_loop_opts hrkd_setup_loop_opts(const hrkd_setup *s, uint64_t seed, const char *who,
                                    int64_t epochs, double lr)
{
    hrkd_loop_opts o = {0};
    o.label = who;
    o.epochs = epochs;
    o.max_steps = run_max_steps(s);
    o.val_every = run_val_every(s);
    o.log_every = run_log_every(s);
    o.checkpoint_every = output_checkpoint_every(s);
    o.batch_size = data_batch_size(s);
    o.eval_batch_size = data_eval_batch_size(s);
    o.optim = hrkd_adamw_defaults();
    o.optim.lr = (float)lr;
    o.optim.weight_decay = (float)optimizer_weight_decay(s);
    o.optim.beta1 = (float)optimizer_beta1(s);
    o.optim.beta2 = (float)optimizer_beta2(s);
    o.optim.eps = (float)optimizer_eps(s);
    o.optim.max_grad_norm = (float)optimizer_max_grad_norm(s);
    o.warmup_ratio = optimizer_warmup_ratio(s);
    o.seed = seed;
    o.resume = s->resume;
    o.progress_tty = isatty(2);
    o.first = 0;
    o.last = s->data.D - 1;
    o.evaluate = 1;
    if (hrkd_comm_rank(s->comm) != 0) o.log_every = 0; /* rank 0 reports */
    return o;
}

hrkd_status hrkd_setup_open_run(const hrkd_setup *s, const char *path, const hrkd_run_meta *meta,
                                hrkd_run **run, int *resumed, hrkd_error *err)
{
    return hrkd_loop_open_run(path, meta, s->resume, s->extend, run, resumed, err);
}

hrkd_run_meta hrkd_setup_run_meta(const hrkd_setup *s, uint64_t seed, int student_layers,
                                  int teacher_layers, const int *layer_map, int n_terms,
                                  const char *const *terms)
{
    return (hrkd_run_meta){.ini_text = s->ini_text, .data_splits = s->ds->splits, .backend = backend_device(s),
                           .backend_detail = hrkd_backend_kernels(s->be)->description,
                           .threads = s->threads, .seed = seed, .n_domains = s->data.D,
                           .domains = s->data.domains, .student_layers = student_layers,
                           .teacher_layers = teacher_layers, .layer_map = layer_map,
                           .n_loss_terms = n_terms, .loss_terms = terms,
                           .n_labels = s->ds->num_labels,
                           .label_names = (const char *const *)s->ds->label_names};
}

/* ---- plugins ---- */

/* Bind the plugin `name` that [section] key names, with its own section's parameters. */
static int bind_plugin(const hrkd_setup *s, const char *name, hrkd_plugin_kind kind,
                       const char *key_section, const char *key, hrkd_plugin_inst *inst,
                       const hrkd_plugin_args *args_in, hrkd_error *err)
{
    const hrkd_plugin_descriptor *d = hrkd_registry_get(s->reg, name, kind, err);
    if (!d) {
        hrkd_error_prefix(err, "%s: [%s] %s: ", hrkd_config_path(s->cfg), key_section, key);
        return -1;
    }
    char sec[160];
    hrkd_plugin_section_name(d, sec, sizeof sec);
    hrkd_config_errors ce = {0};
    const hrkd_config_section *cs = hrkd_config_bind_plugin(s->cfg, sec, d, &ce);
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
    int created = d->create(&a, &inst->self, err);
    char misuse[512];
    if (hrkd_config_take_misuse(misuse, sizeof misuse)) { /* a read of an undeclared key */
        if (created == 0) d->destroy(inst->self);
        hrkd_error_clear(err);
        hrkd_error_set(err, HRKD_STATUS_RUNTIME, "%s", misuse); /* the plugin's bug: exit 1 */
        created = -1;
    }
    if (created != 0) {
        if (err && err->status == HRKD_STATUS_OK)
            hrkd_error_set(err, HRKD_STATUS_INVALID, "failed to start and gave no message");
        hrkd_error_prefix(err, "plugin '%s' (%s.create): ", d->name, hrkd_plugin_kind_name(d->kind));
        inst->desc = NULL;
        return -1;
    }
    return 0;
}
/* the plugin that key `key` of [sec] names */
#define BIND(s, sec, key, kind, inst, args, err) \
    bind_plugin(s, sec##_##key(s), kind, #sec, key_##sec##_##key, inst, args, err)

static void unbind(hrkd_plugin_inst *i)
{
    if (i->desc && i->desc->destroy) i->desc->destroy(i->self);
    i->desc = NULL;
}

/* ---- models ---- */

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

static void model_config(const hrkd_config_section *sec, int vocab, int max_len, hrkd_bert_config *c)
{
    *c = hrkd_bert_config_default();
    c->layers = (int)model_layers(sec);
    c->hidden = (int)model_hidden(sec);
    c->heads = (int)model_heads(sec);
    c->ffn = (int)model_ffn(sec);
    c->max_positions = (int)model_max_positions(sec);
    if (c->max_positions < max_len) c->max_positions = max_len;
    c->vocab = vocab;
    c->gelu_tanh = !strcmp(model_gelu(sec), "tanh");
    c->layer_norm_eps = (float)model_layer_norm_eps(sec);
    c->dropout = (float)model_dropout(sec);
    c->attn_dropout = (float)model_attention_dropout(sec);
}

/* [teacher] checkpoint names either a teacher run file (.h5: distil from it) or a Hugging Face
 * folder (config.json: initialise the teacher from it, then train it). */
const char *hrkd_setup_teacher_pretrained(const hrkd_setup *s)
{
    static char probe[PATH_MAX];
    const char *ck = teacher_checkpoint(s);
    if (!ck || !*ck) return NULL;
    snprintf(probe, sizeof probe, "%s/config.json", ck);
    return access(probe, R_OK) == 0 ? ck : NULL;
}

hrkd_status hrkd_setup_teacher_arch(const hrkd_setup *s, hrkd_bert_config *c, hrkd_error *err)
{
    model_config(s->section.teacher, s->ds->vocab_size, (int)data_max_seq_len(s), c);
    const char *pre = hrkd_setup_teacher_pretrained(s);
    if (pre) {
        hrkd_hf_config hc;
        hrkd_status st = hrkd_hf_read_config(pre, &hc, err);
        if (st != HRKD_STATUS_OK) return st;
        float drop = c->dropout, adrop = c->attn_dropout;
        hrkd_hf_to_bert_config(&hc, c);
        c->dropout = drop;
        c->attn_dropout = adrop;
        if (c->vocab < s->ds->vocab_size)
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "%s: [teacher] checkpoint: vocabulary of %d ids is smaller than the data's %d",
                                  hrkd_config_path(s->cfg), c->vocab, s->ds->vocab_size);
    }
    c->num_labels = s->data.num_labels;
    c->cls_relu = !strcmp(teacher_head_activation(s), "relu");
    return hrkd_bert_config_check(c, err);
}

hrkd_status hrkd_setup_student_arch(const hrkd_setup *s, const hrkd_bert_config *tc,
                                    hrkd_bert_config *c, hrkd_error *err)
{
    model_config(s->section.student, tc->vocab, (int)data_max_seq_len(s), c);
    if (!strcmp(student_init(s), "pretrained")) {
        hrkd_hf_config hc;
        hrkd_status st = hrkd_hf_read_config(student_checkpoint(s), &hc, err);
        if (st != HRKD_STATUS_OK) return st;
        float drop = c->dropout, adrop = c->attn_dropout;
        hrkd_hf_to_bert_config(&hc, c);
        c->dropout = drop;
        c->attn_dropout = adrop;
    }
    c->num_labels = s->data.num_labels;
    c->num_heads_cls = s->data.D;
    c->fit_dim = tc->hidden;
    if (c->vocab != tc->vocab)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "[student] vocabulary %d differs from the teacher's %d",
                              c->vocab, tc->vocab);
    return HRKD_STATUS_OK;
}

/* ---- teachers to train ---- */

hrkd_status hrkd_setup_teachers(const hrkd_setup *s, uint64_t seed, hrkd_teachers *t, hrkd_error *err)
{
    memset(t, 0, sizeof *t);
    hrkd_bert_config *c = &t->cfg;
    hrkd_status st = hrkd_setup_teacher_arch(s, c, err);
    if (st != HRKD_STATUS_OK) return st;
    hrkd_teacher_setup *ts = &t->ts;
    /* a strategy may declare weights of its own (meta_teacher): model "strategy" */
    if (!(t->strategy_params = hrkd_params_create(s->be, "strategy")))
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    hrkd_plugin_args args = {.n_domains = s->data.D, .seed = seed, .params = t->strategy_params,
                             .n_teacher_layers = c->layers, .feature_dim = c->hidden};
    if (BIND(s, teacher, strategy, HRKD_KIND_TEACHER, &ts->strategy, &args, err) != 0) return err->status;
    if (hrkd_params_count(t->strategy_params) > 0) {
        ts->plugin_params = t->strategy_params;
        st = hrkd_params_alloc(t->strategy_params, 1, 1, err);
    }
    ts->n_models = ts->strategy.desc->teacher->n_models(ts->strategy.self, s->data.D);
    ts->n_heads = ts->strategy.desc->teacher->n_heads(ts->strategy.self, s->data.D);
    c->num_heads_cls = ts->n_heads;
    const char *pre = hrkd_setup_teacher_pretrained(s);
    for (int k = 0; k < ts->n_models && st == HRKD_STATUS_OK; k++) {
        char name[32];
        snprintf(name, sizeof name, "teacher_%d", k);
        ts->models[k] = hrkd_bert_create(s->be, c, name, 1, 1, err);
        if (!ts->models[k]) { st = err->status; break; }
        hrkd_bert_init_weights(ts->models[k], seed * 1000003u + (uint64_t)k);
        if (pre) st = import_pretrained(pre, ts->models[k], err);
    }
    return st;
}

/* Meta-KD: the transferability weights of the training data, from the frozen [metakd]
 * encoder or, when that is empty, from the teacher as initialised (before training). */
hrkd_status hrkd_setup_teacher_weights(const hrkd_setup *s, uint64_t seed, hrkd_teachers *t,
                                       hrkd_ctx *ctx, hrkd_run *run, hrkd_error *err)
{
    hrkd_bert *teacher = t->ts.models[0];
    const char *enc_dir = metakd_encoder(s);
    char id[PATH_MAX + 64];
    hrkd_bert *enc = teacher;
    hrkd_status st = HRKD_STATUS_OK;
    if (enc_dir && *enc_dir) {
        hrkd_hf_config hc;
        hrkd_bert_config c;
        if ((st = hrkd_hf_read_config(enc_dir, &hc, err)) != HRKD_STATUS_OK) goto fail;
        hrkd_hf_to_bert_config(&hc, &c);
        if (c.vocab < s->ds->vocab_size)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [metakd] encoder: vocabulary of %d "
                                  "ids is smaller than the data's %d", hrkd_config_path(s->cfg),
                                  c.vocab, s->ds->vocab_size);
        if (c.max_positions < (int)data_max_seq_len(s)) c.max_positions = (int)data_max_seq_len(s);
        c.num_heads_cls = 0;
        if (!(enc = hrkd_bert_create(s->be, &c, "encoder", 0, 0, err))) return err->status;
        if ((st = import_pretrained(enc_dir, enc, err)) != HRKD_STATUS_OK) goto fail;
        snprintf(id, sizeof id, "encoder:%s", enc_dir);
    } else if (hrkd_setup_teacher_pretrained(s)) {
        snprintf(id, sizeof id, "teacher-init:%s", hrkd_setup_teacher_pretrained(s));
    } else {
        snprintf(id, sizeof id, "teacher-init:random:seed=%llu:%dx%d", (unsigned long long)seed,
                 teacher->cfg.layers, teacher->cfg.hidden);
    }
    hrkd_metakd_t_source src = {.encoder = enc, .encoder_id = id, .cache = metakd_transferability_cache(s),
                                .eval_batch = data_eval_batch_size(s), .ini_text = s->ini_text};
    st = hrkd_metakd_t_prepare(&src, &s->data, s->be, ctx, run, &t->tw, err);
    for (int d = 0; d < s->data.D; d++) t->ts.transferability[d] = t->tw.t[d];
fail:
    if (st != HRKD_STATUS_OK && enc != teacher) hrkd_error_prefix(err, "%s: [metakd] encoder: ", hrkd_config_path(s->cfg));
    if (enc != teacher) hrkd_bert_destroy(enc);
    return st;
}

void hrkd_teachers_free(hrkd_teachers *t)
{
    for (int k = 0; k < t->ts.n_models; k++) hrkd_bert_destroy(t->ts.models[k]);
    unbind(&t->ts.strategy);
    hrkd_params_destroy(t->strategy_params);
    hrkd_metakd_t_free(&t->tw);
    memset(t, 0, sizeof *t);
}

/* ---- a distillation ---- */

/* [student] fit_init = identity: every fit projection starts as I (weight) and 0 (bias). */
static hrkd_status fit_identity(const hrkd_setup *s, hrkd_bert *st_model, hrkd_error *err)
{
    int n = st_model->cfg.hidden, f = st_model->cfg.fit_dim;
    if (f != n)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: [student] fit_init = identity needs the student's width to equal "
                              "the teacher's (student %d, teacher %d)", hrkd_config_path(s->cfg), n, f);
    float *w = calloc((size_t)n * n + n, sizeof *w), *b = w ? w + (size_t)n * n : NULL; /* b = 0 */
    if (!w) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) w[(size_t)i * n + i] = 1.0f;
    hrkd_status st = HRKD_STATUS_OK;
    for (int l = 0; l <= st_model->cfg.layers && st == HRKD_STATUS_OK; l++)
        if ((st = hrkd_params_write(st_model->params, st_model->fit_w[l], w)) == HRKD_STATUS_OK)
            st = hrkd_params_write(st_model->params, st_model->fit_b[l], b);
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
static hrkd_status metakd_bind_teachers(const hrkd_setup *s, uint64_t seed, const char *teacher_path,
                                        hrkd_distill *dd, hrkd_error *err)
{
    hrkd_run *tr = NULL;
    hrkd_status st = hrkd_run_open(teacher_path, &tr, err);
    for (int d = 0; d < s->data.D && st == HRKD_STATUS_OK; d++) {
        hrkd_params **msp = &dd->strategy[d];
        if (!(*msp = hrkd_params_create(s->be, "strategy"))) {
            st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
            break;
        }
        hrkd_plugin_args args = {.n_domains = s->data.D, .seed = seed, .params = *msp,
                                 .n_teacher_layers = dd->tc.layers, .feature_dim = dd->tc.hidden};
        if (BIND(s, teacher, strategy, HRKD_KIND_TEACHER, &dd->kd.teacher_plugin[d], &args, err) != 0) {
            st = err->status;
            break;
        }
        const hrkd_plugin_descriptor *pd = dd->kd.teacher_plugin[d].desc;
        if (pd->abi_minor < 1 || !pd->teacher->domain_repr || hrkd_params_count(*msp) == 0) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [teacher] strategy: '%s' has no domain "
                                "representation; [distill] method = metakd needs a meta_teacher",
                                hrkd_config_path(s->cfg), pd->name);
            break;
        }
        char g[32];
        snprintf(g, sizeof g, "best_d%d", d);
        if ((st = hrkd_params_alloc(*msp, 0, 0, err)) == HRKD_STATUS_OK &&
            (st = hrkd_run_load_checkpoint(tr, g, msp, 1, NULL, err)) != HRKD_STATUS_OK)
            hrkd_error_prefix(err, "%s: [teacher] checkpoint %s (trained with strategy = %s?): ",
                              hrkd_config_path(s->cfg), teacher_path, pd->name);
    }
    hrkd_run_free(tr);
    return st;
}

static void join_labels(char *buf, size_t cap, int n, const char *const *names)
{
    size_t used = 0;
    buf[0] = 0;
    for (int l = 0; l < n && used < cap; l++) {
        int k = snprintf(buf + used, cap - used, "%s%s", l ? ", " : "", names[l]);
        if (k < 0) break;
        used += (size_t)k;
    }
}

/* A teacher numbers the labels as the data does: the same names in the same order. A run file
 * written before label names were kept cannot be checked (a note says so). */
static hrkd_status check_labels(const hrkd_setup *s, const char *teacher_path, const hrkd_run_view *v,
                                hrkd_error *err)
{
    const hrkd_dataset *ds = s->ds;
    if (v->n_labels == 0) {
        if (hrkd_comm_rank(s->comm) == 0)
            printf("note: [teacher] checkpoint %s records no label names; its label order is not checked\n",
                   teacher_path);
        return HRKD_STATUS_OK;
    }
    int same = v->n_labels == ds->num_labels;
    for (int l = 0; same && l < ds->num_labels; l++) same = !strcmp(v->label_names[l], ds->label_names[l]);
    if (same) return HRKD_STATUS_OK;
    char theirs[1024], ours[1024];
    join_labels(theirs, sizeof theirs, v->n_labels, v->label_names);
    join_labels(ours, sizeof ours, ds->num_labels, (const char *const *)ds->label_names);
    return hrkd_error_set(err, HRKD_STATUS_INVALID,
                          "%s: [teacher] checkpoint %s was trained with labels (%s), the data has labels (%s); "
                          "a student is distilled only from a teacher with the same labels in the same order",
                          hrkd_config_path(s->cfg), teacher_path, theirs, ours);
}

/* The teachers of teacher_path for every domain (checked against the data) into dd->kd. */
static hrkd_status load_teachers(const hrkd_setup *s, const char *teacher_path, hrkd_distill *dd,
                                 hrkd_error *err)
{
    const int D = s->data.D;
    hrkd_run *tr = NULL;
    hrkd_status st = hrkd_run_open(teacher_path, &tr, err);
    if (st != HRKD_STATUS_OK) {
        hrkd_error_prefix(err, "%s: [teacher] checkpoint: ", hrkd_config_path(s->cfg));
        return st;
    }
    hrkd_run_view v;
    hrkd_run_get_view(tr, &v);
    if (v.D != D)
        st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                            "%s: [teacher] checkpoint %s was trained on %d domains, the data has %d",
                            hrkd_config_path(s->cfg), teacher_path, v.D, D);
    for (int d = 0; d < D && st == HRKD_STATUS_OK; d++) {
        int found = 0;
        for (int e = 0; e < v.D; e++) found |= !strcmp(v.domains[e], s->data.domains[d]);
        if (!found)
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: [teacher] checkpoint %s has no teacher for domain '%s'",
                                hrkd_config_path(s->cfg), teacher_path, s->data.domains[d]);
    }
    if (st == HRKD_STATUS_OK) st = check_labels(s, teacher_path, &v, err);
    /* the heads of the saved models (mtl teachers have one per domain) */
    if (st == HRKD_STATUS_OK) st = hrkd_teacher_read_heads(tr, D, &dd->tc.num_heads_cls, err);
    hrkd_run_free(tr);
    if (st != HRKD_STATUS_OK) return st;
    st = hrkd_load_teachers(teacher_path, s->be, &dd->tc, D, dd->kd.teacher, dd->kd.teacher_head, err);
    if (st != HRKD_STATUS_OK) hrkd_error_prefix(err, "%s: [teacher] checkpoint: ", hrkd_config_path(s->cfg));
    return st;
}

/* [distill] layer_map: uniform, or M+1 teacher layer numbers (the schema checked the form). */
static hrkd_status layer_map(const hrkd_setup *s, hrkd_distill *dd, hrkd_error *err)
{
    hrkd_kd *kd = &dd->kd;
    const int N = dd->tc.layers;
    if (!strcmp(distill_layer_map(s), "uniform")) {
        if (kd->M < 1 || N % kd->M != 0)
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "%s: [student] layers = %d must divide the teacher's %d layers for "
                                  "[distill] layer_map = uniform (or list the teacher layers)",
                                  hrkd_config_path(s->cfg), kd->M, N);
        hrkd_kd_uniform_layer_map(kd->M, N, kd->layer_map);
        return HRKD_STATUS_OK;
    }
    const char *p = distill_layer_map(s);
    for (int m = 0; m <= kd->M; m++) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > N)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [distill] layer_map: expected %d "
                                  "teacher layer numbers in 0..%d", hrkd_config_path(s->cfg), kd->M + 1, N);
        kd->layer_map[m] = (int)v;
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_setup_distill(const hrkd_setup *s, uint64_t seed, const char *teacher_path,
                               hrkd_distill *dd, hrkd_error *err)
{
    const int D = s->data.D;
    memset(dd, 0, sizeof *dd);
    hrkd_kd *kd = &dd->kd;
    kd->D = D;
    dd->metakd = !strcmp(distill_method(s), "metakd");
    hrkd_status st = hrkd_setup_teacher_arch(s, &dd->tc, err);
    if (st != HRKD_STATUS_OK) return st;
    if ((st = load_teachers(s, teacher_path, dd, err)) != HRKD_STATUS_OK) return st;
    if (dd->metakd && (st = metakd_bind_teachers(s, seed, teacher_path, dd, err)) != HRKD_STATUS_OK)
        return st;
    /* student */
    if ((st = hrkd_setup_student_arch(s, &dd->tc, &dd->sc, err)) != HRKD_STATUS_OK) return st;
    kd->M = dd->sc.layers;
    if ((st = layer_map(s, dd, err)) != HRKD_STATUS_OK) return st;
    if (!(kd->student = hrkd_bert_create(s->be, &dd->sc, "student", 1, 1, err))) return err->status;
    hrkd_bert_init_weights(kd->student, seed * 7919u + 1);
    if (!strcmp(student_fit_init(s), "identity") && (st = fit_identity(s, kd->student, err)) != HRKD_STATUS_OK)
        return st;
    if (!strcmp(student_init(s), "pretrained"))
        st = import_pretrained(student_checkpoint(s), kd->student, err);
    else if (!strcmp(student_init(s), "teacher_layers"))
        st = init_from_teacher(kd->student, kd->teacher[0], kd->layer_map, err);
    if (st != HRKD_STATUS_OK) return st;
    /* plugins */
    kd->relational = distill_relational(s);
    kd->gamma = (float)distill_gamma(s);
    kd->temperature = (float)distill_temperature(s);
    kd->hidden_ratio = (float)distill_hidden_ratio(s);
    kd->pred_ratio = (float)distill_pred_ratio(s);
    dd->trainable = relational_trainable(s);
    if (!(dd->relational = hrkd_params_create(s->be, "relational")))
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    hrkd_plugin_args args = {.n_domains = D, .n_student_layers = kd->M, .n_teacher_layers = dd->tc.layers,
                             .feature_dim = dd->tc.hidden, .seed = seed, .params = dd->relational};
    hrkd_plugin_args largs = args;
    largs.params = NULL;
    if (BIND(s, distill, loss, HRKD_KIND_LOSS, &kd->loss, &largs, err) != 0 ||
        (kd->relational &&
         (BIND(s, relational, reference, HRKD_KIND_RELATIONAL_REFERENCE, &kd->reference, &args, err) != 0 ||
          BIND(s, relational, aggregate, HRKD_KIND_RELATIONAL_AGGREGATE, &kd->aggregate, &args, err) != 0 ||
          BIND(s, relational, graph, HRKD_KIND_RELATIONAL_GRAPH, &kd->graph, &args, err) != 0)))
        return err->status;
    return hrkd_params_alloc(dd->relational, dd->trainable, dd->trainable, err);
}

void hrkd_distill_free(hrkd_distill *dd)
{
    hrkd_kd *kd = &dd->kd;
    unbind(&kd->loss);
    unbind(&kd->reference);
    unbind(&kd->aggregate);
    unbind(&kd->graph);
    for (int d = 0; d < kd->D; d++) {
        unbind(&kd->teacher_plugin[d]);
        hrkd_params_destroy(dd->strategy[d]);
    }
    hrkd_params_destroy(dd->relational);
    hrkd_bert_destroy(kd->student);
    for (int d = 0; d < kd->D; d++) hrkd_bert_destroy(kd->teacher[d]);
    memset(dd, 0, sizeof *dd);
}

hrkd_status hrkd_setup_metakd(const hrkd_setup *s, uint64_t seed, const hrkd_distill *dd,
                              const char *path, const char *const *terms, hrkd_metakd_opts *mo,
                              hrkd_error *err)
{
    *mo = (hrkd_metakd_opts){.epochs = {metakd_stage1_epochs(s), metakd_stage2_epochs(s)},
                             .lr = {metakd_stage1_lr(s), metakd_stage2_lr(s)}, .path = path};
    const char *target = metakd_target(s);
    mo->target = !strcmp(target, "all") ? -1 : !strcmp(target, "each") ? -2 : -3;
    for (int d = 0; d < s->data.D && mo->target == -3; d++)
        if (!strcmp(target, s->data.domains[d])) mo->target = d;
    if (mo->target == -3) {
        int line = 0;
        const char *file = hrkd_cfg_origin(s->section.metakd, key_metakd_target, &line);
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: [metakd] target: '%s' is not all, "
                              "each or a domain of the data", file ? file : hrkd_config_path(s->cfg),
                              line, target);
    }
    mo->meta = hrkd_setup_run_meta(s, seed, dd->kd.M, dd->tc.layers, dd->kd.layer_map, dd->kd.M + 3, terms);
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_setup_export(const hrkd_setup *s, const hrkd_distill *dd, hrkd_error *err)
{
    const char *dir = output_export_hf(s);
    if (!dir[0] || hrkd_comm_rank(s->comm) != 0) return HRKD_STATUS_OK;
    const hrkd_bert_config *sc = &dd->sc;
    hrkd_hf_export_info info = {0};
    info.cfg.layers = sc->layers; info.cfg.hidden = sc->hidden; info.cfg.heads = sc->heads;
    info.cfg.intermediate = sc->ffn; info.cfg.vocab = sc->vocab; info.cfg.max_positions = sc->max_positions;
    info.cfg.type_vocab = sc->type_vocab; info.cfg.num_labels = sc->num_labels;
    snprintf(info.cfg.hidden_act, sizeof info.cfg.hidden_act, "%s", sc->gelu_tanh ? "gelu_new" : "gelu");
    info.cfg.layer_norm_eps = sc->layer_norm_eps;
    snprintf(info.cfg.model_type, sizeof info.cfg.model_type, "bert");
    info.n_domains = s->data.D;
    info.domains = s->data.domains;
    info.label_names = (const char *const *)s->ds->label_names;
    hrkd_data_options o;
    hrkd_data_options_from_config(s->section.data, &o);
    info.do_lower_case = o.lowercase;
    char vocab[PATH_MAX] = "";
    if (o.vocab && *o.vocab) snprintf(vocab, sizeof vocab, "%s", o.vocab);
    else if (strcmp(o.format, "synthetic") != 0) hrkd_data_checkpoint_vocab(s->cfg, vocab, sizeof vocab);
    info.vocab_path = vocab[0] ? vocab : NULL; /* NULL: the synthetic vocabulary */
    hrkd_status st = hrkd_hf_export(dir, dd->kd.student->params, &info, err);
    if (st == HRKD_STATUS_OK)
        printf("exported the student to %s: one Hugging Face folder per domain (%s/%s, ...), README.md\n", dir,
               dir, s->data.domains[0]);
    return st;
}
