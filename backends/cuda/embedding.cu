/* backends/cuda/embedding.cu — embedding gather and its scatter-add backward.
 *
 * Shape letters: table, dtable [V, C]; ids [n] int32 in [0, V) (checked by the host);
 * out, dout [n, C].
 * The backward adds with atomicAdd: repeated ids (the same token twice in a batch, every
 * position id of every sequence) never lose an update, but the order in which a row's
 * contributions arrive varies run to run, so dtable is not bitwise reproducible on the GPU
 * (it is on the CPU). The differences are float rounding, a few ulps.
 */
#include "common.cuh"

/* ---- kernels ---- */

/* out[i,:] = table[ids[i],:] */
__global__ void embedding_fwd_kernel(float *out, const float *table, const int32_t *ids,
                                     int64_t n, int64_t C)
{
    CUDA_FOR(t, n * C) {
        int64_t i = t / C, c = t % C;
        out[t] = table[(int64_t)ids[i] * C + c];
    }
}

/* forward: out[i,:] = table[ids[i],:]  →  dtable[ids[i],:] += dout[i,:] */
__global__ void embedding_bwd_kernel(float *dtable, const float *dout, const int32_t *ids,
                                     int64_t n, int64_t C)
{
    CUDA_FOR(t, n * C) {
        int64_t i = t / C, c = t % C;
        atomicAdd(dtable + (int64_t)ids[i] * C + c, dout[t]);
    }
}

/* ---- launchers ---- */

void cuda_embedding_fwd(float *out, const float *table, const int32_t *ids, int64_t n,
                        int64_t C)
{
    if (n <= 0 || C <= 0) return;
    embedding_fwd_kernel<<<cuda_blocks(n * C), CUDA_THREADS, 0, g_cuda.stream>>>(out, table,
                                                                                 ids, n, C);
    CUDA_CHECK_LAUNCH();
}

void cuda_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int64_t n,
                        int64_t C)
{
    if (n <= 0 || C <= 0) return;
    embedding_bwd_kernel<<<cuda_blocks(n * C), CUDA_THREADS, 0, g_cuda.stream>>>(dtable, dout,
                                                                                 ids, n, C);
    CUDA_CHECK_LAUNCH();
}
