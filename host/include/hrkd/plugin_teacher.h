/* hrkd/plugin_teacher.h — what teacher strategies share: create/destroy for a strategy that
 * keeps no state, and the training loss Σ_d CE_d over the domains that have a batch this
 * step (BERT-single and the HRKD-teacher, whose models or heads share nothing across
 * domains, and the ABI 1.0 fallback of strategies with a train_loss_ex).
 *
 * Header-only on the public SDK: a plugin that includes it stays one self-contained .so and
 * libhrkd's ABI does not change. */
#ifndef HRKD_PLUGIN_TEACHER_H
#define HRKD_PLUGIN_TEACHER_H

#include "hrkd/plugin.h"

/* create() of a strategy without state: *self is a non-NULL token that is never read. */
static inline int hrkd_teacher_stateless_create(const hrkd_plugin_args *args, void **self,
                                                hrkd_error *err)
{
    (void)args;
    (void)err;
    *self = (void *)1;
    return 0;
}

static inline void hrkd_teacher_stateless_destroy(void *self) { (void)self; }

/* A train_loss: Σ_d CE(logits[d], labels[d]) over the domains d with a batch (logits[d] not
 * NULL); NULL when none has one. */
static inline hrkd_tensor *hrkd_teacher_ce_sum(void *self, hrkd_ctx *ctx, int n_domains,
                                               hrkd_tensor **logits, hrkd_tensor **labels)
{
    (void)self;
    hrkd_tensor *total = NULL;
    for (int d = 0; d < n_domains; d++) {
        if (!logits[d]) continue;
        hrkd_tensor *ce = hrkd_cross_entropy(ctx, logits[d], labels[d]);
        total = total ? hrkd_add(ctx, total, ce) : ce;
    }
    return total;
}

#endif /* HRKD_PLUGIN_TEACHER_H */
