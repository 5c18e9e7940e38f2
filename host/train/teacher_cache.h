/* host/train/teacher_cache.h — precomputed teacher outputs for a distillation run.
 *
 * The teacher of a distillation run is frozen and runs without dropout, so what it gives for
 * a training example never changes. With [distill] teacher_cache = true the trainer runs every
 * teacher once over every domain's training split before the first step (fixed contiguous
 * batches of [data] eval_batch_size, so the pass is the same on every run and on --resume)
 * and keeps exactly what the loss needs: for each example the hidden states of the mapped
 * teacher layers (M+1 of [T, F]), the pre-softmax attention scores of layers 1..M ([H, T, T])
 * and the domain's logits [C]. Each step then reads its examples' rows instead of running the
 * teacher: the student's step cost only. The rows live in a file-backed mapping under
 * [distill] teacher_cache_dir (unlinked at creation: nothing is left behind, even after a
 * kill) or, with the key empty, in anonymous memory; a cache that would not fit in 80 % of
 * the memory available (MemAvailable) is refused there before the teacher pass.
 *
 * T, the cached columns: the split's T, or with [data] pad_to = longest (hrkd_split_data.
 * pad_longest) the longest training example of any domain rounded up (hrkd_batch_longest):
 * a training batch's T' is never more. A batch of T' < T columns reads the first T' of each
 * hidden row and the [T', T'] corner of each attention map: what the teacher gives those
 * columns does not depend on the columns after them (padding is masked out of attention).
 * Values are fp32, or bf16 ([distill] teacher_cache_precision: half the bytes, rounded to
 * nearest even when stored and widened back to fp32 when read). */
#ifndef HRKD_TRAIN_TEACHER_CACHE_H
#define HRKD_TRAIN_TEACHER_CACHE_H

#include "model/bert.h"
#include "train/loader.h"

/* The frozen teachers of a distillation as the cache sees them: domain d's model and head,
 * and the teacher layer each of the student's M+1 layers learns from. */
typedef struct hrkd_teacher_view {
    int               M;
    hrkd_bert *const *teacher;   /* [D] (may repeat) */
    const int        *head;      /* [D] */
    const int        *layer_map; /* [M+1] */
} hrkd_teacher_view;

typedef struct hrkd_teacher_cache {
    int     D, M;
    int64_t T, F, H, C;                /* T: the cached columns (above) */
    int     bf16;                      /* values stored as bfloat16 (uint16_t), else float */
    int64_t per_example;               /* values per example */
    int64_t n[HRKD_MAX_DOMAINS];       /* training examples of domain d */
    void   *rows[HRKD_MAX_DOMAINS];    /* [n[d], per_example] values */
    size_t  bytes[HRKD_MAX_DOMAINS];
    int64_t served;                    /* batches answered from the cache (logged at the end) */
} hrkd_teacher_cache;

/* Bytes the cache of `data`'s training splits needs for these teachers and layer map, with
 * values in bf16 (2 bytes) or fp32 (4). */
HRKD_API int64_t hrkd_teacher_cache_bytes(const hrkd_teacher_view *t, const hrkd_train_data *data, int bf16);

/* Bytes of memory the system has for a new anonymous mapping: /proc/meminfo's MemAvailable;
 * -1 when unknown. Tests set HRKD_TEST_MEM_AVAILABLE (bytes) to stand in for it. */
HRKD_API int64_t hrkd_mem_available(void);

/* Run the teachers over every training split (batches of eval_batch) and keep the outputs.
 * dir: folder for the backing file, NULL or "" for anonymous memory (refused, with the
 * figures, when over 80 % of hrkd_mem_available). bf16: store values as bf16. who: the label
 * of the two stderr lines (size before, examples and time after); NULL: silent. */
HRKD_API hrkd_status hrkd_teacher_cache_build(const hrkd_teacher_view *t, const hrkd_train_data *data,
                                              hrkd_ctx *ctx, const char *dir, int bf16,
                                              int64_t eval_batch, const char *who,
                                              hrkd_teacher_cache **out, hrkd_error *err);
/* Free the cache; with who non-NULL first log how many batches it served. NULL is a no-op. */
HRKD_API void hrkd_teacher_cache_free(hrkd_teacher_cache *c, const char *who);

/* The cached outputs of batch b (b->index names its training rows; b->T <= c->T) of domain d
 * as fp32 tensors in ctx: hidden[0..M] [B, b->T, F], attn[1..M] [B, H, b->T, b->T]
 * (attn[0] = NULL), *logits [B, C]. */
HRKD_API int hrkd_teacher_cache_get(hrkd_teacher_cache *c, hrkd_ctx *ctx, int d,
                                    const hrkd_batch *b, hrkd_tensor **hidden, hrkd_tensor **attn,
                                    hrkd_tensor **logits);

#endif
