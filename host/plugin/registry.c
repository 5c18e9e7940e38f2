/* host/plugin/registry.c — finding plugins on the search path, checking their descriptors
 * and keeping them loaded.
 *
 * The built-in plugin folder is found from libhrkd.so itself (dladdr on one of its functions:
 * <dir of libhrkd.so>/hrkd/plugins), so the build tree and an installed prefix behave the
 * same. Every .so is checked in the order of hrkd/plugin.h, and a refusal reads
 * "<path>: <reason with both values>". A bad file met while scanning a folder is a warning
 * (the rest still load); a bad file named directly is an error. The first plugin of a name
 * wins; a later file giving the same name is refused as a duplicate.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_internal.h"
#include "core/path.h"
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

static const char *const kind_names[HRKD_KIND_COUNT_] = {
    [HRKD_KIND_LOSS] = "loss",
    [HRKD_KIND_RELATIONAL_REFERENCE] = "relational.reference",
    [HRKD_KIND_RELATIONAL_AGGREGATE] = "relational.aggregate",
    [HRKD_KIND_RELATIONAL_GRAPH] = "relational.graph",
    [HRKD_KIND_TEACHER] = "teacher",
};

const char *hrkd_plugin_kind_name(hrkd_plugin_kind kind)
{
    if ((int)kind <= 0 || kind >= HRKD_KIND_COUNT_) return NULL;
    return kind_names[kind];
}

hrkd_plugin_kind hrkd_plugin_kind_from_name(const char *name)
{
    for (int k = 1; k < HRKD_KIND_COUNT_; k++)
        if (name && strcmp(kind_names[k], name) == 0) return (hrkd_plugin_kind)k;
    return (hrkd_plugin_kind)0;
}

static const char *kind_group(hrkd_plugin_kind k)
{
    switch (k) {
    case HRKD_KIND_LOSS: return "loss";
    case HRKD_KIND_RELATIONAL_REFERENCE:
    case HRKD_KIND_RELATIONAL_AGGREGATE:
    case HRKD_KIND_RELATIONAL_GRAPH: return "relational";
    case HRKD_KIND_TEACHER: return "teacher";
    default: return "unknown";
    }
}

void hrkd_plugin_section_name(const hrkd_plugin_descriptor *d, char *out, size_t cap)
{
    snprintf(out, cap, "%s.%s", kind_group(d->kind), d->name);
}

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

/* ---- checking one file ------------------------------------------------------------------- */

static int valid_name(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

static int valid_key(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* The kind's function table: the pointer and its functions (NULL-terminated name list). */
static int check_tables(const char *path, const hrkd_plugin_descriptor *d, hrkd_error *err)
{
    const void *tables[HRKD_KIND_COUNT_] = {
        [HRKD_KIND_LOSS] = d->loss,
        [HRKD_KIND_RELATIONAL_REFERENCE] = d->reference,
        [HRKD_KIND_RELATIONAL_AGGREGATE] = d->aggregate,
        [HRKD_KIND_RELATIONAL_GRAPH] = d->graph,
        [HRKD_KIND_TEACHER] = d->teacher,
    };
    static const char *const table_names[HRKD_KIND_COUNT_] = {
        [HRKD_KIND_LOSS] = "loss", [HRKD_KIND_RELATIONAL_REFERENCE] = "reference",
        [HRKD_KIND_RELATIONAL_AGGREGATE] = "aggregate", [HRKD_KIND_RELATIONAL_GRAPH] = "graph",
        [HRKD_KIND_TEACHER] = "teacher",
    };
    const char *kn = kind_names[d->kind];
    if (!tables[d->kind]) {
        for (int k = 1; k < HRKD_KIND_COUNT_; k++)
            if (tables[k])
                return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                      "%s: kind %s but the %s function table is NULL and the %s function "
                                      "table is set (kind %s?)", path, kn, table_names[d->kind],
                                      table_names[k], kind_names[k]);
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: kind %s but the %s function table is NULL",
                              path, kn, table_names[d->kind]);
    }
    for (int k = 1; k < HRKD_KIND_COUNT_; k++)
        if (k != (int)d->kind && tables[k])
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "%s: kind %s but a %s function table is also set", path, kn,
                                  table_names[k]);
    const char *missing = NULL;
    switch (d->kind) {
    case HRKD_KIND_LOSS: if (!d->loss->compute) missing = "compute"; break;
    case HRKD_KIND_RELATIONAL_REFERENCE: if (!d->reference->forward) missing = "forward"; break;
    case HRKD_KIND_RELATIONAL_AGGREGATE: if (!d->aggregate->forward) missing = "forward"; break;
    case HRKD_KIND_RELATIONAL_GRAPH: if (!d->graph->forward) missing = "forward"; break;
    case HRKD_KIND_TEACHER:
        if (!d->teacher->n_models) missing = "n_models";
        else if (!d->teacher->route) missing = "route";
        else if (!d->teacher->n_heads) missing = "n_heads";
        else if (!d->teacher->train_loss) missing = "train_loss";
        break;
    default: break;
    }
    if (missing)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: %s function table: %s is NULL", path,
                              table_names[d->kind], missing);
    return HRKD_STATUS_OK;
}

static int check_params(const char *path, const hrkd_plugin_descriptor *d, hrkd_error *err)
{
    if (d->n_params < 0 || (d->n_params > 0 && !d->params))
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: n_params is %d but params is %s", path,
                              d->n_params, d->params ? "set" : "NULL");
    for (int i = 0; i < d->n_params; i++) {
        const hrkd_plugin_param *p = &d->params[i];
        if (!valid_key(p->name))
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "%s: parameter %d: invalid name '%s' (letters, digits, '_', '-', '.')",
                                  path, i, p->name ? p->name : "(null)");
        for (int j = 0; j < i; j++)
            if (strcmp(d->params[j].name, p->name) == 0)
                return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: parameter '%s' declared twice",
                                      path, p->name);
        if ((int)p->type < HRKD_CFG_INT || (int)p->type > HRKD_CFG_PATH)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: parameter '%s': unknown type %d",
                                  path, p->name, (int)p->type);
        if (p->type == HRKD_CFG_ENUM && (!p->choices || !*p->choices))
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: parameter '%s': enum without choices",
                                  path, p->name);
        if (p->default_value) {
            cfg_key k = {.name = p->name, .type = p->type, .min = p->min, .max = p->max,
                         .choices = p->choices};
            char why[512];
            if (cfg_check_value(&k, p->default_value, NULL, why, sizeof why))
                return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: parameter '%s': bad default: %s",
                                      path, p->name, why);
        }
    }
    return HRKD_STATUS_OK;
}

/* Loading a plugin runs its code: like ssh with a key file, refuse one that users other than
 * its owner and root may have replaced — the file writable by group or others, owned by
 * someone else, or in a folder writable by group or others (a sticky folder such as /tmp is
 * fine: there only the owner may replace the file). HRKD_PLUGIN_ALLOW_LOOSE=1 loads it anyway. */
static int plugin_loose(const char *path, const struct stat *st, hrkd_error *err)
{
    const char *allow = getenv("HRKD_PLUGIN_ALLOW_LOOSE");
    if (allow && !strcmp(allow, "1")) return 0;
    const char *hint = "HRKD_PLUGIN_ALLOW_LOOSE=1 loads it anyway";
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: writable by group or others (mode %04o); %s", path,
                       (unsigned)(st->st_mode & 07777), hint);
        return 1;
    }
    if (st->st_uid != 0 && st->st_uid != geteuid()) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: owned by uid %u, neither you nor root; %s", path,
                       (unsigned)st->st_uid, hint);
        return 1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    struct stat ds;
    if (stat(dir, &ds) == 0 && (ds.st_mode & (S_IWGRP | S_IWOTH)) && !(ds.st_mode & S_ISVTX)) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: the folder holding %s is writable by group or others (mode %04o); %s",
                       dir, base, (unsigned)(ds.st_mode & 07777), hint);
        return 1;
    }
    return 0;
}

const hrkd_plugin_descriptor *hrkd_plugin_open(const char *path, void **handle, hrkd_error *err)
{
    *handle = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (hrkd_path_expect(path, HRKD_PATH_FILE, err) || plugin_loose(path, &st, err)) return NULL;
    /* dlopen searches the library path for a bare name: make it a path. */
    char local[4096];
    const char *open_path = path;
    if (!strchr(path, '/')) {
        snprintf(local, sizeof local, "./%s", path);
        open_path = local;
    }
    dlerror();
    void *h = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        if (!why) why = "unknown dlopen error";
        size_t n = strlen(open_path);
        if (strncmp(why, open_path, n) == 0 && why[n] == ':') why += n + 1;
        while (*why == ' ') why++;
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: cannot load: %s", path, why);
        return NULL;
    }
    dlerror();
    hrkd_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, HRKD_PLUGIN_ENTRY);
    const hrkd_plugin_descriptor *d = NULL;
    if (!entry) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: no entry symbol '%s' (not an hrkd plugin?)",
                       path, HRKD_PLUGIN_ENTRY);
        goto fail;
    }
    d = entry();
    if (!d) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: %s() returned NULL", path, HRKD_PLUGIN_ENTRY);
        goto fail;
    }
    if (d->magic != HRKD_PLUGIN_MAGIC) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: bad magic 0x%08x, expected 0x%08x", path,
                       (unsigned)d->magic, (unsigned)HRKD_PLUGIN_MAGIC);
        goto fail;
    }
    if (d->abi_major != HRKD_PLUGIN_ABI_MAJOR) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: plugin ABI major %u, host supports %u", path,
                       (unsigned)d->abi_major, (unsigned)HRKD_PLUGIN_ABI_MAJOR);
        goto fail;
    }
    if (d->abi_minor > HRKD_PLUGIN_ABI_MINOR) {
        hrkd_error_set(err, HRKD_STATUS_INVALID,
                       "%s: plugin ABI minor %u, host supports up to %u (plugin built for a newer hrkd)",
                       path, (unsigned)d->abi_minor, (unsigned)HRKD_PLUGIN_ABI_MINOR);
        goto fail;
    }
    /* ABI 1.0 covers every field of the struct as declared today. */
    if (d->struct_size < sizeof(hrkd_plugin_descriptor)) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: descriptor size %zu, expected at least %zu",
                       path, d->struct_size, sizeof(hrkd_plugin_descriptor));
        goto fail;
    }
    if (!hrkd_plugin_kind_name(d->kind)) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: unknown plugin kind %d (expected 1..%d)", path,
                       (int)d->kind, HRKD_KIND_COUNT_ - 1);
        goto fail;
    }
    if (!d->create || !d->destroy) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: descriptor has no %s function", path,
                       !d->create ? "create" : "destroy");
        goto fail;
    }
    if (check_tables(path, d, err)) goto fail;
    if (!d->name || !*d->name) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: plugin name is empty", path);
        goto fail;
    }
    if (!valid_name(d->name)) {
        char shown[64];
        snprintf(shown, sizeof shown, "%s", d->name);
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: invalid plugin name '%s' (expected [a-z0-9_]+)",
                       path, shown);
        goto fail;
    }
    if (strlen(d->name) > 36) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: plugin name '%.40s...' is longer than 36 characters",
                       path, d->name);
        goto fail;
    }
    if (check_params(path, d, err)) goto fail;
    *handle = h;
    return d;
fail:
    dlclose(h);
    return NULL;
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
