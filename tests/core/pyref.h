// Runs an independent reference script with Debian's /usr/bin/python3 and reads back its
// records. SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct PyRecord {
    std::vector<std::string> strs;
    std::vector<int64_t> ints;
    std::vector<std::vector<double>> arrays;
};

// Runs `TG_TEST_PYTHON TG_TEST_PYTHON_DIR/script <outfile> args...` and parses the records the
// script wrote with tests/python/records.py. On any failure (interpreter missing, script
// error, malformed output) it records a GoogleTest failure and returns an empty vector, so a
// missing reference can never pass silently.
std::vector<PyRecord> run_python_reference(const std::string &script, const std::vector<std::string> &args);

// Writes arrays of doubles for a reference script to read (same record format).
bool write_records(const std::string &path, const std::vector<PyRecord> &recs);

// A fresh temporary file path (removed by the caller).
std::string temp_path(const std::string &stem);
