/* host/store/runfile.c — the HDF5 run file: configuration, metadata, logs and checkpoints of
 * one run (layout: results/README.md).
 *
 * Crash safety by construction: the file on disk is only ever replaced whole. Logs (ratios,
 * losses, metrics) accumulate in memory; a checkpoint or flush writes a complete new file to
 * PATH.tmp (logs, metadata, the fresh checkpoint group, every other checkpoint group copied
 * from the current file with H5Ocopy), fsyncs it, renames it over PATH and fsyncs the folder.
 * A SIGKILL at any moment therefore leaves either the previous file or the new one, never a
 * mixture. Log datasets are chunked with an unlimited first dimension so h5py users (and
 * tools) can extend them.
 *
 * Every HDF5 call goes through a check that records file and line; HDF5's own error printing
 * is switched off and its error stack is turned into one hrkd_error message. Files read back
 * are validated (types, ranks, sizes against the metadata) before anything is allocated.
 * libhdf5 itself can crash on crafted or damaged files (tests/fuzz/fuzz_h5.c found
 * use-after-free reads inside the 1.10 library), so hrkd_run_open first reads the file in a
 * forked child: a child that dies turns into a refusal instead of a crash of hrkd.
 */
#include "store/store.h"

#define H5_USE_110_API /* the same calls on libhdf5 1.10 (Debian) and 1.12+ */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/path.h"
#include "hrkd/hrkd.h"

#define RUN_FORMAT_VERSION 2 /* 2: /ratios/examples; version 1 files are read as they are */
#define RUN_MAX_ROWS ((int64_t)1 << 31)
#define RUN_CHUNK_ROWS 256
#define RUN_MAX_SPLITS HRKD_RUN_MAX_SPLITS

typedef struct vec {
    char  *p;
    size_t n, cap; /* bytes */
} vec;

static int vec_push(vec *v, const void *src, size_t bytes)
{
    if (v->n + bytes > v->cap) {
        size_t nc = v->cap ? v->cap : 1024;
        while (nc < v->n + bytes) nc *= 2;
        char *np = realloc(v->p, nc);
        if (!np) return 0;
        v->p = np;
        v->cap = nc;
    }
    if (bytes) memcpy(v->p + v->n, src, bytes);
    v->n += bytes;
    return 1;
}

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
    char  **label_names; /* NULL: not recorded (files written before label names were kept) */
    int     n_labels;
};

/* ---- HDF5 error plumbing ------------------------------------------------------------- */
typedef struct h5_walk {
    char api[256], detail[256];
} h5_walk;

static herr_t h5_walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    h5_walk *w = data;
    if (n == 0) snprintf(w->detail, sizeof w->detail, "%s", e->desc ? e->desc : "");
    snprintf(w->api, sizeof w->api, "%s: %s", e->func_name ? e->func_name : "?", e->desc ? e->desc : "");
    return 0;
}

/* sticky context: after the first failure every helper is a no-op */
typedef struct h5c {
    const char *path;
    hrkd_error *err;
    hrkd_status st;
} h5c;

static int h5_failed(h5c *c, const char *file, int line, const char *what)
{
    if (c->st != HRKD_STATUS_OK) return 1;
    h5_walk w = {"", ""};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_walk_cb, &w);
    H5Eclear2(H5E_DEFAULT);
    /* a failed write's detail is a multi-line dump of the low-level call; keep its system
     * message ("No space left on device", "File too large") when it has one */
    const char *em = strstr(w.detail, "error message = '");
    if (em) {
        em += strlen("error message = '");
        const char *q = strchr(em, '\'');
        memmove(w.detail, em, q ? (size_t)(q - em) : strlen(em));
        w.detail[q ? (size_t)(q - em) : strlen(em)] = '\0';
    }
    for (char *p = w.detail; *p; p++)
        if (*p == '\n') *p = ' ';
    c->st = hrkd_error_set(c->err, HRKD_STATUS_IO, "%s: HDF5: %s (%s) [%s:%d %s]", c->path,
                           w.api[0] ? w.api : "error", w.detail, file, line, what);
    return 1;
}

static int h5_check(h5c *c, long long rv, const char *file, int line, const char *what)
{
    if (c->st != HRKD_STATUS_OK) return 0;
    if (rv < 0) {
        h5_failed(c, file, line, what);
        return 0;
    }
    return 1;
}

/* Check an HDF5 return (hid_t or herr_t): negative → record file:line and give 0. After a
 * failure the call is skipped altogether (sticky, like hrkd_ctx errors). */
#define H5OK(c, call) h5_check((c), (c)->st == HRKD_STATUS_OK ? (long long)(call) : -1LL, __FILE__, __LINE__, #call)

/* HDF5 closes the files still open at exit from a handler it installs at its first use. After
 * a write fails (disk full, file size limit), H5Fclose fails too and leaves behind a file that
 * this handler then crashes on (HDF5 1.10: SIGSEGV in H5F__close_cb), turning a clean error
 * exit into a segfault. So the run file installs the exit cleanup itself, before HDF5's first
 * use (every entry point here starts with h5_quiet), and skips it once a close has failed:
 * the process is ending and the half-written PATH.tmp is already unlinked. */
static int h5_close_failed;
static void h5_at_exit(void)
{
    if (!h5_close_failed) H5close();
}

static void h5_quiet(void)
{
    static int installed;
    if (!installed) {
        installed = 1;
        if (H5dont_atexit() >= 0) atexit(h5_at_exit);
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static hrkd_status c_fail(h5c *c, hrkd_status st, const char *fmt, const char *a, long long b)
{
    if (c->st != HRKD_STATUS_OK) return c->st;
    char msg[600];
    snprintf(msg, sizeof msg, fmt, a, b);
    c->st = hrkd_error_set(c->err, st, "%s: %s", c->path, msg);
    return c->st;
}

static void h5_close(hid_t id)
{
    if (id < 0) return;
    switch (H5Iget_type(id)) {
    case H5I_FILE: H5Fclose(id); break;
    case H5I_GROUP: H5Gclose(id); break;
    case H5I_DATASET: H5Dclose(id); break;
    case H5I_DATASPACE: H5Sclose(id); break;
    case H5I_DATATYPE: H5Tclose(id); break;
    case H5I_ATTR: H5Aclose(id); break;
    case H5I_GENPROP_LST: H5Pclose(id); break;
    default: break;
    }
}

/* Strings are fixed-length, NUL-terminated UTF-8: reading them back never touches HDF5's
 * global heap (variable-length data), whose decoding of a corrupted file is not robust in
 * libhdf5 1.10 (found by tests/fuzz/fuzz_h5.c). h5py reads them as bytes. */
#define RUN_MAX_STR (16u << 20)

static hid_t str_type(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, size ? size : 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
                   H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        t = -1;
    }
    return t;
}

/* ---- writing ----------------------------------------------------------------------------- */
static void w_attr(h5c *c, hid_t loc, const char *name, hid_t mtype, int n, const void *data)
{
    hid_t sp = -1, a = -1;
    hsize_t dim = (hsize_t)n;
    if (H5OK(c, sp = (n < 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL))) &&
        H5OK(c, a = H5Acreate2(loc, name, mtype, sp, H5P_DEFAULT, H5P_DEFAULT)))
        H5OK(c, H5Awrite(a, mtype, data));
    h5_close(a);
    h5_close(sp);
}

static void w_attr_str(h5c *c, hid_t loc, const char *name, const char *s)
{
    const char *v = s ? s : "";
    hid_t t = str_type(strlen(v) + 1);
    if (H5OK(c, t)) w_attr(c, loc, name, t, -1, v);
    h5_close(t);
}

static void w_attr_strs(h5c *c, hid_t loc, const char *name, char *const *s, int n)
{
    size_t w = 1;
    for (int i = 0; i < n; i++)
        if (strlen(s[i]) + 1 > w) w = strlen(s[i]) + 1;
    char *buf = calloc(n > 0 ? (size_t)n : 1, w);
    if (!buf) {
        c_fail(c, HRKD_STATUS_NOMEM, "%sout of memory%.0lld", "", 0);
        return;
    }
    for (int i = 0; i < n; i++) memcpy(buf + (size_t)i * w, s[i], strlen(s[i]));
    hid_t t = str_type(w);
    if (H5OK(c, t)) w_attr(c, loc, name, t, n, buf);
    h5_close(t);
    free(buf);
}

static void w_attr_i64(h5c *c, hid_t loc, const char *name, int64_t v) { w_attr(c, loc, name, H5T_NATIVE_INT64, -1, &v); }

/* dataset at path (intermediate groups created); chunked: first dim unlimited */
static void w_data(h5c *c, hid_t file, const char *path, hid_t mtype, hid_t ftype, int rank,
                   const hsize_t *dims, const void *data, int chunked)
{
    hid_t sp = -1, lcpl = -1, dcpl = -1, d = -1;
    hsize_t maxd[8], chunk[8];
    for (int k = 0; k < rank; k++) {
        maxd[k] = dims[k];
        chunk[k] = dims[k] ? dims[k] : 1;
    }
    if (chunked) {
        maxd[0] = H5S_UNLIMITED;
        chunk[0] = RUN_CHUNK_ROWS;
    }
    if (H5OK(c, sp = H5Screate_simple(rank, dims, maxd)) && H5OK(c, lcpl = H5Pcreate(H5P_LINK_CREATE)) &&
        H5OK(c, H5Pset_create_intermediate_group(lcpl, 1)) && H5OK(c, dcpl = H5Pcreate(H5P_DATASET_CREATE)) &&
        (!chunked || H5OK(c, H5Pset_chunk(dcpl, rank, chunk))) &&
        H5OK(c, d = H5Dcreate2(file, path, ftype, sp, lcpl, dcpl, H5P_DEFAULT))) {
        int64_t n = 1;
        for (int k = 0; k < rank; k++) n *= (int64_t)dims[k];
        if (n > 0) H5OK(c, H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
    }
    h5_close(d);
    h5_close(dcpl);
    h5_close(lcpl);
    h5_close(sp);
}

static hid_t w_group(h5c *c, hid_t file, const char *path)
{
    hid_t lcpl = -1, g = -1;
    if (H5OK(c, lcpl = H5Pcreate(H5P_LINK_CREATE)) && H5OK(c, H5Pset_create_intermediate_group(lcpl, 1)))
        H5OK(c, g = H5Gcreate2(file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT));
    h5_close(lcpl);
    return c->st == HRKD_STATUS_OK ? g : -1;
}

static int is_log_name(const char *name)
{
    return strcmp(name, "config") == 0 || strcmp(name, "ratios") == 0 || strcmp(name, "losses") == 0 ||
           strcmp(name, "metrics") == 0;
}

/* n entries of −1 (examples of rows that have none) */
static int push_none(vec *v, int64_t n)
{
    const int64_t none = -1;
    for (int64_t i = 0; i < n; i++)
        if (!vec_push(v, &none, sizeof none)) return 0;
    return 1;
}

static void write_meta_and_logs(h5c *c, hrkd_run *r, hid_t f)
{
    w_attr_str(c, f, "format", "hrkd-run");
    w_attr_i64(c, f, "format_version", RUN_FORMAT_VERSION);
    w_attr_str(c, f, "hrkd_version", r->version);
    w_attr_str(c, f, "backend", r->backend);
    w_attr_str(c, f, "backend_detail", r->backend_detail);
    if (r->data_splits && r->data_splits[0]) w_attr_str(c, f, "data_splits", r->data_splits); /* optional */
    w_attr_i64(c, f, "threads", r->threads);
    w_attr(c, f, "seed", H5T_NATIVE_UINT64, -1, &r->seed);
    w_attr_str(c, f, "start_time", r->start_time);
    w_attr_str(c, f, "host", r->host);
    w_attr_strs(c, f, "domains", r->domains, r->D);
    w_attr_i64(c, f, "student_layers", r->M);
    w_attr_i64(c, f, "teacher_layers", r->N);
    w_attr(c, f, "layer_map", H5T_NATIVE_INT, r->M + 1, r->layer_map);
    w_attr_strs(c, f, "loss_terms", r->loss_terms, r->T);
    w_attr_strs(c, f, "metric_names", r->metric_names, r->K);
    if (r->n_labels > 0) w_attr_strs(c, f, "label_names", r->label_names, r->n_labels);
    if (r->n_cfg_changes > 0) w_attr_strs(c, f, "config_changes", r->cfg_changes, r->n_cfg_changes);

    const char *ini = r->ini ? r->ini : "";
    hid_t t = str_type(strlen(ini) + 1);
    hid_t sp = H5Screate(H5S_SCALAR), d = -1;
    if (H5OK(c, t) && H5OK(c, sp) && H5OK(c, d = H5Dcreate2(f, "config", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)))
        H5OK(c, H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, ini));
    h5_close(d);
    h5_close(sp);
    h5_close(t);

    hsize_t dims[3] = {(hsize_t)r->n_ratio, (hsize_t)r->M + 1, (hsize_t)r->D};
    w_data(c, f, "ratios/step", H5T_NATIVE_INT64, H5T_STD_I64LE, 1, dims, r->ratio_step.p, 1);
    w_data(c, f, "ratios/domain", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 3, dims, r->ratio_domain.p, 1);
    if (r->has_hier == 1)
        for (int m = 0; m <= r->M; m++) {
            char name[64];
            snprintf(name, sizeof name, "ratios/hierarchical/layer_%d", m);
            hsize_t hd[3] = {(hsize_t)r->n_ratio, (hsize_t)r->D, (hsize_t)m + 1};
            w_data(c, f, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 3, hd, r->ratio_hier[m].p, 1);
        }
    if (r->ex_B > 0) { /* rows appended without examples read −1 */
        const int64_t per_row = (int64_t)r->D * r->ex_B, have = (int64_t)(r->ratio_ex.n / sizeof(int64_t));
        if (have < r->n_ratio * per_row && !push_none(&r->ratio_ex, r->n_ratio * per_row - have))
            c_fail(c, HRKD_STATUS_NOMEM, "out of memory%.0s%lld", "", 0);
        hsize_t ed[3] = {(hsize_t)r->n_ratio, (hsize_t)r->D, (hsize_t)r->ex_B};
        w_data(c, f, "ratios/examples", H5T_NATIVE_INT64, H5T_STD_I64LE, 3, ed, r->ratio_ex.p, 1);
    }
    hsize_t ld[3] = {(hsize_t)r->n_loss, (hsize_t)r->T, (hsize_t)r->D};
    w_data(c, f, "losses/step", H5T_NATIVE_INT64, H5T_STD_I64LE, 1, ld, r->loss_step.p, 1);
    w_data(c, f, "losses/values", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 3, ld, r->loss_vals.p, 1);
    hid_t g = -1;
    if (H5OK(c, g = w_group(c, f, "metrics"))) w_attr_strs(c, g, "columns", r->metric_names, r->K);
    h5_close(g);
    for (int s = 0; s < r->n_split; s++) {
        run_split *sp2 = &r->split[s];
        char name[300];
        snprintf(name, sizeof name, "metrics/%s/step", sp2->name);
        hsize_t md[2] = {(hsize_t)sp2->rows, (hsize_t)r->K};
        w_data(c, f, name, H5T_NATIVE_INT64, H5T_STD_I64LE, 1, md, sp2->step.p, 1);
        /* per domain [rows, K]: gather from [rows][D][K] */
        double *col = malloc((size_t)(sp2->rows ? sp2->rows : 1) * (size_t)r->K * sizeof *col);
        if (!col) {
            c_fail(c, HRKD_STATUS_NOMEM, "%sout of memory%.0lld", "", 0);
            return;
        }
        const double *vals = (const double *)sp2->vals.p;
        for (int dd = 0; dd < r->D; dd++) {
            for (int64_t i = 0; i < sp2->rows; i++)
                for (int k = 0; k < r->K; k++) col[i * r->K + k] = vals[(i * r->D + dd) * r->K + k];
            snprintf(name, sizeof name, "metrics/%s/%s", sp2->name, r->domains[dd]);
            w_data(c, f, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 2, md, col, 1);
        }
        free(col);
    }
}

static void write_group(h5c *c, hid_t f, const char *group, hrkd_params *const *stores, int n,
                        int moments, const hrkd_run_state *st)
{
    char path[1200];
    hid_t g = w_group(c, f, group);
    h5_close(g);
    for (int s = 0; s < n && c->st == HRKD_STATUS_OK; s++) {
        hrkd_params *p = stores[s];
        const char *model = hrkd_params_model_name(p);
        const hrkd_kernels *k = hrkd_backend_kernels(hrkd_params_backend(p));
        const float *mom[2] = {moments ? hrkd_params_m(p) : NULL, moments ? hrkd_params_v(p) : NULL};
        int64_t maxn = 1;
        for (int i = 0; i < hrkd_params_count(p); i++)
            if (hrkd_params_info(p, i)->numel > maxn) maxn = hrkd_params_info(p, i)->numel;
        float *buf = malloc((size_t)maxn * sizeof *buf);
        if (!buf) {
            c_fail(c, HRKD_STATUS_NOMEM, "cannot allocate %s%lld floats", "", (long long)maxn);
            return;
        }
        snprintf(path, sizeof path, "%s/%s", group, model);
        g = w_group(c, f, path);
        if (g >= 0) {
            w_attr_i64(c, g, "n_params", hrkd_params_count(p));
            w_attr_i64(c, g, "has_moments", mom[0] && mom[1]);
        }
        h5_close(g);
        for (int i = 0; i < hrkd_params_count(p) && c->st == HRKD_STATUS_OK; i++) {
            const hrkd_param_info *pi = hrkd_params_info(p, i);
            hsize_t dims[HRKD_MAX_DIMS];
            for (int d = 0; d < pi->ndim; d++) dims[d] = (hsize_t)pi->shape[d];
            for (int which = 0; which < 3; which++) {
                if (which == 0) {
                    hrkd_params_read(p, i, buf);
                    snprintf(path, sizeof path, "%s/%s/%s", group, model, pi->name);
                } else {
                    if (!mom[0] || !mom[1]) break;
                    k->copy_d2h(buf, mom[which - 1] + pi->offset, (size_t)pi->numel * sizeof(float));
                    snprintf(path, sizeof path, "%s/%s/%s/%s", group, model, which == 1 ? "adam_m" : "adam_v",
                             pi->name);
                }
                w_data(c, f, path, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, pi->ndim, dims, buf, 0);
            }
        }
        free(buf);
    }
    if (st) {
        hsize_t one = 1;
        struct { const char *name; hid_t t; const void *v; } sc[] = {
            {"step", H5T_NATIVE_INT64, &st->step},
            {"epoch", H5T_NATIVE_INT64, &st->epoch},
            {"rng_seed", H5T_NATIVE_UINT64, &st->rng_seed},
            {"rng_counter", H5T_NATIVE_UINT64, &st->rng_counter},
        };
        for (size_t q = 0; q < sizeof sc / sizeof sc[0]; q++) {
            snprintf(path, sizeof path, "%s/state/%s", group, sc[q].name);
            w_data(c, f, path, sc[q].t, sc[q].t == H5T_NATIVE_INT64 ? H5T_STD_I64LE : H5T_STD_U64LE, 1, &one,
                   sc[q].v, 0);
        }
        hsize_t nl = (hsize_t)(st->n_loader > 0 ? st->n_loader : 0), nb = (hsize_t)(st->n_best > 0 ? st->n_best : 0);
        snprintf(path, sizeof path, "%s/state/loader", group);
        w_data(c, f, path, H5T_NATIVE_INT64, H5T_STD_I64LE, 1, &nl, st->loader, 0);
        snprintf(path, sizeof path, "%s/state/best", group);
        w_data(c, f, path, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &nb, st->best, 0);
        const struct { const char *name; const int64_t *v; } route[] = {
            {"model", &st->model}, {"head", &st->head}, {"n_heads", &st->n_heads}};
        for (size_t q = 0; q < 3 && st->n_heads > 0; q++) {
            snprintf(path, sizeof path, "%s/state/%s", group, route[q].name);
            w_data(c, f, path, H5T_NATIVE_INT64, H5T_STD_I64LE, 1, &one, route[q].v, 0);
        }
    }
}

typedef struct carry_ctx {
    h5c        *c;
    hid_t       dst;
    const char *skip;
    hrkd_run   *r;
} carry_ctx;

static herr_t carry_cb(hid_t src, const char *name, const H5L_info_t *info, void *data)
{
    carry_ctx *cc = data;
    if (is_log_name(name) || (cc->skip && strcmp(name, cc->skip) == 0)) return 0;
    if (!H5OK(cc->c, H5Ocopy(src, name, cc->dst, name, H5P_DEFAULT, H5P_DEFAULT))) return -1;
    return 0;
}

static void fsync_path(const char *path, int dir)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

static void add_group_name(hrkd_run *r, const char *name)
{
    for (int i = 0; i < r->n_groups; i++)
        if (strcmp(r->groups[i], name) == 0) return;
    char **ng = realloc(r->groups, (size_t)(r->n_groups + 1) * sizeof *ng);
    if (!ng) return;
    r->groups = ng;
    if ((ng[r->n_groups] = strdup(name))) r->n_groups++;
}

/* Bytes free (for this user) in the folder holding path; −1 when unknown. */
static double free_beside(const char *path)
{
    char *dcopy = strdup(path);
    struct statvfs sv;
    double b = dcopy && statvfs(dirname(dcopy), &sv) == 0 ? (double)sv.f_bavail * (double)sv.f_frsize : -1;
    free(dcopy);
    return b;
}

/* After a failed rewrite: say that PATH itself was not touched, and how much room is left
 * beside it (the usual cause is a full disk), at the end of err's message. */
static void note_unchanged(const char *path, hrkd_error *err)
{
    if (!err) return;
    size_t n = strlen(err->msg);
    double b = free_beside(path);
    char room[96] = "";
    if (b >= 0) snprintf(room, sizeof room, "; %.0f MB free there", b / 1e6);
    snprintf(err->msg + n, sizeof err->msg - n, " -- %s %s%s", path,
             access(path, F_OK) == 0 ? "is unchanged (the last complete write)" : "was not written", room);
}

/* Refuse a rewrite that cannot fit before HDF5 writes anything: HDF5 1.10 handles a write
 * failing half-way badly (a failed H5Ocopy of a carried group can crash), and a full disk is
 * the usual reason a long run's checkpoint fails. The estimate is an upper bound: the current
 * file (carried groups and old logs), the new group's data unless it replaces one of the same
 * name, the logs in memory, and 256 KB plus 2 KB a dataset for HDF5's own metadata. A disk
 * that fills up during the write is still reported as an error (see h5_quiet), only with
 * HDF5's message. */
static hrkd_status check_room(const hrkd_run *r, const char *group, hrkd_params *const *stores, int n,
                              int moments, int carry, hrkd_error *err)
{
    double need = 256 << 10;
    struct stat sb;
    if (carry && stat(r->path, &sb) == 0) need += (double)sb.st_size;
    /* a group the file already holds is replaced by one of the same size: counted once */
    for (int s = 0; s < n && !(carry && hrkd_run_has_group(r, group)); s++) {
        int with_mom = moments && hrkd_params_m(stores[s]) && hrkd_params_v(stores[s]);
        need += (double)hrkd_params_numel(stores[s]) * sizeof(float) * (with_mom ? 3 : 1) +
                2048.0 * hrkd_params_count(stores[s]) * (with_mom ? 3 : 1);
    }
    need += (double)(r->ratio_step.n + r->ratio_domain.n + r->ratio_ex.n + r->loss_step.n + r->loss_vals.n);
    for (int m = 0; r->ratio_hier && m <= r->M; m++) need += (double)r->ratio_hier[m].n;
    for (int k = 0; k < r->n_split; k++) need += (double)(r->split[k].step.n + r->split[k].vals.n);
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && need > (double)rl.rlim_cur)
        return hrkd_error_set(err, HRKD_STATUS_IO,
                              "%s.tmp: cannot rewrite the run file: it needs about %.1f MB, over the file size "
                              "limit of %.1f MB (ulimit -f)", r->path, need / 1e6, (double)rl.rlim_cur / 1e6);
    double b = free_beside(r->path);
    if (b >= 0 && need > b)
        return hrkd_error_set(err, HRKD_STATUS_IO,
                              "%s.tmp: cannot rewrite the run file: it needs about %.1f MB (No space left on device)",
                              r->path, need / 1e6);
    return HRKD_STATUS_OK;
}

/* The one writer: PATH.tmp ← metadata + logs + fresh group (moments: with the AdamW moments)
 * + carried groups; then rename. */
static hrkd_status run_rewrite(hrkd_run *r, const char *group, hrkd_params *const *stores, int n,
                               int moments, const hrkd_run_state *st, int carry, hrkd_error *err)
{
    h5_quiet();
    hrkd_status room = check_room(r, group, stores, group ? n : 0, moments, carry, err);
    if (room != HRKD_STATUS_OK) {
        note_unchanged(r->path, err);
        return room;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", r->path);
    h5c c = {tmp, err, HRKD_STATUS_OK};
    hid_t f = -1, old = -1;
    /* PATH.tmp is ours (the run holds PATH's lock): a stale one, or a symlink planted there, is
     * removed, never followed, and the file is created afresh before HDF5 truncates it. */
    if (unlink(tmp) != 0 && errno != ENOENT)
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot remove the stale temporary file: %s", tmp,
                              strerror(errno));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create the temporary file: %s", tmp,
                              strerror(errno));
    close(fd);
    if (H5OK(&c, f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT))) {
        write_meta_and_logs(&c, r, f);
        if (group) write_group(&c, f, group, stores, n, moments, st);
        if (carry && c.st == HRKD_STATUS_OK) {
            h5c oc = {r->path, err, HRKD_STATUS_OK};
            if (H5OK(&oc, old = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT))) {
                carry_ctx cc = {&c, f, group, r};
                hsize_t idx = 0;
                H5OK(&c, H5Literate(old, H5_INDEX_NAME, H5_ITER_INC, &idx, carry_cb, &cc));
            }
            if (oc.st != HRKD_STATUS_OK) c.st = oc.st;
        }
    }
    h5_close(old);
    if (f >= 0 && H5Fclose(f) < 0) {
        h5_close_failed = 1;
        h5_failed(&c, __FILE__, __LINE__, "H5Fclose");
    }
    if (c.st != HRKD_STATUS_OK) {
        unlink(tmp);
        note_unchanged(r->path, err);
        return c.st;
    }
    fsync_path(tmp, 0);
    if (rename(tmp, r->path) != 0) {
        unlink(tmp);
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot rename into place: %s", r->path, strerror(errno));
    }
    char *dcopy = strdup(r->path);
    if (dcopy) {
        fsync_path(dirname(dcopy), 1);
        free(dcopy);
    }
    if (group) add_group_name(r, group);
    if (group && st && strcmp(group, "checkpoint") == 0) r->ckpt_step = st->step;
    return HRKD_STATUS_OK;
}

/* ---- lifetime ------------------------------------------------------------------------------ */
static char **dup_strs(const char *const *s, int n)
{
    char **o = calloc((size_t)(n ? n : 1), sizeof *o);
    for (int i = 0; o && i < n; i++) o[i] = strdup(s && s[i] ? s[i] : "");
    return o;
}

static void free_strs(char **s, int n)
{
    if (!s) return;
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

void hrkd_run_free(hrkd_run *r)
{
    if (!r) return;
    free(r->path);
    free(r->ini);
    free(r->backend);
    free(r->backend_detail);
    free(r->data_splits);
    free(r->start_time);
    free(r->host);
    free(r->version);
    free_strs(r->domains, r->D);
    free_strs(r->loss_terms, r->T);
    free_strs(r->metric_names, r->K);
    free_strs(r->cfg_changes, r->n_cfg_changes);
    free(r->layer_map);
    free(r->ratio_step.p);
    free(r->ratio_domain.p);
    free(r->ratio_ex.p);
    if (r->ratio_hier)
        for (int m = 0; m <= r->M; m++) free(r->ratio_hier[m].p);
    free(r->ratio_hier);
    free(r->loss_step.p);
    free(r->loss_vals.p);
    for (int s = 0; s < r->n_split; s++) {
        free(r->split[s].name);
        free(r->split[s].step.p);
        free(r->split[s].vals.p);
    }
    free_strs(r->groups, r->n_groups);
    free_strs(r->label_names, r->n_labels);
    free(r);
}

static hrkd_status run_alloc_common(hrkd_run *r, hrkd_error *err)
{
    r->ratio_hier = calloc((size_t)r->M + 1, sizeof *r->ratio_hier);
    if (!r->ratio_hier || !r->path || !r->domains || !r->loss_terms || !r->metric_names || !r->layer_map)
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_run_create(const char *path, const hrkd_run_meta *meta, hrkd_run **out, hrkd_error *err)
{
    *out = NULL;
    if (meta->n_domains < 1 || meta->n_domains > 64 || meta->student_layers < 0 || meta->student_layers > 64 ||
        meta->n_loss_terms < 0 || meta->n_metrics < 0)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: run metadata out of range (domains %d, layers %d)",
                              path, meta->n_domains, meta->student_layers);
    for (int d = 0; d < meta->n_domains; d++)
        if (!name_ok(meta->domains[d]) || is_log_name(meta->domains[d]) || strcmp(meta->domains[d], "step") == 0)
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "%s: domain name '%s' must be [A-Za-z0-9_]+ (at most 64) and not 'step'", path,
                                  meta->domains[d] ? meta->domains[d] : "(null)");
    hrkd_run *r = calloc(1, sizeof *r);
    if (!r) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    r->path = strdup(path);
    r->ini = strdup(meta->ini_text ? meta->ini_text : "");
    r->backend = strdup(meta->backend ? meta->backend : "");
    r->backend_detail = strdup(meta->backend_detail ? meta->backend_detail : "");
    r->data_splits = strdup(meta->data_splits ? meta->data_splits : "");
    r->version = strdup(HRKD_VERSION_STRING);
    r->threads = meta->threads;
    r->seed = meta->seed;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    r->host = strdup(host);
    char when[64];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    r->start_time = strdup(when);
    r->D = meta->n_domains;
    r->M = meta->student_layers;
    r->N = meta->teacher_layers;
    r->T = meta->n_loss_terms;
    static const char *const default_metric[1] = {"accuracy"};
    r->K = meta->n_metrics ? meta->n_metrics : 1;
    r->domains = dup_strs(meta->domains, r->D);
    r->loss_terms = dup_strs(meta->loss_terms, r->T);
    r->metric_names = dup_strs(meta->n_metrics ? meta->metric_names : default_metric, r->K);
    if (meta->n_labels > 0 && meta->label_names) {
        r->n_labels = meta->n_labels;
        r->label_names = dup_strs(meta->label_names, r->n_labels);
    }
    r->layer_map = calloc((size_t)r->M + 1, sizeof *r->layer_map);
    if (r->layer_map && meta->layer_map) memcpy(r->layer_map, meta->layer_map, ((size_t)r->M + 1) * sizeof(int));
    r->has_hier = -1;
    r->ckpt_step = -1;
    hrkd_status st = run_alloc_common(r, err);
    if (st == HRKD_STATUS_OK) st = run_rewrite(r, NULL, NULL, 0, 0, NULL, 0, err);
    if (st != HRKD_STATUS_OK) {
        hrkd_run_free(r);
        return st;
    }
    *out = r;
    return HRKD_STATUS_OK;
}

/* ---- appends ---------------------------------------------------------------------------- */
hrkd_status hrkd_run_append_ratios(hrkd_run *r, int64_t step, const float *domain, const float *const *hier,
                                   hrkd_error *err)
{
    if (r->has_hier == -1) r->has_hier = hier != NULL;
    if ((hier != NULL) != (r->has_hier == 1))
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: hierarchical ratios given at some steps only", r->path);
    size_t nd = (size_t)(r->M + 1) * (size_t)r->D;
    int ok = vec_push(&r->ratio_step, &step, sizeof step) && vec_push(&r->ratio_domain, domain, nd * sizeof(float));
    for (int m = 0; ok && hier && m <= r->M; m++)
        ok = vec_push(&r->ratio_hier[m], hier[m], (size_t)r->D * (size_t)(m + 1) * sizeof(float));
    if (!ok) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    r->n_ratio++;
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_run_set_examples(hrkd_run *r, const int64_t *rows, int64_t B, hrkd_error *err)
{
    if (r->n_ratio < 1) return hrkd_error_set(err, HRKD_STATUS_INTERNAL, "%s: examples before any ratio row", r->path);
    if (B < 1) return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: examples of batches of %lld rows", r->path, (long long)B);
    const int64_t per_row = (int64_t)r->D * (r->ex_B ? r->ex_B : B);
    if (!r->ex_B) { /* the first recorded row: the rows logged before it had none */
        r->ex_B = B;
        if (!push_none(&r->ratio_ex, (r->n_ratio - 1) * per_row)) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    }
    if (B != r->ex_B)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: examples of %lld rows per domain, earlier %lld",
                              r->path, (long long)B, (long long)r->ex_B);
    const int64_t have = (int64_t)(r->ratio_ex.n / sizeof(int64_t));
    if (have > (r->n_ratio - 1) * per_row)
        return hrkd_error_set(err, HRKD_STATUS_INTERNAL, "%s: examples set twice for ratio row %lld", r->path,
                              (long long)r->n_ratio - 1);
    if (!push_none(&r->ratio_ex, (r->n_ratio - 1) * per_row - have) ||
        !vec_push(&r->ratio_ex, rows, (size_t)per_row * sizeof *rows))
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_run_append_losses(hrkd_run *r, int64_t step, const float *losses, hrkd_error *err)
{
    if (!vec_push(&r->loss_step, &step, sizeof step) ||
        !vec_push(&r->loss_vals, losses, (size_t)r->T * (size_t)r->D * sizeof(float)))
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    r->n_loss++;
    return HRKD_STATUS_OK;
}

static run_split *get_split(hrkd_run *r, const char *name)
{
    for (int s = 0; s < r->n_split; s++)
        if (strcmp(r->split[s].name, name) == 0) return &r->split[s];
    if (r->n_split == RUN_MAX_SPLITS) return NULL;
    run_split *s = &r->split[r->n_split];
    memset(s, 0, sizeof *s);
    if (!(s->name = strdup(name))) return NULL;
    r->n_split++;
    return s;
}

hrkd_status hrkd_run_append_metrics(hrkd_run *r, const char *split, int64_t step, const double *values,
                                    hrkd_error *err)
{
    if (!name_ok(split) || strcmp(split, "columns") == 0)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: split name '%s' must be [A-Za-z0-9_]+", r->path,
                              split ? split : "(null)");
    run_split *s = get_split(r, split);
    if (!s) return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: more than %d splits", r->path, RUN_MAX_SPLITS);
    if (!vec_push(&s->step, &step, sizeof step) ||
        !vec_push(&s->vals, values, (size_t)r->D * (size_t)r->K * sizeof(double)))
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    s->rows++;
    return HRKD_STATUS_OK;
}

static hrkd_status checkpoint(hrkd_run *r, const char *group, hrkd_params *const *stores, int n_stores,
                              int moments, const hrkd_run_state *st, hrkd_error *err)
{
    if (!name_ok(group) || is_log_name(group))
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: checkpoint group '%s' must be [A-Za-z0-9_]+",
                              r->path, group ? group : "(null)");
    return run_rewrite(r, group, stores, n_stores, moments, st, 1, err);
}

hrkd_status hrkd_run_checkpoint(hrkd_run *r, const char *group, hrkd_params *const *stores, int n_stores,
                                const hrkd_run_state *st, hrkd_error *err)
{
    return checkpoint(r, group, stores, n_stores, 1, st, err);
}

hrkd_status hrkd_run_snapshot(hrkd_run *r, const char *group, hrkd_params *const *stores, int n_stores,
                              const hrkd_run_state *st, hrkd_error *err)
{
    return checkpoint(r, group, stores, n_stores, 0, st, err);
}

hrkd_status hrkd_run_flush(hrkd_run *r, hrkd_error *err) { return run_rewrite(r, NULL, NULL, 0, 0, NULL, 1, err); }

hrkd_status hrkd_run_close(hrkd_run *r, hrkd_error *err)
{
    if (!r) return HRKD_STATUS_OK;
    hrkd_status st = hrkd_run_flush(r, err);
    hrkd_run_free(r);
    return st;
}

const char *hrkd_run_ini_text(const hrkd_run *r) { return r->ini; }

/* ---- case-study files (`hrkd case --out`; results/README.md, "Case-study files") --------- */
/* a [n][D] dataset of fixed-length strings s[i] (NULL: "") */
static void w_strs2(h5c *c, hid_t f, const char *path, const char *const *s, int n, int D)
{
    size_t w = 1, k = (size_t)n * (size_t)D;
    for (size_t i = 0; i < k; i++)
        if (s[i] && strlen(s[i]) + 1 > w) w = strlen(s[i]) + 1;
    char *buf = calloc(k ? k : 1, w);
    hid_t t = buf ? str_type(w) : -1;
    if (!buf) c_fail(c, HRKD_STATUS_NOMEM, "%sout of memory%.0lld", "", 0);
    for (size_t i = 0; buf && i < k; i++)
        if (s[i]) memcpy(buf + i * w, s[i], strlen(s[i]));
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)D};
    if (buf && H5OK(c, t)) w_data(c, f, path, t, t, 2, dims, buf, 0);
    h5_close(t);
    free(buf);
}

hrkd_status hrkd_case_file_write(const hrkd_case_file *cf, hrkd_error *err)
{
    h5_quiet();
    const int n = cf->n, D = cf->D, M = cf->M;
    const size_t nd = (size_t)n * (size_t)D;
    char tmp[4200], lbuf[2][32];
    snprintf(tmp, sizeof tmp, "%s.tmp", cf->path);
    h5c c = {tmp, err, HRKD_STATUS_OK};
    const char **lab = calloc(nd ? nd : 1, sizeof *lab), **pred = calloc(nd ? nd : 1, sizeof *pred);
    char *names = calloc(nd ? nd : 1, 2 * sizeof lbuf[0]); /* label names the data lacks: "0", "1", ... */
    float *h = malloc(nd * (size_t)(M + 1) * sizeof *h);
    if (!lab || !pred || !names || !h) c_fail(&c, HRKD_STATUS_NOMEM, "%sout of memory%.0lld", "", 0);
    for (size_t i = 0; c.st == HRKD_STATUS_OK && i < nd; i++) {
        const int32_t l[2] = {cf->labels[i], cf->pred[i]};
        const char **out[2] = {lab, pred};
        for (int k = 0; k < 2; k++) {
            char *own = names + (i * 2 + (size_t)k) * sizeof lbuf[0];
            if (cf->label_names && l[k] >= 0 && l[k] < cf->num_labels) out[k][i] = cf->label_names[l[k]];
            else snprintf(own, sizeof lbuf[0], "%d", (int)l[k]), out[k][i] = own;
        }
    }
    const char **dom = calloc(nd ? nd : 1, sizeof *dom);
    if (!dom && c.st == HRKD_STATUS_OK) c_fail(&c, HRKD_STATUS_NOMEM, "%sout of memory%.0lld", "", 0);
    for (size_t i = 0; dom && i < nd; i++) dom[i] = cf->domains[i % (size_t)D];
    hid_t f = -1;
    if (c.st == HRKD_STATUS_OK && unlink(tmp) != 0 && errno != ENOENT)
        c_fail(&c, HRKD_STATUS_IO, "cannot replace a stale temporary file%s%.0lld", "", 0);
    if (c.st == HRKD_STATUS_OK && H5OK(&c, f = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT))) {
        w_attr_str(&c, f, "format", "hrkd-case");
        w_attr_i64(&c, f, "format_version", 1);
        w_attr_strs(&c, f, "domains", (char *const *)cf->domains, D);
        w_attr_i64(&c, f, "student_layers", M);
        w_attr_str(&c, f, "run_file", cf->run_file);
        w_attr_str(&c, f, "group", cf->group);
        w_strs2(&c, f, "examples/domain", dom, n, D);
        w_strs2(&c, f, "examples/label", lab, n, D);
        w_strs2(&c, f, "examples/text", cf->text, n, D);
        hsize_t d2[2] = {(hsize_t)n, (hsize_t)D};
        w_data(&c, f, "examples/row", H5T_NATIVE_INT64, H5T_STD_I64LE, 2, d2, cf->rows, 0);
        w_strs2(&c, f, "predictions", pred, n, D);
        hsize_t d3[3] = {(hsize_t)n, (hsize_t)M + 1, (hsize_t)D};
        w_data(&c, f, "ratios/domain", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 3, d3, cf->ratios, 0);
        const size_t H = (size_t)D * (size_t)(M + 1) * (size_t)(M + 2) / 2;
        for (int m = 0; m <= M && c.st == HRKD_STATUS_OK; m++) { /* layer m's [D][m+1] block of every case */
            const size_t at = (size_t)D * (size_t)m * (size_t)(m + 1) / 2, blk = (size_t)D * (size_t)(m + 1);
            for (int i = 0; i < n; i++) memcpy(h + (size_t)i * blk, cf->hier + (size_t)i * H + at, blk * sizeof *h);
            char name[64];
            snprintf(name, sizeof name, "ratios/hierarchical/layer_%d", m);
            hsize_t hd[3] = {(hsize_t)n, (hsize_t)D, (hsize_t)m + 1};
            w_data(&c, f, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 3, hd, h, 0);
        }
    }
    if (f >= 0 && H5Fclose(f) < 0 && c.st == HRKD_STATUS_OK) c_fail(&c, HRKD_STATUS_IO, "cannot close%s%.0lld", "", 0);
    free(lab), free(pred), free(names), free(h), free(dom);
    if (c.st == HRKD_STATUS_OK) {
        fsync_path(tmp, 0);
        if (rename(tmp, cf->path) != 0)
            return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot rename %s into place: %s", cf->path, tmp, strerror(errno));
    } else {
        unlink(tmp);
    }
    H5Eclear2(H5E_DEFAULT);
    return c.st;
}

hrkd_status hrkd_run_set_config(hrkd_run *r, const char *ini_text, const char *const *changes, int n,
                                hrkd_error *err)
{
    char *ini = strdup(ini_text);
    char **grown = realloc(r->cfg_changes, (size_t)(r->n_cfg_changes + n + 1) * sizeof *grown);
    if (!ini || !grown) {
        free(ini);
        if (grown) r->cfg_changes = grown;
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "%s: out of memory", r->path);
    }
    r->cfg_changes = grown;
    for (int i = 0; i < n; i++) {
        char *c = strdup(changes[i]);
        if (!c) { free(ini); return hrkd_error_set(err, HRKD_STATUS_NOMEM, "%s: out of memory", r->path); }
        r->cfg_changes[r->n_cfg_changes++] = c;
    }
    free(r->ini);
    r->ini = ini;
    return HRKD_STATUS_OK;
}
const char *hrkd_run_path(const hrkd_run *r) { return r->path; }
int64_t hrkd_run_n_ratio_rows(const hrkd_run *r) { return r->n_ratio; }
int64_t hrkd_run_n_loss_rows(const hrkd_run *r) { return r->n_loss; }

int hrkd_run_has_group(const hrkd_run *r, const char *group)
{
    for (int i = 0; i < r->n_groups; i++)
        if (strcmp(r->groups[i], group) == 0) return 1;
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */
/* Read n fixed-length strings (n = −1: a scalar) from an attribute or a dataset. */
static char **r_strs(h5c *c, hid_t obj, int is_attr, const char *name, int want_scalar, int *n_out)
{
    hid_t ft = -1, sp = -1, t = -1;
    char **out = NULL, *buf = NULL;
    *n_out = 0;
    if (H5OK(c, ft = is_attr ? H5Aget_type(obj) : H5Dget_type(obj)) &&
        H5OK(c, sp = is_attr ? H5Aget_space(obj) : H5Dget_space(obj))) {
        hssize_t np = H5Sget_simple_extent_npoints(sp);
        size_t w = H5Tget_size(ft);
        int nd = H5Sget_simple_extent_ndims(sp);
        if (H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) != 0 || w == 0 || w > RUN_MAX_STR ||
            np < 0 || np > 4096 || (want_scalar ? (np != 1 || nd != 0) : nd != 1) ||
            (uint64_t)np * w > RUN_MAX_STR) {
            c_fail(c, HRKD_STATUS_INVALID, "%s: expected fixed-length string(s) of a sane size%.0lld", name, 0);
        } else if (H5OK(c, t = str_type(w)) && (buf = calloc((size_t)(np ? np : 1), w)) &&
                   (out = calloc((size_t)(np ? np : 1), sizeof *out))) {
            if (np == 0 || H5OK(c, is_attr ? H5Aread(obj, t, buf) : H5Dread(obj, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf))) {
                for (hssize_t i = 0; i < np; i++) out[i] = strndup(buf + (size_t)i * w, w);
                *n_out = (int)np;
            }
        } else {
            c_fail(c, HRKD_STATUS_NOMEM, "%s: out of memory%.0lld", name, 0);
        }
    }
    free(buf);
    h5_close(t);
    h5_close(sp);
    h5_close(ft);
    if (c->st != HRKD_STATUS_OK && out) {
        for (int i = 0; i < *n_out; i++) free(out[i]);
        free(out);
        out = NULL;
        *n_out = 0;
    }
    return out;
}

static char *r_attr_str(h5c *c, hid_t loc, const char *name)
{
    hid_t a = -1;
    char *s = NULL;
    int n = 0;
    if (H5OK(c, a = H5Aopen(loc, name, H5P_DEFAULT))) {
        char **v = r_strs(c, a, 1, name, 1, &n);
        if (v) s = v[0];
        free(v);
    }
    h5_close(a);
    return s;
}

static char **r_attr_strs(h5c *c, hid_t loc, const char *name, int *n)
{
    hid_t a = -1;
    char **v = NULL;
    *n = 0;
    if (H5OK(c, a = H5Aopen(loc, name, H5P_DEFAULT))) v = r_strs(c, a, 1, name, 0, n);
    h5_close(a);
    return v;
}

/* numeric attribute with exactly n elements (n = −1: scalar) */
static void r_attr_num(h5c *c, hid_t loc, const char *name, hid_t mtype, int n, void *out)
{
    hid_t a = -1, ft = -1, sp = -1;
    if (H5OK(c, a = H5Aopen(loc, name, H5P_DEFAULT)) && H5OK(c, ft = H5Aget_type(a)) &&
        H5OK(c, sp = H5Aget_space(a))) {
        H5T_class_t cl = H5Tget_class(ft);
        if ((cl != H5T_INTEGER && cl != H5T_FLOAT) || H5Sget_simple_extent_npoints(sp) != (n < 0 ? 1 : n))
            c_fail(c, HRKD_STATUS_INVALID, "attribute %s: expected %lld numbers", name, n < 0 ? 1 : n);
        else
            H5OK(c, H5Aread(a, mtype, out));
    }
    h5_close(sp);
    h5_close(ft);
    h5_close(a);
}

/* Read dataset path of rank `rank`; dims checked against want (−1: any, returned in got).
 * Returns malloc'd data (elem bytes each) or NULL. */
static void *r_data(h5c *c, hid_t f, const char *path, hid_t mtype, size_t elem, int rank, const int64_t *want,
                    int64_t *got)
{
    hid_t d = -1, sp = -1, ft = -1;
    void *buf = NULL;
    if (H5OK(c, d = H5Dopen2(f, path, H5P_DEFAULT)) && H5OK(c, sp = H5Dget_space(d)) &&
        H5OK(c, ft = H5Dget_type(d))) {
        H5T_class_t cl = H5Tget_class(ft);
        hsize_t dims[8];
        int nd = H5Sget_simple_extent_ndims(sp);
        if ((cl != H5T_INTEGER && cl != H5T_FLOAT) || nd != rank || nd > 8 ||
            H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
            c_fail(c, HRKD_STATUS_INVALID, "%s: expected a numeric dataset of rank %lld", path, rank);
        } else {
            uint64_t n = 1;
            int ok = 1;
            for (int k = 0; k < rank; k++) {
                if (want && want[k] >= 0 && (int64_t)dims[k] != want[k]) ok = 0;
                if (dims[k] > (uint64_t)RUN_MAX_ROWS || (dims[k] && n > (uint64_t)RUN_MAX_ROWS / dims[k])) ok = 0;
                else n *= dims[k];
                if (got) got[k] = (int64_t)dims[k];
            }
            if (!ok)
                c_fail(c, HRKD_STATUS_INVALID, "%s: dimensions do not match the run's metadata%.0lld", path, 0);
            else if (!(buf = malloc((size_t)(n ? n : 1) * elem)))
                c_fail(c, HRKD_STATUS_NOMEM, "%s: cannot allocate %lld elements", path, (long long)n);
            else if (n && !H5OK(c, H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf))) {
                free(buf);
                buf = NULL;
            }
        }
    }
    h5_close(ft);
    h5_close(sp);
    h5_close(d);
    return c->st == HRKD_STATUS_OK ? buf : (free(buf), NULL);
}

static int h5_exists(hid_t f, const char *path)
{
    /* check each component: H5Lexists fails on a missing intermediate group */
    char buf[1200];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf; ; p++) {
        if (*p == '/' || *p == '\0') {
            char save = *p;
            *p = '\0';
            if (H5Lexists(f, buf, H5P_DEFAULT) <= 0) return 0;
            *p = save;
            if (!save) return 1;
        }
    }
}

static void vec_adopt(vec *v, void *p, size_t bytes)
{
    free(v->p);
    v->p = p;
    v->n = v->cap = bytes;
}

typedef struct list_ctx {
    char **names;
    int    n;
} list_ctx;

static herr_t list_cb(hid_t loc, const char *name, const H5L_info_t *info, void *data)
{
    list_ctx *l = data;
    if (l->n >= 256) return 1;
    char **nn = realloc(l->names, (size_t)(l->n + 1) * sizeof *nn);
    if (!nn) return -1;
    l->names = nn;
    nn[l->n] = strdup(name);
    if (nn[l->n]) l->n++;
    return 0;
}

static void list_children(hid_t loc, const char *path, list_ctx *l)
{
    hsize_t idx = 0;
    l->names = NULL;
    l->n = 0;
    if (H5Literate_by_name(loc, path, H5_INDEX_NAME, H5_ITER_INC, &idx, list_cb, l, H5P_DEFAULT) < 0)
        H5Eclear2(H5E_DEFAULT);
}

/* keep the first rows whose step satisfies keep(step) (logs are in step order) */
static int64_t rows_upto(const int64_t *steps, int64_t n, int64_t limit, int inclusive)
{
    int64_t k = 0;
    while (k < n && (inclusive ? steps[k] <= limit : steps[k] < limit)) k++;
    return k;
}

static hrkd_status run_open_inner(const char *path, hrkd_run **out, hrkd_error *err)
{
    *out = NULL;
    h5_quiet();
    h5c c = {path, err, HRKD_STATUS_OK};
    if (access(path, R_OK) != 0) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    hid_t f = -1;
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: not an HDF5 file (no HDF5 signature)", path);
    }
    if (!H5OK(&c, f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT))) return c.st;
    hrkd_run *r = calloc(1, sizeof *r);
    if (!r) {
        H5Fclose(f);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    }
    r->path = strdup(path);
    r->has_hier = -1;
    r->ckpt_step = -1;
    char *fmt = r_attr_str(&c, f, "format");
    if (c.st == HRKD_STATUS_OK && (!fmt || strcmp(fmt, "hrkd-run") != 0))
        c_fail(&c, HRKD_STATUS_INVALID, "not an hrkd run file (format attribute '%s')%.0lld", fmt ? fmt : "", 0);
    free(fmt);
    int64_t version = 0, v64;
    r_attr_num(&c, f, "format_version", H5T_NATIVE_INT64, -1, &version);
    if (c.st == HRKD_STATUS_OK && version != RUN_FORMAT_VERSION && version != 1)
        c_fail(&c, HRKD_STATUS_UNSUPPORTED, "run file format version %.0s%lld is not supported", "", (long long)version);
    r->version = r_attr_str(&c, f, "hrkd_version");
    r->backend = r_attr_str(&c, f, "backend");
    /* Optional: files written before 2026-12-06 lack it (same format version). */
    r->backend_detail = H5Aexists(f, "backend_detail") > 0 ? r_attr_str(&c, f, "backend_detail") : strdup("");
    r->data_splits = H5Aexists(f, "data_splits") > 0 ? r_attr_str(&c, f, "data_splits") : strdup("");
    r->start_time = r_attr_str(&c, f, "start_time");
    r->host = r_attr_str(&c, f, "host");
    r_attr_num(&c, f, "threads", H5T_NATIVE_INT64, -1, &v64);
    r->threads = (int)v64;
    r_attr_num(&c, f, "seed", H5T_NATIVE_UINT64, -1, &r->seed);
    r->domains = r_attr_strs(&c, f, "domains", &r->D);
    if (H5Aexists(f, "config_changes") > 0) r->cfg_changes = r_attr_strs(&c, f, "config_changes", &r->n_cfg_changes);
    r->loss_terms = r_attr_strs(&c, f, "loss_terms", &r->T);
    r->metric_names = r_attr_strs(&c, f, "metric_names", &r->K);
    /* Optional: files written before label names were kept lack it (unknown, n_labels 0). */
    if (H5Aexists(f, "label_names") > 0) r->label_names = r_attr_strs(&c, f, "label_names", &r->n_labels);
    r_attr_num(&c, f, "student_layers", H5T_NATIVE_INT64, -1, &v64);
    r->M = (int)v64;
    r_attr_num(&c, f, "teacher_layers", H5T_NATIVE_INT64, -1, &v64);
    r->N = (int)v64;
    if (c.st == HRKD_STATUS_OK && (r->D < 1 || r->D > 64 || r->M < 0 || r->M > 64 || r->K < 1))
        c_fail(&c, HRKD_STATUS_INVALID, "metadata out of range%s (domains %lld)", "", (long long)r->D);
    for (int d = 0; c.st == HRKD_STATUS_OK && d < r->D; d++)
        if (!name_ok(r->domains[d])) c_fail(&c, HRKD_STATUS_INVALID, "bad domain name '%s'%.0lld", r->domains[d], 0);
    if (c.st == HRKD_STATUS_OK) {
        r->layer_map = calloc((size_t)r->M + 1, sizeof *r->layer_map);
        if (r->layer_map) r_attr_num(&c, f, "layer_map", H5T_NATIVE_INT, r->M + 1, r->layer_map);
        if (run_alloc_common(r, err) != HRKD_STATUS_OK) c.st = HRKD_STATUS_NOMEM;
    }
    /* configuration text */
    if (c.st == HRKD_STATUS_OK) {
        hid_t d = -1;
        int n = 0;
        if (H5OK(&c, d = H5Dopen2(f, "config", H5P_DEFAULT))) {
            char **v = r_strs(&c, d, 0, "/config", 1, &n);
            if (v) r->ini = v[0];
            free(v);
        }
        h5_close(d);
    }
    /* checkpoint step decides which log rows survive */
    if (c.st == HRKD_STATUS_OK && h5_exists(f, "checkpoint/state/step")) {
        int64_t one[1] = {1};
        int64_t *s = r_data(&c, f, "checkpoint/state/step", H5T_NATIVE_INT64, 8, 1, one, NULL);
        if (s) r->ckpt_step = s[0];
        free(s);
    }
    int64_t limit = r->ckpt_step >= 0 ? r->ckpt_step : INT64_MAX;
    if (c.st == HRKD_STATUS_OK) {
        int64_t got[3];
        int64_t *steps = r_data(&c, f, "ratios/step", H5T_NATIVE_INT64, 8, 1, NULL, got);
        int64_t n = got[0];
        int64_t want[3] = {n, r->M + 1, r->D};
        float *dom = steps ? r_data(&c, f, "ratios/domain", H5T_NATIVE_FLOAT, 4, 3, want, NULL) : NULL;
        if (steps && dom) {
            int64_t keep = r->ckpt_step >= 0 ? rows_upto(steps, n, limit, 0) : n;
            vec_adopt(&r->ratio_step, steps, (size_t)keep * 8);
            vec_adopt(&r->ratio_domain, dom, (size_t)keep * (size_t)(r->M + 1) * (size_t)r->D * 4);
            r->n_ratio = keep;
            steps = NULL;
            dom = NULL;
            r->has_hier = h5_exists(f, "ratios/hierarchical") ? 1 : (keep ? 0 : -1);
            for (int m = 0; r->has_hier == 1 && m <= r->M && c.st == HRKD_STATUS_OK; m++) {
                char name[64];
                snprintf(name, sizeof name, "ratios/hierarchical/layer_%d", m);
                int64_t hw[3] = {n, r->D, m + 1};
                float *h = r_data(&c, f, name, H5T_NATIVE_FLOAT, 4, 3, hw, NULL);
                if (h) vec_adopt(&r->ratio_hier[m], h, (size_t)keep * (size_t)r->D * (size_t)(m + 1) * 4);
            }
            int64_t eg[3];
            int64_t *ex = h5_exists(f, "ratios/examples") && c.st == HRKD_STATUS_OK
                        ? r_data(&c, f, "ratios/examples", H5T_NATIVE_INT64, 8, 3, NULL, eg) : NULL;
            if (ex && (eg[0] != n || eg[1] != r->D || eg[2] < 1))
                c_fail(&c, HRKD_STATUS_INVALID, "ratios/examples: shape does not match /ratios/domain%.0s%lld", "", 0);
            if (ex && c.st == HRKD_STATUS_OK) {
                r->ex_B = eg[2];
                vec_adopt(&r->ratio_ex, ex, (size_t)keep * (size_t)r->D * (size_t)r->ex_B * 8);
                ex = NULL;
            }
            free(ex);
        }
        free(steps);
        free(dom);
    }
    if (c.st == HRKD_STATUS_OK) {
        int64_t got[3];
        int64_t *steps = r_data(&c, f, "losses/step", H5T_NATIVE_INT64, 8, 1, NULL, got);
        int64_t want[3] = {got[0], r->T, r->D};
        float *vals = steps ? r_data(&c, f, "losses/values", H5T_NATIVE_FLOAT, 4, 3, want, NULL) : NULL;
        if (steps && vals) {
            int64_t keep = r->ckpt_step >= 0 ? rows_upto(steps, got[0], limit, 0) : got[0];
            vec_adopt(&r->loss_step, steps, (size_t)keep * 8);
            vec_adopt(&r->loss_vals, vals, (size_t)keep * (size_t)r->T * (size_t)r->D * 4);
            r->n_loss = keep;
        } else {
            free(steps);
            free(vals);
        }
    }
    if (c.st == HRKD_STATUS_OK && h5_exists(f, "metrics")) {
        list_ctx l;
        list_children(f, "metrics", &l);
        for (int s = 0; s < l.n && c.st == HRKD_STATUS_OK; s++) {
            if (!name_ok(l.names[s]) || r->n_split == RUN_MAX_SPLITS) continue;
            char name[400];
            int64_t got[2];
            snprintf(name, sizeof name, "metrics/%s/step", l.names[s]);
            int64_t *steps = r_data(&c, f, name, H5T_NATIVE_INT64, 8, 1, NULL, got);
            if (!steps) break;
            int64_t n = got[0], keep = r->ckpt_step >= 0 ? rows_upto(steps, n, limit, 1) : n;
            run_split *sp = get_split(r, l.names[s]);
            double *vals = malloc((size_t)(keep ? keep : 1) * (size_t)r->D * (size_t)r->K * sizeof *vals);
            if (!sp || !vals) {
                free(steps);
                free(vals);
                c_fail(&c, HRKD_STATUS_NOMEM, "out of memory%s%.0lld", "", 0);
                break;
            }
            for (int d = 0; d < r->D && c.st == HRKD_STATUS_OK; d++) {
                snprintf(name, sizeof name, "metrics/%s/%s", l.names[s], r->domains[d]);
                int64_t want[2] = {n, r->K};
                double *col = r_data(&c, f, name, H5T_NATIVE_DOUBLE, 8, 2, want, NULL);
                for (int64_t i = 0; col && i < keep; i++)
                    for (int k = 0; k < r->K; k++) vals[(i * r->D + d) * r->K + k] = col[i * r->K + k];
                free(col);
            }
            vec_adopt(&sp->step, steps, (size_t)keep * 8);
            vec_adopt(&sp->vals, vals, (size_t)keep * (size_t)r->D * (size_t)r->K * 8);
            sp->rows = keep;
        }
        free_strs(l.names, l.n);
    }
    if (c.st == HRKD_STATUS_OK) {
        list_ctx l;
        list_children(f, "/", &l);
        for (int i = 0; i < l.n; i++)
            if (!is_log_name(l.names[i])) add_group_name(r, l.names[i]);
        free_strs(l.names, l.n);
    }
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (c.st != HRKD_STATUS_OK) {
        hrkd_run_free(r);
        return c.st;
    }
    *out = r;
    return HRKD_STATUS_OK;
}

/* ---- the probe: parse everything once in a child process ---------------------------------- */
static herr_t probe_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    h5_close(t);
    h5_close(sp);
    H5Aclose(a);
    return 0;
}

static herr_t probe_link_cb(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    hid_t o = H5Oopen(group, name, H5P_DEFAULT);
    if (o < 0) return -1;
    hsize_t idx = 0;
    herr_t rc = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, probe_attr_cb, NULL);
    if (H5Iget_type(o) == H5I_DATASET) {
        hid_t t = H5Dget_type(o), sp = H5Dget_space(o), pl = H5Dget_create_plist(o);
        h5_close(t);
        h5_close(sp);
        h5_close(pl);
    }
    H5Oclose(o);
    return rc < 0 ? -1 : 0;
}

/* 0: the file parses (or is refused cleanly) in a child; otherwise the child died. */
static int probe_in_child(const char *path, int *how)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 0; /* cannot probe: read it directly */
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 2); /* a crash report of the child is not ours to print */
        hrkd_error e = {0};
        hrkd_run *r = NULL;
        if (run_open_inner(path, &r, &e) != HRKD_STATUS_OK) _exit(3);
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f >= 0) {
            hsize_t idx = 0;
            H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, &idx, probe_attr_cb, NULL);
            H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, probe_link_cb, NULL);
        }
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 0;
    if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3)) return 0;
    *how = WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
    return 1;
}

hrkd_status hrkd_run_open(const char *path, hrkd_run **out, hrkd_error *err)
{
    *out = NULL;
    hrkd_status pst = hrkd_path_expect(path, HRKD_PATH_FILE, err);
    if (pst) return pst;
    int how = 0;
    if (getenv("HRKD_H5_NO_PROBE") == NULL && probe_in_child(path, &how))
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: the HDF5 library failed while reading this file (%s %d): the file is damaged",
                              path, how > 0 ? "signal" : "exit status", how > 0 ? how : -how);
    hrkd_status st = run_open_inner(path, out, err);
    /* a file that opens but does not read as a run file is damaged input, not an I/O failure */
    if (st == HRKD_STATUS_IO && err && access(path, R_OK) == 0) err->status = st = HRKD_STATUS_INVALID;
    return st;
}

hrkd_status hrkd_run_load_checkpoint(hrkd_run *r, const char *group, hrkd_params *const *stores, int n_stores,
                                     hrkd_run_state *st, hrkd_error *err)
{
    h5_quiet();
    h5c c = {r->path, err, HRKD_STATUS_OK};
    if (!name_ok(group)) return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: bad group name", r->path);
    hid_t f = -1;
    if (!H5OK(&c, f = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT))) return c.st;
    char path[1200];
    if (!h5_exists(f, group)) c_fail(&c, HRKD_STATUS_NOT_FOUND, "no checkpoint group /%s%.0lld", group, 0);
    for (int s = 0; s < n_stores && c.st == HRKD_STATUS_OK; s++) {
        hrkd_params *p = stores[s];
        const char *model = hrkd_params_model_name(p);
        const hrkd_kernels *k = hrkd_backend_kernels(hrkd_params_backend(p));
        float *mom[2] = {hrkd_params_m(p), hrkd_params_v(p)};
        snprintf(path, sizeof path, "%s/%s", group, model);
        if (!h5_exists(f, path)) {
            c_fail(&c, HRKD_STATUS_NOT_FOUND, "checkpoint has no model '%s'%.0lld", path, 0);
            break;
        }
        int with_mom = mom[0] && mom[1];
        if (with_mom) {
            snprintf(path, sizeof path, "%s/%s/adam_m", group, model);
            with_mom = h5_exists(f, path); /* a checkpoint without moments resumes with zero moments */
        }
        for (int i = 0; i < hrkd_params_count(p) && c.st == HRKD_STATUS_OK; i++) {
            const hrkd_param_info *pi = hrkd_params_info(p, i);
            for (int which = 0; which < (with_mom ? 3 : 1) && c.st == HRKD_STATUS_OK; which++) {
                if (which == 0) snprintf(path, sizeof path, "%s/%s/%s", group, model, pi->name);
                else snprintf(path, sizeof path, "%s/%s/%s/%s", group, model, which == 1 ? "adam_m" : "adam_v", pi->name);
                if (!h5_exists(f, path)) {
                    c_fail(&c, HRKD_STATUS_NOT_FOUND, "checkpoint lacks parameter %s%.0lld", path, 0);
                    break;
                }
                float *buf = r_data(&c, f, path, H5T_NATIVE_FLOAT, 4, pi->ndim, pi->shape, NULL);
                if (!buf) break;
                if (which == 0) hrkd_params_write(p, i, buf);
                else k->copy_h2d(mom[which - 1] + pi->offset, buf, (size_t)pi->numel * sizeof(float));
                free(buf);
            }
        }
    }
    if (st && c.st == HRKD_STATUS_OK) {
        memset(st, 0, sizeof *st);
        int64_t one[1] = {1}, got[1];
        struct { const char *name; hid_t t; void *v; } sc[] = {
            {"step", H5T_NATIVE_INT64, &st->step},
            {"epoch", H5T_NATIVE_INT64, &st->epoch},
            {"rng_seed", H5T_NATIVE_UINT64, &st->rng_seed},
            {"rng_counter", H5T_NATIVE_UINT64, &st->rng_counter},
        };
        for (size_t q = 0; q < sizeof sc / sizeof sc[0] && c.st == HRKD_STATUS_OK; q++) {
            snprintf(path, sizeof path, "%s/state/%s", group, sc[q].name);
            void *v = r_data(&c, f, path, sc[q].t, 8, 1, one, NULL);
            if (v) memcpy(sc[q].v, v, 8);
            free(v);
        }
        snprintf(path, sizeof path, "%s/state/loader", group);
        int64_t *ld = c.st == HRKD_STATUS_OK ? r_data(&c, f, path, H5T_NATIVE_INT64, 8, 1, NULL, got) : NULL;
        if (ld && got[0] > 64) c_fail(&c, HRKD_STATUS_INVALID, "%s: more than 64 loader positions%.0lld", path, 0);
        else if (ld) {
            st->n_loader = (int)got[0];
            memcpy(st->loader, ld, (size_t)got[0] * 8);
        }
        free(ld);
        snprintf(path, sizeof path, "%s/state/best", group);
        double *b = c.st == HRKD_STATUS_OK ? r_data(&c, f, path, H5T_NATIVE_DOUBLE, 8, 1, NULL, got) : NULL;
        if (b && got[0] > 64) c_fail(&c, HRKD_STATUS_INVALID, "%s: more than 64 best values%.0lld", path, 0);
        else if (b) {
            st->n_best = (int)got[0];
            memcpy(st->best, b, (size_t)got[0] * 8);
        }
        free(b);
        struct { const char *name; int64_t *v; } route[] = {
            {"model", &st->model}, {"head", &st->head}, {"n_heads", &st->n_heads}};
        for (size_t q = 0; q < 3 && c.st == HRKD_STATUS_OK; q++) {
            snprintf(path, sizeof path, "%s/state/%s", group, route[q].name);
            if (!h5_exists(f, path)) continue; /* files written before the record existed */
            int64_t *v = r_data(&c, f, path, H5T_NATIVE_INT64, 8, 1, one, NULL);
            if (v) *route[q].v = *v;
            free(v);
        }
    }
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return c.st;
}

/* ---- accessors for inspect -------------------------------------------------------------- */
void hrkd_run_get_view(const hrkd_run *r, hrkd_run_view *v)
{
    memset(v, 0, sizeof *v);
    v->version = r->version;
    v->backend = r->backend;
    v->backend_detail = r->backend_detail ? r->backend_detail : "";
    v->data_splits = r->data_splits ? r->data_splits : "";
    v->start_time = r->start_time;
    v->host = r->host;
    v->threads = r->threads;
    v->seed = r->seed;
    v->D = r->D;
    v->M = r->M;
    v->N = r->N;
    v->T = r->T;
    v->K = r->K;
    v->domains = (const char *const *)r->domains;
    v->loss_terms = (const char *const *)r->loss_terms;
    v->metric_names = (const char *const *)r->metric_names;
    v->layer_map = r->layer_map;
    v->n_ratio = r->n_ratio;
    v->ratio_step = (const int64_t *)r->ratio_step.p;
    v->ratio_domain = (const float *)r->ratio_domain.p;
    v->ratio_examples = r->ex_B ? (const int64_t *)r->ratio_ex.p : NULL;
    v->B_examples = r->ex_B;
    v->n_loss = r->n_loss;
    v->loss_step = (const int64_t *)r->loss_step.p;
    v->loss_vals = (const float *)r->loss_vals.p;
    v->n_split = r->n_split;
    for (int s = 0; s < r->n_split; s++) {
        v->split_name[s] = r->split[s].name;
        v->split_rows[s] = r->split[s].rows;
        v->split_step[s] = (const int64_t *)r->split[s].step.p;
        v->split_vals[s] = (const double *)r->split[s].vals.p;
    }
    v->groups = (const char *const *)r->groups;
    v->n_groups = r->n_groups;
    v->ckpt_step = r->ckpt_step;
    v->n_labels = r->label_names ? r->n_labels : 0;
    v->label_names = (const char *const *)r->label_names;
}
