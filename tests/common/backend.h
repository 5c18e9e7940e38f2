/* tests/common/backend.h — the backend a C test computes on, opened through the host loader
 * (hrkd_backend_load) the way every test main needs it, and the check of a kernel table that
 * the kernel tests open with dlopen. */
#ifndef HRKD_TEST_BACKEND_H
#define HRKD_TEST_BACKEND_H

#include "hrkd/backend.h"
#include "hrkd/tensor.h"

/* Load backend `name` with `threads` threads (0: the backend's default). When it cannot be
 * loaded, "cpu" is a failure (the reason on stderr, exit 1) and any other backend a skip
 * (the reason printed, exit 77). Close it with hrkd_backend_unload. */
hrkd_backend *test_backend_open(const char *name, int threads);

/* CHECKs the kernel table k of backend `name` (before or after init): the ABI version, the
 * struct size, the name, and every function pointer from init to the end set. */
void test_kernel_table(const hrkd_kernels *k, const char *name);

#endif
