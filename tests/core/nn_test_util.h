// Helpers shared by the nn tests: random tensors and central-difference gradient checks.
// SPDX-License-Identifier: GPL-3.0-or-later
#ifndef TG_TESTS_NN_TEST_UTIL_H
#define TG_TESTS_NN_TEST_UTIL_H

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

extern "C" {
#include "thermoguard/nn.h"
}

namespace nntest {

// n normal(0, sd) floats from a seeded tg_rng.
inline std::vector<float> randn(size_t n, uint64_t seed, double sd = 1.0)
{
    tg_rng r;
    tg_rng_seed(&r, seed);
    std::vector<float> v(n);
    for (auto &x : v)
        x = (float)(sd * tg_rng_normal(&r));
    return v;
}

// Values whose magnitude is at least `gap` (keeps ReLU kinks out of reach of the FD step).
inline std::vector<float> randn_away_from_zero(size_t n, uint64_t seed, float gap)
{
    auto v = randn(n, seed);
    for (auto &x : v)
        x = x >= 0 ? x + gap : x - gap;
    return v;
}

// sum_i out[i] * r[i] in double: the scalar whose gradient w.r.t. out is r.
inline double dot(const std::vector<float> &out, const std::vector<float> &r)
{
    double s = 0;
    for (size_t i = 0; i < out.size(); i++)
        s += (double)out[i] * r[i];
    return s;
}

// Central differences of f w.r.t. every x[i] (step eps, measured in float) against g[i].
// Passes when each |g - num| <= atol + rtol |num| and the norm-wise relative error < rtol.
inline void expect_grad(const std::function<double()> &f, float *x, const float *g, size_t n, double eps, double rtol,
                        double atol, const char *what)
{
    double num2 = 0, err2 = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float save = x[i];
        x[i] = save + (float)eps;
        double hp = (double)x[i] - save;
        double fp = f();
        x[i] = save - (float)eps;
        double hm = (double)save - x[i];
        double fm = f();
        x[i] = save;
        double num = (fp - fm) / (hp + hm);
        num2 += num * num;
        err2 += (g[i] - num) * (g[i] - num);
        if (std::fabs(g[i] - num) > atol + rtol * std::fabs(num) && bad++ < 5)
            ADD_FAILURE() << what << "[" << i << "]: analytic " << g[i] << " numeric " << num;
    }
    EXPECT_LE(std::sqrt(err2), rtol * std::sqrt(num2) + atol) << what << ": norm-wise error";
}

} // namespace nntest

#endif
