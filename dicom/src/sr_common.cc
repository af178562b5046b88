/* SR skeleton shared by the result and audit SRs (see sr_common.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sr_common.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "dcmtk/dcmsr/codes/dcm.h"

namespace tg_dicom {

const char *const kPrivateScheme = "99TGUARD";
const char *const kPrivateSchemeUid = "2.25.109912167553877354080655181978024866329";

DSRCodedEntryValue private_code(const char *value, const char *meaning)
{
    return DSRCodedEntryValue(value, kPrivateScheme, meaning);
}

DSRCodedEntryValue code_yes() { return DSRCodedEntryValue("373066001", "SCT", "Yes"); }
DSRCodedEntryValue code_no() { return DSRCodedEntryValue("373067005", "SCT", "No"); }
DSRCodedEntryValue code_breast() { return DSRCodedEntryValue("76752008", "SCT", "Breast"); }

std::string format_ds(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

tg_status sr_fail(const char *what, const OFCondition &c)
{
    return tg_fail(TG_ERR_FORMAT, "SR: %s failed: %s", what, c.text());
}

tg_status load_sources(const tg_dicom_source *src, int n, Sources &out)
{
    if (!src || n < 1)
        return tg_fail(TG_ERR_ARG, "SR: at least one source image is required");
    std::string study;
    for (int i = 0; i < n; ++i) {
        auto ff = std::make_unique<DcmFileFormat>();
        std::string name = source_name(src[i], i);
        tg_status st = load_source(src[i], TG_DICOM_DEFAULT_MAX_FILE_BYTES, *ff);
        if (st != TG_OK)
            return st;
        DcmDataset &ds = *ff->getDataset();
        if (get_string(ds, DCM_SOPClassUID).empty() || get_string(ds, DCM_SOPInstanceUID).empty())
            return tg_fail(TG_ERR_FORMAT, "%s: missing SOP Class UID (0008,0016) or SOP Instance UID (0008,0018)",
                           name.c_str());
        if (!ds.tagExists(DCM_PixelData))
            return tg_fail(TG_ERR_FORMAT, "%s: not an image: no Pixel Data (7FE0,0010)", name.c_str());
        std::string s = get_string(ds, DCM_StudyInstanceUID);
        if (s.empty())
            return tg_fail(TG_ERR_FORMAT, "%s: missing Study Instance UID (0020,000D)", name.c_str());
        if (i == 0)
            study = s;
        else if (s != study)
            return tg_fail(TG_ERR_FORMAT, "%s: Study Instance UID (0020,000D) %s differs from the first source's %s",
                           name.c_str(), s.c_str(), study.c_str());
        out.files.push_back(std::move(ff));
        out.names.push_back(name);
    }
    return TG_OK;
}

static bool is_hex64(const char *s)
{
    if (!s || std::strlen(s) != 64)
        return false;
    for (const char *p = s; *p; ++p)
        if (!std::isxdigit(static_cast<unsigned char>(*p)))
            return false;
    return true;
}

tg_status check_model(const tg_sr_model_info &m)
{
    if (!m.name || !*m.name || !m.version || !*m.version)
        return tg_fail(TG_ERR_ARG, "SR: model name and version are required");
    if (!is_hex64(m.sha256))
        return tg_fail(TG_ERR_ARG, "SR: model SHA-256 must be 64 hex digits");
    if (!m.defense || !*m.defense)
        return tg_fail(TG_ERR_ARG, "SR: the defense settings text is required");
    if (!(m.threshold >= 0.0 && m.threshold <= 1.0))
        return tg_fail(TG_ERR_ARG, "SR: decision threshold %g is outside [0,1]", m.threshold);
    return TG_OK;
}

AlgorithmText algorithm_text(const tg_sr_model_info &m)
{
    AlgorithmText t;
    t.name = m.name;
    t.version = std::string(m.version) + " (sha256:" + std::string(m.sha256, 16) + ")";
    t.parameters = m.defense;
    t.sha256 = m.sha256;
    t.provenance = m.provenance ? m.provenance : "";
    return t;
}

tg_status start_report(TID1500_MeasurementReport &report, const Sources &src, const tg_sr_model_info &m)
{
    OFCondition c = report.createNewMeasurementReport(CMR_CID7021::ImagingMeasurementReport);
    if (c.good())
        c = report.setLanguage(CID5000_Languages::English, CID5001_Countries::UnitedStates);
    if (c.bad())
        return sr_fail("report root / language", c);
    std::string device_uid = m.device_uid && *m.device_uid ? m.device_uid : new_uid();
    c = report.getObservationContext().addDeviceObserver(
        device_uid.c_str(), m.device_name && *m.device_name ? m.device_name : "ThermoGuard",
        "ThermoGuard project", "ThermoGuard node");
    if (c.bad())
        return sr_fail("device observer", c);
    c = report.addProcedureReported(
        CID100_QuantitativeDiagnosticImagingProcedures(private_code("TG0001", "Thermography of breast")),
        OFFalse);
    if (c.bad())
        return sr_fail("procedure reported", c);
    TID1600_ImageLibrary &lib = report.getImageLibrary();
    if ((c = lib.createNewImageLibrary()).bad())
        return sr_fail("image library", c);
    if ((c = lib.addImageGroup()).bad())
        return sr_fail("image library group", c);
    for (size_t i = 0; i < src.files.size(); ++i) {
        if ((c = lib.addImageEntry(*src.files[i]->getDataset(), TID1600_ImageLibrary::withAllDescriptors)).bad())
            return tg_fail(TG_ERR_FORMAT, "%s: cannot add to the SR image library: %s", src.names[i].c_str(), c.text());
    }
    return TG_OK;
}

/* Reads the predecessor SR's identity and records it in Predecessor Documents Sequence. */
static tg_status add_predecessor(DSRDocument &doc, const tg_dicom_source &pred)
{
    DcmFileFormat ff;
    tg_status st = load_source(pred, TG_DICOM_DEFAULT_MAX_FILE_BYTES, ff);
    if (st != TG_OK)
        return st;
    DcmDataset &ds = *ff.getDataset();
    std::string name = source_name(pred, 0);
    if (get_string(ds, DCM_Modality) != "SR")
        return tg_fail(TG_ERR_FORMAT, "%s: predecessor is not an SR (Modality (0008,0060) = '%s')", name.c_str(),
                       get_string(ds, DCM_Modality).c_str());
    OFCondition c = doc.getPredecessorDocuments().addItem(
        get_string(ds, DCM_StudyInstanceUID).c_str(), get_string(ds, DCM_SeriesInstanceUID).c_str(),
        get_string(ds, DCM_SOPClassUID).c_str(), get_string(ds, DCM_SOPInstanceUID).c_str());
    if (c.bad())
        return tg_fail(TG_ERR_FORMAT, "%s: cannot reference predecessor SR: %s", name.c_str(), c.text());
    return TG_OK;
}

tg_status finish_document(TID1500_MeasurementReport &report, const Sources &src, const tg_sr_model_info &m,
                          const char *series_description, const tg_dicom_source *predecessor,
                          const char *out_path, char sop_uid_out[TG_DICOM_UID_SIZE])
{
    if (!report.isValid())
        return tg_fail(TG_ERR_FORMAT, "SR: the TID 1500 content is incomplete");
    DSRDocument doc;
    OFCondition c = doc.setTreeFromRootTemplate(report, OFTrue);
    if (c.bad())
        return sr_fail("setTreeFromRootTemplate", c);
    if ((c = doc.readStudyData(src.first())).bad())
        return sr_fail("readStudyData", c);
    doc.createNewSeries();
    doc.setSpecificCharacterSetType(DSRTypes::CS_UTF8);
    doc.setSeriesDescription(series_description);
    doc.setSeriesNumber("9001");
    doc.setInstanceNumber("1");
    doc.setManufacturer("ThermoGuard project");
    doc.setManufacturerModelName("ThermoGuard node");
    doc.setSoftwareVersions((std::string("ThermoGuard ") + TG_DICOM_VERSION + "\\" + m.name + " " + m.version).c_str(),
                            OFFalse);
    doc.setDeviceSerialNumber("");
    for (size_t i = 0; i < src.files.size(); ++i)
        if ((c = doc.getCurrentRequestedProcedureEvidence().addItem(*src.files[i]->getDataset())).bad())
            return tg_fail(TG_ERR_FORMAT, "%s: cannot add to the SR evidence: %s", src.names[i].c_str(), c.text());
    c = doc.getCodingSchemeIdentification().addItem(kPrivateScheme, kPrivateSchemeUid,
                                                    "ThermoGuard private codes", "ThermoGuard project");
    if (c.bad())
        return sr_fail("coding scheme identification", c);
    if (predecessor) {
        tg_status st = add_predecessor(doc, *predecessor);
        if (st != TG_OK)
            return st;
    }
    /* A machine result: complete, never verified by a person. */
    if ((c = doc.completeDocument()).bad())
        return sr_fail("completeDocument", c);

    DcmFileFormat ff;
    DcmDataset &ds = *ff.getDataset();
    if ((c = doc.write(ds)).bad())
        return sr_fail("writing the SR dataset", c);
    /* The project's own UID root for the new series and instance (DCMTK would use its own). */
    std::string series = new_uid(), sop = new_uid();
    if (series.empty() || sop.empty())
        return tg_fail(TG_ERR_IO, "SR: no random source for UID generation");
    ds.putAndInsertString(DCM_SeriesInstanceUID, series.c_str());
    ds.putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
    ds.findAndDeleteElement(DCM_InstanceCreatorUID);
    if ((c = ff.saveFile(out_path, EXS_LittleEndianExplicit)).bad())
        return tg_fail(TG_ERR_IO, "%s: cannot write the SR: %s", out_path, c.text());
    if (sop_uid_out)
        std::snprintf(sop_uid_out, TG_DICOM_UID_SIZE, "%s", sop.c_str());
    return TG_OK;
}

} // namespace tg_dicom
