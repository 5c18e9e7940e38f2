/* host/config/rules.h — the rules that tie host keys together, run once every host section
 * is valid on its own (rules.c). */
#ifndef HRKD_CONFIG_RULES_H
#define HRKD_CONFIG_RULES_H

#include "config/diag.h"
#include "config/store.h"

/* Cross-key rules and derived defaults ([run] name, [output] file); problems go to ds. */
void cfg_schema_cross_check(hrkd_config *cfg, cfg_diags *ds);

#endif
