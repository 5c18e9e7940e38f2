/* comm/mpi/comm_mpi.c — the MPI communicator (hrkd_comm_mpi.so): ranks are MPI_COMM_WORLD.
 *
 * Every collective is the non-blocking MPI call completed by a polling loop, for two reasons:
 *  - a bound on waiting: a rank that stalls (or dies where the launcher does not notice) makes
 *    the others fail with a message instead of hanging forever;
 *  - a polite wait: after a short spin the loop sleeps, so a waiting rank gives its core back
 *    (on a machine with as many ranks as cores, a spinning rank slows the one it waits for).
 * A rank that exits is normally noticed by mpirun first, which then ends the job and names
 * the lost rank; the timeout covers the rest. */
#include "comm/comm_abi.h"
#include "comm_mpi.h"

#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int mpi_fail(int rc, const char *what, char *err, size_t cap)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS) snprintf(s, sizeof s, "error %d", rc);
    snprintf(err, cap, "%s: %s", what, s);
    return -1;
}

/* Complete req. For the first 2 ms the loop tests and yields (a collective progresses only
 * inside MPI_Test, segment by segment, so sleeping here would add a nap per segment); after
 * that it naps 50 µs between tests, so a rank waiting long for a slower one (a teacher being
 * trained on rank 0, a stalled rank) gives its core back. */
static int wait_req(mpi_self *m, MPI_Request *req, const char *what, double timeout_s, char *err,
                    size_t cap)
{
    const double t0 = now_s(), spin_until = t0 + 2e-3;
    const struct timespec nap = {0, 50000};
    for (;;) {
        int done = 0;
        int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, what, err, cap);
        if (done) return 0;
        double t = now_s();
        if (timeout_s > 0 && t - t0 > timeout_s) {
            snprintf(err, cap, "rank %d of %d: %s waited %.0f s for the other ranks; one of them "
                     "died or stalled (MPI_Request left pending)", m->rank, m->size, what, timeout_s);
            return -1;
        }
        if (t < spin_until) sched_yield();
        else nanosleep(&nap, NULL);
    }
}

const char *mpi_version(void)
{
    static char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    if (!v[0] && MPI_Get_library_version(v, &len) == MPI_SUCCESS) {
        char *nl = strpbrk(v, ",\n");
        if (nl) *nl = '\0';
    }
    return v;
}

int mpi_init(void **out, double timeout_s, char *err, size_t cap)
{
    mpi_self *m = calloc(1, sizeof *m);
    if (!m) { snprintf(err, cap, "out of memory"); return -1; }
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        int rc = MPI_Init(NULL, NULL);
        if (rc != MPI_SUCCESS) { free(m); return mpi_fail(rc, "MPI_Init", err, cap); }
        m->we_initialised = 1;
    }
    /* errors come back as codes (turned into messages) instead of aborting in the library */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    m->timeout_s = timeout_s;
    *out = m;
    return 0;
}

void mpi_finalize(void *self)
{
    mpi_self *m = self;
    if (m->we_initialised) MPI_Finalize();
    free(m);
}

int mpi_rank(void *self) { return ((mpi_self *)self)->rank; }
int mpi_size(void *self) { return ((mpi_self *)self)->size; }

/* MPI counts are int: large buffers go in chunks of at most 2^30 elements */
static int allreduce(mpi_self *m, void *buf, int64_t n, MPI_Datatype t, size_t esz, char *err,
                     size_t cap)
{
    const int64_t chunk = (int64_t)1 << 30;
    for (int64_t off = 0; off < n; off += chunk) {
        int k = (int)(n - off < chunk ? n - off : chunk);
        MPI_Request req;
        int rc = MPI_Iallreduce(MPI_IN_PLACE, (char *)buf + (size_t)off * esz, k, t, MPI_SUM,
                                MPI_COMM_WORLD, &req);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Iallreduce", err, cap);
        if (wait_req(m, &req, "all-reduce", m->timeout_s, err, cap) != 0) return -1;
    }
    return 0;
}

int mpi_allreduce_f32(void *self, float *buf, int64_t n, char *err, size_t cap)
{
    return allreduce(self, buf, n, MPI_FLOAT, sizeof(float), err, cap);
}

int mpi_allreduce_f64(void *self, double *buf, int64_t n, char *err, size_t cap)
{
    return allreduce(self, buf, n, MPI_DOUBLE, sizeof(double), err, cap);
}

int mpi_bcast(void *self, void *buf, size_t bytes, char *err, size_t cap)
{
    mpi_self *m = self;
    const size_t chunk = (size_t)1 << 30;
    for (size_t off = 0; off < bytes; off += chunk) {
        int k = (int)(bytes - off < chunk ? bytes - off : chunk);
        MPI_Request req;
        int rc = MPI_Ibcast((char *)buf + off, k, MPI_BYTE, 0, MPI_COMM_WORLD, &req);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Ibcast", err, cap);
        if (wait_req(m, &req, "broadcast", m->timeout_s, err, cap) != 0) return -1;
    }
    return 0;
}

int mpi_barrier(void *self, double timeout_s, char *err, size_t cap)
{
    MPI_Request req;
    int rc = MPI_Ibarrier(MPI_COMM_WORLD, &req);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Ibarrier", err, cap);
    return wait_req(self, &req, "barrier", timeout_s, err, cap);
}

void mpi_abort(void *self, int code)
{
    (void)self;
    MPI_Abort(MPI_COMM_WORLD, code);
    exit(code); /* MPI_Abort does not return; this keeps the contract if it ever does */
}

#ifndef HRKD_COMM_NO_MPI_ENTRY /* the NCCL library reuses the functions above */
static const hrkd_comm_vtable vtable = {
    .abi_version = HRKD_COMM_ABI_VERSION,
    .struct_size = sizeof(hrkd_comm_vtable),
    .name = "mpi",
    .library_version = mpi_version,
    .init = mpi_init,
    .finalize = mpi_finalize,
    .rank = mpi_rank,
    .size = mpi_size,
    .allreduce_f32 = mpi_allreduce_f32,
    .allreduce_f64 = mpi_allreduce_f64,
    .allreduce_f32_device = NULL,
    .bcast = mpi_bcast,
    .barrier = mpi_barrier,
    .abort = mpi_abort,
};

__attribute__((visibility("default"))) const hrkd_comm_vtable *hrkd_comm_entry(void)
{
    return &vtable;
}
#endif
