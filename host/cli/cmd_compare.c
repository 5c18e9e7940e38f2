/* host/cli/cmd_compare.c — `hrkd compare A.h5 B.h5` or `hrkd compare A1.h5 A2.h5 ... -- B1.h5
 * B2.h5 ...`: the two groups read from the arguments, compared by train/compare.c. */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "train/compare.h"

const char hrkd_cmd_compare_help[] =
    "usage: hrkd compare A.h5 B.h5\n"
    "       hrkd compare A_seed1.h5 A_seed2.h5 ... -- B_seed1.h5 B_seed2.h5 ...\n"
    "  Per-domain test accuracy of two runs (or two groups of seeds), the difference and\n"
    "  Welch's p-value.\n";

int hrkd_cmd_compare(int argc, char **argv)
{
    const char *ga[HRKD_COMPARE_MAX_RUNS], *gb[HRKD_COMPARE_MAX_RUNS];
    int na = 0, nb = 0, side = 0, sep = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) { side = 1; sep = 1; continue; }
        if (side == 0 && na < HRKD_COMPARE_MAX_RUNS) ga[na++] = argv[i];
        else if (side == 1 && nb < HRKD_COMPARE_MAX_RUNS) gb[nb++] = argv[i];
    }
    if (!sep && na == 2) { gb[nb++] = ga[1]; na = 1; }
    if (na < 1 || nb < 1) {
        fprintf(stderr, "usage: hrkd compare A.h5 B.h5\n"
                        "       hrkd compare A_seed1.h5 A_seed2.h5 ... -- B_seed1.h5 B_seed2.h5 ...\n");
        return 2;
    }
    return hrkd_compare(ga, na, gb, nb);
}
