/* host/plugin/kind.h — the names of plugin kinds and of the INI sections plugins read
 * (hrkd_plugin_kind_name itself is SDK: hrkd/plugin.h). */
#ifndef HRKD_PLUGIN_KIND_H
#define HRKD_PLUGIN_KIND_H

#include <stddef.h>

#include "hrkd/plugin.h"

/* "loss" → HRKD_KIND_LOSS ...; 0 when unknown */
hrkd_plugin_kind hrkd_plugin_kind_from_name(const char *name);
/* The INI section a plugin reads: "loss.<name>", "relational.<name>", "teacher.<name>". */
void hrkd_plugin_section_name(const hrkd_plugin_descriptor *d, char *out, size_t cap);

#endif
