/* host/comm/comm.c — finding, opening and calling a communicator library (see comm.h and
 * comm_abi.h). Every wrapper turns the library's (int, message) result into hrkd_status. */
#include "comm/comm.h"
#include "comm/comm_abi.h"
#include "core/core.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hrkd_comm {
    void                   *handle; /* dlopen handle */
    const hrkd_comm_vtable *vt;
    void                   *self;
    int                     rank, size;
    double                  timeout_s;
    float                  *stage;  /* host staging for device buffers */
    int64_t                 stage_n;
    double                  reduce_s, skew_s;
    int64_t                 reduce_calls;
    int                     profile; /* $HRKD_COMM_PROFILE: barrier first, timed apart */
};

/* The first of Open MPI's, PMI's and PMIx's names for the same launcher variable that is set. */
static const char *launcher_env(const char *ompi, const char *pmi, const char *pmix)
{
    const char *v = getenv(ompi);
    if (!v) v = getenv(pmi);
    if (!v) v = getenv(pmix);
    return v;
}

const char *hrkd_comm_launcher(void)
{
    const char *v = launcher_env("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE");
    return v && atoi(v) >= 1 ? "mpi" : NULL;
}

int hrkd_comm_launcher_rank(void)
{
    if (!hrkd_comm_launcher()) return 0;
    const char *v = launcher_env("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK");
    return v ? atoi(v) : 0;
}

static void comm_dir(char *dir, size_t cap)
{
    char lib[PATH_MAX];
    if (hrkd_lib_dir(lib, sizeof lib) == 0) snprintf(dir, cap, "%s/hrkd/comm", lib);
    else snprintf(dir, cap, "lib/hrkd/comm");
}

/* $HRKD_COMM_PATH folders first, then the build's folder. */
static int find_lib(const char *name, char *path, size_t cap)
{
    const char *env = getenv("HRKD_COMM_PATH");
    char buf[PATH_MAX];
    if (env && *env) {
        snprintf(buf, sizeof buf, "%s", env);
        for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            snprintf(path, cap, "%s/hrkd_comm_%s.so", d, name);
            if (access(path, R_OK) == 0) return 0;
        }
    }
    comm_dir(buf, sizeof buf);
    snprintf(path, cap, "%s/hrkd_comm_%s.so", buf, name);
    return access(path, R_OK) == 0 ? 0 : -1;
}

hrkd_status hrkd_comm_open(const char *kind, double timeout_s, hrkd_comm **out, hrkd_error *err)
{
    *out = NULL;
    if (!kind || !strcmp(kind, "none")) return HRKD_STATUS_OK;
    if (!strcmp(kind, "auto")) {
        kind = hrkd_comm_launcher();
        if (!kind) return HRKD_STATUS_OK;
    }
    char path[PATH_MAX], dir[PATH_MAX];
    if (find_lib(kind, path, sizeof path) != 0) {
        comm_dir(dir, sizeof dir);
        return hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED,
                              "comm '%s': hrkd_comm_%s.so not found in $HRKD_COMM_PATH or %s "
                              "(built only where %s is installed)", kind, kind, dir,
                              !strcmp(kind, "nccl") ? "NCCL (nccl.h, nvcc) and MPI" : "MPI (mpicc)");
    }
    /* RTLD_GLOBAL: Open MPI loads its own components with dlopen and they resolve libmpi's
     * symbols globally; a local open of the library that links libmpi breaks them. */
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h) return hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "comm '%s': %s", kind, dlerror());
    hrkd_comm_entry_fn entry;
    void *sym = dlsym(h, HRKD_COMM_ENTRY);
    memcpy(&entry, &sym, sizeof entry);
    const hrkd_comm_vtable *vt = entry ? entry() : NULL;
    if (!vt || vt->abi_version != HRKD_COMM_ABI_VERSION || vt->struct_size < sizeof *vt) {
        dlclose(h);
        return hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "%s: not an hrkd comm library of ABI %u",
                              path, HRKD_COMM_ABI_VERSION);
    }
    hrkd_comm *c = calloc(1, sizeof *c);
    if (!c) { dlclose(h); return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); }
    c->handle = h;
    c->vt = vt;
    c->timeout_s = timeout_s;
    char msg[256] = "";
    if (vt->init(&c->self, timeout_s, msg, sizeof msg) != 0) {
        free(c);
        /* no dlclose: MPI may have started threads that live in the library */
        return hrkd_error_set(err, HRKD_STATUS_IO, "comm '%s': %s", kind, msg);
    }
    c->profile = getenv("HRKD_COMM_PROFILE") && atoi(getenv("HRKD_COMM_PROFILE")) > 0;
    c->rank = vt->rank(c->self);
    c->size = vt->size(c->self);
    *out = c;
    return HRKD_STATUS_OK;
}

void hrkd_comm_close(hrkd_comm *c)
{
    if (!c) return;
    c->vt->finalize(c->self);
    free(c->stage);
    /* the library stays loaded: MPI_Finalize leaves its progress threads' code mapped */
    free(c);
}

int hrkd_comm_rank(const hrkd_comm *c) { return c ? c->rank : 0; }
int hrkd_comm_size(const hrkd_comm *c) { return c ? c->size : 1; }
const char *hrkd_comm_name(const hrkd_comm *c) { return c ? c->vt->name : "none"; }
double hrkd_comm_reduce_seconds(const hrkd_comm *c) { return c ? c->reduce_s : 0.0; }
double hrkd_comm_skew_seconds(const hrkd_comm *c) { return c ? c->skew_s : 0.0; }
int64_t hrkd_comm_reduce_calls(const hrkd_comm *c) { return c ? c->reduce_calls : 0; }

static hrkd_status result(int rc, const char *what, const char *msg, hrkd_error *err)
{
    if (rc == 0) return HRKD_STATUS_OK;
    return hrkd_error_set(err, HRKD_STATUS_IO, "%s: %s", what, msg[0] ? msg : "failed");
}

hrkd_status hrkd_comm_allreduce_f32(hrkd_comm *c, float *buf, int64_t n, hrkd_error *err)
{
    if (!c || c->size == 1 || n == 0) return HRKD_STATUS_OK;
    char msg[256] = "";
    return result(c->vt->allreduce_f32(c->self, buf, n, msg, sizeof msg), "all-reduce", msg, err);
}

hrkd_status hrkd_comm_allreduce_f64(hrkd_comm *c, double *buf, int64_t n, hrkd_error *err)
{
    if (!c || c->size == 1 || n == 0) return HRKD_STATUS_OK;
    char msg[256] = "";
    return result(c->vt->allreduce_f64(c->self, buf, n, msg, sizeof msg), "all-reduce", msg, err);
}

static hrkd_status staged_allreduce(hrkd_comm *c, const hrkd_kernels *k, float *buf, int64_t n,
                                    hrkd_error *err)
{
    if (c->stage_n < n) {
        float *s = realloc(c->stage, (size_t)n * sizeof *s);
        if (!s) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (all-reduce staging)");
        c->stage = s;
        c->stage_n = n;
    }
    k->copy_d2h(c->stage, buf, (size_t)n * sizeof *buf);
    hrkd_status st = hrkd_comm_allreduce_f32(c, c->stage, n, err);
    if (st == HRKD_STATUS_OK) k->copy_h2d(buf, c->stage, (size_t)n * sizeof *buf);
    return st;
}

hrkd_status hrkd_comm_allreduce_backend(hrkd_comm *c, const hrkd_kernels *k, float *buf, int64_t n,
                                        hrkd_error *err)
{
    if (!c || c->size == 1 || n == 0) return HRKD_STATUS_OK;
    double t0 = hrkd_now_s();
    hrkd_status st;
    if (c->profile) { /* waiting for the slowest rank is not the cost of moving the bytes */
        if ((st = hrkd_comm_barrier(c, -1, err)) != HRKD_STATUS_OK) return st;
        double t1 = hrkd_now_s();
        c->skew_s += t1 - t0;
        t0 = t1;
    }
    int host_mem = !strcmp(k->name, "cpu");
    if (host_mem) {
        st = hrkd_comm_allreduce_f32(c, buf, n, err);
    } else if (c->vt->allreduce_f32_device) {
        char msg[256] = "";
        k->sync(); /* the gradients must be complete before another stream reads them */
        st = result(c->vt->allreduce_f32_device(c->self, buf, n, msg, sizeof msg), "all-reduce",
                    msg, err);
    } else {
        st = staged_allreduce(c, k, buf, n, err);
    }
    c->reduce_s += hrkd_now_s() - t0;
    c->reduce_calls++;
    return st;
}

hrkd_status hrkd_comm_bcast(hrkd_comm *c, void *buf, size_t bytes, hrkd_error *err)
{
    if (!c || c->size == 1 || bytes == 0) return HRKD_STATUS_OK;
    char msg[256] = "";
    return result(c->vt->bcast(c->self, buf, bytes, msg, sizeof msg), "broadcast", msg, err);
}

hrkd_status hrkd_comm_barrier(hrkd_comm *c, double timeout_s, hrkd_error *err)
{
    if (!c || c->size == 1) return HRKD_STATUS_OK;
    char msg[256] = "";
    if (timeout_s < 0) timeout_s = c->timeout_s;
    return result(c->vt->barrier(c->self, timeout_s, msg, sizeof msg), "barrier", msg, err);
}

void hrkd_comm_abort(hrkd_comm *c, int code)
{
    if (c && c->size > 1) c->vt->abort(c->self, code);
}

const char *hrkd_comm_list(char *buf, size_t cap, char *dir, size_t dir_cap)
{
    comm_dir(dir, dir_cap);
    size_t used = 0;
    if (cap) buf[0] = '\0';
    DIR *dh = opendir(dir);
    if (!dh) return dir;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        const char *n = de->d_name;
        size_t len = strlen(n);
        if (strncmp(n, "hrkd_comm_", 10) != 0 || len < 14 || strcmp(n + len - 3, ".so") != 0) continue;
        int w = snprintf(buf + used, cap > used ? cap - used : 0, "%s%.*s", used ? " " : "",
                         (int)(len - 13), n + 10);
        if (w > 0) used += (size_t)w;
    }
    closedir(dh);
    return dir;
}
