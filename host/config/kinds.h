/* host/config/kinds.h — plugin kinds as an INI names them (kinds.c; hrkd_plugin_kind_name
 * itself is SDK: hrkd/plugin.h). Below the plugin registry and the configuration alike. */
#ifndef HRKD_CONFIG_KINDS_H
#define HRKD_CONFIG_KINDS_H

#include <stddef.h>

#include "hrkd/plugin.h"

/* "loss" → HRKD_KIND_LOSS ...; 0 when unknown */
hrkd_plugin_kind hrkd_plugin_kind_from_name(const char *name);
/* The INI section a plugin reads: "loss.<name>", "relational.<name>", "teacher.<name>". */
void hrkd_plugin_section_name(const hrkd_plugin_descriptor *d, char *out, size_t cap);
/* Plugin section groups: "loss", "relational", "teacher". 1 if name is "<group>.<plugin>". */
int cfg_is_plugin_section(const char *name);

#endif
