/* hrkd/config.h — typed, validated access to an experiment's INI configuration.
 *
 * The host parses the INI (inih), validates every key against its declaration (type,
 * default, range, doc) and reports all problems in one pass as "FILE:LINE: [section] key:
 * message". Plugins only read their own validated section through these accessors; a key is
 * always present after validation (its default fills in), so accessors cannot fail for
 * declared keys. Asking for an undeclared key is a programmer error (asserts).
 */
#ifndef HRKD_CONFIG_H
#define HRKD_CONFIG_H

#include <stdint.h>

#include "hrkd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hrkd_cfg_type {
    HRKD_CFG_INT = 0,
    HRKD_CFG_FLOAT,
    HRKD_CFG_BOOL,   /* true/false, yes/no, on/off, 1/0 */
    HRKD_CFG_STRING,
    HRKD_CFG_ENUM,   /* one of a declared list */
    HRKD_CFG_LIST,   /* comma-separated values, e.g. seeds = 1,2,3 */
    HRKD_CFG_PATH,   /* a string resolved relative to the INI file's folder */
} hrkd_cfg_type;

typedef struct hrkd_config         hrkd_config;         /* a whole parsed experiment */
typedef struct hrkd_config_section hrkd_config_section; /* one [section] */

HRKD_API const char *hrkd_cfg_section_name(const hrkd_config_section *s);
HRKD_API int64_t     hrkd_cfg_int(const hrkd_config_section *s, const char *key);
HRKD_API double      hrkd_cfg_float(const hrkd_config_section *s, const char *key);
HRKD_API int         hrkd_cfg_bool(const hrkd_config_section *s, const char *key);
/* strings, enums, paths (absolute or relative to the INI), lists (raw text) */
HRKD_API const char *hrkd_cfg_str(const hrkd_config_section *s, const char *key);
/* the INI file and line a key's value came from (line 0: default) */
HRKD_API const char *hrkd_cfg_origin(const hrkd_config_section *s, const char *key, int *line);

#ifdef __cplusplus
}
#endif
#endif /* HRKD_CONFIG_H */
