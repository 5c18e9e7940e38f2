/* tests/common/backend.h — the backend a C test computes on, opened through the host loader
 * (hrkd_backend_load) the way every test main needs it. */
#ifndef HRKD_TEST_BACKEND_H
#define HRKD_TEST_BACKEND_H

#include "hrkd/tensor.h"

/* Load backend `name` with `threads` threads (0: the backend's default). When it cannot be
 * loaded, "cpu" is a failure (the reason on stderr, exit 1) and any other backend a skip
 * (the reason printed, exit 77). Close it with hrkd_backend_unload. */
hrkd_backend *test_backend_open(const char *name, int threads);

#endif
