// backends/cuda/emu/cuda_bf16.h — CPU stand-in for the CUDA header of that name (see emu.cc).
// Verification only: never part of hrkd_backend_cuda.so.
#pragma once
#include <stdint.h>
#include <string.h>
struct __nv_bfloat16 { uint16_t x; };
inline __nv_bfloat16 __float2bfloat16(float f) {
  uint32_t u; memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) { __nv_bfloat16 r = {(uint16_t)((u >> 16) | 0x40)}; return r; }
  u += 0x7fffu + ((u >> 16) & 1u);
  __nv_bfloat16 r = {(uint16_t)(u >> 16)}; return r;
}
inline float emu_bf16_to_float(__nv_bfloat16 b) { uint32_t u = (uint32_t)b.x << 16; float f; memcpy(&f, &u, 4); return f; }
