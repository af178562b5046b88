// tg_image: sizes, limits, copies, statistics, finiteness.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "thermoguard/image.h"

TEST(Image, CreateCopyDestroy)
{
    tg_image a;
    ASSERT_EQ(tg_image_create(&a, 2, 3, 4), TG_OK);
    EXPECT_EQ(tg_image_size(&a), 24u);
    for (size_t i = 0; i < 24; i++)
        EXPECT_EQ(a.data[i], 0.0f);
    tg_image_channel(&a, 1)[5] = 7.5f;
    EXPECT_EQ(a.data[12 + 5], 7.5f);
    tg_image b;
    ASSERT_EQ(tg_image_copy(&b, &a), TG_OK);
    EXPECT_EQ(b.data[17], 7.5f);
    EXPECT_NE(b.data, a.data);
    tg_image_destroy(&a);
    EXPECT_EQ(a.data, nullptr);
    EXPECT_EQ(tg_image_size(&a), 0u);
    tg_image_destroy(&a); // twice is fine
    tg_image_destroy(nullptr);
    tg_image_destroy(&b);
}

TEST(Image, BadSizesAndLimits)
{
    tg_image a;
    EXPECT_EQ(tg_image_create(&a, 0, 3, 4), TG_ERR_ARG);
    EXPECT_EQ(tg_image_create(&a, 1, -3, 4), TG_ERR_ARG);
    EXPECT_NE(std::string(tg_last_error()).find("-3"), std::string::npos);
    EXPECT_EQ(tg_image_create(&a, 1 << 10, 1 << 10, 1 << 10), TG_ERR_OVERFLOW);
    EXPECT_EQ(a.data, nullptr);
    EXPECT_EQ(tg_image_create(nullptr, 1, 1, 1), TG_ERR_ARG);
    tg_image empty = {0, 0, 0, nullptr};
    tg_image out;
    EXPECT_EQ(tg_image_copy(&out, &empty), TG_ERR_ARG);
    tg_image_stats st;
    EXPECT_EQ(tg_image_stats_compute(&empty, &st), TG_ERR_ARG);
}

TEST(Image, StatisticsAndNonFinite)
{
    tg_image a;
    ASSERT_EQ(tg_image_create(&a, 1, 2, 3), TG_OK);
    float v[6] = {1, 2, 3, 4, NAN, INFINITY};
    for (int i = 0; i < 6; i++)
        a.data[i] = v[i];
    tg_image_stats st;
    ASSERT_EQ(tg_image_stats_compute(&a, &st), TG_OK);
    EXPECT_EQ(st.nonfinite, 2u);
    EXPECT_DOUBLE_EQ(st.min, 1.0);
    EXPECT_DOUBLE_EQ(st.max, 4.0);
    EXPECT_DOUBLE_EQ(st.mean, 2.5);
    EXPECT_NEAR(st.stddev, std::sqrt(1.25), 1e-12);
    EXPECT_EQ(tg_image_check_finite(&a), TG_ERR_NONFINITE);
    EXPECT_NE(std::string(tg_last_error()).find("y=1, x=1"), std::string::npos) << tg_last_error();
    a.data[4] = a.data[5] = 0;
    EXPECT_EQ(tg_image_check_finite(&a), TG_OK);
    tg_image_destroy(&a);
}
