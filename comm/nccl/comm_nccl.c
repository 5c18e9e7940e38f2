/* comm/nccl/comm_nccl.c — the NCCL communicator (hrkd_comm_nccl.so): one rank per GPU.
 *
 * The gradient all-reduce runs in NCCL on the CUDA backend's device buffers (no host copy);
 * everything else — rank and size, the rendezvous, host-memory sums, broadcasts of
 * checkpoints, barriers — goes through MPI (comm/mpi/comm_mpi.c, linked into this library).
 * Rendezvous: rank 0 creates the ncclUniqueId and MPI broadcasts it; every rank then calls
 * ncclCommInitRank. Device: the rank's index among the ranks of its machine
 * (OMPI_COMM_WORLD_LOCAL_RANK) modulo the visible devices, handed to the CUDA backend through
 * HRKD_CUDA_DEVICE (unless already set) — so launch one rank per GPU. A collective that does not finish within the timeout aborts the NCCL
 * communicator and fails with a message (NCCL itself would wait forever). */
#include "comm/comm_abi.h"
#include "../mpi/comm_mpi.h"

#include <cuda_runtime.h>
#include <nccl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct nccl_self {
    void        *mpi;  /* mpi_self */
    ncclComm_t   comm;
    cudaStream_t stream;
    int          rank, size;
    double       timeout_s;
} nccl_self;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *nccl_version(void)
{
    static char v[96];
    int n = 0;
    if (!v[0] && ncclGetVersion(&n) == ncclSuccess)
        snprintf(v, sizeof v, "NCCL %d.%d.%d + %s", n / 10000, (n / 100) % 100, n % 100, mpi_version());
    return v;
}

static int pick_device(char *err, size_t cap)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        snprintf(err, cap, "no CUDA device for NCCL (%s)", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return -1;
    }
    const char *lr = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
    if (!lr) lr = getenv("MPI_LOCALRANKID");
    int dev = lr ? atoi(lr) % count : 0;
    e = cudaSetDevice(dev);
    if (e != cudaSuccess) { snprintf(err, cap, "cudaSetDevice(%d): %s", dev, cudaGetErrorString(e)); return -1; }
    /* the CUDA backend has its own copy of the runtime (nvcc links it statically): tell it */
    char v[16];
    snprintf(v, sizeof v, "%d", dev);
    setenv("HRKD_CUDA_DEVICE", v, 0);
    return 0;
}

static int nccl_init(void **out, double timeout_s, char *err, size_t cap)
{
    nccl_self *s = calloc(1, sizeof *s);
    if (!s) { snprintf(err, cap, "out of memory"); return -1; }
    s->timeout_s = timeout_s;
    if (mpi_init(&s->mpi, timeout_s, err, cap) != 0) { free(s); return -1; }
    s->rank = mpi_rank(s->mpi);
    s->size = mpi_size(s->mpi);
    ncclUniqueId id;
    memset(&id, 0, sizeof id);
    int bad = pick_device(err, cap) != 0;
    if (!bad && s->rank == 0 && ncclGetUniqueId(&id) != ncclSuccess) {
        snprintf(err, cap, "ncclGetUniqueId failed");
        bad = 1;
    }
    /* every rank learns whether any rank failed before anyone waits in ncclCommInitRank */
    double anybad = bad;
    char e2[256];
    if (mpi_allreduce_f64(s->mpi, &anybad, 1, e2, sizeof e2) != 0 || anybad > 0 ||
        mpi_bcast(s->mpi, &id, sizeof id, e2, sizeof e2) != 0) {
        if (!bad) snprintf(err, cap, "another rank could not set up NCCL");
        mpi_finalize(s->mpi);
        free(s);
        return -1;
    }
    ncclResult_t r = ncclCommInitRank(&s->comm, s->size, id, s->rank);
    if (r == ncclSuccess && cudaStreamCreate(&s->stream) != cudaSuccess) r = ncclUnhandledCudaError;
    if (r != ncclSuccess) {
        snprintf(err, cap, "ncclCommInitRank (rank %d of %d): %s", s->rank, s->size, ncclGetErrorString(r));
        mpi_finalize(s->mpi);
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

static void nccl_finalize(void *self)
{
    nccl_self *s = self;
    ncclCommDestroy(s->comm);
    cudaStreamDestroy(s->stream);
    mpi_finalize(s->mpi);
    free(s);
}

static int nccl_rank(void *self) { return ((nccl_self *)self)->rank; }
static int nccl_size(void *self) { return ((nccl_self *)self)->size; }

/* Wait for the stream, watching NCCL's asynchronous error and the timeout. */
static int nccl_wait(nccl_self *s, char *err, size_t cap)
{
    double t0 = now_s();
    struct timespec nap = {0, 20000};
    for (;;) {
        cudaError_t e = cudaStreamQuery(s->stream);
        if (e == cudaSuccess) return 0;
        if (e != cudaErrorNotReady) {
            snprintf(err, cap, "rank %d: all-reduce stream: %s", s->rank, cudaGetErrorString(e));
            return -1;
        }
        ncclResult_t ar = ncclSuccess;
        ncclCommGetAsyncError(s->comm, &ar);
        if (ar != ncclSuccess || (s->timeout_s > 0 && now_s() - t0 > s->timeout_s)) {
            ncclCommAbort(s->comm);
            snprintf(err, cap, "rank %d of %d: NCCL all-reduce %s; one of the ranks died or stalled",
                     s->rank, s->size, ar != ncclSuccess ? ncclGetErrorString(ar) : "timed out");
            return -1;
        }
        nanosleep(&nap, NULL);
    }
}

static int nccl_allreduce_device(void *self, float *dev, int64_t n, char *err, size_t cap)
{
    nccl_self *s = self;
    ncclResult_t r = ncclAllReduce(dev, dev, (size_t)n, ncclFloat32, ncclSum, s->comm, s->stream);
    if (r != ncclSuccess) {
        snprintf(err, cap, "ncclAllReduce (rank %d): %s", s->rank, ncclGetErrorString(r));
        return -1;
    }
    return nccl_wait(s, err, cap);
}

static int nccl_allreduce_f32(void *self, float *buf, int64_t n, char *err, size_t cap)
{
    return mpi_allreduce_f32(((nccl_self *)self)->mpi, buf, n, err, cap);
}
static int nccl_allreduce_f64(void *self, double *buf, int64_t n, char *err, size_t cap)
{
    return mpi_allreduce_f64(((nccl_self *)self)->mpi, buf, n, err, cap);
}
static int nccl_bcast(void *self, void *buf, size_t bytes, char *err, size_t cap)
{
    return mpi_bcast(((nccl_self *)self)->mpi, buf, bytes, err, cap);
}
static int nccl_barrier(void *self, double timeout_s, char *err, size_t cap)
{
    return mpi_barrier(((nccl_self *)self)->mpi, timeout_s, err, cap);
}
static void nccl_abort(void *self, int code)
{
    nccl_self *s = self;
    ncclCommAbort(s->comm);
    mpi_abort(s->mpi, code);
}

static const hrkd_comm_vtable vtable = {
    .abi_version = HRKD_COMM_ABI_VERSION,
    .struct_size = sizeof(hrkd_comm_vtable),
    .name = "nccl",
    .library_version = nccl_version,
    .init = nccl_init,
    .finalize = nccl_finalize,
    .rank = nccl_rank,
    .size = nccl_size,
    .allreduce_f32 = nccl_allreduce_f32,
    .allreduce_f64 = nccl_allreduce_f64,
    .allreduce_f32_device = nccl_allreduce_device,
    .bcast = nccl_bcast,
    .barrier = nccl_barrier,
    .abort = nccl_abort,
};

__attribute__((visibility("default"))) const hrkd_comm_vtable *hrkd_comm_entry(void)
{
    return &vtable;
}
