/* hrkd/hrkd.h — the whole public SDK in one include. */
#ifndef HRKD_HRKD_H
#define HRKD_HRKD_H

#define HRKD_VERSION_MAJOR 0
#define HRKD_VERSION_MINOR 1
#define HRKD_VERSION_PATCH 0
#define HRKD_VERSION_STRING "0.1.0"

#include "hrkd/status.h"
#include "hrkd/backend.h"
#include "hrkd/tensor.h"
#include "hrkd/config.h"
#include "hrkd/plugin.h"

#endif /* HRKD_HRKD_H */
