/* tests/test_text_readers.c — the dataset readers on small generated files: an Amazon
 * sorted_data_acl tree (1000 + 1000 tiny reviews per domain → exactly the paper's split
 * counts, reproducible per seed), MNLI, generic TSV / JSONL, the token cache, the
 * `hrkd data stats` command, [data] train_windows, and the message of every malformed-input case. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/test.h"
#include "text/text.h"
#include "text/text_internal.h"

static char root[256];

static void put_file(const char *rel, const char *fmt, ...)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "wb");
    if (!f) { fprintf(stderr, "cannot write %s\n", p); exit(1); }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

static void mk(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    mkdir(p, 0777);
}

static const char *at(const char *rel)
{
    static char p[256][512]; /* a ring: options keep pointers for a while */
    static int k;
    k = (k + 1) % 256;
    snprintf(p[k], sizeof p[k], "%s/%s", root, rel);
    return p[k];
}

static const char *const DIRS[4] = {"books", "dvd", "electronics", "kitchen_&_housewares"};

static void write_reviews(const char *rel, int n, int pos)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "wb");
    for (int i = 0; i < n; i++) {
        fprintf(f, "<review>\n<title>\nt\n</title>\n<review_text>\n%s item %d\n", pos ? "good" : "bad", i);
        if (i % 100 == 0) fprintf(f, "R&amp;D &quot;x&quot;\n");
        fprintf(f, "</review_text>\n</review>\n");
    }
    fclose(f);
}

static hrkd_status load(hrkd_data_options *o, hrkd_dataset **ds, hrkd_error *err)
{
    hrkd_error_clear(err);
    *ds = NULL;
    return hrkd_data_load(o, ds, err);
}

static int64_t count_id(const hrkd_data_split *sp, int32_t id)
{
    int64_t c = 0;
    for (int64_t i = 0; i < sp->n * sp->T; i++) c += sp->ids[i] == id;
    return c;
}

/* vocab ids: 0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] 4 [MASK] 5 good 6 bad 7 item 8 & 9 " 10 r 11 d
 * 12..21 digits 0-9, 22..31 ##0-##9, 32 the 33 a 34 b */
static void write_vocab(const char *rel, int extra)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "wb");
    fprintf(f, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ngood\nbad\nitem\n&\n\"\nr\nd\n");
    for (int i = 0; i < 10; i++) fprintf(f, "%d\n", i);
    for (int i = 0; i < 10; i++) fprintf(f, "##%d\n", i);
    fprintf(f, "the\na\nb\n");
    if (extra) fprintf(f, "extra\n");
    fclose(f);
}

static void amazon(void)
{
    mk("acl");
    for (int d = 0; d < 4; d++) {
        char p[128];
        snprintf(p, sizeof p, "acl/%s", DIRS[d]);
        mk(p);
        snprintf(p, sizeof p, "acl/%s/positive.review", DIRS[d]);
        write_reviews(p, 1000, 1);
        snprintf(p, sizeof p, "acl/%s/negative.review", DIRS[d]);
        write_reviews(p, 1000, 0);
    }
    write_vocab("vocab.txt", 0);
    hrkd_data_options o = hrkd_data_options_default();
    o.format = "amazon";
    o.path = at("acl");
    o.vocab = at("vocab.txt");
    o.max_seq_len = 16;
    o.seed = 3;
    hrkd_error err = {0};
    hrkd_dataset *ds, *ds2, *ds3;
    CHECKF(load(&o, &ds, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (!ds) return;
    static const int want[4][3] = {{1631, 170, 199}, {1621, 194, 185}, {1615, 172, 213}, {1613, 184, 203}};
    static const char *const names[4] = {"books", "dvd", "electronics", "kitchen"};
    CHECK(ds->D == 4 && ds->num_labels == 2 && strcmp(ds->label_names[1], "positive") == 0);
    for (int d = 0; d < 4 && d < ds->D; d++) {
        CHECK(strcmp(ds->domain_names[d], names[d]) == 0);
        int64_t pos = 0, amp = 0, total = 0;
        for (int s = 0; s < 3; s++) {
            const hrkd_data_split *sp = &ds->split[d * 3 + s];
            CHECKF(sp->n == want[d][s], "%s %s: %lld", names[d], hrkd_data_split_name(s), (long long)sp->n);
            for (int64_t i = 0; i < sp->n; i++) {
                pos += sp->labels[i];
                /* the label agrees with the text: good ↔ 1 */
                if (sp->ids[i * sp->T + 1] != (sp->labels[i] ? 5 : 6)) total = -1000000;
            }
            amp += count_id(sp, 8);
            total += sp->n;
        }
        CHECK(pos == 1000 && total == 2000);
        CHECK(amp == 20); /* &amp; decoded in the 20 reviews that have it */
        CHECK(count_id(&ds->split[d * 3], 9) + count_id(&ds->split[d * 3 + 1], 9) + count_id(&ds->split[d * 3 + 2], 9) == 40);
    }
    /* same seed → same split; another seed → another */
    CHECK(load(&o, &ds2, &err) == HRKD_STATUS_OK);
    o.seed = 4;
    CHECK(load(&o, &ds3, &err) == HRKD_STATUS_OK);
    if (ds2 && ds3) {
        size_t nb = (size_t)(ds->split[0].n * ds->split[0].T) * 4;
        CHECK(!memcmp(ds->split[0].ids, ds2->split[0].ids, nb));
        CHECK(memcmp(ds->split[0].ids, ds3->split[0].ids, nb) != 0);
    }
    hrkd_dataset_destroy(ds2);
    hrkd_dataset_destroy(ds3);

    /* few-shot and the domain filter */
    o.seed = 3;
    o.few_shot_ratio = 0.1;
    o.domains = "dvd";
    CHECK(load(&o, &ds2, &err) == HRKD_STATUS_OK);
    if (ds2) {
        CHECK(ds2->D == 1 && ds2->split[0].n == 162 && ds2->split[1].n == 194);
        CHECK(!memcmp(ds2->split[0].ids, ds->split[3].ids, (size_t)(162 * 16) * 4));
    }
    hrkd_dataset_destroy(ds2);
    o.few_shot_ratio = 1;
    o.domains = "";

    /* token cache: built on the first load, mapped on the second, rebuilt when the vocab changes */
    o.cache_dir = at("cache");
    CHECK(load(&o, &ds2, &err) == HRKD_STATUS_OK);
    hrkd_dataset_destroy(ds2);
    CHECK(load(&o, &ds2, &err) == HRKD_STATUS_OK);
    if (ds2) {
        CHECK(((hrkd_dataset_priv *)ds2->priv)->n_maps == 3);
        CHECK(ds2->D == 4 && strcmp(ds2->domain_names[3], "kitchen") == 0 && ds2->vocab_size == 35);
        for (int k = 0; k < 12; k++) {
            CHECK(ds2->split[k].n == ds->split[k].n);
            CHECK(!memcmp(ds2->split[k].ids, ds->split[k].ids, (size_t)(ds->split[k].n * 16) * 4));
            CHECK(!memcmp(ds2->split[k].length, ds->split[k].length, (size_t)ds->split[k].n * 4));
        }
    }
    hrkd_dataset_destroy(ds2);
    o.domains = "books,kitchen"; /* filtering a mapped dataset */
    CHECK(load(&o, &ds2, &err) == HRKD_STATUS_OK);
    if (ds2) CHECK(ds2->D == 2 && ds2->split[3].n == 1613);
    hrkd_dataset_destroy(ds2);
    o.domains = "";
    write_vocab("vocab.txt", 1);
    CHECK(load(&o, &ds2, &err) == HRKD_STATUS_OK);
    if (ds2) CHECK(((hrkd_dataset_priv *)ds2->priv)->n_maps == 0 && ds2->vocab_size == 36);
    hrkd_dataset_destroy(ds2);
    /* a damaged cache file is rebuilt, not trusted */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "for f in '%s'/*-train.tok; do head -c 100 \"$f\" > \"$f.x\" && mv \"$f.x\" \"$f\"; done", at("cache"));
    CHECK(system(cmd) == 0);
    CHECK(load(&o, &ds2, &err) == HRKD_STATUS_OK);
    if (ds2) CHECK(((hrkd_dataset_priv *)ds2->priv)->n_maps == 0 && ds2->split[0].n == 1631);
    hrkd_dataset_destroy(ds2);
    o.cache_dir = "";
    hrkd_dataset_destroy(ds);

    /* `hrkd data stats` on an INI with relative paths */
    put_file("stats.ini", "[run]\nname = x\n[data]\nformat = amazon\npath = acl\nvocab = vocab.txt\nmax_seq_len = 8\n");
    CHECK(hrkd_data_stats(at("stats.ini")) == 0);
    put_file("stats2.ini", "[data]\nformat = synthetic\nsynthetic_train = 50\nmax_seq_len = x12\n");
    CHECK(hrkd_data_stats(at("stats2.ini")) == 2); /* invalid config: exit 2 (docs/cli.md) */

    /* malformed Amazon files */
    put_file("acl/dvd/negative.review", "<review>\n<review_text>\nok\n</review_text>\n<review_text>\ncut off here\n");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    char want_msg[600];
    snprintf(want_msg, sizeof want_msg, "%s/dvd/negative.review:6: <review_text> opened at line 5 is never closed (truncated review block)", at("acl"));
    CHECKF(strcmp(err.msg, want_msg) == 0, "%s", err.msg);
    put_file("acl/dvd/negative.review", "<review_text>\nbad \xff byte\n</review_text>\n");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want_msg, sizeof want_msg, "%s/dvd/negative.review:2: review text is not valid UTF-8", at("acl"));
    CHECKF(strcmp(err.msg, want_msg) == 0, "%s", err.msg);
    unlink(at("acl/dvd/negative.review"));
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_IO);
    CHECKF(strstr(err.msg, "dvd/negative.review: cannot open") != NULL, "%s", err.msg);
}

static const char *MNLI_HEAD = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
                               "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n";

static void mnli(void)
{
    static const char *const genres[5] = {"fiction", "government", "slate", "telephone", "travel"};
    static const char *const labels[3] = {"contradiction", "entailment", "neutral"};
    mk("mnli");
    char p[512];
    snprintf(p, sizeof p, "%s/mnli/train.tsv", root);
    FILE *f = fopen(p, "wb");
    fputs(MNLI_HEAD, f);
    for (int i = 0; i < 100; i++)
        fprintf(f, "%d\t1\t1\t%s\t(x)\t(y)\t(x)\t(y)\tthe item %d\ta b\t%s\t%s\n", i, genres[i % 5], i, labels[i % 3], labels[i % 3]);
    fclose(f);
    snprintf(p, sizeof p, "%s/mnli/dev_matched.tsv", root);
    f = fopen(p, "wb");
    fputs(MNLI_HEAD, f);
    for (int i = 0; i < 15; i++)
        fprintf(f, "%d\t1\t1\t%s\t(x)\t(y)\t(x)\t(y)\ta\tgood \"b\t%s\t%s\n", i, genres[i % 5], labels[i % 3], labels[i % 3]);
    fclose(f);
    hrkd_data_options o = hrkd_data_options_default();
    o.format = "mnli";
    o.path = at("mnli");
    o.vocab = at("vocab.txt");
    o.max_seq_len = 12;
    hrkd_error err = {0};
    hrkd_dataset *ds;
    /* no test file: dev_matched.tsv is the test split only when dev_as_test says so */
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    CHECKF(strstr(err.msg, "MNLI has no test file; set [data] dev_as_test = true") != NULL, "%s", err.msg);
    o.dev_as_test = 1;
    CHECKF(load(&o, &ds, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (ds) {
        CHECK(ds->D == 5 && ds->num_labels == 3 && strcmp(ds->label_names[1], "entailment") == 0);
        CHECK(strcmp(ds->domain_names[0], "fiction") == 0 && strcmp(ds->domain_names[4], "travel") == 0);
        for (int d = 0; d < ds->D; d++) CHECK(ds->split[d * 3].n == 18 && ds->split[d * 3 + 1].n == 2 && ds->split[d * 3 + 2].n == 3);
        /* fiction rows are i = 0, 5, 10, …: train keeps the first 18 in file order (the papers'
         * split), the last 2 are dev */
        const hrkd_data_split *tr = &ds->split[0];
        CHECK(tr->labels[0] == 0 && tr->labels[1] == 2 && tr->labels[2] == 1);
        /* pair encoding: [CLS] the item 0 [SEP] a b [SEP], segment 1 on "a b [SEP]" */
        const int32_t ids[8] = {2, 32, 7, 12, 3, 33, 34, 3}, seg[8] = {0, 0, 0, 0, 0, 1, 1, 1};
        CHECK(!memcmp(tr->ids, ids, sizeof ids) && !memcmp(tr->segment, seg, sizeof seg) && tr->mask[8] == 0);
        CHECK(tr->length[0] == 8);
        CHECKF(strstr(ds->splits, "in file order") != NULL, "%s", ds->splits);
    }
    hrkd_dataset_destroy(ds);
    put_file("mnli/dev_matched.tsv", "%s1\t1\t1\tslate\t(x)\t(y)\t(x)\t(y)\ta\tb\tmaybe\tmaybe\n", MNLI_HEAD);
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    char want[600];
    snprintf(want, sizeof want, "%s:2: unknown label 'maybe' (expected contradiction, entailment or neutral)", at("mnli/dev_matched.tsv"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    put_file("mnli/dev_matched.tsv", "index\tgenre\tsentence1\tsentence2\n");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:1: missing column 'gold_label' in the header", at("mnli/dev_matched.tsv"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    put_file("mnli/dev_matched.tsv", "%s1\t1\t1\t\t(x)\t(y)\t(x)\t(y)\ta\tb\tneutral\tneutral\n", MNLI_HEAD);
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:2: empty domain (genre)", at("mnli/dev_matched.tsv"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    put_file("mnli/dev_matched.tsv", "%s1\t1\tslate\n", MNLI_HEAD);
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:2: expected 12 tab-separated columns, got 3", at("mnli/dev_matched.tsv"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
}

static void tables(void)
{
    mk("tsv");
    put_file("tsv/train.tsv", "label\ttext\tdomain\n");
    char p[512];
    snprintf(p, sizeof p, "%s/tsv/train.tsv", root);
    FILE *f = fopen(p, "ab");
    for (int i = 0; i < 30; i++) fprintf(f, "%s\tgood item %d\t%s\n", i % 2 ? "yes" : "no", i, i % 3 ? "b_dom" : "a_dom");
    fclose(f);
    put_file("tsv/test.tsv", "label\ttext\tdomain\nno \tthe\ta_dom\n"); /* labels are trimmed */
    hrkd_data_options o = hrkd_data_options_default();
    o.format = "tsv";
    o.path = at("tsv");
    o.vocab = at("vocab.txt");
    o.max_seq_len = 8;
    hrkd_error err = {0};
    hrkd_dataset *ds;
    CHECKF(load(&o, &ds, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (ds) {
        CHECK(ds->D == 2 && strcmp(ds->domain_names[0], "a_dom") == 0);
        CHECK(ds->num_labels == 2 && !strcmp(ds->label_names[0], "no") && !strcmp(ds->label_names[1], "yes"));
        /* no dev.tsv: a seeded tenth of each domain's train is dev */
        CHECK(ds->split[0].n == 9 && ds->split[1].n == 1 && ds->split[2].n == 1 && ds->split[3].n == 18 && ds->split[4].n == 2);
        CHECK(ds->split[2].labels[0] == 0);
        CHECKF(!strcmp(ds->splits, "train.tsv, test.tsv; dev = a seeded 10 % of train (seed 42)"), "%s", ds->splits);
    }
    hrkd_dataset_destroy(ds);
    char want[600];
    put_file("tsv/test.tsv", "label\ttext\tdomain\nmaybe\tthe\ta_dom\n");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:2: label 'maybe' does not occur in the training data (which has: no, yes)", at("tsv/test.tsv"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    put_file("tsv/test.tsv", "label\ttext\tdomain\nno\tthe\t\n");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:2: empty domain", at("tsv/test.tsv"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    put_file("tsv/test.tsv", "label\tsentence\n");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:1: missing column 'text' in the header (another name: [data] columns, docs/data.md)",
             at("tsv/test.tsv"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);

    /* JSONL, one file: a seeded 80/10/10 split per domain */
    snprintf(p, sizeof p, "%s/data.jsonl", root);
    f = fopen(p, "wb");
    for (int i = 0; i < 40; i++)
        fprintf(f, "{\"text\": \"good \\u0026 item %d\", \"label\": %d, \"domain\": \"d%d\", \"meta\": {\"x\": [1, 2, null]}}\n", i, i % 2, i % 2);
    fclose(f);
    o.format = "jsonl";
    o.path = at("data.jsonl");
    CHECKF(load(&o, &ds, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (ds) {
        CHECK(ds->D == 2 && ds->num_labels == 2 && !strcmp(ds->label_names[1], "1"));
        CHECK(ds->split[0].n == 16 && ds->split[1].n == 2 && ds->split[2].n == 2);
        CHECK(count_id(&ds->split[0], 8) == 16); /* \u0026 is '&' */
        for (int64_t i = 0; i < ds->split[3].n; i++) CHECK(ds->split[3].labels[i] == 1);
    }
    hrkd_dataset_destroy(ds);
    put_file("bad.jsonl", "{\"text\": \"ok\", \"label\": \"a\"}\n{\"text\": \"bad \xc3\x28\", \"label\": \"a\"}\n");
    o.path = at("bad.jsonl");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:2: text is not valid UTF-8", at("bad.jsonl"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    put_file("bad.jsonl", "{\"text\": \"ok\", \"label\": \"a\"}\n\n{\"text\": \"ok\" \"label\": \"a\"}\n");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:3: expected ',' or '}' (at byte 15)", at("bad.jsonl"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    put_file("bad.jsonl", "{\"text\": \"ok\"}\n");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:1: missing key 'label'", at("bad.jsonl"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    char wide[400] = "text\tlabel";
    for (int i = 0; i < 70; i++) strcat(wide, "\tc");
    put_file("wide.tsv", "%s\n", wide);
    o.format = "tsv";
    o.path = at("wide.tsv");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:1: more than 64 tab-separated columns", at("wide.tsv"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    put_file("empty.tsv", "text\tlabel\n");
    o.format = "tsv";
    o.path = at("empty.tsv");
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s: no examples found", at("empty.tsv"));
    CHECKF(strcmp(err.msg, want) == 0, "%s", err.msg);
    o.format = "csv";
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    CHECKF(strcmp(err.msg, "format: expected synthetic, amazon, mnli, tsv or jsonl, got 'csv'") == 0, "%s", err.msg);
}

/* [data] train_windows: texts of known lengths in digit words (token of word k: 12 + k % 10),
 * max_seq_len 8 (S = 6 tokens a window), K = 3 */
static void windows(void)
{
    static const int words[8] = {3, 6, 7, 9, 12, 13, 20, 30};
    mk("win");
    char p[512];
    snprintf(p, sizeof p, "%s/win/train.tsv", root);
    FILE *f = fopen(p, "wb");
    fprintf(f, "label\ttext\n");
    for (int i = 0; i < 8; i++) {
        fprintf(f, "%s\t", i % 2 ? "yes" : "no");
        for (int k = 0; k < words[i]; k++) fprintf(f, "%s%d", k ? " " : "", k % 10);
        fprintf(f, "\n");
    }
    fclose(f);
    put_file("win/test.tsv", "label\ttext\nno\t0 1 2 3 4 5 6 7 8 9 0 1 2\n");
    put_file("win/dev.tsv", "label\ttext\nyes\t0 1\n"); /* train stays in file order */
    hrkd_data_options o = hrkd_data_options_default();
    o.format = "tsv";
    o.path = at("win");
    o.vocab = at("vocab.txt");
    o.max_seq_len = 8;
    hrkd_error err = {0};
    hrkd_dataset *one = NULL, *ds = NULL;
    CHECKF(load(&o, &one, &err) == HRKD_STATUS_OK, "%s", err.msg);
    o.train_windows = 3;
    for (int pass = 0; pass < 3; pass++) { /* no cache, cache built, cache mapped */
        if (pass == 1) o.cache_dir = at("wincache");
        CHECKF(load(&o, &ds, &err) == HRKD_STATUS_OK, "%s", err.msg);
        if (!ds || !one) break;
        if (pass == 2) CHECK(((hrkd_dataset_priv *)ds->priv)->n_maps == 3);
        const hrkd_data_split *sp = &ds->split[0], *s1 = &one->split[0];
        /* window 1 of the 9, 12, 13, 20, 30-word texts, window 2 of the 20 and 30-word ones */
        static const int src[7] = {3, 4, 5, 6, 7, 6, 7}, win[7] = {1, 1, 1, 1, 1, 2, 2};
        CHECKF(sp->n == 15 && sp->T == 8, "%lld rows", (long long)sp->n);
        CHECK(ds->split[1].n == one->split[1].n && ds->split[2].n == 1 && ds->split[2].length[0] == 15);
        if (sp->n != 15) break;
        CHECK(!memcmp(sp->ids, s1->ids, 8 * 8 * 4) && !memcmp(sp->mask, s1->mask, 8 * 8 * 4));
        CHECK(!memcmp(sp->length, s1->length, 8 * 4) && !memcmp(sp->labels, s1->labels, 8 * 4));
        for (int r = 0; r < 7; r++) {
            const int32_t *ids = sp->ids + (8 + r) * 8, *mask = sp->mask + (8 + r) * 8;
            int capped = words[src[r]] < 18 ? words[src[r]] : 18; /* K·S tokens at most */
            int left = capped - 6 * win[r], cnt = left < 6 ? left : 6;
            int ok = ids[0] == 2 && ids[cnt + 1] == 3 && sp->labels[8 + r] == s1->labels[src[r]] &&
                     sp->length[8 + r] == left + 2;
            for (int j = 0; j < cnt; j++) ok &= ids[1 + j] == 12 + (6 * win[r] + j) % 10;
            for (int j = 0; j < 8; j++) ok &= mask[j] == (j < cnt + 2) && (j < cnt + 2 || ids[j] == 0);
            for (int j = 0; j < 8; j++) ok &= sp->segment[(8 + r) * 8 + j] == 0;
            CHECKF(ok, "pass %d: window row %d (text %d, window %d)", pass, 8 + r, src[r], win[r]);
        }
        hrkd_dataset_destroy(ds);
        ds = NULL;
    }
    hrkd_dataset_destroy(ds);
    /* few-shot picks the texts first: the front 4 texts (3, 6, 7, 9 words) + window 1 of the 9 */
    o.cache_dir = "";
    o.few_shot_ratio = 0.5;
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_OK);
    if (ds) CHECKF(ds->split[0].n == 5 && ds->split[0].ids[4 * 8 + 1] == 12 + 6, "%lld", (long long)ds->split[0].n);
    hrkd_dataset_destroy(ds);
    o.few_shot_ratio = 1;
    /* refusals */
    o.format = "synthetic";
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    CHECKF(!strcmp(err.msg, "train_windows: needs single texts (format amazon, tsv or jsonl), not format synthetic"), "%s", err.msg);
    o.format = "tsv";
    o.train_windows = 65;
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    CHECKF(!strcmp(err.msg, "train_windows: must be in [1, 64], got 65"), "%s", err.msg);
    o.train_windows = 64;
    o.max_seq_len = 2000;
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    CHECKF(!strcmp(err.msg, "train_windows: 64 windows of max_seq_len 2000 do not fit (a window needs at least 4 "
                            "tokens, and windows · (max_seq_len − 2) + 2 at most 65536)"), "%s", err.msg);
    hrkd_dataset_destroy(one);
}

/* [data] columns, default_domain and labels: a pair dataset with its own column names (as GLUE
 * writes them), a JSONL file without a domain key, a fixed label order and a refused label */
static void mapped_tables(void)
{
    mk("pairs");
    char p[512];
    snprintf(p, sizeof p, "%s/pairs/train.tsv", root);
    FILE *f = fopen(p, "wb");
    static const char *const lab[3] = {"neutral", "entailment", "contradiction"};
    fprintf(f, "genre\tsentence1\tsentence2\tgold_label\n");
    for (int i = 0; i < 40; i++) fprintf(f, "g%d\tthe item %d\ta b\t%s\n", i % 5, i, lab[i % 3]);
    fclose(f);
    put_file("pairs/test.tsv", "genre\tsentence1\tsentence2\tgold_label\ng0\tthe\ta\tneutral\n");
    hrkd_data_options o = hrkd_data_options_default();
    o.format = "tsv";
    o.path = at("pairs");
    o.vocab = at("vocab.txt");
    o.max_seq_len = 12;
    o.columns = "text:sentence1, text_b: sentence2 ,label:gold_label, domain:genre";
    hrkd_error err = {0};
    hrkd_dataset *ds;
    CHECKF(load(&o, &ds, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (ds) {
        CHECK(ds->D == 5 && !strcmp(ds->domain_names[0], "g0") && !strcmp(ds->domain_names[4], "g4"));
        /* sorted label names by default */
        CHECK(ds->num_labels == 3 && !strcmp(ds->label_names[0], "contradiction") &&
              !strcmp(ds->label_names[2], "neutral"));
        CHECK(ds->split[2].n == 1 && ds->split[2].labels[0] == 2);
        int pair = 0; /* text_b (sentence2) is the second segment */
        for (int64_t t = 0; t < ds->split[0].T; t++) pair |= ds->split[0].segment[t] == 1;
        CHECK(pair);
    }
    hrkd_dataset_destroy(ds);
    o.labels = "neutral, entailment, contradiction"; /* the order given */
    CHECKF(load(&o, &ds, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (ds) {
        CHECK(ds->num_labels == 3 && !strcmp(ds->label_names[0], "neutral") &&
              !strcmp(ds->label_names[2], "contradiction"));
        CHECK(ds->split[2].labels[0] == 0);
    }
    hrkd_dataset_destroy(ds);
    o.labels = "neutral, entailment"; /* contradiction is refused where it first occurs */
    err = (hrkd_error){0};
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    char want[600];
    snprintf(want, sizeof want, "%s:4: label 'contradiction' is not one of [data] labels (neutral, entailment)",
             at("pairs/train.tsv"));
    CHECKF(!strcmp(err.msg, want), "%s", err.msg);
    o.labels = "";
    o.columns = "text:sentence1, txt:sentence2";
    err = (hrkd_error){0};
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    CHECKF(strstr(err.msg, "[data] columns: unknown field 'txt'") != NULL, "%s", err.msg);
    o.columns = "text:sentence1, label:gold";
    err = (hrkd_error){0};
    CHECK(load(&o, &ds, &err) == HRKD_STATUS_INVALID);
    snprintf(want, sizeof want, "%s:1: missing column 'gold' in the header ([data] columns)", at("pairs/train.tsv"));
    CHECKF(!strcmp(err.msg, want), "%s", err.msg);
    /* JSONL without a domain key: default_domain names its domain */
    mk("js");
    put_file("js/train.jsonl", "{\"s\": \"good\", \"y\": \"pos\"}\n{\"s\": \"bad\", \"y\": \"neg\"}\n"
                               "{\"s\": \"fine\", \"y\": \"pos\"}\n{\"s\": \"poor\", \"y\": \"neg\"}\n");
    put_file("js/test.jsonl", "{\"s\": \"good\", \"y\": \"pos\"}\n");
    o = hrkd_data_options_default();
    o.format = "jsonl";
    o.path = at("js");
    o.vocab = at("vocab.txt");
    o.max_seq_len = 8;
    o.columns = "text:s, label:y";
    o.default_domain = "reviews";
    err = (hrkd_error){0};
    CHECKF(load(&o, &ds, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (ds) CHECK(ds->D == 1 && !strcmp(ds->domain_names[0], "reviews") && ds->num_labels == 2);
    hrkd_dataset_destroy(ds);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/hrkd_test_text_XXXXXX");
    if (!mkdtemp(root)) test_skip("cannot create a temporary folder");
    amazon();
    mnli();
    tables();
    mapped_tables();
    windows();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return test_finish("text_readers");
}
