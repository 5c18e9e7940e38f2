/* host/train/trainer.h — the training loops behind `hrkd run`: teacher training with a teacher
 * strategy plugin (single / mix / mtl) and multi-domain distillation (HRKD or TinyBERT-KD),
 * with per-domain dev evaluation, best checkpoints overall and per domain, a final test of the
 * per-domain best, and everything logged to the run's HDF5 file (store/store.h).
 *
 * Data comes in as plain per-domain, per-split arrays (hrkd_train_data) so the loops do not
 * depend on how a dataset was read. Checkpoint groups in the run file:
 *   checkpoint   latest state of every trained model (what --resume continues from)
 *   best         the best average dev accuracy (distillation: the student)
 *   best_d<d>    the best dev accuracy of domain d; its state.loader holds {model, head}, the
 *                model index and classification head that serve domain d. */
#ifndef HRKD_TRAIN_TRAINER_H
#define HRKD_TRAIN_TRAINER_H

#include "store/store.h"
#include "train/kd.h"

enum { HRKD_SPLIT_TRAIN = 0, HRKD_SPLIT_DEV = 1, HRKD_SPLIT_TEST = 2, HRKD_SPLIT_COUNT = 3 };

typedef struct hrkd_split_data {
    int64_t        n, T;
    const int32_t *ids, *types, *mask; /* [n, T] */
    const int32_t *labels;             /* [n] */
} hrkd_split_data;

typedef struct hrkd_train_data {
    int             D;
    const char     *domains[HRKD_MAX_DOMAINS];
    int             num_labels;
    hrkd_split_data split[HRKD_MAX_DOMAINS][HRKD_SPLIT_COUNT];
} hrkd_train_data;

typedef struct hrkd_train_opts {
    int64_t           epochs;          /* passes over the largest domain's training split */
    int64_t           max_steps;       /* > 0: stop after this many steps */
    int64_t           val_every;       /* dev evaluation every N steps (and at the end) */
    int64_t           log_every;       /* progress line every N steps */
    int64_t           checkpoint_every;/* resumable checkpoint every N steps (0: end only) */
    int64_t           batch_size;      /* per domain */
    int64_t           eval_batch_size;
    hrkd_adamw_config optim;           /* warmup/total filled from warmup_ratio and the plan */
    double            warmup_ratio;
    uint64_t          seed;
    int               resume;
    int               progress_tty;    /* live progress line (\r) instead of plain lines */
    const char       *run_name;
    const char       *trained_model;   /* "teacher" or "student" (logs) */
    int64_t           kill_after_step; /* tests: raise SIGKILL after this step (0: never) */
    int               teacher_cache;   /* distillation: precompute the teacher's outputs once */
    const char       *teacher_cache_dir; /* backing folder ("" or NULL: memory) */
    int               kill_rank;       /* tests: only this rank is killed (-1: every rank) */
    struct hrkd_comm *comm;            /* data-parallel ranks of distillation (NULL: one
                                        * process); rank 0 alone writes `run` (train/dist.h) */
} hrkd_train_opts;

/* Deterministic per-domain batch order: epoch e of domain d is a seeded permutation. */
typedef struct hrkd_loader {
    int      D;
    int64_t  B;
    uint64_t seed;
    int64_t  n[HRKD_MAX_DOMAINS];
    int64_t  epoch[HRKD_MAX_DOMAINS], pos[HRKD_MAX_DOMAINS];
    int64_t *perm[HRKD_MAX_DOMAINS];
    /* gathered batch buffers */
    int32_t *ids[HRKD_MAX_DOMAINS], *types[HRKD_MAX_DOMAINS], *mask[HRKD_MAX_DOMAINS],
            *labels[HRKD_MAX_DOMAINS];
} hrkd_loader;

HRKD_API int hrkd_loader_init(hrkd_loader *l, const hrkd_train_data *data, int64_t B, uint64_t seed);
HRKD_API void hrkd_loader_free(hrkd_loader *l);
/* Position domain d at (epoch, pos): the epoch's permutation is recomputed (resume). */
HRKD_API void hrkd_loader_seek(hrkd_loader *l, int d, int64_t epoch, int64_t pos);
/* Next batch of domain d into b (pointers into the loader's buffers). */
HRKD_API void hrkd_loader_next(hrkd_loader *l, const hrkd_train_data *data, int d, hrkd_batch *b);

/* values[row] of the k rows of domain d that the last hrkd_loader_next returned, as a [k]
 * tensor in ctx (Meta-KD instance weights). */
HRKD_API hrkd_tensor *hrkd_loader_gather_f32(hrkd_ctx *ctx, const hrkd_loader *l, int d, int64_t k,
                                            const float *values);

/* Prints title, then one "  domain  acc%" line per domain and the average (NaN ignored). */
HRKD_API void hrkd_print_accuracy_table(const hrkd_train_data *data, const char *title,
                                        const double *acc);

/* Accuracy of model/head on split s of domain d. */
HRKD_API double hrkd_evaluate(hrkd_bert *model, int head, hrkd_ctx *ctx, const hrkd_split_data *s,
                              int64_t eval_batch);

typedef struct hrkd_teacher_setup {
    hrkd_plugin_inst strategy;
    int              n_models, n_heads;
    hrkd_bert       *models[HRKD_MAX_DOMAINS];
    /* ABI 1.1 strategies (Meta-KD meta-teacher): the strategy's own weights (trained, saved in
     * every checkpoint group beside the models; NULL: none) and per-domain instance weights
     * over the training split (transferability[d] [n_train_d]; NULL: none). */
    hrkd_params     *plugin_params;
    const float     *transferability[HRKD_MAX_DOMAINS];
} hrkd_teacher_setup;

/* The strategy's train_loss_ex (ABI 1.1), or NULL for older plugins and strategies without. */
HRKD_API hrkd_tensor *(*hrkd_teacher_loss_ex(const hrkd_plugin_inst *s))(void *, hrkd_ctx *,
                                                                          const hrkd_teacher_batch *);

/* Train teachers; the run file (created or, with opts->resume, reopened) gets logs,
 * checkpoints, best_d<d> groups and the final test metrics. */
HRKD_API hrkd_status hrkd_train_teacher(const hrkd_train_opts *opts, const hrkd_train_data *data,
                                        hrkd_teacher_setup *ts, hrkd_ctx *ctx, hrkd_run *run,
                                        hrkd_error *err);

/* Distil into kd->student (relational = the relational plugins' store when trainable). */
HRKD_API hrkd_status hrkd_train_distill(const hrkd_train_opts *opts, const hrkd_train_data *data,
                                        hrkd_kd *kd, hrkd_params *relational, hrkd_ctx *ctx,
                                        hrkd_run *run, hrkd_error *err);

/* Load teacher model(s) for distillation from a teacher run file: for every domain d the
 * best_d<d> group (its model and head) into teachers[d]; cfg is the architecture. */
HRKD_API hrkd_status hrkd_load_teachers(const char *path, hrkd_backend *be,
                                        const hrkd_bert_config *cfg, int D, hrkd_bert **teachers,
                                        int *heads, hrkd_error *err);

#endif
