/* Thermogram reader: any image DICOM DCMTK can decode -> float32 °C map (when the file carries a
 * temperature scale) or normalised intensity, plus the metadata the node needs.
 * Every attribute is checked before pixels are allocated; a failure never leaves a partial image.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmimgle/dcmimage.h"
#include "dcmtk/dcmimgle/dipixel.h"
#include "dcmtk/dcmimage/diregist.h" /* colour image support for DicomImage */

#include "dicom_internal.h"

namespace {

using tg_dicom::get_string;

void copy_str(char *dst, size_t cap, const std::string &s)
{
    std::snprintf(dst, cap, "%s", s.c_str());
}

/* Fills the string/UID part of the metadata. */
void read_identity(DcmDataset &ds, tg_dicom_meta &m)
{
    copy_str(m.patient_id, sizeof m.patient_id, get_string(ds, DCM_PatientID));
    copy_str(m.patient_name, sizeof m.patient_name, get_string(ds, DCM_PatientName));
    copy_str(m.study_uid, sizeof m.study_uid, get_string(ds, DCM_StudyInstanceUID));
    copy_str(m.series_uid, sizeof m.series_uid, get_string(ds, DCM_SeriesInstanceUID));
    copy_str(m.sop_instance_uid, sizeof m.sop_instance_uid, get_string(ds, DCM_SOPInstanceUID));
    copy_str(m.sop_class_uid, sizeof m.sop_class_uid, get_string(ds, DCM_SOPClassUID));
    copy_str(m.modality, sizeof m.modality, get_string(ds, DCM_Modality));
    std::string lat = get_string(ds, DCM_ImageLaterality);
    if (lat.empty())
        lat = get_string(ds, DCM_Laterality);
    copy_str(m.laterality, sizeof m.laterality, lat);
    std::string view = get_string(ds, DCM_ViewPosition);
    if (view.empty()) {
        DcmItem *item = nullptr;
        if (ds.findAndGetSequenceItem(DCM_ViewCodeSequence, item, 0).good() && item)
            view = get_string(*item, DCM_CodeMeaning);
    }
    copy_str(m.view, sizeof m.view, view);
    copy_str(m.body_part, sizeof m.body_part, get_string(ds, DCM_BodyPartExamined));
    copy_str(m.photometric, sizeof m.photometric, get_string(ds, DCM_PhotometricInterpretation));
    const DcmTagKey dates[3][2] = {{DCM_AcquisitionDate, DCM_AcquisitionTime},
                                   {DCM_ContentDate, DCM_ContentTime},
                                   {DCM_SeriesDate, DCM_SeriesTime}};
    for (const auto &dt : dates) {
        std::string d = get_string(ds, dt[0]);
        if (!d.empty()) {
            copy_str(m.acquisition_date, sizeof m.acquisition_date, d);
            copy_str(m.acquisition_time, sizeof m.acquisition_time, get_string(ds, dt[1]));
            break;
        }
    }
}

bool is_jpeg2000(E_TransferSyntax x)
{
    return x == EXS_JPEG2000LosslessOnly || x == EXS_JPEG2000 ||
           x == EXS_JPEG2000MulticomponentLosslessOnly || x == EXS_JPEG2000Multicomponent ||
           x == EXS_JPIPReferenced || x == EXS_JPIPReferencedDeflate;
}

bool ieq(const std::string &a, const char *b)
{
    return strcasecmp(a.c_str(), b) == 0;
}

/* The checked image geometry. */
struct Geometry {
    long rows = 0, cols = 0, frames = 1, spp = 0, bits_alloc = 0, bits_stored = 0, signed_px = 0;
    std::string photometric;
};

tg_status read_u16(DcmDataset &ds, const DcmTagKey &key, const char *what, const char *name,
                   long &out)
{
    Uint16 v = 0;
    if (ds.findAndGetUint16(key, v).bad())
        return tg_fail(TG_ERR_FORMAT, "%s: missing or invalid %s (%04X,%04X)", name, what,
                       key.getGroup(), key.getElement());
    out = v;
    return TG_OK;
}

tg_status read_geometry(DcmDataset &ds, const char *name, const tg_dicom_limits &lim, Geometry &g)
{
    tg_status st;
    if ((st = read_u16(ds, DCM_Rows, "Rows", name, g.rows)) != TG_OK ||
        (st = read_u16(ds, DCM_Columns, "Columns", name, g.cols)) != TG_OK ||
        (st = read_u16(ds, DCM_SamplesPerPixel, "Samples per Pixel", name, g.spp)) != TG_OK ||
        (st = read_u16(ds, DCM_BitsAllocated, "Bits Allocated", name, g.bits_alloc)) != TG_OK)
        return st;
    Uint16 v = 0;
    g.bits_stored = ds.findAndGetUint16(DCM_BitsStored, v).good() ? v : g.bits_alloc;
    g.signed_px = ds.findAndGetUint16(DCM_PixelRepresentation, v).good() ? v : 0;
    g.photometric = get_string(ds, DCM_PhotometricInterpretation);
    if (g.photometric.empty())
        return tg_fail(TG_ERR_FORMAT, "%s: missing Photometric Interpretation (0028,0004)", name);
    if (g.rows < 1 || g.cols < 1)
        return tg_fail(TG_ERR_FORMAT, "%s: Rows (0028,0010) = %ld and Columns (0028,0011) = %ld must be > 0",
                       name, g.rows, g.cols);
    if (g.spp != 1 && g.spp != 3)
        return tg_fail(TG_ERR_FORMAT, "%s: Samples per Pixel (0028,0002) = %ld is not 1 or 3", name, g.spp);
    if (g.bits_alloc != 1 && g.bits_alloc != 8 && g.bits_alloc != 16 && g.bits_alloc != 32)
        return tg_fail(TG_ERR_FORMAT, "%s: Bits Allocated (0028,0100) = %ld is not supported (1, 8, 16, 32)",
                       name, g.bits_alloc);
    if (g.bits_stored < 1 || g.bits_stored > g.bits_alloc)
        return tg_fail(TG_ERR_FORMAT, "%s: Bits Stored (0028,0101) = %ld inconsistent with Bits Allocated %ld",
                       name, g.bits_stored, g.bits_alloc);
    Sint32 nf = 1;
    if (ds.tagExistsWithValue(DCM_NumberOfFrames)) {
        if (ds.findAndGetSint32(DCM_NumberOfFrames, nf).bad() || nf < 1)
            return tg_fail(TG_ERR_FORMAT, "%s: invalid Number of Frames (0028,0008) = '%s'", name,
                           get_string(ds, DCM_NumberOfFrames).c_str());
    }
    g.frames = nf;
    size_t pixels = 0;
    if (tg_size_mul(static_cast<size_t>(g.rows), static_cast<size_t>(g.cols), &pixels, name) != TG_OK ||
        tg_size_mul(pixels, static_cast<size_t>(g.frames), &pixels, name) != TG_OK)
        return TG_ERR_OVERFLOW;
    size_t cap = std::min(lim.max_pixels, static_cast<size_t>(TG_IMAGE_MAX_ELEMENTS));
    if (pixels > cap)
        return tg_fail(TG_ERR_OVERFLOW,
                       "%s: Rows (0028,0010) x Columns (0028,0011) x Number of Frames (0028,0008) = "
                       "%ld x %ld x %ld = %zu pixels exceeds the limit of %zu",
                       name, g.rows, g.cols, g.frames, pixels, cap);
    return TG_OK;
}

/* Decompresses encapsulated pixel data (refusing JPEG 2000) and checks the uncompressed length
 * against the geometry. On success `xfer` is the transfer syntax of the in-memory pixels. */
tg_status prepare_pixels(DcmDataset &ds, const char *name, const Geometry &g, E_TransferSyntax &xfer)
{
    DcmElement *elem = nullptr;
    if (ds.findAndGetElement(DCM_PixelData, elem).bad() || !elem) {
        std::string cls = get_string(ds, DCM_SOPClassUID);
        return tg_fail(TG_ERR_FORMAT, "%s: not an image: no Pixel Data (7FE0,0010) (SOP Class UID %s)",
                       name, cls.empty() ? "absent" : cls.c_str());
    }
    xfer = ds.getOriginalXfer();
    DcmXfer xf(xfer);
    if (is_jpeg2000(xfer))
        return tg_fail(TG_ERR_FORMAT,
                       "%s: Transfer Syntax %s (%s) is not supported: this DCMTK has no JPEG 2000 "
                       "decoder (transcode the instance first)",
                       name, xf.getXferName(), xf.getXferID());
    if (xf.isEncapsulated()) {
        OFCondition c = ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
        if (c.bad() || !ds.canWriteXfer(EXS_LittleEndianExplicit, xfer))
            return tg_fail(TG_ERR_FORMAT, "%s: cannot decode Pixel Data of Transfer Syntax %s (%s): %s",
                           name, xf.getXferName(), xf.getXferID(),
                           c.bad() ? c.text() : "no decoder");
        xfer = EXS_LittleEndianExplicit;
        if (ds.findAndGetElement(DCM_PixelData, elem).bad() || !elem)
            return tg_fail(TG_ERR_FORMAT, "%s: Pixel Data (7FE0,0010) lost during decoding", name);
    }
    /* YBR_FULL_422 stores two samples per pixel (chroma subsampled). */
    std::string photo = get_string(ds, DCM_PhotometricInterpretation);
    unsigned long long samples = (g.spp == 3 && ieq(photo, "YBR_FULL_422")) ? 2 : g.spp;
    unsigned long long bits = static_cast<unsigned long long>(g.rows) * g.cols * g.frames * samples *
                              g.bits_alloc;
    unsigned long long need = (bits + 7) / 8;
    unsigned long long have = elem->getLength();
    if (have < need)
        return tg_fail(TG_ERR_FORMAT,
                       "%s: Pixel Data (7FE0,0010) has %llu bytes but Rows x Columns x Number of Frames "
                       "x Samples per Pixel x Bits Allocated (%ld x %ld x %ld x %llu x %ld bits) needs %llu",
                       name, have, g.rows, g.cols, g.frames, samples, g.bits_alloc, need);
    return TG_OK;
}

/* Stored value i of the intermediate (un-rescaled) pixel array as double. */
template <typename T>
void stored_to_celsius(const void *src, size_t n, double slope, double intercept, float *dst)
{
    const T *p = static_cast<const T *>(src);
    for (size_t i = 0; i < n; ++i)
        dst[i] = static_cast<float>(static_cast<double>(p[i]) * slope + intercept);
}

tg_status decode_temperature(DcmDataset &ds, E_TransferSyntax xfer, const char *name,
                             const Geometry &g, double slope, double intercept, tg_image &img)
{
    DicomImage di(&ds, xfer, CIF_IgnoreModalityTransformation, 0, static_cast<unsigned long>(g.frames));
    if (di.getStatus() != EIS_Normal)
        return tg_fail(TG_ERR_FORMAT, "%s: cannot decode pixels: %s", name,
                       DicomImage::getString(di.getStatus()));
    const DiPixel *px = di.getInterData();
    size_t n = tg_image_size(&img);
    if (!px || !px->getData() || px->getCount() < n)
        return tg_fail(TG_ERR_FORMAT, "%s: decoded Pixel Data (7FE0,0010) has fewer than %zu values", name, n);
    const void *d = px->getData();
    switch (px->getRepresentation()) {
    case EPR_Uint8: stored_to_celsius<Uint8>(d, n, slope, intercept, img.data); break;
    case EPR_Sint8: stored_to_celsius<Sint8>(d, n, slope, intercept, img.data); break;
    case EPR_Uint16: stored_to_celsius<Uint16>(d, n, slope, intercept, img.data); break;
    case EPR_Sint16: stored_to_celsius<Sint16>(d, n, slope, intercept, img.data); break;
    case EPR_Uint32: stored_to_celsius<Uint32>(d, n, slope, intercept, img.data); break;
    case EPR_Sint32: stored_to_celsius<Sint32>(d, n, slope, intercept, img.data); break;
    default:
        return tg_fail(TG_ERR_FORMAT, "%s: unexpected decoded pixel representation", name);
    }
    return TG_OK;
}

tg_status decode_intensity(DcmDataset &ds, E_TransferSyntax xfer, const char *name,
                           const Geometry &g, tg_image &img)
{
    DicomImage di(&ds, xfer, 0UL, 0UL, static_cast<unsigned long>(g.frames));
    if (di.getStatus() != EIS_Normal)
        return tg_fail(TG_ERR_FORMAT, "%s: cannot decode pixels (Photometric Interpretation %s): %s",
                       name, g.photometric.c_str(), DicomImage::getString(di.getStatus()));
    if (di.getFrameCount() < static_cast<unsigned long>(g.frames) ||
        di.getWidth() != static_cast<unsigned long>(g.cols) ||
        di.getHeight() != static_cast<unsigned long>(g.rows))
        return tg_fail(TG_ERR_FORMAT, "%s: decoded image geometry differs from Rows/Columns/Number of Frames",
                       name);
    const bool mono = di.isMonochrome();
    const size_t plane = static_cast<size_t>(g.rows) * static_cast<size_t>(g.cols);
    for (long f = 0; f < g.frames; ++f) {
        const Uint16 *o = static_cast<const Uint16 *>(di.getOutputData(16, static_cast<unsigned long>(f), 0));
        if (!o)
            return tg_fail(TG_ERR_FORMAT, "%s: cannot render frame %ld", name, f);
        float *dst = img.data + static_cast<size_t>(f) * plane;
        if (mono) {
            for (size_t i = 0; i < plane; ++i)
                dst[i] = static_cast<float>(o[i]);
        } else {
            for (size_t i = 0; i < plane; ++i)
                dst[i] = static_cast<float>(0.299 * o[3 * i] + 0.587 * o[3 * i + 1] + 0.114 * o[3 * i + 2]);
        }
    }
    /* Normalise over the whole instance; a constant image becomes 0. */
    const size_t n = tg_image_size(&img);
    float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
    for (size_t i = 0; i < n; ++i) {
        lo = std::min(lo, img.data[i]);
        hi = std::max(hi, img.data[i]);
    }
    const double scale = hi > lo ? 1.0 / (static_cast<double>(hi) - lo) : 0.0;
    for (size_t i = 0; i < n; ++i)
        img.data[i] = static_cast<float>((img.data[i] - static_cast<double>(lo)) * scale);
    return TG_OK;
}

tg_status read_dataset(DcmFileFormat &ff, const char *name, const tg_dicom_limits &lim,
                       tg_image *out, tg_dicom_meta &m)
{
    DcmDataset &ds = *ff.getDataset();
    read_identity(ds, m);
    if (!ds.tagExists(DCM_PixelData)) {
        std::string cls = get_string(ds, DCM_SOPClassUID);
        return tg_fail(TG_ERR_FORMAT, "%s: not an image: no Pixel Data (7FE0,0010) (SOP Class UID %s)",
                       name, cls.empty() ? "absent" : cls.c_str());
    }
    Geometry g;
    tg_status st = read_geometry(ds, name, lim, g);
    if (st != TG_OK)
        return st;
    m.rows = static_cast<int>(g.rows);
    m.cols = static_cast<int>(g.cols);
    m.frames = static_cast<int>(g.frames);
    m.samples_per_pixel = static_cast<int>(g.spp);
    m.bits_allocated = static_cast<int>(g.bits_alloc);
    m.bits_stored = static_cast<int>(g.bits_stored);
    m.pixel_signed = g.signed_px ? 1 : 0;
    {
        DcmXfer xf(ds.getOriginalXfer());
        copy_str(m.transfer_syntax, sizeof m.transfer_syntax, xf.getXferID());
    }

    /* Temperature scale: slope/intercept present on a single-sample greyscale image, and
     * Rescale Type CEL (or absent with Modality TG). */
    Float64 slope = 1.0, intercept = 0.0;
    const bool has_slope = ds.findAndGetFloat64(DCM_RescaleSlope, slope).good();
    const bool has_icpt = ds.findAndGetFloat64(DCM_RescaleIntercept, intercept).good();
    m.rescale_slope = has_slope ? slope : 1.0;
    m.rescale_intercept = has_icpt ? intercept : 0.0;
    const std::string rtype = get_string(ds, DCM_RescaleType);
    const bool celsius_type = ieq(rtype, "CEL") || rtype == "\xC2\xB0" "C" || ieq(rtype, "DEGC");
    const bool mono = ieq(g.photometric, "MONOCHROME1") || ieq(g.photometric, "MONOCHROME2");
    bool temperature = has_slope && has_icpt && g.spp == 1 && mono &&
                       (celsius_type || (rtype.empty() && ieq(m.modality, "TG")));
    if (temperature && (!std::isfinite(slope) || !std::isfinite(intercept) || slope == 0.0))
        return tg_fail(TG_ERR_FORMAT, "%s: invalid Rescale Slope (0028,1053) = %g / Rescale Intercept (0028,1052) = %g",
                       name, slope, intercept);
    m.has_temperature = temperature ? 1 : 0;

    E_TransferSyntax xfer = EXS_Unknown;
    if ((st = prepare_pixels(ds, name, g, xfer)) != TG_OK)
        return st;
    if (!out)
        return TG_OK;
    if ((st = tg_image_create(out, m.frames, m.rows, m.cols)) != TG_OK)
        return st;
    st = temperature ? decode_temperature(ds, xfer, name, g, slope, intercept, *out)
                     : decode_intensity(ds, xfer, name, g, *out);
    if (st == TG_OK && temperature && tg_image_check_finite(out) != TG_OK)
        st = tg_fail(TG_ERR_NONFINITE, "%s: temperature map has non-finite values", name);
    if (st != TG_OK)
        tg_image_destroy(out);
    return st;
}

tg_status read_common(const void *data, size_t size, const char *name, const tg_dicom_limits *lim_in,
                      tg_image *out, tg_dicom_meta *meta)
{
    tg_dicom_limits lim;
    tg_dicom_limits_default(&lim);
    if (lim_in) {
        if (lim_in->max_pixels)
            lim.max_pixels = lim_in->max_pixels;
        if (lim_in->max_file_bytes)
            lim.max_file_bytes = lim_in->max_file_bytes;
    }
    if (size > lim.max_file_bytes)
        return tg_fail(TG_ERR_OVERFLOW, "%s: %zu bytes exceed the limit of %zu bytes", name, size,
                       lim.max_file_bytes);
    tg_dicom_init_codecs();
    tg_dicom_meta local;
    tg_dicom_meta &m = meta ? *meta : local;
    std::memset(&m, 0, sizeof m);
    DcmFileFormat ff;
    tg_status st = tg_dicom::parse_buffer(data, size, name, ff);
    if (st != TG_OK)
        return st;
    return read_dataset(ff, name, lim, out, m);
}

} // namespace

extern "C" void tg_dicom_limits_default(tg_dicom_limits *lim)
{
    if (!lim)
        return;
    lim->max_pixels = TG_DICOM_DEFAULT_MAX_PIXELS;
    lim->max_file_bytes = TG_DICOM_DEFAULT_MAX_FILE_BYTES;
}

extern "C" tg_status tg_dicom_read_buffer(const void *data, size_t size, const char *name,
                                          const tg_dicom_limits *lim, tg_image *out, tg_dicom_meta *meta)
{
    if (out) {
        out->c = out->h = out->w = 0;
        out->data = nullptr;
    }
    if (!name)
        name = "buffer";
    try {
        return read_common(data, size, name, lim, out, meta);
    } catch (const std::bad_alloc &) {
        if (out)
            tg_image_destroy(out);
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory while decoding", name);
    } catch (...) {
        if (out)
            tg_image_destroy(out);
        return tg_fail(TG_ERR_FORMAT, "%s: unexpected decoder failure", name);
    }
}

extern "C" tg_status tg_dicom_read_file(const char *path, const tg_dicom_limits *lim, tg_image *out,
                                        tg_dicom_meta *meta)
{
    if (out) {
        out->c = out->h = out->w = 0;
        out->data = nullptr;
    }
    if (!path)
        return tg_fail(TG_ERR_ARG, "tg_dicom_read_file: NULL path");
    size_t max_bytes = lim && lim->max_file_bytes ? lim->max_file_bytes : TG_DICOM_DEFAULT_MAX_FILE_BYTES;
    std::vector<unsigned char> bytes;
    try {
        tg_status st = tg_dicom::load_file_bytes(path, max_bytes, bytes);
        if (st != TG_OK)
            return st;
    } catch (...) {
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory reading the file", path);
    }
    return tg_dicom_read_buffer(bytes.data(), bytes.size(), path, lim, out, meta);
}
