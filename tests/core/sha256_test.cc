// SHA-256 against the FIPS 180-2 vectors, streaming in odd chunk sizes, and sha256sum.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "thermoguard/sha256.h"

namespace {

std::string hex_of(const void *data, size_t n)
{
    uint8_t d[TG_SHA256_BYTES];
    char hex[TG_SHA256_HEX_CHARS];
    tg_sha256(data, n, d);
    tg_sha256_hex(d, hex);
    return hex;
}

TEST(Sha256, FipsVectors)
{
    EXPECT_EQ(hex_of("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex_of(nullptr, 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(hex_of(two, 56), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    std::string million(1000000, 'a');
    EXPECT_EQ(hex_of(million.data(), million.size()),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamingMatchesOneShotForEveryChunkSize)
{
    std::vector<uint8_t> data(1000);
    for (size_t i = 0; i < data.size(); i++)
        data[i] = (uint8_t)(i * 131 + 7);
    std::string want = hex_of(data.data(), data.size());
    for (size_t chunk = 1; chunk <= 130; chunk++) {
        tg_sha256_ctx s;
        tg_sha256_init(&s);
        for (size_t off = 0; off < data.size(); off += chunk)
            tg_sha256_update(&s, data.data() + off, std::min(chunk, data.size() - off));
        tg_sha256_update(&s, nullptr, 0);
        uint8_t d[TG_SHA256_BYTES];
        char hex[TG_SHA256_HEX_CHARS];
        tg_sha256_final(&s, d);
        tg_sha256_hex(d, hex);
        ASSERT_EQ(want, hex) << "chunk " << chunk;
    }
    // Lengths around the padding boundary (55, 56, 63, 64, 65 bytes).
    for (size_t n : {55u, 56u, 63u, 64u, 65u, 119u, 120u})
        EXPECT_EQ(hex_of(std::string(n, 'a').data(), n).size(), 64u);
    EXPECT_EQ(hex_of(std::string(64, 'a').data(), 64),
              "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256, AgreesWithSha256sum)
{
    if (std::system("command -v sha256sum >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "sha256sum not installed";
    std::vector<uint8_t> data(200003);
    uint32_t x = 12345;
    for (auto &b : data) {
        x = x * 1664525u + 1013904223u;
        b = (uint8_t)(x >> 24);
    }
    std::string path = ::testing::TempDir() + "tg_sha256_test.bin";
    FILE *f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
    std::fclose(f);
    FILE *p = popen(("sha256sum '" + path + "'").c_str(), "r");
    ASSERT_NE(p, nullptr);
    char out[65] = {0};
    ASSERT_EQ(std::fread(out, 1, 64, p), 64u);
    pclose(p);
    std::remove(path.c_str());
    EXPECT_EQ(std::string(out), hex_of(data.data(), data.size()));
}

} // namespace
