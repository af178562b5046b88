// Wavelet filter banks: lookup and the algebraic properties every bank must satisfy,
// checked without PyWavelets (the parity test compares the values themselves).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "thermoguard/wavelet.h"

TEST(Wavelet, EveryRequiredFamilyMemberExists)
{
    tg_wavelet w;
    std::vector<std::string> names = {"haar"};
    for (int i = 1; i <= 20; i++)
        names.push_back("db" + std::to_string(i));
    for (int i = 2; i <= 20; i++)
        names.push_back("sym" + std::to_string(i));
    for (int i = 1; i <= 17; i++)
        names.push_back("coif" + std::to_string(i));
    for (const char *b : {"1.1", "1.3", "1.5", "2.2", "2.4", "2.6", "2.8", "3.1", "3.3", "3.5", "3.7", "3.9", "4.4",
                          "5.5", "6.8"}) {
        names.push_back(std::string("bior") + b);
        names.push_back(std::string("rbio") + b);
    }
    for (const auto &n : names) {
        ASSERT_EQ(tg_wavelet_get(n.c_str(), &w), TG_OK) << n;
        EXPECT_EQ(std::string(w.name), n);
    }
    std::set<std::string> all;
    for (int i = 0; i < tg_wavelet_count(); i++)
        all.insert(tg_wavelet_name_at(i));
    EXPECT_EQ(all.size(), (size_t)tg_wavelet_count());
    EXPECT_EQ(tg_wavelet_name_at(-1), nullptr);
    EXPECT_EQ(tg_wavelet_name_at(tg_wavelet_count()), nullptr);
}

TEST(Wavelet, UnknownNamesAndNullArguments)
{
    tg_wavelet w;
    EXPECT_EQ(tg_wavelet_get("db0", &w), TG_ERR_NOTFOUND);
    EXPECT_NE(std::string(tg_last_error()).find("db0"), std::string::npos);
    EXPECT_EQ(tg_wavelet_get("morl", &w), TG_ERR_NOTFOUND); // continuous wavelets are not filter banks
    EXPECT_EQ(tg_wavelet_get("", &w), TG_ERR_NOTFOUND);
    EXPECT_EQ(tg_wavelet_get(nullptr, &w), TG_ERR_ARG);
    EXPECT_EQ(tg_wavelet_get("db2", nullptr), TG_ERR_ARG);
}

// Low-pass sums to sqrt(2), high-pass to 0; orthogonal banks are orthonormal under even
// shifts; every bank is biorthogonal: sum_k rec_lo[k] dec_lo[F-1-k+2m] = delta(m).
TEST(Wavelet, PerfectReconstructionConditions)
{
    for (int i = 0; i < tg_wavelet_count(); i++) {
        tg_wavelet w;
        ASSERT_EQ(tg_wavelet_get(tg_wavelet_name_at(i), &w), TG_OK);
        if (std::string(w.name) == "dmey")
            continue; // an FIR approximation of Meyer: not a perfect-reconstruction bank
        int F = w.len;
        double slo = 0, shi = 0;
        for (int k = 0; k < F; k++) {
            slo += w.dec_lo[k];
            shi += w.dec_hi[k];
        }
        EXPECT_NEAR(slo, std::sqrt(2.0), 1e-9) << w.name;
        EXPECT_NEAR(shi, 0.0, 1e-9) << w.name;
        for (int m = -(F / 2) + 1; m < F / 2; m++) {
            double s = 0;
            for (int k = 0; k < F; k++) {
                int j = F - 1 - k + 2 * m;
                if (j >= 0 && j < F)
                    s += w.rec_lo[k] * w.dec_lo[j];
            }
            EXPECT_NEAR(s, m == 0 ? 1.0 : 0.0, 1e-9) << w.name << " shift " << m;
            if (w.orthogonal) {
                double o = 0;
                for (int k = 0; k < F; k++)
                    if (k + 2 * m >= 0 && k + 2 * m < F)
                        o += w.dec_lo[k] * w.dec_lo[k + 2 * m];
                EXPECT_NEAR(o, m == 0 ? 1.0 : 0.0, 1e-9) << w.name << " shift " << m;
            }
        }
        for (int k = 0; k < F; k++)
            EXPECT_FLOAT_EQ(w.dec_lo_f[k], (float)w.dec_lo[k]);
    }
}
