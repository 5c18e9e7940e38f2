/* host/config/config.c — reading an experiment's INI files into a validated hrkd_config.
 *
 * inih does the key/value splitting and inline comments. Debian builds inih without line
 * numbers in the handler (INI_HANDLER_LINENO 0), so inih reads through our own reader: it
 * hands inih one line at a time from memory, counts lines, and is also where the things inih
 * does not know happen — `%include FILE` (parsed right there, relative to the including file),
 * syntax checks with FILE:LINE messages (inih would only report the first bad line), section
 * headers (inih reports no empty section), and key = value lines longer than inih's fixed
 * line buffer (split here exactly as inih splits, so long paths work). `[run] base = FILE` is handled
 * after a file is read: the base file's assignments are spliced in *before* the file's own
 * ones, so everything the file says overrides its base. Later assignments override earlier.
 *
 * Every problem becomes one "FILE:LINE: ..." message; all of them are reported in one pass.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_internal.h"
#include "core/path.h"

#define CFG_MAX_DEPTH     16
#define CFG_MAX_FILE_SIZE (16u << 20)

/* ---- small helpers ---------------------------------------------------------------------- */

static char *cfg_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    HRKD_ASSERT(d);
    memcpy(d, s, n);
    return d;
}

static char *cfg_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    HRKD_ASSERT(d);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static void *cfg_grow(void *p, int *cap, int need, size_t elem)
{
    if (need <= *cap) return p;
    int nc = *cap ? *cap * 2 : 8;
    while (nc < need) nc *= 2;
    void *q = realloc(p, (size_t)nc * elem);
    HRKD_ASSERT(q);
    *cap = nc;
    return q;
}

static char *cfg_vasprintf(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0) n = 0;
    char *s = malloc((size_t)n + 1);
    HRKD_ASSERT(s);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

/* The folder part of a path including the trailing '/', or "" (so dir + name is a path). */
static char *cfg_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? cfg_strndup(path, (size_t)(slash - path + 1)) : cfg_strdup("");
}

static char *cfg_join(const char *base_file, const char *rel)
{
    if (rel[0] == '/' || rel[0] == 0) return cfg_strdup(rel);
    char *dir = cfg_dirname(base_file);
    size_t n = strlen(dir) + strlen(rel) + 1;
    char *out = malloc(n);
    HRKD_ASSERT(out);
    snprintf(out, n, "%s%s", dir, rel);
    free(dir);
    return out;
}

/* An absolute path written lexically clean, in place: no "//", "/./" or "dir/.." (".." at the
 * root stays at the root), no trailing '/'. Symbolic links are not looked at. */
void cfg_normalize_abs(char *path)
{
    if (path[0] != '/') return;
    char *out = path; /* the clean path grows behind the reading position, never ahead of it */
    const char *in = path;
    size_t len = 0;
    while (*in) {
        while (*in == '/') in++;
        const char *end = in;
        while (*end && *end != '/') end++;
        size_t k = (size_t)(end - in);
        if (k == 0 || (k == 1 && in[0] == '.')) {
            /* nothing */
        } else if (k == 2 && in[0] == '.' && in[1] == '.') {
            while (len > 0 && out[len - 1] != '/') len--;
            if (len > 0) len--; /* the '/' before the dropped component */
        } else {
            out[len++] = '/';
            memmove(out + len, in, k);
            len += k;
        }
        in = end;
    }
    if (len == 0) out[len++] = '/';
    out[len] = 0;
}

/* For values: like cfg_join, but made absolute (against the working folder) and lexically
 * normalised, so that the effective configuration means the same wherever it is read again
 * and prints clean ("/home/u/results/x.h5", never "/home/u/ini/../results/x.h5"). */
char *cfg_join_abs(const char *base_file, const char *rel)
{
    char *joined = cfg_join(base_file, rel);
    if (joined[0] == 0) return joined;
    if (joined[0] == '/') {
        cfg_normalize_abs(joined);
        return joined;
    }
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return joined;
    size_t n = strlen(cwd) + strlen(joined) + 2;
    char *out = malloc(n);
    HRKD_ASSERT(out);
    snprintf(out, n, "%s/%s", cwd, joined);
    free(joined);
    cfg_normalize_abs(out);
    return out;
}

static const char *cfg_intern(hrkd_config *cfg, const char *file)
{
    for (int i = 0; i < cfg->n_files; i++)
        if (strcmp(cfg->files[i], file) == 0) return cfg->files[i];
    int cap = cfg->n_files; /* grow by one: few files */
    cfg->files = realloc(cfg->files, (size_t)(cap + 1) * sizeof(char *));
    HRKD_ASSERT(cfg->files);
    cfg->files[cfg->n_files++] = cfg_strdup(file);
    return cfg->files[cfg->n_files - 1];
}

static int cfg_file_index(const hrkd_config *cfg, const char *file)
{
    if (!file) return INT_MAX;
    for (int i = 0; i < cfg->n_files; i++)
        if (cfg->files[i] == file || strcmp(cfg->files[i], file) == 0) return i;
    return INT_MAX - 1;
}

/* ---- diagnostics ------------------------------------------------------------------------ */

void cfg_diag_add(cfg_diags *ds, const hrkd_config *cfg, const char *file, int line,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = cfg_vasprintf(fmt, ap);
    va_end(ap);
    const char *f = file ? file : (cfg && cfg->path ? cfg->path : "(config)");
    size_t n = strlen(f) + strlen(body) + 32;
    char *msg = malloc(n);
    HRKD_ASSERT(msg);
    if (line > 0) snprintf(msg, n, "%s:%d: %s", f, line, body);
    else snprintf(msg, n, "%s: %s", f, body);
    free(body);
    ds->d = cfg_grow(ds->d, &ds->cap, ds->n + 1, sizeof(cfg_diag));
    cfg_diag *d = &ds->d[ds->n];
    d->file_idx = cfg ? cfg_file_index(cfg, f) : 0;
    d->line = line > 0 ? line : INT_MAX;
    d->seq = ds->n;
    d->msg = msg;
    ds->n++;
}

static int cfg_diag_cmp(const void *a, const void *b)
{
    const cfg_diag *x = a, *y = b;
    if (x->file_idx != y->file_idx) return x->file_idx < y->file_idx ? -1 : 1;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cfg_diags_flush(cfg_diags *ds, hrkd_config_errors *errs)
{
    if (ds->n > 1) qsort(ds->d, (size_t)ds->n, sizeof(cfg_diag), cfg_diag_cmp);
    for (int i = 0; i < ds->n; i++) {
        if (errs) {
            errs->msg = realloc(errs->msg, (size_t)(errs->n + 1) * sizeof(char *));
            HRKD_ASSERT(errs->msg);
            errs->msg[errs->n++] = ds->d[i].msg;
        } else {
            free(ds->d[i].msg);
        }
    }
    free(ds->d);
    ds->d = NULL;
    ds->n = ds->cap = 0;
}

void hrkd_config_errors_free(hrkd_config_errors *e)
{
    if (!e) return;
    for (int i = 0; i < e->n; i++) free(e->msg[i]);
    free(e->msg);
    e->msg = NULL;
    e->n = 0;
}

/* ---- values ----------------------------------------------------------------------------- */

const char *cfg_type_name(hrkd_cfg_type t)
{
    switch (t) {
    case HRKD_CFG_INT: return "int";
    case HRKD_CFG_FLOAT: return "float";
    case HRKD_CFG_BOOL: return "bool";
    case HRKD_CFG_STRING: return "string";
    case HRKD_CFG_ENUM: return "enum";
    case HRKD_CFG_LIST: return "list";
    case HRKD_CFG_PATH: return "path";
    }
    return "?";
}

static int cfg_bounded(const cfg_key *k) { return !(k->min > k->max); }

void cfg_key_range(const cfg_key *k, char *out, size_t cap)
{
    out[0] = 0;
    if (k->type == HRKD_CFG_ENUM) {
        snprintf(out, cap, "%s", k->choices ? k->choices : "");
        return;
    }
    int numeric = k->type == HRKD_CFG_INT || k->type == HRKD_CFG_FLOAT ||
                  (k->type == HRKD_CFG_LIST && (k->flags & CFG_LIST_INT));
    if (!numeric || !cfg_bounded(k)) return;
    const char *lo = (k->flags & CFG_MIN_EXCLUSIVE) ? "(" : "[";
    if (isinf(k->max) && isinf(k->min)) return;
    if (isinf(k->max)) snprintf(out, cap, "%s %.10g", (k->flags & CFG_MIN_EXCLUSIVE) ? ">" : ">=", k->min);
    else if (isinf(k->min)) snprintf(out, cap, "<= %.10g", k->max);
    else snprintf(out, cap, "%s%.10g, %.10g]", lo, k->min, k->max);
}

static int cfg_in_range(const cfg_key *k, double x)
{
    if (!cfg_bounded(k)) return 1;
    if ((k->flags & CFG_MIN_EXCLUSIVE) ? !(x > k->min) : !(x >= k->min)) return 0;
    return x <= k->max;
}

/* Copies at most 60 characters of a user value into a message. */
static const char *cfg_show(const char *text, char *buf, size_t cap)
{
    size_t n = strlen(text);
    if (n + 1 <= cap && n <= 60) return text;
    snprintf(buf, cap, "%.57s...", text);
    return buf;
}

static int cfg_parse_int(const char *t, int64_t *out)
{
    if (!*t) return 0;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(t, &end, 10);
    if (end == t || *end || errno == ERANGE) return 0;
    *out = v;
    return 1;
}

static int cfg_range_why(const cfg_key *k, const char *text, char *why, size_t cap)
{
    char r[128], sb[64];
    cfg_key_range(k, r, sizeof r);
    if (r[0] == '>' || r[0] == '<') snprintf(why, cap, "%s is out of range: must be %s", cfg_show(text, sb, sizeof sb), r);
    else snprintf(why, cap, "%s is out of range %s", cfg_show(text, sb, sizeof sb), r);
    return 1;
}

int cfg_check_value(const cfg_key *k, const char *text, cfg_value *out, char *why, size_t cap)
{
    cfg_value v = {0};
    char sb[64];
    switch (k->type) {
    case HRKD_CFG_INT:
        if (!cfg_parse_int(text, &v.i)) {
            /* an integer too large for 64 bits is out of range, not "not an integer" */
            size_t sign = (text[0] == '-' || text[0] == '+') ? 1 : 0;
            if (text[sign] && strspn(text + sign, "0123456789") == strlen(text + sign)) return cfg_range_why(k, text, why, cap);
            snprintf(why, cap, "expected an integer, got '%s'", cfg_show(text, sb, sizeof sb));
            return 1;
        }
        if (!cfg_in_range(k, (double)v.i)) return cfg_range_why(k, text, why, cap);
        v.f = (double)v.i;
        break;
    case HRKD_CFG_FLOAT: {
        char *end = NULL;
        errno = 0;
        v.f = *text ? strtod(text, &end) : 0.0;
        if (!*text || end == text || *end || !isfinite(v.f)) {
            snprintf(why, cap, "expected a number, got '%s'", cfg_show(text, sb, sizeof sb));
            return 1;
        }
        if (!cfg_in_range(k, v.f)) return cfg_range_why(k, text, why, cap);
        break;
    }
    case HRKD_CFG_BOOL: {
        static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
        int found = 0;
        for (int i = 0; i < 4 && !found; i++) {
            if (strcasecmp(text, yes[i]) == 0) { v.b = 1; found = 1; }
            else if (strcasecmp(text, no[i]) == 0) { v.b = 0; found = 1; }
        }
        if (!found) {
            snprintf(why, cap, "expected true/false, yes/no, on/off or 1/0, got '%s'",
                     cfg_show(text, sb, sizeof sb));
            return 1;
        }
        v.i = v.b;
        break;
    }
    case HRKD_CFG_ENUM: {
        const char *c = k->choices ? k->choices : "";
        size_t n = strlen(text);
        int ok = 0;
        while (*c && !ok) {
            const char *bar = strchr(c, '|');
            size_t len = bar ? (size_t)(bar - c) : strlen(c);
            if (len == n && n > 0 && strncmp(c, text, n) == 0) ok = 1;
            c = bar ? bar + 1 : c + len;
        }
        if (!ok) {
            snprintf(why, cap, "expected one of %s, got '%s'", k->choices ? k->choices : "(none)",
                     cfg_show(text, sb, sizeof sb));
            return 1;
        }
        break;
    }
    case HRKD_CFG_LIST: {
        if (!*text) break; /* the empty list */
        const char *p = text;
        int idx = 0;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            while (len && (*p == ' ' || *p == '\t')) { p++; len--; }
            while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
            if (!len) {
                snprintf(why, cap, "item %d of the list is empty", idx + 1);
                return 1;
            }
            if (k->flags & CFG_LIST_INT) {
                char item[64];
                int64_t iv;
                snprintf(item, sizeof item, "%.*s", (int)(len < 63 ? len : 63), p);
                if (len > 63 || !cfg_parse_int(item, &iv)) {
                    snprintf(why, cap, "item %d: expected an integer, got '%s'", idx + 1, item);
                    return 1;
                }
                if (!cfg_in_range(k, (double)iv)) {
                    char r[128];
                    cfg_range_why(k, item, r, sizeof r);
                    snprintf(why, cap, "item %d: %s", idx + 1, r);
                    return 1;
                }
            }
            idx++;
            if (!comma) break;
            p = comma + 1;
        }
        v.i = idx;
        break;
    }
    case HRKD_CFG_STRING:
    case HRKD_CFG_PATH:
        break;
    default:
        snprintf(why, cap, "undeclared type %d", (int)k->type);
        return 1;
    }
    if (out) *out = v;
    return 0;
}

/* ---- sections and entries --------------------------------------------------------------- */

hrkd_config_section *cfg_section_get(hrkd_config *cfg, const char *name, int create)
{
    for (int i = 0; i < cfg->n; i++)
        if (strcmp(cfg->s[i]->name, name) == 0) return cfg->s[i];
    if (!create) return NULL;
    hrkd_config_section *s = calloc(1, sizeof *s);
    HRKD_ASSERT(s);
    s->name = cfg_strdup(name);
    cfg->s = cfg_grow(cfg->s, &cfg->cap, cfg->n + 1, sizeof(*cfg->s));
    cfg->s[cfg->n++] = s;
    return s;
}

cfg_entry *cfg_entry_find(const hrkd_config_section *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->e[i].key, key) == 0) return &s->e[i];
    return NULL;
}

static cfg_entry *cfg_entry_put(hrkd_config_section *s, const char *key, const char *raw,
                                const char *file, int line)
{
    cfg_entry *e = cfg_entry_find(s, key);
    if (!e) {
        s->e = cfg_grow(s->e, &s->cap, s->n + 1, sizeof(cfg_entry));
        e = &s->e[s->n++];
        memset(e, 0, sizeof *e);
        e->key = cfg_strdup(key);
    } else {
        free(e->raw);
        free(e->value);
        e->value = NULL;
    }
    e->raw = cfg_strdup(raw);
    e->file = file;
    e->line = line;
    return e;
}

void cfg_entry_set_default(hrkd_config *cfg, hrkd_config_section *s, const char *key,
                           const char *value)
{
    cfg_entry *e = cfg_entry_put(s, key, value, cfg->path, 0);
    e->value = cfg_strdup(value);
}

static void cfg_section_free(hrkd_config_section *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->e[i].key);
        free(s->e[i].raw);
        free(s->e[i].value);
    }
    free(s->e);
    free(s->own_keys);
    free(s->name);
    free(s);
}

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

/* ---- parsing ---------------------------------------------------------------------------- */

/* One thing read from a file: a section header (key NULL) or an assignment. */
typedef struct cfg_record {
    char       *section, *key, *value;
    const char *file;
    int         line;
} cfg_record;

typedef struct cfg_records {
    cfg_record *r;
    int         n, cap;
} cfg_records;

typedef struct cfg_parse {
    hrkd_config *cfg;
    cfg_diags   *ds;
    cfg_records  rec;
    int          string_mode;
    const char  *stack[CFG_MAX_DEPTH + 1]; /* canonical names of the files being read */
    const char  *shown[CFG_MAX_DEPTH + 1]; /* as displayed */
    int          depth;
} cfg_parse;

typedef struct cfg_reader {
    cfg_parse  *p;
    const char *buf;
    size_t      len, pos;
    const char *file; /* interned */
    int         line;
    char        section[128];
    int         have_section;
    int         skip; /* after a bad [header]: its keys are dropped without more messages */
    char       *base;      /* [run] base = ... of this file (resolved) */
    int         base_line;
} cfg_reader;

static void cfg_record_add(cfg_records *rs, const char *section, const char *key,
                           const char *value, const char *file, int line)
{
    rs->r = cfg_grow(rs->r, &rs->cap, rs->n + 1, sizeof(cfg_record));
    cfg_record *r = &rs->r[rs->n++];
    r->section = cfg_strdup(section);
    r->key = key ? cfg_strdup(key) : NULL;
    r->value = value ? cfg_strdup(value) : NULL;
    r->file = file;
    r->line = line;
}

static void cfg_records_free(cfg_records *rs)
{
    for (int i = 0; i < rs->n; i++) {
        free(rs->r[i].section);
        free(rs->r[i].key);
        free(rs->r[i].value);
    }
    free(rs->r);
    rs->r = NULL;
    rs->n = rs->cap = 0;
}

static int cfg_parse_file(cfg_parse *p, const char *path, const char *from_file, int from_line,
                          const char *directive);

static int cfg_name_char(int c, int dot)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || (dot && c == '.');
}

/* Strips an inline comment (';' or '#' after whitespace) and trailing whitespace in place. */
static void cfg_strip_comment(char *s)
{
    for (char *c = s; *c; c++) {
        if ((*c == ';' || *c == '#') && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
            *c = 0;
            break;
        }
    }
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
}

static void cfg_directive_include(cfg_reader *rd, char *arg)
{
    cfg_parse *p = rd->p;
    cfg_strip_comment(arg);
    if (!*arg) {
        cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "%%include: expected a file name");
        return;
    }
    if (p->string_mode) {
        cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                     "%%include %s: not allowed in a configuration given as text", arg);
        return;
    }
    char *path = cfg_join(rd->file, arg);
    cfg_parse_file(p, path, rd->file, rd->line, "%include");
    free(path);
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value);

/* inih's treatment of the text after '=': skip leading space, cut at the first ';' that
 * follows a space (inline comment), strip trailing space. Modifies v in place. */
static char *cfg_inih_value(char *v)
{
    while (*v && isspace((unsigned char)*v)) v++;
    int was_space = 0;
    char *c = v;
    while (*c && !(was_space && *c == ';')) {
        was_space = isspace((unsigned char)*c);
        c++;
    }
    *c = 0;
    while (c > v && isspace((unsigned char)c[-1])) *--c = 0;
    return v;
}

/* The ini_reader: returns the next line for inih, or NULL at the end. Lines inih must not
 * see (comments, directives, bad lines) come back empty. */
static char *cfg_reader_fn(char *str, int num, void *stream)
{
    cfg_reader *rd = stream;
    cfg_parse *p = rd->p;
    if (rd->pos >= rd->len) return NULL;
    const char *start = rd->buf + rd->pos;
    const char *nl = memchr(start, '\n', rd->len - rd->pos);
    size_t n = nl ? (size_t)(nl - start) : rd->len - rd->pos;
    rd->pos += n + (nl ? 1 : 0);
    rd->line++;
    str[0] = 0;
    if (n && start[n - 1] == '\r') n--;
    if (rd->line == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
        start += 3;
        n -= 3;
    }
    while (n && (*start == ' ' || *start == '\t')) { start++; n--; }
    while (n && (start[n - 1] == ' ' || start[n - 1] == '\t')) n--;
    if (n == 0 || *start == ';' || *start == '#') return str;
    if (memchr(start, 0, n)) {
        cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "unexpected NUL byte (not a text file?)");
        return str;
    }
    char *line = cfg_strndup(start, n);
    if (line[0] == '%') {
        size_t w = 1;
        while (cfg_name_char((unsigned char)line[w], 0)) w++;
        if (w == 8 && strncmp(line, "%include", 8) == 0 && (line[w] == 0 || line[w] == ' ' || line[w] == '\t')) {
            char *arg = line + w;
            while (*arg == ' ' || *arg == '\t') arg++;
            cfg_directive_include(rd, arg);
        } else {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "unknown directive '%.*s' (expected %%include FILE)", (int)(w < 40 ? w : 40), line);
        }
        free(line);
        return str;
    }
    if (line[0] == '[') {
        char *close = strchr(line, ']');
        if (!close) {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "expected ']' to close the section name");
            rd->have_section = 0;
            rd->skip = 1;
            free(line);
            return str;
        }
        *close = 0;
        char *name = line + 1, *rest = close + 1;
        while (*name == ' ' || *name == '\t') name++;
        size_t nl2 = strlen(name);
        while (nl2 && (name[nl2 - 1] == ' ' || name[nl2 - 1] == '\t')) name[--nl2] = 0;
        while (*rest == ' ' || *rest == '\t') rest++;
        /* inih keeps at most 49 characters of a section name */
        int ok = nl2 > 0 && nl2 <= 48 && cfg_name_char((unsigned char)name[0], 0);
        for (size_t i = 0; ok && i < nl2; i++) ok = cfg_name_char((unsigned char)name[i], 1);
        if (!ok) {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "bad section name '%.*s' (at most 48 letters, digits, '_', '-', '.')", 60, name);
            rd->have_section = 0;
            rd->skip = 1;
        } else if (*rest && *rest != ';' && *rest != '#') {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "unexpected text after [%s]", name);
            rd->have_section = 0;
            rd->skip = 1;
        } else {
            rd->skip = 0;
            snprintf(rd->section, sizeof rd->section, "%s", name);
            rd->have_section = 1;
            cfg_record_add(&p->rec, name, NULL, NULL, rd->file, rd->line);
            snprintf(str, (size_t)num, "[%s]", name);
        }
        free(line);
        return str;
    }
    /* key = value (or key: value, as inih also accepts) */
    size_t k = 0;
    while (line[k] && line[k] != '=' && line[k] != ':') k++;
    size_t kend = k;
    while (kend && (line[kend - 1] == ' ' || line[kend - 1] == '\t')) kend--;
    int ok = line[k] != 0 && kend > 0;
    for (size_t i = 0; ok && i < kend; i++) ok = cfg_name_char((unsigned char)line[i], 1);
    if (!ok) {
        if (line[k] == 0)
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "expected 'key = value', '[section]', '%%include FILE' or a comment");
        else
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "bad key name '%.*s' (letters, digits, '_', '-', '.')", (int)(kend < 60 ? kend : 60), line);
    } else if (!rd->have_section) {
        if (!rd->skip)
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "key '%.*s' is not inside a valid [section]",
                     (int)(kend < 60 ? kend : 60), line);
    } else if (strlen(line) + 3 <= (size_t)num) {
        memcpy(str, line, strlen(line) + 1);
    } else {
        /* Longer than inih's line buffer (INI_MAX_LINE): split it here, the way inih would. */
        line[k] = 0;
        line[kend] = 0;
        cfg_handler(rd, rd->section, line, cfg_inih_value(line + k + 1));
    }
    free(line);
    return str;
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
    cfg_reader *rd = user;
    cfg_parse *p = rd->p;
    if (!value) return 1;
    if (!rd->have_section || strcmp(section, rd->section) != 0) return 1; /* cannot happen */
    if (strcmp(section, "run") == 0 && strcmp(name, "base") == 0) {
        if (!*value) return 1; /* "no base" */
        if (p->string_mode) {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "[run] base: not allowed in a configuration given as text");
            return 1;
        }
        if (rd->base) {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "[run] base: given twice in one file");
            return 1;
        }
        rd->base = cfg_join(rd->file, value);
        rd->base_line = rd->line;
        return 1; /* not a record: the base is merged, the key itself does not survive */
    }
    cfg_record_add(&p->rec, section, name, value, rd->file, rd->line);
    return 1;
}

static int cfg_read_all(const char *path, char **out, size_t *len, char *why, size_t cap)
{
    hrkd_error kind = {0};
    if (hrkd_path_expect(path, HRKD_PATH_FILE, &kind)) { /* "PATH: is a FIFO ...": the caller names the path */
        size_t n = strlen(path);
        snprintf(why, cap, "%s", strncmp(kind.msg, path, n) == 0 && kind.msg[n] == ':' ? kind.msg + n + 2 : kind.msg);
        return 1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, cap, "cannot open: %s", strerror(errno));
        return 1;
    }
    size_t n = 0, c = 4096;
    char *buf = malloc(c);
    HRKD_ASSERT(buf);
    for (;;) {
        if (n == c) {
            c *= 2;
            buf = realloc(buf, c);
            HRKD_ASSERT(buf);
        }
        size_t got = fread(buf + n, 1, c - n, f);
        n += got;
        if (got == 0) break;
        if (n > CFG_MAX_FILE_SIZE) break;
    }
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(why, cap, "cannot read: %s", strerror(e));
        return 1;
    }
    if (n > CFG_MAX_FILE_SIZE) {
        free(buf);
        snprintf(why, cap, "larger than %u bytes: not a configuration file", CFG_MAX_FILE_SIZE);
        return 1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Reads one text (a file's contents) into p->rec, then splices its base in front. */
static void cfg_parse_text(cfg_parse *p, const char *file, const char *buf, size_t len)
{
    cfg_reader rd = {.p = p, .buf = buf, .len = len, .file = file};
    int start = p->rec.n;
    ini_parse_stream(cfg_reader_fn, &rd, cfg_handler, &rd);
    /* Syntax problems were caught by the reader (it never passes inih a bad line). */
    if (rd.base) {
        cfg_records mine = p->rec; /* records [start, n) are this file's own */
        cfg_records tail = {0};
        int own = mine.n - start;
        if (own > 0) {
            tail.r = malloc((size_t)own * sizeof(cfg_record));
            HRKD_ASSERT(tail.r);
            memcpy(tail.r, mine.r + start, (size_t)own * sizeof(cfg_record));
            tail.n = tail.cap = own;
        }
        p->rec.n = start;
        cfg_parse_file(p, rd.base, file, rd.base_line, "[run] base");
        for (int i = 0; i < tail.n; i++) {
            p->rec.r = cfg_grow(p->rec.r, &p->rec.cap, p->rec.n + 1, sizeof(cfg_record));
            p->rec.r[p->rec.n++] = tail.r[i];
        }
        free(tail.r);
        free(rd.base);
    }
}

static int cfg_parse_file(cfg_parse *p, const char *path, const char *from_file, int from_line,
                          const char *directive)
{
    char why[512];
    char *canon = realpath(path, NULL);
    if (!canon) {
        if (from_file)
            cfg_diag_add(p->ds, p->cfg, from_file, from_line, "%s %s: cannot open: %s", directive,
                         path, strerror(errno));
        else
            cfg_diag_add(p->ds, p->cfg, path, 0, "cannot open: %s", strerror(errno));
        return 1;
    }
    for (int i = 0; i < p->depth; i++) {
        if (strcmp(p->stack[i], canon) != 0) continue;
        char chain[1024] = "";
        for (int j = i; j < p->depth; j++) {
            strncat(chain, p->shown[j], sizeof chain - strlen(chain) - 1);
            strncat(chain, " -> ", sizeof chain - strlen(chain) - 1);
        }
        strncat(chain, path, sizeof chain - strlen(chain) - 1);
        cfg_diag_add(p->ds, p->cfg, from_file, from_line, "%s %s: include cycle (%s)", directive,
                     path, chain);
        free(canon);
        return 1;
    }
    if (p->depth >= CFG_MAX_DEPTH) {
        cfg_diag_add(p->ds, p->cfg, from_file, from_line, "%s %s: nested more than %d files deep",
                     directive, path, CFG_MAX_DEPTH);
        free(canon);
        return 1;
    }
    char *buf = NULL;
    size_t len = 0;
    const char *file = cfg_intern(p->cfg, path);
    if (cfg_read_all(path, &buf, &len, why, sizeof why)) {
        if (from_file) cfg_diag_add(p->ds, p->cfg, from_file, from_line, "%s %s: %s", directive, path, why);
        else cfg_diag_add(p->ds, p->cfg, file, 0, "%s", why);
        free(canon);
        return 1;
    }
    p->stack[p->depth] = canon;
    p->shown[p->depth] = file;
    p->depth++;
    cfg_parse_text(p, file, buf, len);
    p->depth--;
    free(canon);
    free(buf);
    return 0;
}

/* ---- loading ---------------------------------------------------------------------------- */

int cfg_is_plugin_section(const char *name)
{
    static const char *groups[] = {"loss.", "relational.", "teacher."};
    for (int g = 0; g < 3; g++) {
        size_t n = strlen(groups[g]);
        if (strncmp(name, groups[g], n) != 0) continue;
        const char *rest = name + n;
        if (!*rest) return 0;
        for (const char *c = rest; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) return 0;
        return 1;
    }
    return 0;
}

static hrkd_config *cfg_finish(cfg_parse *p, hrkd_config_errors *errs)
{
    hrkd_config *cfg = p->cfg;
    cfg_diags *ds = p->ds;
    for (int i = 0; i < p->rec.n; i++) {
        cfg_record *r = &p->rec.r[i];
        hrkd_config_section *s = cfg_section_get(cfg, r->section, 1);
        if (!s->file) {
            s->file = r->file;
            s->line = r->line;
        }
        if (r->key) cfg_entry_put(s, r->key, r->value, r->file, r->line);
    }
    cfg_records_free(&p->rec);
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
    cfg_parse p = {.cfg = cfg, .ds = &ds};
    cfg_parse_file(&p, path, NULL, 0, "");
    return cfg_finish(&p, errs);
}

hrkd_config *hrkd_config_load_string(const char *text, const char *name, hrkd_config_errors *errs)
{
    hrkd_config *cfg = calloc(1, sizeof *cfg);
    HRKD_ASSERT(cfg);
    cfg->path = cfg_strdup(name ? name : "(string)");
    const char *file = cfg_intern(cfg, cfg->path);
    cfg_diags ds = {0};
    cfg_parse p = {.cfg = cfg, .ds = &ds, .string_mode = 1};
    cfg_parse_text(&p, file, text, strlen(text));
    return cfg_finish(&p, errs);
}

void hrkd_config_free(hrkd_config *cfg)
{
    if (!cfg) return;
    for (int i = 0; i < cfg->n; i++) cfg_section_free(cfg->s[i]);
    free(cfg->s);
    for (int i = 0; i < cfg->n_files; i++) free(cfg->files[i]);
    free(cfg->files);
    free(cfg->path);
    free(cfg);
}

const char *hrkd_config_path(const hrkd_config *cfg) { return cfg->path; }

const hrkd_config_section *hrkd_config_get_section(const hrkd_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->n; i++)
        if (strcmp(cfg->s[i]->name, name) == 0) return cfg->s[i];
    return NULL;
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

/* ---- the effective configuration --------------------------------------------------------- */

void cfg_buf_printf(cfg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *piece = cfg_vasprintf(fmt, ap);
    va_end(ap);
    size_t n = strlen(piece);
    if (b->n + n + 1 > b->cap) {
        while (b->n + n + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 1024;
        b->s = realloc(b->s, b->cap);
        HRKD_ASSERT(b->s);
    }
    memcpy(b->s + b->n, piece, n + 1);
    b->n += n;
    free(piece);
}

char *hrkd_config_effective_ini(const hrkd_config *cfg)
{
    cfg_buf b = {0};
    cfg_buf_printf(&b, "; effective configuration of %s: every key, defaults filled in,\n"
                       "; paths resolved, %%include and base already merged\n", cfg->path);
    for (int i = 0; i < cfg->n; i++) {
        const hrkd_config_section *s = cfg->s[i];
        cfg_buf_printf(&b, "\n[%s]\n", s->name);
        if (!s->validated) cfg_buf_printf(&b, "; not checked: no plugin of this name was bound\n");
        for (int j = 0; j < s->n; j++) {
            const cfg_entry *e = &s->e[j];
            if (!s->plugin && strcmp(s->name, "run") == 0 && strcmp(e->key, "base") == 0)
                continue; /* already merged */
            const char *v = e->value ? e->value : e->raw;
            /* inih reads " ;" as the start of a comment: a value that begins with ';' must
             * follow '=' directly to read back the same (inih cut any later " ;" already). */
            cfg_buf_printf(&b, "%s =%s%s\n", e->key, v[0] == ';' ? "" : " ", v);
        }
    }
    if (!b.s) cfg_buf_printf(&b, "%s", "");
    return b.s;
}

/* ---- the reference (Markdown) ------------------------------------------------------------ */

static void cfg_doc_cell(cfg_buf *b, const char *t)
{
    for (; *t; t++) {
        if (*t == '|') cfg_buf_printf(b, "\\|");
        else if (*t == '\n') cfg_buf_printf(b, " ");
        else cfg_buf_printf(b, "%c", *t);
    }
}

void cfg_doc_keys(cfg_buf *bp, const char *section, const char *doc, const cfg_key *keys, int n)
{
    cfg_buf b = *bp;
    cfg_buf_printf(&b, "## [%s]\n\n", section);
    if (doc && *doc) cfg_buf_printf(&b, "%s\n\n", doc);
    cfg_buf_printf(&b, "| key | type | default | range | doc |\n|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        const cfg_key *k = &keys[i];
        char r[256];
        cfg_key_range(k, r, sizeof r);
        const char *type = cfg_type_name(k->type);
        if (k->flags & CFG_PLUGIN) type = "plugin";
        else if (k->flags & CFG_PATH_LIST) type = "path list";
        else if (k->flags & CFG_LIST_INT) type = "int list";
        cfg_buf_printf(&b, "| `%s` | %s | ", k->name, type);
        if (!k->def) cfg_buf_printf(&b, "*required*");
        else if (!k->def[0]) cfg_buf_printf(&b, "(empty)");
        else { cfg_buf_printf(&b, "`"); cfg_doc_cell(&b, k->def); cfg_buf_printf(&b, "`"); }
        cfg_buf_printf(&b, " | ");
        if (k->flags & CFG_PLUGIN) cfg_buf_printf(&b, "%s", hrkd_plugin_kind_name(k->plugin_kind));
        else cfg_doc_cell(&b, r);
        cfg_buf_printf(&b, " | ");
        cfg_doc_cell(&b, k->doc ? k->doc : "");
        cfg_buf_printf(&b, " |\n");
    }
    cfg_buf_printf(&b, "\n");
    *bp = b;
}
