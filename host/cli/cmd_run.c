/* host/cli/cmd_run.c — `hrkd run FILE.ini [--resume [--extend] | --force]`: the INI checked
 * against the plugins first, then the flags (and the test faults) read, then the trainer
 * (train/run.c). */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/run.h"

const char hrkd_cmd_run_help[] =
    "usage: hrkd run FILE.ini [--resume [--extend] | --force]\n"
    "  Train as the INI says: the teacher (mode = teacher, or first in a distill INI without\n"
    "  [teacher] checkpoint), then the student. Run files: [output] file or <dir>/<name>.h5.\n"
    "  --resume   continue each phase from the checkpoint group of its run file; the INI's\n"
    "             configuration must be the one the run was started with\n"
    "  --extend   with --resume: allow a new length ([run] epochs / max_steps, [teacher] epochs)\n"
    "  --force    replace run files that already exist (never done without it)\n"
    "  Ctrl-C / SIGTERM stop at the end of the step with a checkpoint (exit 130 / 143).\n"
    "  docs/cli.md: exit codes, the resume rules, the run-file lock.\n";

static void usage_run(void)
{
    fprintf(stderr, "usage: hrkd run FILE.ini [--resume [--extend] | --force]\n"
                    "  --resume   continue each phase from the 'checkpoint' group of its run file\n"
                    "  --extend   with --resume: the INI may change the run's length (epochs, max_steps)\n"
                    "  --force    replace run files that already exist\n"
                    "testing (faults the tests inject after a step's checkpoint):\n"
                    "  --kill-after-step N   after step N of a training phase: SIGKILL this process\n"
                    "  --kill-rank R         only on data-parallel rank R\n"
                    "  --kill-as HOW         kill (SIGKILL), stop (SIGSTOP: a hung rank), drift\n"
                    "                        (nudge one parameter: a rank out of step) or term\n"
                    "                        (SIGTERM: a stop request after exactly that step)\n");
}

int hrkd_cmd_run(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 1; i < argc && !file; i++)
        if (argv[i][0] != '-') file = argv[i];
    if (!file) return hrkd_cli_usage_error("run: an INI file is required%s", "");
    hrkd_config *cfg = NULL;
    hrkd_registry *reg = NULL;
    int rc = hrkd_cli_load_checked(file, &cfg, &reg);
    if (rc) return rc;
    hrkd_registry_destroy(reg);
    hrkd_config_free(cfg);

    const char *ini = NULL;
    hrkd_train_flags f = {.kill_rank = -1};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--resume")) f.resume = 1;
        else if (!strcmp(argv[i], "--extend")) f.extend = 1;
        else if (!strcmp(argv[i], "--force")) f.force = 1;
        else if (!strcmp(argv[i], "--kill-after-step") && i + 1 < argc) f.kill_after = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--kill-rank") && i + 1 < argc) f.kill_rank = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kill-as") && i + 1 < argc) {
            const char *how = argv[++i];
            f.kill_how = !strcmp(how, "kill") ? 0 : !strcmp(how, "stop") ? 1 : !strcmp(how, "drift") ? 2
                       : !strcmp(how, "term") ? 3 : -1;
            if (f.kill_how < 0) { fprintf(stderr, "hrkd run: --kill-as %s: expected kill, stop, drift or term\n", how); return 2; }
        }
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage_run(); return 0; }
        else if (argv[i][0] == '-') { fprintf(stderr, "hrkd run: unknown option '%s'\n", argv[i]); usage_run(); return 2; }
        else if (!ini) ini = argv[i];
        else { usage_run(); return 2; }
    }
    if (!ini) { usage_run(); return 2; }
    if (f.force && f.resume) { fprintf(stderr, "hrkd run: --force and --resume exclude each other\n"); return 2; }
    if (f.extend && !f.resume) { fprintf(stderr, "hrkd run: --extend goes with --resume\n"); return 2; }
    return hrkd_train(ini, &f);
}
