/* host/store/hf.c — Hugging Face BERT checkpoints in and out.
 *
 * Import: DIR/config.json gives the architecture; DIR/model.safetensors (preferred) or
 * DIR/pytorch_model.bin gives tensors, which are mapped onto a store's names (BertModel names
 * without "bert.", classifiers.{d}.*, fit_denses.{m}.*):
 *   - an optional "bert." prefix is stripped; TF-era LayerNorm "gamma"/"beta" → weight/bias;
 *   - BertForSequenceClassification's "classifier.{weight,bias}" is copied into every domain
 *     head classifiers.{d}.* (reported as a note);
 *   - TinyBERT general-distillation "fit_denses.{m}.*" map one to one; a single "fit_dense.*"
 *     has no per-layer counterpart and is reported unused (the per-layer projections start
 *     random, as in the HRKD reference);
 *   - "cls.*" (MLM / NSP heads) and "*position_ids" buffers are reported unused.
 * Shape mismatches are errors naming the tensor, the file and both shapes.
 *
 * Export writes what transformers' BertForSequenceClassification loads: config.json,
 * vocab.txt and model.safetensors with bert.* names and classifier.* = the head of domain 0;
 * every domain's head is also stored as classifiers.{d}.* (transformers reports those as
 * unused weights; results/README.md shows how to load head d).
 */
#include "store/store.h"

#include "core/path.h"
#include "model/bert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HF_MAX_CONFIG (1u << 20)

/* ---- config.json ---------------------------------------------------------------------- */
static hrkd_status cfg_int(const hrkd_json *root, const char *path, const char *text, size_t len,
                           const char *key, int required, int def, int *out, hrkd_error *err)
{
    const hrkd_json *j = hrkd_json_get(root, key);
    if (!j) {
        if (required)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: missing integer \"%s\"", path, key);
        *out = def;
        return HRKD_STATUS_OK;
    }
    if (j->kind != HRKD_JSON_NUMBER || !j->is_int || j->i < 1 || j->i > (1 << 30))
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: \"%s\": expected a positive integer",
                              path, hrkd_json_line(text, len, j->pos), key);
    *out = (int)j->i;
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_hf_read_config(const char *dir, hrkd_hf_config *cfg, hrkd_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    memset(cfg, 0, sizeof *cfg);
    uint8_t *buf;
    size_t len;
    hrkd_status st = hrkd_file_read_all(path, HF_MAX_CONFIG, &buf, &len, err);
    if (st != HRKD_STATUS_OK) return st;
    const char *text = (const char *)buf;
    hrkd_json *root = hrkd_json_parse(text, len, path, err);
    if (!root) {
        free(buf);
        return HRKD_STATUS_INVALID;
    }
    if (root->kind != HRKD_JSON_OBJECT) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: expected a JSON object", path);
    if (!st) st = cfg_int(root, path, text, len, "num_hidden_layers", 1, 0, &cfg->layers, err);
    if (!st) st = cfg_int(root, path, text, len, "hidden_size", 1, 0, &cfg->hidden, err);
    if (!st) st = cfg_int(root, path, text, len, "num_attention_heads", 1, 0, &cfg->heads, err);
    if (!st) st = cfg_int(root, path, text, len, "intermediate_size", 1, 0, &cfg->intermediate, err);
    if (!st) st = cfg_int(root, path, text, len, "vocab_size", 1, 0, &cfg->vocab, err);
    if (!st) st = cfg_int(root, path, text, len, "max_position_embeddings", 1, 0, &cfg->max_positions, err);
    if (!st) st = cfg_int(root, path, text, len, "type_vocab_size", 0, 2, &cfg->type_vocab, err);
    if (!st) st = cfg_int(root, path, text, len, "num_labels", 0, 2, &cfg->num_labels, err);
    if (!st) {
        const hrkd_json *labels = hrkd_json_get(root, "id2label");
        if (labels && labels->kind == HRKD_JSON_OBJECT && labels->len > 0) cfg->num_labels = (int)labels->len;
        const hrkd_json *act = hrkd_json_get(root, "hidden_act");
        snprintf(cfg->hidden_act, sizeof cfg->hidden_act, "%s",
                 act && act->kind == HRKD_JSON_STRING ? act->str : "gelu");
        if (act && act->kind != HRKD_JSON_STRING)
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: \"hidden_act\": expected a string",
                                path, hrkd_json_line(text, len, act->pos));
        /* the erf GELU ("gelu", "gelu_python") and the tanh one ("gelu_new", "gelu_pytorch_tanh")
         * are what the encoder computes; anything else would run silently as GELU */
        static const char *const ACTS[] = {"gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh"};
        int act_ok = 0;
        for (size_t i = 0; i < sizeof ACTS / sizeof ACTS[0]; i++) act_ok |= !strcmp(cfg->hidden_act, ACTS[i]);
        if (!st && !act_ok)
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: \"hidden_act\": \"%.40s\" is not supported (hrkd "
                                "implements gelu, gelu_python, gelu_new and gelu_pytorch_tanh)", path,
                                hrkd_json_line(text, len, act->pos), cfg->hidden_act);
        const hrkd_json *pet = hrkd_json_get(root, "position_embedding_type");
        if (!st && pet && (pet->kind != HRKD_JSON_STRING || strcmp(pet->str, "absolute") != 0))
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: \"position_embedding_type\": \"%.40s\" is not "
                                "supported (hrkd implements absolute position embeddings)", path,
                                hrkd_json_line(text, len, pet->pos), pet->kind == HRKD_JSON_STRING ? pet->str : "?");
        const hrkd_json *mt = hrkd_json_get(root, "model_type");
        snprintf(cfg->model_type, sizeof cfg->model_type, "%s",
                 mt && mt->kind == HRKD_JSON_STRING ? mt->str : "bert");
        const hrkd_json *eps = hrkd_json_get(root, "layer_norm_eps");
        cfg->layer_norm_eps = 1e-12f;
        if (eps && (eps->kind != HRKD_JSON_NUMBER || !(eps->num > 0) || eps->num > 1))
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s:%d: \"layer_norm_eps\": expected a number in (0, 1]",
                                path, hrkd_json_line(text, len, eps->pos));
        else if (eps)
            cfg->layer_norm_eps = (float)eps->num;
    }
    if (!st && cfg->hidden % cfg->heads != 0)
        st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                            "%s: hidden_size %d is not a multiple of num_attention_heads %d", path,
                            cfg->hidden, cfg->heads);
    if (!st && strcmp(cfg->model_type, "bert") != 0)
        hrkd_log(HRKD_LOG_WARN, "%s: model_type \"%s\": importing as BERT", path, cfg->model_type);
    hrkd_json_free(root);
    free(buf);
    return st;
}

hrkd_status hrkd_checkpoint_check(const char *path, hrkd_error *err)
{
    if (!path || !*path) return HRKD_STATUS_OK;
    struct stat sb;
    if (stat(path, &sb) != 0) return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: cannot open (%s)", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        char cj[4096];
        snprintf(cj, sizeof cj, "%s/config.json", path);
        if (stat(cj, &sb) != 0)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: a folder without config.json (expected a Hugging Face "
                                  "model folder or a teacher run file)", path);
        return hrkd_path_expect(cj, HRKD_PATH_FILE, err);
    }
    return hrkd_path_expect(path, HRKD_PATH_FILE, err);
}

void hrkd_hf_to_bert_config(const hrkd_hf_config *h, hrkd_bert_config *b)
{
    *b = hrkd_bert_config_default();
    b->layers = h->layers;
    b->hidden = h->hidden;
    b->heads = h->heads;
    b->ffn = h->intermediate;
    b->vocab = h->vocab;
    b->max_positions = h->max_positions;
    b->type_vocab = h->type_vocab;
    b->num_labels = h->num_labels;
    b->layer_norm_eps = h->layer_norm_eps;
    b->gelu_tanh = strcmp(h->hidden_act, "gelu_new") == 0 || strcmp(h->hidden_act, "gelu_pytorch_tanh") == 0;
}

/* ---- names ------------------------------------------------------------------------------ */
static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

hrkd_hf_map_kind hrkd_hf_map_name(const char *file_name, char *out, size_t cap)
{
    const char *n = file_name;
    if (strncmp(n, "bert.", 5) == 0) n += 5;
    if (strncmp(n, "cls.", 4) == 0 || ends_with(n, "position_ids")) {
        snprintf(out, cap, "%s", n);
        return HRKD_HF_MAP_UNUSED;
    }
    if (strcmp(n, "classifier.weight") == 0 || strcmp(n, "classifier.bias") == 0) {
        snprintf(out, cap, "%s", n + strlen("classifier."));
        return HRKD_HF_MAP_CLASSIFIER;
    }
    if (strncmp(n, "fit_dense.", 10) == 0) {
        snprintf(out, cap, "%s", n);
        return HRKD_HF_MAP_FIT_SINGLE;
    }
    /* TF-era LayerNorm parameter names */
    size_t len = strlen(n);
    if (ends_with(n, "LayerNorm.gamma"))
        snprintf(out, cap, "%.*sweight", (int)(len - 5), n);
    else if (ends_with(n, "LayerNorm.beta"))
        snprintf(out, cap, "%.*sbias", (int)(len - 4), n);
    else
        snprintf(out, cap, "%s", n);
    return HRKD_HF_MAP_PARAM;
}

/* ---- report ------------------------------------------------------------------------------ */
static int list_add(char ***list, int *n, const char *fmt, ...) HRKD_PRINTF(3, 4);
static int list_add(char ***list, int *n, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **nl = realloc(*list, (size_t)(*n + 1) * sizeof *nl);
    if (!nl) return 0;
    *list = nl;
    if (!(nl[*n] = strdup(buf))) return 0;
    (*n)++;
    return 1;
}

void hrkd_import_report_free(hrkd_import_report *r)
{
    if (!r) return;
    for (int i = 0; i < r->n_missing; i++) free(r->missing[i]);
    for (int i = 0; i < r->n_unused; i++) free(r->unused[i]);
    for (int i = 0; i < r->n_notes; i++) free(r->notes[i]);
    free(r->missing);
    free(r->unused);
    free(r->notes);
    memset(r, 0, sizeof *r);
}

void hrkd_import_report_log(const hrkd_import_report *r, const char *dir)
{
    hrkd_log(HRKD_LOG_INFO, "%s: imported %d tensors, %d parameters missing, %d tensors unused", dir,
             r->n_loaded, r->n_missing, r->n_unused);
    for (int i = 0; i < r->n_notes; i++) hrkd_log(HRKD_LOG_INFO, "%s: %s", dir, r->notes[i]);
    for (int i = 0; i < r->n_missing; i++) hrkd_log(HRKD_LOG_WARN, "%s: missing (initialised randomly): %s", dir, r->missing[i]);
    for (int i = 0; i < r->n_unused; i++) hrkd_log(HRKD_LOG_WARN, "%s: unused: %s", dir, r->unused[i]);
}

static void shape_str(int ndim, const int64_t *shape, char *buf, size_t cap)
{
    size_t o = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && o < cap; d++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (o < cap) snprintf(buf + o, cap - o, "]");
}

static hrkd_status write_param(hrkd_params *p, int i, const hrkd_named_tensor *t, const char *file,
                               hrkd_error *err)
{
    const hrkd_param_info *pi = hrkd_params_info(p, i);
    int same = pi->ndim == t->ndim;
    for (int d = 0; same && d < t->ndim; d++) same = pi->shape[d] == t->shape[d];
    if (!same) {
        char a[128], b[128];
        shape_str(t->ndim, t->shape, a, sizeof a);
        shape_str(pi->ndim, pi->shape, b, sizeof b);
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: tensor '%s' has shape %s but model parameter '%s' has shape %s",
                              file, t->name, a, pi->name, b);
    }
    if (hrkd_params_write(p, i, t->data) != HRKD_STATUS_OK)
        return hrkd_error_set(err, HRKD_STATUS_INTERNAL, "%s: cannot write parameter %s", file, pi->name);
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_hf_import_set(const hrkd_tensor_set *ts, const char *file, hrkd_params *p,
                               hrkd_import_report *rep, hrkd_error *err)
{
    memset(rep, 0, sizeof *rep);
    int np = hrkd_params_count(p);
    char *filled = calloc((size_t)(np ? np : 1), 1);
    if (!filled) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    hrkd_status st = HRKD_STATUS_OK;
    int fit_noted = 0, has_heads = 0;
    /* a file with per-domain heads (our export) carries classifier.* only as a copy of head 0 */
    for (int k = 0; k < ts->n; k++)
        if (strncmp(ts->t[k].name, "classifiers.", 12) == 0) has_heads = 1;
    for (int k = 0; k < ts->n && st == HRKD_STATUS_OK; k++) {
        const hrkd_named_tensor *t = &ts->t[k];
        char name[512];
        hrkd_hf_map_kind kind = hrkd_hf_map_name(t->name, name, sizeof name);
        if (kind == HRKD_HF_MAP_UNUSED) {
            list_add(&rep->unused, &rep->n_unused, "%s (%s)", t->name,
                     strncmp(name, "cls.", 4) == 0 ? "pre-training head" : "buffer");
            continue;
        }
        if (kind == HRKD_HF_MAP_FIT_SINGLE) {
            list_add(&rep->unused, &rep->n_unused, "%s (single projection)", t->name);
            if (!fit_noted++)
                list_add(&rep->notes, &rep->n_notes,
                         "%s: fit_dense is one projection for all layers (TinyBERT general distillation); "
                         "it does not match the per-layer fit_denses.{m}, which start random", file);
            continue;
        }
        if (!t->data) {
            list_add(&rep->unused, &rep->n_unused, "%s (integer dtype %s)", t->name,
                     hrkd_file_dtype_name(t->dtype));
            continue;
        }
        if (kind == HRKD_HF_MAP_CLASSIFIER && has_heads) {
            list_add(&rep->unused, &rep->n_unused, "%s (copy of classifiers.0.*)", t->name);
            continue;
        }
        if (kind == HRKD_HF_MAP_CLASSIFIER) {
            int heads = 0;
            for (int d = 0;; d++) {
                char hn[64];
                snprintf(hn, sizeof hn, "classifiers.%d.%s", d, name);
                int i = hrkd_params_find(p, hn);
                if (i < 0) break;
                if ((st = write_param(p, i, t, file, err)) != HRKD_STATUS_OK) break;
                filled[i] = 1;
                heads++;
            }
            if (st != HRKD_STATUS_OK) break;
            if (heads == 0) list_add(&rep->unused, &rep->n_unused, "%s (model has no classifier heads)", t->name);
            else {
                rep->n_loaded++;
                list_add(&rep->notes, &rep->n_notes, "%s copied into the %d domain heads classifiers.{0..%d}.%s",
                         t->name, heads, heads - 1, name);
            }
            continue;
        }
        int i = hrkd_params_find(p, name);
        if (i < 0) {
            list_add(&rep->unused, &rep->n_unused, "%s (no parameter '%s' in the model)", t->name, name);
            continue;
        }
        if (filled[i]) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: tensor '%s' maps to '%s', which another tensor already filled",
                                file, t->name, name);
            break;
        }
        if ((st = write_param(p, i, t, file, err)) != HRKD_STATUS_OK) break;
        filled[i] = 1;
        rep->n_loaded++;
    }
    for (int i = 0; st == HRKD_STATUS_OK && i < np; i++)
        if (!filled[i]) list_add(&rep->missing, &rep->n_missing, "%s", hrkd_params_info(p, i)->name);
    free(filled);
    if (st != HRKD_STATUS_OK) hrkd_import_report_free(rep);
    return st;
}

hrkd_status hrkd_hf_import(const char *dir, hrkd_params *p, hrkd_hf_config *cfg,
                           hrkd_import_report *rep, hrkd_error *err)
{
    memset(rep, 0, sizeof *rep);
    hrkd_hf_config local;
    hrkd_status st = hrkd_hf_read_config(dir, cfg ? cfg : &local, err);
    if (st != HRKD_STATUS_OK) return st;
    char path[4096];
    hrkd_tensor_set ts;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (access(path, F_OK) == 0) {
        st = hrkd_safetensors_load(path, &ts, err);
    } else {
        snprintf(path, sizeof path, "%s/pytorch_model.bin", dir);
        if (access(path, F_OK) != 0)
            return hrkd_error_set(err, HRKD_STATUS_NOT_FOUND,
                                  "%s: neither model.safetensors nor pytorch_model.bin found", dir);
        st = hrkd_torchbin_load(path, &ts, err);
    }
    if (st != HRKD_STATUS_OK) return st;
    st = hrkd_hf_import_set(&ts, path, p, rep, err);
    hrkd_tensor_set_free(&ts);
    return st;
}

/* ---- export ----------------------------------------------------------------------------- */
static hrkd_status copy_file(const char *src, const char *dst, hrkd_error *err)
{
    uint8_t *buf;
    size_t len;
    hrkd_status st = hrkd_file_read_all(src, (size_t)1 << 30, &buf, &len, err);
    if (st != HRKD_STATUS_OK) return st;
    FILE *f = fopen(dst, "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    free(buf);
    if (!ok) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot write: %s", dst, strerror(errno));
    return HRKD_STATUS_OK;
}

/* The synthetic data's vocabulary: its word ids have no text, so w<id> stands for each. */
static hrkd_status write_synthetic_vocab(const char *path, int vocab, hrkd_error *err)
{
    static const char *const special[5] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    FILE *f = fopen(path, "w");
    if (!f) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create: %s", path, strerror(errno));
    for (int i = 0; i < vocab; i++)
        if (i < 5) fprintf(f, "%s\n", special[i]);
        else fprintf(f, "w%d\n", i);
    if (fclose(f) != 0) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: write failed", path);
    return HRKD_STATUS_OK;
}

/* The heads the model has (classifiers.{0..n-1}). */
static int count_heads(hrkd_params *p)
{
    int n = 0;
    for (int i = 0; i < hrkd_params_count(p); i++) {
        const char *name = hrkd_params_info(p, i)->name;
        int d;
        if (strncmp(name, "classifiers.", 12) == 0 && sscanf(name + 12, "%d", &d) == 1 && d + 1 > n) n = d + 1;
    }
    return n;
}

/* model.safetensors of one domain: bert.* and its head (classifiers.{head}.*) as classifier.* */
static hrkd_status write_domain_tensors(const char *path, hrkd_params *p, int head, hrkd_error *err)
{
    hrkd_tensor_set ts = {0};
    hrkd_status st = HRKD_STATUS_OK;
    float *buf = NULL;
    int64_t buf_cap = 0;
    for (int i = 0; i < hrkd_params_count(p) && st == HRKD_STATUS_OK; i++) {
        const hrkd_param_info *pi = hrkd_params_info(p, i);
        char name[600];
        int d = -1;
        if (strncmp(pi->name, "fit_denses.", 11) == 0) continue; /* training-only */
        if (strncmp(pi->name, "classifiers.", 12) == 0) {
            const char *dot = strchr(pi->name + 12, '.');
            if (sscanf(pi->name + 12, "%d", &d) != 1 || !dot || d != head) continue;
            snprintf(name, sizeof name, "classifier.%s", dot + 1);
        } else {
            snprintf(name, sizeof name, "bert.%s", pi->name);
        }
        if (pi->numel > buf_cap) {
            float *nb = realloc(buf, (size_t)pi->numel * sizeof *nb);
            if (!nb) { st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); break; }
            buf = nb;
            buf_cap = pi->numel;
        }
        if (hrkd_params_read(p, i, buf) != HRKD_STATUS_OK)
            st = hrkd_error_set(err, HRKD_STATUS_INTERNAL, "cannot read parameter %s", pi->name);
        else
            st = hrkd_tensor_set_add(&ts, name, pi->ndim, pi->shape, buf, err);
    }
    free(buf);
    if (st == HRKD_STATUS_OK) st = hrkd_safetensors_save(path, &ts, err);
    hrkd_tensor_set_free(&ts);
    return st;
}

static hrkd_status write_domain_config(const char *path, const hrkd_hf_export_info *info, int d,
                                       hrkd_error *err)
{
    const hrkd_hf_config *c = &info->cfg;
    FILE *f = fopen(path, "w");
    if (!f) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create: %s", path, strerror(errno));
    fprintf(f, "{\n  \"architectures\": [\"BertForSequenceClassification\"],\n  \"model_type\": \"bert\",\n");
    fprintf(f, "  \"vocab_size\": %d,\n  \"hidden_size\": %d,\n  \"num_hidden_layers\": %d,\n", c->vocab,
            c->hidden, c->layers);
    fprintf(f, "  \"num_attention_heads\": %d,\n  \"intermediate_size\": %d,\n  \"hidden_act\": ", c->heads,
            c->intermediate);
    hrkd_json_write_string(f, c->hidden_act[0] ? c->hidden_act : "gelu");
    fprintf(f, ",\n  \"hidden_dropout_prob\": 0.1,\n  \"attention_probs_dropout_prob\": 0.1,\n");
    fprintf(f, "  \"max_position_embeddings\": %d,\n  \"type_vocab_size\": %d,\n", c->max_positions,
            c->type_vocab);
    fprintf(f, "  \"initializer_range\": 0.02,\n  \"layer_norm_eps\": %.7g,\n  \"pad_token_id\": 0,\n",
            (double)c->layer_norm_eps);
    int nl = c->num_labels > 0 ? c->num_labels : 2;
    char fallback[32];
    fprintf(f, "  \"id2label\": {");
    for (int l = 0; l < nl; l++) {
        snprintf(fallback, sizeof fallback, "LABEL_%d", l);
        fprintf(f, "%s\"%d\": ", l ? ", " : "", l);
        hrkd_json_write_string(f, info->label_names ? info->label_names[l] : fallback);
    }
    fprintf(f, "},\n  \"label2id\": {");
    for (int l = 0; l < nl; l++) {
        snprintf(fallback, sizeof fallback, "LABEL_%d", l);
        fputs(l ? ", " : "", f);
        hrkd_json_write_string(f, info->label_names ? info->label_names[l] : fallback);
        fprintf(f, ": %d", l);
    }
    fprintf(f, "},\n  \"hrkd_domain\": ");
    hrkd_json_write_string(f, info->domains[d]);
    fprintf(f, "\n}\n");
    if (fclose(f) != 0) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: write failed", path);
    return HRKD_STATUS_OK;
}

static hrkd_status write_tokenizer_config(const char *path, const hrkd_hf_export_info *info, hrkd_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create: %s", path, strerror(errno));
    fprintf(f, "{\n  \"tokenizer_class\": \"BertTokenizer\",\n  \"do_lower_case\": %s,\n"
               "  \"model_max_length\": %d,\n  \"unk_token\": \"[UNK]\",\n  \"sep_token\": \"[SEP]\",\n"
               "  \"pad_token\": \"[PAD]\",\n  \"cls_token\": \"[CLS]\",\n  \"mask_token\": \"[MASK]\"\n}\n",
            info->do_lower_case ? "true" : "false", info->cfg.max_positions);
    if (fclose(f) != 0) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: write failed", path);
    return HRKD_STATUS_OK;
}

static hrkd_status write_readme(const char *path, const hrkd_hf_export_info *info, hrkd_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create: %s", path, strerror(errno));
    fprintf(f, "# A student distilled by hrkd\n\n"
               "One encoder, one classification head per domain. Each folder below is a standard\n"
               "Hugging Face BertForSequenceClassification with that domain's head:\n\n");
    for (int d = 0; d < info->n_domains; d++)
        fprintf(f, "- `%s/`: the %s domain\n", info->domains[d], info->domains[d]);
    fprintf(f, "\nLabels (id: name): ");
    int nl = info->cfg.num_labels > 0 ? info->cfg.num_labels : 2;
    for (int l = 0; l < nl; l++) {
        if (info->label_names) fprintf(f, "%s%d: %s", l ? ", " : "", l, info->label_names[l]);
        else fprintf(f, "%s%d: LABEL_%d", l ? ", " : "", l, l);
    }
    fprintf(f, ".\nThe encoder (`bert.*`) is the same in every folder; `classifier.*` differs.\n\n"
               "```python\n# from this folder\nfrom transformers import AutoModelForSequenceClassification, AutoTokenizer\n"
               "model = AutoModelForSequenceClassification.from_pretrained(\"%s\")\n"
               "tokenizer = AutoTokenizer.from_pretrained(\"%s\")\n```\n",
            info->domains[0], info->domains[0]);
    if (!info->vocab_path)
        fprintf(f, "\nThe data was hrkd's synthetic set: its word ids have no text, so vocab.txt names\n"
                   "them w5, w6, ... after the five special tokens.\n");
    if (fclose(f) != 0) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: write failed", path);
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_hf_export(const char *dir, hrkd_params *p, const hrkd_hf_export_info *info,
                           hrkd_error *err)
{
    if (info->n_domains < 1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: export needs at least one domain", dir);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create folder: %s", dir, strerror(errno));
    const int n_heads = count_heads(p);
    if (n_heads < 1) return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: the model has no classifier head", dir);
    hrkd_status st = HRKD_STATUS_OK;
    char sub[4096], path[4200];
    for (int d = 0; d < info->n_domains && st == HRKD_STATUS_OK; d++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, info->domains[d]);
        if (mkdir(sub, 0777) != 0 && errno != EEXIST)
            return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create folder: %s", sub, strerror(errno));
        /* a model with one shared head serves every domain with it */
        snprintf(path, sizeof path, "%s/model.safetensors", sub);
        st = write_domain_tensors(path, p, d < n_heads ? d : 0, err);
        snprintf(path, sizeof path, "%s/config.json", sub);
        if (st == HRKD_STATUS_OK) st = write_domain_config(path, info, d, err);
        snprintf(path, sizeof path, "%s/tokenizer_config.json", sub);
        if (st == HRKD_STATUS_OK) st = write_tokenizer_config(path, info, err);
        snprintf(path, sizeof path, "%s/vocab.txt", sub);
        if (st == HRKD_STATUS_OK)
            st = info->vocab_path ? copy_file(info->vocab_path, path, err)
                                  : write_synthetic_vocab(path, info->cfg.vocab, err);
    }
    snprintf(path, sizeof path, "%s/README.md", dir);
    if (st == HRKD_STATUS_OK) st = write_readme(path, info, err);
    return st;
}
