/* host/core/backend.c — finding, opening and checking backend shared objects.
 *
 * A backend is build/lib/hrkd/backends/hrkd_backend_<name>.so (or the same under an install
 * prefix), found relative to libhrkd.so itself so the build tree and an installed copy behave
 * alike; $HRKD_BACKEND_PATH (colon-separated folders) is searched first. */
#include "core/internal.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K(name) {#name, offsetof(hrkd_kernels, name)}
static const struct { const char *name; size_t off; } kernel_fields[] = {
    K(init), K(shutdown), K(alloc), K(free), K(copy_h2d), K(copy_d2h), K(copy_d2d), K(sync),
    K(fill), K(axpby), K(binary), K(unary_fwd), K(unary_bwd), K(copy_strided), K(reduce_sum),
    K(broadcast_acc), K(sum_squares), K(gemm), K(layernorm_fwd), K(layernorm_bwd),
    K(softmax_fwd), K(softmax_bwd), K(dropout_fwd), K(dropout_bwd), K(embedding_fwd),
    K(embedding_bwd), K(mse_fwd), K(mse_bwd), K(nll_fwd), K(nll_bwd), K(adamw), K(set_option),
};
#undef K
/* Adding a kernel to hrkd_kernels without listing it here fails the build. */
_Static_assert(sizeof(kernel_fields) / sizeof(kernel_fields[0]) ==
                   (sizeof(hrkd_kernels) - offsetof(hrkd_kernels, init)) / sizeof(void (*)(void)),
               "kernel_fields must list every entry of hrkd_kernels");

const char *hrkd_kernels_missing(const hrkd_kernels *k, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap) buf[0] = '\0';
    for (size_t i = 0; i < sizeof kernel_fields / sizeof kernel_fields[0]; i++) {
        void *fn;
        memcpy(&fn, (const char *)k + kernel_fields[i].off, sizeof fn);
        if (fn) continue;
        int n = snprintf(buf + used, cap > used ? cap - used : 0, "%s%s", used ? ", " : "",
                         kernel_fields[i].name);
        if (n > 0) used += (size_t)n;
    }
    return buf;
}

/* Folder holding libhrkd.so (for relative lookups of backends and plugins). */
int hrkd_lib_dir(char *out, size_t cap)
{
    Dl_info info;
    if (!dladdr((void *)hrkd_lib_dir, &info) || !info.dli_fname) return -1;
    char path[PATH_MAX];
    if (!realpath(info.dli_fname, path)) snprintf(path, sizeof path, "%s", info.dli_fname);
    char *slash = strrchr(path, '/');
    if (!slash) return -1;
    *slash = '\0';
    snprintf(out, cap, "%s", path);
    return 0;
}

static int try_open(const char *path, void **handle, hrkd_error *err)
{
    if (access(path, F_OK) != 0) return 0;
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!*handle) {
        hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "%s: cannot load backend: %s", path, dlerror());
        return -1;
    }
    return 1;
}

hrkd_status hrkd_backend_load(const char *name, int threads, hrkd_backend **out, hrkd_error *err)
{
    *out = NULL;
    char path[PATH_MAX] = "";
    void *handle = NULL;
    int found = 0;
    if (strchr(name, '/')) {
        snprintf(path, sizeof path, "%s", name);
        found = try_open(path, &handle, err);
    } else {
        const char *env = getenv("HRKD_BACKEND_PATH");
        if (env && *env) {
            char *dirs = strdup(env), *save = NULL;
            for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
                snprintf(path, sizeof path, "%s/hrkd_backend_%s.so", d, name);
                found = try_open(path, &handle, err);
            }
            free(dirs);
        }
        char dir[PATH_MAX];
        if (!found && hrkd_lib_dir(dir, sizeof dir) == 0) {
            snprintf(path, sizeof path, "%s/hrkd/backends/hrkd_backend_%s.so", dir, name);
            found = try_open(path, &handle, err);
        }
    }
    if (found < 0) return err ? err->status : HRKD_STATUS_UNSUPPORTED;
    if (!found)
        return hrkd_error_set(err, HRKD_STATUS_NOT_FOUND,
                              "backend '%s' not found (looked in $HRKD_BACKEND_PATH and the "
                              "library's hrkd/backends folder); was it built?", name);
    hrkd_backend_entry_fn entry = (hrkd_backend_entry_fn)dlsym(handle, HRKD_BACKEND_ENTRY);
    const hrkd_kernels *k = entry ? entry() : NULL;
    if (!k) {
        dlclose(handle);
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: no %s() in this backend", path,
                              HRKD_BACKEND_ENTRY);
    }
    if (k->abi_version != HRKD_BACKEND_ABI_VERSION || k->struct_size < sizeof(hrkd_kernels)) {
        dlclose(handle);
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: backend ABI %u (table %zu bytes), host expects %u (%zu bytes)",
                              path, k->abi_version, k->struct_size, HRKD_BACKEND_ABI_VERSION,
                              sizeof(hrkd_kernels));
    }
    char missing[1024];
    hrkd_kernels_missing(k, missing, sizeof missing);
    if (!k->init || !k->alloc || !k->free || !k->copy_h2d || !k->copy_d2h) {
        dlclose(handle);
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: backend lacks required kernels: %s",
                              path, missing);
    }
    if (missing[0]) hrkd_log(HRKD_LOG_WARN, "backend %s lacks kernels: %s", k->name, missing);
    if (k->init(threads, err) != 0) {
        dlclose(handle);
        if (err && err->status == HRKD_STATUS_OK)
            hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "%s: backend failed to start", path);
        return err ? err->status : HRKD_STATUS_UNSUPPORTED;
    }
    hrkd_backend *be = calloc(1, sizeof *be);
    if (!be) {
        dlclose(handle);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    }
    be->handle = handle;
    be->k      = k;
    be->refs   = 1;
    snprintf(be->path, sizeof be->path, "%s", path);
    *out = be;
    return HRKD_STATUS_OK;
}

void hrkd_backend_unload(hrkd_backend *be)
{
    if (!be || --be->refs > 0) return;
    if (be->k->shutdown) be->k->shutdown();
    dlclose(be->handle);
    free(be);
}

const hrkd_kernels *hrkd_backend_kernels(const hrkd_backend *be) { return be->k; }
