/* host/train/kd.h — one multi-domain distillation step (DESIGN.md "One distillation step"):
 * per domain d a batch; teacher_d forward without a tape; student forward on the tape; the
 * loss plugin's per-layer terms; prototypes (Eq. 6); the relational plugins' ratios r[M+1][D];
 * the total loss (Eq. 17, with the reference code's hidden_ratio / pred_ratio). */
#ifndef HRKD_TRAIN_KD_H
#define HRKD_TRAIN_KD_H

#include "hrkd/plugin.h"
#include "model/bert.h"
#include "train/loader.h"
#include "train/loop.h"

typedef struct hrkd_plugin_inst {
    const hrkd_plugin_descriptor *desc;
    void                         *self;
} hrkd_plugin_inst;

typedef struct hrkd_kd {
    int               D, M;
    hrkd_bert        *student;                  /* fit_dim = teacher hidden */
    hrkd_bert        *teacher[HRKD_MAX_DOMAINS]; /* may repeat (one shared model) */
    int               teacher_head[HRKD_MAX_DOMAINS];
    int               layer_map[HRKD_BERT_MAX_LAYERS + 1]; /* student m ↔ teacher layer */
    hrkd_plugin_inst  loss, reference, aggregate, graph;
    int               relational; /* 0: plain TinyBERT-KD (all r = 1, prediction not / D) */
    float             gamma, temperature, hidden_ratio, pred_ratio;
    struct hrkd_teacher_cache *cache; /* precomputed teacher outputs, or NULL */
    /* Meta-KD (host/train/metakd.c); all zero for HRKD / TinyBERT-KD */
    int               stage;          /* hrkd_kd_inputs.stage: 0 one-stage, 1 / 2 Meta-KD stages */
    int               only_domain;    /* >= 0: only this domain has a batch (one student per
                                         target domain); set with has_only_domain */
    int               has_only_domain;
    hrkd_plugin_inst  teacher_plugin[HRKD_MAX_DOMAINS]; /* domain d's teacher strategy with its
                                         weights (domain_repr: D^T, D^S), or desc NULL */
    struct hrkd_comm *comm;       /* data-parallel ranks (NULL: one process), train/dist.h */
} hrkd_kd;

/* What a step reports for logging, in the layout of the run file's rows (host memory, sized
 * for D domains and M student layers by hrkd_kd_stats_init). */
typedef struct hrkd_kd_stats {
    int    D, M;
    float  loss;
    float *ratios;                          /* [M+1][D] r[m][d]: a /ratios/domain row */
    float *hier[HRKD_BERT_MAX_LAYERS + 1];  /* hier[m] [D][m+1]: a /ratios/hierarchical/layer_m row */
    float *losses;                          /* [M+3][D] layer 0..M, prediction, total: a
                                             * /losses/values row (results/README.md, `loss_terms`) */
} hrkd_kd_stats;

HRKD_API hrkd_status hrkd_kd_stats_init(hrkd_kd_stats *s, int D, int M, hrkd_error *err);
HRKD_API void hrkd_kd_stats_free(hrkd_kd_stats *s);

/* Uniform layer map: student m ↔ teacher m·N/M (0 ↔ 0). */
HRKD_API void hrkd_kd_uniform_layer_map(int M, int N, int *map);
/* Build the graph of one step in ctx (ctx training flag = student dropout) and return the
 * total loss tensor; stats (if non-NULL, initialised for kd's D and M) are filled after the
 * forward. */
HRKD_API hrkd_tensor *hrkd_kd_forward(hrkd_kd *kd, hrkd_ctx *ctx, const hrkd_batch *batches,
                                      hrkd_kd_stats *stats);

/* The distillation step as the training loop's step (loop.h): hrkd_kd_forward on the active
 * domains' batches, backward, the student's gradients summed over the ranks, the stats as
 * the run file's rows. Trains the student and, when non-NULL, the relational weights. */
typedef struct hrkd_kd_step {
    hrkd_kd       *kd;
    hrkd_kd_stats  stats;
    const float   *transferability[HRKD_MAX_DOMAINS]; /* Meta-KD t_i of each training row of
                                                         domain d, or NULL */
    int            log_ratios;    /* write /ratios rows (Meta-KD stages write losses only) */
    int64_t        batch_size;    /* > 0: record each step's training rows (/ratios/examples),
                                     batch_size per domain; set after hrkd_kd_step_init */
    int64_t       *examples;      /* [D][batch_size] the last step's rows, −1 none (owned) */
    int64_t        eval_batch;
    hrkd_comm     *comm;          /* evaluation shared by the ranks (NULL: alone) */
} hrkd_kd_step;

/* Fill out (the loop's step) for kd; evaluation in batches of eval_batch, shared by comm. */
HRKD_API hrkd_status hrkd_kd_step_init(hrkd_kd_step *ks, hrkd_kd *kd, hrkd_params *relational,
                                       int64_t eval_batch, hrkd_comm *comm, hrkd_loop_step *out,
                                       hrkd_error *err);
HRKD_API void hrkd_kd_step_free(hrkd_kd_step *ks);

#endif
