/* host/config/config_internal.h — what config.c (parsing, storage, accessors) and schema.c
 * (the declarations of every host section, cross-key checks, the Markdown reference) share.
 * Nothing here is part of the SDK. */
#ifndef HRKD_CONFIG_INTERNAL_H
#define HRKD_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"

/* Flags of a declared key (host schema only; plugin parameters have none). */
enum {
    CFG_MIN_EXCLUSIVE = 1u << 0, /* value must be > min, not >= min */
    CFG_LIST_INT      = 1u << 1, /* HRKD_CFG_LIST whose items are integers in [min, max] */
    CFG_PATH_LIST     = 1u << 2, /* HRKD_CFG_PATH holding ':'-separated folders */
    CFG_PLUGIN        = 1u << 3, /* HRKD_CFG_STRING naming a plugin (checked against the registry) */
};

typedef struct cfg_key {
    const char      *name;
    hrkd_cfg_type    type;
    const char      *def;     /* NULL: required */
    double           min, max;/* numbers (list items with CFG_LIST_INT); min > max: unbounded */
    const char      *choices; /* HRKD_CFG_ENUM: "a|b|c" */
    const char      *doc;
    unsigned         flags;
    hrkd_plugin_kind plugin_kind; /* with CFG_PLUGIN */
} cfg_key;

typedef struct cfg_schema_section {
    const char    *name;
    const char    *doc;
    const cfg_key *keys;
    int            n_keys;
} cfg_schema_section;

/* A value after validation. */
typedef struct cfg_value {
    int64_t i;
    double  f;
    int     b;
} cfg_value;

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

/* The host schema (schema.c). */
extern const cfg_schema_section hrkd_cfg_host_schema[];
extern const int                hrkd_cfg_host_schema_count;
const cfg_schema_section *cfg_schema_find(const char *section);
/* Plugin section groups: "loss", "relational", "teacher". 1 if name is "<group>.<plugin>". */
int cfg_is_plugin_section(const char *name);

/* Error collection with ordering (file index, line) so a report reads top to bottom. */
typedef struct cfg_diag {
    int   file_idx, line, seq;
    char *msg;
} cfg_diag;
typedef struct cfg_diags {
    cfg_diag *d;
    int       n, cap;
} cfg_diags;
void cfg_diag_add(cfg_diags *ds, const hrkd_config *cfg, const char *file, int line,
                  const char *fmt, ...) HRKD_PRINTF(5, 6);
/* Sorts and moves every message into errs (errs may be NULL: they are dropped). */
void cfg_diags_flush(cfg_diags *ds, hrkd_config_errors *errs);

/* Validate one text against a declaration; 0 ok, else `why` holds "expected ..., got '...'". */
int cfg_check_value(const cfg_key *k, const char *text, cfg_value *out, char *why, size_t cap);
/* "int", "float", "bool", "string", "enum", "list", "path" */
const char *cfg_type_name(hrkd_cfg_type t);
/* The allowed range or choices of a key as text ("[1, 48]", "> 0", "erf|tanh", ""). */
void cfg_key_range(const cfg_key *k, char *out, size_t cap);

hrkd_config_section *cfg_section_get(hrkd_config *cfg, const char *name, int create);
cfg_entry *cfg_entry_find(const hrkd_config_section *s, const char *key);
/* Validate every key of s against keys[0..n), fill defaults; problems go to ds. */
void cfg_section_validate(hrkd_config *cfg, hrkd_config_section *s, const cfg_key *keys, int n,
                          cfg_diags *ds);
/* Set (or replace) a key's value as a default (line 0) of the main file. */
void cfg_entry_set_default(hrkd_config *cfg, hrkd_config_section *s, const char *key,
                           const char *value);
/* A growing text buffer. */
typedef struct cfg_buf {
    char  *s;
    size_t n, cap;
} cfg_buf;
void cfg_buf_printf(cfg_buf *b, const char *fmt, ...) HRKD_PRINTF(2, 3);
/* One section's Markdown table (key, type, default, range, doc) appended to b. */
void cfg_doc_keys(cfg_buf *b, const char *section, const char *doc, const cfg_key *keys, int n);

/* rel made absolute: against base_file's folder, then the working folder (malloc'd), and
 * lexically normalised (cfg_normalize_abs). */
char *cfg_join_abs(const char *base_file, const char *rel);
/* An absolute path rewritten in place without "//", "/./", "dir/.." or a trailing '/'. */
void cfg_normalize_abs(char *path);

/* Cross-key rules after every section validated (schema.c). */
void cfg_schema_cross_check(hrkd_config *cfg, cfg_diags *ds);

#endif
