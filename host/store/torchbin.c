/* host/store/torchbin.c — read a PyTorch state dict saved by torch.save (pytorch_model.bin)
 * without Python and without executing anything.
 *
 * The file is a zip archive of stored (uncompressed) entries: <prefix>/data.pkl (a pickle),
 * <prefix>/data/<key> (raw little-endian storage bytes), <prefix>/byteorder, ... We parse the
 * central directory (zip64 records when present) and run the pickle through a tiny stack
 * machine that knows only the opcodes a state dict uses and only these globals:
 *   collections.OrderedDict               → an empty dict
 *   torch._utils._rebuild_tensor_v2       → a tensor description (storage, offset, size, stride)
 *   torch._utils._rebuild_parameter       → its tensor argument
 *   torch.{Float,Half,BFloat16,Double,Long,Int,Short,Char,Byte,Bool}Storage → storage dtypes
 * "Calling" one of these only builds a description; any other opcode or global is refused
 * with its byte offset. Tensors must be contiguous; their bytes are converted like
 * safetensors (f16/bf16 exactly to f32).
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/torchpickle.h"
#include "store/torchzip.h"

#define TB_MAX_FILE ((size_t)1 << 40)

/* ---- the state dict ---------------------------------------------------------------------- */

static hrkd_status add_state_tensor(const zip_dir *z, const char *prefix, const char *fname,
                                    const char *key, const pv *t, hrkd_tensor_set *out,
                                    hrkd_error *err)
{
    const pv *s = t->storage;
    char ename[1200];
    snprintf(ename, sizeof ename, "%sdata/%.1000s", prefix, s->s);
    const zip_entry *e = zip_find(z, ename);
    if (!e)
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: tensor '%s': storage entry '%s' missing",
                              fname, key, ename);
    size_t es = hrkd_file_dtype_size(s->dt);
    if ((uint64_t)s->i > e->size / es)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: tensor '%s': storage '%s' holds %llu bytes, %lld elements declared",
                              fname, key, ename, (unsigned long long)e->size, (long long)s->i);
    /* element count without overflow; contiguity; extent inside the storage */
    uint64_t numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] < 0)
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: tensor '%s': negative size", fname, key);
        if (t->shape[d] && numel > ((uint64_t)1 << 62) / (uint64_t)t->shape[d])
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: tensor '%s': size overflows", fname, key);
        numel *= (uint64_t)t->shape[d];
    }
    int64_t expect = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] > 1 && t->stride[d] != expect)
            return hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED,
                                  "%s: tensor '%s' is not contiguous (stride %lld in dim %d, expected %lld); "
                                  "save it after .contiguous()", fname, key, (long long)t->stride[d], d,
                                  (long long)expect);
        expect *= t->shape[d] ? t->shape[d] : 1;
    }
    if (t->offset < 0 || (numel && ((uint64_t)t->offset > (uint64_t)s->i || numel > (uint64_t)s->i - (uint64_t)t->offset)))
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: tensor '%s': offset %lld + %llu elements past its storage of %lld",
                              fname, key, (long long)t->offset, (unsigned long long)numel, (long long)s->i);
    return hrkd_store_add_raw(out, key, s->dt, t->ndim, t->shape, (int64_t)numel,
                              e->data + (size_t)t->offset * es, err);
}

hrkd_status hrkd_torchbin_parse(const uint8_t *buf, size_t len, const char *fname,
                                hrkd_tensor_set *out, hrkd_error *err)
{
    memset(out, 0, sizeof *out);
    if (len >= 3 && buf[0] == 0x80 && buf[1] == 0x02 && buf[2] == 0x8a)
        return hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED,
                              "%s: legacy torch.save format (PyTorch < 1.6) is not supported; "
                              "re-save it with a current PyTorch or convert to safetensors", fname);
    if (len < 4 || u32le(buf) != 0x04034b50u)
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: not a zip archive (expected the torch.save zip format)", fname);
    zip_dir z;
    hrkd_status st = zip_open(buf, len, fname, &z, err);
    if (st != HRKD_STATUS_OK) return st;
    const zip_entry *pkl = NULL;
    char prefix[1024] = "";
    for (int i = 0; i < z.n; i++) {
        size_t nl = strlen(z.e[i].name);
        if (nl >= 8 && strcmp(z.e[i].name + nl - 8, "data.pkl") == 0 &&
            (nl == 8 || z.e[i].name[nl - 9] == '/') && nl - 8 < sizeof prefix) {
            pkl = &z.e[i];
            memcpy(prefix, z.e[i].name, nl - 8);
            prefix[nl - 8] = '\0';
            break;
        }
    }
    if (!pkl) {
        zip_free(&z);
        return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: no data.pkl in the archive", fname);
    }
    char bo_name[1100];
    snprintf(bo_name, sizeof bo_name, "%sbyteorder", prefix);
    const zip_entry *bo = zip_find(&z, bo_name);
    if (bo && !(bo->size == 6 && memcmp(bo->data, "little", 6) == 0)) {
        zip_free(&z);
        return hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "%s: byte order is not little-endian", fname);
    }
    vm m;
    memset(&m, 0, sizeof m);
    m.p = pkl->data;
    m.len = pkl->size;
    m.fname = fname;
    m.err = err;
    pv *root = NULL;
    st = vm_run(&m, &root);
    if (st == HRKD_STATUS_OK && root->kind != PV_DICT)
        st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: the pickle is not a dict (a state dict was expected)", fname);
    for (int k = 0; st == HRKD_STATUS_OK && k < root->n / 2; k++) { /* n counts keys and values */
        const pv *key = root->items[2 * k], *val = root->items[2 * k + 1];
        if (key->kind != PV_STR) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: state dict key %d is not a string", fname, k);
            break;
        }
        if (val->kind != PV_TENSOR) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: state dict entry '%s' is not a tensor",
                                fname, key->s);
            break;
        }
        if (hrkd_tensor_set_find(out, key->s) >= 0) {
            st = hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: duplicate state dict key '%s'", fname, key->s);
            break;
        }
        st = add_state_tensor(&z, prefix, fname, key->s, val, out, err);
    }
    vm_free(&m);
    zip_free(&z);
    if (st != HRKD_STATUS_OK) hrkd_tensor_set_free(out);
    return st;
}

hrkd_status hrkd_torchbin_load(const char *path, hrkd_tensor_set *out, hrkd_error *err)
{
    uint8_t *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    hrkd_status st = hrkd_file_read_all(path, TB_MAX_FILE, &buf, &len, err);
    if (st != HRKD_STATUS_OK) return st;
    st = hrkd_torchbin_parse(buf, len, path, out, err);
    free(buf);
    return st;
}
