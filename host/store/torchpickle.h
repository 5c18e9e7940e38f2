/* host/store/torchpickle.h — the pickle subset of a state dict (torchpickle.c), for the PyTorch
 * .bin reader (torchbin.c): the values it builds and the stack machine that runs it. Nothing
 * here is part of libhrkd's interface: the names stay hidden inside it. */
#ifndef HRKD_STORE_TORCHPICKLE_H
#define HRKD_STORE_TORCHPICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#pragma GCC visibility push(hidden)

#define TB_MAX_STACK (1 << 20)
#define TB_MAX_MEMO (1 << 22)
#define TB_MAX_STR (1u << 20)

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

/* Run the pickle m->p[0 .. m->len) to its STOP: *result is the value left on the stack (owned
 * by m). Any opcode or global a state dict does not use is refused with its byte offset. */
hrkd_status vm_run(vm *m, pv **result);
/* every value m made */
void vm_free(vm *m);

#pragma GCC visibility pop

#endif
