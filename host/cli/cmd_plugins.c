/* host/cli/cmd_plugins.c — `hrkd plugins`: list the plugins the registry finds (plugin/),
 * describe one (its INI section and parameters), or self-test one (plugin/selftest.c) on the
 * shapes of the flags. */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char hrkd_cmd_plugins_help[] =
    "usage: hrkd plugins [--paths]\n"
    "       hrkd plugins describe NAME|PATH\n"
    "       hrkd plugins test NAME|PATH [--domains D --layers M --teacher-layers N --dim F\n"
    "                         --heads H --classes C --seed S]\n"
    "  List the plugins found, describe one (INI section and parameters), or self-test one on\n"
    "  random inputs (shapes, finite values, ratios, undeclared keys, gradients).\n";

static int cmd_plugins_test(int argc, char **argv, int first)
{
    const char *name = NULL;
    hrkd_config_errors errs = {0};
    hrkd_config *defaults = hrkd_config_load_string("", "plugins test", &errs);
    if (!defaults) {
        hrkd_cli_print_errors(&errs);
        hrkd_config_errors_free(&errs);
        return EXIT_RUNTIME;
    }
    hrkd_selftest_shape sh;
    hrkd_cli_shape_from_config(defaults, &sh);
    for (int i = first; i < argc; i++) {
        int r = hrkd_cli_shape_flag(argc, argv, &i, &sh, NULL);
        if (r < 0) {
            hrkd_config_free(defaults);
            return hrkd_cli_usage_error("plugins test: %s needs a whole number in range", argv[i]);
        }
        if (r) continue;
        if (argv[i][0] == '-' || name) {
            hrkd_config_free(defaults);
            return hrkd_cli_usage_error("plugins test: unexpected '%s'", argv[i]);
        }
        name = argv[i];
    }
    if (!name) {
        hrkd_config_free(defaults);
        return hrkd_cli_usage_error("plugins test: a plugin name or path is required%s", "");
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
            hrkd_cli_print_errors(&errs);
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

int hrkd_cmd_plugins(int argc, char **argv)
{
    int paths = 0;
    const char *describe_name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--paths") == 0) paths = 1;
        else if (strcmp(argv[i], "test") == 0 && i == 1) return cmd_plugins_test(argc, argv, 2);
        else if (strcmp(argv[i], "describe") == 0) {
            if (i + 1 >= argc) return hrkd_cli_usage_error("plugins describe: a plugin name or path is required%s", "");
            if (i + 2 < argc) return hrkd_cli_usage_error("plugins describe: unexpected '%s'", argv[i + 2]);
            describe_name = argv[++i];
        } else {
            return hrkd_cli_usage_error("plugins: unexpected argument '%s'", argv[i]);
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
