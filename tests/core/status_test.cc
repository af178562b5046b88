// Status codes, thread-local error messages, checked sizes/allocation, progress/cancel.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "thermoguard/progress.h"
#include "thermoguard/status.h"

TEST(Status, MessagesAreThreadLocal)
{
    EXPECT_EQ(tg_fail(TG_ERR_RANGE, "level %d too high", 9), TG_ERR_RANGE);
    EXPECT_STREQ(tg_last_error(), "level 9 too high");
    std::string other;
    std::thread t([&] {
        other = tg_last_error();
        tg_fail(TG_ERR_IO, "worker failure");
    });
    t.join();
    EXPECT_EQ(other, "");
    EXPECT_STREQ(tg_last_error(), "level 9 too high");
    tg_clear_error();
    EXPECT_STREQ(tg_last_error(), "");
}

TEST(Status, WrappingTheLastErrorKeepsIt)
{
    tg_fail(TG_ERR_IO, "b.txt: cannot open");
    tg_fail(TG_ERR_IO, "views.csv:5: %s", tg_last_error());
    EXPECT_STREQ(tg_last_error(), "views.csv:5: b.txt: cannot open");
}

TEST(Status, NamesAreStable)
{
    EXPECT_STREQ(tg_status_name(TG_OK), "TG_OK");
    EXPECT_STREQ(tg_status_name(TG_ERR_CANCELLED), "TG_ERR_CANCELLED");
    EXPECT_STREQ(tg_status_name((tg_status)1234), "unknown");
}

TEST(Status, LongMessagesAreTruncatedNotOverflowed)
{
    std::string big(5000, 'x');
    tg_fail(TG_ERR_ARG, "%s", big.c_str());
    EXPECT_EQ(std::string(tg_last_error()).size(), 1023u);
}

TEST(Status, CheckedSizeArithmetic)
{
    size_t out = 0;
    EXPECT_EQ(tg_size_mul(1u << 20, 1u << 10, &out, "x"), TG_OK);
    EXPECT_EQ(out, size_t(1) << 30);
    EXPECT_EQ(tg_size_mul(SIZE_MAX / 2, 3, &out, "pixels"), TG_ERR_OVERFLOW);
    EXPECT_NE(std::string(tg_last_error()).find("pixels"), std::string::npos);
    EXPECT_EQ(tg_size_add(SIZE_MAX, 1, &out, "x"), TG_ERR_OVERFLOW);
    EXPECT_EQ(tg_size_add(3, 4, &out, "x"), TG_OK);
    EXPECT_EQ(out, 7u);
}

TEST(Status, CheckedAllocation)
{
    void *p = reinterpret_cast<void *>(1);
    EXPECT_EQ(tg_alloc_checked(&p, SIZE_MAX / 4, 8, 0, "buf"), TG_ERR_OVERFLOW);
    EXPECT_EQ(p, nullptr);
    EXPECT_EQ(tg_alloc_checked(&p, 1000, 8, 4096, "limited buffer"), TG_ERR_OVERFLOW);
    EXPECT_NE(std::string(tg_last_error()).find("limit"), std::string::npos);
    ASSERT_EQ(tg_alloc_checked(&p, 100, 8, 4096, "ok"), TG_OK);
    ASSERT_NE(p, nullptr);
    free(p);
}

namespace {
struct Seen {
    int calls = 0;
    double last = -1;
    int stop_after = 1000;
};
int on_progress(void *user, double f, const char *)
{
    auto *s = static_cast<Seen *>(user);
    s->calls++;
    s->last = f;
    return s->calls >= s->stop_after;
}
} // namespace

TEST(Progress, CallbackCancelFlagAndNull)
{
    EXPECT_EQ(tg_progress_report(nullptr, 0.5, "x"), TG_OK);
    Seen seen;
    volatile int cancel = 0;
    tg_progress p = {on_progress, &seen, &cancel};
    EXPECT_EQ(tg_progress_report(&p, 0.25, "epoch"), TG_OK);
    EXPECT_EQ(tg_progress_report(&p, 7.0, "epoch"), TG_OK);
    EXPECT_EQ(seen.last, 1.0); // clamped
    cancel = 1;
    EXPECT_EQ(tg_progress_report(&p, 0.5, "training"), TG_ERR_CANCELLED);
    EXPECT_NE(std::string(tg_last_error()).find("training"), std::string::npos);
    EXPECT_EQ(seen.calls, 2); // a cancelled report does not call back
    cancel = 0;
    seen.stop_after = 3;
    EXPECT_EQ(tg_progress_report(&p, 0.5, "attack"), TG_ERR_CANCELLED);
}
