/* host/config/validate.c — one section checked against its declared keys (validate.h).
 *
 * Unknown keys (with a "did you mean"), bad values, required keys, defaults, paths resolved
 * against the file that wrote them; and a plugin's section bound to its declared parameters. */
#include <stdlib.h>
#include <string.h>

#include "config/mem.h"
#include "config/paths.h"
#include "config/validate.h"

/* Edit distance, for "did you mean" (short strings only). */
static int cfg_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 40 || m > 40) return 99;
    int row[41];
    for (size_t j = 0; j <= m; j++) row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int cur = row[j];
            int best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[m];
}

static void cfg_resolve_path(cfg_entry *e, const cfg_key *k)
{
    free(e->value);
    if (!e->raw[0]) { /* empty: "not set" */
        e->value = cfg_strdup(e->raw);
        return;
    }
    /* Relative to the file that set the value; a default, to the main file. */
    if (!(k->flags & CFG_PATH_LIST)) {
        e->value = cfg_join_abs(e->file, e->raw);
        return;
    }
    size_t cap = 1;
    char *out = calloc(1, 1);
    HRKD_ASSERT(out);
    const char *p = e->raw;
    for (;;) {
        const char *colon = strchr(p, ':');
        char *part = cfg_strndup(p, colon ? (size_t)(colon - p) : strlen(p));
        char *abs = part[0] ? cfg_join_abs(e->file, part) : cfg_strdup("");
        cap += strlen(abs) + 1;
        out = realloc(out, cap);
        HRKD_ASSERT(out);
        if (out[0]) strcat(out, ":");
        strcat(out, abs);
        free(part);
        free(abs);
        if (!colon) break;
        p = colon + 1;
    }
    e->value = out;
}

void cfg_section_validate(hrkd_config *cfg, hrkd_config_section *s, const cfg_key *keys, int n,
                          cfg_diags *ds)
{
    char why[512];
    for (int i = 0; i < s->n; i++) {
        cfg_entry *e = &s->e[i];
        const cfg_key *k = NULL;
        for (int j = 0; j < n && !k; j++)
            if (strcmp(keys[j].name, e->key) == 0) k = &keys[j];
        if (!k) {
            const char *best = NULL; /* a suggestion only for a close miss */
            int bd = strlen(e->key) >= 6 ? 3 : 2;
            for (int j = 0; j < n; j++) {
                int d = cfg_distance(e->key, keys[j].name);
                if (d < bd) { bd = d; best = keys[j].name; }
            }
            if (best)
                cfg_diag_add(ds, cfg, e->file, e->line, "[%s] %s: unknown key (did you mean '%s'?)",
                             s->name, e->key, best);
            else
                cfg_diag_add(ds, cfg, e->file, e->line, "[%s] %s: unknown key", s->name, e->key);
            e->decl = NULL;
            continue;
        }
        e->decl = k;
        if (cfg_check_value(k, e->raw, &e->v, why, sizeof why)) {
            cfg_diag_add(ds, cfg, e->file, e->line, "[%s] %s: %s", s->name, e->key, why);
            continue;
        }
        size_t rl = strlen(e->raw);
        int plugin_path = (k->flags & CFG_PLUGIN) &&
                          (strchr(e->raw, '/') || (rl > 3 && strcmp(e->raw + rl - 3, ".so") == 0));
        if (k->type == HRKD_CFG_PATH || plugin_path) cfg_resolve_path(e, k); /* a plugin's .so too */
        else { free(e->value); e->value = cfg_strdup(e->raw); }
    }
    /* Drop unknown keys so accessors and the effective INI only see declared ones. */
    int w = 0;
    for (int i = 0; i < s->n; i++) {
        if (s->e[i].decl) { s->e[w++] = s->e[i]; continue; }
        free(s->e[i].key);
        free(s->e[i].raw);
        free(s->e[i].value);
    }
    s->n = w;
    for (int j = 0; j < n; j++) {
        if (cfg_entry_find(s, keys[j].name)) continue;
        if (!keys[j].def) {
            if (s->file)
                cfg_diag_add(ds, cfg, s->file, s->line, "[%s] %s: required key is missing", s->name,
                             keys[j].name);
            else
                cfg_diag_add(ds, cfg, NULL, 0, "[%s] %s: required key is missing (no [%s] section)",
                             s->name, keys[j].name, s->name);
            continue;
        }
        cfg_entry_set_default(cfg, s, keys[j].name, keys[j].def);
        cfg_entry *e = cfg_entry_find(s, keys[j].name);
        e->decl = &keys[j];
        if (cfg_check_value(&keys[j], e->raw, &e->v, why, sizeof why))
            cfg_diag_add(ds, cfg, NULL, 0, "[%s] %s: bad declared default: %s", s->name,
                         keys[j].name, why);
        else if (keys[j].type == HRKD_CFG_PATH)
            cfg_resolve_path(e, &keys[j]);
    }
    /* Keep the declaration order: the effective INI and the results file read better. */
    for (int j = 0, pos = 0; j < n; j++) {
        for (int i = pos; i < s->n; i++) {
            if (s->e[i].decl == &keys[j]) {
                cfg_entry t = s->e[i];
                s->e[i] = s->e[pos];
                s->e[pos] = t;
                pos++;
                break;
            }
        }
    }
    s->validated = 1;
}

const hrkd_config_section *hrkd_config_bind_plugin(hrkd_config *cfg, const char *name,
                                                   const hrkd_plugin_descriptor *desc,
                                                   hrkd_config_errors *errs)
{
    hrkd_config_section *s = cfg_section_get(cfg, name, 1);
    s->plugin = 1;
    int n = desc->n_params > 0 && desc->params ? desc->n_params : 0;
    free(s->own_keys);
    s->own_keys = n ? calloc((size_t)n, sizeof(cfg_key)) : NULL;
    s->n_own_keys = n;
    for (int i = 0; i < n; i++) {
        const hrkd_plugin_param *pp = &desc->params[i];
        s->own_keys[i] = (cfg_key){.name = pp->name, .type = pp->type, .def = pp->default_value,
                                   .min = pp->min, .max = pp->max, .choices = pp->choices,
                                   .doc = pp->doc};
    }
    cfg_diags ds = {0};
    cfg_section_validate(cfg, s, s->own_keys, n, &ds);
    int failed = ds.n > 0;
    cfg_diags_flush(&ds, errs);
    return failed ? NULL : s;
}
