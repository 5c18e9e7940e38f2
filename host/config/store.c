/* host/config/store.c — the configuration in memory (store.h): files, sections, entries. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config/mem.h"
#include "config/store.h"

const char *cfg_intern(hrkd_config *cfg, const char *file)
{
    for (int i = 0; i < cfg->n_files; i++)
        if (strcmp(cfg->files[i], file) == 0) return cfg->files[i];
    int cap = cfg->n_files; /* grow by one: few files */
    cfg->files = realloc(cfg->files, (size_t)(cap + 1) * sizeof(char *));
    HRKD_ASSERT(cfg->files);
    cfg->files[cfg->n_files++] = cfg_strdup(file);
    return cfg->files[cfg->n_files - 1];
}

int cfg_file_index(const hrkd_config *cfg, const char *file)
{
    if (!file) return INT_MAX;
    for (int i = 0; i < cfg->n_files; i++)
        if (cfg->files[i] == file || strcmp(cfg->files[i], file) == 0) return i;
    return INT_MAX - 1;
}

hrkd_config_section *cfg_section_get(hrkd_config *cfg, const char *name, int create)
{
    for (int i = 0; i < cfg->n; i++)
        if (strcmp(cfg->s[i]->name, name) == 0) return cfg->s[i];
    if (!create) return NULL;
    hrkd_config_section *s = calloc(1, sizeof *s);
    HRKD_ASSERT(s);
    s->name = cfg_strdup(name);
    cfg->s = cfg_grow(cfg->s, &cfg->cap, cfg->n + 1, sizeof(*cfg->s));
    cfg->s[cfg->n++] = s;
    return s;
}

cfg_entry *cfg_entry_find(const hrkd_config_section *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->e[i].key, key) == 0) return &s->e[i];
    return NULL;
}

cfg_entry *cfg_entry_put(hrkd_config_section *s, const char *key, const char *raw,
                                const char *file, int line)
{
    cfg_entry *e = cfg_entry_find(s, key);
    if (!e) {
        s->e = cfg_grow(s->e, &s->cap, s->n + 1, sizeof(cfg_entry));
        e = &s->e[s->n++];
        memset(e, 0, sizeof *e);
        e->key = cfg_strdup(key);
    } else {
        free(e->raw);
        free(e->value);
        e->value = NULL;
    }
    e->raw = cfg_strdup(raw);
    e->file = file;
    e->line = line;
    return e;
}

void cfg_entry_set_default(hrkd_config *cfg, hrkd_config_section *s, const char *key,
                           const char *value)
{
    cfg_entry *e = cfg_entry_put(s, key, value, cfg->path, 0);
    e->value = cfg_strdup(value);
}

static void cfg_section_free(hrkd_config_section *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->e[i].key);
        free(s->e[i].raw);
        free(s->e[i].value);
    }
    free(s->e);
    free(s->own_keys);
    free(s->name);
    free(s);
}

void hrkd_config_free(hrkd_config *cfg)
{
    if (!cfg) return;
    for (int i = 0; i < cfg->n; i++) cfg_section_free(cfg->s[i]);
    free(cfg->s);
    for (int i = 0; i < cfg->n_files; i++) free(cfg->files[i]);
    free(cfg->files);
    free(cfg->path);
    free(cfg);
}
