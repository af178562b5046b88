// Collections: views.csv -> preprocessed breast samples (counts, pairing, labels, groups),
// reading every kind of thermogram, and the errors that must name the file and line.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "test_util.h"
#include "thermoguard/collection.h"
#include "thermoguard/phantom.h"

namespace {

// Writes patients 0..n-1 of a phantom (frontal + both laterals) as text matrices + views.csv.
void write_collection(const tgtest::TempDir &d, size_t n, bool breast_labels, bool patient_labels)
{
    tg_phantom_opts o;
    tg_phantom_opts_default(&o);
    o.seed = 3;
    o.n_patients = n;
    std::ofstream views(d.file("views.csv"));
    views << "file,patient,view" << (patient_labels ? ",patient_label" : "")
          << (breast_labels ? ",right_breast,left_breast" : "") << "\n";
    std::ofstream labels(d.file("labels.csv"));
    labels << "ID,Diagnosis\n";
    for (size_t p = 0; p < n; p++) {
        for (tg_view v : {TG_VIEW_FRONTAL, TG_VIEW_LATERAL_LEFT, TG_VIEW_LATERAL_RIGHT}) {
            tg_image img;
            tg_phantom_view_info info;
            ASSERT_EQ(tg_phantom_render(&o, p, v, &img, &info), TG_OK);
            std::string name = std::string(info.patient_id) + "_" + info.view_name + ".txt";
            ASSERT_EQ(tg_textmatrix_write_file(d.file(name).c_str(), &img, TG_TEXTMATRIX_SPACE), TG_OK);
            tg_image_destroy(&img);
            views << name << "," << info.patient_id << "," << info.view_name;
            if (patient_labels)
                views << "," << tg_label_name(info.patient_label);
            if (breast_labels)
                views << "," << tg_label_name(info.breast_label[TG_SIDE_RIGHT]) << ","
                      << tg_label_name(info.breast_label[TG_SIDE_LEFT]);
            views << "\n";
            if (v == TG_VIEW_FRONTAL)
                labels << info.patient_id << "," << tg_label_name(info.patient_label) << "\n";
        }
    }
}

TEST(Collection, FrontalGivesTwoBreastsLateralsArePairedLabelsFollowTheBreast)
{
    tgtest::TempDir d;
    write_collection(d, 3, true, true);
    tg_preprocess_params pp;
    tg_preprocess_params_default(&pp);
    pp.grid_h = pp.grid_w = 32;
    tg_sample_set s;
    tg_collection_report rep;
    ASSERT_EQ(tg_collection_load(d.path.c_str(), &pp, &s, &rep, nullptr), TG_OK) << tg_last_error();
    EXPECT_EQ(rep.views, 9u);
    EXPECT_EQ(rep.patients, 3u);
    EXPECT_EQ(rep.breasts, 12u); // per patient: 2 (frontal) + 2 (paired laterals)
    EXPECT_EQ(rep.paired, 6u);
    EXPECT_EQ(rep.unpaired, 0u);
    EXPECT_EQ(rep.weak_labels, 0u);
    EXPECT_EQ(rep.has_temperature, 1);
    ASSERT_EQ(s.n, 12u);
    EXPECT_EQ(s.c, 2);
    EXPECT_EQ(s.h, 32);
    EXPECT_EQ(tg_sample_set_check(&s), TG_OK);
    // labels per breast agree with the phantom's ground truth
    tg_phantom_opts o;
    tg_phantom_opts_default(&o);
    o.seed = 3;
    o.n_patients = 3;
    size_t sick = 0;
    for (size_t p = 0; p < 3; p++) {
        tg_label pl, bl[2];
        ASSERT_EQ(tg_phantom_labels(&o, p, &pl, bl), TG_OK);
        sick += 2 * ((bl[0] == TG_LABEL_SICK) + (bl[1] == TG_LABEL_SICK));
    }
    size_t got = 0;
    for (size_t i = 0; i < s.n; i++)
        got += s.labels[i];
    EXPECT_EQ(got, sick);
    EXPECT_STREQ(s.group[0], "frontal");
    EXPECT_STREQ(s.patient[0], "SYN-00000");
    tg_sample_set_destroy(&s);
}

TEST(Collection, PatientLabelsFromLabelsCsvAreWeakBreastLabels)
{
    tgtest::TempDir d;
    write_collection(d, 2, false, false);
    tg_preprocess_params pp;
    tg_preprocess_params_default(&pp);
    pp.grid_h = pp.grid_w = 16;
    tg_sample_set s;
    tg_collection_report rep;
    ASSERT_EQ(tg_collection_load(d.path.c_str(), &pp, &s, &rep, nullptr), TG_OK) << tg_last_error();
    EXPECT_EQ(rep.weak_labels, 8u);
    tg_sample_set_destroy(&s);
}

TEST(Collection, ErrorsNameTheFileAndLineAndLoseNothing)
{
    tgtest::TempDir d;
    tg_sample_set s;
    EXPECT_EQ(tg_collection_load(d.path.c_str(), nullptr, &s, nullptr, nullptr), TG_ERR_IO);
    EXPECT_NE(std::string(tg_last_error()).find("views.csv"), std::string::npos);
    write_collection(d, 1, true, true);
    { // a listed file that does not exist
        std::ofstream v(d.file("views.csv"), std::ios::app);
        v << "missing.txt,SYN-00009,frontal,Healthy,Healthy,Healthy\n";
    }
    EXPECT_NE(tg_collection_load(d.path.c_str(), nullptr, &s, nullptr, nullptr), TG_OK);
    std::string msg = tg_last_error();
    EXPECT_NE(msg.find("views.csv:5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing.txt"), std::string::npos) << msg;
    EXPECT_EQ(s.n, 0u);
    { // an unknown view and a bad label
        std::ofstream v(d.file("views.csv"));
        v << "file,patient,view,patient_label\nx.txt,P,sideways,Healthy\n";
    }
    EXPECT_EQ(tg_collection_load(d.path.c_str(), nullptr, &s, nullptr, nullptr), TG_ERR_FORMAT);
    EXPECT_NE(std::string(tg_last_error()).find("sideways"), std::string::npos);
    {
        std::ofstream v(d.file("views.csv"));
        v << "file,patient,view,patient_label\nx.txt,P,frontal,maybe\n";
    }
    EXPECT_EQ(tg_collection_load(d.path.c_str(), nullptr, &s, nullptr, nullptr), TG_ERR_FORMAT);
    { // missing column
        std::ofstream v(d.file("views.csv"));
        v << "file,view\nx.txt,frontal\n";
    }
    EXPECT_EQ(tg_collection_load(d.path.c_str(), nullptr, &s, nullptr, nullptr), TG_ERR_FORMAT);
    EXPECT_NE(std::string(tg_last_error()).find("patient"), std::string::npos);
    { // a patient with no label anywhere
        std::ofstream v(d.file("views.csv"));
        v << "file,patient,view\nSYN-00000_frontal.txt,NOBODY,frontal\n";
    }
    EXPECT_EQ(tg_collection_load(d.path.c_str(), nullptr, &s, nullptr, nullptr), TG_ERR_FORMAT);
    EXPECT_NE(std::string(tg_last_error()).find("NOBODY"), std::string::npos);
}

TEST(Collection, MixedTemperatureAndIntensityIsRefused)
{
    tgtest::TempDir d;
    write_collection(d, 1, true, true);
    tg_image img;
    tg_view hint;
    int temp = -1;
    ASSERT_EQ(tg_thermogram_read(d.file("SYN-00000_frontal.txt").c_str(), &img, &temp, &hint), TG_OK);
    EXPECT_EQ(temp, 1);
    EXPECT_EQ(hint, TG_VIEW_COUNT);
    ASSERT_EQ(tg_image_write_png(d.file("f.png").c_str(), &img, 0, 20.0, 40.0), TG_OK);
    tg_image_destroy(&img);
    ASSERT_EQ(tg_thermogram_read(d.file("f.png").c_str(), &img, &temp, nullptr), TG_OK);
    EXPECT_EQ(temp, 0);
    tg_image_destroy(&img);
    {
        std::ofstream v(d.file("views.csv"), std::ios::app);
        v << "f.png,SYN-00001,frontal,Healthy,Healthy,Healthy\n";
    }
    tg_sample_set s;
    EXPECT_EQ(tg_collection_load(d.path.c_str(), nullptr, &s, nullptr, nullptr), TG_ERR_FORMAT);
    EXPECT_NE(std::string(tg_last_error()).find("mixes"), std::string::npos) << tg_last_error();
}

} // namespace
