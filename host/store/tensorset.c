/* host/store/tensorset.c — named host tensors returned by the checkpoint readers, file dtype
 * helpers, exact half-precision conversions and a bounded whole-file reader. */
#include "store/store.h"

#include "core/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
    const char *name;
    size_t      size;
    int         is_float;
} dtype_table[] = {
    [HRKD_FILE_F32] = {"F32", 4, 1},  [HRKD_FILE_F16] = {"F16", 2, 1},
    [HRKD_FILE_BF16] = {"BF16", 2, 1}, [HRKD_FILE_F64] = {"F64", 8, 1},
    [HRKD_FILE_I64] = {"I64", 8, 0},  [HRKD_FILE_I32] = {"I32", 4, 0},
    [HRKD_FILE_I16] = {"I16", 2, 0},  [HRKD_FILE_I8] = {"I8", 1, 0},
    [HRKD_FILE_U8] = {"U8", 1, 0},    [HRKD_FILE_BOOL] = {"BOOL", 1, 0},
};

const char *hrkd_file_dtype_name(hrkd_file_dtype dt) { return dtype_table[dt].name; }
size_t hrkd_file_dtype_size(hrkd_file_dtype dt) { return dtype_table[dt].size; }
int hrkd_file_dtype_is_float(hrkd_file_dtype dt) { return dtype_table[dt].is_float; }

/* IEEE binary16 → binary32; every half value is exactly representable. */
float hrkd_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t man = h & 0x3FFu;
    uint32_t bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (man << 13); /* inf / nan (payload kept) */
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13); /* rebias 15 → 127 */
    } else if (man == 0) {
        bits = sign;
    } else {
        /* subnormal: shift the mantissa up until its leading 1 is the implicit bit */
        int e = -1;
        do {
            man <<= 1;
            e++;
        } while (!(man & 0x400u));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3FFu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* bfloat16 is the upper half of a binary32 */
float hrkd_bf16_to_f32(uint16_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void hrkd_tensor_set_free(hrkd_tensor_set *ts)
{
    if (!ts) return;
    for (int i = 0; i < ts->n; i++) {
        free(ts->t[i].name);
        free(ts->t[i].data);
    }
    free(ts->t);
    ts->t = NULL;
    ts->n = ts->cap = 0;
}

int hrkd_tensor_set_find(const hrkd_tensor_set *ts, const char *name)
{
    for (int i = 0; i < ts->n; i++)
        if (strcmp(ts->t[i].name, name) == 0) return i;
    return -1;
}

hrkd_status hrkd_tensor_set_add(hrkd_tensor_set *ts, const char *name, int ndim,
                                const int64_t *shape, const float *data, hrkd_error *err)
{
    if (ndim < 0 || ndim > HRKD_STORE_MAX_DIMS)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: %d dimensions (at most %d)", name,
                              ndim, HRKD_STORE_MAX_DIMS);
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) numel *= shape[d];
    if (ts->n == ts->cap) {
        int nc = ts->cap ? ts->cap * 2 : 32;
        hrkd_named_tensor *nt = realloc(ts->t, (size_t)nc * sizeof *nt);
        if (!nt) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        ts->t = nt;
        ts->cap = nc;
    }
    hrkd_named_tensor *t = &ts->t[ts->n];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->data = malloc((size_t)(numel ? numel : 1) * sizeof(float));
    if (!t->name || !t->data) {
        free(t->name);
        free(t->data);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    }
    t->dtype = HRKD_FILE_F32;
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->numel = numel;
    if (numel) memcpy(t->data, data, (size_t)numel * sizeof(float));
    ts->n++;
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_file_read_all(const char *path, size_t max_bytes, uint8_t **out, size_t *len,
                               hrkd_error *err)
{
    *out = NULL;
    *len = 0;
    hrkd_status pst = hrkd_path_expect(path, HRKD_PATH_FILE, err);
    if (pst) return pst;
    FILE *f = fopen(path, "rb");
    if (!f) return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > (uint64_t)max_bytes) {
        fclose(f);
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: %lld bytes, more than the %zu allowed",
                              path, (long long)sb.st_size, max_bytes);
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "%s: cannot allocate %zu bytes", path, n);
    }
    if (n && fread(buf, 1, n, f) != n) {
        free(buf);
        fclose(f);
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: read failed", path);
    }
    fclose(f);
    *out = buf;
    *len = n;
    return HRKD_STATUS_OK;
}
