/* host/train/eval.h — evaluation: accuracy of a model's classification head on a split (alone
 * or shared by data-parallel ranks), the accuracy table, the test row of a run file. The
 * training loop, the steps and the `hrkd eval` command (eval_cmd.c) all evaluate through it. */
#ifndef HRKD_TRAIN_EVAL_H
#define HRKD_TRAIN_EVAL_H

#include "comm/comm.h"
#include "model/bert.h"
#include "train/loader.h"

/* Predictions (argmax) of `model` head `head` for a batch into pred_out (may be NULL); returns
 * the number correct, or −1 when ctx failed. Leaves ctx without tape. */
HRKD_API int64_t hrkd_eval_batch(hrkd_bert *model, int head, hrkd_ctx *ctx, const hrkd_batch *b,
                                 int32_t *pred_out);

/* *acc = accuracy of model/head on split s in batches of eval_batch (NaN: an empty split).
 * With c of several ranks each rank evaluates its contiguous share of the examples and every
 * rank gets the same *acc; alone (c NULL or of one rank) a failed batch gives NaN. */
HRKD_API hrkd_status hrkd_eval_split(hrkd_comm *c, hrkd_bert *model, int head, hrkd_ctx *ctx,
                                     const hrkd_split_data *s, int64_t eval_batch, double *acc,
                                     hrkd_error *err);

/* Prints title, then one "  domain  acc%" line per domain and the average (NaN ignored). */
HRKD_API void hrkd_print_accuracy_table(const hrkd_train_data *data, const char *title,
                                        const double *acc);

/* The last "test" row of run's metrics into acc[0..D-1]; 0 when there is none (acc untouched). */
HRKD_API int hrkd_run_last_test(hrkd_run *run, int D, double *acc);

#endif
