/* host/train/setup_distill.c — a distillation from the configuration: the teachers read back
 * from their run file (or the Meta-KD teachers), the student and its initialisation, the layer
 * map, the loss and relational plugins; the Meta-KD stages and the Hugging Face export (see
 * setup.h). */
#include "train/setup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrkd/hrkd.h"
#include "core/core.h"

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
        if (HRKD_SETUP_BIND(s, teacher, strategy, HRKD_KIND_TEACHER, &dd->kd.teacher_plugin[d], &args,
                            err) != 0) {
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
    hrkd_log_memory("teachers read");
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
        st = hrkd_setup_import_pretrained(student_checkpoint(s), kd->student, err);
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
    if (HRKD_SETUP_BIND(s, distill, loss, HRKD_KIND_LOSS, &kd->loss, &largs, err) != 0 ||
        (kd->relational &&
         (HRKD_SETUP_BIND(s, relational, reference, HRKD_KIND_RELATIONAL_REFERENCE, &kd->reference, &args, err) != 0 ||
          HRKD_SETUP_BIND(s, relational, aggregate, HRKD_KIND_RELATIONAL_AGGREGATE, &kd->aggregate, &args, err) != 0 ||
          HRKD_SETUP_BIND(s, relational, graph, HRKD_KIND_RELATIONAL_GRAPH, &kd->graph, &args, err) != 0)))
        return err->status;
    st = hrkd_params_alloc(dd->relational, dd->trainable, dd->trainable, err);
    hrkd_log_memory("student and plugins set up");
    return st;
}

void hrkd_distill_free(hrkd_distill *dd)
{
    hrkd_kd *kd = &dd->kd;
    hrkd_setup_unbind(&kd->loss);
    hrkd_setup_unbind(&kd->reference);
    hrkd_setup_unbind(&kd->aggregate);
    hrkd_setup_unbind(&kd->graph);
    for (int d = 0; d < kd->D; d++) {
        hrkd_setup_unbind(&kd->teacher_plugin[d]);
        hrkd_params_destroy(dd->strategy[d]);
    }
    hrkd_params_destroy(dd->relational);
    hrkd_bert_destroy(kd->student);
    for (int d = 0; d < kd->D; d++) { /* domains may share a teacher (hrkd_load_teachers) */
        int shared = 0;
        for (int e = 0; e < d; e++) shared |= kd->teacher[e] == kd->teacher[d];
        if (!shared) hrkd_bert_destroy(kd->teacher[d]);
    }
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
