/* host/train/setup_models.c — the plugins a setup binds (each [section] key that names one),
 * the teacher and student architectures, pretrained imports, and the teachers to train with
 * their strategy plugin (see setup.h). */
#include "train/setup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrkd/hrkd.h"
#include "model/precision.h"

/* ---- plugins ---- */

/* Bind the plugin `name` that [section] key names, with its own section's parameters. */
int hrkd_setup_bind_plugin(const hrkd_setup *s, const char *name, hrkd_plugin_kind kind,
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
void hrkd_setup_unbind(hrkd_plugin_inst *i)
{
    if (i->desc && i->desc->destroy) i->desc->destroy(i->self);
    i->desc = NULL;
}

/* ---- models ---- */

/* Import pretrained weights (Hugging Face folder) into a model whose architecture came from
 * the folder's config.json. */
hrkd_status hrkd_setup_import_pretrained(const char *dir, hrkd_bert *m, hrkd_error *err)
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

int hrkd_setup_precision(const hrkd_setup *s, const hrkd_config_section *model)
{
    return hrkd_precision_resolve(hrkd_precision_parse(model_precision(model)), backend_tf32(s), backend_bf16(s));
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
    c->precision = hrkd_setup_precision(s, s->section.teacher);
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
    c->precision = hrkd_setup_precision(s, s->section.student);
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
    if (HRKD_SETUP_BIND(s, teacher, strategy, HRKD_KIND_TEACHER, &ts->strategy, &args, err) != 0)
        return err->status;
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
        if (pre) st = hrkd_setup_import_pretrained(pre, ts->models[k], err);
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
        if ((st = hrkd_setup_import_pretrained(enc_dir, enc, err)) != HRKD_STATUS_OK) goto fail;
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
    hrkd_setup_unbind(&t->ts.strategy);
    hrkd_params_destroy(t->strategy_params);
    hrkd_metakd_t_free(&t->tw);
    memset(t, 0, sizeof *t);
}
