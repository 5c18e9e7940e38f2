/* tests/common/backend.c — see backend.h */
#include "common/backend.h"

#include <stddef.h>
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

void test_kernel_table(const hrkd_kernels *k, const char *name)
{
    CHECK(k->abi_version == HRKD_BACKEND_ABI_VERSION);
    CHECK(k->struct_size == sizeof(hrkd_kernels));
    CHECKF(k->name && strcmp(k->name, name) == 0, "kernel table name %s, expected %s",
           k->name ? k->name : "(null)", name);
    const char *base = (const char *)k + offsetof(hrkd_kernels, init);
    size_t count = (sizeof(hrkd_kernels) - offsetof(hrkd_kernels, init)) / sizeof(void (*)(void));
    for (size_t i = 0; i < count; i++) {
        void (*fn)(void);
        memcpy(&fn, base + i * sizeof fn, sizeof fn);
        CHECKF(fn != NULL, "%s kernel table entry %zu is NULL", name, i);
    }
}
