/* host/plugin/registry.c — finding plugins on the search path and keeping them loaded.
 *
 * The built-in plugin folder is found from libhrkd.so itself (dladdr on one of its functions:
 * <dir of libhrkd.so>/hrkd/plugins), so the build tree and an installed prefix behave the
 * same. Every .so is checked by open.c in the order of hrkd/plugin.h, and a refusal reads
 * "<path>: <reason with both values>". A bad file met while scanning a folder is a warning
 * (the rest still load); a bad file named directly is an error. The first plugin of a name
 * wins; a later file giving the same name is refused as a duplicate.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/open.h"
#include "plugin/registry.h"

typedef struct reg_item {
    hrkd_plugin_entry_info info;
    void                  *handle;
    char                  *path;
    char                  *canon;
} reg_item;

struct hrkd_registry {
    reg_item *items;
    int       n, cap;
    char     *search; /* the folders searched, ':'-separated (for messages) */
};

int hrkd_plugin_lib_dir(char *out, size_t cap)
{
    Dl_info info;
    if (!dladdr((void *)&hrkd_plugin_lib_dir, &info) || !info.dli_fname) return 1;
    char *canon = realpath(info.dli_fname, NULL);
    const char *p = canon ? canon : info.dli_fname;
    const char *slash = strrchr(p, '/');
    if (slash) snprintf(out, cap, "%.*s", (int)(slash - p), p);
    else snprintf(out, cap, ".");
    free(canon);
    return 0;
}

/* ---- the registry ------------------------------------------------------------------------ */

static int is_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') != NULL || (n > 3 && strcmp(s + n - 3, ".so") == 0);
}

static reg_item *find_name(hrkd_registry *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->items[i].info.desc->name, name) == 0) return &r->items[i];
    return NULL;
}

static reg_item *find_canon(hrkd_registry *r, const char *canon)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->items[i].canon, canon) == 0) return &r->items[i];
    return NULL;
}

/* Opens and adds one file; NULL with err set when refused. */
static reg_item *reg_add(hrkd_registry *r, const char *path, hrkd_error *err)
{
    char *canon = realpath(path, NULL);
    if (canon) {
        reg_item *same = find_canon(r, canon);
        if (same) {
            free(canon);
            return same;
        }
    }
    void *h = NULL;
    const hrkd_plugin_descriptor *d = hrkd_plugin_open(path, &h, err);
    if (!d) {
        free(canon);
        return NULL;
    }
    reg_item *dup = find_name(r, d->name);
    if (dup) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: duplicate plugin name '%s' (also in %s)", path,
                       d->name, dup->path);
        dlclose(h);
        free(canon);
        return NULL;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->items = realloc(r->items, (size_t)r->cap * sizeof(reg_item));
        HRKD_ASSERT(r->items);
    }
    reg_item *it = &r->items[r->n++];
    it->handle = h;
    it->path = strdup(path);
    it->canon = canon ? canon : strdup(path);
    HRKD_ASSERT(it->path && it->canon);
    it->info.desc = d;
    it->info.path = it->path;
    return it;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void scan_dir(hrkd_registry *r, const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh) return; /* a missing folder on the path is not an error */
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0 || de->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = realloc(names, (size_t)cap * sizeof(char *));
            HRKD_ASSERT(names);
        }
        names[n] = strdup(de->d_name);
        HRKD_ASSERT(names[n]);
        n++;
    }
    closedir(dh);
    if (n > 1) qsort(names, (size_t)n, sizeof(char *), cmp_str);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        HRKD_ASSERT(path);
        snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
        hrkd_error e = {0};
        if (!reg_add(r, path, &e)) hrkd_log(HRKD_LOG_WARN, "%s (skipped)", e.msg);
        free(path);
        free(names[i]);
    }
    free(names);
}

static void append_search(hrkd_registry *r, const char *dir)
{
    size_t old = r->search ? strlen(r->search) : 0;
    r->search = realloc(r->search, old + strlen(dir) + 2);
    HRKD_ASSERT(r->search);
    if (!old) r->search[0] = 0;
    else strcat(r->search, ":");
    strcat(r->search, dir);
}

static void scan_list(hrkd_registry *r, const char *list)
{
    if (!list) return;
    char *copy = strdup(list);
    HRKD_ASSERT(copy);
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (!*d) continue;
        append_search(r, d);
        scan_dir(r, d);
    }
    free(copy);
}

hrkd_registry *hrkd_registry_create(const char *extra_dirs, hrkd_error *err)
{
    hrkd_registry *r = calloc(1, sizeof *r);
    if (!r) {
        hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        return NULL;
    }
    char lib[4096], dir[4200];
    if (hrkd_plugin_lib_dir(lib, sizeof lib) == 0) {
        snprintf(dir, sizeof dir, "%s/hrkd/plugins", lib);
        append_search(r, dir);
        scan_dir(r, dir);
    }
    const char *env = getenv("HRKD_PLUGIN_PATH");
    if (env) { /* a folder named there that is not there is likely a typo: say so */
        char *copy = strdup(env), *save = NULL;
        HRKD_ASSERT(copy);
        struct stat sb;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
            if (*d && (stat(d, &sb) != 0 || !S_ISDIR(sb.st_mode)))
                hrkd_log(HRKD_LOG_WARN, "HRKD_PLUGIN_PATH: %s: no such folder", d);
        free(copy);
    }
    scan_list(r, env);
    scan_list(r, extra_dirs);
    return r;
}

void hrkd_registry_destroy(hrkd_registry *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) {
        /* Descriptors point into the plugin: none may be used after this. */
        dlclose(r->items[i].handle);
        free(r->items[i].path);
        free(r->items[i].canon);
    }
    free(r->items);
    free(r->search);
    free(r);
}

int hrkd_registry_count(const hrkd_registry *r) { return r->n; }

const hrkd_plugin_entry_info *hrkd_registry_at(const hrkd_registry *r, int i)
{
    return i >= 0 && i < r->n ? &r->items[i].info : NULL;
}

const char *hrkd_registry_search_path(const hrkd_registry *r) { return r->search ? r->search : ""; }

void hrkd_registry_names(const hrkd_registry *r, hrkd_plugin_kind kind, char *out, size_t cap)
{
    out[0] = 0;
    for (int i = 0; i < r->n; i++) {
        const hrkd_plugin_descriptor *d = r->items[i].info.desc;
        if (kind && d->kind != kind) continue;
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? ", " : "", d->name);
    }
}

const hrkd_plugin_descriptor *hrkd_registry_get(hrkd_registry *r, const char *name_or_path,
                                                hrkd_plugin_kind kind, hrkd_error *err)
{
    reg_item *it;
    if (is_path(name_or_path)) {
        it = reg_add(r, name_or_path, err);
        if (!it) return NULL;
    } else {
        it = find_name(r, name_or_path);
        if (!it) {
            char names[2048];
            hrkd_registry_names(r, kind, names, sizeof names);
            char shown[64];
            snprintf(shown, sizeof shown, "%s", name_or_path);
            if (names[0])
                hrkd_error_set(err, HRKD_STATUS_NOT_FOUND, "plugin '%s' not found; available %s%splugins: %s",
                               shown, kind ? hrkd_plugin_kind_name(kind) : "", kind ? " " : "", names);
            else
                hrkd_error_set(err, HRKD_STATUS_NOT_FOUND,
                               "plugin '%s' not found; no %s%splugins on the search path %s", shown,
                               kind ? hrkd_plugin_kind_name(kind) : "", kind ? " " : "",
                               hrkd_registry_search_path(r));
            return NULL;
        }
    }
    const hrkd_plugin_descriptor *d = it->info.desc;
    if (kind && d->kind != kind) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "plugin '%s' is of kind %s, expected %s", d->name,
                       hrkd_plugin_kind_name(d->kind), hrkd_plugin_kind_name(kind));
        return NULL;
    }
    return d;
}

const char *hrkd_registry_path_of(const hrkd_registry *r, const hrkd_plugin_descriptor *d)
{
    for (int i = 0; i < r->n; i++)
        if (r->items[i].info.desc == d) return r->items[i].path;
    return NULL;
}
