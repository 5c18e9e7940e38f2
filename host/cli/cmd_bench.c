/* host/cli/cmd_bench.c — `hrkd bench [OPTIONS]`: the options read into the benchmark's settings
 * (model/bench.c), which prints one JSON line. */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/bench.h"

/* to stdout when asked for (--help), to stderr after a mistake */
static void usage_to(FILE *out)
{
    fprintf(out,
            "usage: hrkd bench [--preset tinybert|bert-base|tiny] [--mode train|forward]\n"
            "                  [--layers N] [--hidden C] [--heads H] [--ffn F] [--vocab V]\n"
            "                  [--seq T] [--batch B] [--steps N] [--warmup N] [--threads N]\n"
            "                  [--backend cpu|cuda] [--precision fp32|tf32|bf16] [--gemm-size N]\n"
            "Prints one JSON line: config, step_ms_median, examples_per_s, gflops,\n"
            "sgemm_peak_gflops (in the same precision), fraction_of_peak, fp32_peak_gflops and\n"
            "fraction_of_fp32_peak (the float32 peak of the same run), peak_rss_mb.\n"
            "--tf32 and --bf16 are shorthands for --precision tf32 and --precision bf16.\n");
}

int hrkd_cmd_bench(int argc, char **argv)
{
    hrkd_bench_opts o = hrkd_bench_defaults();
    hrkd_bert_config *c = &o.c;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define INTARG(flag, dst) if (!strcmp(a, flag) && v) { dst = atoi(v); i++; continue; }
        INTARG("--layers", c->layers) INTARG("--hidden", c->hidden) INTARG("--heads", c->heads)
        INTARG("--ffn", c->ffn) INTARG("--vocab", c->vocab) INTARG("--steps", o.steps)
        INTARG("--warmup", o.warmup) INTARG("--threads", o.threads) INTARG("--gemm-size", o.gemm_n)
#undef INTARG
        if (!strcmp(a, "--seq") && v) { o.T = atoll(v); i++; continue; }
        if (!strcmp(a, "--batch") && v) { o.B = atoll(v); i++; continue; }
        if (!strcmp(a, "--backend") && v) { o.backend = v; i++; continue; }
        if (!strcmp(a, "--precision") && v) {
            if (!strcmp(v, "fp32")) o.tf32 = o.bf16 = 0;
            else if (!strcmp(v, "tf32")) o.tf32 = 1, o.bf16 = 0;
            else if (!strcmp(v, "bf16")) o.tf32 = 0, o.bf16 = 1;
            else { fprintf(stderr, "hrkd bench: --precision %s: expected fp32, tf32 or bf16\n", v); return 2; }
            i++;
            continue;
        }
        if (!strcmp(a, "--tf32")) { o.tf32 = 1; continue; }
        if (!strcmp(a, "--bf16")) { o.bf16 = 1; continue; }
        if (!strcmp(a, "--mode") && v) {
            if (!strcmp(v, "train")) o.train = 1;
            else if (!strcmp(v, "forward")) o.train = 0;
            else { usage_to(stderr); return 2; }
            i++;
            continue;
        }
        if (!strcmp(a, "--preset") && v) {
            if (hrkd_bench_preset(&o, v) != 0) { fprintf(stderr, "hrkd bench: unknown preset '%s'\n", v); return 2; }
            i++;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage_to(stdout); return 0; }
        fprintf(stderr, "hrkd bench: unknown or incomplete option '%s'\n", a);
        usage_to(stderr);
        return 2;
    }
    if (o.steps < 1 || o.B < 1 || o.T < 1) { fprintf(stderr, "hrkd bench: steps, batch and seq must be >= 1\n"); return 2; }
    return hrkd_bench_run(&o);
}
