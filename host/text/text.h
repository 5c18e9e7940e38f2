/* host/text/text.h — the text pipeline: BERT WordPiece tokenizer, dataset readers (Amazon
 * sorted_data_acl, GLUE MNLI, generic TSV / JSONL), the paper's splits, a memory-mapped token
 * cache, and the embedded synthetic multi-domain dataset. */
#ifndef HRKD_TEXT_TEXT_H
#define HRKD_TEXT_TEXT_H

#include <stdint.h>

#include "hrkd/status.h"

/* ---- tokenizer ---- */
typedef struct hrkd_tokenizer hrkd_tokenizer;

hrkd_tokenizer *hrkd_tokenizer_create(const char *vocab_path, int do_lower_case, hrkd_error *err);
void hrkd_tokenizer_destroy(hrkd_tokenizer *t);
int hrkd_tokenizer_vocab_size(const hrkd_tokenizer *t);
/* Encode "[CLS] a [SEP]" or, with b, "[CLS] a [SEP] b [SEP]" truncated longest-first to
 * max_len and padded: ids / segment / mask each [max_len]. Returns the untruncated length
 * (with special tokens). Never fails on any bytes (invalid UTF-8 is replaced).
 * Longest-first is Hugging Face tokenizers' arithmetic: with budget B = max_len − 3, the
 * shorter side (a on a tie) keeps min(len, B / 2) tokens and the other side the rest. */
int hrkd_tokenizer_encode(const hrkd_tokenizer *t, const char *a, const char *b, int max_len,
                          int32_t *ids, int32_t *segment, int32_t *mask);
/* WordPiece ids of text without specials (at most cap; returns the total count). */
int hrkd_tokenizer_tokenize(const hrkd_tokenizer *t, const char *text, int32_t *out, int cap);
/* The same from memory: tokens[i] has id i (a repeated token keeps its last id). The vocab
 * MUST contain [PAD] [UNK] [CLS] [SEP]. */
hrkd_tokenizer *hrkd_tokenizer_create_from_tokens(const char *const *tokens, int n, int do_lower_case,
                                                  hrkd_error *err);
/* The string of id (NULL when out of range). */
const char *hrkd_tokenizer_token(const hrkd_tokenizer *t, int32_t id);

/* ---- datasets ---- */
enum { HRKD_DATA_TRAIN = 0, HRKD_DATA_DEV = 1, HRKD_DATA_TEST = 2 };

typedef struct hrkd_data_options {
    const char *format;      /* synthetic | amazon | mnli | tsv | jsonl */
    const char *path;        /* data folder or file (not for synthetic) */
    const char *vocab;       /* vocab.txt (not for synthetic) */
    int         max_seq_len; /* 128 */
    uint64_t    seed;        /* splits and synthetic generation */
    double      few_shot_ratio; /* (0, 1]: that fraction of each training split is kept */
    int64_t     few_shot_seed;  /* which rows: −1 the front of the split; N ≥ 0 a sample drawn
                                 * per domain with seed N (dev and test never change) */
    const char *domains;     /* comma list to keep, NULL / "" = all */
    const char *cache_dir;   /* token cache folder, NULL / "" = none */
    int         lowercase;
    int         train_windows; /* 1: each training text once, cut at max_seq_len; K > 1: also
                                * its next K − 1 windows of max_seq_len − 2 tokens (see
                                * hrkd_data_load) */
    int64_t     max_line_bytes; /* longest line a reader accepts (16 MiB) */
    int         dev_as_test;   /* a folder without a test file: its dev file is the test split
                                * and dev is carved from train (see hrkd_data_load) */
    /* tsv / jsonl: "text:sentence1, label:gold_label, ..." maps hrkd's fields to the file's
     * column names (others keep their own); the domain of rows without a domain column; the
     * label order, any other label refused ("" each: the defaults) */
    const char *columns, *default_domain, *labels;
    /* synthetic: D domains, examples per domain and split, vocab size, labels
     * (defaults 3, 2000 / 200 / 200, 1000, 2) */
    int         syn_domains, syn_train, syn_dev, syn_test, syn_vocab, syn_labels;
} hrkd_data_options;

typedef struct hrkd_data_split {
    int64_t  n, T;
    int32_t *ids, *segment, *mask; /* [n, T] */
    int32_t *labels;               /* [n] */
    int32_t *length;               /* [n] untruncated token counts */
} hrkd_data_split;

typedef struct hrkd_dataset {
    int              D;
    char           **domain_names;
    int              num_labels;
    char           **label_names;
    int              vocab_size;
    hrkd_data_split *split; /* [D * 3]: split[d * 3 + s] */
    char             splits[256]; /* the split rule, as the start-up line states it */
    void            *priv;  /* owned storage (heap blocks, token-cache mappings) */
} hrkd_dataset;

hrkd_data_options hrkd_data_options_default(void);
/* Fill options from a validated [data] section (host/config; strings point into it). */
struct hrkd_config_section;
void hrkd_data_options_from_config(const struct hrkd_config_section *data, hrkd_data_options *o);
/* [data] vocab left empty: the vocab.txt of the [teacher] or [student] checkpoint folder (a
 * Hugging Face model folder), as the key's documentation promises. 1 and out filled, or 0. */
struct hrkd_config;
int hrkd_data_checkpoint_vocab(const struct hrkd_config *cfg, char *out, size_t cap);
/* Splits, one rule for every reader (ds->splits states it; hrkd_data_load logs it):
 *   - a data folder with train, dev and test files: those files;
 *   - no dev file: a seeded 10 % of each domain's train becomes dev;
 *   - no test file: refused, unless opt->dev_as_test takes the dev file as the test split
 *     (dev is then the seeded 10 % of train: the paper's protocol for MNLI, whose
 *     dev_matched.tsv is its dev file and which has no test file);
 *   - one file (tsv, jsonl): a seeded 80 / 10 / 10 split per domain; amazon: per domain a
 *     seeded shuffle, then the paper's counts.
 * Every dev or test label must occur in training, and the data must have at least two labels.
 * With opt->train_windows = K > 1 each domain's training split holds, after its usual rows
 * (window 0: the text's first max_seq_len − 2 tokens, unchanged), window 1 of every text that
 * has one, then window 2, ... up to K − 1: "[CLS] tokens w·S … w·S + S − 1 [SEP]" with
 * S = max_seq_len − 2, the text's label, and length = the tokens left from w·S plus 2. A
 * window w ≥ 1 is kept when it holds at least S / 2 tokens. Pair examples (text_b) keep window
 * 0 only; dev and test are never windowed; few_shot_ratio picks the texts first. Refused for
 * the synthetic and mnli formats. */
hrkd_status hrkd_data_load(const hrkd_data_options *opt, hrkd_dataset **out, hrkd_error *err);
void hrkd_dataset_destroy(hrkd_dataset *ds);
/* Split names "train" "dev" "test" (s = HRKD_DATA_*). */
const char *hrkd_data_split_name(int s);

/* `hrkd data stats FILE.ini` (host/cli/cmd_data.c): per domain and split of the INI's [data],
 * the example count, label balance, mean / 95th-percentile token length and truncation rate on
 * stdout, problems on stderr. Returns the exit code (2: the INI or its data is invalid). */
int hrkd_data_stats(const char *ini);

#endif
