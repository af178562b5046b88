/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "test_util.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <gtest/gtest.h>

namespace tgtest {

TempDir::TempDir()
{
    char tmpl[] = "/tmp/tg_dicom_test_XXXXXX";
    char *p = mkdtemp(tmpl);
    path = p ? p : "/tmp";
}

TempDir::~TempDir()
{
    std::error_code ec;
    /* TG_KEEP_TEST_FILES=1 keeps the generated files for inspection. */
    if (path != "/tmp" && !std::getenv("TG_KEEP_TEST_FILES"))
        std::filesystem::remove_all(path, ec);
}

tg_image synthetic_map(int h, int w, unsigned seed)
{
    tg_image img{};
    if (tg_image_create(&img, 1, h, w) != TG_OK)
        return img;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            double u = (x - w / 2.0) / (w / 2.0), v = (y - h / 2.0) / (h / 2.0);
            double body = std::exp(-(u * u * 1.5 + v * v * 0.8) * 2.0);
            double detail = 0.37 * std::sin(0.13 * x + seed) * std::cos(0.07 * y + 0.5 * seed);
            img.data[y * w + x] = static_cast<float>(22.8 + 10.7 * body + detail + 0.001 * ((x * 7 + y * 13 + seed) % 10));
        }
    return img;
}

int run(const std::string &cmd, std::string &output)
{
    output.clear();
    FILE *p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p)
        return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        output.append(buf, n);
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::vector<std::string> lines_with(const std::string &text, const std::string &needle)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (line.find(needle) != std::string::npos)
            out.push_back(line);
    return out;
}

std::vector<unsigned char> read_bytes(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    return std::vector<unsigned char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string &path, const std::vector<unsigned char> &bytes)
{
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::string dicomize(const tg_image &map, const std::string &path, const char *study_uid,
                     const char *series_uid, const char *laterality, int instance)
{
    tg_dicomize_params p{};
    p.patient_id = "TG-TEST-0001";
    p.patient_name = "Synthetic^Phantom";
    p.study_uid = study_uid;
    p.series_uid = series_uid;
    p.study_date = "20240102";
    p.study_time = "101500";
    p.study_id = "1";
    p.accession = "A1";
    p.laterality = laterality;
    p.view = "FRONTAL";
    p.instance_number = instance;
    char uid[TG_DICOM_UID_SIZE] = "";
    tg_status st = tg_dicomize_write(&map, &p, path.c_str(), uid);
    EXPECT_EQ(st, TG_OK) << tg_last_error();
    return uid;
}

} // namespace tgtest
