/* One-time, thread-safe registration of DCMTK's decoders (never unregistered: Orthanc shares
 * the process and the DCMTK shared libraries).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <mutex>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"

#include "thermoguard/dicom.h"

extern "C" void tg_dicom_init_codecs(void)
{
    static std::once_flag once;
    std::call_once(once, [] {
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}
