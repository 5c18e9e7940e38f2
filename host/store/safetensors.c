/* host/store/safetensors.c — the safetensors format: u64 little-endian header length N, N
 * bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
 * {...}}, then the data block (offsets relative to its start).
 *
 * The reader trusts nothing: header length within the file and under 100 MB, every shape
 * non-negative with an element count that does not overflow, every byte range inside the
 * data block with end - begin == numel * dtype size, and no two ranges overlapping. The writer
 * emits F32 only (what hrkd stores), which is what export and the tests need.
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ST_MAX_HEADER (100u << 20)
#define ST_MAX_FILE ((size_t)1 << 40)

static uint64_t rd_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--) v = (v << 8) | p[k];
    return v;
}

static int dtype_from_name(const char *s, hrkd_file_dtype *out)
{
    for (int d = HRKD_FILE_F32; d <= HRKD_FILE_BOOL; d++)
        if (strcmp(s, hrkd_file_dtype_name((hrkd_file_dtype)d)) == 0) {
            *out = (hrkd_file_dtype)d;
            return 1;
        }
    return 0;
}

typedef struct st_range {
    uint64_t begin, end;
    int      idx;
} st_range;

static int cmp_range(const void *a, const void *b)
{
    const st_range *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* convert numel elements of dtype dt at src (little-endian) into f32 */
static void convert_to_f32(hrkd_file_dtype dt, const uint8_t *src, int64_t numel, float *dst)
{
    for (int64_t i = 0; i < numel; i++) {
        switch (dt) {
        case HRKD_FILE_F32: memcpy(&dst[i], src + 4 * i, 4); break;
        case HRKD_FILE_F16:
            dst[i] = hrkd_f16_to_f32((uint16_t)(src[2 * i] | (src[2 * i + 1] << 8)));
            break;
        case HRKD_FILE_BF16:
            dst[i] = hrkd_bf16_to_f32((uint16_t)(src[2 * i] | (src[2 * i + 1] << 8)));
            break;
        case HRKD_FILE_F64: {
            double d;
            memcpy(&d, src + 8 * i, 8);
            dst[i] = (float)d;
            break;
        }
        default: dst[i] = 0.0f; break;
        }
    }
}

/* shared with torchbin.c through the tensor set: append one tensor whose bytes are src */
static hrkd_status add_tensor(hrkd_tensor_set *out, const char *name, hrkd_file_dtype dt, int ndim,
                              const int64_t *shape, int64_t numel, const uint8_t *src,
                              hrkd_error *err)
{
    if (out->n == out->cap) {
        int nc = out->cap ? out->cap * 2 : 64;
        hrkd_named_tensor *nt = realloc(out->t, (size_t)nc * sizeof *nt);
        if (!nt) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        out->t = nt;
        out->cap = nc;
    }
    hrkd_named_tensor *t = &out->t[out->n];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    if (!t->name) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    t->dtype = dt;
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->numel = numel;
    if (hrkd_file_dtype_is_float(dt)) {
        t->data = malloc((size_t)(numel ? numel : 1) * sizeof(float));
        if (!t->data) {
            free(t->name);
            return hrkd_error_set(err, HRKD_STATUS_NOMEM, "%s: cannot allocate %lld floats", name,
                                  (long long)numel);
        }
        convert_to_f32(dt, src, numel, t->data);
    }
    out->n++;
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_safetensors_parse(const uint8_t *buf, size_t len, const char *fname,
                                   hrkd_tensor_set *out, hrkd_error *err)
{
    memset(out, 0, sizeof *out);
    if (len < 8)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: %zu bytes: too short for a safetensors header length", fname, len);
    uint64_t hlen = rd_u64le(buf);
    if (hlen > ST_MAX_HEADER)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: header length %llu exceeds the 100 MB limit", fname,
                              (unsigned long long)hlen);
    if (hlen > len - 8)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: header length %llu runs past the end of the file (%zu bytes)",
                              fname, (unsigned long long)hlen, len);
    if (hlen < 2 || buf[8] != '{')
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: header is not a JSON object", fname);
    const uint8_t *data = buf + 8 + hlen;
    uint64_t data_len = len - 8 - hlen;

    /* JSON messages count lines inside the header */
    char hname[512];
    snprintf(hname, sizeof hname, "%s: header", fname);
    hrkd_json *root = hrkd_json_parse((const char *)buf + 8, (size_t)hlen, hname, err);
    if (!root) return HRKD_STATUS_INVALID;
    if (root->kind != HRKD_JSON_OBJECT) {
        hrkd_json_free(root);
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: header is not a JSON object", fname);
    }
    st_range *ranges = calloc(root->len ? root->len : 1, sizeof *ranges);
    if (!ranges) {
        hrkd_json_free(root);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    }
    int n_ranges = 0;
    hrkd_status st = HRKD_STATUS_OK;
    /* pass 1: validate every entry, collect byte ranges */
    for (const hrkd_json *e = root->child; e && st == HRKD_STATUS_OK; e = e->next) {
        if (strcmp(e->key, "__metadata__") == 0) {
            if (e->kind != HRKD_JSON_OBJECT)
                st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: __metadata__ is not an object", fname);
            continue;
        }
        const hrkd_json *jd = hrkd_json_get(e, "dtype");
        const hrkd_json *js = hrkd_json_get(e, "shape");
        const hrkd_json *jo = hrkd_json_get(e, "data_offsets");
        hrkd_file_dtype dt;
        if (e->kind != HRKD_JSON_OBJECT || !jd || !js || !jo) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: tensor '%s': expected an object with dtype, shape and data_offsets",
                                fname, e->key);
            break;
        }
        if (jd->kind != HRKD_JSON_STRING || !dtype_from_name(jd->str, &dt)) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: tensor '%s': unsupported dtype %s (expected F32, F16, BF16, F64 or an integer type)",
                                fname, e->key, jd->kind == HRKD_JSON_STRING ? jd->str : "(not a string)");
            break;
        }
        if (js->kind != HRKD_JSON_ARRAY || js->len > HRKD_STORE_MAX_DIMS) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: tensor '%s': shape must be an array of at most %d sizes", fname,
                                e->key, HRKD_STORE_MAX_DIMS);
            break;
        }
        uint64_t numel = 1;
        for (const hrkd_json *d = js->child; d; d = d->next) {
            if (d->kind != HRKD_JSON_NUMBER || !d->is_int || d->i < 0) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                    "%s: tensor '%s': shape entries must be non-negative integers",
                                    fname, e->key);
                break;
            }
            if (d->i != 0 && numel > ((uint64_t)1 << 62) / (uint64_t)d->i) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                    "%s: tensor '%s': shape too large (element count overflows)",
                                    fname, e->key);
                break;
            }
            numel *= (uint64_t)d->i;
        }
        if (st != HRKD_STATUS_OK) break;
        if (jo->kind != HRKD_JSON_ARRAY || jo->len != 2 || jo->child->kind != HRKD_JSON_NUMBER ||
            jo->child->next->kind != HRKD_JSON_NUMBER || !jo->child->is_int ||
            !jo->child->next->is_int || jo->child->i < 0 || jo->child->next->i < 0) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: tensor '%s': data_offsets must be two non-negative integers",
                                fname, e->key);
            break;
        }
        uint64_t b = (uint64_t)jo->child->i, en = (uint64_t)jo->child->next->i;
        if (b > en) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: tensor '%s': data_offsets [%llu, %llu] begin after end", fname,
                                e->key, (unsigned long long)b, (unsigned long long)en);
            break;
        }
        if (en > data_len) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: tensor '%s': data_offsets [%llu, %llu] run past the end of the data (%llu bytes)",
                                fname, e->key, (unsigned long long)b, (unsigned long long)en,
                                (unsigned long long)data_len);
            break;
        }
        size_t es = hrkd_file_dtype_size(dt);
        if (numel > ((uint64_t)1 << 62) / es || en - b != numel * es) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                "%s: tensor '%s': %llu bytes at data_offsets but shape and dtype %s need %llu",
                                fname, e->key, (unsigned long long)(en - b), jd->str,
                                (unsigned long long)(numel * es));
            break;
        }
        ranges[n_ranges].begin = b;
        ranges[n_ranges].end = en;
        ranges[n_ranges].idx = n_ranges;
        n_ranges++;
    }
    if (st == HRKD_STATUS_OK && n_ranges > 1) {
        qsort(ranges, (size_t)n_ranges, sizeof *ranges, cmp_range);
        for (int k = 1; k < n_ranges; k++)
            if (ranges[k].begin < ranges[k - 1].end) {
                st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                                    "%s: data_offsets overlap: [%llu, %llu] and [%llu, %llu]", fname,
                                    (unsigned long long)ranges[k - 1].begin,
                                    (unsigned long long)ranges[k - 1].end,
                                    (unsigned long long)ranges[k].begin,
                                    (unsigned long long)ranges[k].end);
                break;
            }
    }
    free(ranges);
    /* pass 2: everything checked, convert */
    for (const hrkd_json *e = root->child; e && st == HRKD_STATUS_OK; e = e->next) {
        if (strcmp(e->key, "__metadata__") == 0) continue;
        hrkd_file_dtype dt = HRKD_FILE_F32;
        dtype_from_name(hrkd_json_get(e, "dtype")->str, &dt);
        int64_t shape[HRKD_STORE_MAX_DIMS];
        int ndim = 0;
        int64_t numel = 1;
        for (const hrkd_json *d = hrkd_json_get(e, "shape")->child; d; d = d->next) {
            shape[ndim++] = d->i;
            numel *= d->i;
        }
        const hrkd_json *jo = hrkd_json_get(e, "data_offsets");
        st = add_tensor(out, e->key, dt, ndim, shape, numel, data + jo->child->i, err);
    }
    hrkd_json_free(root);
    if (st != HRKD_STATUS_OK) hrkd_tensor_set_free(out);
    return st;
}

hrkd_status hrkd_safetensors_load(const char *path, hrkd_tensor_set *out, hrkd_error *err)
{
    uint8_t *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    hrkd_status st = hrkd_file_read_all(path, ST_MAX_FILE, &buf, &len, err);
    if (st != HRKD_STATUS_OK) return st;
    st = hrkd_safetensors_parse(buf, len, path, out, err);
    free(buf);
    return st;
}

hrkd_status hrkd_safetensors_save(const char *path, const hrkd_tensor_set *ts, hrkd_error *err)
{
    for (int i = 0; i < ts->n; i++)
        if (!ts->t[i].data)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: tensor '%s' has no float data to write", path,
                                  ts->t[i].name);
    /* the header first, in memory, to know its length */
    char *hdr = NULL;
    size_t hdr_len = 0;
    FILE *hf = open_memstream(&hdr, &hdr_len);
    if (!hf) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    fputs("{\"__metadata__\":{\"format\":\"pt\"}", hf);
    uint64_t off = 0;
    for (int i = 0; i < ts->n; i++) {
        const hrkd_named_tensor *t = &ts->t[i];
        fputc(',', hf);
        hrkd_json_write_string(hf, t->name);
        fputs(":{\"dtype\":\"F32\",\"shape\":[", hf);
        for (int d = 0; d < t->ndim; d++) fprintf(hf, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        uint64_t nb = (uint64_t)t->numel * 4u;
        fprintf(hf, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                (unsigned long long)(off + nb));
        off += nb;
    }
    fputc('}', hf);
    /* pad with spaces so the data block starts 8-byte aligned */
    long cur = ftell(hf);
    while ((8 + cur) % 8 != 0) {
        fputc(' ', hf);
        cur++;
    }
    fclose(hf);

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(hdr);
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create: %s", tmp, strerror(errno));
    }
    uint8_t lenb[8];
    for (int k = 0; k < 8; k++) lenb[k] = (uint8_t)((uint64_t)hdr_len >> (8 * k));
    int ok = fwrite(lenb, 1, 8, f) == 8 && fwrite(hdr, 1, hdr_len, f) == hdr_len;
    free(hdr);
    for (int i = 0; ok && i < ts->n; i++) {
        const hrkd_named_tensor *t = &ts->t[i];
        /* hrkd runs on little-endian hosts only (x86-64, aarch64): f32 bytes go out as they are */
        if (t->numel && fwrite(t->data, 4, (size_t)t->numel, f) != (size_t)t->numel) ok = 0;
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) ok = 0;
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        unlink(tmp);
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: write failed: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot rename into place: %s", path,
                              strerror(errno));
    }
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_store_add_raw(hrkd_tensor_set *out, const char *name, hrkd_file_dtype dt,
                               int ndim, const int64_t *shape, int64_t numel, const uint8_t *src,
                               hrkd_error *err)
{
    return add_tensor(out, name, dt, ndim, shape, numel, src, err);
}
