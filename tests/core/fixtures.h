// Shared test fixtures: phantom breast samples split by patient, short training parameters,
// a tiny pipeline around a fresh network, and making a random network input-sensitive.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "thermoguard/pipeline.h"
#include "thermoguard/rng.h"

#include "thermoguard/phantom.h"
#include "thermoguard/train.h"

namespace tgfix {

// Frontal-view phantom breast samples (2 x grid x grid) of `patients` patients, split by
// patient into train / validation (val_fraction) with no test part.
struct PhantomData {
    tg_sample_set all{}, split[3]{};
    PhantomData(size_t patients, int grid, double val_fraction, uint64_t seed = 11)
    {
        tg_phantom_opts o;
        tg_phantom_opts_default(&o);
        o.seed = seed;
        o.n_patients = patients;
        o.views = 1u << TG_VIEW_FRONTAL;
        EXPECT_EQ(tg_phantom_breast_samples(&o, 0, patients, grid, grid, 1.3, &all), TG_OK) << tg_last_error();
        tg_split_opts so;
        tg_split_opts_default(&so);
        so.val_fraction = val_fraction;
        so.test_fraction = 0.0;
        so.seed = 2;
        EXPECT_EQ(tg_sample_set_split(&all, &so, split), TG_OK) << tg_last_error();
    }
    ~PhantomData()
    {
        tg_sample_set_destroy(&all);
        for (auto &s : split)
            tg_sample_set_destroy(&s);
    }
    PhantomData(const PhantomData &) = delete;
    PhantomData &operator=(const PhantomData &) = delete;
};

// A few epochs of constant-rate Adam, batch 8, fixed seed, no early stopping.
inline tg_train_params quick_train_params(int epochs)
{
    tg_train_params t;
    tg_train_params_default(&t);
    t.epochs = epochs;
    t.batch_size = 8;
    t.seed = 42;
    t.lr.kind = TG_LR_CONSTANT;
    t.lr.lr = 3e-3;
    t.patience = 0;
    return t;
}

// A pipeline on a grid x grid, 2-channel input (denoiser off for speed) around a freshly
// He-initialised network built from `spec`.
struct TinyModel {
    tg_pipeline_config cfg;
    tg_net *net = nullptr;
    tg_pipeline *p = nullptr;
    TinyModel(const char *spec, int grid, int max_batch, uint64_t seed = 7)
    {
        tg_pipeline_config_default(&cfg);
        cfg.in_h = cfg.in_w = grid;
        cfg.denoise_on = 0;
        int c, h, w;
        EXPECT_EQ(tg_pipeline_feature_shape(&cfg, &c, &h, &w), TG_OK);
        EXPECT_EQ(tg_net_create(&net, spec, c, h, w), TG_OK) << tg_last_error();
        tg_rng r;
        tg_rng_seed(&r, seed);
        EXPECT_EQ(tg_net_init(net, &r), TG_OK);
        EXPECT_EQ(tg_pipeline_create(&p, &cfg, net, max_batch), TG_OK) << tg_last_error();
    }
    ~TinyModel()
    {
        tg_pipeline_destroy(p);
        tg_net_destroy(net);
    }
    TinyModel(const TinyModel &) = delete;
    TinyModel &operator=(const TinyModel &) = delete;
    std::vector<float> weights() const
    {
        std::vector<float> v(net->params, net->params + net->n_params);
        v.insert(v.end(), net->stats, net->stats + net->n_stats);
        return v;
    }
};

// A random network barely reacts to its input (the LL band dominates). Given the clean logit
// differences d = z1 - z0 of a data set, rescales the final 2-class dense layer so that d has
// spread 2 and the decision boundary sits at the data's median.
inline void center_last_layer(tg_net *net, std::vector<double> d)
{
    const size_t n = d.size();
    double mean = 0, var = 0;
    for (double v : d)
        mean += v / (double)n;
    for (double v : d)
        var += (v - mean) * (v - mean) / (double)n;
    std::sort(d.begin(), d.end());
    const tg_layer &l = net->layers[net->n_layers - 1];
    const int F = l.c * l.h * l.w;
    float *w = net->params + l.param_off, *bias = w + 2 * F;
    double k = 2.0 / std::sqrt(std::max(var, 1e-20)), bd = (double)bias[1] - bias[0];
    double med = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
    for (int i = 0; i < 2 * F; i++)
        w[i] = (float)(w[i] * k);
    bias[0] = 0.0f;
    bias[1] = (float)(-k * (med - bd)) + 1e-3f;
}

} // namespace tgfix
