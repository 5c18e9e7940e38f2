/* tests/common/backend.c — see backend.h */
#include "common/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/test.h"

hrkd_backend *test_backend_open(const char *name, int threads)
{
    hrkd_error err = {0};
    hrkd_backend *be = NULL;
    if (hrkd_backend_load(name, threads, &be, &err) == HRKD_STATUS_OK) return be;
    if (strcmp(name, "cpu") != 0) {
        char why[sizeof err.msg + 64];
        snprintf(why, sizeof why, "backend %s unavailable: %s", name, err.msg);
        test_skip(why);
    }
    fprintf(stderr, "cannot load cpu backend: %s\n", err.msg);
    exit(1);
}
