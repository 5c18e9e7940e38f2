/* host/plugin/registry.h — finding, checking and instantiating plugins.
 *
 * Search order: the build's / installation's plugin folder (next to libhrkd.so:
 * lib/hrkd/plugins), then every folder of $HRKD_PLUGIN_PATH (colon-separated), then the
 * INI's [run] plugin_path folders. A name containing '/' or ending in ".so" is a path. */
#ifndef HRKD_PLUGIN_REGISTRY_H
#define HRKD_PLUGIN_REGISTRY_H

#include "hrkd/plugin.h"

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
/* Load one .so and run every ABI check (used by get and by the scan). */
const hrkd_plugin_descriptor *hrkd_plugin_open(const char *path, void **handle, hrkd_error *err);
/* "loss" → HRKD_KIND_LOSS ...; 0 when unknown */
hrkd_plugin_kind hrkd_plugin_kind_from_name(const char *name);
/* The INI section a plugin reads: "loss.<name>", "relational.<name>", "teacher.<name>". */
void hrkd_plugin_section_name(const hrkd_plugin_descriptor *d, char *out, size_t cap);

#endif
