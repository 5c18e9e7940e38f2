/* host/cli/main.c — the `hrkd` program: `--help`, `--version`, and the table of commands. Each
 * command is a file of its own, host/cli/cmd_<name>.c (cli/commands.h): it reads its arguments
 * and calls its room's library function in libhrkd.
 *
 * Exit codes (docs/cli.md): 0 ok, 1 runtime failure, 2 usage error or invalid
 * configuration / input, 3 not supported or not built. Errors go to stderr.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "comm/comm.h"
#include "hrkd/hrkd.h"

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
    "  prune FILE.h5...            drop finished runs' resume state (/checkpoint) to save disk\n"
    "  --help, --version           (COMMAND --help: that command's usage)\n"
    "\n"
    "plugins are searched in <lib>/hrkd/plugins, then $HRKD_PLUGIN_PATH (':'-separated),\n"
    "then [run] plugin_path; an INI may also name a plugin by the path of its .so.\n"
    "HRKD_LOG=error|warn|info|debug sets the log level.\n"
    "\n"
    "exit status: 0 ok, 1 runtime failure, 2 usage error or invalid configuration/input,\n"
    "3 not supported or not built in this version.\n";

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
    printf("commands: check, plugins, run, bench, data stats, inspect, compare, eval, case, prune\n");
    return EXIT_OK;
}

/* The commands: name, entry point, and the text of `hrkd NAME --help` (stdout, exit 0; NULL:
 * the command answers --help itself). A new command is a row here, a file cmd_<name>.c, its
 * line in commands.h and in usage_text. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"run", hrkd_cmd_run, hrkd_cmd_run_help},
    {"check", hrkd_cmd_check, hrkd_cmd_check_help},
    {"plugins", hrkd_cmd_plugins, hrkd_cmd_plugins_help},
    {"bench", hrkd_cmd_bench, NULL},
    {"data", hrkd_cmd_data, hrkd_cmd_data_help},
    {"inspect", hrkd_cmd_inspect, hrkd_cmd_inspect_help},
    {"compare", hrkd_cmd_compare, hrkd_cmd_compare_help},
    {"eval", hrkd_cmd_eval, hrkd_cmd_eval_help},
    {"case", hrkd_cmd_case, hrkd_cmd_case_help},
    {"prune", hrkd_cmd_prune, hrkd_cmd_prune_help},
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
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(cmd, commands[i].name) != 0) continue;
        if (commands[i].help && wants_help(sub_argc, sub_argv)) {
            fputs(commands[i].help, stdout);
            return EXIT_OK;
        }
        return commands[i].run(sub_argc, sub_argv);
    }
    return hrkd_cli_usage_error("unknown command '%s'", cmd);
}
