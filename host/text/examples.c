/* host/text/examples.c — the containers every source of data fills: raw examples per domain
 * and split (the readers'), their shuffle, and the token arrays of a split (the synthetic
 * generator's, the cache's and the loader's). */
#include <stdlib.h>
#include <string.h>

#include "text/text_internal.h"

const char *hrkd_data_split_name(int s)
{
    static const char *const names[3] = {"train", "dev", "test"};
    return (s >= 0 && s < 3) ? names[s] : "?";
}

hrkd_status hrkd_split_alloc(hrkd_data_split *sp, int64_t n, int64_t T, hrkd_error *err)
{
    size_t cells = (size_t)(n * T * 3 + n * 2);
    int32_t *block = malloc((cells ? cells : 1) * sizeof *block);
    if (!block) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory for %lld examples", (long long)n);
    sp->n = n;
    sp->T = T;
    sp->ids = block;
    sp->segment = block + n * T;
    sp->mask = block + 2 * n * T;
    sp->labels = block + 3 * n * T;
    sp->length = block + 3 * n * T + n;
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_example_push(hrkd_example_list *l, char *a, char *b, int32_t label, hrkd_error *err)
{
    if (l->n == l->cap) {
        int64_t cap = l->cap ? l->cap * 2 : 256;
        hrkd_example *e = realloc(l->ex, (size_t)cap * sizeof *e);
        if (!e) {
            free(a);
            free(b);
            return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        }
        l->ex = e;
        l->cap = cap;
    }
    l->ex[l->n++] = (hrkd_example){a, b, label};
    return HRKD_STATUS_OK;
}

void hrkd_raw_data_free(hrkd_raw_data *r)
{
    for (int d = 0; d < r->D; d++) {
        free(r->dom[d].name);
        for (int s = 0; s < 3; s++) {
            hrkd_example_list *l = &r->dom[d].split[s];
            for (int64_t i = 0; i < l->n; i++) { free(l->ex[i].a); free(l->ex[i].b); }
            free(l->ex);
        }
    }
    free(r->dom);
    for (int l = 0; l < r->L; l++) free(r->label_names[l]);
    free(r->label_names);
    memset(r, 0, sizeof *r);
}

int hrkd_raw_domain_index(hrkd_raw_data *r, const char *name, int add)
{
    for (int d = 0; d < r->D; d++)
        if (strcmp(r->dom[d].name, name) == 0) return d;
    if (!add) return -1;
    if (r->D == r->cap_D) {
        int cap = r->cap_D ? r->cap_D * 2 : 8;
        hrkd_raw_domain *nd = realloc(r->dom, (size_t)cap * sizeof *nd);
        if (!nd) return -1;
        r->dom = nd;
        r->cap_D = cap;
    }
    memset(&r->dom[r->D], 0, sizeof r->dom[r->D]);
    r->dom[r->D].name = strdup(name);
    if (!r->dom[r->D].name) return -1;
    return r->D++;
}

void hrkd_example_shuffle(hrkd_example_list *l, uint64_t seed, uint64_t salt)
{
    uint64_t rng = seed * 0xD1B54A32D192ED03ull ^ salt;
    hrkd_text_rng_next(&rng);
    for (int64_t i = l->n - 1; i > 0; i--) {
        int64_t j = (int64_t)hrkd_text_rng_below(&rng, (uint64_t)i + 1);
        hrkd_example t = l->ex[i];
        l->ex[i] = l->ex[j];
        l->ex[j] = t;
    }
}
