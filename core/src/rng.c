/* xoshiro256** (Blackman & Vigna) seeded through splitmix64.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void tg_rng_seed(tg_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

void tg_rng_stream(tg_rng *r, uint64_t seed, uint64_t index)
{
    /* Hash (seed, index) into one 64-bit seed; splitmix64's finaliser decorrelates
     * neighbouring indices, and the seed is mixed first so seed/index do not commute. */
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    x = h ^ (index * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
    tg_rng_seed(r, splitmix64(&x));
}

uint64_t tg_rng_u64(tg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double tg_rng_uniform(tg_rng *r) { return (double)(tg_rng_u64(r) >> 11) * 0x1.0p-53; }

double tg_rng_range(tg_rng *r, double lo, double hi) { return lo + (hi - lo) * tg_rng_uniform(r); }

uint64_t tg_rng_below(tg_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the biased tail */
    uint64_t v;
    do
        v = tg_rng_u64(r);
    while (v >= limit);
    return v % n;
}

double tg_rng_normal(tg_rng *r)
{
    double u1 = 1.0 - tg_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = tg_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}
