// Patient-level splits (no leakage, stratified, deterministic) and per-group breakdowns.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "thermoguard/dataset.h"
#include "thermoguard/rng.h"
}

namespace {

// 200 patients, 1..6 items each (views x breasts), 30% sick patients (only one breast sick).
struct Dataset {
    std::vector<std::string> ids;
    std::vector<tg_label> labels;
    std::map<std::string, tg_label> patient_label;
    std::vector<const char *> ptrs() const
    {
        std::vector<const char *> p;
        for (const auto &s : ids)
            p.push_back(s.c_str());
        return p;
    }
};

Dataset Make(uint64_t seed)
{
    Dataset d;
    tg_rng r;
    tg_rng_seed(&r, seed);
    for (int p = 0; p < 200; p++) {
        std::string id = "T" + std::to_string(1000 + p);
        bool sick = tg_rng_uniform(&r) < 0.3;
        int items = 1 + (int)tg_rng_below(&r, 6);
        for (int i = 0; i < items; i++) {
            d.ids.push_back(id);
            d.labels.push_back(sick && i == items - 1 ? TG_LABEL_SICK : TG_LABEL_HEALTHY);
        }
        d.patient_label[id] = sick ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
    }
    return d;
}

std::map<std::string, tg_split_set> PerPatient(const Dataset &d, const std::vector<tg_split_set> &sets)
{
    std::map<std::string, tg_split_set> m;
    for (size_t i = 0; i < d.ids.size(); i++) {
        auto it = m.find(d.ids[i]);
        if (it == m.end())
            m[d.ids[i]] = sets[i];
        else
            EXPECT_EQ(it->second, sets[i]) << "patient " << d.ids[i] << " leaks across sets";
    }
    return m;
}

TEST(Split, NoPatientLeakageAndStratifiedProportions)
{
    Dataset d = Make(1);
    auto ids = d.ptrs();
    std::vector<tg_split_set> sets(d.ids.size());
    tg_split_opts o;
    tg_split_opts_default(&o);
    o.val_fraction = 0.2;
    o.test_fraction = 0.25;
    o.seed = 7;
    ASSERT_EQ(tg_split_patients(ids.data(), d.labels.data(), ids.size(), &o, sets.data()), TG_OK);
    auto per = PerPatient(d, sets);
    ASSERT_EQ(per.size(), 200u);
    // Per stratum the counts are round(n * fraction) exactly.
    for (tg_label lab : {TG_LABEL_HEALTHY, TG_LABEL_SICK}) {
        size_t n = 0, cnt[3] = {0, 0, 0};
        for (const auto &kv : per)
            if (d.patient_label[kv.first] == lab) {
                n++;
                cnt[kv.second]++;
            }
        ASSERT_GT(n, 20u);
        EXPECT_EQ(cnt[TG_SPLIT_TEST], (size_t)std::floor(n * 0.25 + 0.5)) << "label " << lab;
        EXPECT_EQ(cnt[TG_SPLIT_VAL], (size_t)std::floor(n * 0.2 + 0.5)) << "label " << lab;
        EXPECT_EQ(cnt[TG_SPLIT_TRAIN], n - cnt[TG_SPLIT_TEST] - cnt[TG_SPLIT_VAL]);
    }
}

TEST(Split, DeterministicAndIndependentOfItemOrder)
{
    Dataset d = Make(2);
    auto ids = d.ptrs();
    std::vector<tg_split_set> a(ids.size()), b(ids.size()), c(ids.size());
    tg_split_opts o;
    tg_split_opts_default(&o);
    o.seed = 11;
    ASSERT_EQ(tg_split_patients(ids.data(), d.labels.data(), ids.size(), &o, a.data()), TG_OK);
    ASSERT_EQ(tg_split_patients(ids.data(), d.labels.data(), ids.size(), &o, b.data()), TG_OK);
    EXPECT_EQ(a, b);
    // Reversing the items changes nothing per patient.
    Dataset rev = d;
    std::reverse(rev.ids.begin(), rev.ids.end());
    std::reverse(rev.labels.begin(), rev.labels.end());
    auto rids = rev.ptrs();
    ASSERT_EQ(tg_split_patients(rids.data(), rev.labels.data(), rids.size(), &o, c.data()), TG_OK);
    EXPECT_EQ(PerPatient(d, a), PerPatient(rev, c));
    // Another seed gives another split.
    o.seed = 12;
    ASSERT_EQ(tg_split_patients(ids.data(), d.labels.data(), ids.size(), &o, b.data()), TG_OK);
    EXPECT_NE(a, b);
}

TEST(Split, WithoutLabelsAndEdgeFractions)
{
    Dataset d = Make(3);
    auto ids = d.ptrs();
    std::vector<tg_split_set> s(ids.size());
    tg_split_opts o;
    tg_split_opts_default(&o);
    o.val_fraction = 0.0;
    o.test_fraction = 0.5;
    ASSERT_EQ(tg_split_patients(ids.data(), nullptr, ids.size(), &o, s.data()), TG_OK);
    auto per = PerPatient(d, s);
    size_t test = 0;
    for (const auto &kv : per) {
        EXPECT_NE(kv.second, TG_SPLIT_VAL);
        test += kv.second == TG_SPLIT_TEST;
    }
    EXPECT_EQ(test, 100u);
    const char *one[] = {"T1", "T1"};
    tg_split_set s1[2];
    ASSERT_EQ(tg_split_patients(one, nullptr, 2, nullptr, s1), TG_OK);
    EXPECT_EQ(s1[0], s1[1]);
}

TEST(Split, RejectsBadArguments)
{
    const char *ids[] = {"A", nullptr};
    tg_split_set s[2];
    tg_split_opts o;
    tg_split_opts_default(&o);
    EXPECT_EQ(tg_split_patients(ids, nullptr, 0, &o, s), TG_ERR_ARG);
    EXPECT_EQ(tg_split_patients(ids, nullptr, 2, &o, s), TG_ERR_ARG);
    EXPECT_NE(std::string(tg_last_error()).find("item 1"), std::string::npos) << tg_last_error();
    o.val_fraction = 0.6;
    o.test_fraction = 0.5;
    EXPECT_EQ(tg_split_patients(ids, nullptr, 1, &o, s), TG_ERR_ARG);
    o.val_fraction = -0.1;
    EXPECT_EQ(tg_split_patients(ids, nullptr, 1, &o, s), TG_ERR_ARG);
    EXPECT_STREQ(tg_split_set_name(TG_SPLIT_VAL), "validation");
}

TEST(Breakdown, CountsPerGroup)
{
    // era-2013: 4 items, era-2019: 3 items.
    const char *keys[] = {"era-2019", "era-2013", "era-2013", "era-2019", "era-2013", "era-2013", "era-2019"};
    const tg_label truth[] = {TG_LABEL_SICK, TG_LABEL_HEALTHY, TG_LABEL_HEALTHY, TG_LABEL_SICK,
                              TG_LABEL_SICK, TG_LABEL_HEALTHY, TG_LABEL_SICK};
    const tg_label pred[] = {TG_LABEL_SICK, TG_LABEL_HEALTHY, TG_LABEL_SICK, TG_LABEL_HEALTHY,
                             TG_LABEL_SICK, TG_LABEL_HEALTHY, TG_LABEL_SICK};
    tg_breakdown b;
    ASSERT_EQ(tg_breakdown_compute(keys, truth, pred, 7, &b), TG_OK) << tg_last_error();
    ASSERT_EQ(b.n_groups, 2u);
    const tg_group_stats &g13 = b.groups[0], &g19 = b.groups[1];
    EXPECT_STREQ(g13.key, "era-2013");
    EXPECT_EQ(g13.count, 4u);
    EXPECT_EQ(g13.correct, 3u);
    EXPECT_EQ(g13.tp, 1u);
    EXPECT_EQ(g13.tn, 2u);
    EXPECT_EQ(g13.fp, 1u);
    EXPECT_EQ(g13.fn, 0u);
    EXPECT_DOUBLE_EQ(g13.accuracy, 0.75);
    EXPECT_DOUBLE_EQ(g13.sensitivity, 1.0);
    EXPECT_DOUBLE_EQ(g13.specificity, 2.0 / 3.0);
    EXPECT_STREQ(g19.key, "era-2019");
    EXPECT_EQ(g19.count, 3u);
    EXPECT_EQ(g19.tp, 2u);
    EXPECT_EQ(g19.fn, 1u);
    EXPECT_TRUE(std::isnan(g19.specificity)) << "no healthy items in this group";
    EXPECT_STREQ(b.total.key, "all");
    EXPECT_EQ(b.total.count, 7u);
    EXPECT_EQ(b.total.correct, 5u);
    tg_breakdown_destroy(&b);
    EXPECT_EQ(b.groups, nullptr);
    tg_breakdown_destroy(&b);
}

TEST(Breakdown, RejectsBadLabelsAndKeys)
{
    const char *keys[] = {"a", nullptr};
    const tg_label truth[] = {TG_LABEL_SICK, TG_LABEL_UNKNOWN};
    const tg_label pred[] = {TG_LABEL_SICK, TG_LABEL_SICK};
    tg_breakdown b;
    EXPECT_EQ(tg_breakdown_compute(keys, truth, pred, 2, &b), TG_ERR_ARG);
    EXPECT_NE(std::string(tg_last_error()).find("item 1"), std::string::npos) << tg_last_error();
    EXPECT_EQ(tg_breakdown_compute(keys, pred, pred, 2, &b), TG_ERR_ARG);
    EXPECT_EQ(b.groups, nullptr);
    EXPECT_EQ(tg_breakdown_compute(keys, pred, pred, 0, &b), TG_ERR_ARG);
}

} // namespace
