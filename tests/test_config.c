/* tests/test_config.c — the configuration API (config/cfg.h + hrkd/config.h) from C:
 * typed accessors and defaults, origins (file:line), %include and [run] base overriding in
 * the right order with paths relative to their own file, derived defaults, text mode
 * refusing the filesystem, binding a plugin's parameter table, every error of a file in one
 * pass, the effective configuration reading back to itself, and the --resume rule for keys a
 * run's configuration lacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/test.h"
#include "config/cfg.h"
#include "config/resume.h"

static char dir[256];

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) test_skip("cannot write a temporary file");
    fputs(text, f);
    fclose(f);
}

static int has_error(const hrkd_config_errors *e, const char *msg)
{
    for (int i = 0; i < e->n; i++)
        if (strcmp(e->msg[i], msg) == 0) return 1;
    return 0;
}

static void dump(const hrkd_config_errors *e)
{
    for (int i = 0; i < e->n; i++) fprintf(stderr, "  error: %s\n", e->msg[i]);
}

static void test_defaults(void)
{
    hrkd_config_errors e = {0};
    hrkd_config *c = hrkd_config_load_string("[student]\nlayers = 6 ; six\nhidden = 384\n", "x/exp.ini", &e);
    CHECK(c && e.n == 0);
    if (!c) { dump(&e); return; }
    const hrkd_config_section *st = hrkd_config_get_section(c, "student");
    const hrkd_config_section *opt = hrkd_config_get_section(c, "optimizer");
    const hrkd_config_section *run = hrkd_config_get_section(c, "run");
    CHECK(st && opt && run);
    CHECK(hrkd_cfg_int(st, "layers") == 6);
    CHECK(hrkd_cfg_int(st, "hidden") == 384);
    CHECK(hrkd_cfg_int(st, "heads") == 12); /* default */
    CHECK(fabs(hrkd_cfg_float(opt, "lr") - 5e-5) < 1e-12);
    CHECK(fabs(hrkd_cfg_float(st, "layer_norm_eps") - 1e-12) < 1e-20);
    CHECK(hrkd_cfg_bool(hrkd_config_get_section(c, "data"), "lowercase") == 1);
    CHECK(strcmp(hrkd_cfg_str(st, "gelu"), "erf") == 0);
    CHECK(strcmp(hrkd_cfg_str(run, "name"), "exp") == 0); /* from the file name */
    char want[4200], cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(want, sizeof want, "%s/x/results/exp.h5", cwd); /* the default dir, next to the INI */
    CHECKF(strcmp(hrkd_cfg_str(hrkd_config_get_section(c, "output"), "file"), want) == 0, "file %s",
           hrkd_cfg_str(hrkd_config_get_section(c, "output"), "file"));
    int line = -1;
    const char *file = hrkd_cfg_origin(st, "layers", &line);
    CHECK(file && strcmp(file, "x/exp.ini") == 0 && line == 2);
    hrkd_cfg_origin(st, "heads", &line);
    CHECK(line == 0);
    CHECK(strcmp(hrkd_cfg_section_name(st), "student") == 0);
    CHECK(hrkd_config_section_count(c) == 10);
    hrkd_config_free(c);
    /* an empty [output] dir still gives an absolute results file (found by fuzzing) */
    c = hrkd_config_load_string("[output]\ndir =\n", "e.ini", &e);
    CHECK(c != NULL);
    if (c) {
        const char *f = hrkd_cfg_str(hrkd_config_get_section(c, "output"), "file");
        CHECKF(f[0] == '/' && strstr(f, "/e.h5"), "file %s", f);
        hrkd_config_free(c);
    }
}

static void test_all_errors_in_one_pass(void)
{
    hrkd_config_errors e = {0};
    hrkd_config *c = hrkd_config_load_string("[run]\nseed = -1\nmode = fast\n[student]\nlayers = x\n"
                                             "[optimizer]\nbeta1 = 1.5\nnope = 1\n[what]\n",
                                             "t.ini", &e);
    CHECK(c == NULL);
    CHECKF(e.n == 6, "%d errors", e.n);
    CHECK(has_error(&e, "t.ini:2: [run] seed: -1 is out of range [0, 4294967295]"));
    CHECK(has_error(&e, "t.ini:3: [run] mode: expected one of distill|teacher|eval, got 'fast'"));
    CHECK(has_error(&e, "t.ini:5: [student] layers: expected an integer, got 'x'"));
    CHECK(has_error(&e, "t.ini:7: [optimizer] beta1: 1.5 is out of range [0, 0.999999]"));
    CHECK(has_error(&e, "t.ini:8: [optimizer] nope: unknown key"));
    CHECK(e.n == 6 && strncmp(e.msg[5], "t.ini:9: [what]: unknown section", 32) == 0); /* by line */
    if (e.n != 6) dump(&e);
    hrkd_config_errors_free(&e);
    /* unknown section counted too */
    c = hrkd_config_load_string("[what]\n", "t.ini", &e);
    CHECK(c == NULL && e.n == 1 && strncmp(e.msg[0], "t.ini:1: [what]: unknown section", 32) == 0);
    hrkd_config_errors_free(&e);
}

static void test_text_mode_refuses_files(void)
{
    hrkd_config_errors e = {0};
    hrkd_config *c = hrkd_config_load_string("%include /etc/passwd\n[run]\nbase = /etc/hosts\n", "s.ini", &e);
    CHECK(c == NULL);
    CHECK(has_error(&e, "s.ini:1: %include /etc/passwd: not allowed in a configuration given as text"));
    CHECK(has_error(&e, "s.ini:3: [run] base: not allowed in a configuration given as text"));
    if (e.n != 2) dump(&e);
    hrkd_config_errors_free(&e);
}

static void test_include_and_base(void)
{
    /* base.ini (in sub/) sets values and a path; inc.ini is included by top.ini; top.ini
     * overrides keys both before and after its `base =` line. */
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CHECK(mkdir(sub, 0700) == 0);
    write_file("sub/base.ini", "[run]\nname = base\nepochs = 7\nseed = 1\n[data]\nformat = tsv\npath = data/x.tsv\n"
                               "[student]\nlayers = 3\n");
    write_file("inc.ini", "[optimizer]\nlr = 1e-3\n[student]\nhidden = 96\nheads = 4\n");
    write_file("top.ini", "[student]\nlayers = 2\n[run]\nbase = sub/base.ini\nseed = 5\n%include inc.ini\n"
                          "[student]\nffn = 384\n");
    char top[512];
    snprintf(top, sizeof top, "%s/top.ini", dir);
    hrkd_config_errors e = {0};
    hrkd_config *c = hrkd_config_load(top, &e);
    CHECK(c != NULL);
    if (!c) { dump(&e); hrkd_config_errors_free(&e); return; }
    const hrkd_config_section *run = hrkd_config_get_section(c, "run");
    const hrkd_config_section *st = hrkd_config_get_section(c, "student");
    const hrkd_config_section *data = hrkd_config_get_section(c, "data");
    CHECK(hrkd_cfg_int(st, "layers") == 2);   /* top overrides base, though written first */
    CHECK(hrkd_cfg_int(run, "seed") == 5);
    CHECK(hrkd_cfg_int(run, "epochs") == 7);  /* from base */
    CHECK(strcmp(hrkd_cfg_str(run, "name"), "base") == 0);
    CHECK(hrkd_cfg_int(st, "hidden") == 96);  /* from the include */
    CHECK(hrkd_cfg_int(st, "ffn") == 384);
    CHECK(fabs(hrkd_cfg_float(hrkd_config_get_section(c, "optimizer"), "lr") - 1e-3) < 1e-12);
    char want[600];
    snprintf(want, sizeof want, "%s/sub/data/x.tsv", dir); /* relative to base.ini */
    CHECKF(strcmp(hrkd_cfg_str(data, "path"), want) == 0, "path %s", hrkd_cfg_str(data, "path"));
    int line = 0;
    const char *f = hrkd_cfg_origin(st, "hidden", &line);
    CHECK(strstr(f, "inc.ini") && line == 4);
    f = hrkd_cfg_origin(run, "epochs", &line);
    CHECK(strstr(f, "sub/base.ini") && line == 3);
    /* the effective configuration loads and prints the same */
    char *eff = hrkd_config_effective_ini(c);
    CHECK(strstr(eff, "\nlayers = 2\n") && strstr(eff, "\nepochs = 7\n") && !strstr(eff, "\nbase ="));
    hrkd_config *again = hrkd_config_load_string(eff, top, &e);
    CHECK(again != NULL);
    if (again) {
        char *eff2 = hrkd_config_effective_ini(again);
        CHECK(strcmp(eff, eff2) == 0);
        free(eff2);
        hrkd_config_free(again);
    } else dump(&e);
    free(eff);
    hrkd_config_free(c);
    hrkd_config_errors_free(&e);
}

static int fake_create(const hrkd_plugin_args *a, void **self, hrkd_error *err) { *self = NULL; return 0; }
static void fake_destroy(void *self) {}
static hrkd_tensor *fake_fwd(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *x) { return x; }
static const hrkd_reference_fns fake_fns = {.forward = fake_fwd};
static const hrkd_plugin_param fake_params[] = {
    {"width", HRKD_CFG_INT, "16", 1, 1024, NULL, "a width"},
    {"act", HRKD_CFG_ENUM, "relu", 1, 0, "relu|elu", "activation"},
    {"must", HRKD_CFG_FLOAT, NULL, 0, 1, NULL, "required"},
};
static const hrkd_plugin_descriptor fake = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor), .kind = HRKD_KIND_RELATIONAL_REFERENCE,
    .name = "fake", .version = "1", .summary = "fake", .params = fake_params, .n_params = 3,
    .create = fake_create, .destroy = fake_destroy, .reference = &fake_fns};

static void test_bind_plugin(void)
{
    hrkd_config_errors e = {0};
    hrkd_config *c = hrkd_config_load_string("[relational.fake]\nwidth = 2000\nact = tanh\nextra = 1\n", "p.ini", &e);
    CHECK(c != NULL);
    if (!c) return;
    const hrkd_config_section *s = hrkd_config_get_section(c, "relational.fake");
    CHECK(s && hrkd_config_section_is_plugin(s) && !hrkd_config_section_validated(s));
    CHECK(hrkd_config_bind_plugin(c, "relational.fake", &fake, &e) == NULL);
    CHECK(has_error(&e, "p.ini:2: [relational.fake] width: 2000 is out of range [1, 1024]"));
    CHECK(has_error(&e, "p.ini:3: [relational.fake] act: expected one of relu|elu, got 'tanh'"));
    CHECK(has_error(&e, "p.ini:4: [relational.fake] extra: unknown key"));
    CHECK(has_error(&e, "p.ini:1: [relational.fake] must: required key is missing"));
    if (e.n != 4) dump(&e);
    hrkd_config_errors_free(&e);
    hrkd_config_free(c);

    c = hrkd_config_load_string("[relational.fake]\nmust = 0.5\nact = elu\n", "p.ini", &e);
    CHECK(c != NULL);
    if (!c) return;
    s = hrkd_config_bind_plugin(c, "relational.fake", &fake, &e);
    CHECK(s != NULL && e.n == 0);
    if (s) {
        CHECK(hrkd_cfg_int(s, "width") == 16);
        CHECK(strcmp(hrkd_cfg_str(s, "act"), "elu") == 0);
        CHECK(fabs(hrkd_cfg_float(s, "must") - 0.5) < 1e-12);
    }
    hrkd_config_free(c);
}

/* A run started before a key existed: the key at its default now is no change; at another
 * value, or a plugin section's key the run lacks, it is refused. */
static void test_resume_new_keys(void)
{
    const char *stored = "[run]\nseed = 1\n\n[data]\nmax_seq_len = 64\n";
    hrkd_config_changes ch = {0};
    hrkd_error e = {0};
    CHECKF(hrkd_config_resume_check(stored, "[run]\nseed = 1\n\n[data]\nmax_seq_len = 64\npad_to = max_seq_len\n"
                                    "\n[distill]\nteacher_cache_precision = fp32\n", 0, "r.h5", &ch, &e) == HRKD_STATUS_OK &&
           ch.n == 0, "new keys at their defaults: %s", e.msg);
    hrkd_config_changes_free(&ch);
    e = (hrkd_error){0};
    CHECK(hrkd_config_resume_check(stored, "[run]\nseed = 1\n\n[data]\nmax_seq_len = 64\npad_to = longest\n", 0,
                                   "r.h5", &ch, &e) == HRKD_STATUS_INVALID);
    CHECKF(strstr(e.msg, "[data] pad_to: (absent) -> longest") != NULL, "%s", e.msg);
    e = (hrkd_error){0};
    CHECK(hrkd_config_resume_check(stored, "[run]\nseed = 1\n\n[data]\nmax_seq_len = 64\n\n[loss.tinybert]\n"
                                   "soft_ce_mean = batch_classes\n", 0, "r.h5", &ch, &e) == HRKD_STATUS_INVALID);
    e = (hrkd_error){0};
    CHECK(hrkd_config_resume_check(stored, "[run]\nseed = 2\n\n[data]\nmax_seq_len = 64\n", 0, "r.h5", &ch, &e) ==
          HRKD_STATUS_INVALID);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/hrkd_test_config_XXXXXX");
    if (!mkdtemp(dir)) test_skip("cannot create a temporary folder");
    test_defaults();
    test_all_errors_in_one_pass();
    test_text_mode_refuses_files();
    test_include_and_base();
    test_bind_plugin();
    test_resume_new_keys();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", dir);
    return test_finish("test_config");
}
