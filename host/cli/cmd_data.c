/* host/cli/cmd_data.c — `hrkd data stats FILE.ini`: the statistics of the INI's dataset
 * (text/stats.c). */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "text/text.h"

const char hrkd_cmd_data_help[] =
    "usage: hrkd data stats FILE.ini\n"
    "  Examples, labels and token lengths per domain and split of the INI's [data].\n";

int hrkd_cmd_data(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "stats") != 0)
        return hrkd_cli_usage_error("data: expected 'data stats FILE.ini'%s", "");
    if (argc != 3) {
        fprintf(stderr, "usage: hrkd data stats FILE.ini\n");
        return 2;
    }
    return hrkd_data_stats(argv[2]);
}
