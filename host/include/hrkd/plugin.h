/* hrkd/plugin.h — the plugin ABI (LV2 / PostgreSQL PG_MODULE_MAGIC / ggml load_backend style).
 *
 * A plugin is a shared object exporting ONE function:
 *
 *     HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void);
 *
 * returning a pointer to a static const descriptor. The host checks, in this order, and
 * refuses naming the file and both values: dlopen (RTLD_NOW | RTLD_LOCAL), the entry symbol,
 * magic, ABI major equal and minor <= the host's, struct_size covering the fields of that
 * minor, a known kind, the kind's required function pointers non-NULL, and a name unique
 * among loaded plugins. Build plugins with -fvisibility=hidden; no library constructors.
 *
 * A plugin sees only the SDK headers (hrkd/ folder). It builds its computation from SDK ops
 * (hrkd/tensor.h) so gradients reach its inputs automatically; its own learnable weights are
 * declared in the hrkd_params store the host hands it at create().
 */
#ifndef HRKD_PLUGIN_H
#define HRKD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "hrkd/config.h"
#include "hrkd/status.h"
#include "hrkd/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HRKD_PLUGIN_MAGIC     0x484b5244u /* "HRKD" */
#define HRKD_PLUGIN_ABI_MAJOR 1u
#define HRKD_PLUGIN_ABI_MINOR 2u /* 1.1: Meta-KD fields (hrkd_kd_inputs tail, teacher train_loss_ex /
                                     domain_repr); 1.2: ops defined by plugins (hrkd_custom in
                                     tensor.h), math ops; descriptor unchanged */
#define HRKD_PLUGIN_ENTRY     "hrkd_plugin_entry"
#define HRKD_PLUGIN_EXPORT    __attribute__((visibility("default")))

typedef enum hrkd_plugin_kind {
    HRKD_KIND_LOSS = 1,             /* "loss" */
    HRKD_KIND_RELATIONAL_REFERENCE, /* "relational.reference" */
    HRKD_KIND_RELATIONAL_AGGREGATE, /* "relational.aggregate" */
    HRKD_KIND_RELATIONAL_GRAPH,     /* "relational.graph" */
    HRKD_KIND_TEACHER,              /* "teacher" */
    HRKD_KIND_COUNT_
} hrkd_plugin_kind;

HRKD_API const char *hrkd_plugin_kind_name(hrkd_plugin_kind kind); /* NULL if unknown */

/* What the host gives every plugin instance at create(). */
typedef struct hrkd_plugin_args {
    size_t                     struct_size;
    const hrkd_config_section *config;   /* the plugin's own validated section, e.g. [relational.gat];
                                            NULL means "all declared defaults" (tests, tools) */
    hrkd_params               *params;   /* declare learnable weights here (may be NULL for kinds without) */
    int                        n_domains;       /* D */
    int                        n_student_layers;/* M (prototype layers are 0..M) */
    int                        n_teacher_layers;/* N */
    int64_t                    feature_dim;     /* F: width of prototypes / fit-projected states */
    uint64_t                   seed;
} hrkd_plugin_args;

/* Everything the loss plugin sees for one domain d in one step. Teacher tensors carry no
 * gradient; student tensors are on the tape. Layer m = 0 is the embedding output. */
typedef struct hrkd_kd_inputs {
    size_t        struct_size;
    int           domain;
    int           n_student_layers;        /* M */
    const int    *layer_map;               /* teacher layer for student layer m (0..M) */
    hrkd_tensor  *attention_mask;          /* [B, T] 1 = token, 0 = padding */
    hrkd_tensor **student_hidden;          /* [M+1] of [B, T, F] — already fit-projected to teacher width */
    hrkd_tensor **teacher_hidden;          /* [M+1] of [B, T, F] (teacher layers per layer_map) */
    hrkd_tensor **student_attn;            /* [M+1] (index 0 unused) of [B, H, T, T] pre-softmax */
    hrkd_tensor **teacher_attn;            /* [M+1] (index 0 unused) of [B, H, T, T] pre-softmax */
    hrkd_tensor  *student_logits;          /* [B, C] */
    hrkd_tensor  *teacher_logits;          /* [B, C] */
    hrkd_tensor  *labels;                  /* int32 [B] */
    float         temperature;             /* soft cross-entropy temperature t ([distill]);
                                              <= 0 (or a struct_size without it): 1 */
    /* ---- ABI 1.1 (Meta-KD); a plugin MUST check struct_size before reading these ---- */
    hrkd_tensor  *transferability;         /* [B] instance transferability t_i, or NULL (no weighting) */
    int           stage;                   /* 0: one-stage distillation (HRKD, TinyBERT-KD);
                                              1: Meta-KD stage 1 (intermediate layers + domain
                                              representation); 2: Meta-KD stage 2 (logits) */
    hrkd_tensor  *student_domain_repr;     /* [B, F] on the tape, or NULL */
    hrkd_tensor  *teacher_domain_repr;     /* [B, F] no gradient, or NULL */
} hrkd_kd_inputs;

/* What a teacher strategy's train_loss_ex sees in one step (ABI 1.1). Entries of the arrays
 * are NULL for domains without a batch this step. */
typedef struct hrkd_teacher_batch {
    size_t        struct_size;
    int           n_domains;     /* D */
    hrkd_tensor **logits;        /* [D] of [B_d, C] */
    hrkd_tensor **labels;        /* [D] of int32 [B_d] */
    hrkd_tensor **pooled;        /* [D] of [B_d, F] pooler output (after its dropout) */
    hrkd_tensor **last_hidden;   /* [D] of [B_d, T, F] last encoder layer */
    hrkd_tensor **mask;          /* [D] of [B_d, T] 1 = token, 0 = padding */
    hrkd_tensor **transferability; /* [D] of [B_d] instance weights t_i; the array or an
                                      entry may be NULL (no weighting) */
} hrkd_teacher_batch;

typedef struct hrkd_loss_fns {
    /* Fill layer_terms[0..M] (each [1]: m = 0 embedding term, m ≥ 1 attention + hidden) and
     * *pred_term ([1], soft cross-entropy). Return 0, or non-zero with ctx's error set. */
    int (*compute)(void *self, hrkd_ctx *ctx, const hrkd_kd_inputs *in, hrkd_tensor **layer_terms,
                   hrkd_tensor **pred_term);
} hrkd_loss_fns;

typedef struct hrkd_reference_fns {
    /* protos [D, F] of layer m → reference prototypes RP_m [D, F] (Eq. 13–14) */
    hrkd_tensor *(*forward)(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos);
} hrkd_reference_fns;

typedef struct hrkd_aggregate_fns {
    /* protos_upto [m+1, D, F] (layers 0..m), ref [D, F] → aggregated prototypes AP_m [D, F];
     * *similarity receives the hierarchical similarity ratios [D, m+1] (Eq. 15–16), each row
     * non-negative and summing to 1 (or stays NULL: nothing logged). */
    hrkd_tensor *(*forward)(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *protos_upto,
                            hrkd_tensor *ref, hrkd_tensor **similarity);
} hrkd_aggregate_fns;

typedef struct hrkd_graph_fns {
    /* agg [D, F] of layer m → domain-relational ratios r_m [D] summing to 1 (Eq. 7–12) */
    hrkd_tensor *(*forward)(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg);
} hrkd_graph_fns;

typedef struct hrkd_teacher_fns {
    /* How many separate teacher models this strategy trains (single: D, mix / mtl: 1). */
    int (*n_models)(void *self, int n_domains);
    /* Which model and which classifier head serve domain d. */
    void (*route)(void *self, int domain, int *model, int *head);
    /* Number of classifier heads per model (mix: 1, mtl: D, single: 1). */
    int (*n_heads)(void *self, int n_domains);
    /* Training loss over the per-domain logits/labels of one step (mtl: Σ_d CE_d);
     * logits[d] / labels[d] are NULL for domains without a batch this step. */
    hrkd_tensor *(*train_loss)(void *self, hrkd_ctx *ctx, int n_domains, hrkd_tensor **logits,
                               hrkd_tensor **labels);
    /* ---- ABI 1.1: read by the host only when the descriptor's abi_minor >= 1; either may
     * be NULL. ---- */
    /* Training loss with the encoder states and instance weights; when set the host calls it
     * instead of train_loss. */
    hrkd_tensor *(*train_loss_ex)(void *self, hrkd_ctx *ctx, const hrkd_teacher_batch *in);
    /* The strategy's domain representation of a batch of domain `domain`: hidden [B, T, F]
     * (last layer) → [B, F], in eval form (no dropout). Used by Meta-KD distillation for the
     * teacher (D^T) and the fit-projected student (D^S). NULL when the strategy has none. */
    hrkd_tensor *(*domain_repr)(void *self, hrkd_ctx *ctx, hrkd_tensor *hidden, int domain);
} hrkd_teacher_fns;

/* A declared parameter (INI key) of a plugin. Defaults are written as the INI would. */
typedef struct hrkd_plugin_param {
    const char     *name;
    hrkd_cfg_type   type;
    const char     *default_value; /* NULL: required */
    double          min, max;      /* for numbers; min > max: unbounded */
    const char     *choices;       /* for HRKD_CFG_ENUM: "a|b|c" */
    const char     *doc;
} hrkd_plugin_param;

typedef struct hrkd_plugin_descriptor {
    uint32_t         magic;        /* HRKD_PLUGIN_MAGIC */
    uint16_t         abi_major;    /* HRKD_PLUGIN_ABI_MAJOR */
    uint16_t         abi_minor;    /* HRKD_PLUGIN_ABI_MINOR */
    size_t           struct_size;  /* sizeof(hrkd_plugin_descriptor) */
    hrkd_plugin_kind kind;
    const char      *name;         /* unique, [a-z0-9_]+ : the INI refers to it by this */
    const char      *version;      /* "1.0.0" */
    const char      *summary;      /* one line */
    const hrkd_plugin_param *params;
    int              n_params;
    /* Create an instance. Return 0 and set *self, or non-zero with err filled. */
    int  (*create)(const hrkd_plugin_args *args, void **self, hrkd_error *err);
    void (*destroy)(void *self);
    /* Exactly one of these, matching kind, must be non-NULL. */
    const hrkd_loss_fns      *loss;
    const hrkd_reference_fns *reference;
    const hrkd_aggregate_fns *aggregate;
    const hrkd_graph_fns     *graph;
    const hrkd_teacher_fns   *teacher;
} hrkd_plugin_descriptor;

typedef const hrkd_plugin_descriptor *(*hrkd_plugin_entry_fn)(void);

/* The four fields that open every descriptor, stamped with the ABI this header describes:
 *     static const hrkd_plugin_descriptor d = {HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = ..., ...};
 * (a plugin that declares an older minor, to load into older hosts, writes the four itself). */
#define HRKD_PLUGIN_DESCRIPTOR_ABI                                                              \
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR,                             \
    .abi_minor = HRKD_PLUGIN_ABI_MINOR, .struct_size = sizeof(hrkd_plugin_descriptor)

#ifdef __cplusplus
}
#endif
#endif /* HRKD_PLUGIN_H */
