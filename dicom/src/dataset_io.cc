/* Bytes in: whole-file loading with a size limit, and parsing an in-memory DICOM file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dcmtk/dcmdata/dcistrmb.h"

#include "dicom_internal.h"

namespace tg_dicom {

tg_status load_file_bytes(const char *path, size_t limit, std::vector<unsigned char> &out)
{
    out.clear();
    FILE *f = std::fopen(path, "rb");
    if (!f)
        return tg_fail(TG_ERR_IO, "%s: cannot open: %s", path, std::strerror(errno));
    if (std::fseek(f, 0, SEEK_END) != 0) {
        std::fclose(f);
        return tg_fail(TG_ERR_IO, "%s: cannot seek (not a regular file?)", path);
    }
    long len = std::ftell(f);
    if (len < 0 || std::fseek(f, 0, SEEK_SET) != 0) {
        std::fclose(f);
        return tg_fail(TG_ERR_IO, "%s: cannot determine file size", path);
    }
    if (limit && static_cast<unsigned long>(len) > limit) {
        std::fclose(f);
        return tg_fail(TG_ERR_OVERFLOW, "%s: file size %ld bytes exceeds the limit of %zu bytes",
                       path, len, limit);
    }
    try {
        out.resize(static_cast<size_t>(len));
    } catch (...) {
        std::fclose(f);
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory reading %ld bytes", path, len);
    }
    size_t got = len ? std::fread(out.data(), 1, out.size(), f) : 0;
    std::fclose(f);
    if (got != out.size())
        return tg_fail(TG_ERR_IO, "%s: short read (%zu of %ld bytes)", path, got, len);
    return TG_OK;
}

/* One parse attempt from a fresh stream over the buffer; `bare` reads a dataset without meta. */
static OFCondition read_stream(const void *data, size_t size, DcmFileFormat &ff, bool bare)
{
    DcmInputBufferStream in;
    in.setBuffer(data, static_cast<offile_off_t>(size));
    in.setEos();
    ff.clear();
    DcmObject &target = bare ? static_cast<DcmObject &>(*ff.getDataset()) : static_cast<DcmObject &>(ff);
    target.transferInit();
    /* Load every value now: a buffer stream cannot be re-opened for lazy loading later. */
    OFCondition c = target.read(in, EXS_Unknown, EGL_noChange, 0xFFFFFFFEu);
    target.transferEnd();
    if (c.good())
        c = ff.loadAllDataIntoMemory();
    return c;
}

tg_status parse_buffer(const void *data, size_t size, const char *name, DcmFileFormat &ff)
{
    if (!name)
        name = "buffer";
    if (!data || size == 0)
        return tg_fail(TG_ERR_FORMAT, "%s: empty input, not a DICOM file", name);
    if (size > 0xFFFFFFF0u)
        return tg_fail(TG_ERR_OVERFLOW, "%s: %zu bytes is too large for one DICOM object", name, size);
    OFCondition c = read_stream(data, size, ff, false);
    /* Files without preamble and meta header are bare datasets: retry as one. */
    const bool has_preamble = size >= 132 && std::memcmp(static_cast<const char *>(data) + 128, "DICM", 4) == 0;
    if (c.bad() && !has_preamble)
        c = read_stream(data, size, ff, true);
    if (c.bad()) {
        if (c == EC_StreamNotifyClient)
            return tg_fail(TG_ERR_FORMAT, "%s: truncated DICOM file (data ends inside an element)", name);
        return tg_fail(TG_ERR_FORMAT, "%s: not a readable DICOM file (truncated or malformed; DCMTK: %s)", name, c.text());
    }
    DcmDataset *ds = ff.getDataset();
    if (!ds || ds->card() == 0)
        return tg_fail(TG_ERR_FORMAT, "%s: no DICOM dataset found", name);
    return TG_OK;
}

tg_status load_source(const tg_dicom_source &src, size_t max_bytes, DcmFileFormat &ff)
{
    std::string name = source_name(src, 0);
    if (src.data)
        return parse_buffer(src.data, src.size, name.c_str(), ff);
    if (!src.path)
        return tg_fail(TG_ERR_ARG, "DICOM source has neither a path nor a buffer");
    std::vector<unsigned char> bytes;
    tg_status st = load_file_bytes(src.path, max_bytes, bytes);
    if (st != TG_OK)
        return st;
    return parse_buffer(bytes.data(), bytes.size(), src.path, ff);
}

} // namespace tg_dicom
