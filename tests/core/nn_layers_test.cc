// Finite-difference gradient checks of every layer (inputs and parameters) and bad-input handling.
// Each check uses the scalar L = sum(out * r) for a fixed random r, so dL/dout = r.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <cstring>
#include <string>

#include "nn_test_util.h"

using nntest::dot;
using nntest::expect_grad;
using nntest::randn;

namespace {

struct ConvCase {
    int B, C, H, W, K, R, S, P;
};

class ConvGrad : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvGrad, MatchesFiniteDifferences)
{
    ConvCase c = GetParam();
    int OH = (c.H + 2 * c.P - c.R) / c.S + 1, OW = (c.W + 2 * c.P - c.R) / c.S + 1;
    auto in = randn((size_t)c.B * c.C * c.H * c.W, 1);
    auto w = randn((size_t)c.K * c.C * c.R * c.R, 2, 0.5);
    auto b = randn(c.K, 3);
    auto r = randn((size_t)c.B * c.K * OH * OW, 4);
    std::vector<float> out(r.size()), col(tg_conv2d_col_floats(c.C, c.H, c.W, c.R, c.S, c.P));
    ASSERT_FALSE(col.empty());
    auto f = [&] {
        EXPECT_EQ(tg_conv2d_forward(out.data(), col.data(), in.data(), w.data(), b.data(), c.B, c.C, c.H, c.W, c.K,
                                    c.R, c.S, c.P),
                  TG_OK);
        return dot(out, r);
    };
    std::vector<float> din(in.size(), 0.f), dw(w.size(), 0.f), db(b.size(), 0.f);
    f();
    ASSERT_EQ(tg_conv2d_backward(din.data(), dw.data(), db.data(), col.data(), r.data(), in.data(), w.data(), c.B,
                                 c.C, c.H, c.W, c.K, c.R, c.S, c.P),
              TG_OK);
    expect_grad(f, in.data(), din.data(), in.size(), 1e-2, 1e-3, 1e-3, "conv din");
    expect_grad(f, w.data(), dw.data(), w.size(), 1e-2, 1e-3, 1e-3, "conv dw");
    expect_grad(f, b.data(), db.data(), b.size(), 1e-2, 1e-3, 1e-3, "conv db");

    // backward accumulates: a second call doubles every gradient
    auto din1 = din;
    ASSERT_EQ(tg_conv2d_backward(din.data(), nullptr, nullptr, col.data(), r.data(), in.data(), w.data(), c.B, c.C,
                                 c.H, c.W, c.K, c.R, c.S, c.P),
              TG_OK);
    for (size_t i = 0; i < din.size(); i++)
        ASSERT_NEAR(din[i], 2 * din1[i], 1e-5 + 1e-5 * std::fabs(din1[i]));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvGrad,
                         ::testing::Values(ConvCase{2, 2, 6, 5, 3, 3, 1, 1}, ConvCase{1, 3, 7, 7, 2, 3, 2, 1},
                                           ConvCase{2, 1, 5, 6, 4, 2, 1, 0}, ConvCase{1, 2, 8, 8, 3, 5, 3, 2},
                                           ConvCase{3, 2, 4, 4, 2, 1, 1, 0}));

TEST(NnLayers, ReluAndLeakyReluGradients)
{
    const size_t n = 50;
    auto in = nntest::randn_away_from_zero(n, 5, 0.05f);
    auto r = randn(n, 6);
    std::vector<float> out(n), din(n, 0.f);
    auto relu = [&] {
        EXPECT_EQ(tg_relu_forward(out.data(), in.data(), n), TG_OK);
        return dot(out, r);
    };
    ASSERT_EQ(tg_relu_backward(din.data(), r.data(), in.data(), n), TG_OK);
    expect_grad(relu, in.data(), din.data(), n, 1e-2, 1e-3, 1e-4, "relu din");
    std::fill(din.begin(), din.end(), 0.f);
    auto lrelu = [&] {
        EXPECT_EQ(tg_leaky_relu_forward(out.data(), in.data(), 0.2f, n), TG_OK);
        return dot(out, r);
    };
    ASSERT_EQ(tg_leaky_relu_backward(din.data(), r.data(), in.data(), 0.2f, n), TG_OK);
    expect_grad(lrelu, in.data(), din.data(), n, 1e-2, 1e-3, 1e-4, "lrelu din");
}

// Distinct values at least 0.05 apart, so no FD step changes a window's maximum.
static std::vector<float> spread(size_t n, uint64_t seed)
{
    tg_rng rg;
    tg_rng_seed(&rg, seed);
    std::vector<float> v(n);
    for (size_t i = 0; i < n; i++)
        v[i] = 0.05f * (float)i - 0.025f * (float)n;
    for (size_t i = n - 1; i > 0; i--)
        std::swap(v[i], v[tg_rng_below(&rg, i + 1)]);
    return v;
}

TEST(NnLayers, PoolingGradients)
{
    const int B = 2, C = 2, H = 7, W = 6;
    for (int R : {2, 3})
        for (int S : {1, 2}) {
            int OH = (H - R) / S + 1, OW = (W - R) / S + 1;
            auto in = spread((size_t)B * C * H * W, 7 + R + S);
            auto r = randn((size_t)B * C * OH * OW, 8);
            std::vector<float> out(r.size()), din(in.size(), 0.f);
            auto fmax = [&] {
                EXPECT_EQ(tg_maxpool_forward(out.data(), in.data(), B, C, H, W, R, S), TG_OK);
                return dot(out, r);
            };
            ASSERT_EQ(tg_maxpool_backward(din.data(), r.data(), in.data(), B, C, H, W, R, S), TG_OK);
            expect_grad(fmax, in.data(), din.data(), in.size(), 1e-2, 1e-3, 1e-4, "maxpool din");
            std::fill(din.begin(), din.end(), 0.f);
            auto favg = [&] {
                EXPECT_EQ(tg_avgpool_forward(out.data(), in.data(), B, C, H, W, R, S), TG_OK);
                return dot(out, r);
            };
            ASSERT_EQ(tg_avgpool_backward(din.data(), r.data(), B, C, H, W, R, S), TG_OK);
            expect_grad(favg, in.data(), din.data(), in.size(), 1e-2, 1e-3, 1e-4, "avgpool din");
        }
    auto in = randn(2 * 3 * 10, 9);
    auto r = randn(2 * 3, 10);
    std::vector<float> out(6), din(in.size(), 0.f);
    auto fgap = [&] {
        EXPECT_EQ(tg_gap_forward(out.data(), in.data(), 2, 3, 10), TG_OK);
        return dot(out, r);
    };
    ASSERT_EQ(tg_gap_backward(din.data(), r.data(), 2, 3, 10), TG_OK);
    expect_grad(fgap, in.data(), din.data(), in.size(), 1e-2, 1e-3, 1e-4, "gap din");
}

TEST(NnLayers, BatchNormGradientsTrainAndEval)
{
    const int B = 3, C = 2, N = 5;
    auto in = randn((size_t)B * C * N, 11, 2.0);
    auto gamma = randn(C, 12), beta = randn(C, 13), r = randn(in.size(), 14);
    std::vector<float> run_mean = {0.3f, -0.2f}, run_var = {1.5f, 0.7f};
    for (int train : {1, 0}) {
        std::vector<float> out(in.size()), mean(C), rstd(C), din(in.size(), 0.f), dg(C, 0.f), dbeta(C, 0.f);
        auto f = [&] {
            std::vector<float> rm = run_mean, rv = run_var; // the running update must not leak into f
            EXPECT_EQ(tg_batchnorm_forward(out.data(), mean.data(), rstd.data(), in.data(), gamma.data(), beta.data(),
                                           rm.data(), rv.data(), 0.1f, 1e-5f, train, B, C, N),
                      TG_OK);
            return dot(out, r);
        };
        f();
        ASSERT_EQ(tg_batchnorm_backward(din.data(), dg.data(), dbeta.data(), r.data(), in.data(), mean.data(),
                                        rstd.data(), gamma.data(), train, B, C, N),
                  TG_OK);
        const char *m = train ? "bn train" : "bn eval";
        SCOPED_TRACE(m);
        expect_grad(f, in.data(), din.data(), in.size(), 1e-2, 2e-3, 1e-3, "bn din");
        expect_grad(f, gamma.data(), dg.data(), C, 1e-2, 2e-3, 1e-3, "bn dgamma");
        expect_grad(f, beta.data(), dbeta.data(), C, 1e-2, 2e-3, 1e-3, "bn dbeta");
    }
}

TEST(NnLayers, BatchNormRunningStatisticsFollowTorch)
{
    // one channel, values 1..4: mean 2.5, biased var 1.25, unbiased 5/3
    float in[4] = {1, 2, 3, 4}, out[4], mean, rstd, g = 2, b = 1, rm = 0, rv = 1;
    ASSERT_EQ(tg_batchnorm_forward(out, &mean, &rstd, in, &g, &b, &rm, &rv, 0.1f, 1e-5f, 1, 2, 1, 2), TG_OK);
    EXPECT_FLOAT_EQ(mean, 2.5f);
    EXPECT_NEAR(rstd, 1 / std::sqrt(1.25 + 1e-5), 1e-6);
    EXPECT_NEAR(rm, 0.25, 1e-7);
    EXPECT_NEAR(rv, 0.9 + 0.1 * 5.0 / 3.0, 1e-6);
    EXPECT_NEAR(out[0], 2 * (1 - 2.5) / std::sqrt(1.25 + 1e-5) + 1, 1e-5);
    // eval uses the running statistics
    ASSERT_EQ(tg_batchnorm_forward(out, &mean, &rstd, in, &g, &b, &rm, &rv, 0.1f, 1e-5f, 0, 2, 1, 2), TG_OK);
    EXPECT_NEAR(out[0], 2 * (1 - rm) / std::sqrt(rv + 1e-5) + 1, 1e-5);
}

TEST(NnLayers, DenseGradients)
{
    const int B = 3, F = 7, O = 4;
    auto in = randn((size_t)B * F, 15), w = randn((size_t)O * F, 16), b = randn(O, 17), r = randn((size_t)B * O, 18);
    std::vector<float> out(r.size()), din(in.size(), 0.f), dw(w.size(), 0.f), db(O, 0.f);
    auto f = [&] {
        EXPECT_EQ(tg_dense_forward(out.data(), in.data(), w.data(), b.data(), B, F, O), TG_OK);
        return dot(out, r);
    };
    ASSERT_EQ(tg_dense_backward(din.data(), dw.data(), db.data(), r.data(), in.data(), w.data(), B, F, O), TG_OK);
    expect_grad(f, in.data(), din.data(), in.size(), 1e-2, 1e-3, 1e-4, "dense din");
    expect_grad(f, w.data(), dw.data(), w.size(), 1e-2, 1e-3, 1e-4, "dense dw");
    expect_grad(f, b.data(), db.data(), b.size(), 1e-2, 1e-3, 1e-4, "dense db");
}

TEST(NnLayers, DropoutMaskIsPerSampleAndGradientMatches)
{
    const int B = 4, N = 200;
    auto in = randn((size_t)B * N, 19), r = randn((size_t)B * N, 20);
    std::vector<float> out(in.size()), mask(in.size()), din(in.size(), 0.f);
    uint64_t ids[B] = {10, 11, 12, 13};
    ASSERT_EQ(tg_dropout_forward(out.data(), mask.data(), in.data(), 0.3f, 99, ids, B, N), TG_OK);
    int zeros = 0;
    for (float m : mask) {
        ASSERT_TRUE(m == 0.f || std::fabs(m - 1 / 0.7f) < 1e-6f);
        zeros += m == 0.f;
    }
    EXPECT_NEAR(zeros / (double)mask.size(), 0.3, 0.06);
    // sample 12 alone (batch of 1) gets the same mask as inside the batch
    std::vector<float> out1(N), mask1(N);
    ASSERT_EQ(tg_dropout_forward(out1.data(), mask1.data(), in.data() + 2 * N, 0.3f, 99, ids + 2, 1, N), TG_OK);
    EXPECT_EQ(0, std::memcmp(mask1.data(), mask.data() + 2 * N, N * sizeof(float)));
    ASSERT_EQ(tg_dropout_backward(din.data(), r.data(), mask.data(), B, N), TG_OK);
    auto f = [&] {
        EXPECT_EQ(tg_dropout_forward(out.data(), mask.data(), in.data(), 0.3f, 99, ids, B, N), TG_OK);
        return dot(out, r);
    };
    expect_grad(f, in.data(), din.data(), in.size(), 1e-2, 1e-3, 1e-4, "dropout din");
}

static void expect_fail(tg_status st, tg_status want, const char *needle)
{
    EXPECT_EQ(st, want) << tg_last_error();
    EXPECT_NE(std::string(tg_last_error()).find(needle), std::string::npos) << tg_last_error();
}

TEST(NnLayers, BadArgumentsAreRejectedWithAMessage)
{
    float buf[64] = {0};
    expect_fail(tg_conv2d_forward(nullptr, buf, buf, buf, buf, 1, 1, 4, 4, 1, 3, 1, 1), TG_ERR_ARG, "out is NULL");
    expect_fail(tg_conv2d_forward(buf, buf, buf, buf, buf, 0, 1, 4, 4, 1, 3, 1, 1), TG_ERR_ARG, "must be > 0");
    expect_fail(tg_conv2d_forward(buf, buf, buf, buf, buf, 1, 1, 2, 2, 1, 5, 1, 1), TG_ERR_ARG, "does not fit");
    expect_fail(tg_conv2d_forward(buf, buf, buf, buf, buf, 1, 1, 4, 4, 1, 3, 0, 1), TG_ERR_ARG, "does not fit");
    expect_fail(tg_conv2d_forward(buf, buf, buf, buf, buf, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1, 1, 1, 0),
                TG_ERR_OVERFLOW, "overflows");
    expect_fail(tg_conv2d_backward(buf, buf, buf, nullptr, buf, buf, buf, 1, 1, 4, 4, 1, 3, 1, 1), TG_ERR_ARG,
                "col is NULL");
    EXPECT_EQ(tg_conv2d_col_floats(1, 2, 2, 3, 1, 0), 0u);
    expect_fail(tg_relu_forward(buf, buf, 0), TG_ERR_ARG, "n must be > 0");
    expect_fail(tg_leaky_relu_forward(buf, buf, NAN, 4), TG_ERR_ARG, "slope");
    expect_fail(tg_maxpool_forward(buf, buf, 1, 1, 2, 2, 3, 1), TG_ERR_ARG, "does not fit");
    expect_fail(tg_avgpool_backward(buf, nullptr, 1, 1, 4, 4, 2, 2), TG_ERR_ARG, "NULL");
    expect_fail(tg_gap_forward(buf, buf, 1, -1, 4), TG_ERR_ARG, "must be > 0");
    expect_fail(tg_batchnorm_forward(buf, buf, buf, buf, buf, buf, buf, buf, 0.1f, 1e-5f, 1, 1, 1, 1), TG_ERR_ARG,
                "more than one value");
    expect_fail(tg_batchnorm_forward(buf, buf, buf, buf, buf, buf, nullptr, nullptr, 0.1f, 1e-5f, 0, 2, 1, 2),
                TG_ERR_ARG, "running");
    expect_fail(tg_dense_forward(buf, buf, buf, buf, 2, 3, 0), TG_ERR_ARG, "must be > 0");
    expect_fail(tg_dropout_forward(buf, buf, buf, 1.0f, 1, nullptr, 1, 4), TG_ERR_ARG, "[0, 1)");
}

} // namespace
