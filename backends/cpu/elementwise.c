/* backends/cpu/elementwise.c — pointwise kernels: fill, axpby, binary, unary (GELU, tanh,
 * ...) and their derivatives, 4-D strided copy, dropout with the shared counter RNG, AdamW.
 *
 * Shape letters: N elements. Each loop is split statically over OpenMP threads once it is
 * large enough (CPU_PAR_MIN); the bodies carry `omp simd` so gcc -O2 vectorises them
 * without -ffast-math (the simd cost model is unlimited, -O2's is "very cheap").
 * No element's value depends on how the range is split. Forward kernels may run in place
 * (out == x): each element is read before it is written, and `omp simd` permits that.
 */
#include <math.h>
#include <string.h>

#include "cpu.h"

void cpu_fill(float *restrict x, float value, int64_t n)
{
#pragma omp parallel for simd schedule(static) if (n >= CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) x[i] = value;
}

void cpu_axpby(float *y, const float *x, float alpha, float beta, int64_t n)
{
    if (beta == 0.0f) {
        /* beta = 0 must not read y: it may hold NaN (0·NaN = NaN). */
#pragma omp parallel for simd schedule(static) if (n >= CPU_PAR_MIN)
        for (int64_t i = 0; i < n; i++) y[i] = alpha * x[i];
    } else {
#pragma omp parallel for simd schedule(static) if (n >= CPU_PAR_MIN)
        for (int64_t i = 0; i < n; i++) y[i] = alpha * x[i] + beta * y[i];
    }
}

/* ---- binary: out[i] (=|+=) a[i] ∘ b[i % nb] ---- */

/* out[i] = EXPR, or out[i] += EXPR when accumulate; i, out, len, accumulate in scope */
#define BINARY_LOOP(EXPR)                                                                   \
    do {                                                                                    \
        if (accumulate) {                                                                   \
            _Pragma("omp simd") for (int64_t i = 0; i < len; i++) out[i] += (EXPR);         \
        } else {                                                                            \
            _Pragma("omp simd") for (int64_t i = 0; i < len; i++) out[i] = (EXPR);          \
        }                                                                                   \
    } while (0)

/* One run of len elements where b is contiguous (no wrap-around inside the run).
 * out may alias a exactly (same index), which `omp simd` allows. */
static void binary_run(hrkd_binary op, float *out, const float *a, const float *b, int64_t len,
                       int accumulate)
{
    switch (op) {
    case HRKD_BINARY_ADD: BINARY_LOOP(a[i] + b[i]); break;
    case HRKD_BINARY_SUB: BINARY_LOOP(a[i] - b[i]); break;
    case HRKD_BINARY_MUL: BINARY_LOOP(a[i] * b[i]); break;
    case HRKD_BINARY_DIV: BINARY_LOOP(a[i] / b[i]); break;
    default: break;
    }
}

/* Scalar broadcast (nb == 1): the common "scale by a tensor holding one value". */
static void binary_scalar(hrkd_binary op, float *out, const float *a, float s, int64_t len,
                          int accumulate)
{
    switch (op) {
    case HRKD_BINARY_ADD: BINARY_LOOP(a[i] + s); break;
    case HRKD_BINARY_SUB: BINARY_LOOP(a[i] - s); break;
    case HRKD_BINARY_MUL: BINARY_LOOP(a[i] * s); break;
    case HRKD_BINARY_DIV: BINARY_LOOP(a[i] / s); break;
    default: break;
    }
}
#undef BINARY_LOOP

#define BINARY_CHUNK ((int64_t)1 << 14)

void cpu_binary(hrkd_binary op, float *out, const float *a, const float *b, int64_t n,
                int64_t nb, int accumulate)
{
    if (n <= 0 || nb <= 0) return;
    int64_t chunks = cpu_ceil_div(n, BINARY_CHUNK);
#pragma omp parallel for schedule(static) if (n >= CPU_PAR_MIN)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t lo = c * BINARY_CHUNK, hi = cpu_min64(n, lo + BINARY_CHUNK);
        if (nb == 1) {
            binary_scalar(op, out + lo, a + lo, b[0], hi - lo, accumulate);
            continue;
        }
        /* Walk [lo, hi) in runs that do not wrap around b. */
        int64_t j = lo % nb;
        for (int64_t i = lo; i < hi;) {
            int64_t len = cpu_min64(hi - i, nb - j);
            binary_run(op, out + i, a + i, b + j, len, accumulate);
            i += len;
            j = 0;
        }
    }
}

/* ---- unary ---- */

#define SQRT1_2   0.70710678118654752440f /* 1/√2 */
#define INV_SQRT_2PI 0.39894228040143267794f /* 1/√(2π) */
#define SQRT_2_PI 0.79788456080286535588f /* √(2/π) */
#define GELU_C    0.044715f

void cpu_unary_fwd(hrkd_unary op, float *out, const float *x, int64_t n, float alpha)
{
    int par = n >= CPU_PAR_MIN;
    switch (op) {
    case HRKD_UNARY_GELU_ERF:
#pragma omp parallel for schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = 0.5f * x[i] * (1.0f + erff(x[i] * SQRT1_2));
        break;
    case HRKD_UNARY_GELU_TANH:
#pragma omp parallel for schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) {
            float v = x[i];
            out[i] = 0.5f * v * (1.0f + tanhf(SQRT_2_PI * (v + GELU_C * v * v * v)));
        }
        break;
    case HRKD_UNARY_TANH:
#pragma omp parallel for schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = tanhf(x[i]);
        break;
    case HRKD_UNARY_RELU:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case HRKD_UNARY_ELU:
#pragma omp parallel for schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = x[i] > 0.0f ? x[i] : alpha * expm1f(x[i]);
        break;
    case HRKD_UNARY_LEAKY_RELU:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
        break;
    case HRKD_UNARY_EXP:
#pragma omp parallel for schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = expf(x[i]);
        break;
    case HRKD_UNARY_SQUARE:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = x[i] * x[i];
        break;
    case HRKD_UNARY_ZERO_BELOW:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = x[i] <= alpha ? 0.0f : x[i];
        break;
    case HRKD_UNARY_SQRT:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = sqrtf(x[i]);
        break;
    case HRKD_UNARY_RSQRT:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = 1.0f / sqrtf(x[i]);
        break;
    case HRKD_UNARY_LOG:
#pragma omp parallel for schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = logf(x[i]);
        break;
    case HRKD_UNARY_CLAMP_MIN:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = x[i] < alpha ? alpha : x[i];
        break;
    case HRKD_UNARY_CLAMP_MAX:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) out[i] = x[i] > alpha ? alpha : x[i];
        break;
    default: break;
    }
}

void cpu_unary_bwd(hrkd_unary op, float *restrict dx, const float *restrict dout,
                   const float *restrict x, const float *restrict y, int64_t n, float alpha)
{
    int par = n >= CPU_PAR_MIN;
    switch (op) {
    case HRKD_UNARY_GELU_ERF:
        /* out = x·Φ(x)  →  Φ(x) + x·φ(x) */
#pragma omp parallel for schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) {
            float v   = x[i];
            float cdf = 0.5f * (1.0f + erff(v * SQRT1_2));
            float pdf = INV_SQRT_2PI * expf(-0.5f * v * v);
            dx[i] += dout[i] * (cdf + v * pdf);
        }
        break;
    case HRKD_UNARY_GELU_TANH:
        /* out = ½x(1 + tanh u), u = √(2/π)(x + c x³)
         *   →  ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3c x²) */
#pragma omp parallel for schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) {
            float v  = x[i];
            float t  = tanhf(SQRT_2_PI * (v + GELU_C * v * v * v));
            float du = SQRT_2_PI * (1.0f + 3.0f * GELU_C * v * v);
            dx[i] += dout[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
        }
        break;
    case HRKD_UNARY_TANH:
        /* out = tanh x  →  1 − out² */
        if (y) {
#pragma omp parallel for simd schedule(static) if (par)
            for (int64_t i = 0; i < n; i++) dx[i] += dout[i] * (1.0f - y[i] * y[i]);
        } else {
#pragma omp parallel for schedule(static) if (par)
            for (int64_t i = 0; i < n; i++) {
                float t = tanhf(x[i]);
                dx[i] += dout[i] * (1.0f - t * t);
            }
        }
        break;
    case HRKD_UNARY_RELU:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += x[i] > 0.0f ? dout[i] : 0.0f;
        break;
    case HRKD_UNARY_ELU:
        /* out = x > 0 ? x : α(eˣ − 1)  →  x > 0 ? 1 : α eˣ */
#pragma omp parallel for schedule(static) if (par)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dout[i] * (x[i] > 0.0f ? 1.0f : alpha * expf(x[i]));
        break;
    case HRKD_UNARY_LEAKY_RELU:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += dout[i] * (x[i] > 0.0f ? 1.0f : alpha);
        break;
    case HRKD_UNARY_EXP:
        /* out = eˣ  →  out */
        if (y) {
#pragma omp parallel for simd schedule(static) if (par)
            for (int64_t i = 0; i < n; i++) dx[i] += dout[i] * y[i];
        } else {
#pragma omp parallel for schedule(static) if (par)
            for (int64_t i = 0; i < n; i++) dx[i] += dout[i] * expf(x[i]);
        }
        break;
    case HRKD_UNARY_SQUARE:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += dout[i] * (2.0f * x[i]);
        break;
    case HRKD_UNARY_ZERO_BELOW:
        /* out = x <= α ? 0 : x */
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += x[i] <= alpha ? 0.0f : dout[i];
        break;
    case HRKD_UNARY_SQRT:
        /* out = √x  →  ½ / out */
        if (y) {
#pragma omp parallel for simd schedule(static) if (par)
            for (int64_t i = 0; i < n; i++) dx[i] += dout[i] * (0.5f / y[i]);
        } else {
#pragma omp parallel for simd schedule(static) if (par)
            for (int64_t i = 0; i < n; i++) dx[i] += dout[i] * (0.5f / sqrtf(x[i]));
        }
        break;
    case HRKD_UNARY_RSQRT:
        /* out = x^(−½)  →  −½ out³ */
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) {
            float r = y ? y[i] : 1.0f / sqrtf(x[i]);
            dx[i] += dout[i] * (-0.5f * r * r * r);
        }
        break;
    case HRKD_UNARY_LOG:
        /* out = ln x  →  1/x */
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += dout[i] / x[i];
        break;
    case HRKD_UNARY_CLAMP_MIN:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += x[i] >= alpha ? dout[i] : 0.0f;
        break;
    case HRKD_UNARY_CLAMP_MAX:
#pragma omp parallel for simd schedule(static) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += x[i] <= alpha ? dout[i] : 0.0f;
        break;
    default: break;
    }
}

/* ---- 4-D strided copy ---- */

/* Drops unit dimensions and merges neighbours that are contiguous on both sides, so that a
 * dense copy becomes one long run. Returns the number of dimensions kept (0..4), outermost
 * first; shape/strides are written to the *_out arrays. */
static int copy_normalise(const int64_t shape[4], const int64_t ds[4], const int64_t ss[4],
                          int64_t sh_out[4], int64_t ds_out[4], int64_t ss_out[4])
{
    int nd = 0;
    for (int d = 0; d < 4; d++) {
        if (shape[d] == 1) continue;
        if (nd > 0 && ds_out[nd - 1] == ds[d] * shape[d] && ss_out[nd - 1] == ss[d] * shape[d]) {
            sh_out[nd - 1] *= shape[d];
            ds_out[nd - 1] = ds[d];
            ss_out[nd - 1] = ss[d];
            continue;
        }
        sh_out[nd] = shape[d];
        ds_out[nd] = ds[d];
        ss_out[nd] = ss[d];
        nd++;
    }
    return nd;
}

/* One innermost run: len elements, strides dsi/ssi. */
static void copy_run(float *dst, int64_t dsi, const float *src, int64_t ssi, int64_t len,
                     float alpha, int accumulate)
{
    if (dsi == 1 && ssi == 1) {
        if (accumulate) {
#pragma omp simd
            for (int64_t i = 0; i < len; i++) dst[i] += alpha * src[i];
        } else if (alpha == 1.0f) {
            memcpy(dst, src, (size_t)len * sizeof(float));
        } else {
#pragma omp simd
            for (int64_t i = 0; i < len; i++) dst[i] = alpha * src[i];
        }
        return;
    }
    if (accumulate) {
        for (int64_t i = 0; i < len; i++) dst[i * dsi] += alpha * src[i * ssi];
    } else {
        for (int64_t i = 0; i < len; i++) dst[i * dsi] = alpha * src[i * ssi];
    }
}

void cpu_copy_strided(float *dst, const int64_t dst_stride[4], const float *src,
                      const int64_t src_stride[4], const int64_t shape[4], float alpha,
                      int accumulate)
{
    for (int d = 0; d < 4; d++)
        if (shape[d] <= 0) return;
    int64_t sh[4] = {1, 1, 1, 1}, ds[4] = {0, 0, 0, 0}, ss[4] = {0, 0, 0, 0};
    int nd = copy_normalise(shape, dst_stride, src_stride, sh, ds, ss);
    if (nd == 0) { /* a single element */
        copy_run(dst, 1, src, 1, 1, alpha, accumulate);
        return;
    }
    /* Right-align into 4 dims: dims [0, 4-nd) get extent 1. */
    int64_t S[4] = {1, 1, 1, 1}, D[4] = {0, 0, 0, 0}, R[4] = {0, 0, 0, 0};
    for (int d = 0; d < nd; d++) {
        S[4 - nd + d] = sh[d];
        D[4 - nd + d] = ds[d];
        R[4 - nd + d] = ss[d];
    }
    int64_t total = S[0] * S[1] * S[2] * S[3];
    if (nd == 1 && total >= CPU_PAR_MIN && D[3] != 0) {
        /* One long run (a dense copy): split it over threads. */
        int64_t chunks = cpu_ceil_div(total, BINARY_CHUNK);
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < chunks; c++) {
            int64_t lo = c * BINARY_CHUNK, len = cpu_min64(total - lo, BINARY_CHUNK);
            copy_run(dst + lo * D[3], D[3], src + lo * R[3], R[3], len, alpha, accumulate);
        }
        return;
    }
    /* Every (i0, i1, i2) is one innermost run of S[3] elements. Distinct runs write distinct
     * destinations unless a destination stride is 0 (several sources summed into one
     * element): that case runs on one thread, in index order. */
    int dst_overlaps = 0;
    for (int d = 0; d < 4; d++)
        if (S[d] > 1 && D[d] == 0) dst_overlaps = 1;
#pragma omp parallel for collapse(3) schedule(static) if (total >= CPU_PAR_MIN && !dst_overlaps)
    for (int64_t i0 = 0; i0 < S[0]; i0++)
        for (int64_t i1 = 0; i1 < S[1]; i1++)
            for (int64_t i2 = 0; i2 < S[2]; i2++)
                copy_run(dst + i0 * D[0] + i1 * D[1] + i2 * D[2], D[3],
                         src + i0 * R[0] + i1 * R[1] + i2 * R[2], R[3], S[3], alpha,
                         accumulate);
}

/* ---- dropout: keep(i) = hrkd_rng_uniform(seed, offset + i) >= p; out = keep ? x/(1−p) : 0 */

void cpu_dropout_fwd(float *out, const float *x, int64_t n, float p, uint64_t seed,
                     uint64_t offset)
{
    float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
#pragma omp parallel for schedule(static) if (n >= CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        out[i] = hrkd_rng_uniform(seed, offset + (uint64_t)i) >= p ? x[i] * scale : 0.0f;
}

/* forward: out = keep ? x·scale : 0  →  dx += keep ? dout·scale : 0 (same mask, recomputed) */
void cpu_dropout_bwd(float *restrict dx, const float *restrict dout, int64_t n, float p,
                     uint64_t seed, uint64_t offset)
{
    float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
#pragma omp parallel for schedule(static) if (n >= CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        if (hrkd_rng_uniform(seed, offset + (uint64_t)i) >= p) dx[i] += dout[i] * scale;
}

/* ---- AdamW (decoupled weight decay, PyTorch order: decay first, then the Adam step) ---- */

void cpu_adamw(float *restrict p, const float *restrict grad, float *restrict m,
               float *restrict v, int64_t n, float lr, float beta1, float beta2, float eps,
               float weight_decay, float bc1, float bc2, float grad_scale)
{
    float decay = lr * weight_decay;
#pragma omp parallel for schedule(static) if (n >= CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float g  = grad[i] * grad_scale;
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i]     = mi;
        v[i]     = vi;
        float pi = p[i] - decay * p[i];
        p[i]     = pi - lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
    }
}
