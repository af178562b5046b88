/* libFuzzer target: the memory-buffer reader (what the Orthanc plugin feeds with instance bytes).
 * Build: CC=clang CXX=clang++ cmake -DTG_FUZZ=ON ...; run: fuzz_dicom_reader CORPUS_DIR SEEDS...
 * Known finding (not a crash): DCMTK 3.6.7 allocates an element's declared length (up to 4 GiB)
 * before noticing the buffer is shorter; new(nothrow) then fails or the read fails and frees it.
 * Run with -malloc_limit_mb=4500 so libFuzzer does not stop on that; see issue 4 for results.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <cstddef>
#include <cstdint>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/oflog/oflog.h"

#include "thermoguard/dicom.h"

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    /* The fuzzer owns its process: silence DCMTK's parser warnings. */
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    tg_dicom_init_codecs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Small limits keep each run fast and bound memory. */
    tg_dicom_limits lim = {1u << 22, 1u << 24};
    tg_image img{};
    tg_dicom_meta meta;
    if (tg_dicom_read_buffer(data, size, "fuzz", &lim, &img, &meta) == TG_OK) {
        /* A success must be a complete image. */
        if (!img.data || img.c != meta.frames || img.h != meta.rows || img.w != meta.cols)
            __builtin_trap();
        tg_image_destroy(&img);
    } else if (img.data) {
        __builtin_trap(); /* never a partial image on failure */
    }
    return 0;
}
