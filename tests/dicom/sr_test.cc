/* Result and audit SRs over a dicomized L/R series: dciodvfy (no "Error" lines), dcentvfy,
 * dsr2xml + xmllint against DCMTK's schema, and an independent pydicom read-back.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

using namespace tgtest;

namespace {

const char *kSha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

tg_sr_model_info demo_model()
{
    tg_sr_model_info m{};
    m.name = "thermoguard-demo-cnn";
    m.version = "0.1.0";
    m.sha256 = kSha;
    m.provenance = "synthetic phantom set, seed 1, PGD-AT eps 0.05 degC";
    m.defense = "denoise: db4 level 2 BayesShrink soft; adversarial training: PGD-AT Linf eps=0.05 degC";
    m.threshold = 0.5;
    m.synthetic_demo = 1;
    return m;
}

/* Expects zero lines containing "Error" from dciodvfy (which exits 0 even on errors). */
void expect_dciodvfy_clean(const std::string &path)
{
    std::string out;
    run("dciodvfy '" + path + "'", out);
    ASSERT_TRUE(lines_with(out, "not found").empty()) << out;
    ASSERT_TRUE(out.find("SCImage") != std::string::npos || out.find("EnhancedSR") != std::string::npos)
        << "dciodvfy did not recognise the IOD of " << path << ":\n" << out;
    EXPECT_TRUE(lines_with(out, "Error").empty()) << path << ":\n" << out;
}

/* A study with a left and a right view in one series. */
struct Series {
    TempDir dir;
    std::vector<std::string> files;
    std::vector<tg_dicom_source> sources;
    Series()
    {
        char study[TG_DICOM_UID_SIZE], series[TG_DICOM_UID_SIZE];
        tg_dicom_new_uid(study);
        tg_dicom_new_uid(series);
        const char *lat[2] = {"L", "R"};
        for (int i = 0; i < 2; ++i) {
            tg_image map = synthetic_map(120, 160, 10 + i);
            files.push_back(dir.file(std::string("img") + lat[i] + ".dcm"));
            dicomize(map, files.back(), study, series, lat[i], i + 1);
            tg_image_destroy(&map);
        }
        for (const auto &f : files)
            sources.push_back(tg_dicom_source{f.c_str(), nullptr, 0});
    }
    std::string file_list() const
    {
        std::string s;
        for (const auto &f : files)
            s += " '" + f + "'";
        return s;
    }
};

std::string write_result(const Series &s, const std::string &out, const tg_dicom_source *pred, double pl, double pr,
                         int placeholder)
{
    tg_sr_breast_result b[2] = {{'L', pl, 0.12, 0, 0}, {'R', pr, 0.91, 1, 1}};
    tg_sr_result_request req{};
    req.sources = s.sources.data();
    req.n_sources = static_cast<int>(s.sources.size());
    req.breasts = b;
    req.n_breasts = 2;
    req.model = demo_model();
    req.model.placeholder = placeholder;
    req.predecessor = pred;
    char uid[TG_DICOM_UID_SIZE] = "";
    EXPECT_EQ(tg_sr_write_result(&req, out.c_str(), uid), TG_OK) << tg_last_error();
    return uid;
}

} // namespace

TEST(DicomSr, DicomizedImagesPassDciodvfy)
{
    Series s;
    for (const auto &f : s.files)
        expect_dciodvfy_clean(f);
    std::string out;
    run("dcentvfy" + s.file_list(), out);
    EXPECT_TRUE(lines_with(out, "Error").empty()) << out;
}

TEST(DicomSr, ResultSrValidates)
{
    Series s;
    std::string sr = s.dir.file("sr.dcm");
    std::string uid = write_result(s, sr, nullptr, 0.73, 0.2, 0);
    EXPECT_EQ(uid.rfind("2.25.", 0), 0u);
    expect_dciodvfy_clean(sr);
    std::string out;
    run("dcentvfy" + s.file_list() + " '" + sr + "'", out);
    EXPECT_TRUE(lines_with(out, "Error").empty()) << out;
    std::string xml = s.dir.file("sr.xml");
    ASSERT_EQ(run("{ dsr2xml +Xn +Xs '" + sr + "' > '" + xml + "'; }", out), 0) << out;
    EXPECT_EQ(run("xmllint --noout --schema " TG_TEST_XSD " '" + xml + "'", out), 0) << out;
    EXPECT_EQ(run(TG_TEST_PYTHON " " TG_TEST_PYTHON_DIR "/check_sr.py '" + sr +
                      "' result L=0.73,R=0.2,threshold=0.5,placeholder=0" + s.file_list(), out), 0)
        << out;
    /* The reader refuses the SR as a non-image object. */
    tg_image img{};
    EXPECT_EQ(tg_dicom_read_file(sr.c_str(), nullptr, &img, nullptr), TG_ERR_FORMAT);
    EXPECT_NE(std::strstr(tg_last_error(), "not an image"), nullptr);
}

TEST(DicomSr, PlaceholderAndPredecessor)
{
    Series s;
    std::string first = s.dir.file("first.dcm"), second = s.dir.file("second.dcm");
    std::string uid1 = write_result(s, first, nullptr, 0.5, 0.5, 1);
    tg_dicom_source pred{first.c_str(), nullptr, 0};
    write_result(s, second, &pred, 0.4, 0.6, 0);
    expect_dciodvfy_clean(second);
    std::string out;
    EXPECT_EQ(run(TG_TEST_PYTHON " " TG_TEST_PYTHON_DIR "/check_sr.py '" + first +
                      "' result L=0.5,R=0.5,threshold=0.5,placeholder=1" + s.file_list(), out), 0)
        << out;
    EXPECT_EQ(run(TG_TEST_PYTHON " " TG_TEST_PYTHON_DIR "/check_sr.py '" + second +
                      "' result L=0.4,R=0.6,threshold=0.5,placeholder=0,predecessor=" + uid1 + s.file_list(), out), 0)
        << out;
}

TEST(DicomSr, SourcesFromMemoryBuffers)
{
    Series s;
    std::vector<std::vector<unsigned char>> bytes;
    std::vector<tg_dicom_source> mem;
    for (const auto &f : s.files)
        bytes.push_back(read_bytes(f));
    for (size_t i = 0; i < bytes.size(); ++i)
        mem.push_back(tg_dicom_source{s.files[i].c_str(), bytes[i].data(), bytes[i].size()});
    tg_sr_breast_result b = {'L', 0.9, 0.0, 0, -1};
    tg_sr_result_request req{};
    req.sources = mem.data();
    req.n_sources = 2;
    req.breasts = &b;
    req.n_breasts = 1;
    req.model = demo_model();
    std::string sr = s.dir.file("mem.dcm");
    ASSERT_EQ(tg_sr_write_result(&req, sr.c_str(), nullptr), TG_OK) << tg_last_error();
    std::string out;
    EXPECT_EQ(run(TG_TEST_PYTHON " " TG_TEST_PYTHON_DIR "/check_sr.py '" + sr + "' result L=0.9,threshold=0.5" +
                      s.file_list(), out), 0)
        << out;
}

TEST(DicomSr, AuditSrValidates)
{
    Series s;
    tg_sr_audit_row rows[3] = {
        {0, "PGD-Linf", "adaptive white-box", 0.05, 0.004, 1, 0.031, 1, 1, 0.42},
        {1, "FGSM", "transfer", 0.05, 0.004, 0, -1, 1, 0, 0.07},
        {1, "Square", "black-box", 0.1, 0.008, 0, -1, 0, 0, 0.0},
    };
    tg_sr_audit_request req{};
    req.sources = s.sources.data();
    req.n_sources = 2;
    req.rows = rows;
    req.n_rows = 3;
    req.model = demo_model();
    std::string sr = s.dir.file("audit.dcm");
    ASSERT_EQ(tg_sr_write_audit(&req, sr.c_str(), nullptr), TG_OK) << tg_last_error();
    expect_dciodvfy_clean(sr);
    std::string out;
    run("dcentvfy" + s.file_list() + " '" + sr + "'", out);
    EXPECT_TRUE(lines_with(out, "Error").empty()) << out;
    std::string xml = s.dir.file("audit.xml");
    ASSERT_EQ(run("{ dsr2xml +Xn +Xs '" + sr + "' > '" + xml + "'; }", out), 0) << out;
    EXPECT_EQ(run("xmllint --noout --schema " TG_TEST_XSD " '" + xml + "'", out), 0) << out;
    EXPECT_EQ(run(TG_TEST_PYTHON " " TG_TEST_PYTHON_DIR "/check_sr.py '" + sr + "' audit rows=3,detector_rows=2" + s.file_list(), out),
              0)
        << out;
}

TEST(DicomSr, RejectsBadRequests)
{
    Series s;
    tg_sr_breast_result b = {'X', 0.5, 0.0, 0, -1};
    tg_sr_result_request req{};
    req.sources = s.sources.data();
    req.n_sources = 2;
    req.breasts = &b;
    req.n_breasts = 1;
    req.model = demo_model();
    std::string sr = s.dir.file("bad.dcm");
    EXPECT_EQ(tg_sr_write_result(&req, sr.c_str(), nullptr), TG_ERR_ARG);
    b.laterality = 'L';
    b.probability = 1.5;
    EXPECT_EQ(tg_sr_write_result(&req, sr.c_str(), nullptr), TG_ERR_ARG);
    b.probability = 0.5;
    req.model.sha256 = "abc";
    EXPECT_EQ(tg_sr_write_result(&req, sr.c_str(), nullptr), TG_ERR_ARG);
    req.model = demo_model();
    /* A source from another study is refused. */
    TempDir other;
    tg_image map = synthetic_map(8, 8, 1);
    std::string foreign = other.file("f.dcm");
    dicomize(map, foreign, nullptr, nullptr, "L", 1);
    tg_image_destroy(&map);
    tg_dicom_source mixed[2] = {s.sources[0], {foreign.c_str(), nullptr, 0}};
    req.sources = mixed;
    EXPECT_EQ(tg_sr_write_result(&req, sr.c_str(), nullptr), TG_ERR_FORMAT);
    EXPECT_NE(std::strstr(tg_last_error(), "Study Instance UID"), nullptr) << tg_last_error();
}
