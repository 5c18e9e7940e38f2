/* host/train/metakd.h — the host side of the Meta-KD baseline (Pan et al. 2020; released code,
 * alibaba/EasyTransfer scripts/metaKD):
 *
 *  - transferability weights t_i of every training instance, from a frozen encoder's last
 *    layer mean-pooled over every position but [CLS] (no mask) and the domain prototypes:
 *        c_d = mean_{i in d} h_i,   t_i = ½ [cos(h_i, c_{d_i}) + cos(h_i, mean_{d' != d_i} c_{d'})]
 *    computed once and stored in the run file as checkpoint group /transferability (model "t",
 *    one dataset per domain, /transferability/t/<domain> [n_train]); a later run reuses them when
 *    the data and encoder fingerprints match (results/README.md);
 *  - the two-stage meta-distillation schedule: stage 1 (layer + domain-representation terms,
 *    constant lr) into <file>_stage1.h5, stage 2 (soft cross-entropy, its own lr) into the run
 *    file; one student per target domain (the paper) or all domains at once (HRKD's shape). */
#ifndef HRKD_TRAIN_METAKD_H
#define HRKD_TRAIN_METAKD_H

#include "train/kd.h"
#include "train/loop.h"

/* h [B, T, F] → out [B, F]: mean over positions 1..T−1 (all but [CLS], padding included). */
HRKD_API void hrkd_metakd_mean_pool(const float *h, int64_t B, int64_t T, int64_t F, float *out);
/* h [N, F] pooled states, dom [N] in 0..D−1 → t [N] (formula above; D = 1: cos(h_i, c_d)). */
HRKD_API void hrkd_metakd_transferability(const float *h, const int32_t *dom, int64_t N, int D,
                                          int64_t F, float *t);

typedef struct hrkd_metakd_t {
    int    D;
    float *t[HRKD_MAX_DOMAINS]; /* [n_train_d], owned */
} hrkd_metakd_t;

HRKD_API void hrkd_metakd_t_free(hrkd_metakd_t *w);

/* Where t comes from: reuse (run file group, then `cache` file), else compute with `encoder`
 * (eval mode, no tape) and store into `run` and, when set, into `cache`. `encoder_id` names the
 * encoder for the fingerprint (e.g. "teacher-init:/path/to/minilm"). Logs one line saying
 * which ("transferability: reused from FILE" / "computed ... stored in FILE"). */
typedef struct hrkd_metakd_t_source {
    hrkd_bert  *encoder;
    const char *encoder_id;
    const char *cache;        /* "" or NULL: none */
    int64_t     eval_batch;
    const char *ini_text;     /* for a new cache file */
} hrkd_metakd_t_source;

HRKD_API hrkd_status hrkd_metakd_t_prepare(const hrkd_metakd_t_source *src, const hrkd_train_data *data,
                                           hrkd_backend *be, hrkd_ctx *ctx, hrkd_run *run,
                                           hrkd_metakd_t *out, hrkd_error *err);
/* Read /transferability of a run file written by a meta-teacher run (must match data). */
HRKD_API hrkd_status hrkd_metakd_t_read(const char *path, const hrkd_train_data *data,
                                        hrkd_backend *be, hrkd_metakd_t *out, hrkd_error *err);

typedef struct hrkd_metakd_opts {
    int         target;          /* −1: all domains at once; −2: each domain in turn; d: domain d only */
    int64_t     epochs[2];       /* stage 1, stage 2 */
    double      lr[2];
    const char *path;            /* the run file (stage 2 of target all / a single target; the
                                    summary of target each) */
    hrkd_run_meta meta;          /* for the stage files */
} hrkd_metakd_opts;

/* Both stages for the target(s), each a run of the training loop with o's settings (its
 * epochs, learning rate, seed, active domains and evaluation set per stage). `run` is the open
 * run file at opts->path. kd->student holds the initialised student (restored before every
 * target of target each); kd->cache, when set, serves every stage. */
HRKD_API hrkd_status hrkd_metakd_distill(const hrkd_loop_opts *o, const hrkd_metakd_opts *mo,
                                         const hrkd_train_data *data, hrkd_kd *kd,
                                         const hrkd_metakd_t *tw, hrkd_ctx *ctx, hrkd_run *run,
                                         hrkd_error *err);

#endif
