/* host/cli/cmd_check.c — `hrkd check`: validate an INI (config/), warn about inputs that are not
 * there (or refuse them with --inputs), self-test every plugin it uses (plugin/selftest.c);
 * `check --doc`: the INI reference. */
#include "cli/commands.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "text/text.h"

const char hrkd_cmd_check_help[] =
    "usage: hrkd check [--print] [--inputs] [--domains D] FILE.ini\n"
    "       hrkd check --doc\n"
    "  Validate the INI (every problem, FILE:LINE: [section] key: message) and self-test every\n"
    "  plugin it uses; train nothing. Inputs that do not exist or have the wrong type (data,\n"
    "  vocab, checkpoints) are warnings, errors with --inputs. --print writes the effective\n"
    "  configuration; --domains D the domain count for the self-test when the INI does not fix\n"
    "  it; --doc the INI reference.\n";

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

int hrkd_cmd_check(int argc, char **argv)
{
    int print = 0, doc = 0, domains = 0, inputs = 0;
    const char *file = NULL;
    hrkd_selftest_shape flags = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--print") == 0) print = 1;
        else if (strcmp(argv[i], "--inputs") == 0) inputs = 1;
        else if (strcmp(argv[i], "--doc") == 0) doc = 1;
        else if (strcmp(argv[i], "--domains") == 0) {
            if (hrkd_cli_shape_flag(argc, argv, &i, &flags, &domains) < 0)
                return hrkd_cli_usage_error("check: --domains needs a whole number 1..64%s", "");
        }
        else if (argv[i][0] == '-') return hrkd_cli_usage_error("check: unknown option '%s'", argv[i]);
        else if (file) return hrkd_cli_usage_error("check: one INI file expected, got also '%s'", argv[i]);
        else file = argv[i];
    }
    if (doc) {
        if (file || print) return hrkd_cli_usage_error("check --doc takes no file%s", "");
        char *md = hrkd_config_doc_markdown();
        fputs(md, stdout);
        free(md);
        return EXIT_OK;
    }
    if (!file) return hrkd_cli_usage_error("check: an INI file is required%s", "");
    hrkd_config *cfg = NULL;
    hrkd_registry *reg = NULL;
    int rc = hrkd_cli_load_checked(file, &cfg, &reg);
    if (rc) return rc;
    /* every plugin the run would use, self-tested on the INI's shapes */
    hrkd_selftest_shape sh;
    hrkd_cli_shape_from_config(cfg, &sh);
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
