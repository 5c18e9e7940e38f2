/* host/model/bert.c — BERT from SDK ops (see bert.h).
 *
 * Shape letters: B batch, T tokens, C hidden, NH heads, HS = C / NH, FF intermediate, V vocab. */
#include "model/bert.h"
#include "model/precision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

hrkd_bert_config hrkd_bert_config_default(void)
{
    return (hrkd_bert_config){.layers = 12, .hidden = 768, .heads = 12, .ffn = 3072,
                              .vocab = 30522, .max_positions = 512, .type_vocab = 2,
                              .num_labels = 2, .num_heads_cls = 1, .fit_dim = 0,
                              .gelu_tanh = 0, .layer_norm_eps = 1e-12f, .dropout = 0.1f,
                              .attn_dropout = 0.1f};
}

hrkd_status hrkd_bert_config_check(const hrkd_bert_config *c, hrkd_error *err)
{
#define POS(f) if (c->f <= 0) return hrkd_error_set(err, HRKD_STATUS_INVALID, "model config: " #f " = %d, must be > 0", c->f)
    POS(layers); POS(hidden); POS(heads); POS(ffn); POS(vocab); POS(max_positions);
    POS(type_vocab); POS(num_labels);
#undef POS
    if (c->layers > HRKD_BERT_MAX_LAYERS)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "model config: layers = %d, at most %d",
                              c->layers, HRKD_BERT_MAX_LAYERS);
    if (c->hidden % c->heads != 0)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "model config: hidden = %d is not divisible by heads = %d",
                              c->hidden, c->heads);
    if (c->num_heads_cls < 0 || c->num_heads_cls > 64)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "model config: num_heads_cls = %d outside [0, 64]", c->num_heads_cls);
    if (c->fit_dim < 0)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "model config: fit_dim = %d < 0", c->fit_dim);
    if (!(c->layer_norm_eps > 0))
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "model config: layer_norm_eps must be > 0");
    if (!(c->dropout >= 0 && c->dropout < 1) || !(c->attn_dropout >= 0 && c->attn_dropout < 1))
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "model config: dropout must be in [0, 1)");
    return HRKD_STATUS_OK;
}

static unsigned flags_for(const char *name)
{
    /* the reference's no_decay list: bias, LayerNorm.bias, LayerNorm.weight */
    return (strstr(name, "bias") || strstr(name, "LayerNorm.weight")) ? HRKD_PARAM_NO_DECAY : 0u;
}

static int add(hrkd_params *p, int *ok, const char *name, int64_t d0, int64_t d1)
{
    int64_t shape[2] = {d0, d1};
    int i = hrkd_params_add(p, name, d1 > 0 ? 2 : 1, shape, flags_for(name));
    if (i < 0) *ok = 0;
    return i;
}

hrkd_bert *hrkd_bert_create(hrkd_backend *be, const hrkd_bert_config *cfg, const char *model_name,
                            int with_grad, int with_optim, hrkd_error *err)
{
    if (hrkd_bert_config_check(cfg, err) != HRKD_STATUS_OK) return NULL;
    hrkd_bert *m = calloc(1, sizeof *m);
    if (!m) { hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); return NULL; }
    m->cfg = *cfg;
    m->params = hrkd_params_create(be, model_name);
    hrkd_params *p = m->params;
    int ok = p != NULL;
    if (!ok) { free(m); hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); return NULL; }
    int64_t C = cfg->hidden, FF = cfg->ffn;
    char n[160];
    m->word = add(p, &ok, "embeddings.word_embeddings.weight", cfg->vocab, C);
    m->pos = add(p, &ok, "embeddings.position_embeddings.weight", cfg->max_positions, C);
    m->type = add(p, &ok, "embeddings.token_type_embeddings.weight", cfg->type_vocab, C);
    m->emb_ln_w = add(p, &ok, "embeddings.LayerNorm.weight", C, 0);
    m->emb_ln_b = add(p, &ok, "embeddings.LayerNorm.bias", C, 0);
    for (int l = 0; l < cfg->layers; l++) {
#define L(field, suffix, d0, d1) \
    snprintf(n, sizeof n, "encoder.layer.%d.%s", l, suffix); m->layer[l].field = add(p, &ok, n, d0, d1)
        L(q_w, "attention.self.query.weight", C, C);     L(q_b, "attention.self.query.bias", C, 0);
        L(k_w, "attention.self.key.weight", C, C);       L(k_b, "attention.self.key.bias", C, 0);
        L(v_w, "attention.self.value.weight", C, C);     L(v_b, "attention.self.value.bias", C, 0);
        L(ao_w, "attention.output.dense.weight", C, C);  L(ao_b, "attention.output.dense.bias", C, 0);
        L(ln1_w, "attention.output.LayerNorm.weight", C, 0);
        L(ln1_b, "attention.output.LayerNorm.bias", C, 0);
        L(i_w, "intermediate.dense.weight", FF, C);      L(i_b, "intermediate.dense.bias", FF, 0);
        L(o_w, "output.dense.weight", C, FF);            L(o_b, "output.dense.bias", C, 0);
        L(ln2_w, "output.LayerNorm.weight", C, 0);       L(ln2_b, "output.LayerNorm.bias", C, 0);
#undef L
    }
    m->pool_w = add(p, &ok, "pooler.dense.weight", C, C);
    m->pool_b = add(p, &ok, "pooler.dense.bias", C, 0);
    for (int d = 0; d < cfg->num_heads_cls; d++) {
        snprintf(n, sizeof n, "classifiers.%d.weight", d);
        m->cls_w[d] = add(p, &ok, n, cfg->num_labels, C);
        snprintf(n, sizeof n, "classifiers.%d.bias", d);
        m->cls_b[d] = add(p, &ok, n, cfg->num_labels, 0);
    }
    if (cfg->fit_dim > 0)
        for (int l = 0; l <= cfg->layers; l++) {
            snprintf(n, sizeof n, "fit_denses.%d.weight", l);
            m->fit_w[l] = add(p, &ok, n, cfg->fit_dim, C);
            snprintf(n, sizeof n, "fit_denses.%d.bias", l);
            m->fit_b[l] = add(p, &ok, n, cfg->fit_dim, 0);
        }
    if (!ok) {
        hrkd_error_set(err, HRKD_STATUS_INTERNAL, "%s: could not declare parameters", model_name);
        hrkd_bert_destroy(m);
        return NULL;
    }
    if (hrkd_params_alloc(p, with_grad, with_optim, err) != HRKD_STATUS_OK) {
        hrkd_bert_destroy(m);
        return NULL;
    }
    return m;
}

void hrkd_bert_destroy(hrkd_bert *m)
{
    if (!m) return;
    hrkd_params_destroy(m->params);
    free(m);
}

void hrkd_bert_init_weights(hrkd_bert *m, uint64_t seed)
{
    hrkd_params *p = m->params;
    for (int i = 0; i < hrkd_params_count(p); i++) {
        const hrkd_param_info *pi = hrkd_params_info(p, i);
        if (strstr(pi->name, "LayerNorm.weight")) hrkd_params_init_const(p, i, 1.0f);
        else if (pi->ndim == 1) hrkd_params_init_const(p, i, 0.0f);
        else hrkd_params_init_normal(p, i, 0.0f, 0.02f, seed);
    }
}

#define P(i) hrkd_params_tensor(m->params, (i))

/* emb = word[ids] + pos[0..T) + type[token_type]; h0 = dropout(LN(emb)) */
static hrkd_tensor *embed(hrkd_bert *m, hrkd_ctx *ctx, hrkd_tensor *ids, hrkd_tensor *token_type)
{
    const hrkd_bert_config *c = &m->cfg;
    hrkd_tensor *pos_tab = hrkd_slice(ctx, P(m->pos), 0, 0, ids->shape[1]); /* [T, C] */
    hrkd_tensor *emb = hrkd_add(ctx, hrkd_embedding(ctx, P(m->word), ids), pos_tab);
    emb = hrkd_add(ctx, emb, hrkd_embedding(ctx, P(m->type), token_type));
    hrkd_tensor *h = hrkd_layernorm(ctx, emb, P(m->emb_ln_w), P(m->emb_ln_b), c->layer_norm_eps);
    return hrkd_dropout(ctx, h, c->dropout);
}

/* Encoder layer l on h [B, T, C] with the additive mask ext4 [B, NH, T, T]: its output
 * [B, T, C]; *scores = its masked pre-softmax attention scores [B, NH, T, T]. */
static hrkd_tensor *layer_forward(hrkd_bert *m, hrkd_ctx *ctx, int l, hrkd_tensor *h, hrkd_tensor *ext4,
                                  hrkd_tensor **scores)
{
    const hrkd_bert_config *c = &m->cfg;
    const int64_t B = h->shape[0], T = h->shape[1], C = c->hidden, NH = c->heads, HS = C / NH;
    const float scale = 1.0f / sqrtf((float)HS);
    const int to_heads[4] = {0, 2, 1, 3};
    int64_t s4[4] = {B, T, NH, HS}, s3[3] = {B, T, C};
    hrkd_bert_layer_idx *L = &m->layer[l];
    /* q, k, v = Linear(h) viewed [B, NH, T, HS] (strided, no copy) */
    hrkd_tensor *q = hrkd_permute(ctx, hrkd_reshape(ctx, hrkd_linear(ctx, h, P(L->q_w), P(L->q_b)), 4, s4), to_heads);
    hrkd_tensor *kk = hrkd_permute(ctx, hrkd_reshape(ctx, hrkd_linear(ctx, h, P(L->k_w), P(L->k_b)), 4, s4), to_heads);
    hrkd_tensor *v = hrkd_permute(ctx, hrkd_reshape(ctx, hrkd_linear(ctx, h, P(L->v_w), P(L->v_b)), 4, s4), to_heads);
    /* scores = q kᵀ / √HS + ext  → the layer's attention output (pre-softmax) */
    *scores = hrkd_matmul_add(ctx, q, kk, 0, 1, scale, ext4);
    hrkd_tensor *probs = hrkd_dropout(ctx, hrkd_softmax(ctx, *scores, NULL), c->attn_dropout);
    /* ctx = probs v, back to [B, T, C] */
    hrkd_tensor *cv = hrkd_matmul(ctx, probs, v, 0, 0, 1.0f);
    cv = hrkd_reshape(ctx, hrkd_contiguous(ctx, hrkd_permute(ctx, cv, to_heads)), 3, s3);
    hrkd_tensor *a = hrkd_dropout(ctx, hrkd_linear(ctx, cv, P(L->ao_w), P(L->ao_b)), c->dropout);
    a = hrkd_layernorm(ctx, hrkd_add(ctx, a, h), P(L->ln1_w), P(L->ln1_b), c->layer_norm_eps);
    /* feed-forward: LN(a + dropout(W_o gelu(W_i a))) */
    hrkd_tensor *f = hrkd_gelu(ctx, hrkd_linear(ctx, a, P(L->i_w), P(L->i_b)), c->gelu_tanh);
    f = hrkd_dropout(ctx, hrkd_linear(ctx, f, P(L->o_w), P(L->o_b)), c->dropout);
    return hrkd_layernorm(ctx, hrkd_add(ctx, f, a), P(L->ln2_w), P(L->ln2_b), c->layer_norm_eps);
}

/* The checks every forward shares, then ext [B, T] = (1 − mask) · −10000 and its view ext4 as
 * [B, NH, T, T] with 0 strides; NULL when refused (the ctx failed). */
static hrkd_tensor *forward_begin(hrkd_bert *m, hrkd_ctx *ctx, hrkd_tensor *ids, hrkd_tensor *token_type,
                                  hrkd_tensor *mask, hrkd_bert_out *out, hrkd_tensor *ext4)
{
    const hrkd_bert_config *c = &m->cfg;
    memset(out, 0, sizeof *out);
    if (hrkd_ctx_failed(ctx) || !ids || !token_type || !mask) return NULL;
    if (c->precision != HRKD_PRECISION_BACKEND) {
        hrkd_error e = {0};
        if (hrkd_precision_apply(hrkd_ctx_kernels(ctx), c->precision, &e) != 0) {
            hrkd_ctx_fail(ctx, "bert: precision %s: %s", hrkd_precision_name(c->precision), e.msg);
            return NULL;
        }
    }
    char s1[64], s2[64];
    if (ids->ndim != 2 || token_type->ndim != 2 || mask->ndim != 2 ||
        memcmp(ids->shape, token_type->shape, 2 * sizeof(int64_t)) ||
        memcmp(ids->shape, mask->shape, 2 * sizeof(int64_t))) {
        hrkd_ctx_fail(ctx, "bert: ids %s, token types %s and mask must all be [B, T]",
                      hrkd_shape_str(ids, s1, sizeof s1), hrkd_shape_str(token_type, s2, sizeof s2));
        return NULL;
    }
    int64_t B = ids->shape[0], T = ids->shape[1];
    if (T > c->max_positions) {
        hrkd_ctx_fail(ctx, "bert: sequence length %lld exceeds max_positions %d", (long long)T,
                      c->max_positions);
        return NULL;
    }
    const hrkd_kernels *k = hrkd_ctx_kernels(ctx);
    int64_t bt[2] = {B, T};
    hrkd_tensor *ext = hrkd_tensor_new(ctx, 2, bt);
    if (!ext) return NULL;
    k->fill(ext->data, -10000.0f, B * T);
    k->axpby(ext->data, mask->data, 10000.0f, 1.0f, B * T);
    *ext4 = *ext;
    ext4->ndim = 4;
    ext4->shape[0] = B; ext4->shape[1] = c->heads; ext4->shape[2] = T; ext4->shape[3] = T;
    ext4->stride[0] = T; ext4->stride[1] = 0; ext4->stride[2] = 0; ext4->stride[3] = 1;
    return ext;
}

/* pooled = dropout(tanh(W_p h[:, 0] + b_p)) */
static int forward_end(hrkd_bert *m, hrkd_ctx *ctx, hrkd_tensor *h, hrkd_bert_out *out)
{
    int64_t bc[2] = {h->shape[0], m->cfg.hidden};
    hrkd_tensor *cls = hrkd_reshape(ctx, hrkd_slice(ctx, h, 1, 0, 1), 2, bc);
    hrkd_tensor *pooled = hrkd_tanh(ctx, hrkd_linear(ctx, cls, P(m->pool_w), P(m->pool_b)));
    out->pooled = hrkd_dropout(ctx, pooled, m->cfg.dropout);
    return hrkd_ctx_failed(ctx) ? -1 : 0;
}

int hrkd_bert_forward(hrkd_bert *m, hrkd_ctx *ctx, hrkd_tensor *ids, hrkd_tensor *token_type,
                      hrkd_tensor *mask, hrkd_bert_out *out)
{
    hrkd_tensor ext4;
    if (!forward_begin(m, ctx, ids, token_type, mask, out, &ext4)) return -1;
    hrkd_tensor *h = embed(m, ctx, ids, token_type);
    out->hidden[0] = h;
    for (int l = 0; l < m->cfg.layers; l++) {
        h = layer_forward(m, ctx, l, h, &ext4, &out->attn[l + 1]);
        out->hidden[l + 1] = h;
    }
    return forward_end(m, ctx, h, out);
}

_Static_assert(HRKD_BERT_MAX_LAYERS < 64, "hrkd_bert_forward_kept: one bit of keep per layer");

/* t's values into dst (same shape, both dense); dst, or NULL when t is missing */
static hrkd_tensor *copy_into(hrkd_ctx *ctx, hrkd_tensor *dst, const hrkd_tensor *t)
{
    if (!dst || !t || hrkd_ctx_failed(ctx)) return NULL;
    hrkd_ctx_kernels(ctx)->copy_d2d(dst->data, t->data, (size_t)hrkd_tensor_numel(t) * sizeof(float));
    return dst;
}

int hrkd_bert_forward_kept(hrkd_bert *m, hrkd_ctx *ctx, hrkd_tensor *ids, hrkd_tensor *token_type,
                           hrkd_tensor *mask, uint64_t keep, hrkd_bert_out *out)
{
    const hrkd_bert_config *c = &m->cfg;
    if (hrkd_ctx_grad_enabled(ctx)) return hrkd_bert_forward(m, ctx, ids, token_type, mask, out);
    hrkd_tensor ext4;
    if (!forward_begin(m, ctx, ids, token_type, mask, out, &ext4)) return -1;
    keep |= (uint64_t)1 << c->layers; /* the pooler reads the last layer */
    const int64_t B = ids->shape[0], T = ids->shape[1];
    const int64_t s3[3] = {B, T, c->hidden}, s4[4] = {B, c->heads, T, T};
    /* a layer's output not kept lives in one of two buffers until the next layer has read it */
    hrkd_tensor *spare[2] = {hrkd_tensor_new(ctx, 3, s3), hrkd_tensor_new(ctx, 3, s3)};
    hrkd_tensor *h = NULL;
    for (int l = 0; l <= c->layers && !hrkd_ctx_failed(ctx); l++) {
        const int kept = (int)(keep >> l & 1);
        hrkd_tensor *dst = kept ? hrkd_tensor_new(ctx, 3, s3) : spare[l & 1];
        hrkd_tensor *sdst = kept && l > 0 ? hrkd_tensor_new(ctx, 4, s4) : NULL, *scores = NULL;
        /* everything the layer builds besides its outputs is given back right after */
        hrkd_ctx_mark mk = hrkd_ctx_mark_get(ctx);
        hrkd_tensor *y = l == 0 ? embed(m, ctx, ids, token_type) : layer_forward(m, ctx, l - 1, h, &ext4, &scores);
        h = copy_into(ctx, dst, y);
        if (sdst) out->attn[l] = copy_into(ctx, sdst, scores);
        hrkd_ctx_rewind(ctx, &mk);
        if (kept) out->hidden[l] = h;
    }
    if (hrkd_ctx_failed(ctx)) return -1;
    return forward_end(m, ctx, h, out);
}

hrkd_tensor *hrkd_bert_classify(hrkd_bert *m, hrkd_ctx *ctx, hrkd_tensor *pooled, int head)
{
    if (head < 0 || head >= m->cfg.num_heads_cls)
        return hrkd_ctx_fail(ctx, "bert: classification head %d outside [0, %d)", head,
                             m->cfg.num_heads_cls);
    if (m->cfg.cls_relu) pooled = hrkd_relu(ctx, pooled);
    return hrkd_linear(ctx, pooled, P(m->cls_w[head]), P(m->cls_b[head]));
}

hrkd_tensor *hrkd_bert_fit(hrkd_bert *m, hrkd_ctx *ctx, int layer, hrkd_tensor *h)
{
    if (m->cfg.fit_dim <= 0 || layer < 0 || layer > m->cfg.layers)
        return hrkd_ctx_fail(ctx, "bert: no fit projection for layer %d", layer);
    return hrkd_linear(ctx, h, P(m->fit_w[layer]), P(m->fit_b[layer]));
}

double hrkd_bert_forward_flops(const hrkd_bert_config *c, int64_t B, int64_t T)
{
    double n = (double)B * (double)T, C = c->hidden, FF = c->ffn;
    double per_layer = 2.0 * n * C * C * 4      /* q, k, v, attention output */
                     + 2.0 * n * C * FF * 2     /* FFN in and out */
                     + 2.0 * (double)B * T * T * C * 2; /* scores and probs·v */
    return per_layer * c->layers + 2.0 * (double)B * C * C; /* + pooler */
}
