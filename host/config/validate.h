/* host/config/validate.h — one section's keys checked against declared keys (a host section's
 * schema, or a plugin's parameters): unknown keys, bad values, missing required keys, defaults. */
#ifndef HRKD_CONFIG_VALIDATE_H
#define HRKD_CONFIG_VALIDATE_H

#include "config/diag.h"
#include "config/store.h"

/* Validate every key of s against keys[0..n), fill defaults; problems go to ds. */
void cfg_section_validate(hrkd_config *cfg, hrkd_config_section *s, const cfg_key *keys, int n,
                          cfg_diags *ds);

#endif
