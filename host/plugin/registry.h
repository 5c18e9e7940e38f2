/* host/plugin/registry.h — finding, checking and instantiating plugins.
 *
 * Search order: the build's / installation's plugin folder (next to libhrkd.so:
 * lib/hrkd/plugins), then every folder of $HRKD_PLUGIN_PATH (colon-separated), then the
 * INI's [run] plugin_path folders. A name containing '/' or ending in ".so" is a path. */
#ifndef HRKD_PLUGIN_REGISTRY_H
#define HRKD_PLUGIN_REGISTRY_H

#include "config/cfg.h"
#include "hrkd/plugin.h"
#include "config/kinds.h"

typedef struct hrkd_registry hrkd_registry;

typedef struct hrkd_plugin_entry_info {
    const hrkd_plugin_descriptor *desc;
    const char                   *path; /* the .so it came from */
} hrkd_plugin_entry_info;

/* Scan the search path (extra_dirs: colon-separated folders from the INI, may be NULL).
 * Bad plugins found while scanning are reported as warnings (hrkd_log) and skipped. */
hrkd_registry *hrkd_registry_create(const char *extra_dirs, hrkd_error *err);
void hrkd_registry_destroy(hrkd_registry *r);
int hrkd_registry_count(const hrkd_registry *r);
const hrkd_plugin_entry_info *hrkd_registry_at(const hrkd_registry *r, int i);
/* Find by name (or load a path) and check the kind; errors name the file and the reason.
 * kind 0 accepts any kind. */
const hrkd_plugin_descriptor *hrkd_registry_get(hrkd_registry *r, const char *name_or_path,
                                                hrkd_plugin_kind kind, hrkd_error *err);

/* The folder holding libhrkd.so (its lib/ folder: plugins are in <it>/hrkd/plugins,
 * backends in <it>/hrkd/backends). Returns 0, or 1 when it cannot be found. */
int hrkd_plugin_lib_dir(char *out, size_t cap);
/* The folders scanned, ':'-separated, in order. */
const char *hrkd_registry_search_path(const hrkd_registry *r);
/* "a, b, c": the names of the loaded plugins of a kind (0: all). */
void hrkd_registry_names(const hrkd_registry *r, hrkd_plugin_kind kind, char *out, size_t cap);
/* The file a loaded descriptor came from (NULL if not from this registry). */
const char *hrkd_registry_path_of(const hrkd_registry *r, const hrkd_plugin_descriptor *d);

/* Check every plugin-name key of cfg against the registry (exists, right kind) and bind every
 * plugin section to its plugin's declared parameters. Messages ("FILE:LINE: [relational]
 * graph: plugin 'tinybert' is of kind loss, expected relational.graph") are appended to
 * errs; returns how many problems were found (0: cfg is ready to run). */
int hrkd_registry_resolve_config(hrkd_registry *r, hrkd_config *cfg, hrkd_config_errors *errs);
/* 1 when the plugin key [section] key is one resolve checks: the run mode uses it, or the INI
 * sets it to something other than its default. */
int hrkd_registry_key_in_use(const hrkd_config *cfg, const char *section, const char *key);
/* The plugin a key names ([relational] graph ...) and, after resolve, its bound section. */
const hrkd_plugin_descriptor *hrkd_registry_for_key(hrkd_registry *r, const hrkd_config *cfg,
                                                    const char *section, const char *key,
                                                    const hrkd_config_section **plugin_section,
                                                    hrkd_error *err);

#endif
