// Attacks (core/src/attack_*.c): budgets and valid range for every attack, targeted success,
// caps and cancellation, Square's query budget, monotonicity in ε, C&W vs PGD-L2 norms, a
// gradient-masking check through the denoiser, and a PyTorch float64 reference
// (tests/python/attack_torch_check.py) for gradients, PGD iterates and PGD-20 robust accuracy.
// Small random network on 2 x 32 x 32 °C inputs; labels are the clean predictions, so clean
// accuracy is 100% and every success is a flip caused by the attack.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixtures.h"

extern "C" {
#include "thermoguard/attack.h"
#include "thermoguard/rng.h"
}

namespace {

const char *kSpec = "conv(8,3,1,1)-relu-maxpool(2)-conv(16,3,1,1)-relu-gap-dense(2)";
constexpr int kC = 2, kH = 32, kW = 32;
constexpr size_t kN = (size_t)kC * kH * kW;

struct Fixture {
    tg_net *net = nullptr;
    tg_pipeline *pipe = nullptr;
    tg_pipeline_config cfg;
    std::vector<float> x;
    std::vector<int> y;
    int batch = 0;
    Fixture(int batch_, int denoise, uint64_t seed = 5) : batch(batch_)
    {
        tg_pipeline_config_default(&cfg);
        cfg.in_c = kC;
        cfg.in_h = kH;
        cfg.in_w = kW;
        cfg.denoise_on = denoise;
        int fc, fh, fw;
        EXPECT_EQ(tg_pipeline_feature_shape(&cfg, &fc, &fh, &fw), TG_OK) << tg_last_error();
        EXPECT_EQ(tg_net_create(&net, kSpec, fc, fh, fw), TG_OK) << tg_last_error();
        tg_rng r;
        tg_rng_seed(&r, seed);
        tg_net_init(net, &r);
        EXPECT_EQ(tg_pipeline_create(&pipe, &cfg, net, batch), TG_OK) << tg_last_error();
        // smooth warm blobs on a 28-32 °C background plus sensor noise
        x.resize((size_t)batch * kN);
        for (int b = 0; b < batch; b++) {
            double cx = tg_rng_range(&r, 8, 24), cy = tg_rng_range(&r, 8, 24), amp = tg_rng_range(&r, 0, 4);
            double base = tg_rng_range(&r, 28, 32);
            for (int c = 0; c < kC; c++)
                for (int i = 0; i < kH; i++)
                    for (int j = 0; j < kW; j++) {
                        double d2 = (i - cy) * (i - cy) + (j - cx) * (j - cx);
                        double v = base + (c == 0 ? amp : 0.3 * amp) * std::exp(-d2 / 40.0) + 0.2 * tg_rng_normal(&r);
                        x[(size_t)b * kN + (size_t)c * kH * kW + (size_t)i * kW + j] = (float)v;
                    }
        }
        calibrate();
        y = predict(x.data());
    }
    // A random network's logits barely move with the input (the LL band dominates), so rescale
    // the last dense layer: logit-difference spread 2 and the decision boundary at its median.
    void calibrate()
    {
        const float *z;
        ASSERT_EQ(tg_pipeline_forward(pipe, x.data(), batch, nullptr, &z), TG_OK);
        std::vector<double> d(batch);
        for (int b = 0; b < batch; b++)
            d[b] = (double)z[2 * b + 1] - z[2 * b];
        tgfix::center_last_layer(net, d);
    }
    ~Fixture()
    {
        tg_pipeline_destroy(pipe);
        tg_net_destroy(net);
    }
    std::vector<int> predict(const float *in)
    {
        std::vector<float> p((size_t)batch * 2);
        EXPECT_EQ(tg_pipeline_predict(pipe, in, batch, p.data()), TG_OK) << tg_last_error();
        std::vector<int> out(batch);
        for (int b = 0; b < batch; b++)
            out[b] = p[2 * b + 1] > p[2 * b] ? 1 : 0;
        return out;
    }
};

struct AttackRun {
    tg_attack_result res{};
    std::vector<float> adv;
    tg_status st = TG_OK;
    AttackRun(Fixture &f, const tg_attack_params &p, const tg_progress *prog = nullptr, const float *in = nullptr,
        tg_pipeline *pipe = nullptr)
    {
        EXPECT_EQ(tg_attack_result_init(&res, f.batch), TG_OK);
        adv.resize(f.x.size());
        st = tg_attack_run(pipe ? pipe : f.pipe, &p, in ? in : f.x.data(), f.y.data(), f.batch, adv.data(), &res,
                           prog);
    }
    ~AttackRun() { tg_attack_result_free(&res); }
};

// Every output inside its budget (normalised and °C), inside [t_min, t_max], and the reported
// norms equal to the measured ones.
void expect_valid(const Fixture &f, const AttackRun &r, const tg_attack_params &p, const char *what)
{
    double unit = tg_pipeline_celsius_per_unit(&f.cfg), tol = 1e-5;
    for (int b = 0; b < f.batch; b++) {
        double li = 0, l2 = 0;
        for (size_t i = 0; i < kN; i++) {
            float a = r.adv[(size_t)b * kN + i], x0 = f.x[(size_t)b * kN + i];
            ASSERT_GE(a, f.cfg.t_min) << what;
            ASSERT_LE(a, f.cfg.t_max) << what;
            li = std::max(li, (double)std::fabs(a - x0));
            l2 += ((double)a - x0) * ((double)a - x0);
        }
        l2 = std::sqrt(l2);
        EXPECT_NEAR(r.res.linf_c[b], li, 1e-4) << what;
        EXPECT_NEAR(r.res.l2_c[b], l2, 1e-4 * std::max(1.0, l2)) << what;
        EXPECT_NEAR(r.res.linf[b] * unit, li, 1e-4) << what;
        if (p.eps > 0) {
            double bound = p.norm == TG_NORM_LINF || p.kind == TG_ATTACK_SQUARE ? li : l2;
            if (p.kind == TG_ATTACK_CW)
                bound = l2;
            EXPECT_LE(bound, p.eps * unit * (1 + tol) + 1e-6) << what << " sample " << b;
        }
    }
}

tg_attack_params fast(tg_attack_kind k)
{
    tg_attack_params p = tg_attack_params_default(k);
    p.eps = 0.02;
    p.step = 0.005;
    if (k == TG_ATTACK_APGD || k == TG_ATTACK_BIM)
        p.iterations = 10;
    if (k == TG_ATTACK_CW) {
        tg_attack_params_cw_fixed(&p);
        p.cw_c = 10;
        p.eps = 0.5;
    }
    if (k == TG_ATTACK_SQUARE)
        p.iterations = 60;
    if (k == TG_ATTACK_DEEPFOOL)
        p.eps = 0.3;
    return p;
}

TEST(Attack, DefaultsFollowTheReference)
{
    tg_attack_params p = tg_attack_params_default(TG_ATTACK_PGD);
    EXPECT_NEAR(p.eps, 8.0 / 255, 1e-12);
    EXPECT_NEAR(p.step, 2.0 / 255, 1e-12);
    EXPECT_EQ(p.iterations, 10);
    EXPECT_EQ(p.random_start, 1);
    tg_attack_params cw = tg_attack_params_default(TG_ATTACK_CW);
    EXPECT_EQ(cw.cw_form, TG_CW_SEARCH);
    EXPECT_EQ(cw.cw_binary_steps, 9);
    EXPECT_EQ(cw.iterations, 10000);
    EXPECT_NEAR(cw.cw_c, 1e-3, 1e-15);
    tg_attack_params_cw_fixed(&cw);
    EXPECT_EQ(cw.cw_form, TG_CW_FIXED);
    EXPECT_EQ(cw.iterations, 50);
    EXPECT_EQ(tg_attack_params_default(TG_ATTACK_APGD).iterations, 100);
    EXPECT_EQ(tg_attack_params_default(TG_ATTACK_SQUARE).iterations, 5000);
    EXPECT_NEAR(tg_attack_params_default(TG_ATTACK_SQUARE).square_p_init, 0.8, 1e-12);
    EXPECT_STREQ(tg_attack_name(TG_ATTACK_APGD), "apgd");
}

TEST(Attack, RejectsBadArguments)
{
    Fixture f(4, 0);
    tg_attack_params p = fast(TG_ATTACK_PGD);
    p.eps = 0;
    AttackRun a(f, p);
    EXPECT_EQ(a.st, TG_ERR_RANGE);
    p = fast(TG_ATTACK_PGD);
    p.targeted = 1;
    AttackRun b(f, p);
    EXPECT_EQ(b.st, TG_ERR_ARG);
    std::vector<float> hot = f.x;
    hot[7] = f.cfg.t_max + 1.0f;
    AttackRun c(f, fast(TG_ATTACK_FGSM), nullptr, hot.data());
    EXPECT_EQ(c.st, TG_ERR_RANGE) << "input outside [t_min, t_max]";
}

TEST(Attack, EveryAttackStaysInBudgetAndRangeAndFlipsSome)
{
    Fixture f(12, 0);
    const tg_attack_kind kinds[] = {TG_ATTACK_FGSM, TG_ATTACK_BIM,    TG_ATTACK_PGD,    TG_ATTACK_MIFGSM,
                                    TG_ATTACK_CW,   TG_ATTACK_APGD,   TG_ATTACK_SQUARE, TG_ATTACK_DEEPFOOL};
    for (tg_attack_kind k : kinds) {
        for (int variant = 0; variant < 2; variant++) {
            tg_attack_params p = fast(k);
            if (variant == 1) {
                if (k == TG_ATTACK_PGD || k == TG_ATTACK_APGD || k == TG_ATTACK_DEEPFOOL) {
                    p.norm = TG_NORM_L2;
                    p.eps = 0.3;
                    p.step = 0.08;
                } else if (k == TG_ATTACK_CW) {
                    p = tg_attack_params_default(TG_ATTACK_CW);
                    p.iterations = 60;
                    p.cw_binary_steps = 4;
                    p.cw_c = 1.0;
                } else {
                    continue;
                }
            }
            AttackRun r(f, p);
            std::string what = std::string(tg_attack_name(k)) + (variant ? " (L2 / search)" : "");
            ASSERT_EQ(r.st, TG_OK) << what << ": " << tg_last_error();
            expect_valid(f, r, p, what.c_str());
            EXPECT_GT(r.res.n_success, 0) << what;
            EXPECT_GT(r.res.grad_evals + r.res.queries, 0) << what;
            EXPECT_NEAR(r.res.eps_c, p.eps * 20.0, 1e-5) << what;
            auto pred = f.predict(r.adv.data());
            for (int b = 0; b < f.batch; b++) {
                EXPECT_EQ(r.res.pred[b], pred[b]) << what;
                EXPECT_EQ(r.res.success[b], pred[b] != f.y[b]) << what;
            }
            if (k == TG_ATTACK_CW) {
                EXPECT_EQ(r.res.cw_form, p.cw_form);
            }
            if (k == TG_ATTACK_SQUARE) {
                EXPECT_EQ(r.res.grad_evals, 0) << "Square must not use gradients";
            }
        }
    }
}

TEST(Attack, TargetedPgdReachesTheTarget)
{
    Fixture f(12, 0);
    std::vector<int> t(f.batch);
    for (int b = 0; b < f.batch; b++)
        t[b] = 1 - f.y[b];
    for (tg_attack_kind k : {TG_ATTACK_PGD, TG_ATTACK_APGD, TG_ATTACK_CW}) {
        tg_attack_params p = fast(k);
        p.eps = k == TG_ATTACK_CW ? 0.0 : 0.05;
        p.targeted = 1;
        p.targets = t.data();
        AttackRun r(f, p);
        ASSERT_EQ(r.st, TG_OK) << tg_last_error();
        for (int b = 0; b < f.batch; b++)
            EXPECT_EQ(r.res.success[b], r.res.pred[b] == t[b]);
        EXPECT_GT(r.res.n_success, f.batch / 2) << tg_attack_name(k);
    }
}

// The decision threshold is the attacked rule: predictions and successes follow
// P(1) >= threshold, not the argmax. With threshold 0.75 the class-1 samples whose clean P(1)
// lies in [0.5, 0.75) are already wrong under the rule (success at a negligible budget), and a
// real budget flips samples across the shifted boundary. Thresholds 0 and 1 are refused.
TEST(Attack, DecisionThresholdIsTheAttackedRule)
{
    Fixture f(12, 0);
    const double thr = 0.75;
    std::vector<float> p0((size_t)f.batch * 2);
    ASSERT_EQ(tg_pipeline_predict(f.pipe, f.x.data(), f.batch, p0.data()), TG_OK);
    int wrong_at_thr = 0;
    for (int b = 0; b < f.batch; b++)
        wrong_at_thr += (p0[2 * b + 1] >= thr) != (f.y[b] == 1);
    ASSERT_GT(wrong_at_thr, 0) << "fixture: no clean probability between 0.5 and the threshold";
    for (tg_attack_kind k : {TG_ATTACK_FGSM, TG_ATTACK_PGD, TG_ATTACK_APGD, TG_ATTACK_CW, TG_ATTACK_SQUARE}) {
        for (double eps : {1e-7, 0.03}) {
            tg_attack_params p = fast(k);
            p.threshold = thr;
            if (k != TG_ATTACK_CW)
                p.eps = eps;
            if (k == TG_ATTACK_APGD)
                p.loss = TG_LOSS_MARGIN;
            if (k == TG_ATTACK_SQUARE)
                p.iterations = 500;
            AttackRun r(f, p);
            std::string what = std::string(tg_attack_name(k)) + " eps " + std::to_string(eps);
            ASSERT_EQ(r.st, TG_OK) << what << ": " << tg_last_error();
            std::vector<float> pa((size_t)f.batch * 2);
            ASSERT_EQ(tg_pipeline_predict(f.pipe, r.adv.data(), f.batch, pa.data()), TG_OK);
            int n_succ = 0;
            for (int b = 0; b < f.batch; b++) {
                int rule = pa[2 * b + 1] >= thr;
                EXPECT_EQ(r.res.pred[b], rule) << what << " sample " << b;
                EXPECT_EQ(r.res.success[b], rule != f.y[b]) << what << " sample " << b;
                n_succ += r.res.success[b];
            }
            if (eps < 1e-6 && k != TG_ATTACK_CW) {
                EXPECT_EQ(n_succ, wrong_at_thr) << what << ": a negligible budget changes nothing but the rule";
            } else {
                EXPECT_GT(n_succ, wrong_at_thr) << what << ": the attack flips samples across the shifted boundary";
            }
        }
    }
    for (double bad : {0.0, 1.0, -0.5, (double)NAN}) {
        tg_attack_params p = fast(TG_ATTACK_PGD);
        p.threshold = bad;
        AttackRun r(f, p);
        EXPECT_EQ(r.st, TG_ERR_RANGE) << "threshold " << bad;
    }
}

TEST(Attack, SquareNeverExceedsItsQueryBudget)
{
    Fixture f(12, 0);
    tg_attack_params p = fast(TG_ATTACK_SQUARE);
    p.eps = 0.005;
    p.iterations = 40;
    AttackRun r(f, p);
    ASSERT_EQ(r.st, TG_OK);
    long total = 0;
    for (int b = 0; b < f.batch; b++) {
        EXPECT_LE(r.res.evals[b], p.iterations);
        EXPECT_GE(r.res.evals[b], 1);
        total += r.res.evals[b];
        if (!r.res.success[b]) {
            EXPECT_EQ(r.res.evals[b], p.iterations) << "unfooled samples use the whole budget";
        }
    }
    EXPECT_EQ(total, r.res.queries);
}

TEST(Attack, SuccessIsMonotoneInEpsForPgdWithRestarts)
{
    Fixture f(24, 0);
    int prev = -1;
    for (double eps : {0.001, 0.003, 0.006, 0.01, 0.02, 0.04}) {
        tg_attack_params p = tg_attack_params_default(TG_ATTACK_PGD);
        p.eps = eps;
        p.step = eps / 4;
        p.iterations = 10;
        p.restarts = 3;
        AttackRun r(f, p);
        ASSERT_EQ(r.st, TG_OK);
        EXPECT_GE(r.res.n_success, prev) << "eps " << eps;
        prev = r.res.n_success;
    }
    EXPECT_GT(prev, 0);
}

TEST(Attack, CarliniWagnerFindsSmallerL2ThanPgdL2)
{
    Fixture f(16, 0);
    tg_attack_params pg = tg_attack_params_default(TG_ATTACK_PGD);
    pg.norm = TG_NORM_L2;
    pg.eps = 0.5;
    pg.step = 0.1;
    pg.iterations = 20;
    AttackRun a(f, pg);
    tg_attack_params cw = tg_attack_params_default(TG_ATTACK_CW);
    cw.iterations = 100;
    cw.cw_binary_steps = 6;
    cw.cw_c = 0.1;
    AttackRun b(f, cw);
    ASSERT_EQ(a.st, TG_OK);
    ASSERT_EQ(b.st, TG_OK);
    EXPECT_EQ(b.res.cw_form, TG_CW_SEARCH);
    std::vector<float> la, lb;
    for (int i = 0; i < f.batch; i++)
        if (a.res.success[i] && b.res.success[i]) {
            la.push_back(a.res.l2[i]);
            lb.push_back(b.res.l2[i]);
        }
    ASSERT_GE(la.size(), (size_t)f.batch / 2) << "both attacks must succeed on most samples";
    double sa = 0, sb = 0;
    for (size_t i = 0; i < la.size(); i++) {
        sa += la[i];
        sb += lb[i];
    }
    EXPECT_LT(sb, sa) << "C&W mean L2 " << sb / la.size() << " vs PGD-L2 " << sa / la.size();
}

struct Canceller {
    int calls = 0, after = 3;
    volatile int flag = 0;
};

int cancel_cb(void *user, double, const char *)
{
    auto *c = static_cast<Canceller *>(user);
    if (++c->calls >= c->after)
        c->flag = 1;
    return 0;
}

TEST(Attack, CancelStopsEveryAttackAndLeavesValidOutputs)
{
    Fixture f(8, 0);
    for (tg_attack_kind k : {TG_ATTACK_PGD, TG_ATTACK_CW, TG_ATTACK_APGD, TG_ATTACK_SQUARE, TG_ATTACK_DEEPFOOL}) {
        Canceller c;
        tg_progress prog = {cancel_cb, &c, &c.flag};
        tg_attack_params p = fast(k);
        p.iterations = std::max(p.iterations, 20);
        if (k == TG_ATTACK_SQUARE)
            p.eps = 0.001; // nothing flips early, so the attack would keep querying
        AttackRun r(f, p, &prog);
        EXPECT_EQ(r.st, TG_ERR_CANCELLED) << tg_attack_name(k);
        EXPECT_EQ(r.res.stop, TG_STOP_CANCELLED);
        EXPECT_LE(r.res.iterations, 4) << tg_attack_name(k);
        expect_valid(f, r, p, tg_attack_name(k));
    }
}

TEST(Attack, IterationAndTimeCapsEndEarlyWithOk)
{
    Fixture f(8, 0);
    tg_attack_params p = fast(TG_ATTACK_PGD);
    p.iterations = 50;
    p.max_total_iterations = 7;
    AttackRun a(f, p);
    ASSERT_EQ(a.st, TG_OK);
    EXPECT_EQ(a.res.stop, TG_STOP_ITERATIONS);
    EXPECT_EQ(a.res.iterations, 7);
    p.max_total_iterations = 0;
    p.iterations = 100000;
    p.max_seconds = 0.05;
    AttackRun b(f, p);
    ASSERT_EQ(b.st, TG_OK);
    EXPECT_EQ(b.res.stop, TG_STOP_TIME);
    EXPECT_LT(b.res.seconds, 2.0);
    expect_valid(f, b, p, "time cap");
}

TEST(Attack, RandomStreamsDoNotDependOnBatching)
{
    Fixture f(8, 0);
    tg_attack_params p = fast(TG_ATTACK_PGD);
    p.iterations = 1;
    p.step = 0; // the output is the random start alone (the gradient step is 0)
    AttackRun all(f, p);
    ASSERT_EQ(all.st, TG_OK);
    Fixture g(4, 0);
    g.x.assign(f.x.begin() + 4 * kN, f.x.end());
    g.y.assign(f.y.begin() + 4, f.y.end());
    p.index_base = 4;
    AttackRun half(g, p);
    ASSERT_EQ(half.st, TG_OK);
    for (size_t i = 0; i < 4 * kN; i++)
        ASSERT_EQ(half.adv[i], all.adv[4 * kN + i]);
}

// An adaptive attack through the denoiser (exact subgradient, and BPDA) must never do worse
// than the transfer attack computed on the undefended pipeline and replayed on the defended one.
TEST(Attack, AdaptiveAttackIsNeverWeakerThanTransfer)
{
    Fixture plain(16, 0, 9);
    Fixture def(16, 1, 9);
    ASSERT_EQ(def.y, plain.y) << "same network: fixtures must share labels";
    def.y = plain.y;
    tg_attack_params p = tg_attack_params_default(TG_ATTACK_PGD);
    p.eps = 0.02;
    p.step = 0.005;
    p.iterations = 20;
    p.restarts = 2;
    AttackRun transfer(plain, p);
    ASSERT_EQ(transfer.st, TG_OK);
    auto pred = def.predict(transfer.adv.data());
    int transfer_fooled = 0;
    for (int b = 0; b < def.batch; b++)
        transfer_fooled += pred[b] != def.y[b];
    for (tg_denoise_grad mode : {TG_DENOISE_GRAD_EXACT, TG_DENOISE_GRAD_BPDA}) {
        tg_pipeline_config cfg = def.cfg;
        cfg.denoise_grad = mode;
        tg_pipeline *pp = nullptr;
        ASSERT_EQ(tg_pipeline_create(&pp, &cfg, def.net, def.batch), TG_OK);
        AttackRun adaptive(def, p, nullptr, nullptr, pp);
        tg_pipeline_destroy(pp);
        ASSERT_EQ(adaptive.st, TG_OK);
        EXPECT_GE(adaptive.res.n_success, transfer_fooled)
            << "gradient masking: adaptive (" << (mode ? "BPDA" : "exact") << ") weaker than transfer";
    }
}

template <class T> void write_raw(const std::string &path, const T *data, size_t n)
{
    std::ofstream f(path, std::ios::binary); // little-endian test machines
    f.write(reinterpret_cast<const char *>(data), (std::streamsize)(n * sizeof(T)));
}

std::vector<float> read_raw(const std::string &path, size_t n)
{
    std::vector<float> v(n);
    std::ifstream f(path, std::ios::binary);
    f.read(reinterpret_cast<char *>(v.data()), (std::streamsize)(n * sizeof(float)));
    EXPECT_TRUE(f.good()) << path;
    return v;
}

double rel_err(const float *a, const float *b, size_t n)
{
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)b[i] * b[i];
    }
    return std::sqrt(e) / std::max(std::sqrt(s), 1e-30);
}

// The torch reference (float64) on the exported weights: features, input gradients of CE and
// of the margin, PGD-L∞ iterates after 3 steps (no random start), and PGD-20 robust accuracy.
TEST(Attack, MatchesPyTorchReference)
{
    constexpr int kImages = 200, kGrad = 16;
    Fixture f(kImages, 0, 11);
    const double eps = 0.01, step = 0.0025;
    char tmpl[] = "/tmp/tg_attack_torch_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    {
        std::ofstream meta(dir + "/meta.txt");
        meta << "spec " << kSpec << "\nshape " << kC << " " << kH << " " << kW << "\nbatch " << kImages
             << "\nngrad " << kGrad << "\ntmin " << f.cfg.t_min << "\ntmax " << f.cfg.t_max << "\neps " << eps
             << "\nstep " << step << "\n";
    }
    write_raw(dir + "/params.bin", f.net->params, f.net->n_params);
    write_raw(dir + "/input.bin", f.x.data(), f.x.size());
    write_raw(dir + "/labels.bin", f.y.data(), f.y.size());
    std::string cmd = std::string(TG_TEST_PYTHON) + " " + TG_TEST_PYTHON_DIR + "/attack_torch_check.py " + dir;
    int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc)) << cmd;
    ASSERT_NE(WEXITSTATUS(rc), 77) << "PyTorch/NumPy are not installed for " << TG_TEST_PYTHON;
    ASSERT_EQ(WEXITSTATUS(rc), 0) << cmd;

    size_t ng = (size_t)kGrad * kN;
    int fc, fh, fw;
    tg_pipeline_feature_shape(&f.cfg, &fc, &fh, &fw);
    std::vector<float> feat((size_t)kGrad * fc * fh * fw);
    ASSERT_EQ(tg_pipeline_features(f.pipe, f.x.data(), kGrad, feat.data()), TG_OK);
    auto t_feat = read_raw(dir + "/features.out", feat.size());
    EXPECT_LT(rel_err(feat.data(), t_feat.data(), feat.size()), 1e-5) << "reference feature map";

    for (auto [loss, file] : {std::pair{TG_LOSS_XENT, "grad_xent.out"}, std::pair{TG_LOSS_MARGIN, "grad_margin.out"}}) {
        std::vector<float> g(ng);
        ASSERT_EQ(tg_pipeline_input_gradient(f.pipe, f.x.data(), f.y.data(), kGrad, loss, nullptr, nullptr, g.data()),
                  TG_OK);
        auto t = read_raw(dir + "/" + file, ng);
        EXPECT_LT(rel_err(g.data(), t.data(), ng), 1e-4) << file;
        size_t same = 0;
        for (size_t i = 0; i < ng; i++)
            same += (g[i] > 0) == (t[i] > 0) && (g[i] < 0) == (t[i] < 0);
        EXPECT_GE((double)same / ng, 0.999) << file << " sign agreement";
    }

    // PGD-L∞, 3 steps, no random start, on the first kGrad samples
    tg_attack_params p = tg_attack_params_default(TG_ATTACK_PGD);
    p.random_start = 0;
    p.eps = eps;
    p.step = step;
    p.iterations = 3;
    tg_attack_result res3;
    ASSERT_EQ(tg_attack_result_init(&res3, kGrad), TG_OK);
    std::vector<float> adv3(ng);
    ASSERT_EQ(tg_attack_run(f.pipe, &p, f.x.data(), f.y.data(), kGrad, adv3.data(), &res3, nullptr), TG_OK);
    tg_attack_result_free(&res3);
    auto t3 = read_raw(dir + "/pgd3.out", ng);
    size_t close = 0;
    double unit = tg_pipeline_celsius_per_unit(&f.cfg);
    for (size_t i = 0; i < ng; i++)
        close += std::fabs(adv3[i] - t3[i]) / unit <= 1e-4;
    EXPECT_GE((double)close / ng, 0.999) << "PGD-3 iterates within 1e-4 (normalised units)";

    // PGD-20 robust accuracy on all 200 images
    p.iterations = 20;
    AttackRun r20(f, p);
    ASSERT_EQ(r20.st, TG_OK);
    auto t20 = read_raw(dir + "/pgd20.out", kImages);
    int torch_fooled = 0;
    for (float v : t20)
        torch_fooled += v > 0.5f;
    double acc_c = 100.0 * (kImages - r20.res.n_success) / kImages, acc_t = 100.0 * (kImages - torch_fooled) / kImages;
    EXPECT_NEAR(acc_c, acc_t, 2.0) << "PGD-20 robust accuracy, ThermoGuard vs torch";
    EXPECT_GT(acc_c, 5.0) << "budget too large to compare";
    EXPECT_LT(acc_c, 95.0) << "budget too small to compare";
    for (const char *n : {"meta.txt", "params.bin", "input.bin", "labels.bin", "features.out", "grad_xent.out",
                          "grad_margin.out", "pgd3.out", "pgd20.out"})
        std::remove((dir + "/" + n).c_str());
    rmdir(dir.c_str());
}

} // namespace
