/* host/train/kd.h — one multi-domain distillation step (DESIGN.md "One distillation step"):
 * per domain d a batch; teacher_d forward without a tape; student forward on the tape; the
 * loss plugin's per-layer terms; prototypes (Eq. 6); the relational plugins' ratios r[M+1][D];
 * the total loss (Eq. 17, with the reference code's hidden_ratio / pred_ratio). */
#ifndef HRKD_TRAIN_KD_H
#define HRKD_TRAIN_KD_H

#include "hrkd/plugin.h"
#include "model/bert.h"

#define HRKD_MAX_DOMAINS 64

typedef struct hrkd_plugin_inst {
    const hrkd_plugin_descriptor *desc;
    void                         *self;
} hrkd_plugin_inst;

/* One domain's batch in host memory. */
typedef struct hrkd_batch {
    int64_t        B, T;
    const int32_t *ids;    /* [B, T] */
    const int32_t *types;  /* [B, T] */
    const int32_t *mask;   /* [B, T] 1 token, 0 padding */
    const int32_t *labels; /* [B] */
    const int64_t *index;  /* [B] rows of the training split (NULL: not known) */
    const float   *transferability; /* [B] Meta-KD instance weights t_i, or NULL */
    /* data-parallel shard (train/dist.h): these B rows are rows [offset, offset+B) of a global
     * batch of global_B rows; global_B = 0: not sharded */
    int64_t        offset, global_B;
} hrkd_batch;

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

/* What a step reports for logging (host memory). */
typedef struct hrkd_kd_stats {
    float loss;
    float ratios[HRKD_BERT_MAX_LAYERS + 1][HRKD_MAX_DOMAINS];     /* r[m][d] */
    float sim[HRKD_BERT_MAX_LAYERS + 1][HRKD_MAX_DOMAINS][HRKD_BERT_MAX_LAYERS + 1]; /* [m][d][j<=m] */
    float layer_terms[HRKD_MAX_DOMAINS][HRKD_BERT_MAX_LAYERS + 1];
    float pred_terms[HRKD_MAX_DOMAINS];
} hrkd_kd_stats;

/* One row of the run file's /losses/values for a KD step: losses[(M + 3) * D], terms
 * [layer 0..M, prediction, total] × domain (results/README.md, `loss_terms`). */
HRKD_API void hrkd_kd_stats_losses(const hrkd_kd_stats *stats, int D, int M, float *losses);
/* Uniform layer map: student m ↔ teacher m·N/M (0 ↔ 0). */
HRKD_API void hrkd_kd_uniform_layer_map(int M, int N, int *map);
/* Build the graph of one step in ctx (ctx training flag = student dropout) and return the
 * total loss tensor; stats (if non-NULL) are filled after the forward. */
HRKD_API hrkd_tensor *hrkd_kd_forward(hrkd_kd *kd, hrkd_ctx *ctx, const hrkd_batch *batches,
                                      hrkd_kd_stats *stats);
/* Upload a batch: ids/types int32, mask float, labels int32 tensors in ctx. */
HRKD_API int hrkd_batch_upload(hrkd_ctx *ctx, const hrkd_batch *b, hrkd_tensor **ids,
                               hrkd_tensor **types, hrkd_tensor **mask, hrkd_tensor **labels);
/* Predictions (argmax) of `model` head `head` for a batch; returns the number correct. */
HRKD_API int64_t hrkd_eval_batch(hrkd_bert *model, int head, hrkd_ctx *ctx, const hrkd_batch *b,
                                 int32_t *pred_out);

#endif
