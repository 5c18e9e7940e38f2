/* host/train/eval.c — evaluation (see eval.h). */
#include "train/eval.h"

#include "train/dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t hrkd_eval_batch(hrkd_bert *model, int head, hrkd_ctx *ctx, const hrkd_batch *b,
                        int32_t *pred_out)
{
    hrkd_ctx_reset(ctx);
    hrkd_ctx_set_grad(ctx, 0);
    hrkd_ctx_set_training(ctx, 0);
    hrkd_tensor *ids, *types, *mask;
    if (hrkd_batch_upload(ctx, b, &ids, &types, &mask, NULL) != 0) return -1;
    hrkd_bert_out o;
    if (hrkd_bert_forward(model, ctx, ids, types, mask, &o) != 0) return -1;
    hrkd_tensor *logits = hrkd_bert_classify(model, ctx, o.pooled, head);
    if (!logits) return -1;
    int64_t C = logits->shape[1];
    float *h = malloc((size_t)(b->B * C) * sizeof *h);
    if (!h) return -1;
    hrkd_tensor_to_host(ctx, logits, h);
    int64_t correct = 0;
    for (int64_t i = 0; i < b->B; i++) {
        int32_t best = 0;
        for (int64_t c = 1; c < C; c++)
            if (h[i * C + c] > h[i * C + best]) best = (int32_t)c;
        if (pred_out) pred_out[i] = best;
        correct += best == b->labels[i];
    }
    free(h);
    hrkd_ctx_set_grad(ctx, 1);
    return correct;
}

/* correct answers on rows [lo, lo + n) of s; −1 when a batch failed */
static int64_t count_correct(hrkd_bert *model, int head, hrkd_ctx *ctx, const hrkd_split_data *s,
                             int64_t lo, int64_t n, int64_t eval_batch)
{
    int64_t correct = 0;
    int32_t *cut = NULL; /* [3][eval_batch, T]: a batch's first T' columns (pad_longest) */
    if (s->pad_longest && n > 0 && !(cut = malloc(3 * (size_t)(eval_batch * s->T) * sizeof *cut))) return -1;
    for (int64_t i = lo; i < lo + n; i += eval_batch) {
        int64_t k = lo + n - i < eval_batch ? lo + n - i : eval_batch;
        hrkd_batch b = hrkd_split_rows(s, i, k);
        if (cut) {
            int64_t T2 = hrkd_batch_longest(b.mask, b.T, NULL, k);
            b = hrkd_batch_cut(&b, T2, cut, cut + k * T2, cut + 2 * k * T2);
        }
        int64_t c = hrkd_eval_batch(model, head, ctx, &b, NULL);
        if (c < 0) {
            free(cut);
            return -1;
        }
        correct += c;
    }
    free(cut);
    return correct;
}

hrkd_status hrkd_eval_split(hrkd_comm *c, hrkd_bert *model, int head, hrkd_ctx *ctx,
                            const hrkd_split_data *s, int64_t eval_batch, double *acc,
                            hrkd_error *err)
{
    if (hrkd_comm_size(c) == 1) {
        int64_t correct = s->n ? count_correct(model, head, ctx, s, 0, s->n, eval_batch) : -1;
        *acc = correct < 0 ? NAN : (double)correct / (double)s->n;
        return HRKD_STATUS_OK;
    }
    int64_t lo, n;
    hrkd_dist_shard(c, s->n, &lo, &n);
    int64_t got = count_correct(model, head, ctx, s, lo, n, eval_batch);
    double counts[2] = {got < 0 ? 0 : (double)got, got < 0}; /* correct, failed ranks */
    hrkd_status st = hrkd_comm_allreduce_f64(c, counts, 2, err);
    if (st != HRKD_STATUS_OK) return st;
    if (counts[1] > 0)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "evaluation failed on %g rank(s)%s%s", counts[1],
                              hrkd_ctx_failed(ctx) ? ": " : "", hrkd_ctx_failed(ctx) ? hrkd_ctx_error(ctx)->msg : "");
    *acc = s->n ? counts[0] / (double)s->n : NAN;
    return HRKD_STATUS_OK;
}

void hrkd_print_accuracy_table(const hrkd_train_data *data, const char *title, const double *acc)
{
    printf("%s\n", title);
    double sum = 0;
    int n = 0;
    for (int d = 0; d < data->D; d++) {
        printf("  %-24s %6.2f\n", data->domains[d], 100.0 * acc[d]);
        if (!isnan(acc[d])) { sum += acc[d]; n++; }
    }
    printf("  %-24s %6.2f\n", "average", n ? 100.0 * sum / n : NAN);
    if (data->label_names && data->num_labels > 0) {
        printf("  (labels:");
        for (int l = 0; l < data->num_labels; l++) printf("%s %s", l ? "," : "", data->label_names[l]);
        printf(")\n");
    }
}

int hrkd_run_last_test(hrkd_run *run, int D, double *acc)
{
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    int found = 0;
    for (int i = 0; i < v.n_split; i++)
        if (!strcmp(v.split_name[i], "test") && v.split_rows[i] > 0) {
            for (int d = 0; d < D; d++) acc[d] = v.split_vals[i][(v.split_rows[i] - 1) * v.D * v.K + d * v.K];
            found = 1;
        }
    return found;
}

