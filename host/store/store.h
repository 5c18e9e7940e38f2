/* host/store/store.h — files in and out of hrkd: a strict JSON reader, safetensors and
 * PyTorch .bin (zip + pickle subset) readers, a safetensors writer, Hugging Face BERT import
 * and export, and the HDF5 run file (config, logs, atomic checkpoints).
 *
 * Every reader treats its input as hostile: all sizes and offsets are checked before use, a
 * refusal returns HRKD_STATUS_INVALID with a message naming the file and what was expected,
 * and no input makes a reader crash (tests/fuzz/fuzz_*.c run them under libFuzzer).
 */
#ifndef HRKD_STORE_STORE_H
#define HRKD_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hrkd/tensor.h"

/* ---- JSON (json.c) -------------------------------------------------------------------- */
/* A bounded, strict RFC 8259 reader: no comments, no trailing commas, no NaN, nesting at
 * most HRKD_JSON_MAX_DEPTH, duplicate object keys refused. Strings are decoded to UTF-8. */
#define HRKD_JSON_MAX_DEPTH 64

typedef enum hrkd_json_kind {
    HRKD_JSON_NULL = 0,
    HRKD_JSON_BOOL,
    HRKD_JSON_NUMBER,
    HRKD_JSON_STRING,
    HRKD_JSON_ARRAY,
    HRKD_JSON_OBJECT,
} hrkd_json_kind;

typedef struct hrkd_json {
    hrkd_json_kind    kind;
    char             *key;    /* member name inside an object, else NULL */
    char             *str;    /* STRING: decoded text (NUL-terminated; may hold NULs) */
    size_t            len;    /* STRING: byte length; ARRAY/OBJECT: number of children */
    double            num;    /* NUMBER */
    int               is_int; /* NUMBER written as an integer that fits int64 */
    int64_t           i;      /* NUMBER when is_int */
    int               b;      /* BOOL */
    size_t            pos;    /* byte offset in the text (for messages) */
    struct hrkd_json *child;  /* first child (ARRAY/OBJECT) */
    struct hrkd_json *next;   /* next sibling */
} hrkd_json;

/* Parse text[0..len). fname names the input in messages ("FILE:LINE: ..."). */
hrkd_json *hrkd_json_parse(const char *text, size_t len, const char *fname, hrkd_error *err);
void hrkd_json_free(hrkd_json *j);
const hrkd_json *hrkd_json_get(const hrkd_json *obj, const char *key); /* NULL: absent */
/* 1-based line of byte offset pos in text */
int hrkd_json_line(const char *text, size_t len, size_t pos);
/* Write s to f as a quoted JSON string, escaping '"', '\\' and control characters. */
void hrkd_json_write_string(FILE *f, const char *s);

/* ---- named host tensors (what the checkpoint readers return) -------------------------- */
#define HRKD_STORE_MAX_DIMS 8

typedef enum hrkd_file_dtype {
    HRKD_FILE_F32 = 0,
    HRKD_FILE_F16,
    HRKD_FILE_BF16,
    HRKD_FILE_F64,
    HRKD_FILE_I64, /* integer tensors (e.g. position_ids) are validated but not converted */
    HRKD_FILE_I32,
    HRKD_FILE_I16,
    HRKD_FILE_I8,
    HRKD_FILE_U8,
    HRKD_FILE_BOOL,
} hrkd_file_dtype;

const char *hrkd_file_dtype_name(hrkd_file_dtype dt); /* "F32", "F16", ... */
size_t hrkd_file_dtype_size(hrkd_file_dtype dt);
int hrkd_file_dtype_is_float(hrkd_file_dtype dt);

typedef struct hrkd_named_tensor {
    char           *name;
    hrkd_file_dtype dtype; /* dtype in the file */
    int             ndim;
    int64_t         shape[HRKD_STORE_MAX_DIMS];
    int64_t         numel;
    float          *data; /* float dtypes converted to f32 (f16/bf16 exactly); NULL otherwise */
} hrkd_named_tensor;

typedef struct hrkd_tensor_set {
    int                n, cap;
    hrkd_named_tensor *t;
} hrkd_tensor_set;

void hrkd_tensor_set_free(hrkd_tensor_set *ts); /* frees the contents; ts itself may be static */
int hrkd_tensor_set_find(const hrkd_tensor_set *ts, const char *name); /* −1: absent */
/* Append a copy of data (f32) under name. */
hrkd_status hrkd_tensor_set_add(hrkd_tensor_set *ts, const char *name, int ndim,
                                const int64_t *shape, const float *data, hrkd_error *err);

/* exact conversions */
float hrkd_f16_to_f32(uint16_t h);
float hrkd_bf16_to_f32(uint16_t b);

/* Append a tensor whose numel elements of dtype dt (little-endian) start at src; float
 * dtypes are converted to f32, integer dtypes keep data NULL. */
hrkd_status hrkd_store_add_raw(hrkd_tensor_set *out, const char *name, hrkd_file_dtype dt,
                               int ndim, const int64_t *shape, int64_t numel, const uint8_t *src,
                               hrkd_error *err);

/* Read a whole file into memory (refuses files above max_bytes). */
hrkd_status hrkd_file_read_all(const char *path, size_t max_bytes, uint8_t **out, size_t *len,
                               hrkd_error *err);

/* ---- safetensors (safetensors.c) ------------------------------------------------------ */
/* buf[0..len) is a whole .safetensors file; fname names it in messages. */
hrkd_status hrkd_safetensors_parse(const uint8_t *buf, size_t len, const char *fname,
                                   hrkd_tensor_set *out, hrkd_error *err);
hrkd_status hrkd_safetensors_load(const char *path, hrkd_tensor_set *out, hrkd_error *err);
/* Writes every tensor as F32 with {"format": "pt"} metadata, header padded to 8 bytes, the
 * data in set order. Written to path.tmp, fsynced, renamed over path. */
hrkd_status hrkd_safetensors_save(const char *path, const hrkd_tensor_set *ts, hrkd_error *err);

/* ---- PyTorch .bin (torchbin.c) --------------------------------------------------------- */
/* The zip container written by torch.save (PyTorch >= 1.6). The pickle is interpreted by a
 * tiny VM that knows only the opcodes and globals a state dict uses; it never imports or
 * calls anything. */
hrkd_status hrkd_torchbin_parse(const uint8_t *buf, size_t len, const char *fname,
                                hrkd_tensor_set *out, hrkd_error *err);
hrkd_status hrkd_torchbin_load(const char *path, hrkd_tensor_set *out, hrkd_error *err);

/* ---- Hugging Face BERT import / export (hf.c) ----------------------------------------- */
typedef struct hrkd_hf_config {
    int   layers, hidden, heads, intermediate, vocab, max_positions, type_vocab;
    int   num_labels;      /* from id2label / num_labels; 2 when absent */
    char  hidden_act[32];  /* "gelu" (erf), "gelu_new" / "gelu_pytorch_tanh" (tanh), "relu" */
    float layer_norm_eps;  /* 1e-12 when absent */
    char  model_type[32];
} hrkd_hf_config;

/* Parse DIR/config.json (BertConfig fields; other keys ignored). */
hrkd_status hrkd_hf_read_config(const char *dir, hrkd_hf_config *cfg, hrkd_error *err);
/* A checkpoint named in an INI ([teacher] checkpoint), checked before any training: empty is
 * fine (none); otherwise path MUST exist and be a run file (a regular file) or a Hugging Face
 * model folder holding config.json. Errors: "PATH: cannot open (...)", "PATH: is a FIFO ...",
 * "PATH: a folder without config.json ..." (HRKD_STATUS_INVALID). */
hrkd_status hrkd_checkpoint_check(const char *path, hrkd_error *err);

/* Fill a model config from it (other fields from hrkd_bert_config_default(); the caller sets
 * num_heads_cls and fit_dim). hidden_act "gelu_new" / "gelu_pytorch_tanh" → tanh GELU. */
struct hrkd_bert_config;
void hrkd_hf_to_bert_config(const hrkd_hf_config *h, struct hrkd_bert_config *b);

typedef enum hrkd_hf_map_kind {
    HRKD_HF_MAP_PARAM = 0,     /* maps to one store name (out) */
    HRKD_HF_MAP_CLASSIFIER,    /* "classifier.{weight,bias}": to classifiers.{d}.* for every d */
    HRKD_HF_MAP_UNUSED,        /* MLM/NSP heads (cls.*), position_ids, ... */
    HRKD_HF_MAP_FIT_SINGLE,    /* TinyBERT's single "fit_dense": no per-layer counterpart */
} hrkd_hf_map_kind;

/* Map a name from a checkpoint file to the store's naming (see the header comment of hf.c);
 * out receives the store name for PARAM and the suffix ("weight"/"bias") for CLASSIFIER. */
hrkd_hf_map_kind hrkd_hf_map_name(const char *file_name, char *out, size_t cap);

typedef struct hrkd_import_report {
    int    n_loaded;
    int    n_missing, n_unused, n_notes;
    char **missing; /* store parameters that received nothing */
    char **unused;  /* file tensors that went nowhere, "name (why)" */
    char **notes;   /* remarks: classifier copied to every domain, fit_dense not per-layer */
} hrkd_import_report;

void hrkd_import_report_free(hrkd_import_report *r);
/* Prints the report through hrkd_log (info: counts and notes; warn: missing/unused lists). */
void hrkd_import_report_log(const hrkd_import_report *r, const char *dir);

/* Import DIR (config.json, model.safetensors or else pytorch_model.bin) into p: every store
 * parameter whose mapped file tensor exists is written (shape mismatch: error naming tensor,
 * file and both shapes). cfg (may be NULL) receives the parsed config. */
hrkd_status hrkd_hf_import(const char *dir, hrkd_params *p, hrkd_hf_config *cfg,
                           hrkd_import_report *rep, hrkd_error *err);
/* The same from an already loaded tensor set (file names it in messages). */
hrkd_status hrkd_hf_import_set(const hrkd_tensor_set *ts, const char *file, hrkd_params *p,
                               hrkd_import_report *rep, hrkd_error *err);

typedef struct hrkd_hf_export_info {
    hrkd_hf_config     cfg;         /* architecture of the student (num_labels per head) */
    int                n_domains;   /* heads classifiers.{0..n-1} */
    const char *const *domains;     /* domain names: the folder names, [A-Za-z0-9_]+ */
    const char        *vocab_path;  /* copied to each folder's vocab.txt; NULL: the synthetic
                                     * data's vocabulary ([PAD] [UNK] [CLS] [SEP] [MASK] w5 ..) */
    const char *const *label_names; /* cfg.num_labels names → id2label; NULL: LABEL_<i> */
    int                do_lower_case; /* tokenizer_config.json */
} hrkd_hf_export_info;

/* Write one standard Hugging Face folder per domain, DIR/<domain>/ (config.json with
 * id2label/label2id, model.safetensors with that domain's head as classifier.*, vocab.txt,
 * tokenizer_config.json), and DIR/README.md naming them (see results/README.md, "Exported
 * students"). Folders are created when missing. */
hrkd_status hrkd_hf_export(const char *dir, hrkd_params *p, const hrkd_hf_export_info *info,
                           hrkd_error *err);

/* ---- HDF5 run file (runfile.c, runfile_write.c, runfile_read.c, runfile_probe.c) ------ */
typedef struct hrkd_run hrkd_run;

typedef struct hrkd_run_meta {
    const char        *ini_text;      /* the effective configuration */
    const char        *backend;       /* "cpu", "cuda" */
    const char        *backend_detail;/* the backend's description: libraries, kernel set, device */
    const char        *data_splits;   /* how train / dev / test were formed (hrkd_dataset.splits) */
    int                threads;
    uint64_t           seed;
    int                n_domains;     /* D */
    const char *const *domains;
    int                student_layers; /* M: ratios are [M+1, D] */
    int                teacher_layers; /* N */
    const int         *layer_map;     /* M+1 entries: teacher layer of student layer m; may be NULL */
    int                n_loss_terms;  /* losses are [n_loss_terms, D] per step */
    const char *const *loss_terms;
    int                n_metrics;     /* columns of /metrics/<split>/<domain>; 0: {"accuracy"} */
    const char *const *metric_names;
    int                n_labels;      /* label_names attribute; 0: not written */
    const char *const *label_names;   /* label id l → name (e.g. "negative", "positive") */
} hrkd_run_meta;

typedef struct hrkd_run_state {
    int64_t  step;        /* optimizer steps completed */
    int64_t  epoch;
    uint64_t rng_seed, rng_counter;
    int      n_loader;    /* data-loader positions (any int64 the trainer needs) */
    int64_t  loader[64];
    int      n_best;      /* best metric values so far */
    double   best[64];
    /* a group holding the model that serves one domain (best_d<d>): n_heads > 0, and model,
     * head name the store index and classification head; n_heads is how many heads the model
     * was built with. n_heads = 0: no such record (then nothing is written or was read). */
    int64_t  model, head, n_heads;
} hrkd_run_state;

/* Create PATH (replacing any file there) and write the initial file atomically. */
hrkd_status hrkd_run_create(const char *path, const hrkd_run_meta *meta, hrkd_run **out,
                            hrkd_error *err);
/* Open an existing run for resuming or reading: metadata and logs come into memory (logs
 * after the /checkpoint step are dropped, see results/README.md); appends and checkpoints
 * continue as after create. */
hrkd_status hrkd_run_open(const char *path, hrkd_run **out, hrkd_error *err);
const char *hrkd_run_ini_text(const hrkd_run *run);
/* A resumed run whose configuration was changed (--extend): the new effective configuration
 * replaces /config at the next write, and each change ("step N: [section] key: old -> new") is
 * added to the root attribute config_changes. */
hrkd_status hrkd_run_set_config(hrkd_run *run, const char *ini_text, const char *const *changes, int n,
                                hrkd_error *err);
const char *hrkd_run_path(const hrkd_run *run);
int hrkd_run_has_group(const hrkd_run *run, const char *group); /* checkpoint group present */

/* domain: [M+1][D]; hier: NULL, or M+1 pointers, hier[m] → [D][m+1] */
hrkd_status hrkd_run_append_ratios(hrkd_run *run, int64_t step, const float *domain,
                                   const float *const *hier, hrkd_error *err);
/* The training rows of the last appended ratio row's step: rows [D][B] (row r of domain d's
 * training split as the loader numbers it, −1 for no row: a shorter last batch, a domain without
 * a batch). B is fixed by the first call; ratio rows appended without examples read −1. */
hrkd_status hrkd_run_set_examples(hrkd_run *run, const int64_t *rows, int64_t B, hrkd_error *err);
/* losses: [n_loss_terms][D] */
hrkd_status hrkd_run_append_losses(hrkd_run *run, int64_t step, const float *losses,
                                   hrkd_error *err);
/* values: [D][n_metrics]; split: [A-Za-z0-9_]+ ("dev", "test") */
hrkd_status hrkd_run_append_metrics(hrkd_run *run, const char *split, int64_t step,
                                    const double *values, hrkd_error *err);

/* Rewrite the run file atomically (PATH.tmp, fsync, rename) with the logs so far and group
 * "/<group>" (e.g. "checkpoint", "best") holding every parameter of every store (values, and
 * AdamW moments when the store has them, under adam_m/ and adam_v/) plus the state. Other
 * checkpoint groups already in the file are carried over unchanged. */
hrkd_status hrkd_run_checkpoint(hrkd_run *run, const char *group, hrkd_params *const *stores,
                                int n_stores, const hrkd_run_state *st, hrkd_error *err);
/* The same without the AdamW moments (has_moments = 0): for the best-model groups (`best`,
 * `best_d<d>`), which are evaluated and distilled from but never resumed, at a third of the
 * size. Loading one leaves a store's moments as they were. */
hrkd_status hrkd_run_snapshot(hrkd_run *run, const char *group, hrkd_params *const *stores,
                              int n_stores, const hrkd_run_state *st, hrkd_error *err);
/* Read group into stores (matched by model name, then parameter name; shapes must agree;
 * moments read when the store has them) and its state (st may be NULL). At log level debug
 * each store read is a line "PATH: read /GROUP/MODEL: N parameters" (", with AdamW moments"
 * when they were read). */
hrkd_status hrkd_run_load_checkpoint(hrkd_run *run, const char *group,
                                     hrkd_params *const *stores, int n_stores,
                                     hrkd_run_state *st, hrkd_error *err);
/* *same = 1 when group's copy of store p's model holds exactly p's values (every parameter bit
 * for bit), else 0; moments are not read. One parameter is in memory at a time. */
hrkd_status hrkd_run_checkpoint_same(hrkd_run *run, const char *group, hrkd_params *p, int *same,
                                     hrkd_error *err);
/* A case-study file (`hrkd case --out`, layout in results/README.md): n cases of one example
 * per domain. labels / pred / rows [n][D] (names from label_names, "<id>" past them); text
 * [n][D]; ratios [n][M+1][D]; hier per case D·(M+1)(M+2)/2 floats, layer m's [D][m+1] block at
 * D·m(m+1)/2. Written to PATH.tmp and renamed into place (whatever is at path is replaced:
 * the caller decides whether it may be). */
typedef struct hrkd_case_file {
    const char *path, *run_file, *group;
    int n, D, M, num_labels;
    const char *const *domains, *const *label_names, *const *text;
    const int32_t *labels, *pred;
    const int64_t *rows;
    const float *ratios, *hier;
} hrkd_case_file;
hrkd_status hrkd_case_file_write(const hrkd_case_file *cf, hrkd_error *err);

/* Rewrite with the logs so far (checkpoint groups carried over). */
hrkd_status hrkd_run_flush(hrkd_run *run, hrkd_error *err);
/* Rewrite without /checkpoint (the resume state: parameters with their AdamW moments), for a
 * finished run (`hrkd prune`): the other groups, logs and metrics stay, and the root attribute
 * pruned_checkpoint_step records the step it held. INVALID when there is no /checkpoint. */
hrkd_status hrkd_run_drop_checkpoint(hrkd_run *run, hrkd_error *err);
/* Flush and free (run may be NULL). */
hrkd_status hrkd_run_close(hrkd_run *run, hrkd_error *err);
/* Free without writing (after an error, or a read-only use). */
void hrkd_run_free(hrkd_run *run);

/* Number of rows logged so far (for tests and inspect). */
int64_t hrkd_run_n_ratio_rows(const hrkd_run *run);
int64_t hrkd_run_n_loss_rows(const hrkd_run *run);

/* Read-only view of everything in memory (pointers valid until the next append / free). */
#define HRKD_RUN_MAX_SPLITS 16
typedef struct hrkd_run_view {
    const char *version, *backend, *start_time, *host;
    const char *backend_detail;              /* "" in files written before it was recorded */
    const char *data_splits;                 /* the split rule; "" in files written before it */
    int         threads;
    uint64_t    seed;
    int         D, M, N, T, K;
    const char *const *domains, *const *loss_terms, *const *metric_names;
    const int  *layer_map;                   /* M+1 */
    int64_t     n_ratio;
    const int64_t *ratio_step;
    const float   *ratio_domain;             /* [n_ratio][M+1][D] */
    const int64_t *ratio_examples;           /* [n_ratio][D][B_examples] training rows, −1 none;
                                              * NULL: not recorded (format version 1) */
    int64_t     B_examples;
    int64_t     n_loss;
    const int64_t *loss_step;
    const float   *loss_vals;                /* [n_loss][T][D] */
    int         n_split;
    const char *split_name[HRKD_RUN_MAX_SPLITS];
    int64_t     split_rows[HRKD_RUN_MAX_SPLITS];
    const int64_t *split_step[HRKD_RUN_MAX_SPLITS];
    const double  *split_vals[HRKD_RUN_MAX_SPLITS]; /* [rows][D][K] */
    const char *const *groups;               /* checkpoint groups in the file */
    int         n_groups;
    int64_t     ckpt_step;                   /* /checkpoint/state/step, −1 without one */
    int64_t     pruned_step;                 /* the step of the /checkpoint `hrkd prune` dropped, −1 */
    int         n_labels;                    /* 0: the file records no label names (older files) */
    const char *const *label_names;
} hrkd_run_view;
void hrkd_run_get_view(const hrkd_run *run, hrkd_run_view *v);

/* `hrkd inspect FILE.h5 [--config]` (host/cli/cmd_inspect.c): the run file's summary on stdout
 * (inspect.c), with the whole configuration when with_config. Returns the exit code. */
int hrkd_inspect(const char *path, int with_config);
/* `hrkd prune FILE.h5... [--dry-run]` (host/cli/cmd_prune.c): drop /checkpoint from each
 * finished run file (prune.c), one line per file on stdout. Returns the exit code: 0, 1 when
 * a file could not be read or rewritten, 2 when one was refused (not finished, or in use by a
 * run); the other files are still pruned. */
int hrkd_prune(const char *const *paths, int n, int dry_run);

#endif /* HRKD_STORE_STORE_H */
