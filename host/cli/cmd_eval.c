/* host/cli/cmd_eval.c — `hrkd eval FILE.ini RUN.h5 [--split dev|test|train] [--group NAME]`:
 * the run file's checkpoints evaluated by train/eval_run.c. */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "train/eval_run.h"
#include "train/loader.h"

const char hrkd_cmd_eval_help[] =
    "usage: hrkd eval FILE.ini RUN.h5 [--split dev|test|train] [--group NAME]\n"
    "  Evaluate a run file's checkpoints on a split (default test): each domain's best\n"
    "  (best_d<d>), or one --group for all domains.\n";

int hrkd_cmd_eval(int argc, char **argv)
{
    const char *ini = NULL, *h5 = NULL, *group = NULL, *split_name = "test";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--split") && i + 1 < argc) split_name = argv[++i];
        else if (!strcmp(argv[i], "--group") && i + 1 < argc) group = argv[++i];
        else if (!ini) ini = argv[i];
        else if (!h5) h5 = argv[i];
        else ini = NULL, i = argc;
    }
    int split = !strcmp(split_name, "dev") ? HRKD_SPLIT_DEV : !strcmp(split_name, "test") ? HRKD_SPLIT_TEST
              : !strcmp(split_name, "train") ? HRKD_SPLIT_TRAIN : -1;
    if (!ini || !h5 || split < 0) {
        fprintf(stderr, "usage: hrkd eval FILE.ini RUN.h5 [--split dev|test|train] [--group NAME]\n");
        return 2;
    }
    return hrkd_eval_run_file(ini, h5, split, group);
}
