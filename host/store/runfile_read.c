/* host/store/runfile_read.c — a run file read back (runfile.h): every attribute and log into
 * memory (run_open_inner; hrkd_run_open in runfile_probe.c calls it), and a checkpoint group
 * into parameters (hrkd_run_load_checkpoint). Files read back are validated (types, ranks,
 * sizes against the metadata) before anything is allocated. */
#include "store/runfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

hrkd_status run_open_inner(const char *path, hrkd_run **out, hrkd_error *err)
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
    r->pruned_step = -1;
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
    /* Optional: written by `hrkd prune` */
    if (H5Aexists(f, "pruned_checkpoint_step") > 0)
        r_attr_num(&c, f, "pruned_checkpoint_step", H5T_NATIVE_INT64, -1, &r->pruned_step);
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
        if (c.st == HRKD_STATUS_OK)
            hrkd_log(HRKD_LOG_DEBUG, "%s: read /%s/%s: %d parameters%s", r->path, group, model,
                     hrkd_params_count(p), with_mom ? ", with AdamW moments" : "");
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

hrkd_status hrkd_run_checkpoint_same(hrkd_run *r, const char *group, hrkd_params *p, int *same, hrkd_error *err)
{
    h5_quiet();
    h5c c = {r->path, err, HRKD_STATUS_OK};
    *same = 0;
    if (!name_ok(group)) return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: bad group name", r->path);
    hid_t f = -1;
    if (!H5OK(&c, f = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT))) return c.st;
    const char *model = hrkd_params_model_name(p);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", group, model);
    if (!h5_exists(f, path)) c_fail(&c, HRKD_STATUS_NOT_FOUND, "checkpoint has no model '%s'%.0lld", path, 0);
    int eq = 1;
    for (int i = 0; i < hrkd_params_count(p) && eq && c.st == HRKD_STATUS_OK; i++) {
        const hrkd_param_info *pi = hrkd_params_info(p, i);
        snprintf(path, sizeof path, "%s/%s/%s", group, model, pi->name);
        if (!h5_exists(f, path)) {
            c_fail(&c, HRKD_STATUS_NOT_FOUND, "checkpoint lacks parameter %s%.0lld", path, 0);
            break;
        }
        float *file = r_data(&c, f, path, H5T_NATIVE_FLOAT, 4, pi->ndim, pi->shape, NULL);
        float *mine = file ? malloc((size_t)pi->numel * sizeof *mine) : NULL;
        if (file && !mine) c_fail(&c, HRKD_STATUS_NOMEM, "%s: out of memory%.0lld", path, 0);
        else if (file && hrkd_params_read(p, i, mine) != HRKD_STATUS_OK)
            c_fail(&c, HRKD_STATUS_INTERNAL, "%s: cannot read the parameter back%.0lld", path, 0);
        else if (file)
            eq = !memcmp(file, mine, (size_t)pi->numel * sizeof *mine);
        free(file);
        free(mine);
    }
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (c.st == HRKD_STATUS_OK) {
        *same = eq;
        hrkd_log(HRKD_LOG_DEBUG, "%s: compared /%s/%s: %s", r->path, group, model,
                 eq ? "the same values" : "other values");
    }
    return c.st;
}
