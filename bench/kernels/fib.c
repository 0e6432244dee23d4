/* Doubly recursive Fibonacci: calls and branches, no memory traffic. */
#include "kernel.h"

static int32_t fib(int32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

BENCH_EXPORT("fib_run")
int32_t fib_run(int32_t n) { return fib(n); }
