/* ThermoGuard — the one random generator (xoshiro256**), always an explicit value.
 * There is no global generator: whoever needs randomness receives a tg_rng.
 * Per-sample streams are derived from (seed, index), so a sample's random choices do not
 * depend on batch size, ordering or thread count.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_RNG_H
#define THERMOGUARD_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_rng {
    uint64_t s[4];
} tg_rng;

/* Seeds a generator (splitmix64 expansion of `seed`; any seed, including 0, is valid). */
void tg_rng_seed(tg_rng *r, uint64_t seed);

/* Seeds the independent stream number `index` of `seed`, e.g. one per training sample. */
void tg_rng_stream(tg_rng *r, uint64_t seed, uint64_t index);

/* Next 64 random bits. */
uint64_t tg_rng_u64(tg_rng *r);

/* Uniform double in [0, 1) with 53 random bits. */
double tg_rng_uniform(tg_rng *r);

/* Uniform double in [lo, hi). */
double tg_rng_range(tg_rng *r, double lo, double hi);

/* Uniform integer in [0, n) without modulo bias; returns 0 when n == 0. */
uint64_t tg_rng_below(tg_rng *r, uint64_t n);

/* Standard normal deviate (Box-Muller; consumes two uniforms per call, keeps no cache). */
double tg_rng_normal(tg_rng *r);

#ifdef __cplusplus
}
#endif
#endif
