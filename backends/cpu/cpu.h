/* backends/cpu/cpu.h — private declarations shared by the CPU backend's files.
 *
 * Every kernel here implements one entry of hrkd_kernels (hrkd/backend.h states the exact
 * semantics); the table itself is in backend.c. The backend is built with
 * -fvisibility=hidden, so these names stay inside hrkd_backend_cpu.so.
 *
 * Determinism: every kernel uses static OpenMP schedules and never atomics, and every sum
 * runs in an order fixed by the shapes alone, so results are bitwise identical run to run
 * (and for the reductions, whatever the thread count).
 */
#ifndef HRKD_BACKEND_CPU_H
#define HRKD_BACKEND_CPU_H

#include <stdint.h>

#include "hrkd/backend.h"

/* Below this many elements an elementwise kernel runs on the calling thread: starting the
 * team costs more than the loop. */
#define CPU_PAR_MIN ((int64_t)1 << 15)

static inline int64_t cpu_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t cpu_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t cpu_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* elementwise.c */
void cpu_fill(float *x, float value, int64_t n);
void cpu_axpby(float *y, const float *x, float alpha, float beta, int64_t n);
void cpu_binary(hrkd_binary op, float *out, const float *a, const float *b, int64_t n,
                int64_t nb, int accumulate);
void cpu_unary_fwd(hrkd_unary op, float *out, const float *x, int64_t n, float alpha);
void cpu_unary_bwd(hrkd_unary op, float *dx, const float *dout, const float *x, const float *y,
                   int64_t n, float alpha);
void cpu_copy_strided(float *dst, const int64_t dst_stride[4], const float *src,
                      const int64_t src_stride[4], const int64_t shape[4], float alpha,
                      int accumulate);
void cpu_dropout_fwd(float *out, const float *x, int64_t n, float p, uint64_t seed,
                     uint64_t offset);
void cpu_dropout_bwd(float *dx, const float *dout, int64_t n, float p, uint64_t seed,
                     uint64_t offset);
void cpu_adamw(float *p, const float *grad, float *m, float *v, int64_t n, float lr,
               float beta1, float beta2, float eps, float weight_decay, float bc1, float bc2,
               float grad_scale);

/* reduce.c */
void cpu_reduce_sum(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                    float alpha, int accumulate);
void cpu_broadcast_acc(float *out, const float *x, int64_t outer, int64_t n, int64_t inner,
                       float alpha);
double cpu_sum_squares(const float *x, int64_t n);
void cpu_mse_fwd(float *out, const float *a, const float *b, int64_t n);
void cpu_mse_bwd(float *da, float *db, const float *dout, const float *a, const float *b,
                 int64_t n);
void cpu_nll_fwd(float *out, const float *logp, const int32_t *labels, int64_t rows, int64_t C);
void cpu_nll_bwd(float *dlogp, const float *dout, const int32_t *labels, int64_t rows,
                 int64_t C);

/* gemm.c */
void cpu_gemm(const hrkd_gemm *g);

/* nn.c */
void cpu_layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                       const float *b, int64_t rows, int64_t C, float eps);
void cpu_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                       const float *w, const float *mean, const float *rstd, int64_t rows,
                       int64_t C);
void cpu_softmax_fwd(float *out, const float *x, const float *mask, int64_t rows, int64_t n,
                     int64_t rows_per_mask, int log_out);
void cpu_softmax_bwd(float *dx, const float *dout, const float *y, int64_t rows, int64_t n,
                     int log_out);
void cpu_embedding_fwd(float *out, const float *table, const int32_t *ids, int64_t n, int64_t C);
void cpu_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int64_t n,
                       int64_t C);

#endif /* HRKD_BACKEND_CPU_H */
