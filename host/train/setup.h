/* host/train/setup.h — from the validated configuration to what the training loop runs: the
 * backend, communicator and data; the teachers to train with their strategy plugin; the
 * distillation step (teachers read back, student, layer map, loss and relational plugins);
 * the loop's settings and the run files.
 *
 * Every host key this room reads is listed once, in HRKD_SETUP_KEYS: the list generates a typed
 * accessor per key (`run_max_steps(s)`, `distill_gamma(s)`, ...) and its name constant
 * (`key_distill_gamma`), and tests/test_setup_keys.c checks the list against the schema
 * (host/config/schema.c): every key declared in its section, with a matching type. */
#ifndef HRKD_TRAIN_SETUP_H
#define HRKD_TRAIN_SETUP_H

#include "config/cfg.h"
#include "hrkd/config.h"
#include "plugin/registry.h"
#include "text/text.h"
#include "train/kd.h"
#include "train/loop.h"
#include "train/metakd.h"
#include "train/teacher.h"

/* X(section, key, type): type int (int64_t), float (double), bool (int) or str (const char *:
 * strings, choices, lists and paths). Model keys, read from [teacher] and [student] alike, are
 * HRKD_SETUP_MODEL_KEYS (accessor model_<key>(section)). */
#define HRKD_SETUP_KEYS(X)                                                                       \
    X(run, name, str) X(run, mode, str) X(run, seed, int) X(run, seeds, str) X(run, epochs, int)  \
    X(run, max_steps, int) X(run, val_every, int) X(run, log_every, int)                         \
    X(run, plugin_path, str) X(run, comm, str) X(run, comm_timeout, float)                       \
    X(data, batch_size, int) X(data, eval_batch_size, int) X(data, max_seq_len, int)             \
    X(data, vocab, str) X(data, few_shot_ratio, float) X(data, few_shot_seed, int)               \
    X(data, pad_to, str) X(data, length_buckets, int)                                            \
    X(teacher, checkpoint, str) X(teacher, strategy, str) X(teacher, epochs, int)                \
    X(teacher, lr, float) X(teacher, head_activation, str)                                       \
    X(student, init, str) X(student, checkpoint, str) X(student, fit_init, str)                  \
    X(distill, method, str) X(distill, loss, str) X(distill, relational, bool)                   \
    X(distill, gamma, float) X(distill, temperature, float) X(distill, hidden_ratio, float)      \
    X(distill, pred_ratio, float) X(distill, layer_map, str) X(distill, teacher_cache, bool)     \
    X(distill, teacher_cache_dir, str) X(distill, teacher_cache_precision, str)                  \
    X(relational, reference, str) X(relational, aggregate, str) X(relational, graph, str)        \
    X(relational, trainable, bool)                                                               \
    X(optimizer, lr, float) X(optimizer, weight_decay, float) X(optimizer, beta1, float)         \
    X(optimizer, beta2, float) X(optimizer, eps, float) X(optimizer, max_grad_norm, float)       \
    X(optimizer, warmup_ratio, float)                                                            \
    X(output, file, str) X(output, dir, str) X(output, checkpoint_every, int)                    \
    X(output, export_hf, str)                                                                    \
    X(backend, device, str) X(backend, threads, int) X(backend, blas_core, str)                  \
    X(backend, tf32, bool) X(backend, bf16, bool)                                                \
    X(metakd, encoder, str) X(metakd, transferability_cache, str) X(metakd, target, str)         \
    X(metakd, stage1_epochs, int) X(metakd, stage1_lr, float) X(metakd, stage2_epochs, int)      \
    X(metakd, stage2_lr, float)

#define HRKD_SETUP_MODEL_KEYS(X)                                                                 \
    X(layers, int) X(hidden, int) X(heads, int) X(ffn, int) X(max_positions, int) X(gelu, str)   \
    X(layer_norm_eps, float) X(dropout, float) X(attention_dropout, float) X(precision, str)

#define HRKD_SETUP_SECTIONS(X)                                                                   \
    X(run) X(data) X(teacher) X(student) X(distill) X(relational) X(optimizer) X(output)         \
    X(backend) X(metakd)

typedef struct hrkd_setup {
    const char      *ini;      /* the INI path as given (messages) */
    hrkd_config     *cfg;
    struct {
#define HRKD_SETUP_SECTION_FIELD(sec) const hrkd_config_section *sec;
        HRKD_SETUP_SECTIONS(HRKD_SETUP_SECTION_FIELD)
#undef HRKD_SETUP_SECTION_FIELD
    } section;
    hrkd_registry   *reg;
    hrkd_backend    *be;
    int              threads;
    hrkd_comm       *comm;     /* data-parallel ranks (NULL: one process), docs/scale-out.md */
    hrkd_dataset    *ds;
    hrkd_train_data  data;
    char            *ini_text; /* the effective INI, stored in every run file */
    int              resume;   /* hrkd run --resume */
    int              extend;   /* hrkd run --extend: a resumed run may change its length */
} hrkd_setup;

/* the typed accessors and name constants */
typedef int64_t     hrkd_setup_int;
typedef double      hrkd_setup_float;
typedef int         hrkd_setup_bool;
typedef const char *hrkd_setup_str;
#define hrkd_setup_get_int   hrkd_cfg_int
#define hrkd_setup_get_float hrkd_cfg_float
#define hrkd_setup_get_bool  hrkd_cfg_bool
#define hrkd_setup_get_str   hrkd_cfg_str
#define HRKD_SETUP_ACCESSOR(sec, key, type)                                                      \
    static const char *const key_##sec##_##key = #key;                                           \
    static inline hrkd_setup_##type sec##_##key(const hrkd_setup *s)                             \
    {                                                                                            \
        return hrkd_setup_get_##type(s->section.sec, key_##sec##_##key);                             \
    }
HRKD_SETUP_KEYS(HRKD_SETUP_ACCESSOR)
#undef HRKD_SETUP_ACCESSOR
#define HRKD_SETUP_MODEL_ACCESSOR(key, type)                                                     \
    static inline hrkd_setup_##type model_##key(const hrkd_config_section *sec)                  \
    {                                                                                            \
        return hrkd_setup_get_##type(sec, #key);                                                 \
    }
HRKD_SETUP_MODEL_KEYS(HRKD_SETUP_MODEL_ACCESSOR)
#undef HRKD_SETUP_MODEL_ACCESSOR

/* Load and validate the INI (every problem printed on stderr) and find the host sections;
 * non-zero when it is invalid. */
HRKD_API int hrkd_setup_config(hrkd_setup *s, const char *ini);
/* The [backend] the INI names, started with its threads and options: 0, or exit code 2
 * (configuration) or 3 (the backend) with err filled. */
HRKD_API int hrkd_setup_backend(hrkd_setup *s, hrkd_error *err);
/* [run] comm: join the data-parallel job this process belongs to (none: run alone). Ranks
 * other than 0 print nothing on stdout; their errors still reach stderr. */
HRKD_API hrkd_status hrkd_setup_comm(hrkd_setup *s, hrkd_error *err);
/* Read the [data] into s->ds and s->data (at most HRKD_MAX_DOMAINS domains); with [data]
 * few_shot_seed = -1 the few-shot sample is drawn with seed (the run's seed: [run] seed for
 * hrkd_setup_data). A second call replaces what the first read. */
HRKD_API hrkd_status hrkd_setup_data(hrkd_setup *s, hrkd_error *err);
HRKD_API hrkd_status hrkd_setup_data_seed(hrkd_setup *s, uint64_t seed, hrkd_error *err);
/* The vocab.txt the data is tokenized with: [data] vocab, or when it is empty the [teacher] or
 * [student] checkpoint folder's (hrkd_data_checkpoint_vocab); "" for the synthetic data, which
 * has none. INVALID when neither is there. */
HRKD_API hrkd_status hrkd_setup_vocab(const hrkd_setup *s, char *out, size_t cap, hrkd_error *err);
/* Whether each seed of [run] seeds trains on data of its own (a few-shot sample drawn with the
 * run's seed), so that hrkd run reloads the data per seed. */
HRKD_API int hrkd_setup_data_per_seed(const hrkd_setup *s);
/* Free what the functions above made (not the communicator: hrkd_comm_close). */
HRKD_API void hrkd_setup_free(hrkd_setup *s);

/* [output] file, or <dir>/<run name>.h5, with suffix before .h5 (seeds, the teacher phase). */
HRKD_API void hrkd_setup_output_path(const hrkd_setup *s, const char *suffix, char *out, size_t cap);
/* [teacher] checkpoint when it is a Hugging Face folder (teachers start from it), else NULL. */
HRKD_API const char *hrkd_setup_teacher_pretrained(const hrkd_setup *s);
/* The loop's settings for `who` from [run], [data], [optimizer] and [output]: all domains,
 * evaluation on, rank 0 alone printing progress. */
HRKD_API hrkd_loop_opts hrkd_setup_loop_opts(const hrkd_setup *s, uint64_t seed, const char *who,
                                             int64_t epochs, double lr);
/* Create the run file (and its folders), or with --resume reopen it; *resumed says whether it
 * has a checkpoint to continue from (a run killed before its first checkpoint starts again). */
HRKD_API hrkd_status hrkd_setup_open_run(const hrkd_setup *s, const char *path,
                                         const hrkd_run_meta *meta, hrkd_run **run, int *resumed,
                                         hrkd_error *err);
/* The run file's metadata for this seed (loss_terms: n names). */
HRKD_API hrkd_run_meta hrkd_setup_run_meta(const hrkd_setup *s, uint64_t seed, int student_layers,
                                           int teacher_layers, const int *layer_map, int n_terms,
                                           const char *const *terms);

/* Architectures: the teachers' ([teacher] sizes or the pretrained folder's config.json, heads
 * not set) and the student's as distilled from teachers of architecture tc. */
HRKD_API hrkd_status hrkd_setup_teacher_arch(const hrkd_setup *s, hrkd_bert_config *c, hrkd_error *err);
HRKD_API hrkd_status hrkd_setup_student_arch(const hrkd_setup *s, const hrkd_bert_config *tc,
                                             hrkd_bert_config *c, hrkd_error *err);
/* The precision (HRKD_PRECISION_FP32, _TF32 or _BF16, model/precision.h) of the model whose
 * section is model ([teacher] or [student]): its precision key with the [backend] shorthands. */
HRKD_API int hrkd_setup_precision(const hrkd_setup *s, const hrkd_config_section *model);

/* Teachers to train: the [teacher] strategy bound (with weights of its own, when it declares
 * some), its models created and initialised (from the pretrained folder when there is one). */
typedef struct hrkd_teachers {
    hrkd_teacher_setup ts;
    hrkd_bert_config   cfg;
    hrkd_params       *strategy_params; /* owned; ts.plugin_params when it has any */
    hrkd_metakd_t      tw;              /* Meta-KD instance weights (meta_teacher) */
} hrkd_teachers;

HRKD_API hrkd_status hrkd_setup_teachers(const hrkd_setup *s, uint64_t seed, hrkd_teachers *t,
                                         hrkd_error *err);
/* Meta-KD meta-teacher: the transferability weights into t->tw and t->ts (run: this phase's
 * file, where they are stored). */
HRKD_API hrkd_status hrkd_setup_teacher_weights(const hrkd_setup *s, uint64_t seed, hrkd_teachers *t,
                                                hrkd_ctx *ctx, hrkd_run *run, hrkd_error *err);
HRKD_API void hrkd_teachers_free(hrkd_teachers *t);

/* A distillation: the teachers of teacher_path, the student, the layer map and the loss and
 * relational plugins, and for Meta-KD each domain's teacher strategy with its weights. */
typedef struct hrkd_distill {
    hrkd_kd          kd;
    hrkd_bert_config tc, sc;                      /* teacher and student architectures */
    hrkd_params     *relational;                  /* the relational plugins' weights (owned) */
    int              trainable;                   /* [relational] trainable */
    int              metakd;                      /* [distill] method = metakd */
    hrkd_params     *strategy[HRKD_MAX_DOMAINS];  /* Meta-KD: domain d's strategy weights */
} hrkd_distill;

HRKD_API hrkd_status hrkd_setup_distill(const hrkd_setup *s, uint64_t seed, const char *teacher_path,
                                        hrkd_distill *dd, hrkd_error *err);
HRKD_API void hrkd_distill_free(hrkd_distill *dd);
/* [metakd] as stage settings for the run file at path. */
HRKD_API hrkd_status hrkd_setup_metakd(const hrkd_setup *s, uint64_t seed, const hrkd_distill *dd,
                                       const char *path, const char *const *terms,
                                       hrkd_metakd_opts *mo, hrkd_error *err);
/* [output] export_hf: the student as one Hugging Face folder per domain (rank 0; nothing when empty). */
HRKD_API hrkd_status hrkd_setup_export(const hrkd_setup *s, const hrkd_distill *dd, hrkd_error *err);

/* For the setup files themselves (setup_models.c binds, setup_distill.c uses): bind the plugin
 * `name` that [key_section] key names, with its own section's parameters; 0, or -1 with err
 * filled ("INI: [section] key: ..." or "plugin 'x' (kind.create): ..."). */
int hrkd_setup_bind_plugin(const hrkd_setup *s, const char *name, hrkd_plugin_kind kind,
                           const char *key_section, const char *key, hrkd_plugin_inst *inst,
                           const hrkd_plugin_args *args_in, hrkd_error *err);
/* the plugin that key `key` of [sec] names */
#define HRKD_SETUP_BIND(s, sec, key, kind, inst, args, err) \
    hrkd_setup_bind_plugin(s, sec##_##key(s), kind, #sec, key_##sec##_##key, inst, args, err)
void hrkd_setup_unbind(hrkd_plugin_inst *i); /* destroys a bound plugin; safe on an unbound one */
/* Import pretrained weights (Hugging Face folder) into a model whose architecture came from
 * the folder's config.json. */
hrkd_status hrkd_setup_import_pretrained(const char *dir, hrkd_bert *m, hrkd_error *err);

#endif
