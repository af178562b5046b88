// SPDX-License-Identifier: GPL-3.0-or-later
#include "pyref.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace {
template <typename V> bool get(std::ifstream &f, V &v) { return bool(f.read(reinterpret_cast<char *>(&v), sizeof v)); }
template <typename V> void put(std::ofstream &f, V v) { f.write(reinterpret_cast<const char *>(&v), sizeof v); }
} // namespace

std::string temp_path(const std::string &stem)
{
    static int counter = 0;
    const char *dir = getenv("TMPDIR");
    return std::string(dir ? dir : "/tmp") + "/tg_" + stem + "_" + std::to_string(getpid()) + "_" +
           std::to_string(counter++);
}

bool write_records(const std::string &path, const std::vector<PyRecord> &recs)
{
    std::ofstream f(path, std::ios::binary);
    put<uint32_t>(f, (uint32_t)recs.size());
    for (const auto &r : recs) {
        put<uint32_t>(f, (uint32_t)r.strs.size());
        for (const auto &s : r.strs) {
            put<uint32_t>(f, (uint32_t)s.size());
            f.write(s.data(), (std::streamsize)s.size());
        }
        put<uint32_t>(f, (uint32_t)r.ints.size());
        for (int64_t v : r.ints)
            put<int64_t>(f, v);
        put<uint32_t>(f, (uint32_t)r.arrays.size());
        for (const auto &a : r.arrays) {
            put<uint64_t>(f, a.size());
            f.write(reinterpret_cast<const char *>(a.data()), (std::streamsize)(a.size() * sizeof(double)));
        }
    }
    return bool(f);
}

std::vector<PyRecord> run_python_reference(const std::string &script, const std::vector<std::string> &args)
{
    std::string out = temp_path("pyref");
    std::string cmd = std::string(TG_TEST_PYTHON) + " " + TG_TEST_PYTHON_DIR + "/" + script + " " + out;
    for (const auto &a : args)
        cmd += " '" + a + "'";
    cmd += " 2>&1";
    FILE *p = popen(cmd.c_str(), "r");
    std::string log;
    if (p) {
        char buf[512];
        while (fgets(buf, sizeof buf, p))
            log += buf;
    }
    int rc = p ? pclose(p) : -1;
    std::vector<PyRecord> recs;
    if (rc != 0) {
        ADD_FAILURE() << "reference script failed (rc=" << rc << "): " << cmd << "\n" << log;
        return recs;
    }
    std::ifstream f(out, std::ios::binary);
    uint32_t n = 0;
    bool ok = get(f, n);
    for (uint32_t i = 0; ok && i < n; i++) {
        PyRecord r;
        uint32_t ns = 0, ni = 0, na = 0;
        ok = get(f, ns);
        for (uint32_t j = 0; ok && j < ns; j++) {
            uint32_t len = 0;
            ok = get(f, len);
            std::string s(len, '\0');
            ok = ok && f.read(&s[0], len);
            r.strs.push_back(s);
        }
        ok = ok && get(f, ni);
        for (uint32_t j = 0; ok && j < ni; j++) {
            int64_t v = 0;
            ok = get(f, v);
            r.ints.push_back(v);
        }
        ok = ok && get(f, na);
        for (uint32_t j = 0; ok && j < na; j++) {
            uint64_t len = 0;
            ok = get(f, len);
            std::vector<double> a(ok ? len : 0);
            ok = ok && f.read(reinterpret_cast<char *>(a.data()), (std::streamsize)(len * sizeof(double)));
            r.arrays.push_back(std::move(a));
        }
        recs.push_back(std::move(r));
    }
    std::remove(out.c_str());
    if (!ok || recs.empty()) {
        ADD_FAILURE() << "malformed or empty reference output from " << script << "\n" << log;
        recs.clear();
    }
    return recs;
}
