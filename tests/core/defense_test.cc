// Adversarial-training defenses: settings (defaults, check, describe), every defense training a
// few steps deterministically on phantom breast samples, the MART/TRADES step (loss = the
// torch-checked tg_mart_loss/tg_trades_loss on the step's logits, logits = the train passes,
// parameter gradients = finite differences, BN statistics advanced once per pass), dual BN, and
// PGD-AT beating plain training under PGD.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "fixtures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "thermoguard/attack.h"
#include "thermoguard/defense.h"
#include "thermoguard/robust_loss.h"
#include "thermoguard/train.h"

namespace {

const int kGrid = 16;

// A tiny pipeline on the defense tests' grid.
struct Model : tgfix::TinyModel {
    Model(const char *spec, int max_batch, uint64_t seed = 7) : tgfix::TinyModel(spec, kGrid, max_batch, seed) {}
};

// Phantom breast samples of the defense tests: 30 % of the patients for validation.
struct Data : tgfix::PhantomData {
    explicit Data(size_t patients, uint64_t seed = 11) : tgfix::PhantomData(patients, kGrid, 0.3, seed) {}
};

tg_train_params quick_params(int epochs) { return tgfix::quick_train_params(epochs); }

const tg_defense_kind kKinds[] = {TG_DEFENSE_PGD_AT, TG_DEFENSE_MPADVT, TG_DEFENSE_MART, TG_DEFENSE_TRADES};

// ---- settings ----

TEST(Defense, DefaultsPassTheCheckAndBadValuesAreRefused)
{
    for (int k = TG_DEFENSE_NONE; k <= TG_DEFENSE_TRADES; k++) {
        tg_defense_params d = tg_defense_params_default((tg_defense_kind)k);
        EXPECT_EQ(d.kind, k);
        EXPECT_EQ(tg_defense_params_check(&d), TG_OK) << tg_last_error();
        tg_defense_kind back;
        ASSERT_EQ(tg_defense_kind_from_name(tg_defense_name(d.kind), &back), TG_OK);
        EXPECT_EQ(back, k);
    }
    tg_defense_kind back;
    EXPECT_EQ(tg_defense_kind_from_name("maadvt", &back), TG_OK);
    EXPECT_EQ(back, TG_DEFENSE_MART);
    EXPECT_EQ(tg_defense_kind_from_name("fgsm-at", &back), TG_ERR_NOTFOUND);

    tg_defense_params mp = tg_defense_params_default(TG_DEFENSE_MPADVT);
    EXPECT_EQ(mp.prob, 0.5);
    EXPECT_EQ(mp.eps_min, 0.01);
    EXPECT_EQ(mp.eps_max, 0.04);
    EXPECT_EQ(mp.steps_min, 1);
    EXPECT_EQ(mp.steps_max, 10);
    EXPECT_NEAR(mp.step, 1.0 / 255.0, 1e-15);
    tg_defense_params ma = tg_defense_params_default(TG_DEFENSE_MART);
    EXPECT_EQ(ma.eps, 0.031);
    EXPECT_EQ(ma.steps, 4);
    EXPECT_EQ(ma.step, 0.007);
    EXPECT_EQ(ma.beta, 6.0);

    struct Bad {
        tg_defense_kind kind;
        void (*edit)(tg_defense_params *);
        tg_status want;
    } bad[] = {
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->eps = 0.0; }, TG_ERR_RANGE},
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->eps = 1.5; }, TG_ERR_RANGE},
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->eps = NAN; }, TG_ERR_RANGE},
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->steps = 0; }, TG_ERR_RANGE},
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->step = -0.01; }, TG_ERR_RANGE},
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->prob = 1.1; }, TG_ERR_RANGE},
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->mix = 0.0; }, TG_ERR_RANGE},
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->ramp_epochs = -1; }, TG_ERR_RANGE},
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->dual_bn = 2; }, TG_ERR_RANGE},
        {TG_DEFENSE_PGD_AT, [](tg_defense_params *d) { d->dual_bn = 1, d->mix = 0.5; }, TG_ERR_ARG},
        {TG_DEFENSE_MPADVT, [](tg_defense_params *d) { d->eps_min = 0.05; }, TG_ERR_RANGE},
        {TG_DEFENSE_MPADVT, [](tg_defense_params *d) { d->steps_max = 0; }, TG_ERR_RANGE},
        {TG_DEFENSE_MART, [](tg_defense_params *d) { d->beta = -1.0; }, TG_ERR_RANGE},
        {TG_DEFENSE_MART, [](tg_defense_params *d) { d->prob = 0.5; }, TG_ERR_ARG},
        {TG_DEFENSE_TRADES, [](tg_defense_params *d) { d->mix = 0.5; }, TG_ERR_ARG},
        {TG_DEFENSE_TRADES, [](tg_defense_params *d) { d->beta = INFINITY; }, TG_ERR_RANGE},
        {(tg_defense_kind)7, [](tg_defense_params *) {}, TG_ERR_ARG}, // not a kind, yet inside the C++ enum range
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tg_defense_params d = tg_defense_params_default(bad[i].kind);
        d.kind = bad[i].kind;
        bad[i].edit(&d);
        EXPECT_EQ(tg_defense_params_check(&d), bad[i].want) << "case " << i;
        EXPECT_NE(std::string(tg_last_error()), "") << "case " << i;
    }

    // attach refuses bad settings and training parameters that already carry a hook
    tg_train_params t = quick_params(1);
    tg_defense_state *s = nullptr;
    tg_defense_params d = tg_defense_params_default(TG_DEFENSE_PGD_AT);
    d.eps = 0.0;
    EXPECT_EQ(tg_defense_attach(&d, &t, &s), TG_ERR_RANGE);
    EXPECT_EQ(s, nullptr);
    d = tg_defense_params_default(TG_DEFENSE_PGD_AT);
    ASSERT_EQ(tg_defense_attach(&d, &t, &s), TG_OK);
    EXPECT_NE(t.adversary, nullptr);
    EXPECT_EQ(t.loss_hook, nullptr);
    tg_defense_state *s2 = nullptr;
    EXPECT_EQ(tg_defense_attach(&d, &t, &s2), TG_ERR_ARG);
    EXPECT_EQ(s2, nullptr);
    tg_defense_destroy(s);
}

TEST(Defense, DescribeGivesUnitsAndCelsius)
{
    tg_pipeline_config cfg;
    tg_pipeline_config_default(&cfg); // 20-40 °C: 20 °C per unit
    tg_defense_params d = tg_defense_params_default(TG_DEFENSE_PGD_AT);
    char buf[256];
    size_t n = tg_defense_describe(&d, &cfg, buf, sizeof buf);
    std::string s = buf;
    EXPECT_EQ(n, s.size());
    EXPECT_EQ(s.rfind("pgd-at eps=0.031 (0.62 °C) steps=7 step=0.0078 (0.16 °C)", 0), 0u) << s;
    EXPECT_NE(s.find("crafted-in=eval"), std::string::npos) << s;

    d = tg_defense_params_default(TG_DEFENSE_MPADVT);
    tg_defense_describe(&d, &cfg, buf, sizeof buf);
    EXPECT_NE(std::string(buf).find("eps=U(0.01,0.04) (0.2-0.8 °C)"), std::string::npos) << buf;
    d = tg_defense_params_default(TG_DEFENSE_TRADES);
    tg_defense_describe(&d, &cfg, buf, sizeof buf);
    EXPECT_NE(std::string(buf).find("beta=6"), std::string::npos) << buf;
    EXPECT_NE(std::string(buf).find("°C"), std::string::npos) << buf;

    // truncation keeps the terminator and reports the full length
    char small[10];
    EXPECT_EQ(tg_defense_describe(&d, &cfg, small, sizeof small), std::string(buf).size());
    EXPECT_EQ(std::string(small), std::string(buf).substr(0, 9));
    // intensity input: no °C
    cfg.has_temperature = 0;
    tg_defense_describe(&d, &cfg, buf, sizeof buf);
    EXPECT_EQ(std::string(buf).find("°C"), std::string::npos) << buf;
}

// ---- training ----

TEST(Defense, EveryDefenseTrainsDeterministically)
{
    Data data(10);
    const tg_sample_set &train = data.split[TG_SPLIT_TRAIN];
    for (tg_defense_kind kind : kKinds) {
        for (int dual = 0; dual <= 1; dual++) {
            const char *spec = dual ? "conv(4,3,1,1)-dbn-relu-maxpool(2)-dense(2)" : "conv(4,3,1,1)-bn-relu-maxpool(2)-dense(2)";
            std::vector<float> w[2], init;
            for (int run = 0; run < 2; run++) {
                Model m(spec, 8);
                init = m.weights();
                tg_train_params t = quick_params(2);
                tg_defense_params d = tg_defense_params_default(kind);
                d.dual_bn = dual;
                d.ramp_epochs = 2;
                tg_defense_state *s = nullptr;
                ASSERT_EQ(tg_defense_attach(&d, &t, &s), TG_OK) << tg_last_error();
                tg_train_report rep;
                ASSERT_EQ(tg_train(m.p, &train, nullptr, &t, &rep, nullptr), TG_OK)
                    << tg_defense_name(kind) << ": " << tg_last_error();
                EXPECT_EQ(rep.epochs_run, 2);
                EXPECT_TRUE(std::isfinite(rep.epoch[1].train_loss));
                tg_defense_destroy(s);
                w[run] = m.weights();
            }
            EXPECT_EQ(std::memcmp(w[0].data(), w[1].data(), w[0].size() * sizeof(float)), 0)
                << tg_defense_name(kind) << " dual " << dual;
            EXPECT_NE(w[0], init) << tg_defense_name(kind);
        }
    }
}

// The MART/TRADES step: run the loss hook on one batch and check everything it claims.
void check_robust_step(tg_defense_kind kind)
{
    SCOPED_TRACE(tg_defense_name(kind));
    Data data(6);
    const tg_sample_set &set = data.all;
    const int B = 8;
    const size_t S = 2 * kGrid * kGrid;
    Model m("conv(4,3,1,1)-dbn-relu-maxpool(2)-dense(2)", B);
    tg_train_params t = quick_params(1);
    tg_defense_params d = tg_defense_params_default(kind);
    d.dual_bn = 1;
    tg_defense_state *s = nullptr;
    ASSERT_EQ(tg_defense_attach(&d, &t, &s), TG_OK);
    ASSERT_NE(t.loss_hook, nullptr);
    EXPECT_EQ(t.adversary, nullptr);
    const float *xa, *z, *za;
    int nb;
    EXPECT_EQ(tg_defense_last_step(s, &xa, &z, &za, &nb), TG_ERR_ARG); // nothing ran yet

    std::vector<float> x(set.raw, set.raw + B * S);
    std::vector<int> y(set.labels, set.labels + B), pred(B);
    std::vector<uint64_t> ids(B);
    for (int i = 0; i < B; i++)
        ids[i] = (uint64_t)i;
    const float cw[2] = {1.0f, 1.0f};
    tg_train_step info = {0, 1, 0, 99, ids.data(), 0, cw, TG_LOSS_XENT, 2.0f};
    std::vector<float> stats0(m.net->stats, m.net->stats + m.net->n_stats);
    tg_net_zero_grad(m.net);
    float loss;
    ASSERT_EQ(t.loss_hook(t.loss_user, m.p, x.data(), y.data(), B, &info, &loss, pred.data()), 0) << tg_last_error();
    std::vector<float> grads(m.net->grads, m.net->grads + m.net->n_params);
    std::vector<float> stats1(m.net->stats, m.net->stats + m.net->n_stats);
    ASSERT_EQ(tg_defense_last_step(s, &xa, &z, &za, &nb), TG_OK);
    ASSERT_EQ(nb, B);
    std::vector<float> adv(xa, xa + B * S), zc(z, z + 2 * B), zadv(za, za + 2 * B);

    // x′ inside the ε-ball (ε 0.031 of 20 °C) and the valid range, and actually moved
    double maxd = 0.0;
    for (size_t i = 0; i < B * S; i++) {
        maxd = std::max(maxd, (double)std::fabs(adv[i] - x[i]));
        EXPECT_GE(adv[i], m.cfg.t_min);
        EXPECT_LE(adv[i], m.cfg.t_max);
    }
    EXPECT_LE(maxd, 0.031 * 20.0 + 1e-4);
    EXPECT_GT(maxd, 0.5 * 0.031 * 20.0);

    // the loss is the robust loss of the logits the step used
    float ref;
    if (kind == TG_DEFENSE_MART)
        ASSERT_EQ(tg_mart_loss(&ref, zc.data(), zadv.data(), y.data(), B, 2, 6.0f, nullptr, nullptr), TG_OK);
    else
        ASSERT_EQ(tg_trades_loss(&ref, zc.data(), zadv.data(), y.data(), B, 2, 6.0f, nullptr, nullptr), TG_OK);
    EXPECT_EQ(loss, ref);
    for (int i = 0; i < B; i++)
        EXPECT_EQ(pred[i], zc[2 * i + 1] > zc[2 * i]);

    // those logits are the train passes: clean with BN set 0, adversarial with set 1; each pass
    // advanced its own set's running statistics exactly once
    std::memcpy(m.net->stats, stats0.data(), stats0.size() * sizeof(float));
    const tg_net_pass clean = {1, 0, 99, ids.data()}, advp = {1, 1, 99 ^ 0x616476ull, ids.data()};
    const float *lg;
    ASSERT_EQ(tg_pipeline_forward(m.p, x.data(), B, &clean, &lg), TG_OK);
    for (int i = 0; i < 2 * B; i++)
        EXPECT_EQ(lg[i], zc[i]);
    ASSERT_EQ(tg_pipeline_forward(m.p, adv.data(), B, &advp, &lg), TG_OK);
    for (int i = 0; i < 2 * B; i++)
        EXPECT_EQ(lg[i], zadv[i]);
    for (size_t i = 0; i < stats1.size(); i++)
        EXPECT_EQ(m.net->stats[i], stats1[i]) << "stat " << i;

    // parameter gradients = central differences of the loss with x′ fixed (train passes)
    auto loss_at = [&]() {
        std::vector<float> a(2 * B), b(2 * B);
        const float *l;
        EXPECT_EQ(tg_pipeline_forward(m.p, x.data(), B, &clean, &l), TG_OK);
        std::memcpy(a.data(), l, a.size() * sizeof(float));
        EXPECT_EQ(tg_pipeline_forward(m.p, adv.data(), B, &advp, &l), TG_OK);
        std::memcpy(b.data(), l, b.size() * sizeof(float));
        float v;
        if (kind == TG_DEFENSE_MART)
            EXPECT_EQ(tg_mart_loss(&v, a.data(), b.data(), y.data(), B, 2, 6.0f, nullptr, nullptr), TG_OK);
        else
            EXPECT_EQ(tg_trades_loss(&v, a.data(), b.data(), y.data(), B, 2, 6.0f, nullptr, nullptr), TG_OK);
        return (double)v;
    };
    int checked = 0;
    for (size_t i = 0; i < m.net->n_params; i += 7) {
        float keep = m.net->params[i];
        const float h = 5e-4f;
        m.net->params[i] = keep + h;
        double up = loss_at();
        m.net->params[i] = keep - h;
        double down = loss_at();
        m.net->params[i] = keep;
        double fd = (up - down) / (2.0 * h);
        EXPECT_NEAR(grads[i], fd, 3e-2 * std::max(1.0, std::fabs(fd))) << "param " << i;
        checked++;
    }
    EXPECT_GT(checked, 10);
    tg_defense_destroy(s);
}

TEST(Defense, MartStepIsTheMartLossWithExactGradients) { check_robust_step(TG_DEFENSE_MART); }
TEST(Defense, TradesStepIsTheTradesLossWithExactGradients) { check_robust_step(TG_DEFENSE_TRADES); }

// Offsets of every BN layer's set-0 and set-1 statistics.
void bn_stat_ranges(const tg_net *net, std::vector<std::pair<size_t, size_t>> *set0,
                    std::vector<std::pair<size_t, size_t>> *set1)
{
    for (int l = 0; l < net->n_layers; l++) {
        const tg_layer &L = net->layers[l];
        if (L.kind != TG_LAYER_BN || L.sets != 2)
            continue;
        set0->push_back({L.stat_off, L.stat_off + 2 * (size_t)L.c});
        set1->push_back({L.stat_off + 2 * (size_t)L.c, L.stat_off + 4 * (size_t)L.c});
    }
}

TEST(Defense, DualBnAdversarialBatchesOnlyTouchSetOne)
{
    Data data(10);
    const tg_sample_set &train = data.split[TG_SPLIT_TRAIN];
    for (double prob : {1.0, 0.5}) {
        Model m("conv(4,3,1,1)-dbn-relu-maxpool(2)-dense(2)", 8);
        std::vector<std::pair<size_t, size_t>> s0, s1;
        bn_stat_ranges(m.net, &s0, &s1);
        ASSERT_EQ(s0.size(), 1u);
        std::vector<float> before(m.net->stats, m.net->stats + m.net->n_stats);
        tg_train_params t = quick_params(2);
        t.augment_on = 0;
        tg_defense_params d = tg_defense_params_default(TG_DEFENSE_PGD_AT);
        d.dual_bn = 1;
        d.prob = prob;
        tg_defense_state *s = nullptr;
        ASSERT_EQ(tg_defense_attach(&d, &t, &s), TG_OK);
        ASSERT_EQ(tg_train(m.p, &train, nullptr, &t, nullptr, nullptr), TG_OK) << tg_last_error();
        tg_defense_destroy(s);
        int changed0 = 0, changed1 = 0;
        for (size_t i = s0[0].first; i < s0[0].second; i++)
            changed0 += m.net->stats[i] != before[i];
        for (size_t i = s1[0].first; i < s1[0].second; i++)
            changed1 += m.net->stats[i] != before[i];
        EXPECT_GT(changed1, 0) << "prob " << prob;
        if (prob == 1.0)
            EXPECT_EQ(changed0, 0) << "every batch adversarial: set 0 must keep its statistics";
        else
            EXPECT_GT(changed0, 0) << "clean batches train set 0";
    }
}

// Robust accuracy under PGD-10 (ε, α ε/4, random start) on `set`.
double robust_accuracy(tg_pipeline *p, const tg_sample_set &set, double eps)
{
    const size_t S = (size_t)set.c * set.h * set.w;
    tg_attack_params a = tg_attack_params_default(TG_ATTACK_PGD);
    a.eps = eps;
    a.step = eps / 4;
    a.iterations = 10;
    a.seed = 5;
    tg_attack_result res{};
    EXPECT_EQ(tg_attack_result_init(&res, 8), TG_OK);
    std::vector<float> adv(8 * S);
    size_t correct = 0;
    for (size_t i = 0; i < set.n; i += 8) {
        int b = (int)std::min<size_t>(8, set.n - i);
        a.index_base = i;
        EXPECT_EQ(tg_attack_run(p, &a, set.raw + i * S, set.labels + i, b, adv.data(), &res, nullptr), TG_OK)
            << tg_last_error();
        for (int k = 0; k < b; k++)
            correct += !res.success[k];
    }
    tg_attack_result_free(&res);
    return (double)correct / (double)set.n;
}

// A separable toy problem on 2 x 16 x 16 °C: 30 °C background with N(0, 0.3) pixel noise; sick
// samples carry a +Δ °C hot square (6 x 6) in channel 0 at a random place (Δ = 3 °C here,
// far above the 0.2 °C budget, so a robust classifier exists).
void toy_set(tg_sample_set *s, size_t n, uint64_t seed, double delta)
{
    ASSERT_EQ(tg_sample_set_create(s, n, 2, kGrid, kGrid), TG_OK);
    tg_rng g;
    tg_rng_seed(&g, seed);
    std::vector<float> x(2 * kGrid * kGrid);
    for (size_t i = 0; i < n; i++) {
        int label = (int)(i % 2);
        for (auto &v : x)
            v = (float)(30.0 + 0.3 * tg_rng_normal(&g));
        if (label) {
            int r0 = (int)tg_rng_below(&g, kGrid - 6), c0 = (int)tg_rng_below(&g, kGrid - 6);
            for (int r = r0; r < r0 + 6; r++)
                for (int c = c0; c < c0 + 6; c++)
                    x[(size_t)r * kGrid + c] += (float)delta;
        }
        std::string id = "toy" + std::to_string(seed) + "-" + std::to_string(i);
        ASSERT_EQ(tg_sample_set_put(s, i, x.data(), label, id.c_str(), nullptr), TG_OK);
    }
}

TEST(Defense, PgdAtBeatsPlainTrainingUnderPgd)
{
    tg_sample_set train{}, test{};
    toy_set(&train, 64, 1, 3.0);
    toy_set(&test, 48, 2, 3.0);
    const char *spec = "conv(8,3,1,1)-bn-relu-maxpool(2)-conv(8,3,1,1)-bn-relu-gap-dense(2)";
    const double eps = 0.01; // 0.2 °C; trained with α ε/4, 7 steps
    double robust[2], clean[2];
    for (int at = 0; at <= 1; at++) {
        Model m(spec, 8);
        tg_train_params t = quick_params(12);
        t.augment_on = 0;
        t.lr.lr = 1e-2;
        tg_defense_state *s = nullptr;
        tg_defense_params d = tg_defense_params_default(at ? TG_DEFENSE_PGD_AT : TG_DEFENSE_NONE);
        d.eps = eps;
        d.step = eps / 4;
        ASSERT_EQ(tg_defense_attach(&d, &t, &s), TG_OK);
        ASSERT_EQ(tg_train(m.p, &train, nullptr, &t, nullptr, nullptr), TG_OK) << tg_last_error();
        tg_defense_destroy(s);
        tg_eval_report r{};
        ASSERT_EQ(tg_evaluate(m.p, &test, 0.5, 8, &r), TG_OK);
        clean[at] = r.breast.accuracy;
        tg_eval_report_destroy(&r);
        robust[at] = robust_accuracy(m.p, test, eps);
    }
    std::printf("[ measured ] test n=%zu clean plain %.3f pgd-at %.3f; PGD-10 eps %.3f robust plain %.3f pgd-at %.3f\n",
                test.n, clean[0], clean[1], eps, robust[0], robust[1]);
    // measured (12 epochs, seed 42): clean 1.000 / 1.000, robust plain 0.625, PGD-AT 1.000
    EXPECT_GE(clean[1], 0.9);
    EXPECT_GE(robust[1], robust[0] + 0.25);
    tg_sample_set_destroy(&train);
    tg_sample_set_destroy(&test);
}

} // namespace
