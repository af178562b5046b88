/* dicomize: a °C map -> Secondary Capture thermogram (Modality TG, MONOCHROME2, 16-bit unsigned,
 * Rescale Slope 0.01, Rescale Intercept = floor(min °C), Rescale Type CEL, Body Part BREAST).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "dicom_internal.h"

namespace {

constexpr double kSlope = 0.01; /* °C per stored unit: 0.005 °C worst-case quantisation error */

std::string or_default(const char *s, const char *dflt)
{
    return (s && *s) ? std::string(s) : std::string(dflt);
}

bool valid_laterality(const char *l)
{
    return !l || !*l || !std::strcmp(l, "L") || !std::strcmp(l, "R") || !std::strcmp(l, "B");
}

std::string format_ds(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

tg_status put(DcmDataset &ds, const DcmTagKey &key, const std::string &value)
{
    OFCondition c = ds.putAndInsertOFStringArray(key, value.c_str());
    if (c.bad())
        return tg_fail(TG_ERR_ARG, "dicomize: cannot set (%04X,%04X) to '%s': %s", key.getGroup(),
                       key.getElement(), value.c_str(), c.text());
    return TG_OK;
}

tg_status build(const tg_image *img, const tg_dicomize_params *p, DcmDataset &ds, std::string &sop_uid)
{
    const size_t n = tg_image_size(img);
    double lo = img->data[0], hi = img->data[0];
    for (size_t i = 0; i < n; ++i) {
        lo = std::fmin(lo, img->data[i]);
        hi = std::fmax(hi, img->data[i]);
    }
    const double intercept = std::floor(lo);
    if ((hi - intercept) / kSlope > 65535.0)
        return tg_fail(TG_ERR_RANGE,
                       "dicomize: temperature range %.3f..%.3f °C does not fit 16 bits at 0.01 °C", lo, hi);

    std::vector<Uint16> px(n);
    for (size_t i = 0; i < n; ++i)
        px[i] = static_cast<Uint16>(std::lround((static_cast<double>(img->data[i]) - intercept) / kSlope));

    sop_uid = tg_dicom::new_uid();
    std::string study = p->study_uid ? p->study_uid : tg_dicom::new_uid();
    std::string series = p->series_uid ? p->series_uid : tg_dicom::new_uid();
    if (sop_uid.empty() || study.empty() || series.empty())
        return tg_fail(TG_ERR_IO, "dicomize: no random source for UID generation");
    const std::string date = or_default(p->study_date, tg_dicom::today().c_str());
    const std::string time = or_default(p->study_time, tg_dicom::now_time().c_str());
    const int series_no = p->series_number > 0 ? p->series_number : 1;
    const int instance_no = p->instance_number > 0 ? p->instance_number : 1;

    struct { DcmTagKey key; std::string value; } rows[] = {
        {DCM_SpecificCharacterSet, "ISO_IR 192"},
        {DCM_SOPClassUID, UID_SecondaryCaptureImageStorage},
        {DCM_SOPInstanceUID, sop_uid},
        {DCM_InstanceCreationDate, tg_dicom::today()},
        {DCM_InstanceCreationTime, tg_dicom::now_time()},
        /* Patient */
        {DCM_PatientName, or_default(p->patient_name, "")},
        {DCM_PatientID, p->patient_id},
        {DCM_PatientBirthDate, ""},
        {DCM_PatientSex, ""},
        /* General Study */
        {DCM_StudyInstanceUID, study},
        {DCM_StudyDate, date},
        {DCM_StudyTime, time},
        {DCM_ReferringPhysicianName, ""},
        {DCM_StudyID, or_default(p->study_id, "")},
        {DCM_AccessionNumber, or_default(p->accession, "")},
        /* General Series */
        {DCM_Modality, "TG"},
        {DCM_SeriesInstanceUID, series},
        {DCM_SeriesNumber, std::to_string(series_no)},
        {DCM_SeriesDescription, or_default(p->series_description, "ThermoGuard thermogram")},
        {DCM_BodyPartExamined, "BREAST"},
        /* General Equipment + SC Equipment */
        {DCM_Manufacturer, "ThermoGuard project"},
        {DCM_SoftwareVersions, "ThermoGuard " TG_DICOM_VERSION},
        {DCM_ConversionType, "WSD"},
        {DCM_SecondaryCaptureDeviceManufacturer, "ThermoGuard project"},
        {DCM_SecondaryCaptureDeviceManufacturerModelName, "thermoguard dicomize"},
        {DCM_SecondaryCaptureDeviceSoftwareVersions, TG_DICOM_VERSION},
        /* General Image */
        {DCM_InstanceNumber, std::to_string(instance_no)},
        {DCM_PatientOrientation, ""},
        {DCM_ContentDate, date},
        {DCM_ContentTime, time},
        {DCM_ImageType, "DERIVED\\SECONDARY"},
        {DCM_BurnedInAnnotation, "NO"},
        {DCM_LossyImageCompression, "00"},
        /* Image Pixel */
        {DCM_PhotometricInterpretation, "MONOCHROME2"},
        /* Modality LUT: stored value x 0.01 + intercept = °C */
        {DCM_RescaleIntercept, format_ds(intercept)},
        {DCM_RescaleSlope, format_ds(kSlope)},
        {DCM_RescaleType, "CEL"},
        /* VOI LUT (in °C, after the modality LUT) */
        {DCM_WindowCenter, format_ds((lo + hi) / 2)},
        {DCM_WindowWidth, format_ds(std::fmax(hi - lo, 1.0))},
        {DCM_WindowCenterWidthExplanation, "full range"},
    };
    tg_status st;
    for (const auto &r : rows)
        if ((st = put(ds, r.key, r.value)) != TG_OK)
            return st;
    if (p->laterality && *p->laterality && (st = put(ds, DCM_ImageLaterality, p->laterality)) != TG_OK)
        return st;
    if (p->view && *p->view && (st = put(ds, DCM_ViewPosition, p->view)) != TG_OK)
        return st;
    if (ds.putAndInsertUint16(DCM_SamplesPerPixel, 1).bad() ||
        ds.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(img->h)).bad() ||
        ds.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(img->w)).bad() ||
        ds.putAndInsertUint16(DCM_BitsAllocated, 16).bad() ||
        ds.putAndInsertUint16(DCM_BitsStored, 16).bad() ||
        ds.putAndInsertUint16(DCM_HighBit, 15).bad() ||
        ds.putAndInsertUint16(DCM_PixelRepresentation, 0).bad() ||
        ds.putAndInsertUint16Array(DCM_PixelData, px.data(), static_cast<unsigned long>(n)).bad())
        return tg_fail(TG_ERR_NOMEM, "dicomize: cannot store the pixel attributes");
    return TG_OK;
}

} // namespace

extern "C" tg_status tg_dicomize_write(const tg_image *celsius, const tg_dicomize_params *p,
                                       const char *out_path, char sop_uid_out[TG_DICOM_UID_SIZE])
{
    if (!celsius || !celsius->data || !p || !out_path)
        return tg_fail(TG_ERR_ARG, "dicomize: NULL image, parameters or output path");
    if (celsius->c != 1)
        return tg_fail(TG_ERR_ARG, "dicomize: expected a single-channel °C map, got %d channels", celsius->c);
    if (celsius->h < 1 || celsius->w < 1 || celsius->h > 65535 || celsius->w > 65535)
        return tg_fail(TG_ERR_ARG, "dicomize: %d x %d is outside DICOM's 1..65535 rows/columns",
                       celsius->h, celsius->w);
    if (!p->patient_id || !*p->patient_id)
        return tg_fail(TG_ERR_ARG, "dicomize: a patient ID is required");
    if (!valid_laterality(p->laterality))
        return tg_fail(TG_ERR_ARG, "dicomize: laterality must be L, R or B, got '%s'", p->laterality);
    tg_status st = tg_image_check_finite(celsius);
    if (st != TG_OK)
        return st;
    try {
        DcmFileFormat ff;
        std::string sop;
        if ((st = build(celsius, p, *ff.getDataset(), sop)) != TG_OK)
            return st;
        OFCondition c = ff.saveFile(out_path, EXS_LittleEndianExplicit);
        if (c.bad())
            return tg_fail(TG_ERR_IO, "%s: cannot write DICOM file: %s", out_path, c.text());
        if (sop_uid_out)
            std::snprintf(sop_uid_out, TG_DICOM_UID_SIZE, "%s", sop.c_str());
        return TG_OK;
    } catch (const std::bad_alloc &) {
        return tg_fail(TG_ERR_NOMEM, "dicomize: out of memory");
    }
}
