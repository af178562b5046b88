/* Internal helpers shared by the DICOM layer's translation units (C++ only, never installed).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_DICOM_INTERNAL_H
#define THERMOGUARD_DICOM_INTERNAL_H

#include <string>
#include <vector>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"

#include "thermoguard/dicom.h"

namespace tg_dicom {

/* Reads a whole file into `out`, refusing files above `limit` bytes (0 = no limit). */
tg_status load_file_bytes(const char *path, size_t limit, std::vector<unsigned char> &out);

/* Parses an in-memory DICOM file (preamble + meta header, or a bare dataset) into `ff`.
 * `name` labels errors. TG_ERR_FORMAT when DCMTK cannot parse the bytes. */
tg_status parse_buffer(const void *data, size_t size, const char *name, DcmFileFormat &ff);

/* Loads a tg_dicom_source (path or buffer) into `ff`, applying `max_bytes`. */
tg_status load_source(const tg_dicom_source &src, size_t max_bytes, DcmFileFormat &ff);

/* A source's display name for messages. */
std::string source_name(const tg_dicom_source &src, int index);

/* String value of a tag, "" when absent. */
std::string get_string(DcmItem &item, const DcmTagKey &key);

/* Current date (YYYYMMDD) and time (HHMMSS) in local time. */
std::string today();
std::string now_time();

/* A new "2.25.<decimal>" UID (empty string when no random source is available). */
std::string new_uid();

} // namespace tg_dicom

#endif
