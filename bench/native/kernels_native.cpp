// The compute kernels (bench/kernels/*.c) compiled natively with the same
// clang and -O2 as their wasm32-wasi build: the floor of the compute rows.
// Usage: hb_beamr_bench_kernels SHA256_MIB MATMUL_N FIB_N
// Built twice: hb_beamr_bench_kernels (rows <kernel>_native) and, with the
// kernels compiled without auto-vectorization (WebAssembly without SIMD has
// none), hb_beamr_bench_kernels_novec (rows <kernel>_native_novec).
// Prints one CSV row per kernel (see sampler.hpp); the detail is the
// kernel's checksum, which the wasm build must reproduce.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../kernels/kernel.h"
#include "sampler.hpp"

namespace {

using hb_beamr::bench::budget;
using hb_beamr::bench::print_row;
using hb_beamr::bench::sample;

void run_kernel(const char *name, int32_t (*run)(int32_t), int32_t arg) {
  int32_t checksum = run(arg); // warm-up, and the checksum
  const auto times = sample([&] { checksum = run(arg); }, 1, budget(5, 11, 10));
  print_row("compute", std::string(name) + HB_BEAMR_KERNEL_SUFFIX, "s", times,
            std::to_string(checksum));
}

int32_t sha256(int32_t) { return sha256_run(); }
int32_t matmul(int32_t) { return matmul_run(); }

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s SHA256_MIB MATMUL_N FIB_N\n", argv[0]);
    return 2;
  }
  const int32_t sha_mib = std::atoi(argv[1]);
  const int32_t matmul_n = std::atoi(argv[2]);
  const int32_t fib_n = std::atoi(argv[3]);
  if (sha256_prepare(sha_mib) != 0 || matmul_prepare(matmul_n) != 0) {
    std::fprintf(stderr, "kernels: out of memory\n");
    return 1;
  }
  run_kernel("sha256", sha256, 0);
  run_kernel("matmul", matmul, 0);
  run_kernel("fib", fib_run, fib_n);
  return 0;
}
