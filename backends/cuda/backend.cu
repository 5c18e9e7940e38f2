/* backends/cuda/backend.cu — the CUDA backend's kernel table, lifetime, memory, options and
 * the recorded-error state behind the check macros.
 *
 * Parameters, gradients, optimizer state and activations live in device memory (alloc is
 * cudaMalloc); the host copies in only data batches and reads back only scalars and
 * checkpoints. Every kernel and cuBLAS call is queued on one stream; sync() waits for it.
 * init() refuses, with a message naming what is missing, on a machine without a CUDA
 * device or driver — it never crashes. The only exported symbol is hrkd_backend_entry().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.cuh"

cuda_state g_cuda;

/* ---- recorded errors ---- */

static char g_first_error[512]; /* empty while nothing failed */
static long g_error_count;

static void record_error(const char *file, int line, const char *what, const char *why)
{
    g_error_count++;
    if (g_first_error[0]) return; /* the first failure is the useful one */
    snprintf(g_first_error, sizeof g_first_error, "%s:%d: %s: %s", file, line, what, why);
    fprintf(stderr, "hrkd cuda backend: %s\n", g_first_error);
}

bool cuda_check(cudaError_t e, const char *file, int line, const char *what)
{
    if (e == cudaSuccess) return true;
    record_error(file, line, what, cudaGetErrorString(e));
    return false;
}

bool cublas_check(cublasStatus_t s, const char *file, int line, const char *what)
{
    if (s == CUBLAS_STATUS_SUCCESS) return true;
    record_error(file, line, what, cublasGetStatusString(s));
    return false;
}

/* The first recorded failure ("file:line: call: reason"), or NULL when none. Hidden for
 * now: the host will poll it once the table carries an entry for it. */
const char *hrkd_cuda_last_error(void) { return g_first_error[0] ? g_first_error : NULL; }

/* Fill the caller's error (first message wins, as hrkd_error_set does; this library does
 * not link libhrkd). Returns 1 for `return fail(...)`. */
static int fail(hrkd_error *err, hrkd_status st, const char *fmt, ...)
{
    if (err && err->status == HRKD_STATUS_OK) {
        err->status = st;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return 1;
}

/* ---- lifetime ---- */

#define NOT_INITIALISED "CUDA (not initialised)"
static char g_description[512] = NOT_INITIALISED;

/* A kernel whose attributes tell whether this build carries code the device can run. */
__global__ void probe_kernel(int *x)
{
    if (x) *x = 1;
}

static void release_all(void)
{
    if (g_cuda.blas) cublasDestroy(g_cuda.blas);
    if (g_cuda.stream) cudaStreamDestroy(g_cuda.stream);
    if (g_cuda.partials) cudaFree(g_cuda.partials);
    if (g_cuda.dresult) cudaFree(g_cuda.dresult);
    if (g_cuda.host_result) cudaFreeHost(g_cuda.host_result);
    if (g_cuda.scratch) cudaFree(g_cuda.scratch);
    int tf32 = g_cuda.tf32, bf16 = g_cuda.bf16; /* options survive a shutdown */
    memset(&g_cuda, 0, sizeof g_cuda);
    g_cuda.tf32 = tf32;
    g_cuda.bf16 = bf16;
}

static bool apply_math_mode(void)
{
    return CUBLAS_CHECK(cublasSetMathMode(
        g_cuda.blas, g_cuda.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}

static int cuda_init(int threads, hrkd_error *err)
{
    (void)threads; /* host threads do not matter here */
    if (g_cuda.initialised) return 0;

    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorInsufficientDriver)
        return fail(err, HRKD_STATUS_UNSUPPORTED, "cuda backend: CUDA driver missing or too old "
                    "(cudaGetDeviceCount: %s)", cudaGetErrorString(e));
    if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0))
        return fail(err, HRKD_STATUS_UNSUPPORTED, "cuda backend: no CUDA device found "
                    "(cudaGetDeviceCount: %s)", cudaGetErrorString(e));
    if (e != cudaSuccess)
        return fail(err, HRKD_STATUS_UNSUPPORTED, "cuda backend: cannot query CUDA devices "
                    "(cudaGetDeviceCount: %s)", cudaGetErrorString(e));

    /* device 0 of those visible (CUDA_VISIBLE_DEVICES picks others), or the one the NCCL
     * communicator chose for this rank (HRKD_CUDA_DEVICE, docs/scale-out.md) */
    const char *dev = getenv("HRKD_CUDA_DEVICE");
    g_cuda.device = dev ? atoi(dev) : 0;
    if (g_cuda.device < 0 || g_cuda.device >= count)
        return fail(err, HRKD_STATUS_UNSUPPORTED, "cuda backend: HRKD_CUDA_DEVICE=%s, but %d "
                    "device(s) are visible", dev, count);
    cudaDeviceProp prop;
    e = cudaSetDevice(g_cuda.device);
    if (e == cudaSuccess) e = cudaGetDeviceProperties(&prop, g_cuda.device);
    if (e != cudaSuccess)
        return fail(err, HRKD_STATUS_UNSUPPORTED, "cuda backend: cannot open device %d (%s)",
                    g_cuda.device, cudaGetErrorString(e));
    cudaFuncAttributes attr;
    e = cudaFuncGetAttributes(&attr, probe_kernel);
    if (e != cudaSuccess)
        return fail(err, HRKD_STATUS_UNSUPPORTED, "cuda backend: this build has no kernels for "
                    "%s (compute capability %d.%d): rebuild with nvcc -arch=sm_%d%d (%s)",
                    prop.name, prop.major, prop.minor, prop.major, prop.minor,
                    cudaGetErrorString(e));
    g_cuda.sms = prop.multiProcessorCount;
    g_cuda.cc  = prop.major * 10 + prop.minor;
    if (g_cuda.bf16 && g_cuda.cc < 80)
        return fail(err, HRKD_STATUS_UNSUPPORTED, "cuda backend: bf16 = true needs compute "
                    "capability 8.0 or newer; %s has %d.%d", prop.name, prop.major, prop.minor);

    const char *step = NULL;
    if (!CUDA_CHECK(e = cudaStreamCreate(&g_cuda.stream))) step = "cudaStreamCreate";
    else if (!CUDA_CHECK(e = cudaMalloc(&g_cuda.partials, CUDA_PARTIALS_MAX * sizeof(double))))
        step = "cudaMalloc";
    else if (!CUDA_CHECK(e = cudaMalloc(&g_cuda.dresult, sizeof(double)))) step = "cudaMalloc";
    else if (!CUDA_CHECK(e = cudaMallocHost(&g_cuda.host_result, sizeof(double))))
        step = "cudaMallocHost";
    if (step) {
        release_all();
        return fail(err, HRKD_STATUS_UNSUPPORTED, "cuda backend: %s failed on %s (%s)", step,
                    prop.name, cudaGetErrorString(e));
    }
    cublasStatus_t bs = cublasCreate(&g_cuda.blas);
    if (bs != CUBLAS_STATUS_SUCCESS) {
        g_cuda.blas = NULL;
        release_all();
        return fail(err, HRKD_STATUS_UNSUPPORTED, "cuda backend: cublasCreate failed (%s)",
                    cublasGetStatusString(bs));
    }
    if (!CUBLAS_CHECK(cublasSetStream(g_cuda.blas, g_cuda.stream)) || !apply_math_mode()) {
        release_all();
        return fail(err, HRKD_STATUS_INTERNAL, "cuda backend: cannot configure cuBLAS (%s)",
                    hrkd_cuda_last_error());
    }

    int rt = 0, drv = 0, blas = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    cublasGetVersion(g_cuda.blas, &blas);
    snprintf(g_description, sizeof g_description,
             "cuda: %s (compute capability %d.%d, %d SMs, %.1f GiB), CUDA runtime %d.%d, "
             "driver %d.%d, cuBLAS %d.%d.%d",
             prop.name, prop.major, prop.minor, prop.multiProcessorCount,
             (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0), rt / 1000,
             (rt % 1000) / 10, drv / 1000, (drv % 1000) / 10, blas / 10000,
             (blas / 100) % 100, blas % 100);
    g_cuda.initialised = 1;
    return 0;
}

static void cuda_shutdown(void)
{
    if (!g_cuda.initialised) return;
    CUDA_CHECK(cudaStreamSynchronize(g_cuda.stream));
    release_all();
    snprintf(g_description, sizeof g_description, "%s", NOT_INITIALISED);
}

/* ---- memory ---- */

static void *cuda_alloc(size_t bytes)
{
    /* cudaMalloc aligns to 256 bytes; a zero-byte request still gets a unique pointer */
    void *p = NULL;
    if (!CUDA_CHECK(cudaMalloc(&p, bytes ? bytes : 256))) return NULL;
    return p;
}

static void cuda_free(void *p)
{
    if (p) CUDA_CHECK(cudaFree(p));
}

/* The host may reuse or free src as soon as this returns, so the copy is waited for. */
static void cuda_copy_h2d(void *dst, const void *src, size_t bytes)
{
    if (!bytes) return;
    if (CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, g_cuda.stream)))
        CUDA_CHECK(cudaStreamSynchronize(g_cuda.stream));
}

/* Runs after every queued kernel (same stream) and returns with dst filled. */
static void cuda_copy_d2h(void *dst, const void *src, size_t bytes)
{
    if (!bytes) return;
    if (CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, g_cuda.stream)))
        CUDA_CHECK(cudaStreamSynchronize(g_cuda.stream));
}

static void cuda_copy_d2d(void *dst, const void *src, size_t bytes)
{
    if (!bytes || dst == src) return;
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, g_cuda.stream));
}

static void cuda_sync(void)
{
    if (g_cuda.initialised) CUDA_CHECK(cudaStreamSynchronize(g_cuda.stream));
}

/* ---- options ([backend] section of the INI) ---- */

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off")) {
        *out = 0;
        return 0;
    }
    return 1;
}

/* "tf32": TF32 tensor cores for the float32 products (off by default, so that CPU and GPU
 * agree). "bf16": bf16 autocast of the products' operands, fp32 accumulation and master
 * weights. Either may be set before or after init. */
static int cuda_set_option(const char *name, const char *value, hrkd_error *err)
{
    if (!name || !value)
        return fail(err, HRKD_STATUS_INVALID, "backend cuda: option name and value required");
    int on = 0;
    int *slot = !strcmp(name, "tf32") ? &g_cuda.tf32 : !strcmp(name, "bf16") ? &g_cuda.bf16 : NULL;
    if (!slot)
        return fail(err, HRKD_STATUS_INVALID,
                    "backend cuda: unknown option '%s' (known: tf32, bf16)", name);
    if (parse_bool(value, &on))
        return fail(err, HRKD_STATUS_INVALID,
                    "backend cuda: option %s = %s: expected true or false", name, value);
    if (on && slot == &g_cuda.bf16 && g_cuda.initialised && g_cuda.cc < 80)
        return fail(err, HRKD_STATUS_UNSUPPORTED, "backend cuda: option bf16 = %s: needs compute "
                    "capability 8.0 or newer (this device: %d.%d)", value, g_cuda.cc / 10,
                    g_cuda.cc % 10);
    *slot = on;
    if (g_cuda.initialised && slot == &g_cuda.tf32 && !apply_math_mode())
        return fail(err, HRKD_STATUS_INTERNAL, "backend cuda: option tf32: %s",
                    hrkd_cuda_last_error());
    return 0;
}

/* ---- the table ---- */

/* Designated initializers in declaration order (nvcc accepts them in C++17): a constant,
 * no constructor runs when the library is loaded. */
static const hrkd_kernels g_table = {
    .abi_version   = HRKD_BACKEND_ABI_VERSION,
    .struct_size   = sizeof(hrkd_kernels),
    .name          = "cuda",
    .description   = g_description,
    .init          = cuda_init,
    .shutdown      = cuda_shutdown,
    .alloc         = cuda_alloc,
    .free          = cuda_free,
    .copy_h2d      = cuda_copy_h2d,
    .copy_d2h      = cuda_copy_d2h,
    .copy_d2d      = cuda_copy_d2d,
    .sync          = cuda_sync,
    .fill          = cuda_fill,
    .axpby         = cuda_axpby,
    .binary        = cuda_binary,
    .unary_fwd     = cuda_unary_fwd,
    .unary_bwd     = cuda_unary_bwd,
    .copy_strided  = cuda_copy_strided,
    .reduce_sum    = cuda_reduce_sum,
    .broadcast_acc = cuda_broadcast_acc,
    .sum_squares   = cuda_sum_squares,
    .gemm          = cuda_gemm,
    .layernorm_fwd = cuda_layernorm_fwd,
    .layernorm_bwd = cuda_layernorm_bwd,
    .softmax_fwd   = cuda_softmax_fwd,
    .softmax_bwd   = cuda_softmax_bwd,
    .dropout_fwd   = cuda_dropout_fwd,
    .dropout_bwd   = cuda_dropout_bwd,
    .embedding_fwd = cuda_embedding_fwd,
    .embedding_bwd = cuda_embedding_bwd,
    .mse_fwd       = cuda_mse_fwd,
    .mse_bwd       = cuda_mse_bwd,
    .nll_fwd       = cuda_nll_fwd,
    .nll_bwd       = cuda_nll_bwd,
    .adamw         = cuda_adamw,
    .set_option    = cuda_set_option,
};

/* Counts the function entries from init to the end: adding one to hrkd_kernels stops this
 * build until the table above answers it (an unassigned entry would silently be NULL). */
static_assert((sizeof(hrkd_kernels) - offsetof(hrkd_kernels, init)) / sizeof(void (*)(void)) == 32,
              "hrkd_kernels changed: update the CUDA backend's table");

extern "C" __attribute__((visibility("default"))) const hrkd_kernels *hrkd_backend_entry(void)
{
    return &g_table;
}
