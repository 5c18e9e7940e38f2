/* host/cli/main.c — the `hrkd` program: subcommand dispatch, `check`, `plugins`, `--help`,
 * `--version`. The heavy commands (run, bench, data stats, inspect, compare, eval) live in
 * libhrkd (core/commands.h).
 *
 * Exit codes (docs/cli.md): 0 ok, 1 runtime failure, 2 usage error or invalid
 * configuration / input, 3 not supported or not built. Errors go to stderr.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "comm/comm.h"
#include "config/cfg.h"
#include "core/commands.h"
#include "hrkd/hrkd.h"
#include "plugin/registry.h"
#include "plugin/selftest.h"
#include "text/text.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_UNSUPPORTED = 3 };

static const char usage_text[] =
    "usage: hrkd COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run FILE.ini [--resume [--extend] | --force]\n"
    "                              train (teacher and/or student) as the INI says\n"
    "  check [--print] [--inputs] [--domains D] FILE.ini\n"
    "                              validate the INI and self-test the plugins it uses, train\n"
    "                              nothing; --print writes the effective configuration\n"
    "  check --doc                 the INI reference of every host section (Markdown)\n"
    "  plugins [--paths]           list the plugins found: kind, name, version, summary\n"
    "  plugins describe NAME|PATH  a plugin's INI section and parameters (type, default, doc)\n"
    "  plugins test NAME|PATH [--domains D --layers M --teacher-layers N --dim F --heads H\n"
    "               --classes C --seed S]\n"
    "                              self-test a plugin: every function on random inputs, output\n"
    "                              shapes, finite values, ratios, undeclared keys, gradients\n"
    "  bench [OPTIONS]             engine benchmarks, one JSON line per run\n"
    "  data stats FILE.ini         dataset statistics per domain and split\n"
    "  inspect FILE.h5             summary of a run file\n"
    "  compare A.h5 B.h5           compare two run files\n"
    "  eval FILE.ini RUN.h5        evaluate a run file's checkpoint\n"
    "  case FILE.ini RUN.h5        a trained student's ratios on chosen examples (case study)\n"
    "  --help, --version           (COMMAND --help: that command's usage)\n"
    "\n"
    "plugins are searched in <lib>/hrkd/plugins, then $HRKD_PLUGIN_PATH (':'-separated),\n"
    "then [run] plugin_path; an INI may also name a plugin by the path of its .so.\n"
    "HRKD_LOG=error|warn|info|debug sets the log level.\n"
    "\n"
    "exit status: 0 ok, 1 runtime failure, 2 usage error or invalid configuration/input,\n"
    "3 not supported or not built in this version.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "hrkd: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see hrkd --help)\n");
    return EXIT_USAGE;
}

static void print_errors(const hrkd_config_errors *e)
{
    for (int i = 0; i < e->n; i++) fprintf(stderr, "%s\n", e->msg[i]);
}

/* Loads, validates and resolves an INI against the plugins. Returns an exit code; on 0, *cfg
 * and *reg are the caller's to free. */
static int load_checked(const char *path, hrkd_config **cfg_out, hrkd_registry **reg_out)
{
    hrkd_config_errors errs = {0};
    hrkd_config *cfg = hrkd_config_load(path, &errs);
    if (!cfg) {
        print_errors(&errs);
        hrkd_config_errors_free(&errs);
        return EXIT_USAGE;
    }
    hrkd_error err = {0};
    const char *extra = hrkd_cfg_str(hrkd_config_get_section(cfg, "run"), "plugin_path");
    hrkd_registry *reg = hrkd_registry_create(extra, &err);
    if (!reg) {
        fprintf(stderr, "hrkd: %s\n", err.msg);
        hrkd_config_free(cfg);
        return EXIT_RUNTIME;
    }
    if (hrkd_registry_resolve_config(reg, cfg, &errs) > 0) {
        print_errors(&errs);
        hrkd_config_errors_free(&errs);
        hrkd_registry_destroy(reg);
        hrkd_config_free(cfg);
        return EXIT_USAGE;
    }
    *cfg_out = cfg;
    *reg_out = reg;
    return EXIT_OK;
}

/* ---- plugin self-tests ------------------------------------------------------------------- */

/* The self-test's shapes from a configuration: D from [data] (synthetic_domains, or the
 * length of the domains list; 0 when neither says), M / N the [student] / [teacher] layers, F
 * and the heads the teacher's, the classes synthetic_labels (else 2). */
static void shape_from_config(const hrkd_config *cfg, hrkd_selftest_shape *sh)
{
    const hrkd_config_section *data = hrkd_config_get_section(cfg, "data");
    const hrkd_config_section *st = hrkd_config_get_section(cfg, "student");
    const hrkd_config_section *te = hrkd_config_get_section(cfg, "teacher");
    const int synthetic = strcmp(hrkd_cfg_str(data, "format"), "synthetic") == 0;
    const char *list = hrkd_cfg_str(data, "domains");
    sh->D = 0;
    if (synthetic) sh->D = (int)hrkd_cfg_int(data, "synthetic_domains");
    else if (list[0]) {
        sh->D = 1;
        for (const char *c = list; *c; c++) sh->D += *c == ',';
    }
    sh->M = (int)hrkd_cfg_int(st, "layers");
    sh->N = (int)hrkd_cfg_int(te, "layers");
    sh->F = hrkd_cfg_int(te, "hidden");
    sh->heads = (int)hrkd_cfg_int(st, "heads");
    sh->classes = synthetic ? (int)hrkd_cfg_int(data, "synthetic_labels") : 2;
    sh->B = 2;
    sh->T = 4;
    sh->seed = 7;
}

/* --domains D ... at argv[*i]: 1 taken (its value too), 0 not a shape flag, -1 bad value */
static int shape_flag(int argc, char **argv, int *i, hrkd_selftest_shape *sh, int *set_D)
{
    static const char *const flags[] = {"--domains", "--layers", "--teacher-layers", "--dim",
                                        "--heads", "--classes", "--seed"};
    int which = -1;
    for (int k = 0; k < 7; k++)
        if (strcmp(argv[*i], flags[k]) == 0) which = k;
    if (which < 0) return 0;
    if (*i + 1 >= argc) return -1;
    char *end;
    long long v = strtoll(argv[*i + 1], &end, 10);
    if (*end || end == argv[*i + 1] || v < 1 || v > (which == 3 ? 65536 : which == 6 ? 1LL << 40 : 64)) return -1;
    switch (which) {
    case 0: sh->D = (int)v; if (set_D) *set_D = 1; break;
    case 1: sh->M = (int)v; break;
    case 2: sh->N = (int)v; break;
    case 3: sh->F = v; break;
    case 4: sh->heads = (int)v; break;
    case 5: sh->classes = (int)v; break;
    default: sh->seed = (uint64_t)v; break;
    }
    *i += 1;
    return 1;
}

static const struct { const char *section, *key; } plugin_keys[] = {
    {"teacher", "strategy"}, {"distill", "loss"}, {"relational", "reference"},
    {"relational", "aggregate"}, {"relational", "graph"},
};

/* Self-tests every plugin the configuration uses; the first failure is printed as
 * "FILE:LINE: [section] key: plugin 'x' (...): what". Returns an exit code. */
static int check_plugins(hrkd_config *cfg, hrkd_registry *reg, const hrkd_selftest_shape *sh)
{
    hrkd_backend *be = NULL;
    hrkd_error err = {0};
    if (hrkd_backend_load("cpu", 1, &be, &err) != HRKD_STATUS_OK) {
        fprintf(stderr, "hrkd: plugin self-tests need the cpu backend: %s\n", err.msg);
        return EXIT_RUNTIME;
    }
    int rc = EXIT_OK;
    const hrkd_plugin_descriptor *done[8];
    int n_done = 0;
    for (size_t k = 0; k < sizeof plugin_keys / sizeof plugin_keys[0] && rc == EXIT_OK; k++) {
        const char *sec = plugin_keys[k].section, *key = plugin_keys[k].key;
        if (!hrkd_registry_key_in_use(cfg, sec, key)) continue;
        const hrkd_config_section *ps = NULL;
        const hrkd_plugin_descriptor *d = hrkd_registry_for_key(reg, cfg, sec, key, &ps, &err);
        int seen = 0;
        for (int j = 0; j < n_done; j++) seen |= done[j] == d;
        if (!d || seen) continue;
        done[n_done++] = d;
        if (hrkd_plugin_selftest(d, ps, sh, be, NULL, &err) != HRKD_STATUS_OK) {
            int line = 0;
            const char *file = hrkd_cfg_origin(hrkd_config_get_section(cfg, sec), key, &line);
            if (line > 0) fprintf(stderr, "%s:%d: [%s] %s: %s\n", file, line, sec, key, err.msg);
            else fprintf(stderr, "%s: [%s] %s: %s\n", file, sec, key, err.msg);
            rc = EXIT_USAGE;
        }
    }
    hrkd_backend_unload(be);
    return rc;
}

static int cmd_plugins_test(int argc, char **argv, int first)
{
    const char *name = NULL;
    hrkd_config_errors errs = {0};
    hrkd_config *defaults = hrkd_config_load_string("", "plugins test", &errs);
    if (!defaults) {
        print_errors(&errs);
        hrkd_config_errors_free(&errs);
        return EXIT_RUNTIME;
    }
    hrkd_selftest_shape sh;
    shape_from_config(defaults, &sh);
    for (int i = first; i < argc; i++) {
        int r = shape_flag(argc, argv, &i, &sh, NULL);
        if (r < 0) {
            hrkd_config_free(defaults);
            return usage_error("plugins test: %s needs a whole number in range", argv[i]);
        }
        if (r) continue;
        if (argv[i][0] == '-' || name) {
            hrkd_config_free(defaults);
            return usage_error("plugins test: unexpected '%s'", argv[i]);
        }
        name = argv[i];
    }
    if (!name) {
        hrkd_config_free(defaults);
        return usage_error("plugins test: a plugin name or path is required%s", "");
    }
    hrkd_error err = {0};
    hrkd_registry *reg = hrkd_registry_create(NULL, &err);
    hrkd_backend *be = NULL;
    int rc = EXIT_OK;
    const hrkd_plugin_descriptor *d = reg ? hrkd_registry_get(reg, name, 0, &err) : NULL;
    const hrkd_config_section *cs = NULL;
    if (!d) {
        fprintf(stderr, "hrkd: %s\n", err.msg);
        rc = reg ? EXIT_USAGE : EXIT_RUNTIME;
    } else {
        char sec[128];
        hrkd_plugin_section_name(d, sec, sizeof sec);
        cs = hrkd_config_bind_plugin(defaults, sec, d, &errs);
        if (!cs) {
            print_errors(&errs);
            rc = EXIT_USAGE;
        } else if (hrkd_backend_load("cpu", 1, &be, &err) != HRKD_STATUS_OK) {
            fprintf(stderr, "hrkd: %s\n", err.msg);
            rc = EXIT_RUNTIME;
        }
    }
    if (rc == EXIT_OK) {
        printf("plugin '%s' (%s) from %s\n", d->name, hrkd_plugin_kind_name(d->kind),
               hrkd_registry_path_of(reg, d));
        if (hrkd_plugin_selftest(d, cs, &sh, be, stdout, &err) != HRKD_STATUS_OK) {
            fflush(stdout);
            fprintf(stderr, "hrkd: %s\n", err.msg);
            rc = EXIT_USAGE;
        } else {
            printf("plugin '%s': all checks passed\n", d->name);
        }
    }
    if (be) hrkd_backend_unload(be);
    hrkd_config_errors_free(&errs);
    hrkd_registry_destroy(reg);
    hrkd_config_free(defaults);
    return rc;
}

/* ---- inputs --------------------------------------------------------------------------- */

static int input_kind(const char *path) /* 0 missing, 1 file, 2 folder, 3 other */
{
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    return S_ISREG(st.st_mode) ? 1 : S_ISDIR(st.st_mode) ? 2 : 3;
}

/* One input the INI names: "FILE:LINE: [sec] key: warning: PATH does not exist (...)". */
static int input_problem(const hrkd_config_section *s, const char *sec, const char *key, const char *what,
                         int as_error)
{
    int line = 0;
    const char *file = hrkd_cfg_origin(s, key, &line);
    fprintf(stderr, "%s:%d: [%s] %s: %s%s; docs/data.md\n", file ? file : "?", line, sec, key,
            as_error ? "" : "warning: ", what);
    return 1;
}

/* The inputs the run will read: a missing or wrong-typed one is a warning (it may not exist
 * yet: a teacher another INI writes, data not downloaded here), an error with --inputs. */
static int check_inputs(const hrkd_config *cfg, int as_error)
{
    const hrkd_config_section *data = hrkd_config_get_section(cfg, "data");
    const char *fmt = hrkd_cfg_str(data, "format");
    char what[PATH_MAX + 200];
    int n = 0;
    if (strcmp(fmt, "synthetic") != 0) {
        const char *path = hrkd_cfg_str(data, "path");
        int k = input_kind(path), table = !strcmp(fmt, "tsv") || !strcmp(fmt, "jsonl");
        if (k != 2 && !(table && k == 1)) {
            snprintf(what, sizeof what, "%s %s (format %s reads %s)", path,
                     k == 0 ? "does not exist" : k == 1 ? "is a file" : "is not a file or folder", fmt,
                     table ? "a folder with train / dev / test files, or one file" : "a folder");
            n += input_problem(data, "data", "path", what, as_error);
        }
        const char *vocab = hrkd_cfg_str(data, "vocab");
        if (vocab[0] && input_kind(vocab) != 1) {
            snprintf(what, sizeof what, "%s %s", vocab, input_kind(vocab) ? "is not a regular file" : "does not exist");
            n += input_problem(data, "data", "vocab", what, as_error);
        } else if (!vocab[0]) { /* then a checkpoint folder's vocab.txt */
            char v[PATH_MAX];
            if (!hrkd_data_checkpoint_vocab(cfg, v, sizeof v))
                n += input_problem(data, "data", "vocab", "no vocabulary: set [data] vocab to a vocab.txt, or "
                                   "[teacher] / [student] checkpoint to a Hugging Face folder that has one", as_error);
        }
    }
    const char *secs[2] = {"teacher", "student"};
    for (int i = 0; i < 2; i++) {
        const hrkd_config_section *s = hrkd_config_get_section(cfg, secs[i]);
        const char *ck = hrkd_cfg_str(s, "checkpoint");
        if (!ck[0]) continue;
        int k = input_kind(ck);
        char cj[PATH_MAX];
        snprintf(cj, sizeof cj, "%s/config.json", ck);
        if (k == 1 || (k == 2 && input_kind(cj) == 1)) continue;
        snprintf(what, sizeof what, "%s %s", ck, k == 0 ? "does not exist (a run file, or a Hugging Face folder)" :
                 k == 2 ? "is a folder without config.json" : "is not a file or folder");
        n += input_problem(s, secs[i], "checkpoint", what, as_error);
    }
    return n;
}

static int cmd_check(int argc, char **argv)
{
    int print = 0, doc = 0, domains = 0, inputs = 0;
    const char *file = NULL;
    hrkd_selftest_shape flags = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--print") == 0) print = 1;
        else if (strcmp(argv[i], "--inputs") == 0) inputs = 1;
        else if (strcmp(argv[i], "--doc") == 0) doc = 1;
        else if (strcmp(argv[i], "--domains") == 0) {
            if (shape_flag(argc, argv, &i, &flags, &domains) < 0)
                return usage_error("check: --domains needs a whole number 1..64%s", "");
        }
        else if (argv[i][0] == '-') return usage_error("check: unknown option '%s'", argv[i]);
        else if (file) return usage_error("check: one INI file expected, got also '%s'", argv[i]);
        else file = argv[i];
    }
    if (doc) {
        if (file || print) return usage_error("check --doc takes no file%s", "");
        char *md = hrkd_config_doc_markdown();
        fputs(md, stdout);
        free(md);
        return EXIT_OK;
    }
    if (!file) return usage_error("check: an INI file is required%s", "");
    hrkd_config *cfg = NULL;
    hrkd_registry *reg = NULL;
    int rc = load_checked(file, &cfg, &reg);
    if (rc) return rc;
    /* every plugin the run would use, self-tested on the INI's shapes */
    hrkd_selftest_shape sh;
    shape_from_config(cfg, &sh);
    if (domains) sh.D = flags.D;
    if (sh.D < 1) sh.D = 4; /* the dataset's domains are not read here: --domains */
    if (check_inputs(cfg, inputs) && inputs) rc = EXIT_USAGE;
    if (rc || (rc = check_plugins(cfg, reg, &sh)) != EXIT_OK) {
        hrkd_registry_destroy(reg);
        hrkd_config_free(cfg);
        return rc;
    }
    if (print) {
        char *ini = hrkd_config_effective_ini(cfg);
        fputs(ini, stdout);
        free(ini);
    } else {
        printf("%s: ok\n", file);
    }
    hrkd_registry_destroy(reg);
    hrkd_config_free(cfg);
    return EXIT_OK;
}

static int cmp_plugins(const void *a, const void *b)
{
    const hrkd_plugin_entry_info *x = *(const hrkd_plugin_entry_info *const *)a;
    const hrkd_plugin_entry_info *y = *(const hrkd_plugin_entry_info *const *)b;
    if (x->desc->kind != y->desc->kind) return x->desc->kind < y->desc->kind ? -1 : 1;
    return strcmp(x->desc->name, y->desc->name);
}

static void describe(const hrkd_registry *reg, const hrkd_plugin_descriptor *d)
{
    char section[128];
    hrkd_plugin_section_name(d, section, sizeof section);
    printf("name:     %s\n", d->name);
    printf("kind:     %s\n", hrkd_plugin_kind_name(d->kind));
    printf("version:  %s\n", d->version ? d->version : "");
    printf("abi:      %u.%u\n", (unsigned)d->abi_major, (unsigned)d->abi_minor);
    printf("file:     %s\n", hrkd_registry_path_of(reg, d));
    printf("summary:  %s\n", d->summary ? d->summary : "");
    printf("section:  [%s]\n", section);
    if (d->n_params <= 0) {
        printf("parameters: none\n");
        return;
    }
    printf("parameters:\n");
    printf("  %-20s %-7s %-12s %-18s %s\n", "KEY", "TYPE", "DEFAULT", "RANGE", "DOC");
    static const char *types[] = {"int", "float", "bool", "string", "enum", "list", "path"};
    for (int i = 0; i < d->n_params; i++) {
        const hrkd_plugin_param *p = &d->params[i];
        char range[128] = "";
        if (p->type == HRKD_CFG_ENUM) snprintf(range, sizeof range, "%s", p->choices);
        else if ((p->type == HRKD_CFG_INT || p->type == HRKD_CFG_FLOAT) && !(p->min > p->max))
            snprintf(range, sizeof range, "[%g, %g]", p->min, p->max);
        printf("  %-20s %-7s %-12s %-18s %s\n", p->name, types[p->type],
               p->default_value ? (p->default_value[0] ? p->default_value : "(empty)") : "(required)",
               range, p->doc ? p->doc : "");
    }
}

static int cmd_plugins(int argc, char **argv)
{
    int paths = 0;
    const char *describe_name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--paths") == 0) paths = 1;
        else if (strcmp(argv[i], "test") == 0 && i == 1) return cmd_plugins_test(argc, argv, 2);
        else if (strcmp(argv[i], "describe") == 0) {
            if (i + 1 >= argc) return usage_error("plugins describe: a plugin name or path is required%s", "");
            if (i + 2 < argc) return usage_error("plugins describe: unexpected '%s'", argv[i + 2]);
            describe_name = argv[++i];
        } else {
            return usage_error("plugins: unexpected argument '%s'", argv[i]);
        }
    }
    hrkd_error err = {0};
    hrkd_registry *reg = hrkd_registry_create(NULL, &err);
    if (!reg) {
        fprintf(stderr, "hrkd: %s\n", err.msg);
        return EXIT_RUNTIME;
    }
    int rc = EXIT_OK;
    if (describe_name) {
        const hrkd_plugin_descriptor *d = hrkd_registry_get(reg, describe_name, 0, &err);
        if (d) describe(reg, d);
        else {
            fprintf(stderr, "hrkd: %s\n", err.msg);
            rc = EXIT_USAGE;
        }
    } else {
        int n = hrkd_registry_count(reg);
        const hrkd_plugin_entry_info **list = calloc((size_t)n + 1, sizeof *list);
        for (int i = 0; i < n; i++) list[i] = hrkd_registry_at(reg, i);
        if (n > 1) qsort(list, (size_t)n, sizeof *list, cmp_plugins);
        printf("%-21s %-18s %-8s %s\n", "KIND", "NAME", "VERSION", "SUMMARY");
        for (int i = 0; i < n; i++) {
            const hrkd_plugin_descriptor *d = list[i]->desc;
            printf("%-21s %-18s %-8s %s", hrkd_plugin_kind_name(d->kind), d->name,
                   d->version ? d->version : "", d->summary ? d->summary : "");
            if (paths) printf("  [%s]", list[i]->path);
            printf("\n");
        }
        if (n == 0) fprintf(stderr, "hrkd: no plugins found (searched %s)\n", hrkd_registry_search_path(reg));
        free(list);
    }
    hrkd_registry_destroy(reg);
    return rc;
}

static int cmd_run(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 1; i < argc && !file; i++)
        if (argv[i][0] != '-') file = argv[i];
    if (!file) return usage_error("run: an INI file is required%s", "");
    hrkd_config *cfg = NULL;
    hrkd_registry *reg = NULL;
    int rc = load_checked(file, &cfg, &reg);
    if (rc) return rc;
    hrkd_registry_destroy(reg);
    hrkd_config_free(cfg);
    return hrkd_cmd_run(argc, argv);
}

static int cmd_version(void)
{
    printf("hrkd %s\n", HRKD_VERSION_STRING);
    printf("plugin ABI %u.%u\n", (unsigned)HRKD_PLUGIN_ABI_MAJOR, (unsigned)HRKD_PLUGIN_ABI_MINOR);
    char lib[4096];
    if (hrkd_plugin_lib_dir(lib, sizeof lib) == 0) {
        printf("library: %s/libhrkd.so\n", lib);
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/hrkd/backends", lib);
        printf("backends:");
        int found = 0;
        DIR *dh = opendir(dir);
        if (dh) {
            struct dirent *de;
            while ((de = readdir(dh)) != NULL) {
                const char *n = de->d_name;
                size_t len = strlen(n);
                if (strncmp(n, "hrkd_backend_", 13) != 0 || len < 17 || strcmp(n + len - 3, ".so") != 0)
                    continue;
                printf(" %.*s", (int)(len - 16), n + 13);
                found++;
            }
            closedir(dh);
        }
        printf("%s (in %s)\n", found ? "" : " none", dir);
        printf("plugins: %s/hrkd/plugins\n", lib);
        char comms[256], cdir[4200];
        hrkd_comm_list(comms, sizeof comms, cdir, sizeof cdir);
        printf("comm: %s (in %s; docs/scale-out.md)\n", comms[0] ? comms : "none", cdir);
    }
    printf("commands: check, plugins, run, bench, data stats, inspect, compare, eval, case\n");
    return EXIT_OK;
}

/* `hrkd COMMAND --help`: the command's usage on stdout, exit 0. */
static const struct { const char *cmd, *text; } command_help[] = {
    {"run",
     "usage: hrkd run FILE.ini [--resume [--extend] | --force]\n"
     "  Train as the INI says: the teacher (mode = teacher, or first in a distill INI without\n"
     "  [teacher] checkpoint), then the student. Run files: [output] file or <dir>/<name>.h5.\n"
     "  --resume   continue each phase from the checkpoint group of its run file; the INI's\n"
     "             configuration must be the one the run was started with\n"
     "  --extend   with --resume: allow a new length ([run] epochs / max_steps, [teacher] epochs)\n"
     "  --force    replace run files that already exist (never done without it)\n"
     "  Ctrl-C / SIGTERM stop at the end of the step with a checkpoint (exit 130 / 143).\n"
     "  docs/cli.md: exit codes, the resume rules, the run-file lock.\n"},
    {"check",
     "usage: hrkd check [--print] [--inputs] [--domains D] FILE.ini\n"
     "       hrkd check --doc\n"
     "  Validate the INI (every problem, FILE:LINE: [section] key: message) and self-test every\n"
     "  plugin it uses; train nothing. Inputs that do not exist or have the wrong type (data,\n"
     "  vocab, checkpoints) are warnings, errors with --inputs. --print writes the effective\n"
     "  configuration; --domains D the domain count for the self-test when the INI does not fix\n"
     "  it; --doc the INI reference.\n"},
    {"plugins",
     "usage: hrkd plugins [--paths]\n"
     "       hrkd plugins describe NAME|PATH\n"
     "       hrkd plugins test NAME|PATH [--domains D --layers M --teacher-layers N --dim F\n"
     "                         --heads H --classes C --seed S]\n"
     "  List the plugins found, describe one (INI section and parameters), or self-test one on\n"
     "  random inputs (shapes, finite values, ratios, undeclared keys, gradients).\n"},
    {"data",
     "usage: hrkd data stats FILE.ini\n"
     "  Examples, labels and token lengths per domain and split of the INI's [data].\n"},
    {"inspect",
     "usage: hrkd inspect FILE.h5\n"
     "  Summary of a run file: metrics, latest ratios, checkpoints, configuration.\n"},
    {"compare",
     "usage: hrkd compare A.h5 B.h5\n"
     "       hrkd compare A_seed1.h5 A_seed2.h5 ... -- B_seed1.h5 B_seed2.h5 ...\n"
     "  Per-domain test accuracy of two runs (or two groups of seeds), the difference and\n"
     "  Welch's p-value.\n"},
    {"eval",
     "usage: hrkd eval FILE.ini RUN.h5 [--split dev|test|train] [--group NAME]\n"
     "  Evaluate a run file's checkpoints on a split (default test): each domain's best\n"
     "  (best_d<d>), or one --group for all domains.\n"},
    {"case",
     "usage: hrkd case FILE.ini RUN.h5 [--group NAME] [--teacher PATH] [--cases N]\n"
     "                 [--split test|dev|train] [--pattern L,L,...] [--seed S]\n"
     "                 [--examples CASES.tsv | --step N[,N...] | --rows R,R,...] [--width W]\n"
     "                 [--out CASE.h5 [--force]]\n"
     "  Case study of an HRKD student: cases of one example per domain through the step's forward\n"
     "  in evaluation mode; prints labels, predictions, domain-relational and hierarchical ratios.\n"
     "  Examples: sampled from --split with one label per domain (--pattern pos,neg,...), from\n"
     "  CASES.tsv (domain, label, text[, text_b]), from logged training steps (--step) or by row\n"
     "  (--rows, one per domain, of --split). docs/cli.md.\n"},
};

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) return cmd_version();
    if (wants_help(sub_argc, sub_argv))
        for (size_t i = 0; i < sizeof command_help / sizeof *command_help; i++)
            if (!strcmp(cmd, command_help[i].cmd)) {
                fputs(command_help[i].text, stdout);
                return EXIT_OK;
            }
    if (!strcmp(cmd, "check")) return cmd_check(sub_argc, sub_argv);
    if (!strcmp(cmd, "plugins")) return cmd_plugins(sub_argc, sub_argv);
    if (!strcmp(cmd, "run")) return cmd_run(sub_argc, sub_argv);
    if (!strcmp(cmd, "bench")) return hrkd_cmd_bench(sub_argc, sub_argv);
    if (!strcmp(cmd, "inspect")) return hrkd_cmd_inspect(sub_argc, sub_argv);
    if (!strcmp(cmd, "compare")) return hrkd_cmd_compare(sub_argc, sub_argv);
    if (!strcmp(cmd, "eval")) return hrkd_cmd_eval(sub_argc, sub_argv);
    if (!strcmp(cmd, "case")) return hrkd_cmd_case(sub_argc, sub_argv);
    if (!strcmp(cmd, "data")) {
        if (argc < 3 || strcmp(argv[2], "stats") != 0)
            return usage_error("data: expected 'data stats FILE.ini'%s", "");
        return hrkd_cmd_data_stats(argc - 2, argv + 2);
    }
    return usage_error("unknown command '%s'", cmd);
}
