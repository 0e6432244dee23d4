/* Shared by the compute kernels, which are compiled twice with the same
 * clang at -O2: to wasm32-wasi (run by hb_beamr) and natively (run by
 * bench/native/kernels_native.cpp). Each kernel has a prepare function
 * (allocation and input, not timed) and a run function (timed) returning a
 * checksum, so both builds can be checked to compute the same thing. */
#ifndef HB_BEAMR_BENCH_KERNEL_H
#define HB_BEAMR_BENCH_KERNEL_H

#include <stdint.h>

#if defined(__wasm__)
#define BENCH_EXPORT(name) __attribute__((export_name(name)))
#else
#define BENCH_EXPORT(name)
#endif

#ifdef __cplusplus
extern "C" {
#endif
int32_t sha256_prepare(int32_t mib);
int32_t sha256_run(void);
int32_t matmul_prepare(int32_t n);
int32_t matmul_run(void);
int32_t fib_run(int32_t n);
#ifdef __cplusplus
}
#endif

/* A deterministic input byte stream (xorshift32). */
static inline uint32_t bench_next(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

#endif
