/* UID generation under the UUID-derived root "2.25" (PS3.5 B.2), and small shared helpers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

#include "dicom_internal.h"

namespace tg_dicom {

std::string new_uid()
{
    unsigned __int128 v = 0;
    try {
        std::random_device rd; /* /dev/urandom on Linux */
        for (int i = 0; i < 4; ++i)
            v = (v << 32) | static_cast<uint32_t>(rd());
    } catch (...) {
        return std::string();
    }
    /* A UUID-derived UID is the UUID's 128-bit integer in decimal, without leading zeros. */
    char digits[40];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
        v /= 10;
    } while (v != 0);
    std::string uid = "2.25.";
    while (n > 0)
        uid += digits[--n];
    return uid;
}

static std::string format_now(const char *fmt)
{
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, fmt, &tm);
    return buf;
}

std::string today() { return format_now("%Y%m%d"); }
std::string now_time() { return format_now("%H%M%S"); }

std::string get_string(DcmItem &item, const DcmTagKey &key)
{
    OFString s;
    if (item.findAndGetOFStringArray(key, s).good())
        return std::string(s.c_str());
    return std::string();
}

std::string source_name(const tg_dicom_source &src, int index)
{
    if (src.path && *src.path)
        return src.path;
    return "source #" + std::to_string(index);
}

} // namespace tg_dicom

extern "C" tg_status tg_dicom_new_uid(char out[TG_DICOM_UID_SIZE])
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "tg_dicom_new_uid: NULL output");
    std::string uid = tg_dicom::new_uid();
    if (uid.empty())
        return tg_fail(TG_ERR_IO, "tg_dicom_new_uid: no random source available");
    std::snprintf(out, TG_DICOM_UID_SIZE, "%s", uid.c_str());
    return TG_OK;
}
