/* host/config/value.h — a declared key (host schema, or a plugin parameter converted) and the
 * check of one written value against it. Knows nothing of files or sections. */
#ifndef HRKD_CONFIG_VALUE_H
#define HRKD_CONFIG_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "hrkd/config.h"
#include "hrkd/plugin.h"

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

/* A value after validation. */
typedef struct cfg_value {
    int64_t i;
    double  f;
    int     b;
} cfg_value;

/* Validate one text against a declaration; 0 ok, else `why` holds "expected ..., got '...'". */
int cfg_check_value(const cfg_key *k, const char *text, cfg_value *out, char *why, size_t cap);
/* "int", "float", "bool", "string", "enum", "list", "path" */
const char *cfg_type_name(hrkd_cfg_type t);
/* The allowed range or choices of a key as text ("[1, 48]", "> 0", "erf|tanh", ""). */
void cfg_key_range(const cfg_key *k, char *out, size_t cap);

#endif
