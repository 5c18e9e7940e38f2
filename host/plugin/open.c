/* host/plugin/open.c — one plugin file loaded and its descriptor checked (open.h).
 *
 * In the order of hrkd/plugin.h: the file's owner and mode, dlopen, the entry symbol, magic,
 * ABI, size, kind, functions, name and parameters. Each refusal names the file and both
 * values. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/value.h"
#include "core/path.h"
#include "plugin/open.h"

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
    const char *kn = hrkd_plugin_kind_name(d->kind);
    if (!tables[d->kind]) {
        for (int k = 1; k < HRKD_KIND_COUNT_; k++)
            if (tables[k])
                return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                      "%s: kind %s but the %s function table is NULL and the %s function "
                                      "table is set (kind %s?)", path, kn, table_names[d->kind],
                                      table_names[k], hrkd_plugin_kind_name(k));
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
