/* host/comm/comm.h — the communicator of a data-parallel run, as libhrkd sees it.
 *
 * A NULL hrkd_comm * is a valid communicator of one rank: rank 0 of 1, collectives are no-ops.
 * So single-process code paths never test for MPI; they call these and the calls vanish.
 *
 * Selection ([run] comm): none: one process; mpi / nccl: load lib/hrkd/comm/
 * hrkd_comm_<name>.so (searched in $HRKD_COMM_PATH first); auto: mpi when a launcher started
 * this process (OMPI_COMM_WORLD_SIZE or PMI_SIZE in the environment), else none. */
#ifndef HRKD_COMM_COMM_H
#define HRKD_COMM_COMM_H

#include "hrkd/status.h"
#include "hrkd/backend.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hrkd_comm hrkd_comm;

/* *out stays NULL for "none" (or "auto" without a launcher). timeout_s bounds every
 * collective (0: none). */
HRKD_API hrkd_status hrkd_comm_open(const char *kind, double timeout_s, hrkd_comm **out,
                                    hrkd_error *err);
HRKD_API void hrkd_comm_close(hrkd_comm *c);
HRKD_API int hrkd_comm_rank(const hrkd_comm *c);
HRKD_API int hrkd_comm_size(const hrkd_comm *c);
HRKD_API const char *hrkd_comm_name(const hrkd_comm *c);   /* "none" for NULL */
/* "mpi" when an MPI launcher's environment variable (OMPI_COMM_WORLD_SIZE, PMI_SIZE,
 * PMIX_SIZE) is present, else NULL. */
HRKD_API const char *hrkd_comm_launcher(void);
/* This process's rank as the launcher's environment gives it, without joining the job;
 * 0 when no launcher started the process. */
HRKD_API int hrkd_comm_launcher_rank(void);

/* Sums over ranks, in place, host memory. */
HRKD_API hrkd_status hrkd_comm_allreduce_f32(hrkd_comm *c, float *buf, int64_t n, hrkd_error *err);
HRKD_API hrkd_status hrkd_comm_allreduce_f64(hrkd_comm *c, double *buf, int64_t n, hrkd_error *err);
/* Sum of backend memory (k: the backend holding it): in place on the device when the library
 * can (NCCL), else staged through host memory (CPU backend memory is host memory: no copy). */
HRKD_API hrkd_status hrkd_comm_allreduce_backend(hrkd_comm *c, const hrkd_kernels *k, float *buf,
                                                 int64_t n, hrkd_error *err);
/* Rank 0's host bytes to every rank. */
HRKD_API hrkd_status hrkd_comm_bcast(hrkd_comm *c, void *buf, size_t bytes, hrkd_error *err);
/* timeout_s < 0: the communicator's own timeout; 0: none */
HRKD_API hrkd_status hrkd_comm_barrier(hrkd_comm *c, double timeout_s, hrkd_error *err);
/* Ends every rank (no return) when c has more than one rank; else returns. */
HRKD_API void hrkd_comm_abort(hrkd_comm *c, int code);

/* Time spent in allreduce_backend (seconds) and the number of calls, since open. */
HRKD_API double hrkd_comm_reduce_seconds(const hrkd_comm *c);
HRKD_API int64_t hrkd_comm_reduce_calls(const hrkd_comm *c);
/* With HRKD_COMM_PROFILE=1 in the environment every gradient all-reduce is preceded by a
 * barrier: reduce_seconds is then the transfer alone and skew_seconds the time spent waiting
 * for the slowest rank to finish its backward (scripts/bench_mpi.sh). */
HRKD_API double hrkd_comm_skew_seconds(const hrkd_comm *c);

/* Names of the comm libraries in the build's folder, space-separated, into buf; returns the
 * folder searched. */
HRKD_API const char *hrkd_comm_list(char *buf, size_t cap, char *dir, size_t dir_cap);

#endif
