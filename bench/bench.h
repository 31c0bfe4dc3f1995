/* Shared helpers for the rsuv/libuv benchmarks. Only libuv 1.x API that also
 * exists in libuv 1.44 is used. Every program prints one line per figure:
 *   <benchmark> <figure> <rate>
 * and exits non-zero if its own consistency checks fail. */
#ifndef RSUV_BENCH_H
#define RSUV_BENCH_H

#include <uv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_FAIL(...)                                                  \
  do {                                                                   \
    fprintf(stderr, "%s:%d: check failed: ", __FILE__, __LINE__);        \
    fprintf(stderr, __VA_ARGS__);                                        \
    fputc('\n', stderr);                                                 \
    exit(2);                                                             \
  } while (0)

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) BENCH_FAIL("%s", #cond);                                \
  } while (0)

#define CHECK_EQ(a, b)                                                   \
  do {                                                                   \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);      \
    if (check_a_ != check_b_)                                            \
      BENCH_FAIL("%s == %s (%lld != %lld)", #a, #b, check_a_, check_b_); \
  } while (0)

/* Count from argv[idx] if given (scaled, so one argument scales all phases),
 * otherwise the default. */
static inline uint64_t bench_arg(int argc, char** argv, int idx, uint64_t def) {
  if (argc > idx) {
    char* end;
    unsigned long long v = strtoull(argv[idx], &end, 10);
    if (*end != '\0' || v == 0) {
      fprintf(stderr, "usage: %s [count]\n", argv[0]);
      exit(64);
    }
    return (uint64_t)v;
  }
  return def;
}

static inline void bench_report(const char* bench, const char* figure,
                                uint64_t ops, uint64_t ns) {
  if (ns == 0) ns = 1;
  printf("%s %s %.0f\n", bench, figure, (double)ops * 1e9 / (double)ns);
  fflush(stdout);
  fprintf(stderr, "# %s %s: %llu ops in %.3f s (libuv %s)\n", bench, figure,
          (unsigned long long)ops, (double)ns / 1e9, uv_version_string());
}

/* Deterministic PRNG (xorshift64*), so both libraries see the same input. */
static inline uint64_t bench_rand(uint64_t* s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 2685821657736338717ULL;
}

static inline void bench_close_loop(uv_loop_t* loop) {
  CHECK_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  CHECK_EQ(uv_loop_close(loop), 0);
}

#endif
