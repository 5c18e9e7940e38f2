/* host/train/case.h — case studies of a trained HRKD student (the paper's section 3.7, Tables
 * 5 and 6): cases of one labelled example per domain, each run through the distillation step's
 * own forward (kd.h) in evaluation mode, no dropout, giving the student's predictions, the
 * domain-relational ratios r[m][d] of every layer and the hierarchical similarity ratios.
 *
 * A case's examples come from a split (sampled per domain with a label pattern), from a file
 * of chosen texts, or from a logged training step (the rows /ratios/examples recorded). The
 * ratios of one case are those of a step whose batch holds exactly these examples. */
#ifndef HRKD_TRAIN_CASE_H
#define HRKD_TRAIN_CASE_H

#include <stdio.h>

#include "text/text.h"
#include "train/kd.h"

typedef struct hrkd_case_set {
    int      n, D, M;   /* cases, domains, student layers */
    int64_t  T;         /* tokens per example */
    int      pad_longest; /* [data] pad_to = longest: each example runs on its first
                           * hrkd_batch_longest columns, as a training batch would */
    int32_t *ids, *types, *mask;  /* [n][D][T] */
    int32_t *labels;    /* [n][D] gold label */
    int64_t *rows;      /* [n][D] row of the split the example came from, −1: from a file */
    char   **text;      /* [n][D] the example's text (a pair: "a [SEP] b"), owned */
    /* filled by hrkd_case_forward */
    int32_t *pred;      /* [n][D] the student's prediction */
    float   *ratios;    /* [n][M+1][D] domain-relational ratios */
    float   *hier;      /* [n][H] hierarchical ratios: layer m's [D][m+1] block at
                         * hrkd_case_hier_offset(D, m) (H = hrkd_case_hier_offset(D, M+1)) */
} hrkd_case_set;

/* Room for n cases of D domains, M student layers and T tokens (everything zero, rows −1). */
HRKD_API hrkd_status hrkd_case_set_alloc(hrkd_case_set *cs, int n, int D, int M, int64_t T,
                                         hrkd_error *err);
HRKD_API void hrkd_case_set_free(hrkd_case_set *cs);
/* Offset of layer m's block in a case's hierarchical ratios: D·m(m+1)/2. */
static inline int64_t hrkd_case_hier_offset(int D, int m) { return (int64_t)D * m * (m + 1) / 2; }

/* Row r of split s as example d of case c (tokens, label, row). */
HRKD_API void hrkd_case_take_row(hrkd_case_set *cs, int c, int d, const hrkd_split_data *s, int64_t r);

/* Sample n cases from split s[d] of every domain: domain d's examples have a label that
 * pattern[d] names (a label name or a unique prefix of one, any case; NULL: any label), n
 * distinct rows per domain in the order of seed. rows[c][d] out; invalid input is refused
 * with the domain, the pattern and the labels there are. */
HRKD_API hrkd_status hrkd_case_sample(const hrkd_train_data *data, int split, const char *const *pattern,
                                      int n, uint64_t seed, int64_t *rows, hrkd_error *err);
/* The label a pattern names (exact name first, then a unique prefix), or −1. */
HRKD_API int hrkd_case_label(const hrkd_train_data *data, const char *pattern);

/* Run every case through kd's step forward in evaluation mode (ctx's training flag off, no
 * teacher cache) and fill pred, ratios and hier. kd must be relational. */
HRKD_API hrkd_status hrkd_case_forward(hrkd_kd *kd, hrkd_ctx *ctx, hrkd_case_set *cs, hrkd_error *err);

/* The text of a tokenized example: its WordPiece tokens joined ("##" pieces glued to the word
 * before), [CLS] and the last [SEP] dropped, a pair's [SEP] kept; without a tokenizer (the
 * synthetic data) the ids as "#12 #7 ...". NULL: out of memory. */
HRKD_API char *hrkd_case_decode(const hrkd_tokenizer *tok, const int32_t *ids, const int32_t *mask, int64_t T);

/* Print the cases in the paper's layout: per case the domain, label, prediction and a text
 * excerpt of width characters, then per domain the domain-relational ratios of layers 0..M and
 * the hierarchical similarity ratios of layers 1..M. */
HRKD_API void hrkd_case_print(FILE *f, const hrkd_case_set *cs, const hrkd_train_data *data, int width);

/* `hrkd case` (host/cli/cmd_case.c parses the arguments; docs/cli.md): */
typedef struct hrkd_case_opts {
    const char *ini, *h5;       /* the run's INI and run file */
    const char *group;          /* checkpoint group of the student ("best") */
    const char *teacher;        /* the teacher file; NULL: as hrkd run names it */
    const char *split;          /* "test", "dev" or "train": --pattern / --rows draw from it */
    const char *pattern;        /* one label per domain, or one for all; NULL: any */
    const char *examples;       /* a TSV of texts, or NULL */
    const char *steps;          /* logged steps whose rows to take, or NULL */
    const char *rows;           /* one row per domain of split, or NULL */
    const char *out;            /* the case file to write, or NULL */
    uint64_t    seed;           /* of the sampling */
    int         cases, width, force;
} hrkd_case_opts;
/* Rebuild the run's student, choose the cases, run, print and write them. Returns the exit
 * code (messages "hrkd case: ..." on stderr). */
HRKD_API int hrkd_case_run(const hrkd_case_opts *o);

#endif
