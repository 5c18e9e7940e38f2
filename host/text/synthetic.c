/* host/text/synthetic.c — the embedded synthetic multi-domain dataset (format = synthetic):
 * no files, deterministic from the seed, small enough that a 2-layer BERT learns it in a few
 * hundred steps, so the whole pipeline can be exercised anywhere.
 *
 * Vocabulary (V = syn_vocab): 0..4 = [PAD] [UNK] [CLS] [SEP] [MASK]; then the shared words;
 * then D equal blocks of domain words. A few words of each block are "polar": polar word i
 * votes for label i mod L, with weight 1 for shared words and 2 for domain words; the rest are
 * neutral. An example is [CLS] w1 .. wk [SEP] with 6 ≤ k ≤ 28 words: 1–3 shared polar words,
 * usually one polar word of its own domain, neutral filler from the shared and the domain
 * block. Its label is the rule "the label with the largest total vote" (sequences whose vote
 * has a tie are redrawn). Labels are balanced: example i of a split is drawn for label i mod L
 * (resampled until the rule gives that label), then the split is shuffled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/text_internal.h"

#define SYN_SPECIALS 5

typedef struct syn_layout {
    int V, D, L;
    int shared0, n_shared, p_shared; /* first id, count, polar count */
    int dom0, n_dom, p_dom;          /* first id of domain 0, words per domain, polar count */
} syn_layout;

static int syn_polar_word(uint64_t *rng, int first, int n_polar, int L, int label)
{
    /* polar word i votes i % L: pick uniformly among those voting `label` */
    int per = (n_polar - label + L - 1) / L;
    return first + label + L * (int)hrkd_text_rng_below(rng, (uint64_t)per);
}

/* one example for domain d with target label y; returns the number of content words */
static int syn_example(const syn_layout *g, int d, int y, uint64_t *rng, int32_t *w)
{
    int32_t votes[64];
    for (int tries = 0;; tries++) {
        int k = 6 + (int)hrkd_text_rng_below(rng, 23);
        int n = 0;
        memset(votes, 0, sizeof votes);
        int ns = 1 + (int)hrkd_text_rng_below(rng, 3);
        for (int i = 0; i < ns; i++) {
            int lab = hrkd_text_rng_below(rng, 10) < 6 ? y : (int)hrkd_text_rng_below(rng, (uint64_t)g->L);
            w[n++] = syn_polar_word(rng, g->shared0, g->p_shared, g->L, lab);
            votes[lab] += 1;
        }
        if (hrkd_text_rng_below(rng, 10) < 8) {
            int lab = hrkd_text_rng_below(rng, 10) < 6 ? y : (int)hrkd_text_rng_below(rng, (uint64_t)g->L);
            w[n++] = syn_polar_word(rng, g->dom0 + d * g->n_dom, g->p_dom, g->L, lab);
            votes[lab] += 2;
        }
        while (n < k) {
            if (hrkd_text_rng_below(rng, 2))
                w[n++] = g->shared0 + g->p_shared +
                         (int)hrkd_text_rng_below(rng, (uint64_t)(g->n_shared - g->p_shared));
            else
                w[n++] = g->dom0 + d * g->n_dom + g->p_dom +
                         (int)hrkd_text_rng_below(rng, (uint64_t)(g->n_dom - g->p_dom));
        }
        for (int i = n - 1; i > 0; i--) { /* shuffle the word order */
            int j = (int)hrkd_text_rng_below(rng, (uint64_t)i + 1);
            int32_t tmp = w[i]; w[i] = w[j]; w[j] = tmp;
        }
        int best = 0, ties = 0;
        for (int l = 1; l < g->L; l++) {
            if (votes[l] > votes[best]) { best = l; ties = 0; }
            else if (votes[l] == votes[best]) ties = 1;
        }
        if ((best == y && !ties) || tries > 10000) return n; /* tries: cannot happen, y can win */
    }
}

hrkd_status hrkd_synthetic_build(const hrkd_data_options *opt, hrkd_dataset *ds, hrkd_error *err)
{
    syn_layout g = {0};
    g.V = opt->syn_vocab;
    g.D = opt->syn_domains;
    g.L = opt->syn_labels;
    if (g.D < 1 || g.D > 1000) return hrkd_error_set(err, HRKD_STATUS_INVALID, "synthetic_domains: must be in [1, 1000], got %d", g.D);
    if (g.L < 2 || g.L > 64) return hrkd_error_set(err, HRKD_STATUS_INVALID, "synthetic_labels: must be in [2, 64], got %d", g.L);
    int avail = g.V - SYN_SPECIALS;
    g.n_dom = avail / (2 * g.D);
    g.n_shared = avail - g.D * g.n_dom;
    g.p_shared = g.n_shared / 2 < 6 * g.L ? g.n_shared / 2 : 6 * g.L;
    g.p_dom = g.n_dom / 2 < 3 * g.L ? g.n_dom / 2 : 3 * g.L;
    g.shared0 = SYN_SPECIALS;
    g.dom0 = SYN_SPECIALS + g.n_shared;
    if (g.p_shared < g.L || g.p_dom < g.L)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "synthetic_vocab: %d is too small for %d domains and %d labels (need ≥ %d)",
                              g.V, g.D, g.L, SYN_SPECIALS + 4 * g.L * (g.D + 1));
    int counts[3] = {opt->syn_train, opt->syn_dev, opt->syn_test};
    for (int s = 0; s < 3; s++)
        if (counts[s] < 0) return hrkd_error_set(err, HRKD_STATUS_INVALID, "synthetic_%s: must be ≥ 0", hrkd_data_split_name(s));
    if (opt->max_seq_len < 2) return hrkd_error_set(err, HRKD_STATUS_INVALID, "max_seq_len: must be ≥ 2, got %d", opt->max_seq_len);

    ds->D = g.D;
    ds->num_labels = g.L;
    ds->vocab_size = g.V;
    ds->domain_names = calloc((size_t)g.D, sizeof *ds->domain_names);
    ds->label_names = calloc((size_t)g.L, sizeof *ds->label_names);
    ds->split = calloc((size_t)g.D * 3, sizeof *ds->split);
    if (!ds->domain_names || !ds->label_names || !ds->split) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "synthetic: out of memory");
    char name[32];
    for (int d = 0; d < g.D; d++) {
        snprintf(name, sizeof name, "domain%d", d);
        ds->domain_names[d] = strdup(name);
        if (!ds->domain_names[d]) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "synthetic: out of memory");
    }
    for (int l = 0; l < g.L; l++) {
        if (g.L == 2) snprintf(name, sizeof name, "%s", l ? "positive" : "negative");
        else snprintf(name, sizeof name, "label%d", l);
        ds->label_names[l] = strdup(name);
        if (!ds->label_names[l]) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "synthetic: out of memory");
    }
    int T = opt->max_seq_len;
    int32_t w[32];
    for (int d = 0; d < g.D; d++) {
        for (int s = 0; s < 3; s++) {
            hrkd_data_split *sp = &ds->split[d * 3 + s];
            hrkd_status st = hrkd_split_alloc(sp, counts[s], T, err);
            if (st) return st;
            uint64_t rng = opt->seed * 0x9E3779B97F4A7C15ull ^ ((uint64_t)(d + 1) << 20) ^ (uint64_t)(s + 1);
            hrkd_text_rng_next(&rng);
            /* balanced labels in a shuffled order */
            for (int64_t i = 0; i < sp->n; i++) sp->labels[i] = (int32_t)(i % g.L);
            for (int64_t i = sp->n - 1; i > 0; i--) {
                int64_t j = (int64_t)hrkd_text_rng_below(&rng, (uint64_t)i + 1);
                int32_t tmp = sp->labels[i]; sp->labels[i] = sp->labels[j]; sp->labels[j] = tmp;
            }
            for (int64_t i = 0; i < sp->n; i++) {
                int k = syn_example(&g, d, sp->labels[i], &rng, w);
                int32_t *ids = sp->ids + i * T, *seg = sp->segment + i * T, *mask = sp->mask + i * T;
                int keep = k < T - 2 ? k : T - 2;
                int p = 0;
                ids[p++] = 2; /* [CLS] */
                for (int j = 0; j < keep; j++) ids[p++] = w[j];
                ids[p++] = 3; /* [SEP] */
                for (int j = 0; j < T; j++) { seg[j] = 0; mask[j] = j < p; if (j >= p) ids[j] = 0; }
                sp->length[i] = k + 2;
            }
        }
    }
    return HRKD_STATUS_OK;
}
