/* plugins/teachers/meta_teacher.c — the Meta-KD meta-teacher (Pan et al. 2020; released code,
 * alibaba/EasyTransfer scripts/metaKD): one BERT encoder and ONE classification head shared by
 * every domain, trained on all domains with
 *
 *   prototype-based instance weighting:  L = mean_i t_i · (CE(z_i, y_i) + γ1 · CE(u_i, s_i))
 *   domain corruption (feature level):   c_i = dropout(tanh(W_c (E[d_i] + meanpool(H_i)) + b_c))
 *                                        u_i = W_u c_i + b_u            (domain logits [D])
 *
 * t_i is the instance's transferability (computed once by the host from a frozen encoder,
 * host/train/metakd.c); E [D, F] is a learned domain embedding; meanpool(H_i) is the mean of
 * the last encoder layer over all T positions (padding included); the domain target s_i is
 * the step's domain ids shuffled over all examples of the step (the released code shuffles
 * within its mixed-domain batch; here one step holds one batch of every domain), with no
 * gradient reversal. `corruption = false` drops the γ1 term (the original scripts), `true`
 * keeps it (the EasyNLP rewrite; default).
 *
 * The branch's weights live in the params store the host hands at create() (model name
 * "meta_teacher"), are trained with the encoder and saved in every teacher checkpoint, so
 * meta-distillation can compute the domain representation D = tanh(W_c(E[d] + meanpool(H))
 * + b_c) (domain_repr, no dropout) of the teacher and of the fit-projected student.
 *
 * The released code's head reads relu(pooled): that is the host's [teacher] head_activation =
 * relu (the head is the host's BERT classifier, not this plugin's).
 */
#include "hrkd/plugin_teacher.h"

#include <stdlib.h>
#include <string.h>

enum { W_EMB, W_DENSE, B_DENSE, W_DOM, B_DOM, N_W };

typedef struct meta_teacher {
    hrkd_params *params;
    int          w[N_W];
    int          D;
    int64_t      F;
    float        gamma1, dropout, init_std;
    int          corruption, initialised;
    uint64_t     seed;
} meta_teacher;

static const hrkd_plugin_param mt_params[] = {
    {"corruption", HRKD_CFG_BOOL, "true", 0, -1, NULL,
     "domain-corruption branch on (EasyNLP rewrite) or off (original Meta-KD scripts)"},
    {"gamma1", HRKD_CFG_FLOAT, "0.5", 0.0, 1e6, NULL,
     "γ1: weight of the domain-corruption cross-entropy"},
    {"dropout", HRKD_CFG_FLOAT, "0.1", 0.0, 0.99, NULL,
     "dropout on the corruption branch's representation while training"},
    {"init_std", HRKD_CFG_FLOAT, "0.02", 0.0, 10.0, NULL,
     "std of the normal initialisation of the branch's weight matrices (biases start at 0)"},
};

static const char *const w_names[N_W] = {
    "domain_embedding.weight", "corruption.dense.weight", "corruption.dense.bias",
    "domain_classifier.weight", "domain_classifier.bias"};

static int mt_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    if (!args->params)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "meta_teacher: needs a parameter store (host older than ABI 1.1?)");
    if (args->n_domains < 1 || args->feature_dim < 1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "meta_teacher: %d domains and feature width %lld: both must be >= 1",
                              args->n_domains, (long long)args->feature_dim);
    meta_teacher *s = calloc(1, sizeof *s);
    if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "meta_teacher: out of memory");
    s->params = args->params;
    s->D = args->n_domains;
    s->F = args->feature_dim;
    s->seed = args->seed;
    s->corruption = 1;
    s->gamma1 = 0.5f;
    s->dropout = 0.1f;
    s->init_std = 0.02f;
    if (args->config) {
        s->corruption = hrkd_cfg_bool(args->config, "corruption");
        s->gamma1 = (float)hrkd_cfg_float(args->config, "gamma1");
        s->dropout = (float)hrkd_cfg_float(args->config, "dropout");
        s->init_std = (float)hrkd_cfg_float(args->config, "init_std");
    }
    const int64_t shapes[N_W][2] = {{s->D, s->F}, {s->F, s->F}, {s->F, 0}, {s->D, s->F}, {s->D, 0}};
    for (int k = 0; k < N_W; k++) {
        int nd = shapes[k][1] ? 2 : 1;
        unsigned flags = nd == 1 ? HRKD_PARAM_NO_DECAY : 0;
        s->w[k] = hrkd_params_add(s->params, w_names[k], nd, shapes[k], flags);
        if (s->w[k] < 0) {
            free(s);
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "meta_teacher: cannot declare %s",
                                  w_names[k]);
        }
    }
    *out = s;
    return 0;
}

static void mt_destroy(void *self) { free(self); }

/* Initialise the still-zero weight matrices (a loaded checkpoint is left as it is). */
static int mt_init(meta_teacher *s, hrkd_ctx *ctx)
{
    const int mats[3] = {W_EMB, W_DENSE, W_DOM};
    int64_t most = s->F * (s->F > s->D ? s->F : s->D);
    float *host = malloc((size_t)most * sizeof *host);
    if (!host) {
        hrkd_ctx_fail(ctx, "meta_teacher: out of memory");
        return -1;
    }
    for (int k = 0; k < 3; k++) {
        int idx = s->w[mats[k]];
        const hrkd_param_info *pi = hrkd_params_info(s->params, idx);
        if (!pi || hrkd_params_read(s->params, idx, host) != HRKD_STATUS_OK) {
            free(host);
            hrkd_ctx_fail(ctx, "meta_teacher: cannot read %s", w_names[mats[k]]);
            return -1;
        }
        int64_t i = 0;
        while (i < pi->numel && host[i] == 0.0f) i++;
        if (i == pi->numel) hrkd_params_init_normal(s->params, idx, 0.0f, s->init_std, s->seed);
    }
    free(host);
    s->initialised = 1;
    return 0;
}

static hrkd_tensor *W(meta_teacher *s, int k) { return hrkd_params_tensor(s->params, s->w[k]); }

/* E[d] + meanpool(hidden) → tanh(W_c · + b_c)   [B, F] */
static hrkd_tensor *branch(meta_teacher *s, hrkd_ctx *ctx, hrkd_tensor *hidden, int domain)
{
    if (!hidden || hidden->ndim != 3 || hidden->shape[2] != s->F || domain < 0 || domain >= s->D)
        return hrkd_ctx_fail(ctx, "meta_teacher: domain representation needs hidden [B, T, %lld] "
                             "and a domain in 0..%d", (long long)s->F, s->D - 1);
    int64_t B = hidden->shape[0];
    int32_t *ids = malloc((size_t)B * sizeof *ids);
    if (!ids) return hrkd_ctx_fail(ctx, "meta_teacher: out of memory");
    for (int64_t i = 0; i < B; i++) ids[i] = domain;
    hrkd_tensor *idt = hrkd_tensor_from_host_i32(ctx, 1, &B, ids);
    free(ids);
    hrkd_tensor *x = hrkd_add(ctx, hrkd_mean(ctx, hidden, 1), hrkd_embedding(ctx, W(s, W_EMB), idt));
    return hrkd_tanh(ctx, hrkd_linear(ctx, x, W(s, W_DENSE), W(s, B_DENSE)));
}

static hrkd_tensor *mt_domain_repr(void *self, hrkd_ctx *ctx, hrkd_tensor *hidden, int domain)
{
    meta_teacher *s = self;
    if (!s->initialised && mt_init(s, ctx) != 0) return NULL;
    return branch(s, ctx, hidden, domain);
}

/* Per-row cross-entropy −log softmax(z)[y] as Σ_c onehot ⊙ (−log_softmax z): [N] */
static hrkd_tensor *row_ce(hrkd_ctx *ctx, hrkd_tensor *logits, const int32_t *y)
{
    if (!logits) return NULL;
    int64_t N = logits->shape[0], C = logits->shape[1];
    float *oh = calloc((size_t)(N * C), sizeof *oh);
    if (!oh) return hrkd_ctx_fail(ctx, "meta_teacher: out of memory");
    for (int64_t i = 0; i < N; i++)
        if (y[i] >= 0 && y[i] < C) oh[i * C + y[i]] = -1.0f;
    int64_t shape[2] = {N, C};
    hrkd_tensor *o = hrkd_tensor_from_host(ctx, 2, shape, oh);
    free(oh);
    return hrkd_sum(ctx, hrkd_mul(ctx, hrkd_log_softmax(ctx, logits), o), 1);
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static hrkd_tensor *mt_train_loss_ex(void *self, hrkd_ctx *ctx, const hrkd_teacher_batch *in)
{
    meta_teacher *s = self;
    if (!in || in->struct_size < sizeof *in || in->n_domains != s->D || !in->logits || !in->labels ||
        (s->corruption && !in->last_hidden))
        return hrkd_ctx_fail(ctx, "meta_teacher: incomplete teacher batch (need logits, labels%s for "
                             "%d domains)", s->corruption ? ", last hidden states" : "", s->D);
    if (!s->initialised && mt_init(s, ctx) != 0) return NULL;
    hrkd_tensor *lg[64], *dl[64], *tw[64];
    int n = 0;
    int64_t N = 0;
    for (int d = 0; d < s->D && d < 64; d++)
        if (in->logits[d]) N += in->logits[d]->shape[0];
    int32_t *y = malloc((size_t)(N ? N : 1) * sizeof *y), *dom = malloc((size_t)(N ? N : 1) * sizeof *dom);
    float *ones = malloc((size_t)(N ? N : 1) * sizeof *ones);
    if (!y || !dom || !ones) {
        free(y); free(dom); free(ones);
        return hrkd_ctx_fail(ctx, "meta_teacher: out of memory");
    }
    int64_t off = 0;
    for (int d = 0; d < s->D && d < 64; d++) {
        if (!in->logits[d]) continue;
        int64_t B = in->logits[d]->shape[0];
        /* labels: int32 on the device; the same 4-byte copy as floats */
        if (hrkd_tensor_to_host(ctx, in->labels[d], (float *)(void *)(y + off)) != 0) break;
        for (int64_t i = 0; i < B; i++) { dom[off + i] = d; ones[off + i] = 1.0f; }
        lg[n] = in->logits[d];
        tw[n] = in->transferability && in->transferability[d] ? in->transferability[d] : NULL;
        if (s->corruption) {
            hrkd_tensor *c = hrkd_dropout(ctx, branch(s, ctx, in->last_hidden[d], d), s->dropout);
            dl[n] = hrkd_linear(ctx, c, W(s, W_DOM), W(s, B_DOM));
        }
        n++;
        off += B;
    }
    hrkd_tensor *loss = NULL;
    if (n > 0 && off == N) {
        for (int k = 0; k < n; k++)
            if (!tw[k]) tw[k] = hrkd_tensor_from_host(ctx, 1, &lg[k]->shape[0], ones);
        hrkd_tensor *per = row_ce(ctx, hrkd_concat(ctx, lg, n, 0), y);
        if (s->corruption) {
            /* target: the step's domain ids shuffled (Fisher–Yates keyed by the seed and the
             * dropout-stream position, which checkpoints save: resumes see the same shuffle) */
            uint64_t key = mix64(s->seed ^ mix64(hrkd_ctx_rng_counter(ctx)));
            for (int64_t i = N - 1; i > 0; i--) {
                int64_t j = (int64_t)(mix64(key + (uint64_t)i) % (uint64_t)(i + 1));
                int32_t t = dom[i];
                dom[i] = dom[j];
                dom[j] = t;
            }
            hrkd_tensor *ced = row_ce(ctx, hrkd_concat(ctx, dl, n, 0), dom);
            per = hrkd_add(ctx, per, hrkd_scale(ctx, ced, s->gamma1));
        }
        loss = hrkd_mean(ctx, hrkd_mul(ctx, per, hrkd_concat(ctx, tw, n, 0)), HRKD_ALL);
    } else if (!hrkd_ctx_failed(ctx)) {
        hrkd_ctx_fail(ctx, "meta_teacher: no batch in this step");
    }
    free(y); free(dom); free(ones);
    return hrkd_ctx_failed(ctx) ? NULL : loss;
}

static int mt_n_models(void *self, int n_domains) { return 1; }
static int mt_n_heads(void *self, int n_domains) { return 1; }
static void mt_route(void *self, int domain, int *model, int *head) { *model = 0; *head = 0; }

/* train_loss serves ABI 1.0 hosts (no train_loss_ex): the plain sum of per-domain CE. */
static const hrkd_teacher_fns mt_fns = {
    .n_models = mt_n_models, .route = mt_route, .n_heads = mt_n_heads,
    .train_loss = hrkd_teacher_ce_sum, .train_loss_ex = mt_train_loss_ex,
    .domain_repr = mt_domain_repr};

static const hrkd_plugin_descriptor mt_descriptor = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = 1,
    .struct_size = sizeof(hrkd_plugin_descriptor), .kind = HRKD_KIND_TEACHER, .name = "meta_teacher",
    .version = "1.0.0",
    .summary = "Meta-KD meta-teacher: shared head, transferability-weighted CE, domain corruption",
    .params = mt_params, .n_params = (int)(sizeof mt_params / sizeof mt_params[0]),
    .create = mt_create, .destroy = mt_destroy, .teacher = &mt_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &mt_descriptor; }
