// The WBAD pipeline: gradients to the raw input by finite differences (with and without the
// denoiser, exact and BPDA backward), BPDA semantics, feature layout, bad input.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "thermoguard/pipeline.h"
#include "thermoguard/rng.h"

namespace {

struct Fixture {
    tg_pipeline_config cfg;
    tg_net *net = nullptr;
    tg_pipeline *p = nullptr;
    ~Fixture()
    {
        tg_pipeline_destroy(p);
        tg_net_destroy(net);
    }
    void build(int batch, uint64_t seed = 5)
    {
        int c, h, w;
        ASSERT_EQ(tg_pipeline_feature_shape(&cfg, &c, &h, &w), TG_OK) << tg_last_error();
        ASSERT_EQ(tg_net_create(&net, "conv(6,3,1,1)-lrelu-avgpool(2)-conv(8,3,1,1)-lrelu-gap-dense(2)", c, h, w),
                  TG_OK)
            << tg_last_error();
        tg_rng r;
        tg_rng_seed(&r, seed);
        ASSERT_EQ(tg_net_init(net, &r), TG_OK);
        ASSERT_EQ(tg_pipeline_create(&p, &cfg, net, batch), TG_OK) << tg_last_error();
    }
};

std::vector<float> thermogram(tg_rng &r, int b, int c, int h, int w)
{
    std::vector<float> x((size_t)b * c * h * w);
    for (size_t i = 0; i < x.size(); i++) {
        size_t px = i % (size_t)(h * w);
        x[i] = 31.0f + 2.0f * std::sin((float)(px % w) / 3.0f) + 1.5f * std::cos((float)(px / w) / 4.0f) +
               0.3f * (float)tg_rng_normal(&r);
    }
    return x;
}

float loss_at(Fixture &f, const std::vector<float> &x, const std::vector<int> &y, int batch)
{
    std::vector<float> g(x.size());
    float loss = 0;
    EXPECT_EQ(tg_pipeline_input_gradient(f.p, x.data(), y.data(), batch, TG_LOSS_XENT, &loss, nullptr, g.data()), TG_OK)
        << tg_last_error();
    return loss;
}

// Directional derivatives: <grad, v> against central differences along random directions v.
void check_gradient(Fixture &f, int batch, const char *what)
{
    tg_rng r;
    tg_rng_seed(&r, 77);
    auto x = thermogram(r, batch, f.cfg.in_c, f.cfg.in_h, f.cfg.in_w);
    std::vector<int> y(batch);
    for (int b = 0; b < batch; b++)
        y[b] = b % 2;
    std::vector<float> g(x.size());
    float loss;
    ASSERT_EQ(tg_pipeline_input_gradient(f.p, x.data(), y.data(), batch, TG_LOSS_XENT, &loss, nullptr, g.data()), TG_OK);
    double gnorm = 0;
    for (float v : g)
        gnorm += (double)v * v;
    ASSERT_GT(gnorm, 0.0) << what;
    int agree = 0;
    const int dirs = 6;
    for (int d = 0; d < dirs; d++) {
        std::vector<float> v(x.size()), xp(x), xm(x);
        double dot = 0;
        for (size_t i = 0; i < x.size(); i++) {
            v[i] = (float)tg_rng_normal(&r);
            dot += (double)v[i] * g[i];
        }
        const float h = 2e-3f; // °C
        for (size_t i = 0; i < x.size(); i++) {
            xp[i] += h * v[i];
            xm[i] -= h * v[i];
        }
        double fd = ((double)loss_at(f, xp, y, batch) - (double)loss_at(f, xm, y, batch)) / (2.0 * h);
        double tol = 0.03 * std::fabs(dot) + 2e-3;
        agree += std::fabs(fd - dot) <= tol;
        if (std::fabs(fd - dot) > tol)
            ADD_FAILURE() << what << ": direction " << d << " analytic " << dot << " finite difference " << fd;
    }
    EXPECT_EQ(agree, dirs) << what;
}

TEST(Pipeline, GradientWithoutDenoiser)
{
    Fixture f;
    tg_pipeline_config_default(&f.cfg);
    f.cfg.in_h = 16;
    f.cfg.in_w = 20;
    f.cfg.denoise_on = 0;
    f.cfg.feat_wavelet[0] = 0;
    snprintf(f.cfg.feat_wavelet, sizeof f.cfg.feat_wavelet, "db2");
    f.build(3);
    check_gradient(f, 3, "no denoiser, db2 features");
}

TEST(Pipeline, GradientThroughDenoiserExactSubgradient)
{
    // With a fixed sigma and VisuShrink the thresholds do not depend on the input, so the exact
    // subgradient is the true derivative away from the kinks.
    Fixture f;
    tg_pipeline_config_default(&f.cfg);
    f.cfg.in_h = 16;
    f.cfg.in_w = 16;
    f.cfg.denoise.rule = TG_SHRINK_VISU;
    f.cfg.denoise.sigma = 0.004;
    f.cfg.denoise.levels = 2;
    f.cfg.feat_level = 2;
    f.build(2);
    check_gradient(f, 2, "soft VisuShrink, exact");
    // (every threshold kind is checked in double precision in Denoise.BackwardIsTheExactDerivative;
    // in float32 the kinks of garrote near T make finite differences too coarse to compare)
}

TEST(Pipeline, BpdaIsTheUndefendedGradientAtTheDenoisedInput)
{
    tg_pipeline_config cfg;
    tg_pipeline_config_default(&cfg);
    cfg.in_h = 16;
    cfg.in_w = 16;
    cfg.denoise_grad = TG_DENOISE_GRAD_BPDA;
    Fixture bp;
    bp.cfg = cfg;
    bp.build(2);
    Fixture plain;
    plain.cfg = cfg;
    plain.cfg.denoise_on = 0;
    plain.build(2); // same seed: same weights

    tg_rng r;
    tg_rng_seed(&r, 9);
    auto x = thermogram(r, 2, 2, 16, 16);
    std::vector<int> y = {1, 0};
    // denoised input, back in °C
    std::vector<float> xd(x.size());
    tg_denoiser *d;
    ASSERT_EQ(tg_denoiser_create(&d, &cfg.denoise, 16, 16), TG_OK);
    for (size_t s = 0; s < 4; s++) {
        std::vector<float> n(256);
        for (int i = 0; i < 256; i++)
            n[i] = (x[s * 256 + i] - cfg.t_min) / (cfg.t_max - cfg.t_min);
        ASSERT_EQ(tg_denoiser_apply_f(d, n.data(), n.data(), nullptr), TG_OK);
        for (int i = 0; i < 256; i++)
            xd[s * 256 + i] = n[i] * (cfg.t_max - cfg.t_min) + cfg.t_min;
    }
    tg_denoiser_destroy(d);
    std::vector<float> g1(x.size()), g2(x.size());
    float l1, l2;
    ASSERT_EQ(tg_pipeline_input_gradient(bp.p, x.data(), y.data(), 2, TG_LOSS_XENT, &l1, nullptr, g1.data()), TG_OK);
    ASSERT_EQ(tg_pipeline_input_gradient(plain.p, xd.data(), y.data(), 2, TG_LOSS_XENT, &l2, nullptr, g2.data()),
              TG_OK);
    EXPECT_NEAR(l1, l2, 1e-4);
    double num = 0, den = 0;
    for (size_t i = 0; i < g1.size(); i++) {
        num = std::max(num, (double)std::fabs(g1[i] - g2[i]));
        den = std::max(den, (double)std::fabs(g2[i]));
    }
    EXPECT_LT(num, 1e-3 * den);
}

TEST(Pipeline, FeaturesAreTheChosenSubbandsOfTheNormalisedImage)
{
    Fixture f;
    tg_pipeline_config_default(&f.cfg);
    f.cfg.in_c = 1;
    f.cfg.in_h = 8;
    f.cfg.in_w = 8;
    f.cfg.denoise_on = 0;
    f.cfg.feat_bands = TG_BAND_LL | TG_BAND_D;
    int c, h, w;
    ASSERT_EQ(tg_pipeline_feature_shape(&f.cfg, &c, &h, &w), TG_OK);
    EXPECT_EQ(c, 2);
    EXPECT_EQ(h, 4);
    EXPECT_EQ(w, 4);
    f.build(1);
    std::vector<float> x(64), feat(32);
    for (int i = 0; i < 64; i++)
        x[i] = 20.0f + (float)(i % 8) + 2.0f * (float)(i / 8); // a ramp in °C
    ASSERT_EQ(tg_pipeline_features(f.p, x.data(), 1, feat.data()), TG_OK);
    // haar LL / 2 = the mean of each 2x2 block of the normalised image
    for (int by = 0; by < 4; by++)
        for (int bx = 0; bx < 4; bx++) {
            double m = 0;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++)
                    m += (x[(2 * by + dy) * 8 + 2 * bx + dx] - 20.0) / 20.0 / 4.0;
            EXPECT_NEAR(feat[by * 4 + bx], m, 1e-6);
            EXPECT_NEAR(feat[16 + by * 4 + bx], 0.0, 1e-6); // a ramp has no diagonal detail
        }
    EXPECT_DOUBLE_EQ(tg_pipeline_celsius_per_unit(&f.cfg), 20.0);
}

TEST(Pipeline, BadInput)
{
    Fixture f;
    tg_pipeline_config_default(&f.cfg);
    f.cfg.in_h = 16;
    f.cfg.in_w = 16;
    f.build(2);
    std::vector<float> x(2 * 2 * 256, 30.0f), g(x.size());
    std::vector<int> y = {0, 1};
    x[300] = NAN;
    EXPECT_EQ(tg_pipeline_input_gradient(f.p, x.data(), y.data(), 2, TG_LOSS_XENT, nullptr, nullptr, g.data()),
              TG_ERR_NONFINITE);
    EXPECT_NE(std::string(tg_last_error()).find("sample 0 channel 1"), std::string::npos) << tg_last_error();
    x[300] = 30.0f;
    EXPECT_EQ(tg_pipeline_input_gradient(f.p, x.data(), y.data(), 3, TG_LOSS_XENT, nullptr, nullptr, g.data()),
              TG_ERR_ARG); // batch above capacity
    float dl[4] = {0};
    tg_pipeline *fresh = nullptr;
    ASSERT_EQ(tg_pipeline_create(&fresh, &f.cfg, f.net, 2), TG_OK);
    EXPECT_EQ(tg_pipeline_backward(fresh, dl, 0, g.data()), TG_ERR_ARG); // no forward yet
    tg_pipeline_destroy(fresh);

    tg_pipeline_config bad = f.cfg;
    bad.t_max = bad.t_min;
    EXPECT_EQ(tg_pipeline_config_check(&bad), TG_ERR_RANGE);
    bad = f.cfg;
    bad.feat_bands = 0;
    EXPECT_EQ(tg_pipeline_config_check(&bad), TG_ERR_ARG);
    bad = f.cfg;
    bad.feat_level = 9;
    EXPECT_EQ(tg_pipeline_config_check(&bad), TG_ERR_RANGE);
    bad = f.cfg;
    snprintf(bad.feat_wavelet, sizeof bad.feat_wavelet, "nope");
    EXPECT_EQ(tg_pipeline_config_check(&bad), TG_ERR_NOTFOUND);
    bad = f.cfg;
    bad.in_w = 32; // the network was built for 16 x 16
    tg_pipeline *mismatch = nullptr;
    EXPECT_EQ(tg_pipeline_create(&mismatch, &bad, f.net, 2), TG_ERR_ARG);
    EXPECT_EQ(mismatch, nullptr);
    EXPECT_EQ(tg_pipeline_create(&mismatch, &f.cfg, f.net, 0), TG_ERR_ARG);
}

} // namespace
