/* host/model/bert.h — a BERT encoder (Hugging Face layout and names) built from SDK ops:
 * embeddings, per-layer outputs, pre-softmax attention scores (as the HRKD reference returns
 * them), CLS pooler with tanh, one classification head per domain, optional per-layer fit
 * projections (student → teacher width), dropout in training mode only. */
#ifndef HRKD_MODEL_BERT_H
#define HRKD_MODEL_BERT_H

#include "hrkd/tensor.h"

#define HRKD_BERT_MAX_LAYERS 48

typedef struct hrkd_bert_config {
    int   layers;        /* N or M */
    int   hidden;        /* C */
    int   heads;         /* NH; C % NH == 0 */
    int   ffn;           /* intermediate size */
    int   vocab;         /* V */
    int   max_positions; /* P >= sequence length */
    int   type_vocab;    /* token types (2) */
    int   num_labels;    /* classes per head */
    int   num_heads_cls; /* classification heads (one per domain); 0 = none */
    int   fit_dim;       /* > 0: fit_denses.{0..layers} project hidden → fit_dim */
    int   gelu_tanh;     /* 0: erf GELU (Hugging Face), 1: tanh GELU (HRKD reference) */
    float layer_norm_eps;
    float dropout;       /* hidden dropout */
    float attn_dropout;  /* attention-probability dropout */
    int   cls_relu;      /* 1: heads read relu(pooled) (the Meta-KD meta-teacher); 0: pooled */
    int   precision;     /* HRKD_PRECISION_*: set at every forward (model/precision.h); 0: leave
                            the backend's options as they are */
} hrkd_bert_config;

typedef struct hrkd_bert_layer_idx {
    int q_w, q_b, k_w, k_b, v_w, v_b, ao_w, ao_b, ln1_w, ln1_b, i_w, i_b, o_w, o_b, ln2_w, ln2_b;
} hrkd_bert_layer_idx;

typedef struct hrkd_bert {
    hrkd_bert_config cfg;
    hrkd_params     *params;
    /* parameter indices */
    int word, pos, type, emb_ln_w, emb_ln_b;
    hrkd_bert_layer_idx layer[HRKD_BERT_MAX_LAYERS];
    int pool_w, pool_b;
    int cls_w[64], cls_b[64];
    int fit_w[HRKD_BERT_MAX_LAYERS + 1], fit_b[HRKD_BERT_MAX_LAYERS + 1];
} hrkd_bert;

typedef struct hrkd_bert_out {
    hrkd_tensor *hidden[HRKD_BERT_MAX_LAYERS + 1]; /* [B, T, C]; 0 = embedding output */
    hrkd_tensor *attn[HRKD_BERT_MAX_LAYERS + 1];   /* [B, NH, T, T] masked pre-softmax scores; 0 unused */
    hrkd_tensor *pooled;                           /* [B, C] (after pooler dropout) */
} hrkd_bert_out;

/* Refuses inconsistent sizes with a message naming the field. */
HRKD_API hrkd_status hrkd_bert_config_check(const hrkd_bert_config *cfg, hrkd_error *err);
HRKD_API hrkd_bert_config hrkd_bert_config_default(void); /* BERT-base */
/* Declares and allocates the parameters (names as Hugging Face BertModel without "bert.",
 * plus classifiers.{d}.* and fit_denses.{m}.*). */
HRKD_API hrkd_bert *hrkd_bert_create(hrkd_backend *be, const hrkd_bert_config *cfg,
                                     const char *model_name, int with_grad, int with_optim,
                                     hrkd_error *err);
HRKD_API void hrkd_bert_destroy(hrkd_bert *m);
/* Hugging Face initialisation: N(0, 0.02) weights and embeddings, zero biases, LayerNorm 1/0. */
HRKD_API void hrkd_bert_init_weights(hrkd_bert *m, uint64_t seed);
/* ids, token_type: int32 [B, T]; mask: float [B, T] of 1 (token) / 0 (padding). */
HRKD_API int hrkd_bert_forward(hrkd_bert *m, hrkd_ctx *ctx, hrkd_tensor *ids,
                               hrkd_tensor *token_type, hrkd_tensor *mask, hrkd_bert_out *out);
/* hrkd_bert_forward for a model without the tape (the gradient off; with it on this is
 * hrkd_bert_forward): out->hidden[l] and out->attn[l] only for the layers l whose bit is set in
 * keep (bit 0: the embedding output), and always the last layer's hidden state; the others
 * NULL. Each layer's intermediates are given back to the ctx once its outputs are copied out,
 * so the ctx holds the kept outputs, not a whole forward. The kept values are those of
 * hrkd_bert_forward bit for bit. */
HRKD_API int hrkd_bert_forward_kept(hrkd_bert *m, hrkd_ctx *ctx, hrkd_tensor *ids,
                                    hrkd_tensor *token_type, hrkd_tensor *mask, uint64_t keep,
                                    hrkd_bert_out *out);
/* logits [B, num_labels] of classification head `head` (of relu(pooled) when cfg.cls_relu) */
HRKD_API hrkd_tensor *hrkd_bert_classify(hrkd_bert *m, hrkd_ctx *ctx, hrkd_tensor *pooled, int head);
/* fit_denses.{layer}(h) */
HRKD_API hrkd_tensor *hrkd_bert_fit(hrkd_bert *m, hrkd_ctx *ctx, int layer, hrkd_tensor *h);
/* FLOPs of the matrix products of one forward (multiply-add = 2) for B×T tokens. */
HRKD_API double hrkd_bert_forward_flops(const hrkd_bert_config *cfg, int64_t B, int64_t T);

#endif
