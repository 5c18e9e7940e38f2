/* host/config/schema.c — every key of every host section: type, default, range, doc; the
 * rules that tie keys together (hidden divisible by heads, data.path unless synthetic, ...);
 * the derived defaults ([run] name from the file name, [output] file from dir and name); and
 * the INI reference in Markdown (`hrkd check --doc` writes docs/ini.md from this table).
 *
 * Defaults follow the HRKD reference setup (BERT-base teacher, TinyBERT-4L-312 student,
 * AdamW 5e-5 with linear warmup 10 %). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config_internal.h"
#include "config/columns.h"

#define UNB       (-INFINITY), (INFINITY)   /* any number */
#define GE(x)     (x), (INFINITY)           /* x or more */
#define RANGE(a, b) (a), (b)

/* Longest [run] name and [output] file: the run files get suffixes ("_seed4294967295_teacher.h5")
 * and must still fit NAME_MAX (255) and PATH_MAX (4096). */
#define CFG_MAX_RUN_NAME 200
#define CFG_MAX_RUN_PATH 4000
#define NONUM     1, 0                      /* min > max: not a number */

/* Every key: name, type, default (NULL: required), min, max, choices, doc, flags, plugin kind. */
static const cfg_key run_keys[] = {
    {"name", HRKD_CFG_STRING, "", NONUM, NULL,
     "Run name: names the results file and log lines (at most 200 bytes). Empty: the INI "
     "file's name without .ini.", 0, 0},
    {"mode", HRKD_CFG_ENUM, "distill", NONUM, "distill|teacher|eval",
     "distill: train the student from the teacher (training the teacher first when [teacher] "
     "checkpoint is empty); teacher: train teachers only; eval: evaluate [student] checkpoint.", 0, 0},
    {"base", HRKD_CFG_PATH, "", NONUM, NULL,
     "An INI file read before this one; every key this file sets overrides the base's "
     "(ablations are a few lines on top of a base). Relative to this file.", 0, 0},
    {"seed", HRKD_CFG_INT, "42", RANGE(0, 4294967295.0), NULL,
     "Seed of initialisation, dropout and batch order.", 0, 0},
    {"seeds", HRKD_CFG_LIST, "", RANGE(0, 4294967295.0), NULL,
     "Optional comma-separated seeds: the run is repeated once per seed (overrides seed).",
     CFG_LIST_INT, 0},
    {"epochs", HRKD_CFG_INT, "3", GE(0), NULL,
     "Passes over the largest domain's training split.", 0, 0},
    {"max_steps", HRKD_CFG_INT, "0", GE(0), NULL,
     "Stop after this many optimizer steps; 0: run the full epochs.", 0, 0},
    {"val_every", HRKD_CFG_INT, "50", GE(1), NULL,
     "Evaluate on every domain's dev split every N steps (and at the end).", 0, 0},
    {"log_every", HRKD_CFG_INT, "10", GE(1), NULL, "Progress line every N steps.", 0, 0},
    {"plugin_path", HRKD_CFG_PATH, "", NONUM, NULL,
     "Extra ':'-separated plugin folders, searched after the built-in folder and "
     "$HRKD_PLUGIN_PATH. Relative to this file.", CFG_PATH_LIST, 0},
    {"comm", HRKD_CFG_ENUM, "auto", NONUM, "auto|none|mpi|nccl",
     "Data-parallel distillation across processes (docs/scale-out.md): auto joins the MPI job "
     "when started by mpirun (OMPI_COMM_WORLD_SIZE or PMI_SIZE set), else runs alone; mpi: "
     "lib/hrkd/comm/hrkd_comm_mpi.so; nccl: GPU all-reduce with NCCL, set up through MPI; "
     "none: one process even under mpirun. The rest of the file does not depend on the number "
     "of ranks.", 0, 0},
    {"comm_timeout", HRKD_CFG_FLOAT, "300", GE(0), NULL,
     "Seconds a rank waits in one collective (all-reduce, broadcast) before it stops with a "
     "message that another rank died or stalled; 0: wait forever.", 0, 0},
};

static const cfg_key data_keys[] = {
    {"format", HRKD_CFG_ENUM, "synthetic", NONUM, "synthetic|amazon|mnli|tsv|jsonl",
     "Dataset reader. synthetic: built-in generated multi-domain data (no files needed).", 0, 0},
    {"path", HRKD_CFG_PATH, "", NONUM, NULL,
     "Dataset folder or file; required unless format = synthetic. Relative to the INI file.", 0, 0},
    {"vocab", HRKD_CFG_PATH, "", NONUM, NULL,
     "WordPiece vocab.txt; empty: the student / teacher checkpoint's, or the synthetic one.", 0, 0},
    {"max_seq_len", HRKD_CFG_INT, "128", RANGE(2, 65536), NULL,
     "Tokens per example including [CLS] and [SEP]; longer inputs are truncated.", 0, 0},
    {"seed", HRKD_CFG_INT, "42", RANGE(0, 4294967295.0), NULL,
     "Seed of the train/dev/test split and the few-shot sampling.", 0, 0},
    {"few_shot_ratio", HRKD_CFG_FLOAT, "1.0", RANGE(0, 1), NULL,
     "Fraction of each domain's training data kept (few-shot experiments).", CFG_MIN_EXCLUSIVE, 0},
    {"domains", HRKD_CFG_LIST, "", NONUM, NULL,
     "Comma-separated domains to use, in this order; empty: every domain of the dataset.", 0, 0},
    {"cache_dir", HRKD_CFG_PATH, "", NONUM, NULL,
     "Folder for the tokenized cache; empty: no cache.", 0, 0},
    {"lowercase", HRKD_CFG_BOOL, "true", NONUM, NULL, "Lower-case text before WordPiece (uncased models).", 0, 0},
    {"train_windows", HRKD_CFG_INT, "1", RANGE(1, 64), NULL,
     "Windows of each training text: 1 cuts it at max_seq_len (the paper); K > 1 adds its next "
     "K - 1 windows of max_seq_len - 2 tokens (each with at least half that many) as extra "
     "training examples with the text's label, after the usual ones: more text for the student "
     "to match the teacher on (data augmentation, not in the paper). Dev and test are never "
     "windowed. Needs single texts: refused for format synthetic and mnli.", 0, 0},
    {"max_line_bytes", HRKD_CFG_INT, "16777216", RANGE(1024, 4294967296.0), NULL,
     "Longest line a reader accepts, in bytes (16 MiB); a longer one stops the load with "
     "FILE:LINE instead of filling memory.", 0, 0},
    {"columns", HRKD_CFG_LIST, "", NONUM, NULL,
     "format tsv / jsonl: the file's names for hrkd's fields, as FIELD:NAME pairs "
     "(text, text_b, label, domain), e.g. text:sentence1, text_b:sentence2, label:gold_label, "
     "domain:genre; a field not named keeps its own name. docs/data.md.", 0, 0},
    {"default_domain", HRKD_CFG_STRING, "", NONUM, NULL,
     "format tsv / jsonl: the domain of rows that have no domain column or key; empty: 'all'. "
     "(Not the domains filter above.)", 0, 0},
    {"labels", HRKD_CFG_LIST, "", NONUM, NULL,
     "format tsv / jsonl: the labels in their order (label ids 0, 1, ...), e.g. neg, pos; any "
     "other label in the data is refused. Empty: the sorted set of training labels.", 0, 0},
    {"dev_as_test", HRKD_CFG_BOOL, "false", NONUM, NULL,
     "A data folder without a test file (MNLI has train.tsv and dev_matched.tsv): take its dev "
     "file as the test split and 10 % of train as dev (a seeded draw; for MNLI the last tenth of "
     "each genre's rows in file order, the papers' protocol). Without it such a folder is "
     "refused. A folder without a dev file always takes dev from train (a seeded 10 %); one "
     "file is split 80 / 10 / 10. docs/data.md.", 0, 0},
    {"batch_size", HRKD_CFG_INT, "8", RANGE(1, 65536), NULL, "Training batch size per domain.", 0, 0},
    {"eval_batch_size", HRKD_CFG_INT, "32", RANGE(1, 65536), NULL, "Evaluation batch size.", 0, 0},
    {"synthetic_domains", HRKD_CFG_INT, "4", RANGE(1, 32), NULL,
     "format = synthetic: number of domains (at most 32, the limit of every dataset).", 0, 0},
    {"synthetic_train", HRKD_CFG_INT, "256", RANGE(1, 10000000), NULL,
     "format = synthetic: training examples per domain.", 0, 0},
    {"synthetic_dev", HRKD_CFG_INT, "64", RANGE(1, 10000000), NULL,
     "format = synthetic: dev examples per domain.", 0, 0},
    {"synthetic_test", HRKD_CFG_INT, "64", RANGE(1, 10000000), NULL,
     "format = synthetic: test examples per domain.", 0, 0},
    {"synthetic_vocab", HRKD_CFG_INT, "200", RANGE(16, 1000000), NULL,
     "format = synthetic: vocabulary size (special tokens included).", 0, 0},
    {"synthetic_labels", HRKD_CFG_INT, "2", RANGE(2, 1000), NULL, "format = synthetic: classes.", 0, 0},
};

/* The encoder keys shared by [teacher] and [student] (defaults differ, see below). */
#define ENCODER_KEYS(LAYERS, HIDDEN, HEADS, FFN)                                                  \
    {"layers", HRKD_CFG_INT, LAYERS, RANGE(1, 48), NULL, "Transformer layers.", 0, 0},          \
    {"hidden", HRKD_CFG_INT, HIDDEN, RANGE(1, 65536), NULL,                                       \
     "Hidden width; a multiple of heads.", 0, 0},                                                \
    {"heads", HRKD_CFG_INT, HEADS, RANGE(1, 1024), NULL, "Attention heads.", 0, 0},             \
    {"ffn", HRKD_CFG_INT, FFN, RANGE(1, 262144), NULL, "Feed-forward inner width.", 0, 0},      \
    {"max_positions", HRKD_CFG_INT, "512", RANGE(2, 65536), NULL,                                 \
     "Position embeddings; at least [data] max_seq_len.", 0, 0},                                 \
    {"gelu", HRKD_CFG_ENUM, "erf", NONUM, "erf|tanh",                                             \
     "GELU form: erf (Hugging Face BERT) or the tanh approximation (the HRKD reference code).", 0, 0}, \
    {"layer_norm_eps", HRKD_CFG_FLOAT, "1e-12", RANGE(0, 1), NULL, "Layer-norm epsilon.",        \
     CFG_MIN_EXCLUSIVE, 0},                                                                       \
    {"dropout", HRKD_CFG_FLOAT, "0.1", RANGE(0, 0.99), NULL, "Hidden dropout while training.", 0, 0}, \
    {"attention_dropout", HRKD_CFG_FLOAT, "0.1", RANGE(0, 0.99), NULL,                            \
     "Dropout on attention probabilities while training.", 0, 0}

static const cfg_key teacher_keys[] = {
    {"strategy", HRKD_CFG_STRING, "mtl", NONUM, NULL,
     "Teacher plugin: single (one teacher per domain), mix (one teacher, pooled data), mtl "
     "(HRKD-teacher: shared encoder, a head per domain), meta_teacher (Meta-KD).",
     CFG_PLUGIN, HRKD_KIND_TEACHER},
    {"checkpoint", HRKD_CFG_PATH, "", NONUM, NULL,
     "A teacher run file (.h5) or Hugging Face folder (holding config.json) to start from, "
     "checked before anything trains; empty in distill mode: train the teacher first.", 0, 0},
    {"epochs", HRKD_CFG_INT, "0", GE(0), NULL, "Teacher training epochs; 0: [run] epochs.", 0, 0},
    {"lr", HRKD_CFG_FLOAT, "0", GE(0), NULL, "Teacher learning rate; 0: [optimizer] lr.", 0, 0},
    {"head_activation", HRKD_CFG_ENUM, "none", NONUM, "none|relu",
     "What the classification heads read: the pooler output (none), or its ReLU (relu: the "
     "released Meta-KD meta-teacher).", 0, 0},
    ENCODER_KEYS("12", "768", "12", "3072"),
};

static const cfg_key student_keys[] = {
    {"init", HRKD_CFG_ENUM, "random", NONUM, "pretrained|teacher_layers|random",
     "pretrained: load checkpoint (e.g. general TinyBERT); teacher_layers: copy the teacher's "
     "layers picked by the layer map (needs equal widths); random: initialise from seed.", 0, 0},
    {"checkpoint", HRKD_CFG_PATH, "", NONUM, NULL,
     "Weights for init = pretrained (Hugging Face folder or run file); for mode = eval the "
     "student run file to evaluate.", 0, 0},
    {"fit_init", HRKD_CFG_ENUM, "random", NONUM, "random|identity",
     "Start of the fit projections (student width → teacher width, one per layer 0..M): "
     "random (the reference code, whose per-layer fit_denses never match a checkpoint) or "
     "identity (needs equal widths: each student layer is then compared with its teacher layer "
     "directly from the first step). A pretrained checkpoint's own fit_denses take precedence.",
     0, 0},
    ENCODER_KEYS("4", "312", "12", "1200"),
};

static const cfg_key distill_keys[] = {
    {"loss", HRKD_CFG_STRING, "tinybert", NONUM, NULL,
     "Loss plugin: per-layer terms and the prediction term (tinybert: TinyBERT-KD).",
     CFG_PLUGIN, HRKD_KIND_LOSS},
    {"gamma", HRKD_CFG_FLOAT, "1.0", GE(0), NULL,
     "γ of Eq. 17: weight of the prediction term (divided by the number of domains).", 0, 0},
    {"temperature", HRKD_CFG_FLOAT, "1.0", GE(0), NULL,
     "Softmax temperature of the soft cross-entropy.", CFG_MIN_EXCLUSIVE, 0},
    {"hidden_ratio", HRKD_CFG_FLOAT, "1.0", GE(0), NULL,
     "Weight of the embedding / attention / hidden terms (reference code's hidden_ratio).", 0, 0},
    {"pred_ratio", HRKD_CFG_FLOAT, "1.0", GE(0), NULL,
     "Weight of the prediction term (reference code's pred_ratio).", 0, 0},
    {"layer_map", HRKD_CFG_STRING, "uniform", NONUM, NULL,
     "Teacher layer of every student layer 0..M: uniform (m ↔ m·N/M) or M+1 comma-separated "
     "teacher layer numbers, e.g. 0,3,6,9,12.", 0, 0},
    {"relational", HRKD_CFG_BOOL, "true", NONUM, NULL,
     "true: HRKD (relational ratios weight the terms); false: plain multi-domain TinyBERT-KD.", 0, 0},
    {"teacher_cache", HRKD_CFG_BOOL, "false", NONUM, NULL,
     "Run the (frozen, dropout-free) teacher once over the training data before the first step "
     "and read its outputs from that cache at every step: each later epoch costs the student "
     "only. Size: examples × ((M+1)·T·F + M·H·T·T + C) × 4 bytes (printed at the start).", 0, 0},
    {"teacher_cache_dir", HRKD_CFG_PATH, "", NONUM, NULL,
     "Folder for the teacher cache's backing file (unlinked at once, so nothing is left "
     "behind); empty: anonymous memory.", 0, 0},
    {"method", HRKD_CFG_ENUM, "kd", NONUM, "kd|metakd",
     "kd: one-stage distillation (HRKD or TinyBERT-KD); metakd: Meta-KD's two-stage "
     "meta-distillation ([metakd] keys; loss = meta_distill, relational = false, a teacher "
     "trained with strategy = meta_teacher).", 0, 0},
};

static const cfg_key metakd_keys[] = {
    {"target", HRKD_CFG_STRING, "each", NONUM, NULL,
     "Meta-distillation students: each (one student per target domain, trained on that domain "
     "only, as in the paper), all (one student, all domains at once with per-domain heads, "
     "HRKD's trainer shape) or one domain name.", 0, 0},
    {"stage1_epochs", HRKD_CFG_INT, "10", GE(0), NULL,
     "Stage 1 (intermediate layers + domain representation) epochs; released code: 10.", 0, 0},
    {"stage1_lr", HRKD_CFG_FLOAT, "5e-5", GE(0), NULL,
     "Stage 1 learning rate, constant (no warmup, no decay); released code: 5e-5.",
     CFG_MIN_EXCLUSIVE, 0},
    {"stage2_epochs", HRKD_CFG_INT, "3", GE(0), NULL,
     "Stage 2 (soft cross-entropy on logits) epochs; released code: 3.", 0, 0},
    {"stage2_lr", HRKD_CFG_FLOAT, "3e-5", GE(0), NULL,
     "Stage 2 peak learning rate ([optimizer] warmup_ratio, linear decay); released code: 3e-5.",
     CFG_MIN_EXCLUSIVE, 0},
    {"encoder", HRKD_CFG_PATH, "", NONUM, NULL,
     "Hugging Face folder of the frozen encoder that gives the transferability weights t_i; "
     "empty: the teacher as initialised, before training (the pretrained [teacher] checkpoint "
     "folder when there is one).", 0, 0},
    {"transferability_cache", HRKD_CFG_PATH, "", NONUM, NULL,
     "An HDF5 file holding t_i for reuse by later runs on the same data and encoder (written "
     "when missing or stale); empty: none (t_i still go into the run file).", 0, 0},
};

static const cfg_key relational_keys[] = {
    {"reference", HRKD_CFG_STRING, "self_attention", NONUM, NULL,
     "Reference-prototype plugin (Eq. 13-14); identity is the − Self-attention ablation.",
     CFG_PLUGIN, HRKD_KIND_RELATIONAL_REFERENCE},
    {"aggregate", HRKD_CFG_STRING, "compare_aggregate", NONUM, NULL,
     "Hierarchical aggregation plugin (Eq. 15-16); mean is − Comp-Agg, current is "
     "− Hierarchical Rel.", CFG_PLUGIN, HRKD_KIND_RELATIONAL_AGGREGATE},
    {"graph", HRKD_CFG_STRING, "gat", NONUM, NULL,
     "Domain-relational graph plugin (Eq. 7-12); uniform is − Domain Rel.",
     CFG_PLUGIN, HRKD_KIND_RELATIONAL_GRAPH},
    {"trainable", HRKD_CFG_BOOL, "false", NONUM, NULL,
     "Train the relational plugins' own weights too (the reference code does not).", 0, 0},
};

static const cfg_key optimizer_keys[] = {
    {"lr", HRKD_CFG_FLOAT, "5e-5", GE(0), NULL, "Peak learning rate (AdamW).", CFG_MIN_EXCLUSIVE, 0},
    {"weight_decay", HRKD_CFG_FLOAT, "0.01", GE(0), NULL,
     "Decoupled weight decay (not on biases and layer-norm weights).", 0, 0},
    {"beta1", HRKD_CFG_FLOAT, "0.9", RANGE(0, 0.999999), NULL, "AdamW β1.", 0, 0},
    {"beta2", HRKD_CFG_FLOAT, "0.999", RANGE(0, 0.999999999), NULL, "AdamW β2.", 0, 0},
    {"eps", HRKD_CFG_FLOAT, "1e-8", GE(0), NULL, "AdamW ε.", CFG_MIN_EXCLUSIVE, 0},
    {"warmup_ratio", HRKD_CFG_FLOAT, "0.1", RANGE(0, 1), NULL,
     "Fraction of the steps with a linear warmup from 0.", 0, 0},
    {"max_grad_norm", HRKD_CFG_FLOAT, "1.0", GE(0), NULL,
     "Clip the global gradient norm to this; 0: no clipping.", 0, 0},
    {"schedule", HRKD_CFG_ENUM, "linear", NONUM, "linear|constant",
     "After warmup: linear decay to 0 at the last step, or constant.", 0, 0},
};

static const cfg_key output_keys[] = {
    {"dir", HRKD_CFG_PATH, "results", NONUM, NULL,
     "Folder of run files (created if missing); relative to the INI file, like every path.", 0, 0},
    {"file", HRKD_CFG_PATH, "", NONUM, NULL,
     "The run's HDF5 file; empty: <dir>/<run name>.h5. At most 4000 bytes (suffixes such as "
     "_seed<N>_teacher.h5 are added).", 0, 0},
    {"checkpoint_every", HRKD_CFG_INT, "0", GE(0), NULL,
     "Write a resumable checkpoint every N steps; 0: at the end only.", 0, 0},
    {"flush_every", HRKD_CFG_INT, "50", GE(1), NULL,
     "Append logged losses and ratios to the run file every N steps.", 0, 0},
    {"save_best", HRKD_CFG_BOOL, "true", NONUM, NULL,
     "Keep the best checkpoint overall and per domain (by dev accuracy).", 0, 0},
    {"export_hf", HRKD_CFG_PATH, "", NONUM, NULL,
     "Also export the final best student here as one Hugging Face folder per domain (`<export_hf>/<domain>/`) and a README.md; empty: no export.", 0, 0},
};

static const cfg_key backend_keys[] = {
    {"device", HRKD_CFG_ENUM, "cpu", NONUM, "cpu|cuda",
     "Kernel backend: lib/hrkd/backends/hrkd_backend_<device>.so.", 0, 0},
    {"threads", HRKD_CFG_INT, "0", RANGE(0, 4096), NULL, "CPU threads; 0: all cores.", 0, 0},
    {"tf32", HRKD_CFG_BOOL, "false", NONUM, NULL, "cuda: allow TF32 tensor-core matmuls.", 0, 0},
    {"bf16", HRKD_CFG_BOOL, "false", NONUM, NULL, "cuda: bf16 autocast of matmuls.", 0, 0},
    {"blas_core", HRKD_CFG_STRING, "", NONUM, NULL,
     "cpu: the OpenBLAS kernel set to use (its OPENBLAS_CORETYPE names: Haswell, SkylakeX, "
     "Cooperlake, Zen, ...); empty: OpenBLAS picks one for the CPU. Kernel sets sum matrix "
     "products in different orders, so a run replays bit for bit on another CPU only with the "
     "kernel set it ran with, which the run file's `backend_detail` attribute names. A set "
     "this CPU cannot run, or an OpenBLAS built for one CPU only, is refused.",
     0, 0},
};

#define SEC(name, doc, keys) {name, doc, keys, (int)(sizeof keys / sizeof keys[0])}
const cfg_schema_section hrkd_cfg_host_schema[] = {
    SEC("run", "What to run and for how long.", run_keys),
    SEC("data", "The multi-domain dataset and how it is batched.", data_keys),
    SEC("teacher", "The teacher model(s) and how they are trained.", teacher_keys),
    SEC("student", "The student model.", student_keys),
    SEC("distill", "The distillation objective (Eq. 17).", distill_keys),
    SEC("relational", "The hierarchical and domain-relational plugins (HRKD).", relational_keys),
    SEC("metakd", "The Meta-KD baseline: transferability weights and meta-distillation stages.",
        metakd_keys),
    SEC("optimizer", "AdamW and the learning-rate schedule.", optimizer_keys),
    SEC("output", "The HDF5 run file and checkpoints.", output_keys),
    SEC("backend", "Where kernels run.", backend_keys),
};
const int hrkd_cfg_host_schema_count = (int)(sizeof hrkd_cfg_host_schema / sizeof hrkd_cfg_host_schema[0]);

const cfg_schema_section *cfg_schema_find(const char *section)
{
    for (int i = 0; i < hrkd_cfg_host_schema_count; i++)
        if (strcmp(hrkd_cfg_host_schema[i].name, section) == 0) return &hrkd_cfg_host_schema[i];
    return NULL;
}

/* ---- cross-key rules -------------------------------------------------------------------- */

static cfg_entry *key_of(hrkd_config *cfg, const char *section, const char *key)
{
    hrkd_config_section *s = cfg_section_get(cfg, section, 0);
    return s ? cfg_entry_find(s, key) : NULL;
}

/* Where a message about e belongs: its line, else its section's header, else the main file. */
static void where(hrkd_config *cfg, const char *section, const cfg_entry *e, const char **file, int *line)
{
    hrkd_config_section *s = cfg_section_get(cfg, section, 0);
    if (e && e->line > 0) { *file = e->file; *line = e->line; }
    else if (s && s->file) { *file = s->file; *line = s->line; }
    else { *file = cfg->path; *line = 0; }
}

static void check_encoder(hrkd_config *cfg, const char *sec, cfg_diags *ds)
{
    cfg_entry *hidden = key_of(cfg, sec, "hidden"), *heads = key_of(cfg, sec, "heads");
    cfg_entry *maxpos = key_of(cfg, sec, "max_positions"), *seq = key_of(cfg, "data", "max_seq_len");
    const char *f;
    int l;
    if (hidden && heads && heads->v.i > 0 && hidden->v.i % heads->v.i != 0) {
        where(cfg, sec, hidden->line ? hidden : heads, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[%s] hidden: %lld is not a multiple of heads = %lld", sec,
                     (long long)hidden->v.i, (long long)heads->v.i);
    }
    if (maxpos && seq && maxpos->v.i < seq->v.i) {
        where(cfg, sec, maxpos, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[%s] max_positions: %lld is less than [data] max_seq_len = %lld",
                     sec, (long long)maxpos->v.i, (long long)seq->v.i);
    }
}

static int name_ok(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* ---- outputs never inputs ---------------------------------------------------------------- */

/* p with "." and ".." segments and repeated slashes removed (p is absolute); symlinks of the
 * longest existing prefix resolved, so two spellings of one place compare equal. */
static void norm_path(const char *p, char *out, size_t cap)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", p);
    char *segs[PATH_MAX / 2];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(tmp, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, ".")) continue;
        if (!strcmp(t, "..")) { if (n) n--; continue; }
        segs[n++] = t;
    }
    char lex[PATH_MAX] = "";
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof lex; i++)
        len += (size_t)snprintf(lex + len, sizeof lex - len, "/%s", segs[i]);
    if (!n) snprintf(lex, sizeof lex, "/");
    /* resolve the longest prefix that exists */
    char head[PATH_MAX], real[PATH_MAX];
    snprintf(head, sizeof head, "%s", lex);
    const char *rest = "";
    for (;;) {
        if (realpath(head, real)) break;
        char *slash = strrchr(head, '/');
        if (!slash || slash == head) { snprintf(real, sizeof real, "%s", lex); rest = ""; goto done; }
        *slash = 0;
        rest = lex + (slash - head);
    }
done:
    snprintf(out, cap, "%s%s", strcmp(real, "/") ? real : "", rest);
    if (!out[0]) snprintf(out, cap, "/");
}

/* 1 when a is b or lies inside folder b */
static int path_within(const char *a, const char *b)
{
    size_t n = strlen(b);
    return !strcmp(a, b) || (strncmp(a, b, n) == 0 && (a[n] == '/' || (n == 1 && b[0] == '/')));
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The run's outputs (run file, the teacher file a distill INI writes first, the Hugging Face
 * export, the token caches) may not be its inputs: the run would destroy what it reads. */
static void check_outputs_not_inputs(hrkd_config *cfg, cfg_diags *ds)
{
    struct { const char *sec, *key; } in_keys[] = {
        {"teacher", "checkpoint"}, {"student", "checkpoint"}, {"data", "path"}, {"data", "vocab"},
    };
    char in[4][PATH_MAX], out[PATH_MAX], stem[PATH_MAX], tfile[PATH_MAX];
    const cfg_entry *ie[4];
    for (int i = 0; i < 4; i++) {
        ie[i] = key_of(cfg, in_keys[i].sec, in_keys[i].key);
        in[i][0] = 0;
        if (ie[i] && ie[i]->value[0]) norm_path(ie[i]->value, in[i], sizeof in[i]);
    }
    const char *f;
    int l;
    cfg_entry *file = key_of(cfg, "output", "file");
    if (file && file->value[0]) {
        norm_path(file->value, out, sizeof out);
        snprintf(stem, sizeof stem, "%s", out);
        size_t n = strlen(stem);
        if (n > 3 && !strcmp(stem + n - 3, ".h5")) stem[n - 3] = 0;
        snprintf(tfile, sizeof tfile, "%s_teacher.h5", stem);
        for (int i = 0; i < 2; i++) {
            if (!in[i][0]) continue;
            const char *hit = !strcmp(in[i], out) ? out : !strcmp(in[i], tfile) && i == 1 ? tfile : NULL;
            if (!hit) continue;
            where(cfg, in_keys[i].sec, ie[i], &f, &l);
            cfg_diag_add(ds, cfg, f, l, "[%s] %s: %s is also this run's output ([output] file): the run "
                         "would replace the file it reads", in_keys[i].sec, in_keys[i].key, hit);
        }
    }
    cfg_entry *exp = key_of(cfg, "output", "export_hf");
    if (exp && exp->value[0]) {
        char e[PATH_MAX];
        norm_path(exp->value, e, sizeof e);
        static const char *const writes[] = {"config.json", "vocab.txt", "model.safetensors",
                                             "tokenizer_config.json", "README.md"};
        for (int i = 0; i < 4; i++) {
            if (!in[i][0]) continue;
            int hit = is_dir(in[i]) ? path_within(e, in[i]) : !strcmp(e, in[i]);
            const char *slash = strrchr(in[i], '/');
            if (!hit && !is_dir(in[i]) && slash && (size_t)(slash - in[i]) == strlen(e) &&
                !strncmp(in[i], e, strlen(e)))
                for (size_t w = 0; w < sizeof writes / sizeof *writes; w++)
                    hit |= !strcmp(slash + 1, writes[w]); /* the export would write over it */
            if (!hit) continue;
            where(cfg, "output", exp, &f, &l);
            cfg_diag_add(ds, cfg, f, l, "[output] export_hf: %s would overwrite [%s] %s (%s), which this "
                         "run reads", e, in_keys[i].sec, in_keys[i].key, in[i]);
        }
    }
    const char *caches[2][2] = {{"data", "cache_dir"}, {"distill", "teacher_cache_dir"}};
    for (int c = 0; c < 2; c++) {
        cfg_entry *cd = key_of(cfg, caches[c][0], caches[c][1]);
        if (!cd || !cd->value[0] || !in[2][0]) continue;
        char cdir[PATH_MAX];
        norm_path(cd->value, cdir, sizeof cdir);
        if (strcmp(cdir, in[2]) != 0) continue;
        where(cfg, caches[c][0], cd, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[%s] %s: %s is the data folder ([data] path): keep caches in a "
                     "folder of their own", caches[c][0], caches[c][1], cdir);
    }
}

void cfg_schema_cross_check(hrkd_config *cfg, cfg_diags *ds)
{
    const char *f;
    int l;
    /* [data] path is required for every reader but the built-in one. */
    cfg_entry *fmt = key_of(cfg, "data", "format"), *path = key_of(cfg, "data", "path");
    if (fmt && path && strcmp(fmt->value, "synthetic") != 0 && !path->value[0]) {
        where(cfg, "data", fmt, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[data] path: required when format = %s", fmt->value);
    }
    cfg_entry *tw = key_of(cfg, "data", "train_windows");
    if (fmt && tw && tw->v.i > 1 && (!strcmp(fmt->value, "synthetic") || !strcmp(fmt->value, "mnli"))) {
        where(cfg, "data", tw, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[data] train_windows: needs single texts (format amazon, tsv or jsonl), "
                     "not format = %s", fmt->value);
    }
    /* column mapping, default domain and label order: the table readers only */
    const char *table_keys[3] = {"columns", "default_domain", "labels"};
    for (int i = 0; i < 3; i++) {
        cfg_entry *e = key_of(cfg, "data", table_keys[i]);
        if (!fmt || !e || !e->value[0] || !strcmp(fmt->value, "tsv") || !strcmp(fmt->value, "jsonl")) continue;
        where(cfg, "data", e, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[data] %s: applies to format tsv and jsonl, not format = %s", table_keys[i],
                     fmt->value);
    }
    cfg_entry *cols = key_of(cfg, "data", "columns");
    if (cols && cols->value[0]) {
        char why[200];
        if (hrkd_table_columns_parse(cols->value, NULL, why, sizeof why) != 0) {
            where(cfg, "data", cols, &f, &l);
            cfg_diag_add(ds, cfg, f, l, "[data] columns: %s", why);
        }
    }
    check_encoder(cfg, "teacher", ds);
    check_encoder(cfg, "student", ds);
    cfg_entry *init = key_of(cfg, "student", "init"), *ck = key_of(cfg, "student", "checkpoint");
    if (init && ck && strcmp(init->value, "pretrained") == 0 && !ck->value[0]) {
        where(cfg, "student", init, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[student] checkpoint: required when init = pretrained");
    }
    cfg_entry *mode = key_of(cfg, "run", "mode");
    if (mode && ck && strcmp(mode->value, "eval") == 0 && !ck->value[0]) {
        where(cfg, "run", mode, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[student] checkpoint: required when [run] mode = eval");
    }
    cfg_entry *ep = key_of(cfg, "run", "epochs"), *ms = key_of(cfg, "run", "max_steps");
    if (ep && ms && ep->v.i == 0 && ms->v.i == 0) {
        where(cfg, "run", ep, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[run] epochs: 0 with max_steps = 0 leaves nothing to train");
    }
    /* layer_map: "uniform" or M+1 teacher layer numbers. */
    cfg_entry *lm = key_of(cfg, "distill", "layer_map");
    cfg_entry *sl = key_of(cfg, "student", "layers"), *tl = key_of(cfg, "teacher", "layers");
    if (lm && sl && tl && strcmp(lm->value, "uniform") != 0) {
        cfg_key k = {.name = "layer_map", .type = HRKD_CFG_LIST, .min = 0, .max = (double)tl->v.i,
                     .flags = CFG_LIST_INT};
        cfg_value v;
        char why[256];
        where(cfg, "distill", lm, &f, &l);
        if (cfg_check_value(&k, lm->value, &v, why, sizeof why))
            cfg_diag_add(ds, cfg, f, l, "[distill] layer_map: expected uniform or %lld teacher layer "
                         "numbers: %s", (long long)sl->v.i + 1, why);
        else if (v.i != sl->v.i + 1)
            cfg_diag_add(ds, cfg, f, l, "[distill] layer_map: %lld numbers given, expected %lld "
                         "(student layers 0..%lld)", (long long)v.i, (long long)sl->v.i + 1,
                         (long long)sl->v.i);
    }
    /* blas_core pins OpenBLAS, which only the CPU backend uses. */
    cfg_entry *dev = key_of(cfg, "backend", "device"), *core = key_of(cfg, "backend", "blas_core");
    if (dev && core && core->value[0] && strcmp(dev->value, "cpu") != 0) {
        where(cfg, "backend", core, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[backend] blas_core: applies to device = cpu only (device = %s)",
                     dev->value);
    }
    if (core && core->value[0] && !name_ok(core->value)) {
        where(cfg, "backend", core, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[backend] blas_core: '%s' is not an OpenBLAS core name", core->value);
    }
    /* Meta-KD's meta-distillation weights every domain alike: no relational ratios. */
    cfg_entry *meth = key_of(cfg, "distill", "method"), *rel = key_of(cfg, "distill", "relational");
    if (meth && rel && strcmp(meth->value, "metakd") == 0 && rel->v.b) {
        where(cfg, "distill", meth, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[distill] method: metakd needs [distill] relational = false");
    }
    /* Derived defaults: the run name from the file, the results file from dir and name. */
    hrkd_config_section *run = cfg_section_get(cfg, "run", 0);
    cfg_entry *name = key_of(cfg, "run", "name");
    if (run && name && !name->value[0]) {
        const char *slash = strrchr(cfg->path, '/');
        const char *stem = slash ? slash + 1 : cfg->path;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", stem);
        size_t n = strlen(buf);
        if (n > 4 && strcmp(buf + n - 4, ".ini") == 0) buf[n - 4] = 0;
        for (char *c = buf; *c; c++)
            if (!name_ok((char[]){*c, 0})) *c = '_';
        const cfg_key *decl = name->decl;
        cfg_entry_set_default(cfg, run, "name", buf[0] ? buf : "run");
        key_of(cfg, "run", "name")->decl = decl;
        name = key_of(cfg, "run", "name");
    } else if (name && !name_ok(name->value)) {
        where(cfg, "run", name, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[run] name: '%s' may only hold letters, digits, '_', '-', '.'",
                     name->value);
    }
    hrkd_config_section *out = cfg_section_get(cfg, "output", 0);
    cfg_entry *file = key_of(cfg, "output", "file"), *dir = key_of(cfg, "output", "dir");
    if (out && file && dir && name && !file->value[0]) {
        size_t n = strlen(dir->value) + strlen(name->value) + 8;
        char *p = malloc(n);
        HRKD_ASSERT(p);
        snprintf(p, n, "%s%s%s.h5", dir->value, dir->value[0] ? "/" : "", name->value);
        char *abs = cfg_join_abs(cfg->path, p); /* dir may be empty: still absolute */
        free(p);
        p = abs;
        const cfg_key *decl = file->decl;
        cfg_entry_set_default(cfg, out, "file", p);
        key_of(cfg, "output", "file")->decl = decl;
        free(p);
    }
    /* Names become file names ("<name>_seed<N>_teacher.h5"): refused here, not cut later. */
    name = key_of(cfg, "run", "name");
    file = key_of(cfg, "output", "file");
    if (name && strlen(name->value) > CFG_MAX_RUN_NAME) {
        where(cfg, "run", name, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[run] name: %zu bytes, at most %d (it names the run files)", strlen(name->value),
                     CFG_MAX_RUN_NAME);
    }
    if (file && strlen(file->value) > CFG_MAX_RUN_PATH) {
        where(cfg, "output", file, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[output] file: %zu bytes, at most %d (the run files' path, suffixes such as "
                     "_seed<N>_teacher.h5 added, must fit the system's %d)", strlen(file->value), CFG_MAX_RUN_PATH, 4096);
    }
    check_outputs_not_inputs(cfg, ds);
}

/* ---- the reference ---------------------------------------------------------------------- */

char *hrkd_config_doc_markdown(void)
{
    cfg_buf b = {0};
    cfg_buf_printf(&b,
        "# INI reference\n\n"
        "<!-- generated by `hrkd check --doc` from host/config/schema.c; do not edit by hand -->\n\n"
        "One INI file is one experiment. Syntax (read with inih):\n\n"
        "- `[section]` headers, `key = value` lines (`key: value` also works); whitespace around\n"
        "  keys and values is ignored; comments start a line with `;` or `#`, or follow a value\n"
        "  after a space (`lr = 1e-4 ; peak`).\n"
        "- `%%include FILE` reads another INI at that point (relative to the including file);\n"
        "  the including file then continues in the section it was in.\n"
        "- `[run] base = FILE` reads FILE first: every key the file itself sets overrides the\n"
        "  base, wherever in the file it stands. Bases and includes nest (16 deep); a cycle is\n"
        "  an error.\n"
        "- A later assignment of a key overrides an earlier one. `hrkd check --print FILE.ini`\n"
        "  shows the result (the *effective configuration*, also stored in the run file).\n"
        "- Paths are relative to the file that sets them (a default: to the main file); the\n"
        "  effective configuration shows them absolute and lexically clean (`ini/../results`\n"
        "  prints as `results`, a symbolic link is not followed). Booleans: true/false, yes/no, on/off,\n"
        "  1/0. Lists: comma-separated.\n"
        "- Unknown sections and keys, malformed values, out-of-range numbers and missing required\n"
        "  keys are all reported in one pass as `FILE:LINE: [section] key: message`; nothing runs.\n\n"
        "Ranges: `[a, b]` inclusive, `(a, b]` excludes a, `>= a`, `> a`. Plugin keys name a\n"
        "plugin of the given kind (`hrkd plugins` lists them) or give a path to its `.so`\n"
        "(relative to the INI). A plugin key is checked when the run mode uses it, or when it is\n"
        "set to something other than its default.\n\n"
        "Every plugin reads its own section, named after its kind group and name: `[loss.NAME]`,\n"
        "`[relational.NAME]` (all three relational kinds), `[teacher.NAME]`. Its keys are the\n"
        "parameters it declares: `hrkd plugins describe NAME` lists them with type, default and\n"
        "doc; undeclared keys are refused like any unknown key.\n\n");
    for (int i = 0; i < hrkd_cfg_host_schema_count; i++) {
        const cfg_schema_section *s = &hrkd_cfg_host_schema[i];
        cfg_doc_keys(&b, s->name, s->doc, s->keys, s->n_keys);
    }
    return b.s;
}
