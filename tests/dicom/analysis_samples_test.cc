// tg_analysis_samples_build gives exactly the breast inputs tg_analysis_run scores: same count,
// order, sides and sources (bad instances skipped), and the pipeline on them reproduces the
// per-breast probabilities of the analysis.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "test_util.h"
#include "thermoguard/analysis.h"
#include "thermoguard/phantom.h"
#include "thermoguard/pipeline.h"

namespace {

// Patient 1 of the phantom, frontal + both laterals, one series; paths in instance order.
std::vector<std::string> write_series(const tgtest::TempDir &dir)
{
    tg_phantom_opts o;
    tg_phantom_opts_default(&o);
    std::vector<std::string> paths;
    const tg_view views[] = {TG_VIEW_LATERAL_LEFT, TG_VIEW_FRONTAL, TG_VIEW_LATERAL_RIGHT};
    const char *lat[] = {"L", "B", "R"};
    char study[TG_DICOM_UID_SIZE], series[TG_DICOM_UID_SIZE];
    EXPECT_EQ(tg_dicom_new_uid(study), TG_OK);
    EXPECT_EQ(tg_dicom_new_uid(series), TG_OK);
    for (int i = 0; i < 3; i++) {
        tg_image img;
        tg_phantom_view_info info;
        EXPECT_EQ(tg_phantom_render(&o, 1, views[i], &img, &info), TG_OK);
        tg_dicomize_params p;
        std::memset(&p, 0, sizeof p);
        p.patient_id = "SYN-00001";
        p.study_uid = study;
        p.series_uid = series;
        p.laterality = lat[i];
        p.view = views[i] == TG_VIEW_FRONTAL ? "FRONTAL" : "LATERAL";
        p.instance_number = i + 1;
        paths.push_back(dir.file("v" + std::to_string(i) + ".dcm"));
        EXPECT_EQ(tg_dicomize_write(&img, &p, paths.back().c_str(), nullptr), TG_OK);
        tg_image_destroy(&img);
    }
    return paths;
}

} // namespace

TEST(AnalysisSamples, SameInputsAsTheAnalysis)
{
    tgtest::TempDir dir;
    std::vector<std::string> paths = write_series(dir);
    tg_model *m = nullptr;
    ASSERT_EQ(tg_model_load(TG_TEST_DEMO_MODEL, &m, nullptr), TG_OK) << tg_last_error();
    // a corrupt instance first: rejected by both, and the sources must skip it
    const char junk[] = "not a DICOM file";
    std::vector<tg_analysis_instance> in;
    in.push_back({"junk", nullptr, junk, sizeof junk});
    for (const std::string &p : paths)
        in.push_back({nullptr, p.c_str(), nullptr, 0});
    tg_analysis_config cfg;
    tg_analysis_config_default(&cfg);
    cfg.model = m;
    cfg.detector_enabled = 0;
    tg_analysis_result r;
    ASSERT_EQ(tg_analysis_run(in.data(), (int)in.size(), &cfg, &r), TG_OK) << tg_last_error();
    tg_analysis_samples s;
    ASSERT_EQ(tg_analysis_samples_build(in.data(), (int)in.size(), &cfg, &s), TG_OK) << tg_last_error();

    EXPECT_EQ(s.n, r.n_inputs);
    EXPECT_EQ(s.n, 4); // lateral-left, frontal L+R, lateral-right
    EXPECT_EQ(s.n_used, 3);
    ASSERT_EQ(s.n_rejected, 1);
    EXPECT_EQ(s.rejections[0].index, 0);
    EXPECT_EQ(s.c, 2);
    EXPECT_EQ(s.h, m->pipeline.in_h);
    EXPECT_EQ(s.w, m->pipeline.in_w);
    EXPECT_EQ(s.source[0], 1);
    EXPECT_EQ(s.view[0], TG_VIEW_LATERAL_LEFT);
    EXPECT_EQ(s.side[0], 'L');
    EXPECT_EQ(s.source[1], 2);
    EXPECT_EQ(s.source[2], 2);
    EXPECT_EQ(s.source[3], 3);
    EXPECT_EQ(s.side[3], 'R');

    // the per-breast maximum over the samples' probabilities is the analysis result
    tg_pipeline *pipe = nullptr;
    ASSERT_EQ(tg_model_pipeline(m, 1, &pipe), TG_OK);
    const size_t per = (size_t)s.c * s.h * s.w;
    double best[2] = {-1, -1};
    for (int i = 0; i < s.n; i++) {
        std::vector<float> probs(m->n_classes);
        ASSERT_EQ(tg_pipeline_predict(pipe, s.raw + i * per, 1, probs.data()), TG_OK);
        double p = probs[m->positive_class];
        int k = s.side[i] == 'L' ? 0 : 1;
        best[k] = p > best[k] ? p : best[k];
    }
    ASSERT_EQ(r.n_breasts, 2);
    for (int b = 0; b < r.n_breasts; b++)
        EXPECT_NEAR(r.breast[b].probability, best[r.breast[b].laterality == 'L' ? 0 : 1], 1e-5);

    tg_pipeline_destroy(pipe);
    tg_analysis_samples_clear(&s);
    tg_analysis_result_clear(&r);
    tg_model_destroy(m);
}

TEST(AnalysisSamples, NeedAModelAndUsableInstances)
{
    const char junk[] = "junk";
    tg_analysis_instance in = {"junk", nullptr, junk, sizeof junk};
    tg_analysis_config cfg;
    tg_analysis_config_default(&cfg);
    tg_analysis_samples s;
    EXPECT_EQ(tg_analysis_samples_build(&in, 1, &cfg, &s), TG_ERR_ARG);
    tg_model *m = nullptr;
    ASSERT_EQ(tg_model_load(TG_TEST_DEMO_MODEL, &m, nullptr), TG_OK);
    cfg.model = m;
    EXPECT_EQ(tg_analysis_samples_build(&in, 1, &cfg, &s), TG_ERR_FORMAT);
    EXPECT_EQ(s.n, 0);
    EXPECT_EQ(s.raw, nullptr);
    EXPECT_EQ(s.n_rejected, 1);
    tg_analysis_samples_clear(&s);
    tg_model_destroy(m);
}
