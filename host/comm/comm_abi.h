/* host/comm/comm_abi.h — the table a communicator library (comm/<name>/, built into
 * lib/hrkd/comm/hrkd_comm_<name>.so) exports to libhrkd. Private to hrkd: the host and the
 * bundled comm libraries are built together, so the table carries a version and a size but no
 * promise to third parties.
 *
 * Why a separate shared object: the host must build and run where MPI or NCCL is absent, and
 * an MPI library must not be initialised by a process that was not started by a launcher. So
 * libhrkd never links MPI; it dlopens this library only when asked ([run] comm) or when the
 * environment says a launcher started it (OMPI_COMM_WORLD_SIZE, PMI_SIZE).
 *
 * Contract of every function that returns int: 0 on success; otherwise non-zero with a
 * one-line message in err[0..cap). Collectives are called by every rank in the same order.
 * A collective that waits longer than timeout_s (> 0) fails with a message naming this rank;
 * 0 means wait forever. */
#ifndef HRKD_COMM_ABI_H
#define HRKD_COMM_ABI_H

#include <stddef.h>
#include <stdint.h>

#define HRKD_COMM_ABI_VERSION 1u
#define HRKD_COMM_ENTRY       "hrkd_comm_entry"

typedef struct hrkd_comm_vtable {
    uint32_t    abi_version;  /* HRKD_COMM_ABI_VERSION */
    uint32_t    struct_size;  /* sizeof(hrkd_comm_vtable) */
    const char *name;         /* "mpi", "nccl" */
    /* library version, e.g. "Open MPI v4.1.4" (static storage) */
    const char *(*library_version)(void);
    int  (*init)(void **self, double timeout_s, char *err, size_t cap);
    void (*finalize)(void *self);
    int  (*rank)(void *self);
    int  (*size)(void *self);
    /* element-wise sum over ranks, in place, host memory */
    int  (*allreduce_f32)(void *self, float *buf, int64_t n, char *err, size_t cap);
    int  (*allreduce_f64)(void *self, double *buf, int64_t n, char *err, size_t cap);
    /* sum over ranks in place of device memory (the CUDA backend's), or NULL when the library
     * works on host memory only (the caller stages through the host) */
    int  (*allreduce_f32_device)(void *self, float *dev, int64_t n, char *err, size_t cap);
    /* rank 0's bytes to every rank, host memory */
    int  (*bcast)(void *self, void *buf, size_t bytes, char *err, size_t cap);
    /* timeout_s: this call's own limit (0: wait forever), e.g. while rank 0 trains a teacher */
    int  (*barrier)(void *self, double timeout_s, char *err, size_t cap);
    /* end every rank of the job now with this exit code (does not return) */
    void (*abort)(void *self, int code);
} hrkd_comm_vtable;

typedef const hrkd_comm_vtable *(*hrkd_comm_entry_fn)(void);

#endif
