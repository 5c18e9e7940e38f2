/* host/plugin/open.h — loading one plugin file and checking its descriptor, in the order of
 * hrkd/plugin.h; a refusal reads "<path>: <reason with both values>". */
#ifndef HRKD_PLUGIN_OPEN_H
#define HRKD_PLUGIN_OPEN_H

#include "hrkd/plugin.h"

/* Load one .so and run every check; *handle is the dlopen handle (NULL on refusal). */
const hrkd_plugin_descriptor *hrkd_plugin_open(const char *path, void **handle, hrkd_error *err);

#endif
