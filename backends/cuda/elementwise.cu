/* backends/cuda/elementwise.cu — pointwise kernels: fill, axpby, binary with broadcast,
 * unary functions (GELU, tanh, ...) and their derivatives, and the 4-D strided copy.
 *
 * Shape letters: N elements. Every kernel is a 64-bit grid-stride loop and each element is
 * computed exactly as backends/cpu/elementwise.c does it (same formulas, same float order;
 * nvcc may fuse a multiply-add where gcc does not, a last-bit difference). Forward kernels
 * may run in place (out == x): every thread reads its element before writing it.
 */
#include "common.cuh"

/* ---- kernels ---- */

__global__ void fill_kernel(float *x, float value, int64_t n)
{
    CUDA_FOR(i, n) x[i] = value;
}

/* y = alpha·x + beta·y; beta = 0 must not read y (it may hold NaN) */
__global__ void axpby_kernel(float *y, const float *x, float alpha, float beta, int64_t n)
{
    if (beta == 0.0f) {
        CUDA_FOR(i, n) y[i] = alpha * x[i];
    } else {
        CUDA_FOR(i, n) y[i] = alpha * x[i] + beta * y[i];
    }
}

/* out[i] (=|+=) a[i] ∘ b[i % nb]; out may alias a (same index) */
__global__ void binary_kernel(hrkd_binary op, float *out, const float *a, const float *b,
                              int64_t n, int64_t nb, int accumulate)
{
    CUDA_FOR(i, n) {
        float av = a[i], bv = b[nb == 1 ? 0 : i % nb];
        float r  = op == HRKD_BINARY_ADD ? av + bv
                 : op == HRKD_BINARY_SUB ? av - bv
                 : op == HRKD_BINARY_MUL ? av * bv
                                         : av / bv;
        if (accumulate) out[i] += r;
        else out[i] = r;
    }
}

#define SQRT1_2      0.70710678118654752440f /* 1/√2 */
#define INV_SQRT_2PI 0.39894228040143267794f /* 1/√(2π) */
#define SQRT_2_PI    0.79788456080286535588f /* √(2/π) */
#define GELU_C       0.044715f

__device__ static inline float unary_value(hrkd_unary op, float v, float alpha)
{
    switch (op) {
    case HRKD_UNARY_GELU_ERF: return 0.5f * v * (1.0f + erff(v * SQRT1_2));
    case HRKD_UNARY_GELU_TANH: return 0.5f * v * (1.0f + tanhf(SQRT_2_PI * (v + GELU_C * v * v * v)));
    case HRKD_UNARY_TANH: return tanhf(v);
    case HRKD_UNARY_RELU: return v > 0.0f ? v : 0.0f;
    case HRKD_UNARY_ELU: return v > 0.0f ? v : alpha * expm1f(v);
    case HRKD_UNARY_LEAKY_RELU: return v > 0.0f ? v : alpha * v;
    case HRKD_UNARY_EXP: return expf(v);
    case HRKD_UNARY_SQUARE: return v * v;
    case HRKD_UNARY_ZERO_BELOW: return v <= alpha ? 0.0f : v;
    case HRKD_UNARY_SQRT: return sqrtf(v);
    case HRKD_UNARY_RSQRT: return 1.0f / sqrtf(v); /* not rsqrtf: the CPU's rounding */
    case HRKD_UNARY_LOG: return logf(v);
    case HRKD_UNARY_CLAMP_MIN: return v < alpha ? alpha : v;
    case HRKD_UNARY_CLAMP_MAX: return v > alpha ? alpha : v;
    default: return 0.0f;
    }
}

/* f'(x), from x or (when y is given and it is cheaper) from y = f(x) */
__device__ static inline float unary_deriv(hrkd_unary op, float v, const float *y, int64_t i,
                                           float alpha)
{
    switch (op) {
    case HRKD_UNARY_GELU_ERF: {
        /* out = x·Φ(x)  →  Φ(x) + x·φ(x) */
        float cdf = 0.5f * (1.0f + erff(v * SQRT1_2));
        float pdf = INV_SQRT_2PI * expf(-0.5f * v * v);
        return cdf + v * pdf;
    }
    case HRKD_UNARY_GELU_TANH: {
        /* out = ½x(1 + tanh u), u = √(2/π)(x + c x³)
         *   →  ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3c x²) */
        float t  = tanhf(SQRT_2_PI * (v + GELU_C * v * v * v));
        float du = SQRT_2_PI * (1.0f + 3.0f * GELU_C * v * v);
        return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du;
    }
    case HRKD_UNARY_TANH: { /* out = tanh x  →  1 − out² */
        float t = y ? y[i] : tanhf(v);
        return 1.0f - t * t;
    }
    case HRKD_UNARY_RELU: return v > 0.0f ? 1.0f : 0.0f;
    case HRKD_UNARY_ELU: return v > 0.0f ? 1.0f : alpha * expf(v); /* α(eˣ − 1) → α eˣ */
    case HRKD_UNARY_LEAKY_RELU: return v > 0.0f ? 1.0f : alpha;
    case HRKD_UNARY_EXP: return y ? y[i] : expf(v); /* out = eˣ → out */
    case HRKD_UNARY_SQUARE: return 2.0f * v;
    case HRKD_UNARY_ZERO_BELOW: return v <= alpha ? 0.0f : 1.0f; /* x <= α ? 0 : x */
    case HRKD_UNARY_SQRT: return 0.5f / (y ? y[i] : sqrtf(v)); /* out = √x → ½ / out */
    case HRKD_UNARY_RSQRT: { /* out = x^(−½) → −½ out³ */
        float r = y ? y[i] : 1.0f / sqrtf(v);
        return -0.5f * r * r * r;
    }
    default: return 0.0f;
    }
}

__global__ void unary_fwd_kernel(hrkd_unary op, float *out, const float *x, int64_t n,
                                 float alpha)
{
    CUDA_FOR(i, n) out[i] = unary_value(op, x[i], alpha);
}

/* dx += dout · f'(x) */
__global__ void unary_bwd_kernel(hrkd_unary op, float *dx, const float *dout, const float *x,
                                 const float *y, int64_t n, float alpha)
{
    CUDA_FOR(i, n) {
        /* relu, zero_below and the clamps select dout rather than multiply by 0/1 (as the
         * CPU does): 0·Inf would be NaN */
        if (op == HRKD_UNARY_RELU) dx[i] += x[i] > 0.0f ? dout[i] : 0.0f;
        else if (op == HRKD_UNARY_ZERO_BELOW) dx[i] += x[i] <= alpha ? 0.0f : dout[i];
        else if (op == HRKD_UNARY_CLAMP_MIN) dx[i] += x[i] >= alpha ? dout[i] : 0.0f;
        else if (op == HRKD_UNARY_CLAMP_MAX) dx[i] += x[i] <= alpha ? dout[i] : 0.0f;
        else if (op == HRKD_UNARY_LOG) dx[i] += dout[i] / x[i]; /* ln x → 1/x, as the CPU */
        else dx[i] += dout[i] * unary_deriv(op, x[i], y, i, alpha);
    }
}

/* 4-D strided copy: dst[i] (=|+=) alpha·src[i] over the index space shape.
 * Where a destination stride is 0 along a dimension of extent > 1, several sources meet in
 * one element: accumulate adds them atomically; a plain copy keeps only the last index along
 * that dimension (what the CPU's in-order loop leaves behind), so no two threads write it. */
struct copy_dims {
    int64_t shape[4], ds[4], ss[4];
    int     last_only[4]; /* non-accumulating copy: write only at index shape[d] − 1 */
};

__global__ void copy_strided_kernel(float *dst, const float *src, copy_dims d, int64_t total,
                                    float alpha, int accumulate, int atomic)
{
    CUDA_FOR(t, total) {
        int64_t rest = t, doff = 0, soff = 0;
        bool skip = false;
        for (int k = 3; k >= 0; k--) {
            int64_t idx = rest % d.shape[k];
            rest /= d.shape[k];
            doff += idx * d.ds[k];
            soff += idx * d.ss[k];
            if (d.last_only[k] && idx != d.shape[k] - 1) skip = true;
        }
        if (skip) continue;
        float v = alpha * src[soff];
        if (!accumulate) dst[doff] = v;
        else if (atomic) atomicAdd(dst + doff, v);
        else dst[doff] += v;
    }
}

/* ---- launchers ---- */

void cuda_fill(float *x, float value, int64_t n)
{
    if (n <= 0) return;
    fill_kernel<<<cuda_blocks(n), CUDA_THREADS, 0, g_cuda.stream>>>(x, value, n);
    CUDA_CHECK_LAUNCH();
}

void cuda_axpby(float *y, const float *x, float alpha, float beta, int64_t n)
{
    if (n <= 0) return;
    axpby_kernel<<<cuda_blocks(n), CUDA_THREADS, 0, g_cuda.stream>>>(y, x, alpha, beta, n);
    CUDA_CHECK_LAUNCH();
}

void cuda_binary(hrkd_binary op, float *out, const float *a, const float *b, int64_t n,
                 int64_t nb, int accumulate)
{
    if (n <= 0 || nb <= 0 || (unsigned)op >= HRKD_BINARY_COUNT) return;
    binary_kernel<<<cuda_blocks(n), CUDA_THREADS, 0, g_cuda.stream>>>(op, out, a, b, n, nb,
                                                                       accumulate);
    CUDA_CHECK_LAUNCH();
}

void cuda_unary_fwd(hrkd_unary op, float *out, const float *x, int64_t n, float alpha)
{
    if (n <= 0 || (unsigned)op >= HRKD_UNARY_COUNT) return;
    unary_fwd_kernel<<<cuda_blocks(n), CUDA_THREADS, 0, g_cuda.stream>>>(op, out, x, n, alpha);
    CUDA_CHECK_LAUNCH();
}

void cuda_unary_bwd(hrkd_unary op, float *dx, const float *dout, const float *x,
                    const float *y, int64_t n, float alpha)
{
    if (n <= 0 || (unsigned)op >= HRKD_UNARY_COUNT) return;
    unary_bwd_kernel<<<cuda_blocks(n), CUDA_THREADS, 0, g_cuda.stream>>>(op, dx, dout, x, y, n,
                                                                          alpha);
    CUDA_CHECK_LAUNCH();
}

void cuda_copy_strided(float *dst, const int64_t dst_stride[4], const float *src,
                       const int64_t src_stride[4], const int64_t shape[4], float alpha,
                       int accumulate)
{
    copy_dims d;
    int64_t total = 1;
    int overlap   = 0;
    for (int k = 0; k < 4; k++) {
        if (shape[k] <= 0) return;
        d.shape[k]     = shape[k];
        d.ds[k]        = dst_stride[k];
        d.ss[k]        = src_stride[k];
        d.last_only[k] = 0;
        total *= shape[k];
        if (shape[k] > 1 && dst_stride[k] == 0) {
            overlap = 1;
            if (!accumulate) d.last_only[k] = 1;
        }
    }
    copy_strided_kernel<<<cuda_blocks(total), CUDA_THREADS, 0, g_cuda.stream>>>(
        dst, src, d, total, alpha, accumulate, overlap && accumulate);
    CUDA_CHECK_LAUNCH();
}
