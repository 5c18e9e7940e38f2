/* host/core/commands.h — subcommand entry points that live in libhrkd, dispatched by the
 * hrkd program (host/cli/). Each takes the arguments after its name (argv[0] = the
 * subcommand) and returns the process exit code (see README "Exit codes"). */
#ifndef HRKD_CORE_COMMANDS_H
#define HRKD_CORE_COMMANDS_H

int hrkd_cmd_bench(int argc, char **argv);      /* host/model/bench.c: engine benchmark, JSON */
int hrkd_cmd_data_stats(int argc, char **argv); /* host/text/: `hrkd data stats FILE.ini` */
int hrkd_cmd_inspect(int argc, char **argv);    /* host/store/: `hrkd inspect FILE.h5` */
int hrkd_cmd_run(int argc, char **argv);        /* host/train/run.c: `hrkd run FILE.ini [--resume]` */
int hrkd_cmd_compare(int argc, char **argv);    /* host/train/compare.c: `hrkd compare A.h5 B.h5` */
int hrkd_cmd_eval(int argc, char **argv);       /* host/train/eval_cmd.c: `hrkd eval FILE.ini RUN.h5` */
int hrkd_cmd_case(int argc, char **argv);       /* host/train/case_cmd.c: `hrkd case FILE.ini RUN.h5` */

/* The exit code of a command that failed with st (docs/cli.md): 2 for bad input (INVALID: a
 * bad INI, data, checkpoint or run file; NOT_FOUND: a named thing that is not there), 3 for
 * UNSUPPORTED, 1 for the rest (IO, NOMEM, INTERNAL: the run failed). */
int hrkd_exit_code(int st);

#endif
