/* comm/mpi/comm_mpi.h — the MPI communicator's functions, shared with the NCCL library (which
 * sets NCCL up through MPI and keeps MPI for host-memory collectives). Hidden symbols. */
#ifndef HRKD_COMM_MPI_H
#define HRKD_COMM_MPI_H

#include <stddef.h>
#include <stdint.h>

typedef struct mpi_self {
    int    rank, size;
    double timeout_s;
    int    we_initialised; /* MPI_Finalize only what we initialised */
} mpi_self;

const char *mpi_version(void);
int  mpi_init(void **out, double timeout_s, char *err, size_t cap);
void mpi_finalize(void *self);
int  mpi_rank(void *self);
int  mpi_size(void *self);
int  mpi_allreduce_f32(void *self, float *buf, int64_t n, char *err, size_t cap);
int  mpi_allreduce_f64(void *self, double *buf, int64_t n, char *err, size_t cap);
int  mpi_bcast(void *self, void *buf, size_t bytes, char *err, size_t cap);
int  mpi_barrier(void *self, double timeout_s, char *err, size_t cap);
void mpi_abort(void *self, int code);

#endif
