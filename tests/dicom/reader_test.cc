/* Reader + dicomize: °C round trip, metadata, memory-buffer reads, and malformed input.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"

#include "test_util.h"

using namespace tgtest;

namespace {

double max_abs_diff(const tg_image &a, const tg_image &b)
{
    double m = 0;
    for (size_t i = 0; i < tg_image_size(&a); ++i)
        m = std::fmax(m, std::fabs(static_cast<double>(a.data[i]) - b.data[i]));
    return m;
}

/* Dicomizes a small map, lets `edit` modify the dataset, saves it as `name`. */
template <typename F>
std::string edited_file(const TempDir &dir, const std::string &name, F edit)
{
    tg_image map = synthetic_map(32, 40, 3);
    std::string src = dir.file("src_" + name);
    dicomize(map, src, nullptr, nullptr, "L", 1);
    tg_image_destroy(&map);
    DcmFileFormat ff;
    EXPECT_TRUE(ff.loadFile(src.c_str()).good());
    edit(*ff.getDataset());
    std::string out = dir.file(name);
    EXPECT_TRUE(ff.saveFile(out.c_str(), EXS_LittleEndianExplicit).good());
    return out;
}

void expect_error(const std::string &path, tg_status want, const char *mention)
{
    tg_image img{};
    tg_dicom_meta meta;
    tg_status st = tg_dicom_read_file(path.c_str(), nullptr, &img, &meta);
    EXPECT_EQ(st, want) << path << ": " << tg_last_error();
    EXPECT_EQ(img.data, nullptr);
    EXPECT_NE(std::strstr(tg_last_error(), mention), nullptr) << tg_last_error();
    EXPECT_NE(std::strstr(tg_last_error(), path.c_str()), nullptr) << tg_last_error();
}

} // namespace

TEST(DicomRoundTrip, CelsiusWithinHalfQuantum)
{
    TempDir dir;
    tg_image map = synthetic_map(480, 640, 1);
    std::string path = dir.file("t.dcm");
    std::string sop = dicomize(map, path, nullptr, nullptr, "R", 1);
    tg_image back{};
    tg_dicom_meta meta;
    ASSERT_EQ(tg_dicom_read_file(path.c_str(), nullptr, &back, &meta), TG_OK) << tg_last_error();
    ASSERT_EQ(back.c, 1);
    ASSERT_EQ(back.h, 480);
    ASSERT_EQ(back.w, 640);
    EXPECT_EQ(meta.has_temperature, 1);
    /* Half of the 0.01 °C step, plus float32 rounding of values near 35 °C. */
    double err = max_abs_diff(map, back);
    EXPECT_LE(err, 0.005 + 4e-6);
    RecordProperty("max_abs_error_celsius", std::to_string(err));
    EXPECT_STREQ(meta.sop_instance_uid, sop.c_str());
    EXPECT_STREQ(meta.modality, "TG");
    EXPECT_STREQ(meta.laterality, "R");
    EXPECT_STREQ(meta.view, "FRONTAL");
    EXPECT_STREQ(meta.body_part, "BREAST");
    EXPECT_STREQ(meta.patient_id, "TG-TEST-0001");
    EXPECT_STREQ(meta.acquisition_date, "20240102");
    EXPECT_EQ(meta.frames, 1);
    EXPECT_DOUBLE_EQ(meta.rescale_slope, 0.01);
    EXPECT_DOUBLE_EQ(meta.rescale_intercept, 22.0);
    EXPECT_STREQ(meta.transfer_syntax, "1.2.840.10008.1.2.1");
    EXPECT_EQ(std::strncmp(meta.study_uid, "2.25.", 5), 0);
    tg_image_destroy(&back);
    tg_image_destroy(&map);
}

TEST(DicomRoundTrip, BufferReadEqualsFileRead)
{
    TempDir dir;
    tg_image map = synthetic_map(64, 48, 2);
    std::string path = dir.file("b.dcm");
    dicomize(map, path, nullptr, nullptr, nullptr, 1);
    std::vector<unsigned char> bytes = read_bytes(path);
    tg_image a{}, b{};
    ASSERT_EQ(tg_dicom_read_file(path.c_str(), nullptr, &a, nullptr), TG_OK) << tg_last_error();
    ASSERT_EQ(tg_dicom_read_buffer(bytes.data(), bytes.size(), "mem", nullptr, &b, nullptr), TG_OK)
        << tg_last_error();
    ASSERT_EQ(tg_image_size(&a), tg_image_size(&b));
    EXPECT_EQ(std::memcmp(a.data, b.data, tg_image_size(&a) * sizeof(float)), 0);
    tg_image_destroy(&a);
    tg_image_destroy(&b);
    tg_image_destroy(&map);
}

TEST(DicomRoundTrip, SeriesUidsShared)
{
    TempDir dir;
    char study[TG_DICOM_UID_SIZE], series[TG_DICOM_UID_SIZE];
    ASSERT_EQ(tg_dicom_new_uid(study), TG_OK);
    ASSERT_EQ(tg_dicom_new_uid(series), TG_OK);
    EXPECT_STRNE(study, series);
    EXPECT_LE(std::strlen(study), 64u);
    tg_image map = synthetic_map(16, 16, 4);
    dicomize(map, dir.file("1.dcm"), study, series, "L", 1);
    dicomize(map, dir.file("2.dcm"), study, series, "R", 2);
    tg_dicom_meta m1, m2;
    ASSERT_EQ(tg_dicom_read_file(dir.file("1.dcm").c_str(), nullptr, nullptr, &m1), TG_OK);
    ASSERT_EQ(tg_dicom_read_file(dir.file("2.dcm").c_str(), nullptr, nullptr, &m2), TG_OK);
    EXPECT_STREQ(m1.study_uid, study);
    EXPECT_STREQ(m2.series_uid, series);
    EXPECT_STRNE(m1.sop_instance_uid, m2.sop_instance_uid);
    tg_image_destroy(&map);
}

TEST(DicomRoundTrip, NoTemperatureScaleGivesNormalisedIntensity)
{
    TempDir dir;
    std::string path = edited_file(dir, "norescale.dcm", [](DcmDataset &ds) {
        ds.findAndDeleteElement(DCM_RescaleSlope);
        ds.findAndDeleteElement(DCM_RescaleIntercept);
        ds.findAndDeleteElement(DCM_RescaleType);
    });
    tg_image img{};
    tg_dicom_meta meta;
    ASSERT_EQ(tg_dicom_read_file(path.c_str(), nullptr, &img, &meta), TG_OK) << tg_last_error();
    EXPECT_EQ(meta.has_temperature, 0);
    tg_image_stats s;
    ASSERT_EQ(tg_image_stats_compute(&img, &s), TG_OK);
    EXPECT_FLOAT_EQ(static_cast<float>(s.min), 0.0f);
    EXPECT_FLOAT_EQ(static_cast<float>(s.max), 1.0f);
    tg_image_destroy(&img);
}

TEST(DicomRoundTrip, RescaleTypeOtherThanCelsiusIsNotTemperature)
{
    TempDir dir;
    std::string path = edited_file(dir, "hu.dcm", [](DcmDataset &ds) {
        ds.putAndInsertString(DCM_RescaleType, "HU");
    });
    tg_dicom_meta meta;
    ASSERT_EQ(tg_dicom_read_file(path.c_str(), nullptr, nullptr, &meta), TG_OK) << tg_last_error();
    EXPECT_EQ(meta.has_temperature, 0);
}

TEST(DicomRoundTrip, RescaleTypeAbsentWithModalityTgIsTemperature)
{
    TempDir dir;
    std::string path = edited_file(dir, "tgnotype.dcm", [](DcmDataset &ds) {
        ds.findAndDeleteElement(DCM_RescaleType);
    });
    tg_dicom_meta meta;
    ASSERT_EQ(tg_dicom_read_file(path.c_str(), nullptr, nullptr, &meta), TG_OK) << tg_last_error();
    EXPECT_EQ(meta.has_temperature, 1);
}

TEST(DicomRoundTrip, DicomizeRejectsBadInput)
{
    TempDir dir;
    tg_image map = synthetic_map(8, 8, 0);
    tg_dicomize_params p{};
    EXPECT_EQ(tg_dicomize_write(&map, &p, dir.file("x.dcm").c_str(), nullptr), TG_ERR_ARG);
    p.patient_id = "P";
    p.laterality = "left";
    EXPECT_EQ(tg_dicomize_write(&map, &p, dir.file("x.dcm").c_str(), nullptr), TG_ERR_ARG);
    p.laterality = "L";
    map.data[5] = NAN;
    EXPECT_EQ(tg_dicomize_write(&map, &p, dir.file("x.dcm").c_str(), nullptr), TG_ERR_NONFINITE);
    map.data[5] = 20.0f;
    map.data[6] = 900.0f;
    EXPECT_EQ(tg_dicomize_write(&map, &p, dir.file("x.dcm").c_str(), nullptr), TG_ERR_RANGE);
    tg_image_destroy(&map);
}

TEST(DicomBadInput, TruncatedFile)
{
    TempDir dir;
    tg_image map = synthetic_map(64, 64, 5);
    std::string full = dir.file("full.dcm");
    dicomize(map, full, nullptr, nullptr, nullptr, 1);
    tg_image_destroy(&map);
    std::vector<unsigned char> bytes = read_bytes(full);
    for (size_t cut : {bytes.size() / 2, size_t(200), size_t(131), size_t(10)}) {
        std::vector<unsigned char> part(bytes.begin(), bytes.begin() + static_cast<long>(cut));
        std::string path = dir.file("cut" + std::to_string(cut) + ".dcm");
        write_bytes(path, part);
        tg_image img{};
        EXPECT_NE(tg_dicom_read_file(path.c_str(), nullptr, &img, nullptr), TG_OK) << cut;
        EXPECT_EQ(img.data, nullptr);
        EXPECT_NE(std::strstr(tg_last_error(), path.c_str()), nullptr) << tg_last_error();
    }
}

TEST(DicomBadInput, NonImageObject)
{
    TempDir dir;
    std::string path = edited_file(dir, "sr.dcm", [](DcmDataset &ds) {
        ds.findAndDeleteElement(DCM_PixelData);
        ds.putAndInsertString(DCM_SOPClassUID, UID_EnhancedSRStorage);
        ds.putAndInsertString(DCM_Modality, "SR");
    });
    expect_error(path, TG_ERR_FORMAT, "not an image");
    expect_error(path, TG_ERR_FORMAT, "(7FE0,0010)");
}

TEST(DicomBadInput, MissingPixelData)
{
    TempDir dir;
    std::string path = edited_file(dir, "nopix.dcm", [](DcmDataset &ds) { ds.findAndDeleteElement(DCM_PixelData); });
    expect_error(path, TG_ERR_FORMAT, "Pixel Data (7FE0,0010)");
}

TEST(DicomBadInput, MissingRows)
{
    TempDir dir;
    std::string path = edited_file(dir, "norows.dcm", [](DcmDataset &ds) { ds.findAndDeleteElement(DCM_Rows); });
    expect_error(path, TG_ERR_FORMAT, "Rows (0028,0010)");
}

TEST(DicomBadInput, RowsInconsistentWithPixelLength)
{
    TempDir dir;
    std::string path = edited_file(dir, "rows.dcm", [](DcmDataset &ds) { ds.putAndInsertUint16(DCM_Rows, 33); });
    expect_error(path, TG_ERR_FORMAT, "Pixel Data (7FE0,0010) has");
    std::string path2 = edited_file(dir, "frames.dcm", [](DcmDataset &ds) {
        ds.putAndInsertString(DCM_NumberOfFrames, "3");
    });
    expect_error(path2, TG_ERR_FORMAT, "Number of Frames");
}

TEST(DicomBadInput, HugeDimensionsBeyondLimits)
{
    TempDir dir;
    std::string path = edited_file(dir, "huge.dcm", [](DcmDataset &ds) {
        ds.putAndInsertUint16(DCM_Rows, 65535);
        ds.putAndInsertUint16(DCM_Columns, 65535);
        ds.putAndInsertString(DCM_NumberOfFrames, "1000");
    });
    auto t0 = std::chrono::steady_clock::now();
    expect_error(path, TG_ERR_OVERFLOW, "exceeds the limit");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
    /* A configured limit below a normal image also refuses it. */
    tg_image map = synthetic_map(32, 32, 1);
    std::string ok = dir.file("ok.dcm");
    dicomize(map, ok, nullptr, nullptr, nullptr, 1);
    tg_image_destroy(&map);
    tg_dicom_limits lim{1000, 0};
    tg_image img{};
    EXPECT_EQ(tg_dicom_read_file(ok.c_str(), &lim, &img, nullptr), TG_ERR_OVERFLOW);
    lim = tg_dicom_limits{0, 100};
    EXPECT_EQ(tg_dicom_read_file(ok.c_str(), &lim, &img, nullptr), TG_ERR_OVERFLOW);
    EXPECT_NE(std::strstr(tg_last_error(), "limit"), nullptr) << tg_last_error();
}

TEST(DicomBadInput, Jpeg2000NamesTransferSyntax)
{
    std::string path = std::string(TG_TEST_PYDICOM_FILES) + "/MR_small_jp2klossless.dcm";
    tg_image img{};
    ASSERT_EQ(tg_dicom_read_file(path.c_str(), nullptr, &img, nullptr), TG_ERR_FORMAT);
    EXPECT_NE(std::strstr(tg_last_error(), "JPEG 2000"), nullptr) << tg_last_error();
    EXPECT_NE(std::strstr(tg_last_error(), "1.2.840.10008.1.2.4.90"), nullptr) << tg_last_error();
    EXPECT_EQ(img.data, nullptr);
}

TEST(DicomBadInput, NotDicomAndEmpty)
{
    TempDir dir;
    std::string path = dir.file("text.dcm");
    write_bytes(path, std::vector<unsigned char>{'h', 'e', 'l', 'l', 'o', '\n'});
    tg_image img{};
    EXPECT_NE(tg_dicom_read_file(path.c_str(), nullptr, &img, nullptr), TG_OK);
    EXPECT_EQ(tg_dicom_read_buffer(nullptr, 0, "empty", nullptr, &img, nullptr), TG_ERR_FORMAT);
    EXPECT_EQ(tg_dicom_read_file(dir.file("absent.dcm").c_str(), nullptr, &img, nullptr), TG_ERR_IO);
}
