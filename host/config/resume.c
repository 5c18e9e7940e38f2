/* host/config/resume.c — the --resume rule of resume.h, on two effective configurations
 * (`hrkd check --print` text: "[section]" headers and "key = value" lines, comments ";"). */
#include "config/resume.h"
#include "config/paths.h"
#include "config/schema.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct kv {
    char sec[96], key[96];
    const char *val; /* into the parsed copy */
} kv;

typedef struct kvs {
    char *text;
    kv   *v;
    int   n;
} kvs;

static void trim(char **b, char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t' || **b == '\r')) (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r')) (*e)--;
}

static int parse(const char *text, kvs *out)
{
    out->text = strdup(text ? text : "");
    out->v = NULL;
    out->n = 0;
    if (!out->text) return -1;
    char sec[96] = "";
    int cap = 0;
    for (char *line = out->text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        char *b = line, *e = line + strlen(line);
        trim(&b, &e);
        if (b == e || *b == ';' || *b == '#') continue;
        if (*b == '[' && e[-1] == ']') {
            snprintf(sec, sizeof sec, "%.*s", (int)(e - b - 2), b + 1);
            continue;
        }
        char *eq = memchr(b, '=', (size_t)(e - b));
        if (!eq) continue;
        char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;
        trim(&kb, &ke);
        trim(&vb, &ve);
        *ve = 0;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            kv *g = realloc(out->v, (size_t)cap * sizeof *g);
            if (!g) return -1;
            out->v = g;
        }
        kv *x = &out->v[out->n++];
        snprintf(x->sec, sizeof x->sec, "%s", sec);
        snprintf(x->key, sizeof x->key, "%.*s", (int)(ke - kb), kb);
        x->val = vb;
    }
    return 0;
}

static const char *find(const kvs *s, const char *sec, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].sec, sec) && !strcmp(s->v[i].key, key)) return s->v[i].val;
    return NULL;
}

static int listed(const char *const list[][2], int n, const char *sec, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i][0], sec) && !strcmp(list[i][1], key)) return 1;
    return 0;
}

/* Two absolute paths naming the same file or folder (also lexically: a configuration written
 * before paths were normalised says "ini/../results" where the new one says "results", and the
 * place may not exist yet), or two files with the same bytes. */
static int same_place(const char *a, const char *b)
{
    if (a[0] != '/' || b[0] != '/') return 0;
    char ra[PATH_MAX], rb[PATH_MAX];
    if (strlen(a) < sizeof ra && strlen(b) < sizeof rb) {
        memcpy(ra, a, strlen(a) + 1);
        memcpy(rb, b, strlen(b) + 1);
        cfg_normalize_abs(ra);
        cfg_normalize_abs(rb);
        if (!strcmp(ra, rb)) return 1;
    }
    if (realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb)) return 1;
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0 || !S_ISREG(sa.st_mode) || !S_ISREG(sb.st_mode) ||
        sa.st_size != sb.st_size)
        return 0;
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    char x[65536], y[65536];
    while (same) {
        size_t na = fread(x, 1, sizeof x, fa), nb = fread(y, 1, sizeof y, fb);
        if (na != nb || memcmp(x, y, na) != 0) same = 0;
        if (na < sizeof x) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* A host key the run's configuration does not have, at its default now: the run was started
 * by an hrkd from before the key existed, which behaved as the key's default does (a new
 * key's default keeps the results hrkd gave before it). */
static int new_key_at_default(const char *sec, const char *key, const char *now)
{
    const cfg_schema_section *s = cfg_schema_find(sec);
    for (int i = 0; s && i < s->n_keys; i++)
        if (!strcmp(s->keys[i].name, key)) return s->keys[i].def && !strcmp(s->keys[i].def, now);
    return 0;
}

static int add_line(hrkd_config_changes *c, const char *sec, const char *key, const char *old, const char *now)
{
    char **g = realloc(c->line, (size_t)(c->n + 1) * sizeof *g);
    if (!g) return -1;
    c->line = g;
    size_t len = strlen(sec) + strlen(key) + strlen(old) + strlen(now) + 16;
    if (!(c->line[c->n] = malloc(len))) return -1;
    snprintf(c->line[c->n++], len, "[%s] %s: %s -> %s", sec, key, old, now);
    return 0;
}

void hrkd_config_changes_free(hrkd_config_changes *c)
{
    for (int i = 0; i < c->n; i++) free(c->line[i]);
    free(c->line);
    c->line = NULL;
    c->n = 0;
}

hrkd_status hrkd_config_resume_check(const char *stored, const char *now, int extend, const char *run,
                                     hrkd_config_changes *changes, hrkd_error *err)
{
    static const char *const harmless[][2] = {
        {"backend", "threads"}, {"run", "log_every"}, {"run", "comm_timeout"},
        {"output", "flush_every"}, {"output", "checkpoint_every"},
    };
    static const char *const length[][2] = {{"run", "epochs"}, {"run", "max_steps"}, {"teacher", "epochs"}};
    changes->line = NULL;
    changes->n = 0;
    kvs a = {0}, b = {0};
    hrkd_config_changes refused = {0}, longer = {0};
    hrkd_status st = HRKD_STATUS_OK;
    if (parse(stored, &a) || parse(now, &b)) {
        st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        goto done;
    }
    for (int pass = 0; pass < 2; pass++) { /* keys of the run, then keys only the INI has */
        const kvs *x = pass ? &b : &a, *y = pass ? &a : &b;
        for (int i = 0; i < x->n; i++) {
            const kv *k = &x->v[i];
            const char *other = find(y, k->sec, k->key);
            if (pass && other) continue; /* seen in the first pass */
            const char *old = pass ? "(absent)" : k->val, *cur = pass ? k->val : other ? other : "(absent)";
            if (!strcmp(old, cur) || listed(harmless, 5, k->sec, k->key) || same_place(old, cur) ||
                (pass && new_key_at_default(k->sec, k->key, cur)))
                continue;
            hrkd_config_changes *to = listed(length, 3, k->sec, k->key) ? (extend ? changes : &longer) : &refused;
            if (add_line(to, k->sec, k->key, old, cur)) {
                st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
                goto done;
            }
        }
    }
    if (refused.n || longer.n) {
        char msg[900];
        size_t len = 0;
        hrkd_config_changes *list = refused.n ? &refused : &longer;
        for (int i = 0; i < list->n && len < sizeof msg; i++)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", i ? "; " : "", list->line[i]);
        if (refused.n)
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "--resume: the INI's configuration differs from the one %s was started with "
                                "(run -> INI): %s. Restore these values, or start a new run (another [output] "
                                "file, or --force to replace this one)", run, msg);
        else
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "--resume: the INI changes the length of the run in %s (%s); continue it with "
                                "--resume --extend (docs/cli.md: the learning-rate schedule follows the new length)",
                                run, msg);
    }
done:
    if (st != HRKD_STATUS_OK) hrkd_config_changes_free(changes);
    hrkd_config_changes_free(&refused);
    hrkd_config_changes_free(&longer);
    free(a.text);
    free(a.v);
    free(b.text);
    free(b.v);
    return st;
}
