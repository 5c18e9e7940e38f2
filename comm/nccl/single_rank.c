/* comm/nccl/single_rank.c — the functions of comm/mpi/comm_mpi.h for a job of one rank, linked
 * into hrkd_comm_nccl.so where the build found no MPI. The NCCL communicator then starts
 * without a launcher: rank 0 of 1, the unique id needs no broadcast, and every host-memory
 * collective over one rank leaves its buffer as it is. A process started by a launcher for more
 * than one rank is refused with a message, since it could not meet the others. */
#include "../mpi/comm_mpi.h"

#include <stdio.h>
#include <stdlib.h>

const char *mpi_version(void) { return "no MPI (one rank)"; }

/* The world size a launcher announces through the environment (Open MPI, MPICH/Hydra, Slurm, PMIx). */
static int launcher_size(void)
{
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"};
    int n = 1;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > n) n = atoi(v);
    }
    return n;
}

int mpi_init(void **out, double timeout_s, char *err, size_t cap)
{
    int n = launcher_size();
    if (n > 1) {
        snprintf(err, cap, "this hrkd_comm_nccl.so was built without MPI and runs one rank only, "
                 "but the launcher started %d; rebuild with Open MPI (libopenmpi-dev) present", n);
        return -1;
    }
    mpi_self *m = calloc(1, sizeof *m);
    if (!m) { snprintf(err, cap, "out of memory"); return -1; }
    m->rank = 0;
    m->size = 1;
    m->timeout_s = timeout_s;
    *out = m;
    return 0;
}

void mpi_finalize(void *self) { free(self); }
int  mpi_rank(void *self) { return ((mpi_self *)self)->rank; }
int  mpi_size(void *self) { return ((mpi_self *)self)->size; }

/* The sum, broadcast and barrier over one rank: nothing to do. */
int mpi_allreduce_f32(void *self, float *buf, int64_t n, char *err, size_t cap) { return 0; }
int mpi_allreduce_f64(void *self, double *buf, int64_t n, char *err, size_t cap) { return 0; }
int mpi_bcast(void *self, void *buf, size_t bytes, char *err, size_t cap) { return 0; }
int mpi_barrier(void *self, double timeout_s, char *err, size_t cap) { return 0; }

/* As MPI_Abort for a job of one process: end it with the code. */
void mpi_abort(void *self, int code)
{
    (void)self;
    exit(code);
}
