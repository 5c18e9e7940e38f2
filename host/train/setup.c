/* host/train/setup.c — configuration → backend, communicator, data, run files and loop settings
 * (see setup.h; models and plugins: setup_models.c, the distillation: setup_distill.c). */
#include "train/setup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrkd/hrkd.h"
#include "model/precision.h"

/* ---- configuration, backend, communicator, data ---- */

int hrkd_setup_config(hrkd_setup *s, const char *ini)
{
    hrkd_config_errors ce = {0};
    s->ini = ini;
    s->cfg = hrkd_config_load(ini, &ce);
    if (!s->cfg) {
        for (int i = 0; i < ce.n; i++) fprintf(stderr, "%s\n", ce.msg[i]);
        hrkd_config_errors_free(&ce);
        return -1;
    }
#define FIND_SECTION(sec) s->section.sec = hrkd_config_get_section(s->cfg, #sec);
    HRKD_SETUP_SECTIONS(FIND_SECTION)
#undef FIND_SECTION
    return 0;
}

/* [backend] blas_core. OpenBLAS reads OPENBLAS_CORETYPE once, when the CPU backend's dlopen
 * loads it, so the variable is set before hrkd_backend_load and the backend's description
 * (which names the kernel set OpenBLAS runs) is checked after it. OpenBLAS does not check that
 * a forced kernel set's instructions exist, so this refuses x86 sets the CPU lacks first. */
static const char *blas_core_unsupported(const char *core)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static const struct { const char *core; int level; } need[] = {
        {"sandybridge", 1}, {"haswell", 2}, {"zen", 2}, {"skylakex", 3}, {"cooperlake", 4},
    };
    int level = 0;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!strcasecmp(core, need[i].core)) level = need[i].level;
    __builtin_cpu_init();
    if (level >= 1 && !__builtin_cpu_supports("avx")) return "AVX";
    if (level >= 2 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return "AVX2 and FMA";
    if (level >= 3 && !(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")))
        return "AVX-512 (F, BW, DQ, VL)";
    if (level >= 4 && !__builtin_cpu_supports("avx512bf16")) return "AVX-512 BF16";
#else
    (void)core;
#endif
    return NULL;
}

/* Is word (any case) a whole word of text? */
static int has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; *p; p++)
        if ((p == text || p[-1] == ' ') && !strncasecmp(p, word, n) && (p[n] == ' ' || p[n] == ',' || !p[n]))
            return 1;
    return 0;
}

int hrkd_setup_backend(hrkd_setup *s, hrkd_error *err)
{
    const char *ini = s->ini, *core = backend_blas_core(s);
    s->threads = (int)backend_threads(s);
    if (*core) {
        const char *lacks = blas_core_unsupported(core);
        if (lacks) {
            hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "%s: [backend] blas_core = %s: this CPU lacks %s",
                           ini, core, lacks);
            return 2;
        }
        setenv("OPENBLAS_CORETYPE", core, 1);
    }
    if (hrkd_backend_load(backend_device(s), s->threads, &s->be, err) != HRKD_STATUS_OK) return 3;
    const hrkd_kernels *k = hrkd_backend_kernels(s->be);
    if (*core && !has_word(k->description ? k->description : "", core)) {
        hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED,
                       "%s: [backend] blas_core = %s: OpenBLAS did not take it (%s); it takes the "
                       "names of its DYNAMIC_ARCH build, and only when the CPU backend is the first "
                       "to load it", ini, core, k->description ? k->description : "no description");
        return 2;
    }
    /* each model's own precision key, then the [backend] shorthands: refused here, before
     * anything loads, when the backend cannot honour them; the shorthands' precision stays set
     * until the first forward sets its model's */
    const struct { const char *name; const hrkd_config_section *sec; } models[2] = {
        {"teacher", s->section.teacher}, {"student", s->section.student}};
    for (int i = 0; i < 2; i++) {
        int p = hrkd_precision_parse(model_precision(models[i].sec));
        if (p == HRKD_PRECISION_BACKEND) continue;
        if (hrkd_precision_apply(k, p, err) != 0) {
            hrkd_error_prefix(err, "%s: [%s] precision = %s: ", ini, models[i].name, hrkd_precision_name(p));
            return 3;
        }
    }
    const int shorthand = hrkd_precision_resolve(HRKD_PRECISION_BACKEND, backend_tf32(s), backend_bf16(s));
    if (hrkd_precision_apply(k, shorthand, err) != 0) {
        hrkd_error_prefix(err, "%s: [backend] %s: ", ini,
                          shorthand == HRKD_PRECISION_BF16 ? key_backend_bf16 : key_backend_tf32);
        return 3;
    }
    return 0;
}

hrkd_status hrkd_setup_comm(hrkd_setup *s, hrkd_error *err)
{
    hrkd_status st = hrkd_comm_open(run_comm(s), run_comm_timeout(s), &s->comm, err);
    if (st != HRKD_STATUS_OK) {
        hrkd_error_prefix(err, "%s: [run] comm: ", s->ini);
        return st;
    }
    if (hrkd_comm_rank(s->comm) != 0 && !freopen("/dev/null", "w", stdout))
        return hrkd_error_set(err, HRKD_STATUS_IO, "cannot silence stdout of rank %d", hrkd_comm_rank(s->comm));
    if (hrkd_comm_size(s->comm) > 1 && hrkd_comm_rank(s->comm) == 0)
        fprintf(stderr, "hrkd run: rank 0 of %d ranks (%s); distillation is data-parallel\n",
                hrkd_comm_size(s->comm), hrkd_comm_name(s->comm));
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_setup_data(hrkd_setup *s, hrkd_error *err) { return hrkd_setup_data_seed(s, (uint64_t)run_seed(s), err); }

int hrkd_setup_data_per_seed(const hrkd_setup *s) { return data_few_shot_ratio(s) < 1 && data_few_shot_seed(s) < 0; }

hrkd_status hrkd_setup_vocab(const hrkd_setup *s, char *out, size_t cap, hrkd_error *err)
{
    const char *fmt = hrkd_cfg_str(s->section.data, "format");
    snprintf(out, cap, "%s", strcmp(fmt, "synthetic") ? data_vocab(s) : "");
    if (!out[0] && strcmp(fmt, "synthetic") != 0 && !hrkd_data_checkpoint_vocab(s->cfg, out, cap))
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: [data] vocab is empty and neither [teacher] nor [student] "
                              "checkpoint is a folder holding vocab.txt; set [data] vocab",
                              hrkd_config_path(s->cfg));
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_setup_data_seed(hrkd_setup *s, uint64_t seed, hrkd_error *err)
{
    hrkd_data_options o;
    hrkd_data_options_from_config(s->section.data, &o);
    if (o.few_shot_seed < 0) o.few_shot_seed = (int64_t)seed;
    hrkd_dataset_destroy(s->ds); /* a reload (another seed's sample) */
    s->ds = NULL;
    char vocab[PATH_MAX];
    hrkd_status st = hrkd_setup_vocab(s, vocab, sizeof vocab, err);
    if (st != HRKD_STATUS_OK) return st;
    if (vocab[0]) o.vocab = vocab;
    st = hrkd_data_load(&o, &s->ds, err);
    if (st != HRKD_STATUS_OK) return st;
    if (s->ds->D > HRKD_MAX_DOMAINS)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: [data] %d domains, at most %d supported",
                              hrkd_config_path(s->cfg), s->ds->D, HRKD_MAX_DOMAINS);
    memset(&s->data, 0, sizeof s->data);
    s->data.D = s->ds->D;
    s->data.num_labels = s->ds->num_labels;
    s->data.label_names = (const char *const *)s->ds->label_names;
    for (int d = 0; d < s->ds->D; d++) {
        s->data.domains[d] = s->ds->domain_names[d];
        for (int k = 0; k < HRKD_SPLIT_COUNT; k++) {
            const hrkd_data_split *x = &s->ds->split[d * 3 + k];
            s->data.split[d][k] = (hrkd_split_data){.n = x->n, .T = x->T, .ids = x->ids,
                                                    .types = x->segment, .mask = x->mask,
                                                    .labels = x->labels,
                                                    .pad_longest = !strcmp(data_pad_to(s), "longest")};
        }
        if (s->data.split[d][HRKD_SPLIT_TRAIN].n == 0)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "[data] domain '%s' has no training examples",
                                  s->data.domains[d]);
    }
    return HRKD_STATUS_OK;
}

void hrkd_setup_free(hrkd_setup *s)
{
    free(s->ini_text);
    hrkd_dataset_destroy(s->ds);
    if (s->be) hrkd_backend_unload(s->be);
    hrkd_registry_destroy(s->reg);
    hrkd_config_free(s->cfg);
    memset(s, 0, sizeof *s);
}

/* ---- run files and loop settings ---- */

void hrkd_setup_output_path(const hrkd_setup *s, const char *suffix, char *out, size_t cap)
{
    const char *file = output_file(s);
    char base[PATH_MAX];
    if (file && *file) snprintf(base, sizeof base, "%s", file);
    else snprintf(base, sizeof base, "%s/%s.h5", output_dir(s), run_name(s));
    size_t n = strlen(base);
    if (n > 3 && !strcmp(base + n - 3, ".h5")) base[n - 3] = 0;
    snprintf(out, cap, "%s%s.h5", base, suffix);
}

hrkd_loop_opts hrkd_setup_loop_opts(const hrkd_setup *s, uint64_t seed, const char *who,
                                    int64_t epochs, double lr)
{
    hrkd_loop_opts o = {0};
    o.label = who;
    o.epochs = epochs;
    o.max_steps = run_max_steps(s);
    o.val_every = run_val_every(s);
    o.log_every = run_log_every(s);
    o.checkpoint_every = output_checkpoint_every(s);
    o.batch_size = data_batch_size(s);
    o.length_buckets = data_length_buckets(s);
    o.eval_batch_size = data_eval_batch_size(s);
    o.optim = hrkd_adamw_defaults();
    o.optim.lr = (float)lr;
    o.optim.weight_decay = (float)optimizer_weight_decay(s);
    o.optim.beta1 = (float)optimizer_beta1(s);
    o.optim.beta2 = (float)optimizer_beta2(s);
    o.optim.eps = (float)optimizer_eps(s);
    o.optim.max_grad_norm = (float)optimizer_max_grad_norm(s);
    o.warmup_ratio = optimizer_warmup_ratio(s);
    o.seed = seed;
    o.resume = s->resume;
    o.progress_tty = isatty(2);
    o.first = 0;
    o.last = s->data.D - 1;
    o.evaluate = 1;
    if (hrkd_comm_rank(s->comm) != 0) o.log_every = 0; /* rank 0 reports */
    return o;
}

hrkd_status hrkd_setup_open_run(const hrkd_setup *s, const char *path, const hrkd_run_meta *meta,
                                hrkd_run **run, int *resumed, hrkd_error *err)
{
    return hrkd_loop_open_run(path, meta, s->resume, s->extend, run, resumed, err);
}

hrkd_run_meta hrkd_setup_run_meta(const hrkd_setup *s, uint64_t seed, int student_layers,
                                  int teacher_layers, const int *layer_map, int n_terms,
                                  const char *const *terms)
{
    return (hrkd_run_meta){.ini_text = s->ini_text, .data_splits = s->ds->splits, .backend = backend_device(s),
                           .backend_detail = hrkd_backend_kernels(s->be)->description,
                           .threads = s->threads, .seed = seed, .n_domains = s->data.D,
                           .domains = s->data.domains, .student_layers = student_layers,
                           .teacher_layers = teacher_layers, .layer_map = layer_map,
                           .n_loss_terms = n_terms, .loss_terms = terms,
                           .n_labels = s->ds->num_labels,
                           .label_names = (const char *const *)s->ds->label_names};
}
