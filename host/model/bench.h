/* host/model/bench.h — the engine benchmark (`hrkd bench`, host/cli/cmd_bench.c): a BERT of a
 * given size timed on random data, one JSON line on stdout. */
#ifndef HRKD_MODEL_BENCH_H
#define HRKD_MODEL_BENCH_H

#include "model/bert.h"

typedef struct hrkd_bench_opts {
    hrkd_bert_config c;          /* the model's sizes (layers, hidden, heads, ffn, vocab) */
    int64_t          T, B;       /* sequence length, batch */
    int              steps, warmup, threads;
    int              train;      /* 1: forward + backward + AdamW, 0: forward only */
    int              gemm_n;     /* the sgemm peak's square size */
    const char      *preset;     /* its name, for the JSON */
    const char      *backend;    /* cpu, cuda */
    int              tf32, bf16; /* the backend's precision options */
} hrkd_bench_opts;

/* The defaults: preset tinybert (4 layers, 312 wide), T 128, B 32, 10 steps after 2, cpu. */
hrkd_bench_opts hrkd_bench_defaults(void);
/* Sizes of a preset (tinybert, bert-base, tiny: tiny also sets T 32, B 8); -1 for another name. */
int hrkd_bench_preset(hrkd_bench_opts *o, const char *name);
/* Runs the benchmark and prints its JSON line; messages "hrkd bench: ..." on stderr. Returns the
 * exit code: 0, 1 (a step failed), 2 (the model cannot be built), 3 (backend or option). */
int hrkd_bench_run(const hrkd_bench_opts *o);

#endif
