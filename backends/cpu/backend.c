/* backends/cpu/backend.c — the CPU backend's kernel table, lifetime and memory.
 *
 * Kernels run on host memory: OpenBLAS (its OpenMP build) for matrix products and OpenMP
 * loops for everything else. "Device" copies are memcpy and sync() has nothing to wait for.
 * The only exported symbol is hrkd_backend_entry(); everything else is hidden.
 */
#include <cblas.h>
#include <dlfcn.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

static char cpu_description[512];

static void describe(void)
{
    const char *cfg = openblas_get_config();
    snprintf(cpu_description, sizeof cpu_description, "cpu: %s, %d OpenMP threads",
             cfg ? cfg : "OpenBLAS", omp_get_max_threads());
}

static int cpu_init(int threads, hrkd_error *err)
{
    (void)err;
    if (threads > 0) {
        omp_set_num_threads(threads);
        openblas_set_num_threads(threads);
    }
    describe();
    return 0;
}

static void cpu_shutdown(void) {}

static void *cpu_alloc(size_t bytes)
{
    /* Round up so that a zero-byte request still gives a unique, freeable pointer and
     * every buffer ends on a cache line (vector loops may read the whole line). */
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded < bytes) return NULL; /* overflow */
    if (rounded == 0) rounded = 64;
    void *p = NULL;
    if (posix_memalign(&p, 64, rounded) != 0) return NULL;
    return p;
}

static void cpu_free(void *p) { free(p); }

static void cpu_copy(void *dst, const void *src, size_t bytes)
{
    if (bytes && dst != src) memmove(dst, src, bytes);
}

static void cpu_sync(void) {}

static int is_false(const char *v)
{
    return !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off");
}

/* Does this CPU have the bf16 dot-product instructions (AVX512_BF16)? */
static int cpu_has_bf16(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

/* Options of other backends that the CPU can only honour when they are off. */
static int cpu_set_option(const char *name, const char *value, hrkd_error *err)
{
    if (!name || !value) return 1;
    int known = !strcmp(name, "tf32") || !strcmp(name, "bf16");
    if (known && is_false(value)) return 0;
    /* this library does not link libhrkd: fill the error directly (the first one wins) */
    if (err && err->status == HRKD_STATUS_OK) {
        err->status = HRKD_STATUS_UNSUPPORTED;
        if (!known)
            snprintf(err->msg, sizeof err->msg, "backend cpu: unknown option '%s'", name);
        else if (!strcmp(name, "tf32"))
            snprintf(err->msg, sizeof err->msg, "backend cpu: tf32 = %s: TF32 is a GPU tensor-core "
                     "format; the CPU backend computes float32 (use fp32)", value);
        else if (!cpu_has_bf16())
            snprintf(err->msg, sizeof err->msg, "backend cpu: bf16 = %s: bf16 matrix products need "
                     "the CPU feature AVX512_BF16, which this CPU lacks (use fp32)", value);
        else
            snprintf(err->msg, sizeof err->msg, "backend cpu: bf16 = %s: this CPU has AVX512_BF16, "
                     "but the CPU backend of this version computes float32 only (use fp32)", value);
    }
    return 1;
}

static const hrkd_kernels cpu_kernels = {
    .abi_version   = HRKD_BACKEND_ABI_VERSION,
    .struct_size   = sizeof(hrkd_kernels),
    .name          = "cpu",
    .description   = cpu_description,
    .init          = cpu_init,
    .shutdown      = cpu_shutdown,
    .alloc         = cpu_alloc,
    .free          = cpu_free,
    .copy_h2d      = cpu_copy,
    .copy_d2h      = cpu_copy,
    .copy_d2d      = cpu_copy,
    .sync          = cpu_sync,
    .fill          = cpu_fill,
    .axpby         = cpu_axpby,
    .binary        = cpu_binary,
    .unary_fwd     = cpu_unary_fwd,
    .unary_bwd     = cpu_unary_bwd,
    .copy_strided  = cpu_copy_strided,
    .reduce_sum    = cpu_reduce_sum,
    .broadcast_acc = cpu_broadcast_acc,
    .sum_squares   = cpu_sum_squares,
    .gemm          = cpu_gemm,
    .layernorm_fwd = cpu_layernorm_fwd,
    .layernorm_bwd = cpu_layernorm_bwd,
    .softmax_fwd   = cpu_softmax_fwd,
    .softmax_bwd   = cpu_softmax_bwd,
    .dropout_fwd   = cpu_dropout_fwd,
    .dropout_bwd   = cpu_dropout_bwd,
    .embedding_fwd = cpu_embedding_fwd,
    .embedding_bwd = cpu_embedding_bwd,
    .mse_fwd       = cpu_mse_fwd,
    .mse_bwd       = cpu_mse_bwd,
    .nll_fwd       = cpu_nll_fwd,
    .nll_bwd       = cpu_nll_bwd,
    .adamw         = cpu_adamw,
    .set_option    = cpu_set_option,
};

/* Counts the function entries from init to the end: adding one to hrkd_kernels stops this
 * build until the table above answers it (a missing initializer would silently be NULL). */
_Static_assert((sizeof(hrkd_kernels) - offsetof(hrkd_kernels, init)) / sizeof(void (*)(void)) == 32,
               "hrkd_kernels changed: update the CPU backend's table");

/* libgomp's worker threads outlive every parallel region and run code of libgomp, which was
 * loaded only because this backend needs it: a dlclose() of the backend would unmap it under
 * them (a crash at exit). Re-opening ourselves with RTLD_NODELETE pins this object, and with
 * it libgomp, for the life of the process. */
static void pin_in_memory(void)
{
    Dl_info info;
    if (dladdr((void *)pin_in_memory, &info) && info.dli_fname)
        dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

__attribute__((visibility("default"))) const hrkd_kernels *hrkd_backend_entry(void)
{
    if (!cpu_description[0]) {
        pin_in_memory();
        describe();
    }
    return &cpu_kernels;
}
