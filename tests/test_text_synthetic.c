/* tests/test_text_synthetic.c — the embedded synthetic dataset: shapes, special tokens and
 * padding, balanced labels, determinism from the seed, the domain filter and few-shot. */
#include <string.h>

#include "common/test.h"
#include "text/text.h"

static hrkd_dataset *load(hrkd_data_options o)
{
    hrkd_dataset *ds = NULL;
    hrkd_error err = {0};
    hrkd_status st = hrkd_data_load(&o, &ds, &err);
    CHECKF(st == HRKD_STATUS_OK, "%s", err.msg);
    return ds;
}

static int same_split(const hrkd_data_split *a, const hrkd_data_split *b)
{
    if (a->n != b->n || a->T != b->T) return 0;
    size_t nt = (size_t)(a->n * a->T) * sizeof(int32_t);
    return !memcmp(a->ids, b->ids, nt) && !memcmp(a->mask, b->mask, nt) &&
           !memcmp(a->labels, b->labels, (size_t)a->n * sizeof(int32_t));
}

int main(void)
{
    hrkd_data_options o = hrkd_data_options_default();
    CHECK(strcmp(o.format, "synthetic") == 0);
    o.syn_domains = 3; o.syn_train = 400; o.syn_dev = 60; o.syn_test = 61;
    o.syn_vocab = 300; o.syn_labels = 2; o.max_seq_len = 32; o.seed = 7;
    hrkd_dataset *ds = load(o);
    if (!ds) return test_finish("text_synthetic");
    CHECK(ds->D == 3 && ds->num_labels == 2 && ds->vocab_size == 300);
    CHECK(strcmp(ds->domain_names[0], "domain0") == 0 && strcmp(ds->domain_names[2], "domain2") == 0);
    const int want_n[3] = {400, 60, 61};
    for (int d = 0; d < ds->D; d++) {
        for (int s = 0; s < 3; s++) {
            const hrkd_data_split *sp = &ds->split[d * 3 + s];
            CHECK(sp->n == want_n[s] && sp->T == 32);
            int64_t count[2] = {0, 0};
            int bad = 0;
            for (int64_t i = 0; i < sp->n; i++) {
                const int32_t *ids = sp->ids + i * sp->T, *mask = sp->mask + i * sp->T;
                int len = sp->length[i];
                if (len < 8 || len > 30 || ids[0] != 2 || ids[len - 1] != 3) bad++;
                for (int j = 0; j < sp->T; j++) {
                    if (mask[j] != (j < len)) bad++;
                    if (j >= len && ids[j] != 0) bad++;
                    if (j > 0 && j < len - 1 && (ids[j] < 5 || ids[j] >= 300)) bad++;
                    if (sp->segment[i * sp->T + j] != 0) bad++;
                }
                if (sp->labels[i] < 0 || sp->labels[i] > 1) bad++;
                else count[sp->labels[i]]++;
            }
            CHECKF(bad == 0, "domain %d split %d: %d malformed cells", d, s, bad);
            CHECKF(count[0] - count[1] <= 1 && count[1] - count[0] <= 1, "labels %lld / %lld",
                   (long long)count[0], (long long)count[1]);
        }
    }
    /* the same seed gives the same data; another seed or domain gives other data */
    hrkd_dataset *ds2 = load(o);
    o.seed = 8;
    hrkd_dataset *ds3 = load(o);
    if (ds2 && ds3) {
        for (int k = 0; k < 9; k++) CHECK(same_split(&ds->split[k], &ds2->split[k]));
        CHECK(!same_split(&ds->split[0], &ds3->split[0]));
        CHECK(!same_split(&ds->split[0], &ds->split[3]));
    }
    hrkd_dataset_destroy(ds2);
    hrkd_dataset_destroy(ds3);

    /* domain filter + few-shot: front 25 % of the training split, dev/test untouched */
    o.seed = 7;
    o.domains = "domain2, domain0";
    o.few_shot_ratio = 0.25;
    hrkd_dataset *f = load(o);
    if (f) {
        CHECK(f->D == 2 && strcmp(f->domain_names[0], "domain0") == 0 && strcmp(f->domain_names[1], "domain2") == 0);
        CHECK(f->split[0].n == 100 && f->split[1].n == 60);
        CHECK(!memcmp(f->split[3].ids, ds->split[6].ids, (size_t)(100 * 32) * sizeof(int32_t)));
    }
    hrkd_dataset_destroy(f);

    /* few-shot sample: few_shot_seed N draws each domain's rows (as rows of the full split, in
     * split order); the same N the same rows, another N others; dev and test never change */
    o.domains = "";
    o.few_shot_ratio = 0.1;
    o.few_shot_seed = 3;
    hrkd_dataset *s3 = load(o), *s3b = load(o);
    o.few_shot_seed = 4;
    hrkd_dataset *s4 = load(o);
    if (s3 && s3b && s4) {
        const hrkd_data_split *full = &ds->split[0], *a = &s3->split[0];
        CHECKF(a->n == 40 && s4->split[0].n == 40, "%lld rows", (long long)a->n);
        int64_t j = 0, front = 1; /* each kept row is a row of the full split, in order */
        for (int64_t i = 0; i < a->n; i++) {
            while (j < full->n && memcmp(full->ids + j * full->T, a->ids + i * a->T, (size_t)a->T * sizeof(int32_t))) j++;
            CHECKF(j < full->n && full->labels[j] == a->labels[i], "sampled row %lld is no row of the split", (long long)i);
            front &= j == i;
            j++;
        }
        CHECK(!front); /* not the front */
        CHECK(same_split(&s3->split[0], &s3b->split[0]));
        CHECK(!same_split(&s3->split[0], &s4->split[0]));
        CHECK(!same_split(&s3->split[3], &s4->split[3])); /* domain 1 too */
        for (int k = 1; k < 9; k++)
            if (k % 3) CHECK(same_split(&s3->split[k], &s4->split[k]) && same_split(&s3->split[k], &ds->split[k]));
    }
    hrkd_dataset_destroy(s3);
    hrkd_dataset_destroy(s3b);
    hrkd_dataset_destroy(s4);
    o.few_shot_ratio = 1;
    o.few_shot_seed = -1;

    /* the rule: each example's label is recoverable from its tokens (a linear vote), so
     * a linear bag-of-words scorer fitted on train (perceptron) separates dev well */
    {
        static double wgt[2][300];
        memset(wgt, 0, sizeof wgt);
        const hrkd_data_split *tr = &ds->split[0], *dv = &ds->split[1];
        for (int ep = 0; ep < 20; ep++) {
            for (int64_t i = 0; i < tr->n; i++) {
                double sc[2] = {0, 0};
                for (int j = 1; j < tr->length[i] - 1; j++) for (int l = 0; l < 2; l++) sc[l] += wgt[l][tr->ids[i * tr->T + j]];
                int p = sc[1] > sc[0], y = tr->labels[i];
                if (p != y)
                    for (int j = 1; j < tr->length[i] - 1; j++) { wgt[y][tr->ids[i * tr->T + j]] += 1; wgt[p][tr->ids[i * tr->T + j]] -= 1; }
            }
        }
        int ok = 0;
        for (int64_t i = 0; i < dv->n; i++) {
            double sc[2] = {0, 0};
            for (int j = 1; j < dv->length[i] - 1; j++) for (int l = 0; l < 2; l++) sc[l] += wgt[l][dv->ids[i * dv->T + j]];
            ok += (sc[1] > sc[0]) == dv->labels[i];
        }
        CHECKF(ok >= 0.9 * (double)dv->n, "perceptron dev accuracy %d / %lld", ok, (long long)dv->n);
        printf("perceptron dev accuracy %.3f\n", (double)ok / (double)dv->n);
    }

    /* errors */
    hrkd_error err = {0};
    hrkd_dataset *bad = NULL;
    o = hrkd_data_options_default();
    o.syn_vocab = 10;
    CHECK(hrkd_data_load(&o, &bad, &err) == HRKD_STATUS_INVALID && bad == NULL);
    CHECKF(strstr(err.msg, "synthetic_vocab") != NULL, "%s", err.msg);
    o = hrkd_data_options_default();
    o.domains = "nope";
    hrkd_error_clear(&err);
    CHECK(hrkd_data_load(&o, &bad, &err) == HRKD_STATUS_INVALID);
    CHECKF(strstr(err.msg, "unknown domain 'nope'") != NULL, "%s", err.msg);
    o = hrkd_data_options_default();
    o.syn_labels = 3;
    o.syn_train = 30;
    hrkd_dataset *l3 = load(o);
    if (l3) {
        int c[3] = {0, 0, 0};
        for (int64_t i = 0; i < l3->split[0].n; i++) c[l3->split[0].labels[i]]++;
        CHECK(c[0] == 10 && c[1] == 10 && c[2] == 10);
        CHECK(strcmp(l3->label_names[2], "label2") == 0);
    }
    hrkd_dataset_destroy(l3);
    hrkd_dataset_destroy(ds);
    return test_finish("text_synthetic");
}
