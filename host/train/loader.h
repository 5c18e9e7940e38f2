/* host/train/loader.h — the training data as the loops see it, and the batch loader.
 *
 * Data comes in as plain per-domain, per-split arrays (hrkd_train_data) so nothing in train/
 * depends on how a dataset was read. The loader gives every domain its own deterministic batch
 * order: epoch e of domain d is a permutation that is a pure function of (seed, d, e), so a
 * position (epoch, pos) per domain is all a checkpoint needs to resume bit-identically.
 *
 * HRKD_MAX_DOMAINS is the one limit on the number of domains, everywhere in hrkd: a checkpoint
 * keeps each domain's loader position as two of the 64 integers of hrkd_run_state.loader, and
 * the best dev accuracies (one per domain and the average) in its 64 doubles. A dataset with
 * more domains is refused when it is loaded, with a message naming the limit. */
#ifndef HRKD_TRAIN_LOADER_H
#define HRKD_TRAIN_LOADER_H

#include "hrkd/tensor.h"
#include "store/store.h"

#define HRKD_MAX_DOMAINS 32
_Static_assert(2 * HRKD_MAX_DOMAINS <= (int)(sizeof ((hrkd_run_state *)0)->loader /
                                             sizeof ((hrkd_run_state *)0)->loader[0]),
               "a checkpoint holds (epoch, position) of every domain's loader");
_Static_assert(HRKD_MAX_DOMAINS + 1 <= (int)(sizeof ((hrkd_run_state *)0)->best /
                                             sizeof ((hrkd_run_state *)0)->best[0]),
               "a checkpoint holds every domain's best dev accuracy and the average's");

enum { HRKD_SPLIT_TRAIN = 0, HRKD_SPLIT_DEV = 1, HRKD_SPLIT_TEST = 2, HRKD_SPLIT_COUNT = 3 };

typedef struct hrkd_split_data {
    int64_t        n, T;
    const int32_t *ids, *types, *mask; /* [n, T] */
    const int32_t *labels;             /* [n] */
    int            pad_longest;        /* [data] pad_to = longest: a batch of these rows keeps
                                          only its first hrkd_batch_longest columns */
} hrkd_split_data;

typedef struct hrkd_train_data {
    int             D;
    const char     *domains[HRKD_MAX_DOMAINS];
    int             num_labels;
    hrkd_split_data split[HRKD_MAX_DOMAINS][HRKD_SPLIT_COUNT];
    const char *const *label_names;    /* [num_labels]; NULL: unknown */
} hrkd_train_data;

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

/* Upload a batch: ids/types int32, mask float, labels int32 (labels may be NULL) tensors in
 * ctx; non-zero when ctx failed. */
HRKD_API int hrkd_batch_upload(hrkd_ctx *ctx, const hrkd_batch *b, hrkd_tensor **ids,
                               hrkd_tensor **types, hrkd_tensor **mask, hrkd_tensor **labels);
/* Contiguous rows [i, i + k) of split s as a batch (evaluation, teacher-cache passes). */
HRKD_API hrkd_batch hrkd_split_rows(const hrkd_split_data *s, int64_t i, int64_t k);

/* [data] pad_to = longest. Padding is masked out of attention, so the first T' columns of a
 * batch give its real tokens the same outputs as all T columns (to float rounding): a batch
 * needs only T' = (the last mask = 1 column of any row, + 1) rounded up to a multiple of
 * HRKD_PAD_MULTIPLE, capped at T. rows (NULL: 0..B-1) picks B rows of the [., T] mask. */
#define HRKD_PAD_MULTIPLE 8
HRKD_API int64_t hrkd_batch_longest(const int32_t *mask, int64_t T, const int64_t *rows, int64_t B);
/* The first T2 (<= b->T) columns of b copied into ids, types, mask [b->B, T2]; the batch of
 * them (labels, index and shard as b's). */
HRKD_API hrkd_batch hrkd_batch_cut(const hrkd_batch *b, int64_t T2, int32_t *ids, int32_t *types,
                                   int32_t *mask);

typedef struct hrkd_loader {
    int      D;
    int64_t  B;
    uint64_t seed;
    int64_t  buckets;                   /* [data] length_buckets (hrkd_loader_init) */
    int32_t *len[HRKD_MAX_DOMAINS];     /* buckets > 1: each training row's length */
    void    *scratch_ranked;            /* buckets > 1: the sort of one chunk */
    int64_t *scratch_rows, *scratch_blocks;
    int64_t  n[HRKD_MAX_DOMAINS];
    int64_t  epoch[HRKD_MAX_DOMAINS], pos[HRKD_MAX_DOMAINS];
    int64_t *perm[HRKD_MAX_DOMAINS];
    /* gathered batch buffers */
    int32_t *ids[HRKD_MAX_DOMAINS], *types[HRKD_MAX_DOMAINS], *mask[HRKD_MAX_DOMAINS],
            *labels[HRKD_MAX_DOMAINS];
} hrkd_loader;

/* Batches of B rows of every domain's training split, in the order of seed; non-zero: out of
 * memory (free it all the same). buckets K > 1 ([data] length_buckets): each epoch's order is
 * cut into chunks of K·B positions, each chunk's rows sorted by length (ties keep the shuffled
 * order) and its full batches taken in a seeded order, so a batch holds texts of similar
 * length (with pad_to = longest, fewer columns); every row still comes once an epoch, every
 * domain keeps its own batches, and the order stays a pure function of (seed, d, epoch). */
HRKD_API int hrkd_loader_init(hrkd_loader *l, const hrkd_train_data *data, int64_t B, uint64_t seed,
                              int64_t buckets);
HRKD_API void hrkd_loader_free(hrkd_loader *l);
/* Position domain d at (epoch, pos): the epoch's permutation is recomputed (resume). */
HRKD_API void hrkd_loader_seek(hrkd_loader *l, int d, int64_t epoch, int64_t pos);
/* Next batch of domain d into b (pointers into the loader's buffers; b->index names the rows).
 * A split with pad_longest gives [B, T'] batches (hrkd_batch_longest over the global batch's
 * rows, so every rank of a data-parallel run cuts its shard to the same T'). */
HRKD_API void hrkd_loader_next(hrkd_loader *l, const hrkd_train_data *data, int d, hrkd_batch *b);

#endif
