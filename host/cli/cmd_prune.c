/* host/cli/cmd_prune.c — `hrkd prune FILE.h5... [--dry-run]`: drop the resume state of
 * finished run files (store/prune.c). */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

const char hrkd_cmd_prune_help[] =
    "usage: hrkd prune FILE.h5... [--dry-run]\n"
    "  Drop /checkpoint (parameters with their AdamW moments, kept to resume) from each finished\n"
    "  run file: the best checkpoints, logs and metrics stay, the file shrinks, and it can no\n"
    "  longer be resumed or extended. A run that has not finished is refused.\n"
    "  --dry-run: say what would be dropped, change nothing.\n";

int hrkd_cmd_prune(int argc, char **argv)
{
    const char *paths[argc > 1 ? argc : 1];
    int n = 0, dry = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dry-run")) dry = 1;
        else if (argv[i][0] == '-') return hrkd_cli_usage_error("prune: unknown option %s", argv[i]);
        else paths[n++] = argv[i];
    }
    if (n == 0) {
        fprintf(stderr, "usage: hrkd prune FILE.h5... [--dry-run]\n");
        return EXIT_USAGE;
    }
    return hrkd_prune(paths, n, dry);
}
