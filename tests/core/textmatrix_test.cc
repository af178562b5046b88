// DMR-IR temperature matrix reader/writer: both dialects, round trips, every error class.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" {
#include "thermoguard/dataset.h"
#include "thermoguard/phantom.h"
}

namespace {

tg_textmatrix_opts AnySize()
{
    tg_textmatrix_opts o;
    tg_textmatrix_opts_default(&o);
    o.any_size = 1;
    return o;
}

tg_status Read(const std::string &text, tg_image *img, const tg_textmatrix_opts *o,
               tg_textmatrix_dialect *d = nullptr)
{
    return tg_textmatrix_read_buffer(text.data(), text.size(), "m.txt", o, img, d);
}

// Expects `text` to fail with `want` and a message containing every fragment.
void ExpectError(const std::string &text, tg_status want, std::initializer_list<const char *> parts,
                 const tg_textmatrix_opts *o)
{
    tg_image img;
    tg_status st = Read(text, &img, o);
    EXPECT_EQ(st, want) << tg_status_name(st) << " " << tg_last_error() << " for [" << text << "]";
    EXPECT_EQ(img.data, nullptr);
    for (const char *p : parts)
        EXPECT_NE(std::string(tg_last_error()).find(p), std::string::npos)
            << "message [" << tg_last_error() << "] lacks [" << p << "]";
}

TEST(TextMatrix, ReadsSpaceDialectWithTrailingSpace)
{
    tg_textmatrix_opts o = AnySize();
    tg_image img;
    tg_textmatrix_dialect d;
    ASSERT_EQ(Read("30.12 31.50 \n29.00 35.99 \n28.01 27.00 \n", &img, &o, &d), TG_OK) << tg_last_error();
    EXPECT_EQ(d, TG_TEXTMATRIX_SPACE);
    ASSERT_EQ(img.h, 3);
    ASSERT_EQ(img.w, 2);
    EXPECT_FLOAT_EQ(img.data[0], 30.12f);
    EXPECT_FLOAT_EQ(img.data[3], 35.99f);
    EXPECT_FLOAT_EQ(img.data[5], 27.00f);
    tg_image_destroy(&img);
}

TEST(TextMatrix, ReadsSemicolonDialectWithCrCrLf)
{
    tg_textmatrix_opts o = AnySize();
    tg_image img;
    tg_textmatrix_dialect d;
    ASSERT_EQ(Read("30.12345;31.50000;29.99999\r\r\n28.00001;27.5;33\r\r\n", &img, &o, &d), TG_OK)
        << tg_last_error();
    EXPECT_EQ(d, TG_TEXTMATRIX_SEMICOLON);
    ASSERT_EQ(img.h, 2);
    ASSERT_EQ(img.w, 3);
    EXPECT_FLOAT_EQ(img.data[0], 30.12345f);
    EXPECT_FLOAT_EQ(img.data[2], 29.99999f);
    EXPECT_FLOAT_EQ(img.data[5], 33.0f);
    tg_image_destroy(&img);
}

TEST(TextMatrix, ToleratesBomTrailingSeparatorAndTrailingBlankLines)
{
    tg_textmatrix_opts o = AnySize();
    tg_image img;
    ASSERT_EQ(Read("\xEF\xBB\xBF" "1;2;\r\r\n3;4;\r\r\n\r\r\n\n", &img, &o), TG_OK) << tg_last_error();
    EXPECT_EQ(img.h, 2);
    EXPECT_EQ(img.w, 2);
    tg_image_destroy(&img);
    ASSERT_EQ(Read("1 2\n3 4", &img, &o), TG_OK) << "no final newline: " << tg_last_error();
    EXPECT_EQ(img.h, 2);
    tg_image_destroy(&img);
}

TEST(TextMatrix, BothDialectsRoundTripFullSizePhantom)
{
    tg_phantom_opts po;
    tg_phantom_opts_default(&po);
    tg_image src;
    ASSERT_EQ(tg_phantom_render(&po, 3, TG_VIEW_FRONTAL, &src, nullptr), TG_OK);
    const struct {
        tg_textmatrix_dialect d;
        double tol;
        const char *eol;
    } cases[] = {{TG_TEXTMATRIX_SPACE, 0.005 + 1e-5, "\n"}, {TG_TEXTMATRIX_SEMICOLON, 0.000005 + 1e-5, "\r\r\n"}};
    for (const auto &c : cases) {
        std::string path = ::testing::TempDir() + "tg_roundtrip_" + std::to_string(c.d) + ".txt";
        ASSERT_EQ(tg_textmatrix_write_file(path.c_str(), &src, c.d), TG_OK) << tg_last_error();
        tg_image back;
        tg_textmatrix_dialect got;
        ASSERT_EQ(tg_textmatrix_read_file(path.c_str(), nullptr, &back, &got), TG_OK) << tg_last_error();
        EXPECT_EQ(got, c.d);
        ASSERT_EQ(back.h, 480);
        ASSERT_EQ(back.w, 640);
        double worst = 0;
        for (size_t i = 0; i < tg_image_size(&src); i++)
            worst = std::fmax(worst, std::fabs((double)back.data[i] - (double)src.data[i]));
        EXPECT_LE(worst, c.tol);
        // Writing what was read reproduces the file byte for byte.
        char *a, *b;
        size_t la, lb;
        ASSERT_EQ(tg_textmatrix_write_buffer(&src, c.d, &a, &la), TG_OK);
        ASSERT_EQ(tg_textmatrix_write_buffer(&back, c.d, &b, &lb), TG_OK);
        ASSERT_EQ(la, lb);
        EXPECT_EQ(std::string(a, la), std::string(b, lb));
        EXPECT_EQ(std::string(a, la).substr(la - strlen(c.eol)), c.eol);
        free(a);
        free(b);
        tg_image_destroy(&back);
        std::remove(path.c_str());
    }
    tg_image_destroy(&src);
}

// Found by fuzz_textmatrix: a one-column ';' matrix used to come back as the space dialect.
TEST(TextMatrix, OneColumnSemicolonKeepsItsDialect)
{
    tg_textmatrix_opts o = AnySize();
    tg_image img, back;
    tg_textmatrix_dialect d;
    ASSERT_EQ(Read("250 ;", &img, &o, &d), TG_ERR_RANGE);
    o.max_value = 300;
    ASSERT_EQ(Read("250 ;\r\r\n31;\r\r\n", &img, &o, &d), TG_OK) << tg_last_error();
    EXPECT_EQ(d, TG_TEXTMATRIX_SEMICOLON);
    ASSERT_EQ(img.w, 1);
    char *buf;
    size_t len;
    ASSERT_EQ(tg_textmatrix_write_buffer(&img, TG_TEXTMATRIX_SEMICOLON, &buf, &len), TG_OK);
    EXPECT_EQ(std::string(buf, len), "250.00000;\r\r\n31.00000;\r\r\n");
    ASSERT_EQ(tg_textmatrix_read_buffer(buf, len, "w.txt", &o, &back, &d), TG_OK) << tg_last_error();
    EXPECT_EQ(d, TG_TEXTMATRIX_SEMICOLON);
    EXPECT_EQ(back.h, 2);
    EXPECT_EQ(back.data[1], 31.0f);
    free(buf);
    tg_image_destroy(&back);
    tg_image_destroy(&img);
}

TEST(TextMatrix, RejectsRaggedRows)
{
    tg_textmatrix_opts o = AnySize();
    ExpectError("1 2 3\n4 5\n", TG_ERR_FORMAT, {"m.txt:2", "ragged", "2 values, expected 3"}, &o);
    ExpectError("1 2 3\n4 5 6 7\n", TG_ERR_FORMAT, {"m.txt:2:7", "ragged"}, &o);
    ExpectError("1;2\r\r\n3;4;5\r\r\n", TG_ERR_FORMAT, {"m.txt:2:5", "ragged"}, &o);
}

TEST(TextMatrix, RejectsNonNumericAndEmptyCells)
{
    tg_textmatrix_opts o = AnySize();
    ExpectError("1 2\n3 abc\n", TG_ERR_FORMAT, {"m.txt:2:3", "non-numeric", "\"abc\""}, &o);
    ExpectError("1 2\n3 4.5.6\n", TG_ERR_FORMAT, {"m.txt:2:3", "non-numeric"}, &o);
    ExpectError("1 2\n3 1e\n", TG_ERR_FORMAT, {"m.txt:2:3"}, &o);
    ExpectError("1;2\n3 4;5\n", TG_ERR_FORMAT, {"m.txt:2:1", "non-numeric"}, &o);
    ExpectError("1 2\n3,5 4\n", TG_ERR_FORMAT, {"m.txt:2:1", "\"3,5\""}, &o);
    ExpectError("1;;2\r\r\n", TG_ERR_FORMAT, {"m.txt:1:3", "empty cell"}, &o);
    ExpectError("1 2\r3 4\n", TG_ERR_FORMAT, {"m.txt:1:4", "carriage return"}, &o);
    ExpectError("1 2\n\n3 4\n", TG_ERR_FORMAT, {"m.txt:2", "empty line"}, &o);
}

TEST(TextMatrix, RejectsNonFiniteValues)
{
    tg_textmatrix_opts o = AnySize();
    ExpectError("1 2\n3 NaN\n", TG_ERR_NONFINITE, {"m.txt:2:3", "not finite"}, &o);
    ExpectError("1;-inf\r\r\n", TG_ERR_NONFINITE, {"m.txt:1:3"}, &o);
    ExpectError("Infinity 2\n", TG_ERR_NONFINITE, {"m.txt:1:1"}, &o);
}

TEST(TextMatrix, RejectsValuesOutsideTheRange)
{
    tg_textmatrix_opts o = AnySize();
    ExpectError("1 2\n3 60.01\n", TG_ERR_RANGE, {"m.txt:2:3", "60.01", "0..60"}, &o);
    ExpectError("-0.5 2\n", TG_ERR_RANGE, {"m.txt:1:1"}, &o);
    ExpectError("1e999 2\n", TG_ERR_RANGE, {"m.txt:1:1"}, &o);
    o.min_value = 18;
    o.max_value = 37;
    ExpectError("20 17.99\n", TG_ERR_RANGE, {"m.txt:1:4", "18..37"}, &o);
    tg_image img;
    ASSERT_EQ(Read("18 37\n", &img, &o), TG_OK) << "range bounds are inclusive";
    tg_image_destroy(&img);
}

TEST(TextMatrix, RejectsWrongDimensionsUnlessAnySize)
{
    tg_textmatrix_opts o;
    tg_textmatrix_opts_default(&o);
    ExpectError("1 2\n3 4\n", TG_ERR_FORMAT, {"m.txt:1", "wrong matrix width", "expected 640"}, &o);
    o.rows = 2;
    o.cols = 2;
    ExpectError("1 2\n3 4\n5 6\n", TG_ERR_FORMAT, {"m.txt:3", "more than 2 rows"}, &o);
    ExpectError("1 2\n", TG_ERR_FORMAT, {"m.txt", "1 rows, expected 2"}, &o);
    ExpectError("1 2 3\n", TG_ERR_FORMAT, {"m.txt:1:5", "wrong matrix width"}, &o);
    ExpectError("", TG_ERR_FORMAT, {"m.txt", "empty"}, &o);
    ExpectError(" \n\r\r\n", TG_ERR_FORMAT, {"m.txt", "empty"}, &o);
    tg_image img;
    ASSERT_EQ(Read("1 2\n3 4\n", &img, &o), TG_OK);
    tg_image_destroy(&img);
}

TEST(TextMatrix, EnforcesTheSizeCapBeforeReading)
{
    tg_textmatrix_opts o = AnySize();
    o.max_bytes = 8;
    ExpectError("1 2 3 4 5\n", TG_ERR_OVERFLOW, {"m.txt", "limit of 8"}, &o);
    std::string path = ::testing::TempDir() + "tg_big.txt";
    FILE *f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("1 2 3 4 5\n", f);
    std::fclose(f);
    tg_image img;
    EXPECT_EQ(tg_textmatrix_read_file(path.c_str(), &o, &img, nullptr), TG_ERR_OVERFLOW);
    EXPECT_NE(std::string(tg_last_error()).find(path), std::string::npos) << tg_last_error();
    std::remove(path.c_str());
}

TEST(TextMatrix, MissingFileIsAnIoErrorNamingThePath)
{
    tg_image img;
    EXPECT_EQ(tg_textmatrix_read_file("/nonexistent/T0001.txt", nullptr, &img, nullptr), TG_ERR_IO);
    EXPECT_NE(std::string(tg_last_error()).find("/nonexistent/T0001.txt"), std::string::npos);
}

TEST(TextMatrix, WriterRejectsBadInput)
{
    tg_image img;
    ASSERT_EQ(tg_image_create(&img, 1, 2, 2), TG_OK);
    img.data[3] = NAN;
    char *buf;
    size_t len;
    EXPECT_EQ(tg_textmatrix_write_buffer(&img, TG_TEXTMATRIX_SPACE, &buf, &len), TG_ERR_NONFINITE);
    EXPECT_EQ(buf, nullptr);
    tg_image empty = {0, 0, 0, nullptr};
    EXPECT_EQ(tg_textmatrix_write_buffer(&empty, TG_TEXTMATRIX_SPACE, &buf, &len), TG_ERR_ARG);
    img.data[3] = 1.0f;
    EXPECT_EQ(tg_textmatrix_write_file("/nonexistent/dir/x.txt", &img, TG_TEXTMATRIX_SPACE), TG_ERR_IO);
    tg_image_destroy(&img);
}

} // namespace
