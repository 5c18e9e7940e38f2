/* host/config/store.h — the configuration in memory: the files read, the sections in order,
 * each key's text, value and origin. Filled by config.c (from reader.c's records), checked by
 * validate.c and rules.c, read through access.c. */
#ifndef HRKD_CONFIG_STORE_H
#define HRKD_CONFIG_STORE_H

#include "config/cfg.h"
#include "config/value.h"

typedef struct cfg_entry {
    char          *key;
    char          *raw;   /* as written (trimmed by inih) */
    char          *value; /* what accessors return: raw, or a path resolved against its file */
    const char    *file;  /* interned in the config; the main path for defaults */
    int            line;  /* 0: default */
    cfg_value      v;
    const cfg_key *decl;  /* NULL until validated against a schema */
} cfg_entry;

struct hrkd_config_section {
    char          *name;
    const char    *file; /* where its first [header] was (NULL: not in the INI) */
    int            line;
    cfg_entry     *e;
    int            n, cap;
    int            validated;
    int            plugin;   /* a plugin's section (loss.x, relational.x, teacher.x) */
    cfg_key       *own_keys; /* plugin sections: the bound plugin's parameters, converted */
    int            n_own_keys;
};

struct hrkd_config {
    char                 *path; /* the main file (or the name given to load_string) */
    char                **files;/* interned file names, in order of first appearance */
    int                   n_files;
    hrkd_config_section **s;
    int                   n, cap;
};

/* The config's own copy of a file name (one per name, kept until the config is freed). */
const char *cfg_intern(hrkd_config *cfg, const char *file);
/* The order in which file was first read (INT_MAX for NULL, INT_MAX - 1 when not read). */
int cfg_file_index(const hrkd_config *cfg, const char *file);

hrkd_config_section *cfg_section_get(hrkd_config *cfg, const char *name, int create);
cfg_entry *cfg_entry_find(const hrkd_config_section *s, const char *key);
/* Set (or replace) a key's text as written at file:line; the value is set by validation. */
cfg_entry *cfg_entry_put(hrkd_config_section *s, const char *key, const char *raw,
                         const char *file, int line);
/* Set (or replace) a key's value as a default (line 0) of the main file. */
void cfg_entry_set_default(hrkd_config *cfg, hrkd_config_section *s, const char *key,
                           const char *value);

#endif
