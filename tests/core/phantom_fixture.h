// Shared fixtures of the training and defense tests: phantom breast samples split by patient,
// and short training parameters. SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <gtest/gtest.h>

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

} // namespace tgfix
