/* host/train/loop.h — the one training loop: teacher training, distillation and both Meta-KD
 * stages are this loop with their own step.
 *
 * Per step: every active domain's next batch (this rank's shard of it), the step's forward and
 * backward, one AdamW step over the stores, the step's rows of the run file, a progress line
 * every log_every steps. Every val_every steps and at the end: dev accuracy of every active
 * domain, the best snapshots (below), and every checkpoint_every steps and at the end the
 * resumable state. After the last step each domain's best dev snapshot is tested.
 *
 * Groups of the run file:
 *   checkpoint   every store with AdamW moments, and the state: step, epoch, RNG stream,
 *                every domain's loader (epoch, position), the best dev accuracies so far
 *                (--resume continues from it, bit-identically on the same backend and threads)
 *   best         the best average dev accuracy (with best_average: the student)
 *   best_d<d>    the best dev accuracy of domain d: the store serving d (and `extra`); its
 *                state records model, head and n_heads: the store index and classification
 *                head that serve domain d, and the heads of that model (hrkd eval and the
 *                distillation's teachers read them, train/teacher.h)
 *
 * Data-parallel (train/dist.h): with comm of several ranks every rank runs the loop on its
 * shard of each global batch; rank 0 alone has a run file (NULL elsewhere), evaluation is
 * shared, and the parameters are checked to agree at every checkpoint. */
#ifndef HRKD_TRAIN_LOOP_H
#define HRKD_TRAIN_LOOP_H

#include "comm/comm.h"
#include "train/loader.h"

/* What one training method does in a step, and what it trains. */
typedef struct hrkd_loop_step {
    /* trained and checkpointed together; domain d is served by stores[model[d]] with
     * classification head head[d] */
    hrkd_params *stores[HRKD_MAX_DOMAINS + 1];
    int          n_stores;
    int          model[HRKD_MAX_DOMAINS], head[HRKD_MAX_DOMAINS];
    int          n_heads; /* classification heads each model was built with */
    hrkd_params *extra;  /* saved beside stores[model[d]] in best_d<d>, or NULL */
    void        *self;
    /* Forward and backward of one step: b[d] for every active domain d. Gradients land in the
     * stores (all-reduced across ranks where the step needs it); *loss is the total for the
     * progress line. `step` counts the steps done before this one. */
    hrkd_status (*run)(void *self, hrkd_ctx *ctx, hrkd_batch *b, int64_t step, float *loss,
                       hrkd_error *err);
    /* After the optimizer step, on the rank with the run file: this step's rows (row = the
     * 0-based index of the step, results/README.md). */
    hrkd_status (*log)(void *self, hrkd_run *run, int64_t row, hrkd_error *err);
    /* *acc = accuracy on split s of what serves domain d now (every rank calls it). */
    hrkd_status (*evaluate)(void *self, hrkd_ctx *ctx, int d, const hrkd_split_data *s,
                            double *acc, hrkd_error *err);
} hrkd_loop_step;

typedef struct hrkd_loop_opts {
    const char       *label;           /* who trains: progress and resume lines ("student") */
    int64_t           epochs;          /* passes over the largest active domain's training split */
    int64_t           max_steps;       /* > 0: this many steps instead */
    int64_t           val_every;       /* dev evaluation every N steps (and at the end) */
    int64_t           log_every;       /* progress line every N steps (0: none) */
    int64_t           checkpoint_every;/* resumable checkpoint every N steps (0: end only) */
    int64_t           batch_size;      /* per domain, global */
    int64_t           length_buckets;  /* > 1: batches of similar length (hrkd_loader_init) */
    int64_t           eval_batch_size;
    hrkd_adamw_config optim;           /* total and warmup steps are filled from the plan */
    double            warmup_ratio;
    int               constant_lr;     /* no warmup, no decay */
    uint64_t          seed;            /* batch order and dropout stream */
    int               resume;          /* continue from the run file's checkpoint group */
    int               progress_tty;    /* live progress line (\r) instead of plain lines */
    int               first, last;     /* the active domains first..last (others: no batch, NaN) */
    int               evaluate;        /* dev evaluation, best snapshots, final test (0: none) */
    int               best_average;    /* also keep group "best" of stores[0] */
    const char       *test_title;      /* printed over the final test table (NULL: not printed) */
    hrkd_comm        *comm;            /* data-parallel ranks (NULL: one process) */
    /* After every step (checkpoint written where one was due): the place for a stop request and
     * for test faults. Non-zero stops the loop; it first writes a checkpoint of this step. */
    int             (*after_step)(void *hook, int64_t step, hrkd_params *const *stores, int n_stores);
    void             *hook;
} hrkd_loop_opts;

typedef struct hrkd_loop_result {
    int64_t step;                      /* steps done */
    int     stopped;                   /* after_step asked to stop before the plan's end */
    double  test[HRKD_MAX_DOMAINS];    /* test accuracy of each domain's best dev snapshot (NaN:
                                        * inactive, or not evaluated) */
} hrkd_loop_result;

/* A phase's run file at path: with resume and a file there that has a checkpoint group,
 * reopened (*resumed = 1) when meta->ini_text is the configuration the run was started with
 * (config/resume.h; with extend a new length is allowed and recorded); else created with meta,
 * its folders too (a file without a checkpoint starts again from the beginning, saying so). */
HRKD_API hrkd_status hrkd_loop_open_run(const char *path, const hrkd_run_meta *meta, int resume, int extend,
                                        hrkd_run **run, int *resumed, hrkd_error *err);

/* Steps the loop makes for opts over data. */
HRKD_API int64_t hrkd_loop_total_steps(const hrkd_loop_opts *o, const hrkd_train_data *data);

/* Train (see the top of this file). res may be NULL. */
HRKD_API hrkd_status hrkd_loop_run(const hrkd_loop_opts *o, const hrkd_loop_step *s,
                                   const hrkd_train_data *data, hrkd_ctx *ctx, hrkd_run *run,
                                   hrkd_loop_result *res, hrkd_error *err);

#endif
