/* host/train/teacher.h — teachers: the teacher-training step with a teacher strategy plugin
 * (single / mix / mtl / meta_teacher) as the training loop's step (loop.h), and the trained
 * teachers read back from their run file for a distillation.
 *
 * A teacher run file's best_d<d> group holds the model serving domain d; its state records
 * which model and head serve d and how many heads the model has (loop.h). */
#ifndef HRKD_TRAIN_TEACHER_H
#define HRKD_TRAIN_TEACHER_H

#include "train/kd.h"
#include "train/loop.h"

typedef struct hrkd_teacher_setup {
    hrkd_plugin_inst strategy;
    int              n_models, n_heads;
    hrkd_bert       *models[HRKD_MAX_DOMAINS];
    /* ABI 1.1 strategies (Meta-KD meta-teacher): the strategy's own weights (trained, saved in
     * every checkpoint group beside the models; NULL: none) and per-domain instance weights
     * over the training split (transferability[d] [n_train_d]; NULL: none). */
    hrkd_params     *plugin_params;
    const float     *transferability[HRKD_MAX_DOMAINS];
} hrkd_teacher_setup;

/* The strategy's train_loss_ex (ABI 1.1), or NULL for older plugins and strategies without. */
HRKD_API hrkd_tensor *(*hrkd_teacher_loss_ex(const hrkd_plugin_inst *s))(void *, hrkd_ctx *,
                                                                          const hrkd_teacher_batch *);

/* The teacher-training step: each domain's batch through the model and head its route names,
 * the strategy's loss, backward; the log row is each domain's cross-entropy. */
typedef struct hrkd_teacher_step {
    hrkd_teacher_setup *ts;
    int                 D;
    int                 model[HRKD_MAX_DOMAINS], head[HRKD_MAX_DOMAINS]; /* the strategy's routes */
    int64_t             eval_batch;
    float               ce[HRKD_MAX_DOMAINS];
} hrkd_teacher_step;

/* Fill out (the loop's step) for the D domains of ts. */
HRKD_API void hrkd_teacher_step_init(hrkd_teacher_step *s, hrkd_teacher_setup *ts, int D,
                                     int64_t eval_batch, hrkd_loop_step *out);

/* The model serving a domain as a best_d<d> group's state records it (loop.h): store index,
 * head and the model's number of heads; 1. For run files written before that record, model
 * and head from state.loader, heads = head + 1; 0. */
HRKD_API int hrkd_teacher_route(const hrkd_run_state *rs, int *model, int *head, int *n_heads);

/* The number of classification heads the models of a teacher run file were built with, as its
 * best_d<d> groups record it (1 when it has none). */
HRKD_API hrkd_status hrkd_teacher_read_heads(hrkd_run *run, int D, int *n_heads, hrkd_error *err);

/* Load teacher model(s) for distillation from a teacher run file: for every domain d the
 * best_d<d> group (its model and head) into teachers[d]; cfg is the architecture. Only those
 * groups' weights are read (never the moments, never another group). Domains whose groups
 * hold the same values (the same model saved at the same step) share one model: teachers[d]
 * may equal teachers[e], so free each distinct pointer once. */
HRKD_API hrkd_status hrkd_load_teachers(const char *path, hrkd_backend *be,
                                        const hrkd_bert_config *cfg, int D, hrkd_bert **teachers,
                                        int *heads, hrkd_error *err);

#endif
