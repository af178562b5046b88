// Optimisers against torch.optim (values produced by python3-torch in float64 for the same
// parameters and gradients: SGD+momentum+L2, Nesterov, Adam+L2, AdamW, clip_grad_norm_) and
// learning-rate schedules against their closed forms.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "thermoguard/train.h"

namespace {

const float kP0[3] = {0.5f, -1.0f, 2.0f};
const float kGrads[3][3] = {{0.1f, -0.2f, 0.3f}, {0.4f, 0.1f, -0.5f}, {-0.3f, 0.2f, 0.05f}};

std::vector<float> run3(const tg_optim_params &prm, double lr)
{
    tg_optim *o = nullptr;
    EXPECT_EQ(tg_optim_create(&o, &prm, 3), TG_OK) << tg_last_error();
    std::vector<float> p(kP0, kP0 + 3);
    for (const auto &g : kGrads)
        EXPECT_EQ(tg_optim_step(o, p.data(), g, lr, nullptr), TG_OK) << tg_last_error();
    EXPECT_EQ(o->steps, 3);
    tg_optim_destroy(o);
    return p;
}

void expect_near(const std::vector<float> &got, const double (&want)[3])
{
    for (int i = 0; i < 3; i++)
        EXPECT_NEAR(got[i], want[i], 2e-6) << "parameter " << i;
}

TEST(Optim, SgdMomentumWeightDecayMatchesTorch)
{
    tg_optim_params o;
    tg_optim_params_default(&o);
    o.kind = TG_OPTIM_SGD;
    o.momentum = 0.9;
    o.weight_decay = 0.01;
    expect_near(run3(o, 0.1), {0.4241753895, -0.979260779, 1.997553568});
}

TEST(Optim, SgdNesterovMatchesTorch)
{
    tg_optim_params o;
    tg_optim_params_default(&o);
    o.kind = TG_OPTIM_SGD;
    o.nesterov = 1;
    expect_near(run3(o, 0.1), {0.41421, -0.99632, 2.02283});
}

TEST(Optim, AdamL2MatchesTorch)
{
    tg_optim_params o;
    tg_optim_params_default(&o);
    o.weight_decay = 0.1;
    expect_near(run3(o, 0.01), {0.4775578511, -0.9804896183, 1.9842411081});
}

TEST(Optim, AdamWMatchesTorch)
{
    tg_optim_params o;
    tg_optim_params_default(&o);
    o.weight_decay = 0.1;
    o.decoupled = 1;
    expect_near(run3(o, 0.01), {0.4779194866, -0.9870892504, 1.9886734756});
}

TEST(Optim, ClipGradNormMatchesTorch)
{
    tg_optim_params o;
    tg_optim_params_default(&o);
    o.kind = TG_OPTIM_SGD;
    o.momentum = 0.0;
    o.clip_norm = 0.25;
    expect_near(run3(o, 0.1), {0.4984922036, -1.0042305701, 1.9958093447});
}

TEST(Optim, FirstSgdStepByHand)
{
    // p - lr (g + wd p), the momentum buffer starting at g
    tg_optim_params o;
    tg_optim_params_default(&o);
    o.kind = TG_OPTIM_SGD;
    o.weight_decay = 0.5;
    tg_optim *opt = nullptr;
    ASSERT_EQ(tg_optim_create(&opt, &o, 1), TG_OK);
    float p = 2.0f, g = 1.0f;
    double norm = 0;
    ASSERT_EQ(tg_optim_step(opt, &p, &g, 0.1, &norm), TG_OK);
    EXPECT_FLOAT_EQ(p, 2.0f - 0.1f * (1.0f + 0.5f * 2.0f));
    EXPECT_DOUBLE_EQ(norm, 1.0);
    EXPECT_FLOAT_EQ(opt->m[0], 2.0f);
    tg_optim_reset(opt);
    EXPECT_EQ(opt->steps, 0);
    EXPECT_EQ(opt->m[0], 0.0f);
    tg_optim_destroy(opt);
}

TEST(Optim, BadInput)
{
    tg_optim_params o;
    tg_optim_params_default(&o);
    tg_optim *opt = nullptr;
    EXPECT_EQ(tg_optim_create(&opt, &o, 0), TG_ERR_ARG);
    EXPECT_EQ(opt, nullptr);
    o.beta1 = 1.0;
    EXPECT_EQ(tg_optim_create(&opt, &o, 4), TG_ERR_RANGE);
    EXPECT_NE(std::string(tg_last_error()).find("betas"), std::string::npos);
    tg_optim_params_default(&o);
    o.kind = TG_OPTIM_SGD;
    o.momentum = 0.0;
    o.nesterov = 1;
    EXPECT_EQ(tg_optim_create(&opt, &o, 4), TG_ERR_RANGE);
    tg_optim_params_default(&o);
    ASSERT_EQ(tg_optim_create(&opt, &o, 2), TG_OK);
    float p[2] = {1, 2}, g[2] = {NAN, 0};
    EXPECT_EQ(tg_optim_step(opt, p, g, 0.1, nullptr), TG_ERR_NONFINITE);
    EXPECT_EQ(p[0], 1.0f);
    EXPECT_EQ(opt->steps, 0);
    g[0] = 0;
    EXPECT_EQ(tg_optim_step(opt, p, g, -1.0, nullptr), TG_ERR_ARG);
    tg_optim_destroy(opt);
}

TEST(LrSchedule, StepCosineWarmup)
{
    tg_lr_schedule s;
    tg_lr_schedule_default(&s);
    s.lr = 0.1;
    EXPECT_EQ(tg_lr_schedule_check(&s), TG_OK);
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 17), 0.1);

    s.kind = TG_LR_STEP;
    s.step_size = 3;
    s.gamma = 0.5;
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 0), 0.1);
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 2), 0.1);
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 3), 0.05);
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 7), 0.025);

    s.kind = TG_LR_COSINE;
    s.total = 10;
    s.min_lr = 0.01;
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 0), 0.1);
    EXPECT_NEAR(tg_lr_at(&s, 5), 0.055, 1e-12);
    EXPECT_NEAR(tg_lr_at(&s, 3), 0.01 + 0.09 * 0.5 * (1 + std::cos(M_PI * 0.3)), 1e-12);
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 10), 0.01);
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 50), 0.01);

    s.warmup = 4; // 4 warm-up units, then the cosine over the remaining 6
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 0), 0.1 * 1 / 5);
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 3), 0.1 * 4 / 5);
    EXPECT_DOUBLE_EQ(tg_lr_at(&s, 4), 0.1);
    EXPECT_NEAR(tg_lr_at(&s, 7), 0.055, 1e-12);

    s.total = 4;
    EXPECT_EQ(tg_lr_schedule_check(&s), TG_ERR_RANGE);
    s.total = 10;
    s.min_lr = 0.2;
    EXPECT_EQ(tg_lr_schedule_check(&s), TG_ERR_RANGE);
    tg_lr_schedule_default(&s);
    s.kind = TG_LR_STEP;
    s.step_size = 0;
    EXPECT_EQ(tg_lr_schedule_check(&s), TG_ERR_RANGE);
    s.step_size = 1;
    s.lr = 0;
    EXPECT_EQ(tg_lr_schedule_check(&s), TG_ERR_RANGE);
}

} // namespace
