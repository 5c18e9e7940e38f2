/* host/config/schema.h — the declared host sections (schema.c): every key's type, default,
 * range and doc. */
#ifndef HRKD_CONFIG_SCHEMA_H
#define HRKD_CONFIG_SCHEMA_H

#include "config/value.h"

typedef struct cfg_schema_section {
    const char    *name;
    const char    *doc;
    const cfg_key *keys;
    int            n_keys;
} cfg_schema_section;

/* The host schema, in the order of the effective INI and the reference. */
extern const cfg_schema_section hrkd_cfg_host_schema[];
extern const int                hrkd_cfg_host_schema_count;
/* NULL when section is not a host section. */
const cfg_schema_section *cfg_schema_find(const char *section);

#endif
