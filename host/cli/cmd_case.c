/* host/cli/cmd_case.c — `hrkd case FILE.ini RUN.h5 [OPTIONS]`: a trained HRKD student's ratios
 * on chosen examples, by train/case_run.c. */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/case.h"

const char hrkd_cmd_case_help[] =
    "usage: hrkd case FILE.ini RUN.h5 [--group NAME] [--teacher PATH] [--cases N]\n"
    "                 [--split test|dev|train] [--pattern L,L,...] [--seed S]\n"
    "                 [--examples CASES.tsv | --step N[,N...] | --rows R,R,...] [--width W]\n"
    "                 [--out CASE.h5 [--force]]\n"
    "  Case study of an HRKD student: cases of one example per domain through the step's forward\n"
    "  in evaluation mode; prints labels, predictions, domain-relational and hierarchical ratios.\n"
    "  Examples: sampled from --split with one label per domain (--pattern pos,neg,...), from\n"
    "  CASES.tsv (domain, label, text[, text_b]), from logged training steps (--step) or by row\n"
    "  (--rows, one per domain, of --split). docs/cli.md.\n";

static int parse_args(int argc, char **argv, hrkd_case_opts *a)
{
    *a = (hrkd_case_opts){.group = "best", .split = "test", .seed = 1, .cases = 1, .width = 70};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--force")) { a->force = 1; continue; }
        if (o[0] == '-' && o[1] == '-' && !v) return fprintf(stderr, "hrkd case: %s needs a value\n", o), -1;
        if (!strcmp(o, "--group")) a->group = v;
        else if (!strcmp(o, "--teacher")) a->teacher = v;
        else if (!strcmp(o, "--split")) a->split = v;
        else if (!strcmp(o, "--pattern")) a->pattern = v;
        else if (!strcmp(o, "--examples")) a->examples = v;
        else if (!strcmp(o, "--step")) a->steps = v;
        else if (!strcmp(o, "--rows")) a->rows = v;
        else if (!strcmp(o, "--out")) a->out = v;
        else if (!strcmp(o, "--seed")) a->seed = strtoull(v, NULL, 10);
        else if (!strcmp(o, "--cases")) a->cases = atoi(v);
        else if (!strcmp(o, "--width")) a->width = atoi(v);
        else if (o[0] == '-' && o[1] == '-') return fprintf(stderr, "hrkd case: unknown option %s\n", o), -1;
        else if (!a->ini) { a->ini = o; continue; }
        else if (!a->h5) { a->h5 = o; continue; }
        else return fprintf(stderr, "hrkd case: one INI and one run file, got also '%s'\n", o), -1;
        i++;
    }
    if (!a->ini || !a->h5) return -1;
    if (a->cases < 1 || a->cases > 10000) return fprintf(stderr, "hrkd case: --cases must be in [1, 10000]\n"), -1;
    if (a->width < 10) a->width = 10;
    if ((a->examples != NULL) + (a->steps != NULL) + (a->pattern != NULL) + (a->rows != NULL) > 1)
        return fprintf(stderr, "hrkd case: --examples, --step, --rows and --pattern choose the examples "
                               "in different ways: give one\n"), -1;
    return 0;
}

int hrkd_cmd_case(int argc, char **argv)
{
    hrkd_case_opts a;
    if (parse_args(argc, argv, &a) != 0) {
        fputs(hrkd_cmd_case_help, stderr);
        return EXIT_USAGE;
    }
    return hrkd_case_run(&a);
}
