// Losses: values against closed forms, finite-difference gradients, class weights, bad labels.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <string>

#include "nn_test_util.h"

using nntest::expect_grad;
using nntest::randn;

namespace {

const int B = 5, K = 3;
const int labels[B] = {0, 2, 1, 1, 0};
const float weights[K] = {0.5f, 2.0f, 1.0f};

TEST(NnLoss, CrossEntropyValueMatchesClosedForm)
{
    float z[2 * 2] = {1.0f, 3.0f, 0.0f, 0.0f}, loss, losses[2];
    int y[2] = {0, 1};
    ASSERT_EQ(tg_xent_forward(&loss, losses, z, y, nullptr, 2, 2, TG_REDUCE_MEAN), TG_OK);
    EXPECT_NEAR(losses[0], std::log(1 + std::exp(2.0)), 1e-6);
    EXPECT_NEAR(losses[1], std::log(2.0), 1e-6);
    EXPECT_NEAR(loss, (losses[0] + losses[1]) / 2, 1e-6);
    // torch's weighted mean divides by the sum of the labels' weights
    float w[2] = {3.0f, 1.0f};
    ASSERT_EQ(tg_xent_forward(&loss, nullptr, z, y, w, 2, 2, TG_REDUCE_MEAN), TG_OK);
    EXPECT_NEAR(loss, (3 * losses[0] + losses[1]) / 4, 1e-6);
    ASSERT_EQ(tg_xent_forward(&loss, nullptr, z, y, w, 2, 2, TG_REDUCE_SUM), TG_OK);
    EXPECT_NEAR(loss, 3 * losses[0] + losses[1], 1e-5);
}

TEST(NnLoss, FocalWithGammaZeroIsCrossEntropyAndDownweightsEasySamples)
{
    auto z = randn(B * K, 30, 2.0);
    float ce, focal, ce_s[B], fo_s[B];
    ASSERT_EQ(tg_xent_forward(&ce, ce_s, z.data(), labels, nullptr, B, K, TG_REDUCE_MEAN), TG_OK);
    ASSERT_EQ(tg_focal_forward(&focal, fo_s, z.data(), labels, nullptr, 0.0f, B, K, TG_REDUCE_MEAN), TG_OK);
    EXPECT_NEAR(ce, focal, 1e-6);
    ASSERT_EQ(tg_focal_forward(&focal, fo_s, z.data(), labels, nullptr, 2.0f, B, K, TG_REDUCE_MEAN), TG_OK);
    for (int b = 0; b < B; b++) {
        double p = std::exp(-ce_s[b]);
        EXPECT_NEAR(fo_s[b], (1 - p) * (1 - p) * ce_s[b], 1e-5);
    }
}

TEST(NnLoss, MarginValue)
{
    float z[2 * 3] = {1.0f, 4.0f, 2.0f, 5.0f, 1.0f, -1.0f}, loss, losses[2];
    int y[2] = {0, 0};
    ASSERT_EQ(tg_margin_forward(&loss, losses, z, y, 2, 3, TG_REDUCE_SUM), TG_OK);
    EXPECT_FLOAT_EQ(losses[0], -3.0f);
    EXPECT_FLOAT_EQ(losses[1], 4.0f);
    EXPECT_FLOAT_EQ(loss, 1.0f);
}

// Gradient of each loss (both reductions, with and without class weights) by central differences.
TEST(NnLoss, GradientsMatchFiniteDifferences)
{
    for (tg_reduction red : {TG_REDUCE_MEAN, TG_REDUCE_SUM})
        for (const float *w : {(const float *)nullptr, weights}) {
            SCOPED_TRACE(std::string(red == TG_REDUCE_MEAN ? "mean" : "sum") + (w ? " weighted" : ""));
            auto z = randn(B * K, 31, 1.5);
            std::vector<float> g(z.size(), 0.f);
            float loss;
            auto fx = [&] {
                EXPECT_EQ(tg_xent_forward(&loss, nullptr, z.data(), labels, w, B, K, red), TG_OK);
                return (double)loss;
            };
            ASSERT_EQ(tg_xent_backward(g.data(), 1.0f, z.data(), labels, w, B, K, red), TG_OK);
            expect_grad(fx, z.data(), g.data(), z.size(), 1e-2, 2e-3, 2e-4, "xent");
            for (float gamma : {0.5f, 2.0f}) {
                std::fill(g.begin(), g.end(), 0.f);
                auto ff = [&] {
                    EXPECT_EQ(tg_focal_forward(&loss, nullptr, z.data(), labels, w, gamma, B, K, red), TG_OK);
                    return (double)loss;
                };
                ASSERT_EQ(tg_focal_backward(g.data(), 1.0f, z.data(), labels, w, gamma, B, K, red), TG_OK);
                expect_grad(ff, z.data(), g.data(), z.size(), 1e-2, 2e-3, 2e-4, "focal");
            }
            if (w)
                continue;
            std::fill(g.begin(), g.end(), 0.f);
            auto fm = [&] {
                EXPECT_EQ(tg_margin_forward(&loss, nullptr, z.data(), labels, B, K, red), TG_OK);
                return (double)loss;
            };
            ASSERT_EQ(tg_margin_backward(g.data(), 1.0f, z.data(), labels, B, K, red), TG_OK);
            expect_grad(fm, z.data(), g.data(), z.size(), 1e-3, 2e-3, 2e-4, "margin");
        }
}

TEST(NnLoss, FocalGradientIsFiniteForConfidentSamples)
{
    float z[2] = {40.0f, -40.0f}, g[2] = {0, 0};
    int y = 0;
    ASSERT_EQ(tg_focal_backward(g, 1.0f, z, &y, nullptr, 0.5f, 1, 2, TG_REDUCE_MEAN), TG_OK);
    EXPECT_TRUE(std::isfinite(g[0]) && std::isfinite(g[1]));
}

TEST(NnLoss, BadArgumentsAreRejected)
{
    float z[4] = {0}, loss, g[4];
    int bad[2] = {0, 2}, y[2] = {0, 1};
    float neg[2] = {1.0f, -1.0f}, zero[2] = {0.0f, 0.0f};
    EXPECT_EQ(tg_xent_forward(&loss, nullptr, z, bad, nullptr, 2, 2, TG_REDUCE_MEAN), TG_ERR_ARG);
    EXPECT_NE(std::string(tg_last_error()).find("label 2 of sample 1"), std::string::npos) << tg_last_error();
    EXPECT_EQ(tg_xent_forward(&loss, nullptr, z, y, neg, 2, 2, TG_REDUCE_MEAN), TG_ERR_ARG);
    EXPECT_EQ(tg_xent_forward(&loss, nullptr, z, y, zero, 2, 2, TG_REDUCE_MEAN), TG_ERR_ARG);
    EXPECT_NE(std::string(tg_last_error()).find("sum to zero"), std::string::npos) << tg_last_error();
    EXPECT_EQ(tg_xent_backward(nullptr, 1.0f, z, y, nullptr, 2, 2, TG_REDUCE_MEAN), TG_ERR_ARG);
    EXPECT_EQ(tg_focal_forward(&loss, nullptr, z, y, nullptr, -1.0f, 2, 2, TG_REDUCE_MEAN), TG_ERR_ARG);
    EXPECT_EQ(tg_margin_forward(&loss, nullptr, z, y, 1, 1, TG_REDUCE_MEAN), TG_ERR_ARG);
    EXPECT_EQ(tg_margin_backward(g, 1.0f, z, y, 0, 2, TG_REDUCE_MEAN), TG_ERR_ARG);
    EXPECT_EQ(tg_xent_forward(&loss, nullptr, z, y, nullptr, 2, 2, (tg_reduction)7), TG_ERR_ARG);
}

} // namespace
