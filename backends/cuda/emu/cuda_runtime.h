// backends/cuda/emu/cuda_runtime.h — CPU stand-in for the CUDA header of that name (see emu.cc).
// Verification only: never part of hrkd_backend_cuda.so.
#pragma once
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <functional>
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __forceinline__ inline
struct dim3 { unsigned x, y, z; dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {} };
extern dim3 threadIdx, blockIdx, blockDim, gridDim;
typedef enum { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2,
  cudaErrorInsufficientDriver = 35, cudaErrorNoDevice = 100, cudaErrorInvalidDeviceFunction = 98 } cudaError_t;
typedef enum { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3 } cudaMemcpyKind;
typedef struct emu_stream *cudaStream_t;
struct cudaDeviceProp { char name[256]; int major, minor, multiProcessorCount; size_t totalGlobalMem; };
struct cudaFuncAttributes { int numRegs; };
const char *cudaGetErrorString(cudaError_t e);
cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaSetDevice(int d);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int d);
template <class F> cudaError_t cudaFuncGetAttributes(cudaFuncAttributes *a, F) { a->numRegs = 1; return cudaSuccess; }
cudaError_t cudaStreamCreate(cudaStream_t *s);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t emu_malloc(void **p, size_t bytes);
template <class T> cudaError_t cudaMalloc(T **p, size_t b) { return emu_malloc((void **)p, b); }
template <class T> cudaError_t cudaMallocHost(T **p, size_t b) { return emu_malloc((void **)p, b); }
cudaError_t cudaFree(void *p);
cudaError_t cudaFreeHost(void *p);
cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t b, cudaMemcpyKind k, cudaStream_t st);
cudaError_t cudaGetLastError(void);
cudaError_t cudaRuntimeGetVersion(int *v);
cudaError_t cudaDriverGetVersion(int *v);
// execution model
struct emu_cfg_t { dim3 g, b; };
inline emu_cfg_t emu_cfg(dim3 g, dim3 b, size_t = 0, cudaStream_t = 0) { return {g, b}; }
void emu_launch(emu_cfg_t cfg, std::function<void()> body);
void __syncthreads(void);
uint64_t emu_shfl_bits(uint64_t v, int srclane_xor);
template <class T> T __shfl_xor_sync(unsigned, T v, int off) {
  uint64_t bits = 0; memcpy(&bits, &v, sizeof v);
  bits = emu_shfl_bits(bits, off);
  T r; memcpy(&r, &bits, sizeof r); return r;
}
inline float atomicAdd(float *p, float v) { float o = *p; *p = o + v; return o; } // fibers: no preemption
inline float __fmul_rn(float a, float b) { volatile float r = a * b; return r; }
