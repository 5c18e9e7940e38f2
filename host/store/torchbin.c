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

#define TB_MAX_FILE ((size_t)1 << 40)
#define TB_MAX_STACK (1 << 20)
#define TB_MAX_MEMO (1 << 22)
#define TB_MAX_STR (1u << 20)

/* ---- zip ---------------------------------------------------------------------------- */
typedef struct zip_entry {
    char          *name;
    const uint8_t *data;
    uint64_t       size;
} zip_entry;

typedef struct zip_dir {
    zip_entry *e;
    int        n;
} zip_dir;

static uint16_t u16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t u64le(const uint8_t *p) { return (uint64_t)u32le(p) | ((uint64_t)u32le(p + 4) << 32); }

static void zip_free(zip_dir *z)
{
    for (int i = 0; i < z->n; i++) free(z->e[i].name);
    free(z->e);
    z->e = NULL;
    z->n = 0;
}

static hrkd_status zip_open(const uint8_t *buf, size_t len, const char *fname, zip_dir *z,
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

static const zip_entry *zip_find(const zip_dir *z, const char *name)
{
    for (int i = 0; i < z->n; i++)
        if (strcmp(z->e[i].name, name) == 0) return &z->e[i];
    return NULL;
}

/* ---- pickle subset -------------------------------------------------------------------- */
typedef enum pv_kind {
    PV_NONE, PV_BOOL, PV_INT, PV_STR, PV_TUPLE, PV_DICT, PV_GLOBAL, PV_STORAGE, PV_TENSOR,
} pv_kind;

typedef enum pv_global {
    PG_ORDERED_DICT, PG_REBUILD_TENSOR_V2, PG_REBUILD_PARAMETER, PG_STORAGE,
} pv_global;

typedef struct pv {
    pv_kind      kind;
    int64_t      i;          /* INT, BOOL; STORAGE: numel */
    char        *s;          /* STR; STORAGE: key */
    struct pv  **items;      /* TUPLE: n items; DICT: keys and values alternating (n = 2 × pairs) */
    int          n, cap;
    pv_global    g;          /* GLOBAL */
    hrkd_file_dtype dt;      /* GLOBAL storage type, STORAGE */
    struct pv   *storage;    /* TENSOR */
    int64_t      offset;     /* TENSOR: in elements */
    int          ndim;
    int64_t      shape[HRKD_STORE_MAX_DIMS], stride[HRKD_STORE_MAX_DIMS];
} pv;

typedef struct vm {
    const uint8_t *p;
    size_t         len, pos, op_pos;
    const char    *fname;
    hrkd_error    *err;
    pv           **all;    /* every value, freed at the end */
    size_t         n_all, cap_all;
    pv           **stack;
    int            sp, stack_cap;
    int           *marks;
    int            n_marks, marks_cap;
    pv           **memo;
    size_t         memo_cap;
    size_t         memo_next; /* for MEMOIZE */
} vm;

static hrkd_status vm_fail(vm *m, const char *fmt, const char *what)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, what);
    return hrkd_error_set(m->err, HRKD_STATUS_INVALID, "%s: data.pkl offset %zu: %s", m->fname,
                          m->op_pos, buf);
}

static pv *vm_new(vm *m, pv_kind k)
{
    if (m->n_all == m->cap_all) {
        size_t nc = m->cap_all ? m->cap_all * 2 : 256;
        pv **na = realloc(m->all, nc * sizeof *na);
        if (!na) return NULL;
        m->all = na;
        m->cap_all = nc;
    }
    pv *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->kind = k;
    m->all[m->n_all++] = v;
    return v;
}

static int pv_append(pv *c, pv *x)
{
    if (c->n == c->cap) {
        int nc = c->cap ? c->cap * 2 : 4;
        pv **ni = realloc(c->items, (size_t)nc * sizeof *ni);
        if (!ni) return 0;
        c->items = ni;
        c->cap = nc;
    }
    c->items[c->n++] = x;
    return 1;
}

static int vm_push(vm *m, pv *v)
{
    if (!v) return 0;
    if (m->sp == m->stack_cap) {
        if (m->stack_cap >= TB_MAX_STACK) return 0;
        int nc = m->stack_cap ? m->stack_cap * 2 : 64;
        pv **ns = realloc(m->stack, (size_t)nc * sizeof *ns);
        if (!ns) return 0;
        m->stack = ns;
        m->stack_cap = nc;
    }
    m->stack[m->sp++] = v;
    return 1;
}

static int vm_need(vm *m, size_t n) { return m->len - m->pos >= n; }

static int vm_bottom(const vm *m) { return m->n_marks ? m->marks[m->n_marks - 1] : 0; }

static pv *vm_pop(vm *m)
{
    if (m->sp <= vm_bottom(m)) return NULL;
    return m->stack[--m->sp];
}

/* items from the last mark to the top become a tuple */
static pv *vm_pop_mark_tuple(vm *m)
{
    if (!m->n_marks) return NULL;
    int base = m->marks[--m->n_marks];
    pv *t = vm_new(m, PV_TUPLE);
    if (!t) return NULL;
    for (int k = base; k < m->sp; k++)
        if (!pv_append(t, m->stack[k])) return NULL;
    m->sp = base;
    return t;
}

static int memo_put(vm *m, size_t idx, pv *v)
{
    if (idx >= TB_MAX_MEMO) return 0;
    if (idx >= m->memo_cap) {
        size_t nc = m->memo_cap ? m->memo_cap : 64;
        while (nc <= idx) nc *= 2;
        pv **nm = realloc(m->memo, nc * sizeof *nm);
        if (!nm) return 0;
        memset(nm + m->memo_cap, 0, (nc - m->memo_cap) * sizeof *nm);
        m->memo = nm;
        m->memo_cap = nc;
    }
    m->memo[idx] = v;
    return 1;
}

static const struct {
    const char *module, *name;
    pv_global   g;
    hrkd_file_dtype dt;
} allowed_globals[] = {
    {"collections", "OrderedDict", PG_ORDERED_DICT, HRKD_FILE_F32},
    {"torch._utils", "_rebuild_tensor_v2", PG_REBUILD_TENSOR_V2, HRKD_FILE_F32},
    {"torch._utils", "_rebuild_parameter", PG_REBUILD_PARAMETER, HRKD_FILE_F32},
    {"torch", "FloatStorage", PG_STORAGE, HRKD_FILE_F32},
    {"torch", "HalfStorage", PG_STORAGE, HRKD_FILE_F16},
    {"torch", "BFloat16Storage", PG_STORAGE, HRKD_FILE_BF16},
    {"torch", "DoubleStorage", PG_STORAGE, HRKD_FILE_F64},
    {"torch", "LongStorage", PG_STORAGE, HRKD_FILE_I64},
    {"torch", "IntStorage", PG_STORAGE, HRKD_FILE_I32},
    {"torch", "ShortStorage", PG_STORAGE, HRKD_FILE_I16},
    {"torch", "CharStorage", PG_STORAGE, HRKD_FILE_I8},
    {"torch", "ByteStorage", PG_STORAGE, HRKD_FILE_U8},
    {"torch", "BoolStorage", PG_STORAGE, HRKD_FILE_BOOL},
};

static hrkd_status vm_global(vm *m, const char *module, const char *name)
{
    for (size_t k = 0; k < sizeof allowed_globals / sizeof allowed_globals[0]; k++)
        if (strcmp(module, allowed_globals[k].module) == 0 && strcmp(name, allowed_globals[k].name) == 0) {
            pv *g = vm_new(m, PV_GLOBAL);
            if (!g) return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
            g->g = allowed_globals[k].g;
            g->dt = allowed_globals[k].dt;
            if (!vm_push(m, g)) return vm_fail(m, "%s", "stack overflow");
            return HRKD_STATUS_OK;
        }
    char full[600];
    snprintf(full, sizeof full, "%.256s.%.256s", module, name);
    return hrkd_error_set(m->err, HRKD_STATUS_INVALID,
                          "%s: data.pkl offset %zu: refusing global %s (only a state dict of tensors is accepted)",
                          m->fname, m->op_pos, full);
}

static int int_tuple(const pv *t, int64_t *out, int *n)
{
    if (t->kind != PV_TUPLE || t->n > HRKD_STORE_MAX_DIMS) return 0;
    for (int k = 0; k < t->n; k++) {
        if (t->items[k]->kind != PV_INT) return 0;
        out[k] = t->items[k]->i;
    }
    *n = t->n;
    return 1;
}

/* REDUCE: the callable must be one of the whitelisted globals; nothing is executed */
static hrkd_status vm_reduce(vm *m, pv *fn, pv *args)
{
    if (fn->kind != PV_GLOBAL || args->kind != PV_TUPLE) return vm_fail(m, "%s", "REDUCE on a non-callable");
    pv *r = NULL;
    switch (fn->g) {
    case PG_ORDERED_DICT:
        if (args->n != 0) return vm_fail(m, "%s", "OrderedDict with arguments");
        r = vm_new(m, PV_DICT);
        break;
    case PG_REBUILD_TENSOR_V2: {
        /* (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
        if (args->n < 6 || args->n > 7 || args->items[0]->kind != PV_STORAGE ||
            args->items[1]->kind != PV_INT)
            return vm_fail(m, "%s", "_rebuild_tensor_v2 with unexpected arguments");
        r = vm_new(m, PV_TENSOR);
        if (!r) break;
        int ns, nt;
        if (!int_tuple(args->items[2], r->shape, &ns) || !int_tuple(args->items[3], r->stride, &nt) ||
            ns != nt)
            return vm_fail(m, "%s", "_rebuild_tensor_v2: size and stride must be tuples of equal length (at most 8)");
        r->storage = args->items[0];
        r->offset = args->items[1]->i;
        r->ndim = ns;
        break;
    }
    case PG_REBUILD_PARAMETER:
        if (args->n < 1 || args->items[0]->kind != PV_TENSOR)
            return vm_fail(m, "%s", "_rebuild_parameter with unexpected arguments");
        r = args->items[0];
        break;
    case PG_STORAGE: return vm_fail(m, "%s", "a storage type cannot be called");
    }
    if (!r) return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
    if (!vm_push(m, r)) return vm_fail(m, "%s", "stack overflow");
    return HRKD_STATUS_OK;
}

/* BINPERSID: ('storage', storage_type, key, location, numel) */
static hrkd_status vm_persid(vm *m, pv *pid)
{
    if (pid->kind != PV_TUPLE || pid->n != 5 || pid->items[0]->kind != PV_STR ||
        strcmp(pid->items[0]->s, "storage") != 0 || pid->items[1]->kind != PV_GLOBAL ||
        pid->items[1]->g != PG_STORAGE || pid->items[2]->kind != PV_STR ||
        pid->items[4]->kind != PV_INT || pid->items[4]->i < 0)
        return vm_fail(m, "%s", "persistent id is not ('storage', type, key, location, numel)");
    pv *s = vm_new(m, PV_STORAGE);
    if (!s) return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
    s->dt = pid->items[1]->dt;
    s->s = pid->items[2]->s; /* owned by the key string value */
    s->i = pid->items[4]->i;
    if (!vm_push(m, s)) return vm_fail(m, "%s", "stack overflow");
    return HRKD_STATUS_OK;
}

static hrkd_status vm_string(vm *m, size_t n)
{
    if (n > TB_MAX_STR || !vm_need(m, n)) return vm_fail(m, "%s", "string runs past the end");
    pv *s = vm_new(m, PV_STR);
    if (!s || !(s->s = malloc(n + 1))) return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
    memcpy(s->s, m->p + m->pos, n);
    s->s[n] = '\0';
    s->i = (int64_t)n;
    m->pos += n;
    if (!vm_push(m, s)) return vm_fail(m, "%s", "stack overflow");
    return HRKD_STATUS_OK;
}

static hrkd_status vm_int(vm *m, int64_t v)
{
    pv *x = vm_new(m, PV_INT);
    if (!x) return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
    x->i = v;
    if (!vm_push(m, x)) return vm_fail(m, "%s", "stack overflow");
    return HRKD_STATUS_OK;
}

/* read one line (GLOBAL operands) of at most 255 bytes */
static int vm_line(vm *m, char *out)
{
    for (size_t k = 0; k < 256 && m->pos + k < m->len; k++)
        if (m->p[m->pos + k] == '\n') {
            memcpy(out, m->p + m->pos, k);
            out[k] = '\0';
            m->pos += k + 1;
            return 1;
        }
    return 0;
}

static hrkd_status vm_run(vm *m, pv **result)
{
    for (;;) {
        if (m->pos >= m->len) return vm_fail(m, "%s", "pickle ends without STOP");
        m->op_pos = m->pos;
        uint8_t op = m->p[m->pos++];
        hrkd_status st = HRKD_STATUS_OK;
        pv *a, *b, *c;
        switch (op) {
        case 0x80: /* PROTO */
            if (!vm_need(m, 1) || m->p[m->pos] < 2 || m->p[m->pos] > 5)
                return vm_fail(m, "%s", "unsupported pickle protocol");
            m->pos++;
            break;
        case 0x95: /* FRAME: an 8-byte length hint */
            if (!vm_need(m, 8)) return vm_fail(m, "%s", "truncated FRAME");
            m->pos += 8;
            break;
        case '}': /* EMPTY_DICT */
            if (!vm_push(m, vm_new(m, PV_DICT))) return vm_fail(m, "%s", "stack overflow");
            break;
        case ')': /* EMPTY_TUPLE */
            if (!vm_push(m, vm_new(m, PV_TUPLE))) return vm_fail(m, "%s", "stack overflow");
            break;
        case '(': /* MARK */
            if (m->n_marks == m->marks_cap) {
                if (m->marks_cap >= TB_MAX_STACK) return vm_fail(m, "%s", "too many marks");
                int nc = m->marks_cap ? m->marks_cap * 2 : 16;
                int *nm = realloc(m->marks, (size_t)nc * sizeof *nm);
                if (!nm) return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
                m->marks = nm;
                m->marks_cap = nc;
            }
            m->marks[m->n_marks++] = m->sp;
            break;
        case 'X': /* BINUNICODE */
            if (!vm_need(m, 4)) return vm_fail(m, "%s", "truncated BINUNICODE");
            m->pos += 4;
            st = vm_string(m, u32le(m->p + m->pos - 4));
            break;
        case 0x8c: /* SHORT_BINUNICODE */
            if (!vm_need(m, 1)) return vm_fail(m, "%s", "truncated SHORT_BINUNICODE");
            m->pos += 1;
            st = vm_string(m, m->p[m->pos - 1]);
            break;
        case 'K': /* BININT1 */
            if (!vm_need(m, 1)) return vm_fail(m, "%s", "truncated BININT1");
            st = vm_int(m, m->p[m->pos]);
            m->pos += 1;
            break;
        case 'M': /* BININT2 */
            if (!vm_need(m, 2)) return vm_fail(m, "%s", "truncated BININT2");
            st = vm_int(m, u16le(m->p + m->pos));
            m->pos += 2;
            break;
        case 'J': /* BININT (signed) */
            if (!vm_need(m, 4)) return vm_fail(m, "%s", "truncated BININT");
            st = vm_int(m, (int32_t)u32le(m->p + m->pos));
            m->pos += 4;
            break;
        case 0x8a: { /* LONG1: n bytes, little-endian two's complement */
            if (!vm_need(m, 1)) return vm_fail(m, "%s", "truncated LONG1");
            size_t n = m->p[m->pos++];
            if (n > 8 || !vm_need(m, n)) return vm_fail(m, "%s", "LONG1 wider than 64 bits");
            uint64_t v = 0;
            for (size_t k = 0; k < n; k++) v |= (uint64_t)m->p[m->pos + k] << (8 * k);
            if (n > 0 && n < 8 && (m->p[m->pos + n - 1] & 0x80)) v |= ~(uint64_t)0 << (8 * n);
            m->pos += n;
            st = vm_int(m, (int64_t)v);
            break;
        }
        case 0x88: /* NEWTRUE */
        case 0x89: /* NEWFALSE */
            a = vm_new(m, PV_BOOL);
            if (!a) return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
            a->i = op == 0x88;
            if (!vm_push(m, a)) return vm_fail(m, "%s", "stack overflow");
            break;
        case 'N': /* NONE */
            if (!vm_push(m, vm_new(m, PV_NONE))) return vm_fail(m, "%s", "stack overflow");
            break;
        case 't': /* TUPLE */
            a = vm_pop_mark_tuple(m);
            if (!a || !vm_push(m, a)) return vm_fail(m, "%s", "TUPLE without MARK");
            break;
        case 0x85: case 0x86: case 0x87: { /* TUPLE1..3 */
            int n = op - 0x84;
            if (m->sp - vm_bottom(m) < n) return vm_fail(m, "%s", "stack underflow");
            a = vm_new(m, PV_TUPLE);
            if (!a) return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
            for (int k = m->sp - n; k < m->sp; k++)
                if (!pv_append(a, m->stack[k])) return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
            m->sp -= n;
            vm_push(m, a);
            break;
        }
        case 'c': { /* GLOBAL "module\nname\n" */
            char mod[256], name[256];
            if (!vm_line(m, mod) || !vm_line(m, name)) return vm_fail(m, "%s", "bad GLOBAL operand");
            st = vm_global(m, mod, name);
            break;
        }
        case 0x93: /* STACK_GLOBAL */
            b = vm_pop(m);
            a = vm_pop(m);
            if (!a || !b || a->kind != PV_STR || b->kind != PV_STR)
                return vm_fail(m, "%s", "STACK_GLOBAL needs two strings");
            st = vm_global(m, a->s, b->s);
            break;
        case 'Q': /* BINPERSID */
            a = vm_pop(m);
            if (!a) return vm_fail(m, "%s", "stack underflow");
            st = vm_persid(m, a);
            break;
        case 'R': /* REDUCE */
            b = vm_pop(m);
            a = vm_pop(m);
            if (!a || !b) return vm_fail(m, "%s", "stack underflow");
            st = vm_reduce(m, a, b);
            break;
        case 's': /* SETITEM */
            c = vm_pop(m);
            b = vm_pop(m);
            if (!b || !c || m->sp <= vm_bottom(m) || m->stack[m->sp - 1]->kind != PV_DICT)
                return vm_fail(m, "%s", "SETITEM without a dict");
            if (!pv_append(m->stack[m->sp - 1], b) || !pv_append(m->stack[m->sp - 1], c))
                return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
            break;
        case 'u': { /* SETITEMS */
            a = vm_pop_mark_tuple(m);
            if (!a || a->n % 2 != 0 || m->sp <= vm_bottom(m) || m->stack[m->sp - 1]->kind != PV_DICT)
                return vm_fail(m, "%s", "SETITEMS without a dict");
            for (int k = 0; k < a->n; k++)
                if (!pv_append(m->stack[m->sp - 1], a->items[k]))
                    return hrkd_error_set(m->err, HRKD_STATUS_NOMEM, "out of memory");
            break;
        }
        case 'b': /* BUILD: an OrderedDict's attributes (torch's _metadata); kept as data, ignored */
            a = vm_pop(m);
            if (!a || m->sp <= vm_bottom(m) || m->stack[m->sp - 1]->kind != PV_DICT ||
                (a->kind != PV_DICT && a->kind != PV_NONE && a->kind != PV_TUPLE))
                return vm_fail(m, "%s", "BUILD on something other than a dict");
            break;
        case 'q': case 'r': case 0x94: { /* BINPUT, LONG_BINPUT, MEMOIZE */
            size_t idx;
            if (op == 'q') {
                if (!vm_need(m, 1)) return vm_fail(m, "%s", "truncated BINPUT");
                idx = m->p[m->pos++];
            } else if (op == 'r') {
                if (!vm_need(m, 4)) return vm_fail(m, "%s", "truncated LONG_BINPUT");
                idx = u32le(m->p + m->pos);
                m->pos += 4;
            } else {
                idx = m->memo_next;
            }
            if (m->sp <= vm_bottom(m)) return vm_fail(m, "%s", "memo store from an empty stack");
            if (!memo_put(m, idx, m->stack[m->sp - 1])) return vm_fail(m, "%s", "memo index too large");
            if (idx + 1 > m->memo_next) m->memo_next = idx + 1;
            break;
        }
        case 'h': case 'j': { /* BINGET, LONG_BINGET */
            size_t idx;
            if (op == 'h') {
                if (!vm_need(m, 1)) return vm_fail(m, "%s", "truncated BINGET");
                idx = m->p[m->pos++];
            } else {
                if (!vm_need(m, 4)) return vm_fail(m, "%s", "truncated LONG_BINGET");
                idx = u32le(m->p + m->pos);
                m->pos += 4;
            }
            if (idx >= m->memo_cap || !m->memo[idx]) return vm_fail(m, "%s", "memo lookup of an unset index");
            if (!vm_push(m, m->memo[idx])) return vm_fail(m, "%s", "stack overflow");
            break;
        }
        case '.': /* STOP */
            if (m->sp != 1 || m->n_marks) return vm_fail(m, "%s", "STOP with an unbalanced stack");
            *result = m->stack[0];
            return HRKD_STATUS_OK;
        default: {
            char what[64];
            snprintf(what, sizeof what, "0x%02x", op);
            return hrkd_error_set(m->err, HRKD_STATUS_INVALID,
                                  "%s: unsupported pickle opcode %s at offset %zu (a state dict of tensors was expected)",
                                  m->fname, what, m->op_pos);
        }
        }
        if (st != HRKD_STATUS_OK) return st;
    }
}

static void vm_free(vm *m)
{
    for (size_t k = 0; k < m->n_all; k++) {
        if (m->all[k]->kind != PV_STORAGE) free(m->all[k]->s); /* STORAGE borrows its key */
        free(m->all[k]->items);
        free(m->all[k]);
    }
    free(m->all);
    free(m->stack);
    free(m->marks);
    free(m->memo);
}

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
