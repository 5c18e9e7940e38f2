/* tests/fuzz/fuzz_datasets.c — libFuzzer target: the dataset readers (Amazon pseudo-XML, MNLI
 * TSV, generic TSV, JSONL) on arbitrary file contents. The first byte picks the reader; the
 * rest is written to the file that reader opens. Every call must either load a dataset or
 * fail with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/text.h"

static char dir[64];

static void put(const char *rel, const uint8_t *p, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "wb");
    if (!f) __builtin_trap();
    if (n) fwrite(p, 1, n, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/hrkd_fuzz_data_%ld", (long)getpid());
    mkdir(dir, 0777);
    char p[256];
    static const char *const doms[4] = {"books", "dvd", "electronics", "kitchen_&_housewares"};
    for (int d = 0; d < 4; d++) {
        snprintf(p, sizeof p, "%s/%s", dir, doms[d]);
        mkdir(p, 0777);
        snprintf(p, sizeof p, "%s/positive.review", doms[d]);
        static const char rv[] = "<review_text>\nfine a\n</review_text>\n";
        put(p, (const uint8_t *)rv, sizeof rv - 1);
        snprintf(p, sizeof p, "%s/negative.review", doms[d]);
        put(p, (const uint8_t *)rv, sizeof rv - 1);
    }
    static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n##a\nfine\n&\n";
    put("vocab.txt", (const uint8_t *)vocab, sizeof vocab - 1);
    static const char mnli[] = "genre\tsentence1\tsentence2\tgold_label\nslate\ta\ta\tneutral\n";
    put("train.tsv", (const uint8_t *)mnli, sizeof mnli - 1);
    put("dev_matched.tsv", (const uint8_t *)mnli, sizeof mnli - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) setup();
    if (size < 1) return 0;
    int which = data[0] % 4;
    hrkd_data_options o = hrkd_data_options_default();
    o.vocab = NULL;
    char vocab[128], path[128];
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", dir);
    o.vocab = vocab;
    o.max_seq_len = 8;
    o.seed = data[0];
    const char *file;
    switch (which) {
    case 0: o.format = "amazon"; file = "dvd/negative.review"; snprintf(path, sizeof path, "%s", dir); break;
    case 1: o.format = "mnli"; o.dev_as_test = 1; file = "dev_matched.tsv"; snprintf(path, sizeof path, "%s", dir); break;
    case 2: o.format = "tsv"; file = "one.tsv"; snprintf(path, sizeof path, "%s/one.tsv", dir); break;
    default: o.format = "jsonl"; file = "one.jsonl"; snprintf(path, sizeof path, "%s/one.jsonl", dir); break;
    }
    o.path = path;
    put(file, data + 1, size - 1);
    hrkd_dataset *ds = NULL;
    hrkd_error err = {0};
    if (hrkd_data_load(&o, &ds, &err) == HRKD_STATUS_OK) {
        for (int d = 0; d < ds->D; d++)
            for (int s = 0; s < 3; s++)
                for (int64_t i = 0; i < ds->split[d * 3 + s].n; i++)
                    if (ds->split[d * 3 + s].labels[i] < 0 || ds->split[d * 3 + s].labels[i] >= ds->num_labels) __builtin_trap();
        hrkd_dataset_destroy(ds);
    } else if (!err.msg[0]) {
        __builtin_trap();
    }
    return 0;
}
