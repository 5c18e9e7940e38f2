/* host/config/cfg.h — the host side of the INI configuration (plugins see hrkd/config.h).
 *
 * hrkd_config_load parses a file with inih (with %include and [run] base = chains), validates
 * every key of every host section against the declared schema (type, default, range, doc),
 * fills defaults, and collects ALL problems as "FILE:LINE: [section] key: message" lines.
 * Plugin sections ([relational.gat], [loss.tinybert], ...) are kept as raw key/value pairs
 * until hrkd_config_bind_plugin validates them against the plugin's parameter table. */
#ifndef HRKD_CONFIG_CFG_H
#define HRKD_CONFIG_CFG_H

#include "hrkd/config.h"
#include "hrkd/plugin.h"

/* Problems found, one message per line (each "FILE:LINE: ..."). */
typedef struct hrkd_config_errors {
    int    n;
    char **msg;
} hrkd_config_errors;

void hrkd_config_errors_free(hrkd_config_errors *e);

/* Returns NULL when anything is wrong (then errs holds every message). */
hrkd_config *hrkd_config_load(const char *path, hrkd_config_errors *errs);
/* The same from memory; %include / base are refused (name labels messages). */
hrkd_config *hrkd_config_load_string(const char *text, const char *name, hrkd_config_errors *errs);
void hrkd_config_free(hrkd_config *cfg);

const char *hrkd_config_path(const hrkd_config *cfg);
/* Host sections are always present after a successful load (defaults filled in). Plugin
 * sections are present when the INI has them or after hrkd_config_bind_plugin. */
const hrkd_config_section *hrkd_config_get_section(const hrkd_config *cfg, const char *name);
/* Validate (and fill the defaults of) section `name` against a plugin's declared parameters;
 * unknown keys / bad values are appended to errs. Returns the bound section, or NULL. */
const hrkd_config_section *hrkd_config_bind_plugin(hrkd_config *cfg, const char *name,
                                                   const hrkd_plugin_descriptor *desc,
                                                   hrkd_config_errors *errs);
/* The effective configuration as INI text (all sections, defaults filled; malloc'd). */
char *hrkd_config_effective_ini(const hrkd_config *cfg);
/* The INI reference of every host section as Markdown (for `hrkd check --doc`; malloc'd). */
char *hrkd_config_doc_markdown(void);

/* Walking the sections (host sections first, in schema order; then plugin sections). */
int hrkd_config_section_count(const hrkd_config *cfg);
const hrkd_config_section *hrkd_config_section_at(const hrkd_config *cfg, int i);
int hrkd_config_section_is_plugin(const hrkd_config_section *s); /* [loss.x] ... */
int hrkd_config_section_validated(const hrkd_config_section *s); /* host, or a bound plugin's */
/* Where the section's first [header] is (NULL when the INI has none: all defaults). */
const char *hrkd_config_section_origin(const hrkd_config_section *s, int *line);
int hrkd_config_has_key(const hrkd_config_section *s, const char *key);

/* A plugin reading its section with an undeclared key, or with the accessor of another type,
 * gets 0 / "" and the mistake is recorded (per thread, the first since the last take). Returns
 * 1 and copies "read undeclared key 'k' in [section] (declared: a, b)" into out when one was
 * recorded, clearing it; 0 otherwise. The host calls it after every plugin call. */
int hrkd_config_take_misuse(char *out, size_t cap);

#endif
