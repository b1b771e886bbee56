/*
 * BENCHMARK TOOL - NOT PRODUCT CODE.
 * Part of the cdk-gwlb-inspection benchmark (bench/). Compiled at bench time into bench/out/.
 *
 * Log-linear latency histogram (HDR-style): 64 sub-buckets per power of two, so every
 * recorded value is reported within ~1.6 %. Values are nanoseconds, range 0 .. ~2^40 ns.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>
#include <string.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_EXP 40
#define HIST_BUCKETS (HIST_SUB * (HIST_MAX_EXP - HIST_SUB_BITS + 2))

typedef struct {
  uint64_t counts[HIST_BUCKETS];
  uint64_t total;
  uint64_t min;
  uint64_t max;
  double sum;
} hist_t;

static inline void hist_reset(hist_t *h) {
  memset(h, 0, sizeof(*h));
  h->min = UINT64_MAX;
}

static inline unsigned hist_index(uint64_t v) {
  if (v < HIST_SUB) return (unsigned)v;
  unsigned e = 63u - (unsigned)__builtin_clzll(v); /* floor(log2 v) >= HIST_SUB_BITS */
  if (e > HIST_MAX_EXP) return HIST_BUCKETS - 1;
  unsigned m = (unsigned)(v >> (e - HIST_SUB_BITS)); /* in [HIST_SUB, 2*HIST_SUB) */
  return HIST_SUB * (e - HIST_SUB_BITS + 1) + (m - HIST_SUB);
}

/* Midpoint of a bucket, in ns. */
static inline double hist_value(unsigned idx) {
  if (idx < HIST_SUB) return (double)idx;
  unsigned e = idx / HIST_SUB + HIST_SUB_BITS - 1;
  unsigned m = idx % HIST_SUB + HIST_SUB;
  double lo = (double)((uint64_t)m << (e - HIST_SUB_BITS));
  double width = (double)(1ull << (e - HIST_SUB_BITS));
  return lo + width / 2.0;
}

static inline void hist_add(hist_t *h, uint64_t v) {
  h->counts[hist_index(v)]++;
  h->total++;
  h->sum += (double)v;
  if (v < h->min) h->min = v;
  if (v > h->max) h->max = v;
}

/* q in [0, 1]; returns ns (0 when empty). */
static inline double hist_quantile(const hist_t *h, double q) {
  if (h->total == 0) return 0;
  uint64_t rank = (uint64_t)(q * (double)h->total);
  if (rank >= h->total) rank = h->total - 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < HIST_BUCKETS; i++) {
    seen += h->counts[i];
    if (seen > rank) return hist_value(i);
  }
  return (double)h->max;
}

#endif
