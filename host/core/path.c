/* host/core/path.c — input paths must be regular files or folders (see path.h). */
#include "core/path.h"

#include <sys/stat.h>

static const char *kind_name(mode_t m)
{
    if (S_ISREG(m)) return "a regular file";
    if (S_ISDIR(m)) return "a folder";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

hrkd_status hrkd_path_expect(const char *path, int want, hrkd_error *err)
{
    struct stat sb;
    if (!path || !*path || stat(path, &sb) != 0) return HRKD_STATUS_OK;
    if (want == HRKD_PATH_DIR ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode)) return HRKD_STATUS_OK;
    return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: is %s, expected %s", path, kind_name(sb.st_mode),
                          want == HRKD_PATH_DIR ? "a folder" : "a regular file");
}
