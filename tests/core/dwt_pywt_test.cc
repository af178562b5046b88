// Parity of wavelets, DWT and thresholding with PyWavelets 1.1.1 (Debian python3-pywt).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "pyref.h"
#include "thermoguard/denoise.h"
#include "thermoguard/dwt.h"

namespace {

double max_abs_diff(const double *a, const std::vector<double> &b)
{
    double m = 0;
    for (size_t i = 0; i < b.size(); i++)
        m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

TEST(PywtParity, FilterBanksOfEveryWavelet)
{
    auto recs = run_python_reference("pywt_reference.py", {"filters"});
    ASSERT_EQ((int)recs.size(), tg_wavelet_count());
    for (const auto &r : recs) {
        tg_wavelet w;
        ASSERT_EQ(tg_wavelet_get(r.strs[0].c_str(), &w), TG_OK) << r.strs[0];
        ASSERT_EQ((size_t)w.len, r.arrays[0].size()) << r.strs[0];
        EXPECT_LE(max_abs_diff(w.dec_lo, r.arrays[0]), 1e-15) << r.strs[0];
        EXPECT_LE(max_abs_diff(w.dec_hi, r.arrays[1]), 1e-15) << r.strs[0];
        EXPECT_LE(max_abs_diff(w.rec_lo, r.arrays[2]), 1e-15) << r.strs[0];
        EXPECT_LE(max_abs_diff(w.rec_hi, r.arrays[3]), 1e-15) << r.strs[0];
    }
}

TEST(PywtParity, SingleLevel1DForwardAndInverse)
{
    auto recs = run_python_reference("pywt_reference.py", {"dwt1"});
    ASSERT_GT(recs.size(), 7000u);
    for (const auto &r : recs) {
        tg_wavelet w;
        ASSERT_EQ(tg_wavelet_get(r.strs[0].c_str(), &w), TG_OK);
        auto m = (tg_dwt_mode)r.ints[0];
        size_t n = (size_t)r.ints[1];
        const auto &x = r.arrays[0];
        size_t nc = tg_dwt_coeff_len(n, w.len, m);
        ASSERT_EQ(nc, r.arrays[1].size()) << r.strs[0] << " " << tg_dwt_mode_name(m) << " n=" << n;
        std::vector<double> ca(nc), cd(nc);
        ASSERT_EQ(tg_dwt1_d(x.data(), n, &w, m, ca.data(), cd.data()), TG_OK);
        EXPECT_LE(max_abs_diff(ca.data(), r.arrays[1]), 1e-10) << r.strs[0] << " " << tg_dwt_mode_name(m) << " n=" << n;
        EXPECT_LE(max_abs_diff(cd.data(), r.arrays[2]), 1e-10) << r.strs[0] << " " << tg_dwt_mode_name(m) << " n=" << n;
        const auto &ref = r.arrays[5];
        ASSERT_EQ(tg_idwt_len(nc, w.len, m), ref.size());
        std::vector<double> rec(ref.size());
        ASSERT_EQ(tg_idwt1_d(r.arrays[3].data(), r.arrays[4].data(), nc, &w, m, rec.data()), TG_OK);
        EXPECT_LE(max_abs_diff(rec.data(), ref), 1e-10) << r.strs[0] << " " << tg_dwt_mode_name(m) << " n=" << n;
    }
}

TEST(PywtParity, Wavedec1DEveryWaveletAndMode)
{
    auto recs = run_python_reference("pywt_reference.py", {"wavedec"});
    ASSERT_EQ(recs.size(), (size_t)tg_wavelet_count() * TG_DWT_MODE_COUNT);
    for (const auto &r : recs) {
        tg_wavelet w;
        ASSERT_EQ(tg_wavelet_get(r.strs[0].c_str(), &w), TG_OK);
        auto m = (tg_dwt_mode)r.ints[0];
        size_t n = (size_t)r.ints[1];
        int level = (int)r.ints[2];
        EXPECT_EQ(tg_dwt_max_level(n, w.len) > 1 ? tg_dwt_max_level(n, w.len) : 1, level) << r.strs[0];
        tg_dwt_plan *p = nullptr;
        ASSERT_EQ(tg_dwt_plan_create_1d(&p, &w, m, n, level), TG_OK) << tg_last_error();
        const tg_dwt_layout *l = tg_dwt_plan_layout(p);
        ASSERT_EQ(l->total, r.arrays[1].size()) << r.strs[0] << " " << tg_dwt_mode_name(m);
        std::vector<double> c(l->total), back(n);
        ASSERT_EQ(tg_dwt_forward_d(p, r.arrays[0].data(), c.data()), TG_OK);
        EXPECT_LE(max_abs_diff(c.data(), r.arrays[1]), 1e-10) << r.strs[0] << " " << tg_dwt_mode_name(m);
        if (std::string(r.strs[0]) != "dmey") { // dmey is not a perfect-reconstruction bank
            ASSERT_EQ(tg_dwt_inverse_d(p, c.data(), back.data()), TG_OK);
            double scale = 1.0; // smooth mode extrapolates: coefficients (and rounding) grow
            for (double v : c)
                scale = std::max(scale, std::fabs(v));
            EXPECT_LE(max_abs_diff(back.data(), r.arrays[0]), 1e-10 * scale) << r.strs[0] << " " << tg_dwt_mode_name(m);
        }
        tg_dwt_plan_destroy(p);
    }
}

TEST(PywtParity, Wavedec2AndWaverec2EveryWaveletAndMode)
{
    auto recs = run_python_reference("pywt_reference.py", {"wavedec2"});
    ASSERT_GT(recs.size(), (size_t)tg_wavelet_count() * TG_DWT_MODE_COUNT * 2);
    for (const auto &r : recs) {
        tg_wavelet w;
        ASSERT_EQ(tg_wavelet_get(r.strs[0].c_str(), &w), TG_OK);
        auto m = (tg_dwt_mode)r.ints[0];
        size_t h = (size_t)r.ints[1], wd = (size_t)r.ints[2];
        int level = (int)r.ints[3];
        tg_dwt_plan *p = nullptr;
        ASSERT_EQ(tg_dwt_plan_create_2d(&p, &w, m, h, wd, level), TG_OK) << tg_last_error();
        const tg_dwt_layout *l = tg_dwt_plan_layout(p);
        ASSERT_EQ(l->total, r.arrays[1].size()) << r.strs[0] << " " << tg_dwt_mode_name(m) << " " << h << "x" << wd;
        std::vector<double> c(l->total), rec(h * wd);
        ASSERT_EQ(tg_dwt_forward_d(p, r.arrays[0].data(), c.data()), TG_OK);
        EXPECT_LE(max_abs_diff(c.data(), r.arrays[1]), 1e-10)
            << r.strs[0] << " " << tg_dwt_mode_name(m) << " " << h << "x" << wd << " L" << level;
        ASSERT_EQ(tg_dwt_inverse_d(p, r.arrays[2].data(), rec.data()), TG_OK);
        EXPECT_LE(max_abs_diff(rec.data(), r.arrays[3]), 1e-10)
            << r.strs[0] << " " << tg_dwt_mode_name(m) << " " << h << "x" << wd << " L" << level;
        tg_dwt_plan_destroy(p);
    }
}

TEST(PywtParity, ThresholdFunctions)
{
    auto recs = run_python_reference("pywt_reference.py", {"threshold"});
    ASSERT_EQ(recs.size(), 8u);
    for (const auto &r : recs) {
        tg_threshold_kind k;
        ASSERT_EQ(tg_threshold_kind_parse(r.strs[0].c_str(), &k), TG_OK);
        double t = r.arrays[1][0];
        for (size_t i = 0; i < r.arrays[0].size(); i++)
            EXPECT_NEAR(tg_threshold_apply(k, r.arrays[0][i], t, 2.0), r.arrays[2][i], 1e-12)
                << r.strs[0] << " t=" << t << " x=" << r.arrays[0][i];
    }
}

} // namespace
