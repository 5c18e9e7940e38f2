/* plugins/relational/gat.c — the domain-relational graph (HRKD Eq. 7–12): per student layer m
 * a two-layer graph attention network over the D domain nodes (features: the aggregated
 * prototypes AP_m [D, F]), full adjacency with self-loops, and a softmax over the domains:
 *
 *   layer 1, K heads of F' (Eq. 7–9):   z^k = W^k x                  x = dropout(AP_m)
 *                                        s^k_ij = a^kᵀ [z^k_i ⊕ z^k_j]
 *                                        α^k_ij = dropout(softmax_j LeakyReLU(s^k_ij))
 *                                        h'_i = ⊕_k ELU(Σ_j α^k_ij z^k_j)   [K·F']
 *   layer 2, one head of 1 (Eq. 10–12): the same on dropout(h') with W' [1, K·F'], a' [2]
 *                                        r_m = softmax_d ELU(...)   [D]
 *
 * This follows the reference code (cheneydon/hrkd models/gnn.py, itself pyGAT): dropout with
 * p = `dropout` on the input of each layer and on each attention matrix (active only while
 * the ctx is training), ELU after both layers. The paper's equations have no dropout
 * (dropout = 0 gives them).
 *
 * Parameters per layer m = 0..M (the reference layout in brackets):
 *   gat.layer<m>.heads.w [K, F', F]  head k = W^kᵀ  [the reference's W_k is (F, F')]
 *   gat.layer<m>.heads.a [K, 2F', 1] head k = a^k   [(2F', 1)]
 *   gat.layer<m>.out.w   [1, K·F']   W'ᵀ            [(K·F', 1)]
 *   gat.layer<m>.out.a   [2, 1]      a'             [(2, 1)]
 * All heads of a layer share one tensor so that the K heads are one linear + batched matmuls.
 * Initialisation is Xavier-uniform with gain `init_gain` with the bound the reference gets
 * for each of its tensors (per head: fan_in + fan_out = F + F' for W^k, 2F' + 1 for a^k),
 * seeded by (seed, name), applied lazily at the first forward; a weight that is already
 * non-zero then (a checkpoint was loaded) is left as it is. */
#include "hrkd/plugin.h"

#include <math.h>
#include <stdlib.h>

#include "weights.h"

enum { GAT_HEADS_W, GAT_HEADS_A, GAT_OUT_W, GAT_OUT_A, GAT_N_WEIGHTS };

typedef struct gat {
    hrkd_params *params;
    hrkd_rel_dims dims;        /* D domains, layers 0..M, input width F */
    int          K;
    int64_t      Fh;           /* hidden width per head (F') */
    float        slope;        /* LeakyReLU negative slope on the attention logits */
    float        dropout;
    float        init_gain;
    uint64_t     seed;
    int        (*w)[GAT_N_WEIGHTS]; /* [M+1] parameter indices */
    int          initialised;
} gat;

static const hrkd_plugin_param gat_params[] = {
    {"heads", HRKD_CFG_INT, "8", 1, 64, NULL, "attention heads K of the first graph layer"},
    {"hidden", HRKD_CFG_INT, "0", 0, 65536, NULL,
     "width F' of each first-layer head; 0 = the prototype width F (the reference: 768)"},
    {"alpha", HRKD_CFG_FLOAT, "0.2", 0.0, 1.0, NULL,
     "negative slope of the LeakyReLU on the attention logits"},
    {"dropout", HRKD_CFG_FLOAT, "0.1", 0.0, 0.99, NULL,
     "dropout on each layer's input and attention while training (reference 0.1; paper 0)"},
    {"init_gain", HRKD_CFG_FLOAT, "1.414", 0.0, 100.0, NULL,
     "gain of the Xavier-uniform initialisation (the reference's 1.414)"},
};

static void gat_destroy(void *self)
{
    gat *s = self;
    if (!s) return;
    free(s->w);
    free(s);
}

static int gat_create(const hrkd_plugin_args *args, void **out, hrkd_error *err)
{
    hrkd_rel_dims dims;
    int rc = rel_get_args("gat", args, &dims, err);
    if (rc != 0) return rc;
    gat *s = calloc(1, sizeof *s);
    if (s) s->w = calloc((size_t)args->n_student_layers + 1, sizeof *s->w);
    if (!s || !s->w) {
        gat_destroy(s);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "relational plugin 'gat': out of memory");
    }
    const hrkd_config_section *c = args->config;
    s->params = args->params;
    s->dims = dims;
    s->K = c ? (int)hrkd_cfg_int(c, "heads") : 8;
    s->Fh = c ? hrkd_cfg_int(c, "hidden") : 0;
    if (s->Fh <= 0) s->Fh = s->dims.F;
    s->slope = c ? (float)hrkd_cfg_float(c, "alpha") : 0.2f;
    s->dropout = c ? (float)hrkd_cfg_float(c, "dropout") : 0.1f;
    s->init_gain = c ? (float)hrkd_cfg_float(c, "init_gain") : 1.414f;
    s->seed = args->seed;
    if (s->K < 1 || !(s->dropout >= 0.0f && s->dropout < 1.0f)) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "relational plugin 'gat': heads = %d and "
                       "dropout = %g: expected heads >= 1 and 0 <= dropout < 1", s->K,
                       (double)s->dropout);
        gat_destroy(s);
        return HRKD_STATUS_INVALID;
    }
    for (int m = 0; m <= s->dims.M; m++) {
        static const char *suffix[GAT_N_WEIGHTS] = {"heads.w", "heads.a", "out.w", "out.a"};
        int64_t shapes[GAT_N_WEIGHTS][3] = {
            {s->K, s->Fh, s->dims.F}, {s->K, 2 * s->Fh, 1}, {1, s->K * s->Fh, 0}, {2, 1, 0}};
        static const int ndim[GAT_N_WEIGHTS] = {3, 3, 2, 2};
        for (int k = 0; k < GAT_N_WEIGHTS; k++)
            if ((s->w[m][k] = rel_declare(s->params, "gat", m, suffix[k], ndim[k], shapes[k], err)) < 0) {
                gat_destroy(s);
                return HRKD_STATUS_INVALID;
            }
    }
    *out = s;
    return 0;
}

/* Xavier bound gain·√(6 / (fan_in + fan_out)) with PyTorch's fans for a tensor shape. */
static double xavier_bound(float gain, const hrkd_param_info *pi)
{
    int64_t recept = 1;
    for (int d = 2; d < pi->ndim; d++) recept *= pi->shape[d];
    double fan_in = pi->ndim > 1 ? (double)(pi->shape[1] * recept) : (double)pi->shape[0];
    double fan_out = (double)(pi->shape[0] * recept);
    return gain * sqrt(6.0 / (fan_in + fan_out));
}

/* Initialise every still-zero weight: the SDK's Xavier-uniform for the tensor as declared,
 * rescaled to the bound of the reference's per-head tensor (fans `ref_fans`). */
static int gat_init(gat *s, hrkd_ctx *ctx)
{
    const double ref_fans[GAT_N_WEIGHTS] = {(double)(s->dims.F + s->Fh), (double)(2 * s->Fh + 1),
                                            (double)(s->K * s->Fh + 1), 3.0};
    int64_t most = s->K * s->Fh * (s->dims.F > 2 ? s->dims.F : 2);
    float *host = malloc((size_t)most * sizeof *host);
    if (!host) {
        hrkd_ctx_fail(ctx, "gat: out of memory");
        return -1;
    }
    for (int m = 0; m <= s->dims.M; m++) {
        for (int k = 0; k < GAT_N_WEIGHTS; k++) {
            int idx = s->w[m][k];
            int fresh = rel_is_fresh(s->params, idx, host, ctx, "gat", m);
            if (fresh < 0) {
                free(host);
                return -1;
            }
            if (!fresh) continue; /* loaded from elsewhere */
            const hrkd_param_info *pi = hrkd_params_info(s->params, idx);
            hrkd_params_init_xavier_uniform(s->params, idx, s->init_gain, s->seed);
            double want = s->init_gain * sqrt(6.0 / ref_fans[k]);
            double have = xavier_bound(s->init_gain, pi);
            if (fabs(want - have) <= 1e-12 * want) continue;
            hrkd_params_read(s->params, idx, host);
            for (int64_t i = 0; i < pi->numel; i++) host[i] = (float)(host[i] * (want / have));
            hrkd_params_write(s->params, idx, host);
        }
    }
    free(host);
    s->initialised = 1;
    return 0;
}

/* One graph-attention layer with K heads of width fo over the D nodes of x [D, fin]:
 * w [K·fo, fin], a [K, 2·fo, 1] → ELU(attention-weighted features) [D, K·fo], heads concatenated. */
static hrkd_tensor *gat_layer(gat *s, hrkd_ctx *ctx, hrkd_tensor *x, hrkd_tensor *w,
                              hrkd_tensor *a, int K, int64_t fo)
{
    const int64_t D = s->dims.D;
    static const int swap01[3] = {1, 0, 2};
    int64_t dkf[3] = {D, K, fo}, kd[2] = {K, D}, out[2] = {D, K * fo};
    hrkd_tensor *z = hrkd_linear(ctx, x, w, NULL);                               /* [D, K·fo] */
    z = hrkd_permute(ctx, hrkd_reshape(ctx, z, 3, dkf), swap01);                 /* [K, D, fo] */
    /* s_ij = a_srcᵀ z_i + a_dstᵀ z_j  (Eq. 7: aᵀ [z_i ⊕ z_j]) */
    hrkd_tensor *e_src = hrkd_matmul(ctx, z, hrkd_slice(ctx, a, 1, 0, fo), 0, 0, 1.0f);  /* [K, D, 1] */
    hrkd_tensor *e_dst = hrkd_matmul(ctx, z, hrkd_slice(ctx, a, 1, fo, fo), 0, 0, 1.0f); /* [K, D, 1] */
    hrkd_tensor *logits = hrkd_add(ctx, hrkd_repeat(ctx, hrkd_reshape(ctx, e_src, 2, kd), 2, D),
                                   hrkd_repeat(ctx, hrkd_reshape(ctx, e_dst, 2, kd), 1, D)); /* [K, D, D] */
    hrkd_tensor *att = hrkd_softmax(ctx, hrkd_leaky_relu(ctx, logits, s->slope), NULL); /* Eq. 8 */
    att = hrkd_dropout(ctx, att, s->dropout);
    hrkd_tensor *h = hrkd_elu(ctx, hrkd_matmul(ctx, att, z, 0, 0, 1.0f), 1.0f);  /* Eq. 9 [K, D, fo] */
    h = hrkd_contiguous(ctx, hrkd_permute(ctx, h, swap01));                      /* [D, K, fo] */
    return hrkd_reshape(ctx, h, 2, out);                                         /* ⊕ over heads */
}

static hrkd_tensor *gat_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg)
{
    gat *s = self;
    if (!hrkd_rel_check_layer(ctx, "gat", &s->dims, m, agg)) return NULL;
    if (!s->initialised && gat_init(s, ctx) != 0) return NULL;
    hrkd_tensor *w1 = hrkd_params_tensor(s->params, s->w[m][GAT_HEADS_W]);
    hrkd_tensor *a1 = hrkd_params_tensor(s->params, s->w[m][GAT_HEADS_A]);
    hrkd_tensor *w2 = hrkd_params_tensor(s->params, s->w[m][GAT_OUT_W]);
    hrkd_tensor *a2 = hrkd_params_tensor(s->params, s->w[m][GAT_OUT_A]);
    int64_t kf_f[2] = {s->K * s->Fh, s->dims.F}, one_two[3] = {1, 2, 1}, d1[1] = {s->dims.D};
    hrkd_tensor *x = hrkd_dropout(ctx, agg, s->dropout);
    hrkd_tensor *h = gat_layer(s, ctx, x, hrkd_reshape(ctx, w1, 2, kf_f), a1, s->K, s->Fh);
    h = hrkd_dropout(ctx, h, s->dropout);
    hrkd_tensor *score = gat_layer(s, ctx, h, w2, hrkd_reshape(ctx, a2, 3, one_two), 1, 1); /* [D, 1] */
    return hrkd_softmax(ctx, hrkd_reshape(ctx, score, 1, d1), NULL);            /* Eq. 10: r_m [D] */
}

static const hrkd_graph_fns gat_fns = {.forward = gat_forward};

static const hrkd_plugin_descriptor gat_descriptor = {
    HRKD_PLUGIN_DESCRIPTOR_ABI, .kind = HRKD_KIND_RELATIONAL_GRAPH,
    .name = "gat", .version = "1.0.0",
    .summary = "domain-relational ratios r_m from a 2-layer graph attention network over domains (Eq. 7-12)",
    .params = gat_params, .n_params = (int)(sizeof gat_params / sizeof gat_params[0]),
    .create = gat_create, .destroy = gat_destroy, .graph = &gat_fns};

HRKD_PLUGIN_EXPORT const hrkd_plugin_descriptor *hrkd_plugin_entry(void) { return &gat_descriptor; }
