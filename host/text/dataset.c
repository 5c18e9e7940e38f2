/* host/text/dataset.c — hrkd_data_load: pick the reader (or the synthetic generator), tokenize
 * every split (or map it from the token cache), then keep the requested domains and the front
 * few_shot_ratio of each training split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hrkd/backend.h"
#include "text/text_internal.h"

/* hrkd_data_load; quiet: no start-up line (the second, long load of train_windows) */
static hrkd_status data_load(const hrkd_data_options *opt, int quiet, hrkd_dataset **out, hrkd_error *err);

hrkd_data_options hrkd_data_options_default(void)
{
    hrkd_data_options o;
    memset(&o, 0, sizeof o);
    o.format = "synthetic";
    o.path = "";
    o.vocab = "";
    o.max_seq_len = 128;
    o.seed = 42;
    o.few_shot_ratio = 1.0;
    o.few_shot_seed = -1;
    o.domains = "";
    o.cache_dir = "";
    o.lowercase = 1;
    o.train_windows = 1;
    o.columns = "";
    o.default_domain = "";
    o.labels = "";
    o.max_line_bytes = 16 << 20;
    o.syn_domains = 3;
    o.syn_train = 2000;
    o.syn_dev = 200;
    o.syn_test = 200;
    o.syn_vocab = 1000;
    o.syn_labels = 2;
    return o;
}

static hrkd_status tokenize_raw(const hrkd_data_options *opt, hrkd_raw_data *r, hrkd_dataset *ds,
                                hrkd_error *err)
{
    hrkd_tokenizer *tok = hrkd_tokenizer_create(opt->vocab, opt->lowercase, err);
    if (!tok) return err ? err->status : HRKD_STATUS_INVALID;
    ds->vocab_size = hrkd_tokenizer_vocab_size(tok);
    ds->D = r->D;
    ds->num_labels = r->L;
    ds->domain_names = calloc((size_t)(r->D ? r->D : 1), sizeof *ds->domain_names);
    ds->label_names = calloc((size_t)(r->L ? r->L : 1), sizeof *ds->label_names);
    ds->split = calloc((size_t)(r->D ? r->D : 1) * 3, sizeof *ds->split);
    hrkd_status st = HRKD_STATUS_OK;
    if (!ds->domain_names || !ds->label_names || !ds->split) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    for (int d = 0; d < r->D && !st; d++) { /* names move from r to ds */
        ds->domain_names[d] = r->dom[d].name;
        r->dom[d].name = NULL;
    }
    for (int l = 0; l < r->L && !st; l++) {
        ds->label_names[l] = r->label_names[l];
        r->label_names[l] = NULL;
    }
    int T = opt->max_seq_len;
    for (int d = 0; d < r->D && !st; d++) {
        for (int s = 0; s < 3 && !st; s++) {
            hrkd_example_list *l = &r->dom[d].split[s];
            hrkd_data_split *sp = &ds->split[d * 3 + s];
            st = hrkd_split_alloc(sp, l->n, T, err);
            for (int64_t i = 0; i < l->n && !st; i++) {
                sp->length[i] = hrkd_tokenizer_encode(tok, l->ex[i].a, l->ex[i].b, T, sp->ids + i * T,
                                                      sp->segment + i * T, sp->mask + i * T);
                sp->labels[i] = l->ex[i].label;
            }
        }
    }
    hrkd_tokenizer_destroy(tok);
    return st;
}

/* keep the domains named in opt->domains (in the dataset's order) */
static hrkd_status filter_domains(const hrkd_data_options *opt, hrkd_dataset *ds, hrkd_error *err)
{
    if (!opt->domains || !opt->domains[0]) return HRKD_STATUS_OK;
    int *keep = calloc((size_t)ds->D, sizeof *keep);
    char *list = strdup(opt->domains);
    if (!keep || !list) { free(keep); free(list); return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); }
    hrkd_status st = HRKD_STATUS_OK;
    char *save = NULL;
    for (char *tokn = strtok_r(list, ",", &save); tokn && !st; tokn = strtok_r(NULL, ",", &save)) {
        while (*tokn == ' ' || *tokn == '\t') tokn++;
        size_t n = strlen(tokn);
        while (n && (tokn[n - 1] == ' ' || tokn[n - 1] == '\t')) tokn[--n] = 0;
        if (!n) continue;
        int found = -1;
        for (int d = 0; d < ds->D; d++)
            if (strcmp(ds->domain_names[d], tokn) == 0) found = d;
        if (found < 0) {
            char have[512] = "";
            for (int d = 0; d < ds->D; d++) {
                size_t hl = strlen(have);
                snprintf(have + hl, sizeof have - hl, "%s%s", d ? ", " : "", ds->domain_names[d]);
            }
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "domains: unknown domain '%s' (have: %s)", tokn, have);
        } else keep[found] = 1;
    }
    hrkd_dataset_priv *pv = ds->priv;
    int D = 0;
    for (int d = 0; d < ds->D && !st; d++) {
        if (!keep[d]) {
            free(ds->domain_names[d]);
            if (!pv || !pv->n_maps) free(ds->split[d * 3].ids), free(ds->split[d * 3 + 1].ids), free(ds->split[d * 3 + 2].ids);
            continue;
        }
        ds->domain_names[D] = ds->domain_names[d];
        for (int s = 0; s < 3; s++) ds->split[D * 3 + s] = ds->split[d * 3 + s];
        D++;
    }
    if (!st) ds->D = D;
    free(keep);
    free(list);
    return st;
}

/* Does row i of the long encoding fp (width LT) start with window 0 of row i of sp (width T)?
 * False for pair examples (a segment-1 token) and for anything the long load cut otherwise. */
static int same_start(const hrkd_data_split *sp, const hrkd_data_split *fp, int64_t i, int64_t ntok)
{
    int64_t T = sp->T, LT = fp->T, S = T - 2, k = ntok < S ? ntok : S;
    for (int64_t j = 0; j < LT; j++)
        if (fp->segment[i * LT + j] != 0) return 0;
    return !memcmp(sp->ids + i * T, fp->ids + i * LT, (size_t)(k + 1) * sizeof *sp->ids);
}

/* tokens of row i of a split, [CLS] and [SEP] excluded, as far as the row holds them */
static int64_t row_tokens(const hrkd_data_split *fp, int64_t i)
{
    return (fp->length[i] < fp->T ? fp->length[i] : fp->T) - 2;
}

/* *sp becomes the block nw (from hrkd_split_alloc), which the dataset then owns: the old rows
 * are freed, or, where they live in a token-cache mapping, stay there while nw joins the blocks
 * freed with the dataset. nw is freed on failure. */
static hrkd_status replace_split(hrkd_dataset_priv *pv, hrkd_data_split *sp, hrkd_data_split nw, hrkd_error *err)
{
    if (pv->n_maps) {
        void **o = realloc(pv->owned, (size_t)(pv->n_owned + 1) * sizeof *o);
        if (!o) { free(nw.ids); return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); }
        pv->owned = o;
        pv->owned[pv->n_owned++] = nw.ids;
    } else {
        free(sp->ids);
    }
    *sp = nw;
    return HRKD_STATUS_OK;
}

/* [data] train_windows (see text.h): replace every training split of ds by its windowed form,
 * cut from a second load of the same data at max_seq_len (K·S + 2). */
static hrkd_status add_windows(const hrkd_data_options *opt, hrkd_dataset *ds, hrkd_error *err)
{
    const int K = opt->train_windows;
    const int64_t T = opt->max_seq_len, S = T - 2, LT = (int64_t)K * S + 2;
    if (S < 2 || LT > 65536)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "train_windows: %d windows of max_seq_len %lld do not fit "
                              "(a window needs at least 4 tokens, and windows · (max_seq_len − 2) + 2 at most "
                              "65536)", K, (long long)T);
    hrkd_data_options lo = *opt;
    lo.max_seq_len = (int)LT;
    lo.train_windows = 1;
    hrkd_dataset *full = NULL;
    hrkd_status st = data_load(&lo, 1, &full, err);
    if (st) return st;
    hrkd_dataset_priv *pv = ds->priv;
    for (int d = 0; d < ds->D && !st; d++) {
        hrkd_data_split *sp = &ds->split[d * 3 + HRKD_DATA_TRAIN];
        const hrkd_data_split *fp = &full->split[d * 3 + HRKD_DATA_TRAIN];
        if (fp->n != sp->n || strcmp(full->domain_names[d], ds->domain_names[d]) != 0) {
            st = hrkd_error_set(err, HRKD_STATUS_INTERNAL, "train_windows: the long load of domain %s differs",
                                ds->domain_names[d]);
            break;
        }
        /* windows of text i: 1 + those w ≥ 1 with at least S / 2 tokens (1 for a pair) */
        int32_t *nwin = malloc((size_t)(sp->n ? sp->n : 1) * sizeof *nwin);
        if (!nwin) { st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); break; }
        int64_t rows = 0;
        for (int64_t i = 0; i < sp->n; i++) {
            int64_t ntok = row_tokens(fp, i);
            nwin[i] = 1;
            if (same_start(sp, fp, i, ntok))
                while (nwin[i] < K && ntok - nwin[i] * S >= (S + 1) / 2) nwin[i]++;
            rows += nwin[i];
        }
        hrkd_data_split nw;
        st = hrkd_split_alloc(&nw, rows, T, err);
        if (st) { free(nwin); break; }
        size_t nt = (size_t)(sp->n * T) * sizeof *sp->ids, nn = (size_t)sp->n * sizeof *sp->ids;
        memcpy(nw.ids, sp->ids, nt);
        memcpy(nw.segment, sp->segment, nt);
        memcpy(nw.mask, sp->mask, nt);
        memcpy(nw.labels, sp->labels, nn);
        memcpy(nw.length, sp->length, nn);
        int64_t r = sp->n;
        for (int w = 1; w < K; w++) {
            for (int64_t i = 0; i < sp->n; i++) {
                if (w >= nwin[i]) continue;
                int64_t ntok = row_tokens(fp, i), left = ntok - w * S;
                const int32_t *src = fp->ids + i * LT;
                int32_t *ids = nw.ids + r * T, *seg = nw.segment + r * T, *mask = nw.mask + r * T;
                int64_t cnt = left < S ? left : S;
                ids[0] = src[0];                                     /* [CLS] */
                memcpy(ids + 1, src + 1 + w * S, (size_t)cnt * sizeof *ids);
                ids[cnt + 1] = src[ntok + 1];                        /* [SEP] */
                for (int64_t j = cnt + 2; j < T; j++) ids[j] = src[LT - 1]; /* [PAD]: the long row is padded here */
                for (int64_t j = 0; j < T; j++) { seg[j] = 0; mask[j] = j < cnt + 2; }
                nw.labels[r] = sp->labels[i];
                nw.length[r] = (int32_t)(left + 2);
                r++;
            }
        }
        free(nwin);
        st = replace_split(pv, sp, nw, err);
    }
    hrkd_dataset_destroy(full);
    return st;
}

hrkd_status hrkd_data_load(const hrkd_data_options *opt, hrkd_dataset **out, hrkd_error *err)
{
    return data_load(opt, 0, out, err);
}

/* few_shot_ratio: keep ⌊n · ratio⌋ (at least 1) rows of each training split: the front, or with
 * few_shot_seed ≥ 0 a seeded sample of each domain's rows (a partial Fisher–Yates of
 * hrkd_rng_u64(seed, d·2³² + i), the kept rows in their split order). A function of (seed, d, n)
 * only, so the long load of add_windows keeps the same texts. */
static hrkd_status few_shot(const hrkd_data_options *opt, hrkd_dataset *ds, hrkd_error *err)
{
    hrkd_dataset_priv *pv = ds->priv;
    for (int d = 0; d < ds->D; d++) {
        hrkd_data_split *sp = &ds->split[d * 3 + HRKD_DATA_TRAIN];
        int64_t keep = (int64_t)((double)sp->n * opt->few_shot_ratio + 1e-9);
        if (keep < 1 && sp->n > 0) keep = 1;
        if (keep >= sp->n) continue;
        if (opt->few_shot_seed < 0) { sp->n = keep; continue; }
        int64_t *perm = malloc((size_t)sp->n * sizeof *perm);
        char *take = calloc((size_t)sp->n, 1);
        hrkd_data_split nw;
        hrkd_status st = perm && take ? hrkd_split_alloc(&nw, keep, sp->T, err)
                                      : hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        if (st != HRKD_STATUS_OK) { free(perm); free(take); return st; }
        for (int64_t i = 0; i < sp->n; i++) perm[i] = i;
        for (int64_t i = 0; i < keep; i++) {
            uint64_t u = hrkd_rng_u64((uint64_t)opt->few_shot_seed, ((uint64_t)d << 32) + (uint64_t)i);
            int64_t j = i + (int64_t)(u % (uint64_t)(sp->n - i)), t = perm[i];
            perm[i] = perm[j], perm[j] = t;
            take[perm[i]] = 1;
        }
        const size_t T = (size_t)sp->T;
        for (int64_t i = 0, r = 0; i < sp->n; i++) {
            if (!take[i]) continue;
            memcpy(nw.ids + r * T, sp->ids + i * T, T * sizeof *nw.ids);
            memcpy(nw.segment + r * T, sp->segment + i * T, T * sizeof *nw.ids);
            memcpy(nw.mask + r * T, sp->mask + i * T, T * sizeof *nw.ids);
            nw.labels[r] = sp->labels[i];
            nw.length[r] = sp->length[i];
            r++;
        }
        free(perm);
        free(take);
        if ((st = replace_split(pv, sp, nw, err)) != HRKD_STATUS_OK) return st;
    }
    return HRKD_STATUS_OK;
}

static hrkd_status data_load(const hrkd_data_options *opt, int quiet, hrkd_dataset **out, hrkd_error *err)
{
    *out = NULL;
    const char *fmt = opt->format && opt->format[0] ? opt->format : "synthetic";
    if (opt->few_shot_ratio <= 0 || opt->few_shot_ratio > 1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "few_shot_ratio: must be in (0, 1], got %g", opt->few_shot_ratio);
    if (opt->max_seq_len < 3 || opt->max_seq_len > 65536)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "max_seq_len: must be in [3, 65536], got %d", opt->max_seq_len);
    if (opt->train_windows < 1 || opt->train_windows > 64)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "train_windows: must be in [1, 64], got %d", opt->train_windows);
    if (opt->train_windows > 1 && (!strcmp(fmt, "synthetic") || !strcmp(fmt, "mnli")))
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "train_windows: needs single texts (format amazon, tsv or "
                              "jsonl), not format %s", fmt);
    hrkd_dataset *ds = calloc(1, sizeof *ds);
    hrkd_dataset_priv *pv = calloc(1, sizeof *pv);
    if (!ds || !pv) { free(ds); free(pv); return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); }
    ds->priv = pv;
    hrkd_status st;
    if (strcmp(fmt, "synthetic") == 0) {
        st = hrkd_synthetic_build(opt, ds, err);
        snprintf(ds->splits, sizeof ds->splits, "generated: %d / %d / %d examples per domain (seed %llu)", opt->syn_train,
                 opt->syn_dev, opt->syn_test, (unsigned long long)opt->seed);
    } else {
        int known = !strcmp(fmt, "amazon") || !strcmp(fmt, "mnli") || !strcmp(fmt, "tsv") || !strcmp(fmt, "jsonl");
        if (!known) {
            hrkd_dataset_destroy(ds);
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "format: expected synthetic, amazon, mnli, tsv or jsonl, got '%s'", fmt);
        }
        int cached = opt->cache_dir && opt->cache_dir[0];
        st = cached ? hrkd_cache_load(opt, ds, err) : HRKD_STATUS_NOT_FOUND;
        if (st == HRKD_STATUS_NOT_FOUND) {
            hrkd_error_clear(err);
            hrkd_raw_data r;
            memset(&r, 0, sizeof r);
            if (!strcmp(fmt, "amazon")) st = hrkd_read_amazon(opt, &r, err);
            else if (!strcmp(fmt, "mnli")) st = hrkd_read_mnli(opt, &r, err);
            else st = hrkd_read_table(opt, !strcmp(fmt, "jsonl"), &r, err);
            if (!st && r.D == 0) st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: no examples found", opt->path);
            if (!st && r.L < 2) {
                char names[256] = "";
                for (int l = 0; l < r.L; l++) snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", l ? ", " : "", r.label_names[l]);
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: %d label%s (%s) in the data; classification needs at "
                                    "least 2", opt->path, r.L, r.L == 1 ? "" : "s", names);
            }
            if (!st) snprintf(ds->splits, sizeof ds->splits, "%s", r.splits);
            if (!st) st = tokenize_raw(opt, &r, ds, err);
            hrkd_raw_data_free(&r);
            if (!st && cached) st = hrkd_cache_save(opt, ds, err);
        }
    }
    if (!st) st = filter_domains(opt, ds, err);
    if (!st) st = few_shot(opt, ds, err);
    if (!st && opt->train_windows > 1) st = add_windows(opt, ds, err);
    if (st) { hrkd_dataset_destroy(ds); return st; }
    if (!quiet) hrkd_log(HRKD_LOG_INFO, "data splits: %s", ds->splits);
    *out = ds;
    return HRKD_STATUS_OK;
}

void hrkd_dataset_destroy(hrkd_dataset *ds)
{
    if (!ds) return;
    hrkd_dataset_priv *pv = ds->priv;
    int mapped = pv && pv->n_maps;
    if (ds->split && !mapped)
        for (int d = 0; d < ds->D * 3; d++) free(ds->split[d].ids);
    if (ds->domain_names)
        for (int d = 0; d < ds->D; d++) free(ds->domain_names[d]);
    if (ds->label_names)
        for (int l = 0; l < ds->num_labels; l++) free(ds->label_names[l]);
    free(ds->domain_names);
    free(ds->label_names);
    free(ds->split);
    if (pv) {
        for (int i = 0; i < pv->n_maps; i++) munmap(pv->map[i], pv->map_len[i]);
        for (int i = 0; i < pv->n_owned; i++) free(pv->owned[i]);
        free(pv->owned);
        free(pv->map);
        free(pv->map_len);
        free(pv);
    }
    free(ds);
}
