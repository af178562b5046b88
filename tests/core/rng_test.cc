// The explicit RNG: determinism, independent per-sample streams, distributions.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "thermoguard/rng.h"

TEST(Rng, SameSeedSameSequence)
{
    tg_rng a, b;
    tg_rng_seed(&a, 42);
    tg_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(tg_rng_u64(&a), tg_rng_u64(&b));
    tg_rng_seed(&b, 43);
    EXPECT_NE(tg_rng_u64(&a), tg_rng_u64(&b));
}

TEST(Rng, StreamsDependOnlyOnSeedAndIndex)
{
    // Drawing stream 7 alone or after streams 0..6 gives the same numbers: no hidden state.
    std::vector<uint64_t> alone, after;
    tg_rng r;
    tg_rng_stream(&r, 99, 7);
    for (int i = 0; i < 16; i++)
        alone.push_back(tg_rng_u64(&r));
    for (uint64_t idx = 0; idx <= 7; idx++) {
        tg_rng_stream(&r, 99, idx);
        for (int i = 0; i < 16; i++) {
            uint64_t v = tg_rng_u64(&r);
            if (idx == 7)
                after.push_back(v);
        }
    }
    EXPECT_EQ(alone, after);
    std::set<uint64_t> firsts;
    for (uint64_t idx = 0; idx < 10000; idx++) {
        tg_rng_stream(&r, 99, idx);
        firsts.insert(tg_rng_u64(&r));
    }
    EXPECT_EQ(firsts.size(), 10000u);
    tg_rng a, b;
    tg_rng_stream(&a, 1, 2);
    tg_rng_stream(&b, 2, 1);
    EXPECT_NE(tg_rng_u64(&a), tg_rng_u64(&b)); // seed and index do not commute
}

TEST(Rng, Distributions)
{
    tg_rng r;
    tg_rng_seed(&r, 5);
    const int n = 200000;
    double s = 0, s2 = 0, ns = 0, ns2 = 0;
    int counts[7] = {0};
    for (int i = 0; i < n; i++) {
        double u = tg_rng_uniform(&r);
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        s += u;
        s2 += u * u;
        double z = tg_rng_normal(&r);
        ASSERT_TRUE(std::isfinite(z));
        ns += z;
        ns2 += z * z;
        uint64_t k = tg_rng_below(&r, 7);
        ASSERT_LT(k, 7u);
        counts[k]++;
    }
    EXPECT_NEAR(s / n, 0.5, 0.005);
    EXPECT_NEAR(s2 / n - 0.25, 1.0 / 12, 0.003);
    EXPECT_NEAR(ns / n, 0.0, 0.01);
    EXPECT_NEAR(ns2 / n, 1.0, 0.015);
    for (int c : counts)
        EXPECT_NEAR(c, n / 7.0, 5 * std::sqrt(n / 7.0));
    EXPECT_EQ(tg_rng_below(&r, 0), 0u);
    double v = tg_rng_range(&r, -2.0, -1.0);
    EXPECT_GE(v, -2.0);
    EXPECT_LT(v, -1.0);
}
