/* host/store/torchpickle.c — the pickle of a state dict run through a tiny stack machine
 * (torchpickle.h) that knows only the opcodes a state dict uses and only the globals torchbin.c
 * lists; "calling" one only builds a description, nothing is executed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/torchpickle.h"
#include "store/torchzip.h"

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

hrkd_status vm_run(vm *m, pv **result)
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

void vm_free(vm *m)
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
