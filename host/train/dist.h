/* host/train/dist.h — data-parallel training on top of a communicator (comm/comm.h).
 *
 * The contract (docs/scale-out.md): N ranks given the same INI compute what one process
 * computes with the same global batch, to float rounding.
 *  - Every rank runs the same global data loader; each domain's global batch of B rows is
 *    split into contiguous shards, rank k taking rows [k·B/N, (k+1)·B/N).
 *  - Each loss term of a shard is its mean times local_B / global_B, so the terms summed over
 *    ranks are the global means, and so are the gradients summed over ranks.
 *  - Prototypes: each rank's share of the global mean is all-reduced; every rank feeds the
 *    same global prototypes to the relational plugins, so their ratios (and their dropout
 *    draws) agree on every rank. On rank k's tape only its own share carries a gradient.
 *  - Ratios: L = Σ r(p)·L_global; rank k's loss is Σ sg(r)·L^k + r(p)·sg(L_global), whose
 *    gradients summed over ranks are ∇L (the first part sums to the terms' gradient, the second
 *    to the ratios' gradient through each rank's share of p).
 *  - Student dropout draws the global batch's masks row by row (core/core.h), so results
 *    do not depend on the number of ranks even with dropout on.
 *  - The student's gradient buffer is summed with one all-reduce per step before clipping.
 *    Trainable relational weights are not reduced: their gradient comes only from
 *    r(p)·sg(L_global), which every rank computes identically and in full.
 * Rank 0 alone writes the run file and prints; checkpoints hold the global state, so a run
 * resumes on any number of ranks. */
#ifndef HRKD_TRAIN_DIST_H
#define HRKD_TRAIN_DIST_H

#include "comm/comm.h"
#include "model/bert.h"
#include "train/loader.h"

/* Rows [*lo, *lo + *n) of n_global that this rank takes. */
HRKD_API void hrkd_dist_shard(const hrkd_comm *c, int64_t n_global, int64_t *lo, int64_t *n);
/* Narrow a global batch to this rank's shard (sets offset and global_B); an empty shard is an
 * error (a global batch smaller than the number of ranks). */
HRKD_API hrkd_status hrkd_dist_shard_batch(const hrkd_comm *c, hrkd_batch *b, const char *domain,
                                           hrkd_error *err);

/* In kd.c's forward: replace each protos[m][d] (this rank's share) by the global prototype,
 * with gradient to the share; fill lg/pg with the global term values. Failures are recorded in
 * ctx; return non-zero. */
HRKD_API int hrkd_dist_global_protos(hrkd_comm *c, hrkd_ctx *ctx,
                                     hrkd_tensor *protos[][HRKD_MAX_DOMAINS], int M, int D);
HRKD_API int hrkd_dist_global_terms(hrkd_comm *c, hrkd_ctx *ctx,
                                    hrkd_tensor *terms[][HRKD_BERT_MAX_LAYERS + 1],
                                    hrkd_tensor *const *pred, int M, int D,
                                    float lg[][HRKD_BERT_MAX_LAYERS + 1], float *pg);
/* sg(r)·lk + r·lg (lk: this rank's share of the term, lg: its global value) */
HRKD_API hrkd_tensor *hrkd_dist_ratio_term(hrkd_ctx *ctx, hrkd_tensor *lk, hrkd_tensor *r, float lg);

/* Sum p's gradient buffer over ranks (one all-reduce of the flat buffer). */
HRKD_API hrkd_status hrkd_dist_allreduce_grads(hrkd_comm *c, hrkd_params *p, hrkd_error *err);
/* Rank 0's values and AdamW moments of p to every rank. */
HRKD_API hrkd_status hrkd_dist_bcast_params(hrkd_comm *c, hrkd_params *p, hrkd_error *err);
HRKD_API hrkd_status hrkd_dist_bcast_state(hrkd_comm *c, hrkd_run_state *st, hrkd_error *err);
/* Every rank holds bit-identical parameters, or an error names the step, the store and how
 * many ranks drifted from rank 0 (a reduction that gave ranks different sums, a rank that
 * skipped an update). Cheap: a hash per store, one broadcast and one all-reduce; the training
 * loop (loop.c) calls it at every checkpoint. */
HRKD_API hrkd_status hrkd_dist_check_sync(hrkd_comm *c, hrkd_params *const *stores, int n,
                                          int64_t step, hrkd_error *err);
#endif
