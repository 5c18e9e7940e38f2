/* host/text/text_internal.h — what the readers, the synthetic generator, the token cache and
 * the loader share inside host/text/ (not part of any public contract). The calls run one
 * way: dataset.c (the loader) calls the readers (readers.h), synthetic.c and cache.c; all of
 * them fill the containers of examples.c, which calls none of them. */
#ifndef HRKD_TEXT_INTERNAL_H
#define HRKD_TEXT_INTERNAL_H

#include <stdint.h>

#include "text/text.h"

/* ---- deterministic randomness (splitmix64) ---- */
static inline uint64_t hrkd_text_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* uniform in [0, n) (n ≥ 1) */
static inline uint64_t hrkd_text_rng_below(uint64_t *s, uint64_t n)
{
    return hrkd_text_rng_next(s) % n;
}

/* ---- raw examples, as the readers produce them (examples.c) ---- */
typedef struct hrkd_example {
    char   *a, *b; /* b NULL for single texts */
    int32_t label;
} hrkd_example;

typedef struct hrkd_example_list {
    hrkd_example *ex;
    int64_t       n, cap;
} hrkd_example_list;

typedef struct hrkd_raw_domain {
    char             *name;
    hrkd_example_list split[3];
} hrkd_raw_domain;

typedef struct hrkd_raw_data {
    int              D, cap_D;
    hrkd_raw_domain *dom;
    int              L;
    char           **label_names;
    char             splits[256]; /* the split rule the reader applied (text.h) */
} hrkd_raw_data;

hrkd_status hrkd_example_push(hrkd_example_list *l, char *a, char *b, int32_t label, hrkd_error *err);
void hrkd_raw_data_free(hrkd_raw_data *r);
/* index of name in r->dom, adding a new domain when add is set (-1 when absent / no memory) */
int hrkd_raw_domain_index(hrkd_raw_data *r, const char *name, int add);
/* Seeded Fisher–Yates shuffle of l (seed mixed with salt). */
void hrkd_example_shuffle(hrkd_example_list *l, uint64_t seed, uint64_t salt);

/* heap-allocated split arrays: ids/segment/mask [n, T] and labels/length [n] in one block
 * (freed by hrkd_dataset_destroy unless the split lives in a cache mapping) (examples.c) */
hrkd_status hrkd_split_alloc(hrkd_data_split *sp, int64_t n, int64_t T, hrkd_error *err);

/* readers: fill r from opt->path (read_amazon.c, read_mnli.c, read_table.c; readers.h) */
hrkd_status hrkd_read_amazon(const hrkd_data_options *opt, hrkd_raw_data *r, hrkd_error *err);
hrkd_status hrkd_read_mnli(const hrkd_data_options *opt, hrkd_raw_data *r, hrkd_error *err);
hrkd_status hrkd_read_table(const hrkd_data_options *opt, int jsonl, hrkd_raw_data *r, hrkd_error *err);

/* the embedded synthetic dataset, built directly as token ids (synthetic.c) */
hrkd_status hrkd_synthetic_build(const hrkd_data_options *opt, hrkd_dataset *ds, hrkd_error *err);

/* token cache (cache.c): one file per split under opt->cache_dir, named by a hash of the key
 * (format, path, split, vocab path + size + mtime, max_seq_len, seed, lowercase). load fills
 * ds (D, names, all three splits, memory-mapped) or returns HRKD_STATUS_NOT_FOUND when any
 * split file is missing or stale; save writes all three (atomically, via rename). */
hrkd_status hrkd_cache_load(const hrkd_data_options *opt, hrkd_dataset *ds, hrkd_error *err);
hrkd_status hrkd_cache_save(const hrkd_data_options *opt, const hrkd_dataset *ds, hrkd_error *err);

/* private part of hrkd_dataset (ds->priv) */
typedef struct hrkd_dataset_priv {
    int     n_maps;
    void  **map;
    size_t *map_len;
    char    cache_tag[64];
    int     n_owned;      /* heap split blocks of a mapped dataset (train_windows) */
    void  **owned;
} hrkd_dataset_priv;

#endif
