/* host/store/torchzip.h — the central directory of a torch.save zip archive (torchzip.c), for
 * the PyTorch .bin reader (torchbin.c, torchpickle.c). Nothing here is part of libhrkd's
 * interface: the names stay hidden inside it. */
#ifndef HRKD_STORE_TORCHZIP_H
#define HRKD_STORE_TORCHZIP_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#pragma GCC visibility push(hidden)

/* little-endian integers (of the archive and of the pickle) */
static inline uint16_t u16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t u64le(const uint8_t *p) { return (uint64_t)u32le(p) | ((uint64_t)u32le(p + 4) << 32); }

typedef struct zip_entry {
    char          *name;
    const uint8_t *data;
    uint64_t       size;
} zip_entry;

typedef struct zip_dir {
    zip_entry *e;
    int        n;
} zip_dir;

/* The central directory of the stored (uncompressed) archive buf (zip64 records when
 * present); every entry's bytes checked to lie inside buf. */
hrkd_status zip_open(const uint8_t *buf, size_t len, const char *fname, zip_dir *z, hrkd_error *err);
/* the entry called name, or NULL */
const zip_entry *zip_find(const zip_dir *z, const char *name);
void zip_free(zip_dir *z);

#pragma GCC visibility pop

#endif
