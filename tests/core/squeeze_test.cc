// Squeezers against an independent numpy/scipy implementation, and the feature-squeezing
// detector's calibration.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "pyref.h"
#include "thermoguard/detect.h"
#include "thermoguard/rng.h"

namespace {

std::vector<float> image(tg_rng &r, int h, int w)
{
    std::vector<float> x((size_t)h * w);
    for (int y = 0; y < h; y++)
        for (int c = 0; c < w; c++)
            x[(size_t)y * w + c] = 0.5f + 0.3f * std::sin(c / 5.0f) * std::cos(y / 7.0f) + 0.08f * (float)tg_rng_normal(&r);
    x[3] = 1.4f; // out of range: clipped first
    x[4] = -0.2f;
    return x;
}

TEST(Squeeze, MatchesScipyReference)
{
    tg_rng r;
    tg_rng_seed(&r, 21);
    std::vector<PyRecord> in;
    const char *kinds[] = {"bits", "median", "jpeg"};
    const int params[3][3] = {{1, 4, 8}, {3, 5, 7}, {10, 50, 95}};
    for (int k = 0; k < 3; k++)
        for (int pi = 0; pi < 3; pi++)
            for (auto hw : {std::pair<int, int>{16, 24}, {21, 19}}) {
                auto x = image(r, hw.first, hw.second);
                in.push_back({{kinds[k]}, {params[k][pi], hw.first, hw.second}, {std::vector<double>(x.begin(), x.end())}});
            }
    std::string path = temp_path("squeeze_in");
    ASSERT_TRUE(write_records(path, in));
    auto ref = run_python_reference("squeeze_reference.py", {path});
    std::remove(path.c_str());
    ASSERT_EQ(ref.size(), in.size());
    for (const auto &rec : ref) {
        tg_squeezer s;
        std::string text = rec.strs[0] + ":" + std::to_string(rec.ints[0]);
        ASSERT_EQ(tg_squeezer_parse(text.c_str(), &s), TG_OK) << text;
        int h = (int)rec.ints[1], w = (int)rec.ints[2];
        std::vector<float> x(rec.arrays[0].begin(), rec.arrays[0].end()), y(x.size());
        ASSERT_EQ(tg_squeeze_apply(&s, x.data(), h, w, y.data()), TG_OK) << tg_last_error();
        int off_by_one = 0;
        for (size_t i = 0; i < y.size(); i++) {
            double d = std::fabs(y[i] - rec.arrays[1][i]);
            if (d > 1e-6) {
                // JPEG rounds at .5 ties (the DC term is a multiple of 1/8, so with the small
                // quantisers of high qualities ties are common) and a different DCT summation
                // order may break a tie the other way: one level, for a whole 8x8 block at most
                EXPECT_EQ(rec.strs[0], "jpeg") << text << " pixel " << i;
                EXPECT_LE(d, 1.0 / 255 + 1e-6) << text;
                off_by_one++;
            }
        }
        EXPECT_LE(off_by_one, (int)y.size() / 10) << text;
        char buf[32];
        tg_squeezer_format(&s, buf, sizeof buf);
        EXPECT_EQ(text, buf);
    }
}

TEST(Squeeze, JpegQualityOrdersTheDistortion)
{
    tg_rng r;
    tg_rng_seed(&r, 5);
    auto x = image(r, 32, 32);
    x[3] = 0.5f;
    x[4] = 0.5f;
    double prev = -1;
    for (int q : {100, 75, 50, 10}) {
        tg_squeezer s = {TG_SQUEEZE_JPEG, 0, 0, q};
        std::vector<float> y(x.size());
        ASSERT_EQ(tg_squeeze_apply(&s, x.data(), 32, 32, y.data()), TG_OK);
        double e = 0;
        for (size_t i = 0; i < x.size(); i++)
            e += (x[i] - y[i]) * (x[i] - y[i]);
        EXPECT_GT(e, prev) << q;
        prev = e;
        if (q == 100) {
            EXPECT_LT(std::sqrt(e / x.size()), 3.0 / 255);
        }
    }
}

TEST(Squeeze, BadInput)
{
    tg_squeezer s;
    EXPECT_EQ(tg_squeezer_parse("bits:0", &s), TG_ERR_ARG);
    EXPECT_EQ(tg_squeezer_parse("median:4", &s), TG_ERR_ARG);
    EXPECT_EQ(tg_squeezer_parse("jpeg:101", &s), TG_ERR_ARG);
    EXPECT_EQ(tg_squeezer_parse("blur:3", &s), TG_ERR_ARG);
    EXPECT_EQ(tg_squeezer_parse("jpeg:5x", &s), TG_ERR_ARG);
    EXPECT_EQ(tg_squeezer_parse("jpeg", &s), TG_ERR_ARG);
    EXPECT_EQ(tg_squeezer_parse(nullptr, &s), TG_ERR_ARG);
    ASSERT_EQ(tg_squeezer_parse("median:3", &s), TG_OK);
    std::vector<float> x(16, 0.5f), y(16);
    EXPECT_EQ(tg_squeeze_apply(&s, x.data(), 4, 4, x.data()), TG_ERR_ARG); // median in place
    EXPECT_EQ(tg_squeeze_apply(&s, x.data(), 0, 4, y.data()), TG_ERR_ARG);
    x[7] = NAN;
    EXPECT_EQ(tg_squeeze_apply(&s, x.data(), 4, 4, y.data()), TG_ERR_NONFINITE);
}

TEST(Detector, CalibrationMeetsTheFalsePositiveRateAndNoiseScoresHigher)
{
    tg_pipeline_config cfg;
    tg_pipeline_config_default(&cfg);
    cfg.in_h = cfg.in_w = 16;
    int c, h, w;
    ASSERT_EQ(tg_pipeline_feature_shape(&cfg, &c, &h, &w), TG_OK);
    tg_net *net = nullptr;
    ASSERT_EQ(tg_net_create(&net, "conv(8,3,1,1)-relu-gap-dense(2)", c, h, w), TG_OK);
    tg_rng r;
    tg_rng_seed(&r, 8);
    ASSERT_EQ(tg_net_init(net, &r), TG_OK);
    tg_pipeline *p = nullptr;
    ASSERT_EQ(tg_pipeline_create(&p, &cfg, net, 16), TG_OK);
    const int n = 100;
    std::vector<float> clean((size_t)n * 2 * 256), noisy(clean.size());
    for (size_t i = 0; i < clean.size(); i++) {
        clean[i] = 30.0f + 2.0f * std::sin((float)(i % 16) / 4.0f) + 0.05f * (float)tg_rng_normal(&r);
        noisy[i] = clean[i] + 3.0f * (float)tg_rng_normal(&r);
    }
    tg_detector d;
    tg_detector_default(&d);
    std::vector<float> s0(n), s1(n);
    ASSERT_EQ(tg_detector_scores(p, &d, clean.data(), n, s0.data()), TG_OK);
    for (float v : s0) {
        EXPECT_GE(v, 0.0f);
        EXPECT_LE(v, 2.0f);
    }
    double achieved = -1;
    ASSERT_EQ(tg_detector_calibrate(p, &d, clean.data(), n, 0.05, &achieved), TG_OK);
    EXPECT_TRUE(d.calibrated);
    EXPECT_LE(achieved, 0.05);
    EXPECT_GE(achieved, 0.0);
    int flagged = 0;
    for (float v : s0)
        flagged += v > d.threshold;
    EXPECT_EQ(flagged / (double)n, achieved);
    ASSERT_EQ(tg_detector_scores(p, &d, noisy.data(), n, s1.data()), TG_OK);
    double m0 = 0, m1 = 0;
    for (int i = 0; i < n; i++) {
        m0 += s0[i];
        m1 += s1[i];
    }
    EXPECT_GT(m1, m0); // heavy noise changes under squeezing more than clean inputs do
    EXPECT_EQ(tg_detector_calibrate(p, &d, clean.data(), 10, 0.05, nullptr), TG_ERR_RANGE);
    EXPECT_EQ(tg_detector_calibrate(p, &d, clean.data(), n, 0.0, nullptr), TG_ERR_RANGE);
    tg_pipeline_destroy(p);
    tg_net_destroy(net);
}

} // namespace
