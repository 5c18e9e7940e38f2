/* host/store/runfile.h — what the files of the HDF5 run file share: the run in memory (struct
 * hrkd_run), the checked HDF5 calls (H5OK, a sticky h5c context) and the names a run file may
 * hold. runfile.c holds these; runfile_write.c writes a run file whole, runfile_read.c reads
 * one back, runfile_probe.c reads it first in a forked child (hrkd_run_open). Nothing here is
 * part of libhrkd's interface: the names stay hidden inside it. */
#ifndef HRKD_STORE_RUNFILE_H
#define HRKD_STORE_RUNFILE_H

#include "store/store.h"

#define H5_USE_110_API /* the same calls on libhdf5 1.10 (Debian) and 1.12+ */
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define RUN_FORMAT_VERSION 2 /* 2: /ratios/examples; version 1 files are read as they are */
#define RUN_MAX_ROWS ((int64_t)1 << 31)
#define RUN_CHUNK_ROWS 256
#define RUN_MAX_SPLITS HRKD_RUN_MAX_SPLITS

typedef struct vec {
    char  *p;
    size_t n, cap; /* bytes */
} vec;

/* append bytes to v: 1, or 0 when out of memory */
int vec_push(vec *v, const void *src, size_t bytes);
/* n entries of −1 (examples of rows that have none) */
int push_none(vec *v, int64_t n);

typedef struct run_split {
    char   *name;
    int64_t rows;
    vec     step;  /* int64 */
    vec     vals;  /* double [rows][D][K] */
} run_split;

struct hrkd_run {
    char   *path;
    /* metadata */
    char   *ini, *backend, *backend_detail, *start_time, *host, *version;
    char   *data_splits;
    int     threads;
    uint64_t seed;
    int     D, M, N, T, K;
    char  **domains, **loss_terms, **metric_names;
    int    *layer_map; /* M+1 */
    char  **cfg_changes; /* "step N: [section] key: old -> new" per change made on resuming */
    int     n_cfg_changes;
    /* logs */
    int64_t n_ratio, n_loss;
    int     has_hier;  /* -1: not decided yet */
    vec     ratio_step, ratio_domain, *ratio_hier; /* hier: M+1 vecs */
    vec     ratio_ex;  /* [n_ratio][D][ex_B] training rows of each logged step, −1 none */
    int64_t ex_B;      /* 0: no examples recorded */
    vec     loss_step, loss_vals;
    run_split split[RUN_MAX_SPLITS];
    int     n_split;
    /* checkpoint groups in the file */
    char  **groups;
    int     n_groups;
    int64_t ckpt_step;  /* /checkpoint/state/step or −1 */
    int64_t pruned_step; /* the step of the /checkpoint `hrkd prune` dropped, or −1 */
    char  **label_names; /* NULL: not recorded (files written before label names were kept) */
    int     n_labels;
};

/* ---- HDF5 error plumbing ---- */
/* sticky context: after the first failure every helper is a no-op */
typedef struct h5c {
    const char *path;
    hrkd_error *err;
    hrkd_status st;
} h5c;

/* record an HDF5 failure at file:line (HDF5's error stack in the message); returns 1 */
int h5_failed(h5c *c, const char *file, int line, const char *what);
int h5_check(h5c *c, long long rv, const char *file, int line, const char *what);

/* Check an HDF5 return (hid_t or herr_t): negative → record file:line and give 0. After a
 * failure the call is skipped altogether (sticky, like hrkd_ctx errors). */
#define H5OK(c, call) h5_check((c), (c)->st == HRKD_STATUS_OK ? (long long)(call) : -1LL, __FILE__, __LINE__, #call)

/* set once a close has failed: the exit cleanup then skips H5close (see runfile.c) */
extern int h5_close_failed;
/* before HDF5's first use at every entry point: the exit cleanup installed, HDF5's own error
 * printing off */
void h5_quiet(void);
/* c's first failure (later ones are dropped): "PATH: " + fmt filled with a and b */
hrkd_status c_fail(h5c *c, hrkd_status st, const char *fmt, const char *a, long long b);
/* close any HDF5 id (negative: nothing) */
void h5_close(hid_t id);

/* Strings are fixed-length, NUL-terminated UTF-8: reading them back never touches HDF5's
 * global heap (variable-length data), whose decoding of a corrupted file is not robust in
 * libhdf5 1.10 (found by tests/fuzz/fuzz_h5.c). h5py reads them as bytes. */
#define RUN_MAX_STR (16u << 20)

/* a fixed-length, NUL-terminated UTF-8 string type of size bytes (−1: failed) */
hid_t str_type(size_t size);

/* ---- names ---- */
/* the datasets of the logs and the configuration, never a checkpoint group */
int is_log_name(const char *name);
/* a domain, split or group name: [A-Za-z0-9_]+, at most 64 */
int name_ok(const char *s);
/* note a checkpoint group as present in the file */
void add_group_name(hrkd_run *r, const char *name);
/* the metrics split called name, added when new (NULL: no room or no memory) */
run_split *get_split(hrkd_run *r, const char *name);

/* ---- lifetime ---- */
void free_strs(char **s, int n);
/* the arrays sized by the metadata (after D, M and the names are set) */
hrkd_status run_alloc_common(hrkd_run *r, hrkd_error *err);

/* read the run file at path into memory, in this process (runfile_read.c) */
hrkd_status run_open_inner(const char *path, hrkd_run **out, hrkd_error *err);

#pragma GCC visibility pop

#endif
