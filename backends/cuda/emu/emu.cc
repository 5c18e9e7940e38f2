// backends/cuda/emu/emu.cc — a CPU emulation of the CUDA runtime and cuBLAS calls the backend
// makes, for checking the kernels where no GPU exists (run.sh). A block runs as one ucontext
// fiber per thread: __syncthreads and the warp shuffles are real barriers, so indexing,
// reductions and synchronisation are exercised; blocks run one after another, so atomics are
// plain adds. cuBLAS is a naive column-major loop that checks leading dimensions as cuBLAS
// does, with TF32 and bf16 rounding of the operands. Not compiled by the Makefile.
#include <ucontext.h>
#include <stdio.h>
#include <vector>
#include "cuda_runtime.h"
#include "cublas_v2.h"
#include "cuda_bf16.h"

dim3 threadIdx, blockIdx, blockDim, gridDim;
static cudaError_t last_err = cudaSuccess;

const char *cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "emulated error"; }
cudaError_t cudaGetDeviceCount(int *n) { *n = 1; return cudaSuccess; }
cudaError_t cudaSetDevice(int) { return cudaSuccess; }
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int) {
  memset(p, 0, sizeof *p); strcpy(p->name, "CPU emulation"); p->major = 9; p->minor = 0;
  p->multiProcessorCount = getenv("EMU_SMS") ? atoi(getenv("EMU_SMS")) : 1; p->totalGlobalMem = 1ull << 30; return cudaSuccess; }
cudaError_t cudaStreamCreate(cudaStream_t *s) { *s = (cudaStream_t)malloc(8); return cudaSuccess; }
cudaError_t cudaStreamDestroy(cudaStream_t s) { free(s); return cudaSuccess; }
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t emu_malloc(void **p, size_t b) {
  *p = aligned_alloc(256, (b + 255) & ~(size_t)255); return *p ? cudaSuccess : cudaErrorMemoryAllocation; }
cudaError_t cudaFree(void *p) { free(p); return cudaSuccess; }
cudaError_t cudaFreeHost(void *p) { free(p); return cudaSuccess; }
cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t b, cudaMemcpyKind, cudaStream_t) { memmove(d, s, b); return cudaSuccess; }
cudaError_t cudaGetLastError(void) { cudaError_t e = last_err; last_err = cudaSuccess; return e; }
cudaError_t cudaRuntimeGetVersion(int *v) { *v = 13000; return cudaSuccess; }
cudaError_t cudaDriverGetVersion(int *v) { *v = 13000; return cudaSuccess; }

// ---- fibers ----
struct fiber { ucontext_t ctx; int done; };
static ucontext_t sched;
static std::vector<fiber> fibers;
static std::vector<char> stacks;
static const size_t STACK = 128 * 1024;
static int cur, nthreads;
static std::function<void()> *body;
static unsigned long block_gen, events; static int block_arrived;
static unsigned long warp_gen[32]; static int warp_arrived[32]; static uint64_t warp_slot[32][32];

static void set_tid(int i) {
  threadIdx.x = i % blockDim.x; threadIdx.y = (i / blockDim.x) % blockDim.y; threadIdx.z = i / (blockDim.x * blockDim.y); }
static void yield(void) { swapcontext(&fibers[cur].ctx, &sched); }
static void fiber_main(void) { (*body)(); fibers[cur].done = 1; events++; }
static int live_block(void) { int c = 0; for (int i = 0; i < nthreads; i++) c += !fibers[i].done; return c; }
static int live_warp(int w) { int c = 0; for (int i = w * 32; i < nthreads && i < w * 32 + 32; i++) c += !fibers[i].done; return c; }
static void check_release(void) {
  if (block_arrived && block_arrived == live_block()) { block_arrived = 0; block_gen++; events++; }
  for (int w = 0; w * 32 < nthreads; w++)
    if (warp_arrived[w] && warp_arrived[w] == live_warp(w)) { warp_arrived[w] = 0; warp_gen[w]++; events++; }
}
void __syncthreads(void) {
  unsigned long g = block_gen; block_arrived++; events++; check_release();
  while (block_gen == g) yield();
}
static void warp_barrier(int w) {
  unsigned long g = warp_gen[w]; warp_arrived[w]++; events++; check_release();
  while (warp_gen[w] == g) yield();
}
uint64_t emu_shfl_bits(uint64_t v, int off) {
  int lin = cur, w = lin / 32, lane = lin % 32;
  if (nthreads % 32) { fprintf(stderr, "emu: shuffle in a block of %d threads\n", nthreads); abort(); }
  warp_slot[w][lane] = v; warp_barrier(w);
  uint64_t r = warp_slot[w][lane ^ off]; warp_barrier(w); return r;
}
void emu_launch(emu_cfg_t cfg, std::function<void()> fn) {
  unsigned n = cfg.b.x * cfg.b.y * cfg.b.z;
  if (n == 0 || n > 1024 || cfg.g.x == 0 || cfg.g.y == 0 || cfg.g.z == 0 || cfg.g.y > 65535 || cfg.g.z > 65535) {
    fprintf(stderr, "emu: bad launch config grid (%u,%u,%u) block (%u,%u,%u)\n", cfg.g.x, cfg.g.y, cfg.g.z, cfg.b.x, cfg.b.y, cfg.b.z);
    last_err = cudaErrorInvalidValue; return; }
  blockDim = cfg.b; gridDim = cfg.g; nthreads = (int)n; body = &fn;
  fibers.resize(n); if (stacks.size() < n * STACK) stacks.resize(n * STACK);
  for (unsigned bz = 0; bz < cfg.g.z; bz++) for (unsigned by = 0; by < cfg.g.y; by++) for (unsigned bx = 0; bx < cfg.g.x; bx++) {
    blockIdx = dim3(bx, by, bz);
    block_arrived = 0; memset(warp_arrived, 0, sizeof warp_arrived);
    for (unsigned i = 0; i < n; i++) {
      fiber &f = fibers[i]; f.done = 0; getcontext(&f.ctx);
      f.ctx.uc_stack.ss_sp = &stacks[i * STACK]; f.ctx.uc_stack.ss_size = STACK; f.ctx.uc_link = &sched;
      makecontext(&f.ctx, fiber_main, 0);
    }
    for (;;) {
      int alive = 0; unsigned long before = events;
      for (int i = 0; i < (int)n; i++) {
        if (fibers[i].done) continue;
        cur = i; set_tid(i); swapcontext(&sched, &fibers[i].ctx);
        if (fibers[i].done) check_release(); else alive++;
      }
      if (!alive) break;
      if (events == before) { fprintf(stderr, "emu: deadlock (threads waiting at a barrier forever)\n"); abort(); }
    }
  }
}

// ---- cuBLAS (column-major, naive) ----
struct emu_blas { int math; };
const char *cublasGetStatusString(cublasStatus_t s) { return s ? "CUBLAS_STATUS_INVALID_VALUE (emulated)" : "CUBLAS_STATUS_SUCCESS"; }
cublasStatus_t cublasCreate(cublasHandle_t *h) { *h = new emu_blas{0}; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasDestroy(cublasHandle_t h) { delete h; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetStream(cublasHandle_t, cudaStream_t) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t m) { h->math = m; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasGetVersion(cublasHandle_t, int *v) { *v = 130000; return CUBLAS_STATUS_SUCCESS; }
static float tf32(float f) { uint32_t u; memcpy(&u, &f, 4); u += 0xfffu + ((u >> 13) & 1u); u &= ~0x1fffu; memcpy(&f, &u, 4); return f; }
static float ld_el(const void *p, cudaDataType t, long long i, int round) {
  float v = t == CUDA_R_16BF ? emu_bf16_to_float(((const __nv_bfloat16 *)p)[i]) : ((const float *)p)[i];
  return round ? tf32(v) : v; }
static cublasStatus_t gemm_core(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha,
  const void *A, cudaDataType at, int lda, long long sA, const void *B, cudaDataType bt, int ldb, long long sB, float beta,
  float *C, int ldc, long long sC, int count) {
  if (m < 0 || n < 0 || k < 0 || count < 0) return CUBLAS_STATUS_INVALID_VALUE;
  int amin = ta == CUBLAS_OP_N ? m : k, bmin = tb == CUBLAS_OP_N ? k : n;
  if (lda < (amin > 1 ? amin : 1) || ldb < (bmin > 1 ? bmin : 1) || ldc < (m > 1 ? m : 1)) {
    fprintf(stderr, "emu cublas: bad ld: m=%d n=%d k=%d lda=%d ldb=%d ldc=%d ta=%d tb=%d\n", m, n, k, lda, ldb, ldc, ta, tb);
    return CUBLAS_STATUS_INVALID_VALUE; }
  int round = h->math == CUBLAS_TF32_TENSOR_OP_MATH && at == CUDA_R_32F;
  for (int b = 0; b < count; b++)
    for (int j = 0; j < n; j++) for (int i = 0; i < m; i++) {
      float s = 0.0f;
      for (int l = 0; l < k; l++) {
        long long ai = ta == CUBLAS_OP_N ? i + (long long)l * lda : l + (long long)i * lda;
        long long bi = tb == CUBLAS_OP_N ? l + (long long)j * ldb : j + (long long)l * ldb;
        s += ld_el(A, at, b * sA + ai, round) * ld_el(B, bt, b * sB + bi, round);
      }
      float *c = C + b * sC + i + (long long)j * ldc;
      *c = beta == 0.0f ? alpha * s : alpha * s + beta * *c;
    }
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
  const float *alpha, const float *A, int lda, const float *B, int ldb, const float *beta, float *C, int ldc) {
  return gemm_core(h, ta, tb, m, n, k, *alpha, A, CUDA_R_32F, lda, 0, B, CUDA_R_32F, ldb, 0, *beta, C, ldc, 0, 1); }
cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
  const float *alpha, const float *A, int lda, long long sA, const float *B, int ldb, long long sB, const float *beta,
  float *C, int ldc, long long sC, int count) {
  return gemm_core(h, ta, tb, m, n, k, *alpha, A, CUDA_R_32F, lda, sA, B, CUDA_R_32F, ldb, sB, *beta, C, ldc, sC, count); }
cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
  const void *alpha, const void *A, cudaDataType at, int lda, long long sA, const void *B, cudaDataType bt, int ldb, long long sB,
  const void *beta, void *C, cudaDataType ct, int ldc, long long sC, int count, cublasComputeType_t, cublasGemmAlgo_t) {
  if (ct != CUDA_R_32F) return CUBLAS_STATUS_NOT_SUPPORTED;
  return gemm_core(h, ta, tb, m, n, k, *(const float *)alpha, A, at, lda, sA, B, bt, ldb, sB, *(const float *)beta,
                   (float *)C, ldc, sC, count); }
