/* host/store/runfile.c — the HDF5 run file: configuration, metadata, logs and checkpoints of
 * one run (layout: results/README.md). This file holds the run in memory (its lifetime, the
 * logs appended between writes, the accessors) and what writing and reading share
 * (runfile.h): the checked HDF5 calls and the names a run file may hold. runfile_write.c puts
 * a run on disk, runfile_read.c reads one back, runfile_probe.c opens it (hrkd_run_open).
 *
 * Every HDF5 call goes through a check that records file and line; HDF5's own error printing
 * is switched off and its error stack is turned into one hrkd_error message. */
#include "store/runfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vec_push(vec *v, const void *src, size_t bytes)
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

int push_none(vec *v, int64_t n)
{
    const int64_t none = -1;
    for (int64_t i = 0; i < n; i++)
        if (!vec_push(v, &none, sizeof none)) return 0;
    return 1;
}

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

int h5_failed(h5c *c, const char *file, int line, const char *what)
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

int h5_check(h5c *c, long long rv, const char *file, int line, const char *what)
{
    if (c->st != HRKD_STATUS_OK) return 0;
    if (rv < 0) {
        h5_failed(c, file, line, what);
        return 0;
    }
    return 1;
}

/* HDF5 closes the files still open at exit from a handler it installs at its first use. After
 * a write fails (disk full, file size limit), H5Fclose fails too and leaves behind a file that
 * this handler then crashes on (HDF5 1.10: SIGSEGV in H5F__close_cb), turning a clean error
 * exit into a segfault. So the run file installs the exit cleanup itself, before HDF5's first
 * use (every entry point here starts with h5_quiet), and skips it once a close has failed:
 * the process is ending and the half-written PATH.tmp is already unlinked. */
int h5_close_failed;

static void h5_at_exit(void)
{
    if (!h5_close_failed) H5close();
}

void h5_quiet(void)
{
    static int installed;
    if (!installed) {
        installed = 1;
        if (H5dont_atexit() >= 0) atexit(h5_at_exit);
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

hrkd_status c_fail(h5c *c, hrkd_status st, const char *fmt, const char *a, long long b)
{
    if (c->st != HRKD_STATUS_OK) return c->st;
    char msg[600];
    snprintf(msg, sizeof msg, fmt, a, b);
    c->st = hrkd_error_set(c->err, st, "%s: %s", c->path, msg);
    return c->st;
}

void h5_close(hid_t id)
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

hid_t str_type(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, size ? size : 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
                   H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        t = -1;
    }
    return t;
}

/* ---- names --------------------------------------------------------------------------- */
int is_log_name(const char *name)
{
    return strcmp(name, "config") == 0 || strcmp(name, "ratios") == 0 || strcmp(name, "losses") == 0 ||
           strcmp(name, "metrics") == 0;
}

int name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

void add_group_name(hrkd_run *r, const char *name)
{
    for (int i = 0; i < r->n_groups; i++)
        if (strcmp(r->groups[i], name) == 0) return;
    char **ng = realloc(r->groups, (size_t)(r->n_groups + 1) * sizeof *ng);
    if (!ng) return;
    r->groups = ng;
    if ((ng[r->n_groups] = strdup(name))) r->n_groups++;
}

run_split *get_split(hrkd_run *r, const char *name)
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

/* ---- lifetime ------------------------------------------------------------------------------ */
void free_strs(char **s, int n)
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

hrkd_status run_alloc_common(hrkd_run *r, hrkd_error *err)
{
    r->ratio_hier = calloc((size_t)r->M + 1, sizeof *r->ratio_hier);
    if (!r->ratio_hier || !r->path || !r->domains || !r->loss_terms || !r->metric_names || !r->layer_map)
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
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

/* ---- configuration and accessors ----------------------------------------------------- */
const char *hrkd_run_ini_text(const hrkd_run *r) { return r->ini; }

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
    v->pruned_step = r->pruned_step;
    v->n_labels = r->label_names ? r->n_labels : 0;
    v->label_names = (const char *const *)r->label_names;
}
