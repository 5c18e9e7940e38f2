/* host/store/torchzip.c — the central directory of a torch.save zip archive (torchzip.h): stored
 * (uncompressed) entries, zip64 records when present, every entry inside the buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/torchzip.h"

void zip_free(zip_dir *z)
{
    for (int i = 0; i < z->n; i++) free(z->e[i].name);
    free(z->e);
    z->e = NULL;
    z->n = 0;
}

hrkd_status zip_open(const uint8_t *buf, size_t len, const char *fname, zip_dir *z,
                            hrkd_error *err)
{
    memset(z, 0, sizeof *z);
    if (len < 22)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: %zu bytes: too short for a zip archive", fname, len);
    /* end of central directory record: the last 22 + up to 65535 comment bytes */
    size_t eocd = (size_t)-1;
    size_t lo = len - 22 > 65535 ? len - 22 - 65535 : 0;
    for (size_t p = len - 22 + 1; p-- > lo;)
        if (u32le(buf + p) == 0x06054b50u) { eocd = p; break; }
    if (eocd == (size_t)-1)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: no zip end-of-directory record (truncated, or not a zip archive)", fname);
    uint64_t n_entries = u16le(buf + eocd + 10);
    uint64_t cd_size = u32le(buf + eocd + 12);
    uint64_t cd_off = u32le(buf + eocd + 16);
    if (n_entries == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
        /* zip64: locator right before the record points at the zip64 end record */
        if (eocd < 20 || u32le(buf + eocd - 20) != 0x07064b50u)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: zip64 locator missing", fname);
        uint64_t z64 = u64le(buf + eocd - 20 + 8);
        if (len < 56 || z64 > len - 56 || u32le(buf + z64) != 0x06064b50u)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: bad zip64 end record", fname);
        n_entries = u64le(buf + z64 + 32);
        cd_size = u64le(buf + z64 + 40);
        cd_off = u64le(buf + z64 + 48);
    }
    if (cd_off > len || cd_size > len - cd_off)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: zip central directory outside the file", fname);
    if (n_entries > cd_size / 46)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: zip entry count %llu does not fit the directory",
                              fname, (unsigned long long)n_entries);
    z->e = calloc(n_entries ? n_entries : 1, sizeof *z->e);
    if (!z->e) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    const uint8_t *p = buf + cd_off, *end = buf + cd_off + cd_size;
    for (uint64_t k = 0; k < n_entries; k++) {
        if (end - p < 46 || u32le(p) != 0x02014b50u) {
            zip_free(z);
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: corrupt zip directory entry %llu", fname,
                                  (unsigned long long)k);
        }
        uint16_t flags = u16le(p + 8), method = u16le(p + 10);
        uint64_t csize = u32le(p + 20), usize = u32le(p + 24), loff = u32le(p + 42);
        size_t nlen = u16le(p + 28), xlen = u16le(p + 30), clen = u16le(p + 32);
        if ((size_t)(end - p) < 46 + nlen + xlen + clen) {
            zip_free(z);
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: corrupt zip directory entry %llu", fname,
                                  (unsigned long long)k);
        }
        char *name = malloc(nlen + 1);
        if (!name) {
            zip_free(z);
            return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        }
        memcpy(name, p + 46, nlen);
        name[nlen] = '\0';
        z->e[z->n++].name = name;
        /* zip64 extra field: 8-byte values for those fields that read 0xFFFFFFFF */
        const uint8_t *x = p + 46 + nlen, *xend = x + xlen;
        while (xend - x >= 4) {
            uint16_t id = u16le(x), sz = u16le(x + 2);
            if ((size_t)(xend - x - 4) < sz) break;
            if (id == 0x0001) {
                const uint8_t *v = x + 4, *vend = x + 4 + sz;
                if (usize == 0xFFFFFFFFu && vend - v >= 8) { usize = u64le(v); v += 8; }
                if (csize == 0xFFFFFFFFu && vend - v >= 8) { csize = u64le(v); v += 8; }
                if (loff == 0xFFFFFFFFu && vend - v >= 8) { loff = u64le(v); v += 8; }
            }
            x += 4 + sz;
        }
        if (flags & 1u) {
            hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "%s: zip entry '%s' is encrypted", fname, name);
            zip_free(z);
            return HRKD_STATUS_UNSUPPORTED;
        }
        if (method != 0 || csize != usize) {
            hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED,
                           "%s: zip entry '%s' is compressed (method %u); torch.save writes stored entries, "
                           "re-save it with torch.save or convert to safetensors", fname, name, method);
            zip_free(z);
            return HRKD_STATUS_UNSUPPORTED;
        }
        if (loff > len || len - loff < 30 || u32le(buf + loff) != 0x04034b50u) {
            hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: zip entry '%s': bad local header offset", fname, name);
            zip_free(z);
            return HRKD_STATUS_INVALID;
        }
        uint64_t doff = loff + 30 + (uint64_t)u16le(buf + loff + 26) + u16le(buf + loff + 28);
        if (doff > len || usize > len - doff) {
            hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: zip entry '%s' runs past the end of the file",
                           fname, name);
            zip_free(z);
            return HRKD_STATUS_INVALID;
        }
        z->e[z->n - 1].data = buf + doff;
        z->e[z->n - 1].size = usize;
        p += 46 + nlen + xlen + clen;
    }
    return HRKD_STATUS_OK;
}

const zip_entry *zip_find(const zip_dir *z, const char *name)
{
    for (int i = 0; i < z->n; i++)
        if (strcmp(z->e[i].name, name) == 0) return &z->e[i];
    return NULL;
}
