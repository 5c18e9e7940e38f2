/* host/store/runfile_write.c — a run file written whole (runfile.h): hrkd_run_create, the
 * checkpoints and snapshots, flush and close.
 *
 * Crash safety by construction: the file on disk is only ever replaced whole. Logs (ratios,
 * losses, metrics) accumulate in memory; a checkpoint or flush writes a complete new file to
 * PATH.tmp (logs, metadata, the fresh checkpoint group, every other checkpoint group copied
 * from the current file with H5Ocopy), fsyncs it, renames it over PATH and fsyncs the folder.
 * A SIGKILL at any moment therefore leaves either the previous file or the new one, never a
 * mixture. Log datasets are chunked with an unlimited first dimension so h5py users (and
 * tools) can extend them. */
#include "store/runfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "hrkd/hrkd.h"

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

/* s[0..n) (NULL: "") side by side in fixed-width NUL-padded cells of *w bytes, the longest
 * string's plus its NUL: the layout of every string array in the file. NULL: out of memory
 * (c failed). */
static char *pack_strs(h5c *c, const char *const *s, size_t n, size_t *w)
{
    *w = 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] && strlen(s[i]) + 1 > *w) *w = strlen(s[i]) + 1;
    char *buf = calloc(n ? n : 1, *w);
    if (!buf) c_fail(c, HRKD_STATUS_NOMEM, "%sout of memory%.0lld", "", 0);
    for (size_t i = 0; buf && i < n; i++)
        if (s[i]) memcpy(buf + i * *w, s[i], strlen(s[i]));
    return buf;
}

static void w_attr_strs(h5c *c, hid_t loc, const char *name, char *const *s, int n)
{
    size_t w;
    char *buf = pack_strs(c, (const char *const *)s, n > 0 ? (size_t)n : 0, &w);
    hid_t t = buf ? str_type(w) : -1;
    if (buf && H5OK(c, t)) w_attr(c, loc, name, t, n, buf);
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
    if (r->pruned_step >= 0) w_attr_i64(c, f, "pruned_checkpoint_step", r->pruned_step);

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
    const char *skip, *drop; /* the group being rewritten, a group to leave out */
    hrkd_run   *r;
} carry_ctx;

static herr_t carry_cb(hid_t src, const char *name, const H5L_info_t *info, void *data)
{
    carry_ctx *cc = data;
    if (is_log_name(name) || (cc->skip && strcmp(name, cc->skip) == 0) || (cc->drop && strcmp(name, cc->drop) == 0))
        return 0;
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
 * + carried groups but drop (NULL: none); then rename. */
static hrkd_status run_rewrite(hrkd_run *r, const char *group, hrkd_params *const *stores, int n,
                               int moments, const hrkd_run_state *st, int carry, const char *drop,
                               hrkd_error *err)
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
                carry_ctx cc = {&c, f, group, drop, r};
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

/* ---- creating ------------------------------------------------------------------------- */
static char **dup_strs(const char *const *s, int n)
{
    char **o = calloc((size_t)(n ? n : 1), sizeof *o);
    for (int i = 0; o && i < n; i++) o[i] = strdup(s && s[i] ? s[i] : "");
    return o;
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
    r->pruned_step = -1;
    hrkd_status st = run_alloc_common(r, err);
    if (st == HRKD_STATUS_OK) st = run_rewrite(r, NULL, NULL, 0, 0, NULL, 0, NULL, err);
    if (st != HRKD_STATUS_OK) {
        hrkd_run_free(r);
        return st;
    }
    *out = r;
    return HRKD_STATUS_OK;
}

/* ---- checkpoints, flush, close --------------------------------------------------------- */
static hrkd_status checkpoint(hrkd_run *r, const char *group, hrkd_params *const *stores, int n_stores,
                              int moments, const hrkd_run_state *st, hrkd_error *err)
{
    if (!name_ok(group) || is_log_name(group))
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: checkpoint group '%s' must be [A-Za-z0-9_]+",
                              r->path, group ? group : "(null)");
    return run_rewrite(r, group, stores, n_stores, moments, st, 1, NULL, err);
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

hrkd_status hrkd_run_flush(hrkd_run *r, hrkd_error *err) { return run_rewrite(r, NULL, NULL, 0, 0, NULL, 1, NULL, err); }

hrkd_status hrkd_run_drop_checkpoint(hrkd_run *r, hrkd_error *err)
{
    if (!hrkd_run_has_group(r, "checkpoint"))
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: holds no /checkpoint", r->path);
    const int64_t was = r->pruned_step;
    r->pruned_step = r->ckpt_step;
    hrkd_status st = run_rewrite(r, NULL, NULL, 0, 0, NULL, 1, "checkpoint", err);
    if (st != HRKD_STATUS_OK) {
        r->pruned_step = was;
        return st;
    }
    for (int i = 0; i < r->n_groups; i++)
        if (strcmp(r->groups[i], "checkpoint") == 0) {
            free(r->groups[i]);
            memmove(&r->groups[i], &r->groups[i + 1], (size_t)(--r->n_groups - i) * sizeof *r->groups);
            break;
        }
    r->ckpt_step = -1;
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_run_close(hrkd_run *r, hrkd_error *err)
{
    if (!r) return HRKD_STATUS_OK;
    hrkd_status st = hrkd_run_flush(r, err);
    hrkd_run_free(r);
    return st;
}

/* ---- case-study files (`hrkd case --out`; results/README.md, "Case-study files") --------- */
/* a [n][D] dataset of fixed-length strings s[i] (NULL: "") */
static void w_strs2(h5c *c, hid_t f, const char *path, const char *const *s, int n, int D)
{
    size_t w;
    char *buf = pack_strs(c, s, (size_t)n * (size_t)D, &w);
    hid_t t = buf ? str_type(w) : -1;
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
