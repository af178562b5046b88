// Label CSVs (`ID,Diagnosis`), folder labels, label and view names.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

extern "C" {
#include "thermoguard/dataset.h"
}

namespace {

tg_status Parse(const std::string &text, tg_label_table *t)
{
    return tg_labels_read_buffer(text.data(), text.size(), "labels.csv", t);
}

void ExpectError(const std::string &text, std::initializer_list<const char *> parts)
{
    tg_label_table t;
    EXPECT_EQ(Parse(text, &t), TG_ERR_FORMAT) << "[" << text << "]";
    EXPECT_EQ(t.entries, nullptr);
    EXPECT_EQ(t.count, 0u);
    for (const char *p : parts)
        EXPECT_NE(std::string(tg_last_error()).find(p), std::string::npos)
            << "message [" << tg_last_error() << "] lacks [" << p << "]";
}

tg_label Find(const tg_label_table &t, const char *id)
{
    tg_label l = TG_LABEL_UNKNOWN;
    EXPECT_EQ(tg_labels_find(&t, id, &l), TG_OK) << tg_last_error();
    return l;
}

TEST(Labels, ReadsWithHeaderAndCrlf)
{
    tg_label_table t;
    ASSERT_EQ(Parse("ID,Diagnosis\r\nT0001,Healthy\r\nT0002,Sick\r\n\r\nT0003, sick \r\n", &t), TG_OK)
        << tg_last_error();
    ASSERT_EQ(t.count, 3u);
    EXPECT_EQ(Find(t, "T0001"), TG_LABEL_HEALTHY);
    EXPECT_EQ(Find(t, "T0002"), TG_LABEL_SICK);
    EXPECT_EQ(Find(t, "T0003"), TG_LABEL_SICK);
    EXPECT_EQ(t.entries[2].line, 5);
    tg_label l;
    EXPECT_EQ(tg_labels_find(&t, "T9999", &l), TG_ERR_NOTFOUND);
    EXPECT_NE(std::string(tg_last_error()).find("T9999"), std::string::npos);
    tg_labels_destroy(&t);
    EXPECT_EQ(t.entries, nullptr);
    tg_labels_destroy(&t);
}

TEST(Labels, HeaderIsOptionalAndMayReorderColumns)
{
    tg_label_table t;
    ASSERT_EQ(Parse("T0001,HEALTHY\nT0002,sick", &t), TG_OK) << tg_last_error();
    EXPECT_EQ(t.count, 2u);
    EXPECT_EQ(Find(t, "T0002"), TG_LABEL_SICK);
    tg_labels_destroy(&t);
    ASSERT_EQ(Parse("\xEF\xBB\xBF" "Age;Diagnosis;ID\n41;Sick;\"T0007\"\n55;Healthy;T0008\n", &t), TG_OK)
        << tg_last_error();
    EXPECT_EQ(Find(t, "T0007"), TG_LABEL_SICK);
    EXPECT_EQ(Find(t, "T0008"), TG_LABEL_HEALTHY);
    tg_labels_destroy(&t);
}

TEST(Labels, RejectsBadLinesNamingTheLine)
{
    ExpectError("ID,Diagnosis\nT0001,Healthy\nT0002,Maybe\n", {"labels.csv:3", "unknown diagnosis", "Maybe"});
    ExpectError("T0001,Healthy\nT0002,Sick\nT0001,Sick\n", {"labels.csv:3", "duplicate", "T0001", "line 1"});
    ExpectError("T0001,Healthy\nT0002\n", {"labels.csv:2", "1 field"});
    ExpectError("T0001,Healthy\n,Sick\n", {"labels.csv:2", "empty patient id"});
    ExpectError(std::string("T0001,Healthy\n") + std::string(80, 'x') + ",Sick\n", {"labels.csv:2", "longer"});
    ExpectError("ID,Age\nT0001,Healthy\n", {"labels.csv:1", "Diagnosis"});
    ExpectError("ID,Diagnosis\r\n\r\n", {"labels.csv", "no labels"});
    ExpectError("", {"no labels"});
}

TEST(Labels, ReadsFilesAndReportsMissingOnes)
{
    std::string path = ::testing::TempDir() + "tg_labels.csv";
    FILE *f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("ID,Diagnosis\nT0001,Sick\nT0001,Healthy\n", f);
    std::fclose(f);
    tg_label_table t;
    EXPECT_EQ(tg_labels_read_file(path.c_str(), &t), TG_ERR_FORMAT);
    EXPECT_NE(std::string(tg_last_error()).find(path + ":3"), std::string::npos) << tg_last_error();
    std::remove(path.c_str());
    EXPECT_EQ(tg_labels_read_file(path.c_str(), &t), TG_ERR_IO);
    EXPECT_NE(std::string(tg_last_error()).find(path), std::string::npos);
}

TEST(Labels, FolderLabels)
{
    tg_label l = TG_LABEL_UNKNOWN;
    EXPECT_EQ(tg_label_from_path("data/healthy/T0001.txt", &l), TG_OK);
    EXPECT_EQ(l, TG_LABEL_HEALTHY);
    EXPECT_EQ(tg_label_from_path("C:\\dmr\\Sick\\T0002.png", &l), TG_OK);
    EXPECT_EQ(l, TG_LABEL_SICK);
    // The deepest folder decides; the file name itself never does.
    EXPECT_EQ(tg_label_from_path("/home/sick/data/healthy/T3.txt", &l), TG_OK);
    EXPECT_EQ(l, TG_LABEL_HEALTHY);
    EXPECT_EQ(tg_label_from_path("data/sickness/healthy.txt", &l), TG_ERR_NOTFOUND);
    EXPECT_NE(std::string(tg_last_error()).find("data/sickness/healthy.txt"), std::string::npos);
    EXPECT_EQ(tg_label_from_path("T0001.txt", &l), TG_ERR_NOTFOUND);
}

TEST(Labels, Names)
{
    EXPECT_STREQ(tg_label_name(TG_LABEL_SICK), "Sick");
    EXPECT_STREQ(tg_label_name(TG_LABEL_HEALTHY), "Healthy");
    EXPECT_STREQ(tg_view_name(TG_VIEW_LATERAL_LEFT), "lateral-left");
    EXPECT_STREQ(tg_view_name((tg_view)42), "unknown");
    EXPECT_EQ(tg_view_laterality(TG_VIEW_FRONTAL), TG_LATERALITY_BOTH);
    EXPECT_EQ(tg_view_laterality(TG_VIEW_OBLIQUE_RIGHT), TG_LATERALITY_RIGHT);
    EXPECT_EQ(tg_view_laterality(TG_VIEW_LATERAL_LEFT), TG_LATERALITY_LEFT);
}

} // namespace
