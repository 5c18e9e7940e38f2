/* backends/cuda/adamw.cu — the AdamW update (decoupled weight decay, PyTorch semantics).
 *
 * Shape letters: N elements of p, grad, m, v (one parameter buffer and its mirrors).
 *   g = grad·grad_scale; m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²
 *   p −= lr·wd·p;  p −= lr · (m/bc1) / (sqrt(v/bc2) + eps)
 * In the same order as backends/cpu/elementwise.c: decay first, then the Adam step. sqrtf
 * and the divisions are IEEE-rounded (nvcc's defaults); only multiply-add fusion differs.
 */
#include "common.cuh"

/* ---- kernels ---- */

__global__ void adamw_kernel(float *p, const float *grad, float *m, float *v, int64_t n,
                             float lr, float beta1, float beta2, float eps, float decay,
                             float bc1, float bc2, float grad_scale)
{
    CUDA_FOR(i, n) {
        float g  = grad[i] * grad_scale;
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i]     = mi;
        v[i]     = vi;
        float pi = p[i] - decay * p[i];
        p[i]     = pi - lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
    }
}

/* ---- launchers ---- */

void cuda_adamw(float *p, const float *grad, float *m, float *v, int64_t n, float lr,
                float beta1, float beta2, float eps, float weight_decay, float bc1, float bc2,
                float grad_scale)
{
    if (n <= 0) return;
    adamw_kernel<<<cuda_blocks(n), CUDA_THREADS, 0, g_cuda.stream>>>(
        p, grad, m, v, n, lr, beta1, beta2, eps, lr * weight_decay, bc1, bc2, grad_scale);
    CUDA_CHECK_LAUNCH();
}
