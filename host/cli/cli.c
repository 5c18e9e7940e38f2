/* host/cli/cli.c — what several commands of the hrkd program share: usage errors, loading a
 * checked INI (run, check), the self-test's shapes from an INI or flags (check, plugins test). */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hrkd_cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "hrkd: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see hrkd --help)\n");
    return EXIT_USAGE;
}

void hrkd_cli_print_errors(const hrkd_config_errors *e)
{
    for (int i = 0; i < e->n; i++) fprintf(stderr, "%s\n", e->msg[i]);
}

int hrkd_cli_load_checked(const char *path, hrkd_config **cfg_out, hrkd_registry **reg_out)
{
    hrkd_config_errors errs = {0};
    hrkd_config *cfg = hrkd_config_load(path, &errs);
    if (!cfg) {
        hrkd_cli_print_errors(&errs);
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
        hrkd_cli_print_errors(&errs);
        hrkd_config_errors_free(&errs);
        hrkd_registry_destroy(reg);
        hrkd_config_free(cfg);
        return EXIT_USAGE;
    }
    *cfg_out = cfg;
    *reg_out = reg;
    return EXIT_OK;
}

void hrkd_cli_shape_from_config(const hrkd_config *cfg, hrkd_selftest_shape *sh)
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

int hrkd_cli_shape_flag(int argc, char **argv, int *i, hrkd_selftest_shape *sh, int *set_D)
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
