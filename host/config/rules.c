/* host/config/rules.c — the rules that tie host keys together, once every section is valid.
 *
 * Hidden divisible by heads, data.path unless synthetic, ...; the derived defaults ([run] name
 * from the file name, [output] file from dir and name); the run's outputs that may not be its
 * inputs. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/columns.h"
#include "config/paths.h"
#include "config/rules.h"

/* Longest [run] name and [output] file: the run files get suffixes ("_seed4294967295_teacher.h5")
 * and must still fit NAME_MAX (255) and PATH_MAX (4096). */
#define CFG_MAX_RUN_NAME 200
#define CFG_MAX_RUN_PATH 4000

static cfg_entry *key_of(hrkd_config *cfg, const char *section, const char *key)
{
    hrkd_config_section *s = cfg_section_get(cfg, section, 0);
    return s ? cfg_entry_find(s, key) : NULL;
}

/* Where a message about e belongs: its line, else its section's header, else the main file. */
static void where(hrkd_config *cfg, const char *section, const cfg_entry *e, const char **file, int *line)
{
    hrkd_config_section *s = cfg_section_get(cfg, section, 0);
    if (e && e->line > 0) { *file = e->file; *line = e->line; }
    else if (s && s->file) { *file = s->file; *line = s->line; }
    else { *file = cfg->path; *line = 0; }
}

static void check_encoder(hrkd_config *cfg, const char *sec, cfg_diags *ds)
{
    cfg_entry *hidden = key_of(cfg, sec, "hidden"), *heads = key_of(cfg, sec, "heads");
    cfg_entry *maxpos = key_of(cfg, sec, "max_positions"), *seq = key_of(cfg, "data", "max_seq_len");
    const char *f;
    int l;
    if (hidden && heads && heads->v.i > 0 && hidden->v.i % heads->v.i != 0) {
        where(cfg, sec, hidden->line ? hidden : heads, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[%s] hidden: %lld is not a multiple of heads = %lld", sec,
                     (long long)hidden->v.i, (long long)heads->v.i);
    }
    if (maxpos && seq && maxpos->v.i < seq->v.i) {
        where(cfg, sec, maxpos, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[%s] max_positions: %lld is less than [data] max_seq_len = %lld",
                     sec, (long long)maxpos->v.i, (long long)seq->v.i);
    }
}

static int name_ok(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* ---- outputs never inputs ---------------------------------------------------------------- */

/* p with "." and ".." segments and repeated slashes removed (p is absolute); symlinks of the
 * longest existing prefix resolved, so two spellings of one place compare equal. */
static void norm_path(const char *p, char *out, size_t cap)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", p);
    char *segs[PATH_MAX / 2];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(tmp, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, ".")) continue;
        if (!strcmp(t, "..")) { if (n) n--; continue; }
        segs[n++] = t;
    }
    char lex[PATH_MAX] = "";
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof lex; i++)
        len += (size_t)snprintf(lex + len, sizeof lex - len, "/%s", segs[i]);
    if (!n) snprintf(lex, sizeof lex, "/");
    /* resolve the longest prefix that exists */
    char head[PATH_MAX], real[PATH_MAX];
    snprintf(head, sizeof head, "%s", lex);
    const char *rest = "";
    for (;;) {
        if (realpath(head, real)) break;
        char *slash = strrchr(head, '/');
        if (!slash || slash == head) { snprintf(real, sizeof real, "%s", lex); rest = ""; goto done; }
        *slash = 0;
        rest = lex + (slash - head);
    }
done:
    snprintf(out, cap, "%s%s", strcmp(real, "/") ? real : "", rest);
    if (!out[0]) snprintf(out, cap, "/");
}

/* 1 when a is b or lies inside folder b */
static int path_within(const char *a, const char *b)
{
    size_t n = strlen(b);
    return !strcmp(a, b) || (strncmp(a, b, n) == 0 && (a[n] == '/' || (n == 1 && b[0] == '/')));
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The run's outputs (run file, the teacher file a distill INI writes first, the Hugging Face
 * export, the token caches) may not be its inputs: the run would destroy what it reads. */
static void check_outputs_not_inputs(hrkd_config *cfg, cfg_diags *ds)
{
    struct { const char *sec, *key; } in_keys[] = {
        {"teacher", "checkpoint"}, {"student", "checkpoint"}, {"data", "path"}, {"data", "vocab"},
    };
    char in[4][PATH_MAX], out[PATH_MAX], stem[PATH_MAX], tfile[PATH_MAX];
    const cfg_entry *ie[4];
    for (int i = 0; i < 4; i++) {
        ie[i] = key_of(cfg, in_keys[i].sec, in_keys[i].key);
        in[i][0] = 0;
        if (ie[i] && ie[i]->value[0]) norm_path(ie[i]->value, in[i], sizeof in[i]);
    }
    const char *f;
    int l;
    cfg_entry *file = key_of(cfg, "output", "file");
    if (file && file->value[0]) {
        norm_path(file->value, out, sizeof out);
        snprintf(stem, sizeof stem, "%s", out);
        size_t n = strlen(stem);
        if (n > 3 && !strcmp(stem + n - 3, ".h5")) stem[n - 3] = 0;
        snprintf(tfile, sizeof tfile, "%s_teacher.h5", stem);
        for (int i = 0; i < 2; i++) {
            if (!in[i][0]) continue;
            const char *hit = !strcmp(in[i], out) ? out : !strcmp(in[i], tfile) && i == 1 ? tfile : NULL;
            if (!hit) continue;
            where(cfg, in_keys[i].sec, ie[i], &f, &l);
            cfg_diag_add(ds, cfg, f, l, "[%s] %s: %s is also this run's output ([output] file): the run "
                         "would replace the file it reads", in_keys[i].sec, in_keys[i].key, hit);
        }
    }
    cfg_entry *exp = key_of(cfg, "output", "export_hf");
    if (exp && exp->value[0]) {
        char e[PATH_MAX];
        norm_path(exp->value, e, sizeof e);
        static const char *const writes[] = {"config.json", "vocab.txt", "model.safetensors",
                                             "tokenizer_config.json", "README.md"};
        for (int i = 0; i < 4; i++) {
            if (!in[i][0]) continue;
            int hit = is_dir(in[i]) ? path_within(e, in[i]) : !strcmp(e, in[i]);
            const char *slash = strrchr(in[i], '/');
            if (!hit && !is_dir(in[i]) && slash && (size_t)(slash - in[i]) == strlen(e) &&
                !strncmp(in[i], e, strlen(e)))
                for (size_t w = 0; w < sizeof writes / sizeof *writes; w++)
                    hit |= !strcmp(slash + 1, writes[w]); /* the export would write over it */
            if (!hit) continue;
            where(cfg, "output", exp, &f, &l);
            cfg_diag_add(ds, cfg, f, l, "[output] export_hf: %s would overwrite [%s] %s (%s), which this "
                         "run reads", e, in_keys[i].sec, in_keys[i].key, in[i]);
        }
    }
    const char *caches[2][2] = {{"data", "cache_dir"}, {"distill", "teacher_cache_dir"}};
    for (int c = 0; c < 2; c++) {
        cfg_entry *cd = key_of(cfg, caches[c][0], caches[c][1]);
        if (!cd || !cd->value[0] || !in[2][0]) continue;
        char cdir[PATH_MAX];
        norm_path(cd->value, cdir, sizeof cdir);
        if (strcmp(cdir, in[2]) != 0) continue;
        where(cfg, caches[c][0], cd, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[%s] %s: %s is the data folder ([data] path): keep caches in a "
                     "folder of their own", caches[c][0], caches[c][1], cdir);
    }
}

void cfg_schema_cross_check(hrkd_config *cfg, cfg_diags *ds)
{
    const char *f;
    int l;
    /* [data] path is required for every reader but the built-in one. */
    cfg_entry *fmt = key_of(cfg, "data", "format"), *path = key_of(cfg, "data", "path");
    if (fmt && path && strcmp(fmt->value, "synthetic") != 0 && !path->value[0]) {
        where(cfg, "data", fmt, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[data] path: required when format = %s", fmt->value);
    }
    cfg_entry *tw = key_of(cfg, "data", "train_windows");
    if (fmt && tw && tw->v.i > 1 && (!strcmp(fmt->value, "synthetic") || !strcmp(fmt->value, "mnli"))) {
        where(cfg, "data", tw, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[data] train_windows: needs single texts (format amazon, tsv or jsonl), "
                     "not format = %s", fmt->value);
    }
    /* column mapping, default domain and label order: the table readers only */
    const char *table_keys[3] = {"columns", "default_domain", "labels"};
    for (int i = 0; i < 3; i++) {
        cfg_entry *e = key_of(cfg, "data", table_keys[i]);
        if (!fmt || !e || !e->value[0] || !strcmp(fmt->value, "tsv") || !strcmp(fmt->value, "jsonl")) continue;
        where(cfg, "data", e, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[data] %s: applies to format tsv and jsonl, not format = %s", table_keys[i],
                     fmt->value);
    }
    cfg_entry *cols = key_of(cfg, "data", "columns");
    if (cols && cols->value[0]) {
        char why[200];
        if (hrkd_table_columns_parse(cols->value, NULL, why, sizeof why) != 0) {
            where(cfg, "data", cols, &f, &l);
            cfg_diag_add(ds, cfg, f, l, "[data] columns: %s", why);
        }
    }
    check_encoder(cfg, "teacher", ds);
    check_encoder(cfg, "student", ds);
    cfg_entry *init = key_of(cfg, "student", "init"), *ck = key_of(cfg, "student", "checkpoint");
    if (init && ck && strcmp(init->value, "pretrained") == 0 && !ck->value[0]) {
        where(cfg, "student", init, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[student] checkpoint: required when init = pretrained");
    }
    cfg_entry *mode = key_of(cfg, "run", "mode");
    if (mode && ck && strcmp(mode->value, "eval") == 0 && !ck->value[0]) {
        where(cfg, "run", mode, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[student] checkpoint: required when [run] mode = eval");
    }
    cfg_entry *ep = key_of(cfg, "run", "epochs"), *ms = key_of(cfg, "run", "max_steps");
    if (ep && ms && ep->v.i == 0 && ms->v.i == 0) {
        where(cfg, "run", ep, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[run] epochs: 0 with max_steps = 0 leaves nothing to train");
    }
    /* layer_map: "uniform" or M+1 teacher layer numbers. */
    cfg_entry *lm = key_of(cfg, "distill", "layer_map");
    cfg_entry *sl = key_of(cfg, "student", "layers"), *tl = key_of(cfg, "teacher", "layers");
    if (lm && sl && tl && strcmp(lm->value, "uniform") != 0) {
        cfg_key k = {.name = "layer_map", .type = HRKD_CFG_LIST, .min = 0, .max = (double)tl->v.i,
                     .flags = CFG_LIST_INT};
        cfg_value v;
        char why[256];
        where(cfg, "distill", lm, &f, &l);
        if (cfg_check_value(&k, lm->value, &v, why, sizeof why))
            cfg_diag_add(ds, cfg, f, l, "[distill] layer_map: expected uniform or %lld teacher layer "
                         "numbers: %s", (long long)sl->v.i + 1, why);
        else if (v.i != sl->v.i + 1)
            cfg_diag_add(ds, cfg, f, l, "[distill] layer_map: %lld numbers given, expected %lld "
                         "(student layers 0..%lld)", (long long)v.i, (long long)sl->v.i + 1,
                         (long long)sl->v.i);
    }
    /* blas_core pins OpenBLAS, which only the CPU backend uses. */
    cfg_entry *dev = key_of(cfg, "backend", "device"), *core = key_of(cfg, "backend", "blas_core");
    if (dev && core && core->value[0] && strcmp(dev->value, "cpu") != 0) {
        where(cfg, "backend", core, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[backend] blas_core: applies to device = cpu only (device = %s)",
                     dev->value);
    }
    if (core && core->value[0] && !name_ok(core->value)) {
        where(cfg, "backend", core, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[backend] blas_core: '%s' is not an OpenBLAS core name", core->value);
    }
    /* Meta-KD's meta-distillation weights every domain alike: no relational ratios. */
    cfg_entry *meth = key_of(cfg, "distill", "method"), *rel = key_of(cfg, "distill", "relational");
    if (meth && rel && strcmp(meth->value, "metakd") == 0 && rel->v.b) {
        where(cfg, "distill", meth, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[distill] method: metakd needs [distill] relational = false");
    }
    /* Derived defaults: the run name from the file, the results file from dir and name. */
    hrkd_config_section *run = cfg_section_get(cfg, "run", 0);
    cfg_entry *name = key_of(cfg, "run", "name");
    if (run && name && !name->value[0]) {
        const char *slash = strrchr(cfg->path, '/');
        const char *stem = slash ? slash + 1 : cfg->path;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", stem);
        size_t n = strlen(buf);
        if (n > 4 && strcmp(buf + n - 4, ".ini") == 0) buf[n - 4] = 0;
        for (char *c = buf; *c; c++)
            if (!name_ok((char[]){*c, 0})) *c = '_';
        const cfg_key *decl = name->decl;
        cfg_entry_set_default(cfg, run, "name", buf[0] ? buf : "run");
        key_of(cfg, "run", "name")->decl = decl;
        name = key_of(cfg, "run", "name");
    } else if (name && !name_ok(name->value)) {
        where(cfg, "run", name, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[run] name: '%s' may only hold letters, digits, '_', '-', '.'",
                     name->value);
    }
    hrkd_config_section *out = cfg_section_get(cfg, "output", 0);
    cfg_entry *file = key_of(cfg, "output", "file"), *dir = key_of(cfg, "output", "dir");
    if (out && file && dir && name && !file->value[0]) {
        size_t n = strlen(dir->value) + strlen(name->value) + 8;
        char *p = malloc(n);
        HRKD_ASSERT(p);
        snprintf(p, n, "%s%s%s.h5", dir->value, dir->value[0] ? "/" : "", name->value);
        char *abs = cfg_join_abs(cfg->path, p); /* dir may be empty: still absolute */
        free(p);
        p = abs;
        const cfg_key *decl = file->decl;
        cfg_entry_set_default(cfg, out, "file", p);
        key_of(cfg, "output", "file")->decl = decl;
        free(p);
    }
    /* Names become file names ("<name>_seed<N>_teacher.h5"): refused here, not cut later. */
    name = key_of(cfg, "run", "name");
    file = key_of(cfg, "output", "file");
    if (name && strlen(name->value) > CFG_MAX_RUN_NAME) {
        where(cfg, "run", name, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[run] name: %zu bytes, at most %d (it names the run files)", strlen(name->value),
                     CFG_MAX_RUN_NAME);
    }
    if (file && strlen(file->value) > CFG_MAX_RUN_PATH) {
        where(cfg, "output", file, &f, &l);
        cfg_diag_add(ds, cfg, f, l, "[output] file: %zu bytes, at most %d (the run files' path, suffixes such as "
                     "_seed<N>_teacher.h5 added, must fit the system's %d)", strlen(file->value), CFG_MAX_RUN_PATH, 4096);
    }
    check_outputs_not_inputs(cfg, ds);
}
