// TRADES and MART losses and gradients against PyTorch (float64, the authors' formulation),
// the KL objective by finite differences, and bad input.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "pyref.h"
#include "thermoguard/rng.h"
#include "thermoguard/robust_loss.h"

namespace {

TEST(RobustLoss, TradesAndMartMatchPyTorch)
{
    tg_rng r;
    tg_rng_seed(&r, 31);
    std::vector<PyRecord> in;
    for (int K : {2, 3, 5})
        for (float beta : {1.0f, 6.0f}) {
            int B = 7;
            std::vector<double> z(B * K), za(B * K), y(B);
            for (int i = 0; i < B * K; i++) {
                z[i] = (float)(2.0 * tg_rng_normal(&r));
                za[i] = (float)(z[i] + 1.5 * tg_rng_normal(&r));
            }
            for (int b = 0; b < B; b++)
                y[b] = (double)tg_rng_below(&r, (uint64_t)K);
            in.push_back({{}, {B, K}, {z, za, y, {beta}}});
        }
    std::string path = temp_path("robust_in");
    ASSERT_TRUE(write_records(path, in));
    auto ref = run_python_reference("robust_loss_torch.py", {path});
    std::remove(path.c_str());
    ASSERT_EQ(ref.size(), in.size());
    for (size_t c = 0; c < ref.size(); c++) {
        int B = (int)ref[c].ints[0], K = (int)ref[c].ints[1];
        std::vector<float> z(in[c].arrays[0].begin(), in[c].arrays[0].end()),
            za(in[c].arrays[1].begin(), in[c].arrays[1].end());
        std::vector<int> y(in[c].arrays[2].begin(), in[c].arrays[2].end());
        float beta = (float)in[c].arrays[3][0];
        for (int kind = 0; kind < 2; kind++) {
            std::vector<float> dz(B * K, 0.0f), dza(B * K, 0.0f);
            float loss = 0;
            tg_status st = kind == 0 ? tg_trades_loss(&loss, z.data(), za.data(), y.data(), B, K, beta, dz.data(), dza.data())
                                     : tg_mart_loss(&loss, z.data(), za.data(), y.data(), B, K, beta, dz.data(), dza.data());
            ASSERT_EQ(st, TG_OK) << tg_last_error();
            const auto &L = ref[c].arrays[3 * kind], &G = ref[c].arrays[3 * kind + 1], &GA = ref[c].arrays[3 * kind + 2];
            const char *name = kind == 0 ? "TRADES" : "MART";
            EXPECT_NEAR(loss, L[0], 1e-5 * std::max(1.0, std::fabs(L[0]))) << name << " K=" << K;
            for (int i = 0; i < B * K; i++) {
                EXPECT_NEAR(dz[i], G[i], 1e-5 * std::max(1.0, std::fabs(G[i]))) << name << " dz " << i;
                EXPECT_NEAR(dza[i], GA[i], 1e-5 * std::max(1.0, std::fabs(GA[i]))) << name << " dz_adv " << i;
            }
        }
    }
}

TEST(RobustLoss, KlObjectiveGradientByFiniteDifferences)
{
    const int B = 3, K = 4;
    tg_rng r;
    tg_rng_seed(&r, 2);
    std::vector<float> zr(B * K), z(B * K), dz(B * K, 0.0f);
    for (int i = 0; i < B * K; i++) {
        zr[i] = (float)tg_rng_normal(&r);
        z[i] = (float)tg_rng_normal(&r);
    }
    float loss;
    ASSERT_EQ(tg_kl_loss(&loss, zr.data(), z.data(), B, K, dz.data()), TG_OK);
    EXPECT_GT(loss, 0.0f);
    for (int i = 0; i < B * K; i++) {
        std::vector<float> zp(z), zm(z);
        zp[i] += 1e-2f;
        zm[i] -= 1e-2f;
        float lp, lm;
        tg_kl_loss(&lp, zr.data(), zp.data(), B, K, nullptr);
        tg_kl_loss(&lm, zr.data(), zm.data(), B, K, nullptr);
        EXPECT_NEAR((lp - lm) / 2e-2f, dz[i], 2e-3) << i;
    }
    ASSERT_EQ(tg_kl_loss(&loss, zr.data(), zr.data(), B, K, nullptr), TG_OK);
    EXPECT_NEAR(loss, 0.0f, 1e-6);
}

TEST(RobustLoss, BadInput)
{
    float z[4] = {0, 1, 2, 3}, za[4] = {0, 1, 2, 3}, loss;
    int y[2] = {0, 2};
    EXPECT_EQ(tg_trades_loss(&loss, z, za, y, 2, 2, 1.0f, nullptr, nullptr), TG_ERR_ARG); // label 2 of 2 classes
    y[1] = 1;
    EXPECT_EQ(tg_trades_loss(&loss, z, za, y, 2, 2, -1.0f, nullptr, nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_mart_loss(&loss, nullptr, za, y, 2, 2, 1.0f, nullptr, nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_mart_loss(&loss, z, za, y, 0, 2, 1.0f, nullptr, nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_mart_loss(&loss, z, za, y, 4, 1, 1.0f, nullptr, nullptr), TG_ERR_ARG);
    za[1] = NAN;
    EXPECT_EQ(tg_mart_loss(&loss, z, za, y, 2, 2, 1.0f, nullptr, nullptr), TG_ERR_NONFINITE);
    EXPECT_EQ(tg_trades_loss(&loss, z, za, nullptr, 2, 2, 1.0f, nullptr, nullptr), TG_ERR_ARG);
    za[1] = 1;
    EXPECT_EQ(tg_mart_loss(&loss, z, za, y, 2, 2, 1.0f, nullptr, nullptr), TG_OK);
}

} // namespace
