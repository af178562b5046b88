// Wavelet denoising: parity with scikit-image, thresholds, the noise estimate, bad input.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "pyref.h"
#include "thermoguard/denoise.h"
#include "thermoguard/rng.h"

namespace {

TEST(Denoise, DefaultsMatchScikitImage)
{
    tg_denoise_params p;
    tg_denoise_params_default(&p);
    EXPECT_STREQ(p.wavelet, "db1");
    EXPECT_EQ(p.mode, TG_MODE_SYMMETRIC);
    EXPECT_EQ(p.threshold, TG_THRESH_SOFT);
    EXPECT_EQ(p.rule, TG_SHRINK_BAYES);
    EXPECT_EQ(p.levels, 0);
    EXPECT_LE(p.sigma, 0.0);
}

TEST(Denoise, ParityWithScikitImageDenoiseWavelet)
{
    auto recs = run_python_reference("skimage_reference.py", {});
    ASSERT_EQ(recs.size(), 3u * 5 * 2 * 2 * 2 * 2);
    for (const auto &r : recs) {
        tg_denoise_params p;
        tg_denoise_params_default(&p);
        snprintf(p.wavelet, sizeof p.wavelet, "%s", r.strs[0].c_str());
        ASSERT_EQ(tg_shrink_rule_parse(r.strs[1].c_str(), &p.rule), TG_OK);
        ASSERT_EQ(tg_threshold_kind_parse(r.strs[2].c_str(), &p.threshold), TG_OK);
        size_t h = (size_t)r.ints[0], w = (size_t)r.ints[1];
        p.levels = (int)r.ints[2];
        if (r.ints[3])
            p.sigma = r.arrays[1][0];
        std::vector<double> out(h * w);
        tg_denoise_report rep;
        ASSERT_EQ(tg_denoise2_d(r.arrays[0].data(), h, w, &p, out.data(), &rep), TG_OK) << tg_last_error();
        double err = 0, err_pub = 0;
        for (size_t i = 0; i < out.size(); i++) {
            err = std::max(err, std::fabs(out[i] - r.arrays[2][i]));
            double clipped = std::min(1.0, std::max(0.0, out[i])); // denoise_wavelet clips to [0, 1]
            err_pub = std::max(err_pub, std::fabs(clipped - r.arrays[3][i]));
        }
        std::string what = r.strs[0] + " " + r.strs[1] + " " + r.strs[2] + " " + std::to_string(h) + "x" +
                           std::to_string(w) + " levels=" + std::to_string(p.levels) + " sigma=" +
                           std::to_string(p.sigma);
        EXPECT_LT(err, 1e-8) << what;
        EXPECT_LT(err_pub, 1e-8) << what;
        EXPECT_GT(rep.sigma, 0.0) << what;

        std::vector<float> inf(r.arrays[0].begin(), r.arrays[0].end()), outf(h * w);
        ASSERT_EQ(tg_denoise2_f(inf.data(), h, w, &p, outf.data(), nullptr), TG_OK);
        double errf = 0;
        for (size_t i = 0; i < out.size(); i++)
            errf = std::max(errf, std::fabs((double)outf[i] - r.arrays[2][i]));
        EXPECT_LT(errf, 1e-5) << "float32 " << what;
    }
}

TEST(Denoise, RemovesNoiseAndLeavesApproximationAlone)
{
    const size_t h = 96, w = 128;
    tg_rng r;
    tg_rng_seed(&r, 11);
    std::vector<double> clean(h * w), noisy(h * w), out(h * w);
    for (size_t i = 0; i < h * w; i++) {
        clean[i] = 0.5 + 0.3 * std::sin((double)(i % w) / 10.0);
        noisy[i] = clean[i] + 0.05 * tg_rng_normal(&r);
    }
    tg_denoise_params p;
    tg_denoise_params_default(&p);
    tg_denoise_report rep;
    ASSERT_EQ(tg_denoise2_d(noisy.data(), h, w, &p, out.data(), &rep), TG_OK);
    double e_in = 0, e_out = 0;
    for (size_t i = 0; i < h * w; i++) {
        e_in += (noisy[i] - clean[i]) * (noisy[i] - clean[i]);
        e_out += (out[i] - clean[i]) * (out[i] - clean[i]);
    }
    EXPECT_LT(e_out, 0.5 * e_in);
    EXPECT_NEAR(rep.sigma, 0.05, 0.01);
    EXPECT_EQ(rep.levels, std::max(tg_dwt_max_level(h, 2) - 3, 1));
    // An infinite threshold removes every detail: the result is the approximation alone,
    // identical to reconstructing from the approximation band only.
    p.threshold = TG_THRESH_HARD;
    p.rule = TG_SHRINK_VISU;
    p.sigma = 1e12;
    ASSERT_EQ(tg_denoise2_d(noisy.data(), h, w, &p, out.data(), &rep), TG_OK);
    tg_wavelet wv;
    tg_wavelet_get("db1", &wv);
    tg_dwt_plan *plan;
    ASSERT_EQ(tg_dwt_plan_create_2d(&plan, &wv, TG_MODE_SYMMETRIC, h, w, rep.levels), TG_OK);
    const tg_dwt_layout *l = tg_dwt_plan_layout(plan);
    std::vector<double> c(l->total), approx_only(h * w);
    tg_dwt_forward_d(plan, noisy.data(), c.data());
    std::fill(c.begin() + (long)(l->shape[l->levels][0] * l->shape[l->levels][1]), c.end(), 0.0);
    tg_dwt_inverse_d(plan, c.data(), approx_only.data());
    for (size_t i = 0; i < h * w; i++)
        ASSERT_NEAR(out[i], approx_only[i], 1e-12);
    tg_dwt_plan_destroy(plan);
}

TEST(Denoise, ReusableDenoiserEqualsOneShotAndKeepsNoState)
{
    const size_t h = 61, w = 77;
    tg_rng r;
    tg_rng_seed(&r, 12);
    std::vector<double> a(h * w), b(h * w), one(h * w), out1(h * w), out2(h * w);
    for (size_t i = 0; i < h * w; i++) {
        a[i] = tg_rng_normal(&r);
        b[i] = 3.0 * tg_rng_normal(&r);
    }
    tg_denoise_params p;
    tg_denoise_params_default(&p);
    snprintf(p.wavelet, sizeof p.wavelet, "sym4");
    tg_denoiser *d = nullptr;
    ASSERT_EQ(tg_denoiser_create(&d, &p, h, w), TG_OK);
    ASSERT_EQ(tg_denoiser_apply_d(d, a.data(), out1.data(), nullptr), TG_OK);
    ASSERT_EQ(tg_denoiser_apply_d(d, b.data(), out2.data(), nullptr), TG_OK); // another image between
    ASSERT_EQ(tg_denoiser_apply_d(d, a.data(), out2.data(), nullptr), TG_OK);
    ASSERT_EQ(tg_denoise2_d(a.data(), h, w, &p, one.data(), nullptr), TG_OK);
    for (size_t i = 0; i < h * w; i++) {
        ASSERT_EQ(out1[i], one[i]);
        ASSERT_EQ(out2[i], one[i]);
    }
    ASSERT_EQ(tg_denoiser_apply_d(d, a.data(), a.data(), nullptr), TG_OK); // in place
    for (size_t i = 0; i < h * w; i++)
        ASSERT_EQ(a[i], one[i]);
    EXPECT_EQ(tg_denoiser_apply_d(d, nullptr, a.data(), nullptr), TG_ERR_ARG);
    tg_denoiser_destroy(d);
    tg_denoiser_destroy(nullptr);
    EXPECT_EQ(tg_denoiser_create(&d, &p, 0, 5), TG_ERR_ARG);
    EXPECT_EQ(d, nullptr);
}

// With thresholds that do not depend on the input (fixed sigma, VisuShrink), the backward pass
// is the exact derivative: <u, J v> by central differences equals <J^T u, v>.
TEST(Denoise, BackwardIsTheExactDerivative)
{
    for (int kind = 0; kind < 4; kind++) {
        for (const char *wavelet : {"db1", "db2", "sym4"}) {
            tg_denoise_params p;
            tg_denoise_params_default(&p);
            snprintf(p.wavelet, sizeof p.wavelet, "%s", wavelet);
            p.rule = TG_SHRINK_VISU;
            p.sigma = 0.02;
            p.levels = 2;
            p.threshold = (tg_threshold_kind)kind;
            const size_t h = 32, w = 34, n = h * w;
            tg_rng r;
            tg_rng_seed(&r, 3 + kind);
            std::vector<double> x(n), v(n), u(n), g(n), o1(n), o2(n);
            for (size_t i = 0; i < n; i++) {
                x[i] = 0.5 + 0.1 * std::sin((double)i * 0.3) + 0.05 * tg_rng_normal(&r);
                v[i] = tg_rng_normal(&r);
                u[i] = tg_rng_normal(&r);
            }
            tg_denoiser *d = nullptr;
            ASSERT_EQ(tg_denoiser_create(&d, &p, h, w), TG_OK);
            ASSERT_EQ(tg_denoiser_backward_d(d, x.data(), u.data(), g.data()), TG_OK);
            const double eps = 1e-7;
            std::vector<double> xp(x), xm(x);
            for (size_t i = 0; i < n; i++) {
                xp[i] += eps * v[i];
                xm[i] -= eps * v[i];
            }
            ASSERT_EQ(tg_denoiser_apply_d(d, xp.data(), o1.data(), nullptr), TG_OK);
            ASSERT_EQ(tg_denoiser_apply_d(d, xm.data(), o2.data(), nullptr), TG_OK);
            double fd = 0, an = 0;
            for (size_t i = 0; i < n; i++) {
                fd += u[i] * (o1[i] - o2[i]) / (2 * eps);
                an += g[i] * v[i];
            }
            EXPECT_NEAR(fd, an, 1e-6 * std::max(1.0, std::fabs(an)))
                << tg_threshold_kind_name(p.threshold) << " " << wavelet;
            // float32 entry point agrees with the double one
            std::vector<float> xf(x.begin(), x.end()), uf(u.begin(), u.end()), gf(n);
            ASSERT_EQ(tg_denoiser_backward_f(d, xf.data(), uf.data(), gf.data()), TG_OK);
            for (size_t i = 0; i < n; i++)
                ASSERT_NEAR(gf[i], g[i], 1e-4 * std::max(1.0, std::fabs(g[i])));
            tg_denoiser_destroy(d);
        }
    }
}

TEST(Denoise, SigmaEstimateExcludesZerosAndUsesTheMedian)
{
    double d[] = {0, 0, 0, 1, -2, 3, -4}; // |nonzero| = 1 2 3 4 -> median 2.5
    double s = 0;
    ASSERT_EQ(tg_sigma_mad(d, 7, &s), TG_OK);
    EXPECT_DOUBLE_EQ(s, 2.5 / 0.6744897501960817);
    double odd[] = {5, -1, 0, 3};
    ASSERT_EQ(tg_sigma_mad(odd, 4, &s), TG_OK);
    EXPECT_DOUBLE_EQ(s, 3.0 / 0.6744897501960817);
    double zeros[] = {0, 0};
    ASSERT_EQ(tg_sigma_mad(zeros, 2, &s), TG_OK);
    EXPECT_EQ(s, 0.0);
    double bad[] = {1, NAN};
    EXPECT_EQ(tg_sigma_mad(bad, 2, &s), TG_ERR_NONFINITE);
    EXPECT_EQ(tg_sigma_mad(nullptr, 2, &s), TG_ERR_ARG);
    // median of many values against a sort: odd and even counts, with ties and zeros, on both
    // sides of the small-set (quickselect) / large-set (histogram) switch at 16384 values
    tg_rng r;
    tg_rng_seed(&r, 3);
    for (size_t n : {1001u, 1000u, 16383u, 16384u, 40001u, 40000u}) {
        std::vector<double> v(n);
        for (auto &x : v)
            x = tg_rng_below(&r, 7) == 0 ? std::round(4 * tg_rng_normal(&r)) / 4 : tg_rng_normal(&r);
        ASSERT_EQ(tg_sigma_mad(v.data(), v.size(), &s), TG_OK);
        std::vector<double> a;
        for (double x : v)
            if (x != 0)
                a.push_back(std::fabs(x));
        std::sort(a.begin(), a.end());
        size_t m = a.size();
        double med = m % 2 ? a[m / 2] : 0.5 * (a[m / 2 - 1] + a[m / 2]);
        EXPECT_DOUBLE_EQ(s, med / 0.6744897501960817) << n;
    }
}

TEST(Denoise, BadInput)
{
    tg_denoise_params p;
    tg_denoise_params_default(&p);
    std::vector<double> img(32 * 32, 0.5), out(32 * 32, -1.0);
    EXPECT_EQ(tg_denoise2_d(nullptr, 32, 32, &p, out.data(), nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_denoise2_d(img.data(), 0, 32, &p, out.data(), nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_denoise2_d(img.data(), 32, 32, nullptr, out.data(), nullptr), TG_ERR_ARG);
    img[40] = NAN;
    EXPECT_EQ(tg_denoise2_d(img.data(), 32, 32, &p, out.data(), nullptr), TG_ERR_NONFINITE);
    EXPECT_NE(std::string(tg_last_error()).find("(1, 8)"), std::string::npos) << tg_last_error();
    EXPECT_EQ(out[0], -1.0); // untouched on error
    img[40] = INFINITY;
    EXPECT_EQ(tg_denoise2_d(img.data(), 32, 32, &p, out.data(), nullptr), TG_ERR_NONFINITE);
    img[40] = 0.5;
    snprintf(p.wavelet, sizeof p.wavelet, "db99");
    EXPECT_EQ(tg_denoise2_d(img.data(), 32, 32, &p, out.data(), nullptr), TG_ERR_NOTFOUND);
    tg_denoise_params_default(&p);
    p.levels = 9;
    EXPECT_EQ(tg_denoise2_d(img.data(), 32, 32, &p, out.data(), nullptr), TG_ERR_RANGE);
    p.levels = -1;
    EXPECT_EQ(tg_denoise2_d(img.data(), 32, 32, &p, out.data(), nullptr), TG_ERR_ARG);
    tg_denoise_params_default(&p);
    p.threshold = TG_THRESH_FIRM;
    p.firm_ratio = 1.0;
    EXPECT_EQ(tg_denoise2_d(img.data(), 32, 32, &p, out.data(), nullptr), TG_ERR_ARG);
    tg_denoise_params_default(&p);
    p.sigma = NAN;
    EXPECT_EQ(tg_denoise2_d(img.data(), 32, 32, &p, out.data(), nullptr), TG_ERR_ARG);
    tg_denoise_params_default(&p);
    p.threshold = (tg_threshold_kind)17;
    EXPECT_EQ(tg_denoise2_d(img.data(), 32, 32, &p, out.data(), nullptr), TG_ERR_ARG);
    tg_denoise_params_default(&p);
    std::vector<float> f(4);
    EXPECT_EQ(tg_denoise2_f(f.data(), SIZE_MAX / 2, 4, &p, f.data(), nullptr), TG_ERR_OVERFLOW);
    tg_threshold_kind k;
    tg_shrink_rule rr;
    EXPECT_EQ(tg_threshold_kind_parse("medium", &k), TG_ERR_NOTFOUND);
    EXPECT_EQ(tg_shrink_rule_parse("SureShrink", &rr), TG_ERR_NOTFOUND);
}

} // namespace
