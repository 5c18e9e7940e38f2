/* host/config/config_internal.h — the inside of the configuration room that files of other
 * rooms read: the stored configuration (store.h), declared keys and value checks (value.h), and
 * the host schema (schema.h). Files of host/config/ include the one header they need. Nothing
 * here is part of the SDK. */
#ifndef HRKD_CONFIG_INTERNAL_H
#define HRKD_CONFIG_INTERNAL_H

#include "config/schema.h"
#include "config/store.h"
#include "config/value.h"

#endif
