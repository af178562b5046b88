// Robustness cells (core/src/robustness.c): accuracy bookkeeping against a hand count, the
// invariants robust <= clean and success = flips / clean-correct, transfer from the target
// itself equal to the adaptive attack, black-box = Square only, a gradient-masking check
// (adaptive through the denoiser never weaker than transfer from the undefended pipeline),
// detector rates against a hand count, and argument checks.
// Small random network on 2 x 16 x 16 °C inputs, made input-sensitive as in attack_test.cc.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixtures.h"

extern "C" {
#include "thermoguard/robustness.h"
#include "thermoguard/rng.h"
}

namespace {

const char *kSpec = "conv(8,3,1,1)-relu-conv(8,3,1,1)-relu-gap-dense(2)";
constexpr int kC = 2, kH = 16, kW = 16;
constexpr size_t kN = (size_t)kC * kH * kW;

// One network, two pipelines over it: `plain` (no denoiser) and `def` (wavelet denoiser on).
// Labels are the plain pipeline's clean predictions with every `wrong`-th one inverted, so
// the clean accuracy is known by construction.
struct Fixture {
    tg_net *net = nullptr;
    tg_pipeline *plain = nullptr, *def = nullptr;
    tg_pipeline_config cfg;
    tg_sample_set set{};
    int n;
    Fixture(int n_, int max_batch, int wrong = 0, uint64_t seed = 7) : n(n_)
    {
        tg_pipeline_config_default(&cfg);
        cfg.in_c = kC;
        cfg.in_h = kH;
        cfg.in_w = kW;
        cfg.denoise_on = 0;
        int fc, fh, fw;
        EXPECT_EQ(tg_pipeline_feature_shape(&cfg, &fc, &fh, &fw), TG_OK) << tg_last_error();
        EXPECT_EQ(tg_net_create(&net, kSpec, fc, fh, fw), TG_OK) << tg_last_error();
        tg_rng r;
        tg_rng_seed(&r, seed);
        tg_net_init(net, &r);
        EXPECT_EQ(tg_pipeline_create(&plain, &cfg, net, max_batch), TG_OK) << tg_last_error();
        tg_pipeline_config dc = cfg;
        dc.denoise_on = 1;
        EXPECT_EQ(tg_pipeline_create(&def, &dc, net, max_batch), TG_OK) << tg_last_error();
        EXPECT_EQ(tg_sample_set_create(&set, (size_t)n, kC, kH, kW), TG_OK);
        std::vector<float> x(kN);
        for (int b = 0; b < n; b++) {
            double cx = tg_rng_range(&r, 4, 12), cy = tg_rng_range(&r, 4, 12), amp = tg_rng_range(&r, 0, 4);
            double base = tg_rng_range(&r, 28, 32);
            for (int c = 0; c < kC; c++)
                for (int i = 0; i < kH; i++)
                    for (int j = 0; j < kW; j++) {
                        double d2 = (i - cy) * (i - cy) + (j - cx) * (j - cx);
                        x[(size_t)c * kH * kW + (size_t)i * kW + j] =
                            (float)(base + (c == 0 ? amp : 0.3 * amp) * std::exp(-d2 / 10.0) + 0.2 * tg_rng_normal(&r));
                    }
            std::string pid = "P" + std::to_string(b);
            EXPECT_EQ(tg_sample_set_put(&set, (size_t)b, x.data(), 0, pid.c_str(), nullptr), TG_OK);
        }
        calibrate();
        std::vector<int> y = predict(plain, set.raw);
        for (int b = 0; b < n; b++)
            set.labels[b] = wrong > 0 && b % wrong == 0 ? 1 - y[b] : y[b];
    }
    // Rescales the last dense layer: logit-difference spread 2, decision boundary at its median
    // (a random network's logits barely move with the input otherwise).
    void calibrate()
    {
        std::vector<double> d(n);
        const float *z;
        for (int b = 0; b < n; b++) {
            ASSERT_EQ(tg_pipeline_forward(plain, set.raw + (size_t)b * kN, 1, nullptr, &z), TG_OK);
            d[b] = (double)z[1] - z[0];
        }
        tgfix::center_last_layer(net, d);
    }
    ~Fixture()
    {
        tg_sample_set_destroy(&set);
        tg_pipeline_destroy(plain);
        tg_pipeline_destroy(def);
        tg_net_destroy(net);
    }
    // Argmax predictions of the n samples at `in`, one at a time.
    std::vector<int> predict(tg_pipeline *p, const float *in) const
    {
        std::vector<int> out(n);
        float pr[2];
        for (int b = 0; b < n; b++) {
            EXPECT_EQ(tg_pipeline_predict(p, in + (size_t)b * kN, 1, pr), TG_OK) << tg_last_error();
            out[b] = pr[1] > pr[0] ? 1 : 0;
        }
        return out;
    }
};

tg_attack_params pgd(double eps, uint64_t seed = 3)
{
    tg_attack_params p = tg_attack_params_default(TG_ATTACK_PGD);
    p.eps = eps;
    p.step = eps / 4;
    p.iterations = 10;
    p.restarts = 2;
    p.seed = seed;
    return p;
}

tg_robust_cell run(tg_pipeline *target, tg_pipeline *source, const tg_detector *det, const tg_sample_set &s,
                   const tg_attack_params &a, tg_threat t, int batch)
{
    tg_robust_cell c;
    memset(&c, 0, sizeof c);
    EXPECT_EQ(tg_robustness_run(target, 0.5, source, 0.5, det, &s, &a, t, batch, &c, nullptr), TG_OK) << tg_last_error();
    return c;
}

void expect_consistent(const tg_robust_cell &c, const char *what)
{
    EXPECT_LE(c.robust_correct, c.clean_correct) << what;
    EXPECT_EQ(c.clean_correct, c.robust_correct + c.flipped) << what;
    EXPECT_DOUBLE_EQ(c.clean_acc, (double)c.clean_correct / (double)c.n) << what;
    EXPECT_DOUBLE_EQ(c.robust_acc, (double)c.robust_correct / (double)c.n) << what;
    EXPECT_LE(c.robust_acc, c.clean_acc) << what;
    if (c.clean_correct) {
        EXPECT_DOUBLE_EQ(c.success_rate, (double)c.flipped / (double)c.clean_correct) << what;
    }
    if (c.flipped) {
        EXPECT_GT(c.median_linf_c, 0.0) << what;
    } else {
        EXPECT_EQ(c.median_linf_c, 0.0) << what;
    }
}

TEST(Robustness, ThreatNames)
{
    EXPECT_STREQ(tg_threat_name(TG_THREAT_TRANSFER), "transfer");
    EXPECT_STREQ(tg_threat_name(TG_THREAT_ADAPTIVE), "adaptive");
    EXPECT_STREQ(tg_threat_name(TG_THREAT_BLACKBOX), "black-box");
    EXPECT_STREQ(tg_threat_name((tg_threat)9), "invalid");
}

// Clean/robust counts and flips equal a hand count over the same attack run sample by sample,
// and do not depend on the batch size; samples wrong when clean count as wrong under attack.
TEST(Robustness, BookkeepingMatchesHandCount)
{
    Fixture f(20, 20, 4);
    tg_attack_params a = pgd(0.01);
    tg_robust_cell c = run(f.plain, nullptr, nullptr, f.set, a, TG_THREAT_ADAPTIVE, 20);
    std::vector<int> clean = f.predict(f.plain, f.set.raw);
    std::vector<float> adv(f.set.n * kN);
    tg_attack_result res{};
    ASSERT_EQ(tg_attack_result_init(&res, f.n), TG_OK);
    ASSERT_EQ(tg_attack_run(f.plain, &a, f.set.raw, f.set.labels, f.n, adv.data(), &res, nullptr), TG_OK);
    std::vector<int> attacked = f.predict(f.plain, adv.data());
    size_t cc = 0, rc = 0, fl = 0;
    std::vector<float> linf;
    for (int b = 0; b < f.n; b++) {
        int okc = clean[b] == f.set.labels[b], oka = attacked[b] == f.set.labels[b];
        cc += okc;
        rc += okc && oka;
        if (okc && !oka) {
            fl++;
            linf.push_back(res.linf_c[b]);
        }
    }
    EXPECT_EQ(cc, 15u) << "every 4th label inverted";
    EXPECT_EQ(c.n, 20u);
    EXPECT_EQ(c.clean_correct, cc);
    EXPECT_EQ(c.robust_correct, rc);
    EXPECT_EQ(c.flipped, fl);
    EXPECT_GT(fl, 0u) << "the attack should flip some samples at this budget";
    std::sort(linf.begin(), linf.end());
    if (!linf.empty()) {
        size_t m = linf.size();
        double med = m % 2 ? linf[m / 2] : 0.5 * ((double)linf[m / 2 - 1] + linf[m / 2]);
        EXPECT_NEAR(c.median_linf_c, med, 1e-6);
    }
    EXPECT_NEAR(c.eps_c, a.eps * tg_pipeline_celsius_per_unit(&f.cfg), 1e-6);
    EXPECT_GT(c.grad_evals, 0);
    EXPECT_TRUE(std::isnan(c.detector_fpr));
    EXPECT_TRUE(std::isnan(c.detector_tpr));
    expect_consistent(c, "pgd adaptive");
    tg_attack_result_free(&res);

    tg_robust_cell c5 = run(f.plain, nullptr, nullptr, f.set, a, TG_THREAT_ADAPTIVE, 5);
    EXPECT_EQ(c5.clean_correct, c.clean_correct);
    EXPECT_EQ(c5.robust_correct, c.robust_correct);
    EXPECT_EQ(c5.flipped, c.flipped);
    EXPECT_DOUBLE_EQ(c5.median_linf_c, c.median_linf_c);
}

// Robust accuracy never exceeds clean accuracy for any attack or threat model, even when a
// transferred perturbation happens to push a misclassified sample to the right class.
TEST(Robustness, RobustNeverAboveCleanAndSuccessMatchesFlips)
{
    Fixture f(16, 8, 3);
    for (tg_attack_kind k : {TG_ATTACK_FGSM, TG_ATTACK_PGD, TG_ATTACK_SQUARE}) {
        tg_attack_params a = k == TG_ATTACK_PGD ? pgd(0.02) : tg_attack_params_default(k);
        a.eps = 0.02;
        if (k == TG_ATTACK_SQUARE)
            a.iterations = 100;
        for (tg_threat t : {TG_THREAT_TRANSFER, TG_THREAT_ADAPTIVE}) {
            tg_robust_cell c = run(f.def, f.plain, nullptr, f.set, a, t, 8);
            expect_consistent(c, (std::string(tg_attack_name(k)) + " " + tg_threat_name(t)).c_str());
        }
    }
}

// Transfer from the target itself is the adaptive attack: same adversarial inputs, same cell.
TEST(Robustness, TransferFromTargetEqualsAdaptive)
{
    Fixture f(12, 12);
    for (tg_attack_kind k : {TG_ATTACK_FGSM, TG_ATTACK_PGD}) {
        tg_attack_params a = k == TG_ATTACK_PGD ? pgd(0.015, 11) : tg_attack_params_default(k);
        a.eps = 0.015;
        tg_robust_cell tr = run(f.def, f.def, nullptr, f.set, a, TG_THREAT_TRANSFER, 6);
        tg_robust_cell ad = run(f.def, nullptr, nullptr, f.set, a, TG_THREAT_ADAPTIVE, 6);
        EXPECT_EQ(tr.n, ad.n);
        EXPECT_EQ(tr.clean_correct, ad.clean_correct);
        EXPECT_EQ(tr.robust_correct, ad.robust_correct);
        EXPECT_EQ(tr.flipped, ad.flipped);
        EXPECT_DOUBLE_EQ(tr.median_linf_c, ad.median_linf_c);
        EXPECT_DOUBLE_EQ(tr.median_l2_c, ad.median_l2_c);
        EXPECT_EQ(tr.grad_evals, ad.grad_evals);
    }
}

// Verdicts are the deployed decision P(1) >= threshold, as tg_evaluate counts them: at
// threshold 0.7 the clean accuracy equals tg_evaluate's, and the robust count equals a hand
// count over the same attack aimed at that rule. The transfer attack aims at the source's
// threshold: transfer from the target itself with equal thresholds is the adaptive cell.
TEST(Robustness, VerdictsUseTheCalibratedThreshold)
{
    Fixture f(20, 20);
    const double thr = 0.7;
    tg_eval_report ev;
    ASSERT_EQ(tg_evaluate(f.plain, &f.set, thr, 20, &ev), TG_OK) << tg_last_error();
    tg_attack_params a = pgd(0.01);
    tg_robust_cell c;
    memset(&c, 0, sizeof c);
    ASSERT_EQ(tg_robustness_run(f.plain, thr, nullptr, 0.5, nullptr, &f.set, &a, TG_THREAT_ADAPTIVE, 10, &c, nullptr),
              TG_OK)
        << tg_last_error();
    EXPECT_DOUBLE_EQ(c.clean_acc, ev.breast.accuracy);
    EXPECT_LT(c.clean_correct, 20u) << "fixture: labels are argmax predictions, some P(1) lie in [0.5, 0.7)";
    tg_eval_report_destroy(&ev);

    std::vector<float> adv(f.set.n * kN), p0(2 * f.set.n), pa(2 * f.set.n);
    tg_attack_result res{};
    ASSERT_EQ(tg_attack_result_init(&res, 10), TG_OK);
    for (int b0 = 0; b0 < f.n; b0 += 10) {
        tg_attack_params ap = a;
        ap.index_base = (uint64_t)b0;
        ap.threshold = thr;
        ASSERT_EQ(tg_attack_run(f.plain, &ap, f.set.raw + (size_t)b0 * kN, f.set.labels + b0, 10,
                                adv.data() + (size_t)b0 * kN, &res, nullptr),
                  TG_OK);
    }
    tg_attack_result_free(&res);
    ASSERT_EQ(tg_pipeline_predict(f.plain, f.set.raw, f.n, p0.data()), TG_OK);
    ASSERT_EQ(tg_pipeline_predict(f.plain, adv.data(), f.n, pa.data()), TG_OK);
    size_t cc = 0, rc = 0;
    for (int b = 0; b < f.n; b++) {
        int okc = (p0[2 * b + 1] >= thr) == (f.set.labels[b] == 1), oka = (pa[2 * b + 1] >= thr) == (f.set.labels[b] == 1);
        cc += okc;
        rc += okc && oka;
    }
    EXPECT_EQ(c.clean_correct, cc);
    EXPECT_EQ(c.robust_correct, rc);
    EXPECT_LT(rc, cc) << "the attack should flip some samples at this budget";
    expect_consistent(c, "pgd adaptive at threshold 0.7");

    tg_robust_cell tr;
    ASSERT_EQ(tg_robustness_run(f.plain, thr, f.plain, thr, nullptr, &f.set, &a, TG_THREAT_TRANSFER, 10, &tr, nullptr),
              TG_OK);
    EXPECT_EQ(tr.robust_correct, c.robust_correct);
    EXPECT_EQ(tr.grad_evals, c.grad_evals);
    for (double bad : {0.0, 1.0})
        EXPECT_EQ(tg_robustness_run(f.plain, bad, f.plain, 0.5, nullptr, &f.set, &a, TG_THREAT_ADAPTIVE, 10, &tr, nullptr),
                  TG_ERR_RANGE);
}

TEST(Robustness, BlackBoxRequiresSquare)
{
    Fixture f(10, 10);
    tg_robust_cell c;
    for (tg_attack_kind k : {TG_ATTACK_FGSM, TG_ATTACK_PGD, TG_ATTACK_CW, TG_ATTACK_APGD}) {
        tg_attack_params a = tg_attack_params_default(k);
        EXPECT_EQ(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, &f.set, &a, TG_THREAT_BLACKBOX, 5, &c, nullptr),
                  TG_ERR_ARG)
            << tg_attack_name(k);
    }
    tg_attack_params sq = tg_attack_params_default(TG_ATTACK_SQUARE);
    sq.eps = 0.03;
    sq.iterations = 100;
    c = run(f.def, nullptr, nullptr, f.set, sq, TG_THREAT_BLACKBOX, 5);
    EXPECT_EQ(c.grad_evals, 0);
    EXPECT_GT(c.queries, 0);
    EXPECT_LE(c.queries, (long)f.n * sq.iterations);
    expect_consistent(c, "square black-box");
}

// Gradient-masking check: on the denoised pipeline, the adaptive attack (exact subgradient and
// BPDA) must leave no more samples correct than the transfer attack from the undefended one.
TEST(Robustness, AdaptiveNeverWeakerThanTransferFromUndefended)
{
    Fixture f(24, 12);
    for (double eps : {0.01, 0.03}) {
        tg_attack_params a = pgd(eps, 5);
        a.iterations = 20;
        a.restarts = 3;
        tg_robust_cell tr = run(f.def, f.plain, nullptr, f.set, a, TG_THREAT_TRANSFER, 12);
        for (tg_denoise_grad g : {TG_DENOISE_GRAD_EXACT, TG_DENOISE_GRAD_BPDA}) {
            tg_pipeline_config dc = *tg_pipeline_get_config(f.def);
            dc.denoise_grad = g;
            tg_pipeline *p = nullptr;
            ASSERT_EQ(tg_pipeline_create(&p, &dc, f.net, 12), TG_OK);
            tg_robust_cell ad = run(p, nullptr, nullptr, f.set, a, TG_THREAT_ADAPTIVE, 12);
            tg_pipeline_destroy(p);
            EXPECT_EQ(ad.clean_correct, tr.clean_correct);
            EXPECT_LE(ad.robust_correct, tr.robust_correct)
                << "gradient masking: adaptive (" << (g ? "BPDA" : "exact") << ") weaker than transfer at eps " << eps;
        }
    }
}

// Detector rates against a hand count of the squeezing scores: FPR over all clean inputs,
// TPR over the adversarial inputs that flipped a clean-correct verdict.
TEST(Robustness, DetectorRatesMatchHandCount)
{
    Fixture f(24, 12);
    tg_detector det;
    tg_detector_default(&det);
    std::vector<float> sc(f.set.n);
    ASSERT_EQ(tg_detector_scores(f.def, &det, f.set.raw, f.n, sc.data()), TG_OK);
    std::vector<float> sorted = sc;
    std::sort(sorted.begin(), sorted.end());
    det.threshold = sorted[f.n * 3 / 4]; // flags the top quarter (or fewer on ties) of clean inputs
    tg_attack_params a = pgd(0.03, 2);
    tg_robust_cell c = run(f.def, nullptr, &det, f.set, a, TG_THREAT_ADAPTIVE, 12);
    size_t flagged = 0;
    for (float v : sc)
        flagged += v > det.threshold;
    EXPECT_DOUBLE_EQ(c.detector_fpr, (double)flagged / f.n);
    EXPECT_GT(c.detector_fpr, 0.0);
    EXPECT_LT(c.detector_fpr, 0.5);

    std::vector<float> adv(f.set.n * kN);
    tg_attack_result res{};
    ASSERT_EQ(tg_attack_result_init(&res, 12), TG_OK);
    std::vector<float> sa(f.set.n);
    size_t flips = 0, caught = 0;
    std::vector<int> clean = f.predict(f.def, f.set.raw);
    for (int b0 = 0; b0 < f.n; b0 += 12) {
        tg_attack_params ap = a;
        ap.index_base = (uint64_t)b0;
        ASSERT_EQ(tg_attack_run(f.def, &ap, f.set.raw + (size_t)b0 * kN, f.set.labels + b0, 12,
                                adv.data() + (size_t)b0 * kN, &res, nullptr),
                  TG_OK);
    }
    tg_attack_result_free(&res);
    ASSERT_EQ(tg_detector_scores(f.def, &det, adv.data(), f.n, sa.data()), TG_OK);
    std::vector<int> attacked = f.predict(f.def, adv.data());
    for (int b = 0; b < f.n; b++)
        if (clean[b] == f.set.labels[b] && attacked[b] != f.set.labels[b]) {
            flips++;
            caught += sa[b] > det.threshold;
        }
    ASSERT_EQ(c.flipped, flips);
    ASSERT_GT(flips, 0u);
    EXPECT_DOUBLE_EQ(c.detector_tpr, (double)caught / (double)flips);
}

TEST(Robustness, RejectsBadArguments)
{
    Fixture f(8, 4);
    tg_attack_params a = pgd(0.01);
    tg_robust_cell c;
    EXPECT_EQ(tg_robustness_run(nullptr, 0.5, f.plain, 0.5, nullptr, &f.set, &a, TG_THREAT_ADAPTIVE, 4, &c, nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, nullptr, &a, TG_THREAT_ADAPTIVE, 4, &c, nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, &f.set, nullptr, TG_THREAT_ADAPTIVE, 4, &c, nullptr),
              TG_ERR_ARG);
    EXPECT_EQ(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, &f.set, &a, TG_THREAT_ADAPTIVE, 4, nullptr, nullptr),
              TG_ERR_ARG);
    EXPECT_EQ(tg_robustness_run(f.def, 0.5, nullptr, 0.5, nullptr, &f.set, &a, TG_THREAT_TRANSFER, 4, &c, nullptr), TG_ERR_ARG)
        << "transfer without a source";
    EXPECT_EQ(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, &f.set, &a, (tg_threat)7, 4, &c, nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, &f.set, &a, TG_THREAT_ADAPTIVE, 0, &c, nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, &f.set, &a, TG_THREAT_ADAPTIVE, 5, &c, nullptr), TG_ERR_ARG)
        << "batch above the pipelines' capacity";
    tg_sample_set empty{};
    empty.c = kC;
    empty.h = kH;
    empty.w = kW;
    EXPECT_EQ(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, &empty, &a, TG_THREAT_ADAPTIVE, 4, &c, nullptr), TG_ERR_ARG);
    tg_sample_set other{};
    ASSERT_EQ(tg_sample_set_create(&other, 2, kC, kH / 2, kW), TG_OK);
    EXPECT_EQ(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, &other, &a, TG_THREAT_ADAPTIVE, 2, &c, nullptr), TG_ERR_ARG);
    tg_sample_set_destroy(&other);
    tg_attack_params bad = a;
    bad.eps = -1;
    EXPECT_NE(tg_robustness_run(f.def, 0.5, f.plain, 0.5, nullptr, &f.set, &bad, TG_THREAT_ADAPTIVE, 4, &c, nullptr), TG_OK);
}

} // namespace
