/* host/config/config.c — loading an experiment's INI files into a validated hrkd_config.
 *
 * reader.c reads the file and everything it includes or bases on into records; here they are
 * sorted into sections (later assignments override earlier), every host section is validated
 * against its schema (validate.c) and, when all are valid, the keys against each other
 * (rules.c). Sections not in the schema must be a plugin's ([loss.NAME] ...): those are
 * validated later, when the plugin is bound (hrkd_config_bind_plugin).
 *
 * Every problem becomes one "FILE:LINE: ..." message; all of them are reported in one pass.
 */
#include <stdlib.h>
#include <string.h>

#include "config/diag.h"
#include "config/kinds.h"
#include "config/mem.h"
#include "config/reader.h"
#include "config/rules.h"
#include "config/schema.h"
#include "config/store.h"
#include "config/validate.h"

/* The records read sorted into sections, then validated; cfg is freed when anything is wrong. */
static hrkd_config *cfg_finish(hrkd_config *cfg, cfg_diags *ds, cfg_records *rec, hrkd_config_errors *errs)
{
    for (int i = 0; i < rec->n; i++) {
        cfg_record *r = &rec->r[i];
        hrkd_config_section *s = cfg_section_get(cfg, r->section, 1);
        if (!s->file) {
            s->file = r->file;
            s->line = r->line;
        }
        if (r->key) cfg_entry_put(s, r->key, r->value, r->file, r->line);
    }
    cfg_records_free(rec);
    for (int i = 0; i < cfg->n; i++) {
        hrkd_config_section *s = cfg->s[i];
        if (cfg_schema_find(s->name)) continue;
        if (cfg_is_plugin_section(s->name)) {
            s->plugin = 1;
            continue;
        }
        char list[512] = "";
        for (int j = 0; j < hrkd_cfg_host_schema_count; j++) {
            strncat(list, hrkd_cfg_host_schema[j].name, sizeof list - strlen(list) - 1);
            strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        cfg_diag_add(ds, cfg, s->file, s->line,
                     "[%s]: unknown section (expected %sor a plugin's [loss.NAME], "
                     "[relational.NAME], [teacher.NAME])", s->name, list);
    }
    for (int j = 0; j < hrkd_cfg_host_schema_count; j++) {
        const cfg_schema_section *ss = &hrkd_cfg_host_schema[j];
        hrkd_config_section *s = cfg_section_get(cfg, ss->name, 1);
        cfg_section_validate(cfg, s, ss->keys, ss->n_keys, ds);
    }
    if (ds->n == 0) cfg_schema_cross_check(cfg, ds);
    /* Sections in a stable order: host sections as declared, then plugin ones as met. */
    int w = 0;
    for (int j = 0; j < hrkd_cfg_host_schema_count; j++)
        for (int i = w; i < cfg->n; i++)
            if (strcmp(cfg->s[i]->name, hrkd_cfg_host_schema[j].name) == 0) {
                hrkd_config_section *t = cfg->s[i];
                memmove(&cfg->s[w + 1], &cfg->s[w], (size_t)(i - w) * sizeof(*cfg->s));
                cfg->s[w++] = t;
                break;
            }
    int failed = ds->n > 0;
    cfg_diags_flush(ds, errs);
    if (failed) {
        hrkd_config_free(cfg);
        return NULL;
    }
    return cfg;
}

hrkd_config *hrkd_config_load(const char *path, hrkd_config_errors *errs)
{
    hrkd_config *cfg = calloc(1, sizeof *cfg);
    HRKD_ASSERT(cfg);
    cfg->path = cfg_strdup(path);
    cfg_intern(cfg, path);
    cfg_diags ds = {0};
    cfg_records rec;
    cfg_read_file(cfg, &ds, path, &rec);
    return cfg_finish(cfg, &ds, &rec, errs);
}

hrkd_config *hrkd_config_load_string(const char *text, const char *name, hrkd_config_errors *errs)
{
    hrkd_config *cfg = calloc(1, sizeof *cfg);
    HRKD_ASSERT(cfg);
    cfg->path = cfg_strdup(name ? name : "(string)");
    const char *file = cfg_intern(cfg, cfg->path);
    cfg_diags ds = {0};
    cfg_records rec;
    cfg_read_text(cfg, &ds, file, text, strlen(text), &rec);
    return cfg_finish(cfg, &ds, &rec, errs);
}
