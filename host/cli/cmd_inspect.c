/* host/cli/cmd_inspect.c — `hrkd inspect FILE.h5 [--config]`: a run file's summary
 * (store/inspect.c). */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

const char hrkd_cmd_inspect_help[] =
    "usage: hrkd inspect FILE.h5\n"
    "  Summary of a run file: metrics, latest ratios, checkpoints, configuration.\n";

int hrkd_cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    int with_config = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config")) with_config = 1;
        else if (argv[i][0] != '-' && !path) path = argv[i];
        else path = NULL, i = argc;
    }
    if (!path) {
        fprintf(stderr, "usage: hrkd inspect FILE.h5 [--config]\n");
        return 2;
    }
    return hrkd_inspect(path, with_config);
}
