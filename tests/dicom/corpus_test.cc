/* Robustness: every file of pydicom's test corpus and ../shared/dicom-corpus either reads into a
 * complete, finite image or fails with a message naming the file — never a crash or a hang.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> dcm_files(const std::string &dir)
{
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ".dcm")
            out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

/* Reads one file from disk and from memory; returns true when it decoded. */
bool check_file(const std::string &path)
{
    tg_image img{};
    tg_dicom_meta meta;
    tg_status st = tg_dicom_read_file(path.c_str(), nullptr, &img, &meta);
    if (st != TG_OK) {
        EXPECT_EQ(img.data, nullptr) << path;
        EXPECT_NE(std::strstr(tg_last_error(), path.c_str()), nullptr) << path << ": " << tg_last_error();
        return false;
    }
    EXPECT_EQ(img.c, meta.frames) << path;
    EXPECT_EQ(img.h, meta.rows) << path;
    EXPECT_EQ(img.w, meta.cols) << path;
    EXPECT_EQ(tg_image_check_finite(&img), TG_OK) << path;
    if (!meta.has_temperature) {
        tg_image_stats s;
        EXPECT_EQ(tg_image_stats_compute(&img, &s), TG_OK);
        EXPECT_GE(s.min, 0.0) << path;
        EXPECT_LE(s.max, 1.0) << path;
    }
    std::vector<unsigned char> bytes = tgtest::read_bytes(path);
    tg_image again{};
    EXPECT_EQ(tg_dicom_read_buffer(bytes.data(), bytes.size(), path.c_str(), nullptr, &again, nullptr), TG_OK)
        << path << ": " << tg_last_error();
    if (again.data) {
        EXPECT_EQ(std::memcmp(img.data, again.data, tg_image_size(&img) * sizeof(float)), 0) << path;
    }
    tg_image_destroy(&again);
    tg_image_destroy(&img);
    return true;
}

void run_corpus(const std::string &dir, size_t min_decoded)
{
    std::vector<std::string> files = dcm_files(dir);
    ASSERT_FALSE(files.empty()) << dir;
    size_t ok = 0;
    for (const auto &f : files) {
        SCOPED_TRACE(f);
        if (check_file(f))
            ++ok;
        else
            ::testing::Test::RecordProperty(fs::path(f).filename().string(), tg_last_error());
    }
    ::testing::Test::RecordProperty("decoded", std::to_string(ok) + "/" + std::to_string(files.size()));
    EXPECT_GE(ok, min_decoded);
}

} // namespace

TEST(DicomCorpus, PydicomTestFiles)
{
    run_corpus(TG_TEST_PYDICOM_FILES, 20);
}

TEST(DicomCorpus, SharedCorpus)
{
    if (!fs::is_directory(TG_TEST_SHARED_CORPUS))
        GTEST_SKIP() << TG_TEST_SHARED_CORPUS << " is absent";
    run_corpus(TG_TEST_SHARED_CORPUS, 10);
}

TEST(DicomCorpus, KnownCompressedFilesDecode)
{
    const std::string dir = TG_TEST_PYDICOM_FILES;
    for (const char *name : {"JPEG-lossy.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
                             "SC_rgb_rle.dcm", "MR_small.dcm", "MR_small_bigendian.dcm", "image_dfl.dcm"}) {
        std::string path = dir + "/" + name;
        if (!fs::exists(path))
            continue;
        tg_image img{};
        EXPECT_EQ(tg_dicom_read_file(path.c_str(), nullptr, &img, nullptr), TG_OK) << tg_last_error();
        tg_image_destroy(&img);
    }
}
