/* host/plugin/resolve.c — tying a loaded configuration to the plugin registry: every key that
 * names a plugin ([distill] loss, [relational] reference / aggregate / graph, [teacher]
 * strategy) must name an existing plugin of the right kind, and every plugin section
 * ([relational.gat] ...) is validated against the parameters that plugin declares.
 *
 * Which plugin keys are checked: those the run mode uses (teacher strategy always; the loss
 * in distill mode; the relational plugins in distill mode with [distill] relational = true),
 * and any other the INI sets to something other than its default (a typo there is still a
 * typo). A default left alone in an unused key is not looked up, so an effective
 * configuration printed by a teacher run checks again without the distillation plugins. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "config/store.h"
#include "plugin/registry.h"

static void add_msg(hrkd_config_errors *errs, const char *file, int line, const char *fmt, ...)
    HRKD_PRINTF(4, 5);
static void add_msg(hrkd_config_errors *errs, const char *file, int line, const char *fmt, ...)
{
    char body[2048], msg[2600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (line > 0) snprintf(msg, sizeof msg, "%s:%d: %s", file, line, body);
    else snprintf(msg, sizeof msg, "%s: %s", file, body);
    if (!errs) return;
    errs->msg = realloc(errs->msg, (size_t)(errs->n + 1) * sizeof(char *));
    HRKD_ASSERT(errs->msg);
    errs->msg[errs->n] = strdup(msg);
    HRKD_ASSERT(errs->msg[errs->n]);
    errs->n++;
}

static int key_needed(const hrkd_config *cfg, const cfg_key *k, const cfg_entry *e)
{
    if (e->line > 0 && k->def && strcmp(e->value, k->def) != 0) return 1;
    const hrkd_config_section *run = hrkd_config_get_section(cfg, "run");
    const hrkd_config_section *dist = hrkd_config_get_section(cfg, "distill");
    int distill = run && strcmp(hrkd_cfg_str(run, "mode"), "distill") == 0;
    switch (k->plugin_kind) {
    case HRKD_KIND_TEACHER: return 1;
    case HRKD_KIND_LOSS: return distill;
    default: return distill && dist && hrkd_cfg_bool(dist, "relational");
    }
}

int hrkd_registry_key_in_use(const hrkd_config *cfg, const char *section, const char *key)
{
    const hrkd_config_section *s = hrkd_config_get_section(cfg, section);
    const cfg_entry *e = s ? cfg_entry_find(s, key) : NULL;
    return e && e->decl && (e->decl->flags & CFG_PLUGIN) && key_needed(cfg, e->decl, e);
}

const hrkd_plugin_descriptor *hrkd_registry_for_key(hrkd_registry *r, const hrkd_config *cfg,
                                                    const char *section, const char *key,
                                                    const hrkd_config_section **plugin_section,
                                                    hrkd_error *err)
{
    const hrkd_config_section *s = hrkd_config_get_section(cfg, section);
    const cfg_entry *e = s ? cfg_entry_find(s, key) : NULL;
    if (plugin_section) *plugin_section = NULL;
    if (!e || !e->decl || !(e->decl->flags & CFG_PLUGIN)) {
        hrkd_error_set(err, HRKD_STATUS_INVALID, "[%s] %s is not a plugin key", section, key);
        return NULL;
    }
    const hrkd_plugin_descriptor *d = hrkd_registry_get(r, e->value, e->decl->plugin_kind, err);
    if (!d) {
        if (e->line > 0) hrkd_error_prefix(err, "%s:%d: [%s] %s: ", e->file, e->line, section, key);
        else hrkd_error_prefix(err, "%s: [%s] %s: ", e->file, section, key);
        return NULL;
    }
    if (plugin_section) {
        char name[128];
        hrkd_plugin_section_name(d, name, sizeof name);
        *plugin_section = hrkd_config_get_section(cfg, name);
    }
    return d;
}

int hrkd_registry_resolve_config(hrkd_registry *r, hrkd_config *cfg, hrkd_config_errors *errs)
{
    int before = errs ? errs->n : 0, failed = 0;
    /* 1. plugin-name keys, in schema order */
    for (int i = 0; i < hrkd_cfg_host_schema_count; i++) {
        const cfg_schema_section *ss = &hrkd_cfg_host_schema[i];
        hrkd_config_section *s = cfg_section_get(cfg, ss->name, 0);
        if (!s) continue;
        for (int j = 0; j < ss->n_keys; j++) {
            const cfg_key *k = &ss->keys[j];
            if (!(k->flags & CFG_PLUGIN)) continue;
            cfg_entry *e = cfg_entry_find(s, k->name);
            if (!e || !key_needed(cfg, k, e)) continue;
            hrkd_error err = {0};
            const hrkd_plugin_descriptor *d = hrkd_registry_get(r, e->value, k->plugin_kind, &err);
            if (!d) {
                add_msg(errs, e->file, e->line, "[%s] %s: %s", ss->name, k->name, err.msg);
                failed++;
                continue;
            }
            char name[128];
            hrkd_plugin_section_name(d, name, sizeof name);
            if (!hrkd_config_bind_plugin(cfg, name, d, errs)) failed++;
        }
    }
    /* 2. plugin sections of the INI that no key above bound */
    for (int i = 0; i < cfg->n; i++) {
        hrkd_config_section *s = cfg->s[i];
        if (!s->plugin || s->validated) continue;
        const char *dot = strchr(s->name, '.');
        const char *pname = dot + 1;
        char group[32];
        snprintf(group, sizeof group, "%.*s", (int)(dot - s->name), s->name);
        hrkd_error err = {0};
        const hrkd_plugin_descriptor *d = hrkd_registry_get(r, pname, 0, &err);
        const char *file = s->file ? s->file : cfg->path;
        if (!d) {
            char names[2048] = "";
            for (int j = 0; j < hrkd_registry_count(r); j++) {
                const hrkd_plugin_descriptor *o = hrkd_registry_at(r, j)->desc;
                char sec[128];
                hrkd_plugin_section_name(o, sec, sizeof sec);
                if (strncmp(sec, group, strlen(group)) != 0) continue;
                size_t len = strlen(names);
                snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", o->name);
            }
            add_msg(errs, file, s->line, "[%s]: no plugin named '%s'; %s plugins: %s", s->name, pname,
                    group, names[0] ? names : "(none found)");
            failed++;
            continue;
        }
        char want[128];
        hrkd_plugin_section_name(d, want, sizeof want);
        if (strcmp(want, s->name) != 0) {
            add_msg(errs, file, s->line, "[%s]: plugin '%s' is of kind %s; its section is [%s]", s->name,
                    pname, hrkd_plugin_kind_name(d->kind), want);
            failed++;
            continue;
        }
        if (!hrkd_config_bind_plugin(cfg, s->name, d, errs)) failed++;
    }
    int added = errs ? errs->n - before : 0;
    return added > failed ? added : failed;
}
