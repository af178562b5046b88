/* Shared helpers for the DICOM tests: scratch directories, synthetic °C maps, running tools.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_DICOM_TEST_UTIL_H
#define TG_DICOM_TEST_UTIL_H

#include <string>
#include <vector>

#include "thermoguard/dicom.h"

namespace tgtest {

/* A fresh scratch directory under the system temp dir, removed by the destructor. */
struct TempDir {
    std::string path;
    TempDir();
    ~TempDir();
    std::string file(const std::string &name) const { return path + "/" + name; }
};

/* A deterministic phantom-like °C map (1 x h x w): background ~23 °C, warm torso ~33 °C with
 * fractional detail; `seed` shifts the pattern. Caller destroys. */
tg_image synthetic_map(int h, int w, unsigned seed);

/* Runs a shell command, returns its exit status; stdout+stderr go to `output`. */
int run(const std::string &cmd, std::string &output);

/* Lines of `text` containing `needle`. */
std::vector<std::string> lines_with(const std::string &text, const std::string &needle);

/* Whole file as bytes. */
std::vector<unsigned char> read_bytes(const std::string &path);
void write_bytes(const std::string &path, const std::vector<unsigned char> &bytes);

/* Dicomizes `map` into `path` with a fixed patient and the given series; returns the SOP UID. */
std::string dicomize(const tg_image &map, const std::string &path, const char *study_uid,
                     const char *series_uid, const char *laterality, int instance);

} // namespace tgtest

#endif
