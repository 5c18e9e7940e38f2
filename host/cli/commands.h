/* host/cli/commands.h — the commands of the hrkd program. One file per command,
 * host/cli/cmd_<name>.c, defines its entry point hrkd_cmd_<name> and its help text
 * hrkd_cmd_<name>_help; main.c lists them in one table. A command parses its arguments, says
 * what is wrong with them, and calls its room's library function (the library prints its own
 * results and messages). Entry points take the arguments from the command's name on (argv[0] =
 * "run", ...) and return the process exit code (docs/cli.md). cli.c holds what several
 * commands share. */
#ifndef HRKD_CLI_COMMANDS_H
#define HRKD_CLI_COMMANDS_H

#include "config/cfg.h"
#include "plugin/registry.h"
#include "plugin/selftest.h"

/* Exit codes (docs/cli.md): 0 ok, 1 runtime failure, 2 usage error or invalid configuration /
 * input, 3 not supported or not built. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_UNSUPPORTED = 3 };

int hrkd_cmd_run(int argc, char **argv);     /* cmd_run.c: train as the INI says (train/run.c) */
int hrkd_cmd_check(int argc, char **argv);   /* cmd_check.c: validate an INI, self-test its plugins */
int hrkd_cmd_plugins(int argc, char **argv); /* cmd_plugins.c: list, describe, self-test plugins */
int hrkd_cmd_bench(int argc, char **argv);   /* cmd_bench.c: engine benchmark (model/bench.c) */
int hrkd_cmd_data(int argc, char **argv);    /* cmd_data.c: `data stats` (text/stats.c) */
int hrkd_cmd_inspect(int argc, char **argv); /* cmd_inspect.c: a run file's summary (store/inspect.c) */
int hrkd_cmd_compare(int argc, char **argv); /* cmd_compare.c: two runs or groups (train/compare.c) */
int hrkd_cmd_eval(int argc, char **argv);    /* cmd_eval.c: a run file's checkpoints (train/eval_run.c) */
int hrkd_cmd_case(int argc, char **argv);    /* cmd_case.c: a student's ratios on chosen examples (train/case_run.c) */
int hrkd_cmd_prune(int argc, char **argv);   /* cmd_prune.c: drop finished runs' resume state (store/prune.c) */

/* `hrkd COMMAND --help` (stdout, exit 0); a command without one (bench) answers --help itself. */
extern const char hrkd_cmd_run_help[], hrkd_cmd_check_help[], hrkd_cmd_plugins_help[],
    hrkd_cmd_data_help[], hrkd_cmd_inspect_help[], hrkd_cmd_compare_help[], hrkd_cmd_eval_help[],
    hrkd_cmd_case_help[], hrkd_cmd_prune_help[];

/* ---- cli.c: shared by the commands ---- */

/* "hrkd: " fmt (with arg) " (see hrkd --help)" on stderr; returns EXIT_USAGE. */
int hrkd_cli_usage_error(const char *fmt, const char *arg);
/* The configuration's errors, one a line, on stderr. */
void hrkd_cli_print_errors(const hrkd_config_errors *e);
/* Loads, validates and resolves an INI against the plugins. Returns an exit code; on 0, *cfg
 * and *reg are the caller's to free. */
int hrkd_cli_load_checked(const char *path, hrkd_config **cfg_out, hrkd_registry **reg_out);
/* The self-test's shapes from a configuration: D from [data] (synthetic_domains, or the
 * length of the domains list; 0 when neither says), M / N the [student] / [teacher] layers, F
 * and the heads the teacher's, the classes synthetic_labels (else 2). */
void hrkd_cli_shape_from_config(const hrkd_config *cfg, hrkd_selftest_shape *sh);
/* --domains D ... at argv[*i]: 1 taken (its value too), 0 not a shape flag, -1 bad value */
int hrkd_cli_shape_flag(int argc, char **argv, int *i, hrkd_selftest_shape *sh, int *set_D);

#endif
