/* Naive dense matrix multiply C = A * B of n x n doubles (i-k-j order). */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

static double *a, *b, *c;
static int32_t size;

BENCH_EXPORT("matmul_prepare")
int32_t matmul_prepare(int32_t n) {
  free(a);
  free(b);
  free(c);
  size = n;
  size_t cells = (size_t)n * (size_t)n;
  a = malloc(cells * sizeof(double));
  b = malloc(cells * sizeof(double));
  c = malloc(cells * sizeof(double));
  if (a == NULL || b == NULL || c == NULL)
    return -1;
  uint32_t state = 88172645u;
  for (size_t i = 0; i < cells; i++) {
    a[i] = (double)(bench_next(&state) % 1000) / 100.0;
    b[i] = (double)(bench_next(&state) % 1000) / 100.0;
  }
  return 0;
}

/* A 32-bit fold of the bits of the sum of C. */
BENCH_EXPORT("matmul_run")
int32_t matmul_run(void) {
  size_t n = (size_t)size;
  memset(c, 0, n * n * sizeof(double));
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < n; k++) {
      double aik = a[i * n + k];
      for (size_t j = 0; j < n; j++)
        c[i * n + j] += aik * b[k * n + j];
    }
  double sum = 0;
  for (size_t i = 0; i < n * n; i++)
    sum += c[i];
  uint64_t bits;
  memcpy(&bits, &sum, sizeof(bits));
  return (int32_t)(uint32_t)(bits ^ (bits >> 32));
}
