/* host/core/path.h — what an input path must be before hrkd opens it. A FIFO would block the
 * open (or the read) forever, a device such as /dev/zero never ends, and a folder reads as an
 * empty file: every reader of outside input (data, vocab, INI files, checkpoints, run files,
 * plugins) asks here first. */
#ifndef HRKD_CORE_PATH_H
#define HRKD_CORE_PATH_H

#include "hrkd/status.h"

enum { HRKD_PATH_FILE = 0, HRKD_PATH_DIR = 1 };

/* HRKD_STATUS_OK when path is a regular file (want = HRKD_PATH_FILE) or a folder
 * (HRKD_PATH_DIR), following symbolic links, and also when it does not exist or cannot be
 * stat'ed: the caller's own open then reports that in its words. Otherwise
 * HRKD_STATUS_INVALID with "PATH: is a FIFO (named pipe), expected a regular file" (a folder,
 * a character device, a block device, a socket; "expected a folder"). Never blocks. */
hrkd_status hrkd_path_expect(const char *path, int want, hrkd_error *err);

#endif
