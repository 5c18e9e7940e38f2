/* host/config/schema.c — every key of every host section: type, default, range, doc.
 *
 * rules.c ties keys together; `hrkd check --doc` writes docs/ini.md from this table (doc.c).
 * Defaults follow the HRKD reference setup (BERT-base teacher, TinyBERT-4L-312 student,
 * AdamW 5e-5 with linear warmup 10 %). */
#include <math.h>
#include <string.h>

#include "config/schema.h"

#define UNB       (-INFINITY), (INFINITY)   /* any number */
#define GE(x)     (x), (INFINITY)           /* x or more */
#define RANGE(a, b) (a), (b)

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
    {"pad_to", HRKD_CFG_ENUM, "max_seq_len", NONUM, "max_seq_len|longest",
     "Columns of a batch. max_seq_len: every batch is padded to max_seq_len (the reference "
     "code). longest: each batch (training, evaluation, the teacher cache) keeps only its first "
     "T' columns, T' = its longest example rounded up to a multiple of 8 (at most max_seq_len): "
     "less work on short texts. Padding is masked out of attention, so evaluation and what a "
     "model gives its real tokens are the same to float rounding; training is not: dropout draws "
     "follow the tensors' shapes, and the distillation's embedding, hidden and attention MSE "
     "terms and the relational prototypes average over every column, padding included (as the "
     "reference), so with longest they average over T' columns and the padding columns beyond "
     "T' drop out of the loss (Meta-KD's mean-pooled domain representations likewise). The "
     "default keeps the reference's results. docs/data.md.", 0, 0},
    {"length_buckets", HRKD_CFG_INT, "0", RANGE(0, 1000000), NULL,
     "K > 1: batches of texts of similar length, for pad_to = longest. Each domain's shuffled "
     "epoch order is cut into chunks of K batches; each chunk's texts are sorted by length and "
     "its full batches taken in a seeded order. Every text still comes once an epoch and each "
     "domain keeps its own batches, but which texts share a batch changes, and so do the "
     "results. 0 or 1: the plain shuffled order.", 0, 0},
    {"seed", HRKD_CFG_INT, "42", RANGE(0, 4294967295.0), NULL,
     "Seed of the train/dev/test split and the few-shot sampling.", 0, 0},
    {"few_shot_ratio", HRKD_CFG_FLOAT, "1.0", RANGE(0, 1), NULL,
     "Fraction of each domain's training data kept (few-shot experiments).", CFG_MIN_EXCLUSIVE, 0},
    {"few_shot_seed", HRKD_CFG_INT, "-1", RANGE(-1, 4294967295.0), NULL,
     "Which rows few_shot_ratio keeps: a sample drawn per domain with this seed; -1: the run's "
     "seed (each seed of [run] seeds its own sample). Dev and test never change.", 0, 0},
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
     "Dropout on attention probabilities while training.", 0, 0},                                 \
    {"precision", HRKD_CFG_ENUM, "backend", NONUM, "backend|fp32|tf32|bf16",                      \
     "Precision of this model's matrix products (its forward, and for a model that trains its "    \
     "backward): fp32; tf32 (cuda: TF32 tensor cores); bf16 (cuda: bf16 operands, float32 "         \
     "accumulation); LayerNorm, softmax, reductions, master weights, gradients and AdamW stay "    \
     "float32. backend: what the [backend] shorthands say for both models (bf16 when [backend] "   \
     "bf16, else tf32 when [backend] tf32, else fp32); fp32, tf32 and bf16 here win over them. "   \
     "The CPU backend computes fp32 only: tf32 and bf16 are refused at start-up, naming the CPU "   \
     "feature bf16 needs (AVX512_BF16) where the CPU lacks it.", 0, 0}

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
     "only. Size: examples × ((M+1)·T·F + M·H·T·T + C) × 4 bytes, or × 2 with "
     "teacher_cache_precision = bf16 (printed at the start); T is max_seq_len, or with [data] "
     "pad_to = longest the longest training example rounded up to a multiple of 8.", 0, 0},
    {"teacher_cache_dir", HRKD_CFG_PATH, "", NONUM, NULL,
     "Folder for the teacher cache's backing file (unlinked at once, so nothing is left "
     "behind); empty: anonymous memory, and a cache larger than 80 % of the memory available "
     "(MemAvailable of /proc/meminfo) is refused before the teacher pass, with the figures.", 0, 0},
    {"teacher_cache_precision", HRKD_CFG_ENUM, "fp32", NONUM, "fp32|bf16",
     "How the teacher cache stores its values: fp32, or bf16 (half the bytes; each value "
     "rounded to nearest even to 8 significant bits, within 2^-8 relative, and read back as "
     "fp32; the step losses of tests/t_pad_longest.sh move by at most 2e-4 relative).", 0, 0},
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
    {"tf32", HRKD_CFG_BOOL, "false", NONUM, NULL,
     "cuda: TF32 tensor-core matmuls; shorthand for [teacher] and [student] precision = tf32 "
     "(a model's own precision key wins).", 0, 0},
    {"bf16", HRKD_CFG_BOOL, "false", NONUM, NULL,
     "cuda: bf16 autocast of matmuls; shorthand for [teacher] and [student] precision = bf16 "
     "(a model's own precision key wins; bf16 wins over tf32).", 0, 0},
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
