/* host/config/access.c — reading a loaded configuration: its sections and typed values.
 *
 * The section walkers of cfg.h and the accessors of hrkd/config.h; a plugin's misuse of an
 * accessor is held for the host to report. */
#include <stdio.h>
#include <string.h>

#include "config/store.h"

const char *hrkd_config_path(const hrkd_config *cfg) { return cfg->path; }

const hrkd_config_section *hrkd_config_get_section(const hrkd_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->n; i++)
        if (strcmp(cfg->s[i]->name, name) == 0) return cfg->s[i];
    return NULL;
}

int hrkd_config_section_count(const hrkd_config *cfg) { return cfg->n; }
const hrkd_config_section *hrkd_config_section_at(const hrkd_config *cfg, int i)
{
    return i >= 0 && i < cfg->n ? cfg->s[i] : NULL;
}
int hrkd_config_section_is_plugin(const hrkd_config_section *s) { return s->plugin; }
int hrkd_config_section_validated(const hrkd_config_section *s) { return s->validated; }
const char *hrkd_config_section_origin(const hrkd_config_section *s, int *line)
{
    if (line) *line = s->line;
    return s->file;
}
int hrkd_config_has_key(const hrkd_config_section *s, const char *key)
{
    return cfg_entry_find(s, key) != NULL;
}

/* ---- accessors (hrkd/config.h) ---------------------------------------------------------- */

/* A plugin's section read with a key the plugin did not declare, or with the accessor of
 * another type, is the plugin's mistake, not the host's: the accessor records it here (the
 * first one since the last take) and returns a zero value; the host takes the record after
 * every plugin call and reports it naming the plugin. The same mistake on a host section is
 * a bug of the host: an assertion. */
static _Thread_local char cfg_misuse_msg[512];
static _Thread_local int  cfg_misuse_set;

int hrkd_config_take_misuse(char *out, size_t cap)
{
    if (!cfg_misuse_set) return 0;
    if (out && cap) snprintf(out, cap, "%s", cfg_misuse_msg);
    cfg_misuse_set = 0;
    return 1;
}

static void cfg_misuse(const hrkd_config_section *s, const char *key, const cfg_entry *e,
                       const char *accessor)
{
    if (cfg_misuse_set) return; /* keep the first */
    static const char *const types[] = {"int", "float", "bool", "string", "enum", "list", "path"};
    if (e) {
        snprintf(cfg_misuse_msg, sizeof cfg_misuse_msg, "read key '%s' (declared %s) with %s in [%s]",
                 key, types[e->decl->type], accessor, s->name);
    } else {
        char declared[256] = "";
        for (int i = 0; i < s->n_own_keys; i++) {
            size_t len = strlen(declared);
            snprintf(declared + len, sizeof declared - len, "%s%s", len ? ", " : "", s->own_keys[i].name);
        }
        snprintf(cfg_misuse_msg, sizeof cfg_misuse_msg, "read undeclared key '%s' in [%s] (declared: %s)",
                 key, s->name, declared[0] ? declared : "none");
    }
    cfg_misuse_set = 1;
}

static const cfg_entry cfg_zero_entry = {.value = (char *)""};

/* The entry of a declared key, checked against the accessor's type (accepted: a mask of
 * 1u << HRKD_CFG_*; 0 = any); in a plugin section a mistake is recorded and NULL returned. */
static const cfg_entry *cfg_need(const hrkd_config_section *s, const char *key, unsigned accepted,
                                 const char *accessor)
{
    HRKD_ASSERT(s && key);
    const cfg_entry *e = cfg_entry_find(s, key);
    if (!e || !e->decl) {
        if (s->plugin) {
            cfg_misuse(s, key, NULL, accessor);
            return NULL;
        }
        char msg[256];
        snprintf(msg, sizeof msg, "config key [%s] %s is declared", s->name, key);
        hrkd_assert_fail(__FILE__, __LINE__, msg);
    }
    if (accepted && !(accepted & (1u << e->decl->type))) {
        if (s->plugin) {
            cfg_misuse(s, key, e, accessor);
            return NULL;
        }
        char msg[256];
        snprintf(msg, sizeof msg, "config key [%s] %s read with %s fits its type", s->name, key, accessor);
        hrkd_assert_fail(__FILE__, __LINE__, msg);
    }
    return e;
}

const char *hrkd_cfg_section_name(const hrkd_config_section *s) { return s->name; }

int64_t hrkd_cfg_int(const hrkd_config_section *s, const char *key)
{
    const cfg_entry *e = cfg_need(s, key, 1u << HRKD_CFG_INT | 1u << HRKD_CFG_BOOL, "hrkd_cfg_int");
    return e ? e->v.i : 0;
}

double hrkd_cfg_float(const hrkd_config_section *s, const char *key)
{
    const cfg_entry *e = cfg_need(s, key, 1u << HRKD_CFG_FLOAT | 1u << HRKD_CFG_INT, "hrkd_cfg_float");
    return e ? e->v.f : 0.0;
}

int hrkd_cfg_bool(const hrkd_config_section *s, const char *key)
{
    const cfg_entry *e = cfg_need(s, key, 1u << HRKD_CFG_BOOL, "hrkd_cfg_bool");
    return e ? e->v.b : 0;
}

const char *hrkd_cfg_str(const hrkd_config_section *s, const char *key)
{
    const cfg_entry *e = cfg_need(s, key, 0, "hrkd_cfg_str");
    return e ? e->value : cfg_zero_entry.value;
}

const char *hrkd_cfg_origin(const hrkd_config_section *s, const char *key, int *line)
{
    const cfg_entry *e = cfg_need(s, key, 0, "hrkd_cfg_origin");
    if (line) *line = e ? e->line : 0;
    return e ? e->file : "";
}
