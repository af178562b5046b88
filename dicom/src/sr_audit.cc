/* The robustness-audit SR: same skeleton as the result SR, own series described as a QA
 * robustness audit; one measurement group per (image, attack): attack, threat model, budget in
 * °C and normalised units, whether the verdict flipped, smallest flipping perturbation, and
 * (when the deployed detector ran) whether it flagged the attacked input, with its score.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <cmath>

#include "dcmtk/dcmsr/codes/dcm.h"

#include "sr_common.h"

namespace tg_dicom {
namespace {

using Group = CMR_TID1501_in_TID1500;

Group::MeasurementValue value_in(double v, const char *unit, const char *unit_meaning)
{
    return Group::MeasurementValue(
        format_ds(v).c_str(),
        CID7181_AbstractMultiDimensionalImageModelComponentUnits(DSRCodedEntryValue(unit, "UCUM", unit_meaning)),
        OFFalse);
}

tg_status add_row(TID1500_MeasurementReport &report, const tg_sr_audit_row &r, int index, const Sources &src)
{
    OFCondition c = report.addIndividualMeasurements();
    if (c.bad())
        return sr_fail("audit measurement group", c);
    Group &g = report.getIndividualMeasurements();
    const std::string track = "Audit " + std::to_string(index + 1) + ": " + r.attack + " (" + r.threat_model + ")";
    const std::string uid = new_uid();
    DcmDataset &img = *src.files[static_cast<size_t>(r.source_index)]->getDataset();
    if ((c = g.setTrackingIdentifier(track.c_str(), OFFalse)).bad() ||
        (c = g.setTrackingUniqueIdentifier(uid.c_str())).bad() ||
        (c = g.setFinding(private_code("TG0020", "Adversarial robustness audit"))).bad() ||
        (c = g.addFindingSite(code_breast())).bad())
        return sr_fail("audit group header", c);
    const CID7469_GenericIntensityAndSizeMeasurements budget_c(private_code("TG0023", "Attack budget"));
    const CID7469_GenericIntensityAndSizeMeasurements budget_n(private_code("TG0024", "Attack budget (normalised)"));
    if ((c = g.addMeasurement(budget_c, value_in(r.budget_celsius, "Cel", "degree Celsius"), OFTrue, OFFalse)).bad() ||
        (c = g.getMeasurement().addImage(CODE_DCM_SourceOfMeasurement, img, OFFalse)).bad() ||
        (c = g.addMeasurement(budget_n, value_in(r.budget_normalised, "1", "no units"), OFTrue, OFFalse)).bad() ||
        (c = g.getMeasurement().addImage(CODE_DCM_SourceOfMeasurement, img, OFFalse)).bad())
        return sr_fail("audit budget", c);
    const DSRCodedEntryValue min_pert = private_code("TG0026", "Minimum flipping perturbation");
    if (r.min_perturbation_celsius >= 0) {
        c = g.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(min_pert),
                             value_in(r.min_perturbation_celsius, "Cel", "degree Celsius"), OFTrue, OFFalse);
        if (c.good())
            c = g.getMeasurement().addImage(CODE_DCM_SourceOfMeasurement, img, OFFalse);
    } else {
        c = g.addQualitativeEvaluation(min_pert, "none found", OFFalse);
    }
    if (c.good())
        c = g.addQualitativeEvaluation(private_code("TG0021", "Attack"), r.attack, OFFalse);
    if (c.good())
        c = g.addQualitativeEvaluation(private_code("TG0022", "Threat model"), r.threat_model, OFFalse);
    if (c.good())
        c = g.addQualitativeEvaluation(private_code("TG0025", "Verdict flipped"), r.flipped ? code_yes() : code_no(),
                                       OFFalse);
    if (c.good() && r.detector_ran) {
        /* the same concepts as the result SR's detector rows, for the attacked input */
        c = g.addQualitativeEvaluation(private_code("TG0005", "Adversarial input suspected"),
                                       r.detector_flag ? code_yes() : code_no(), OFFalse);
        if (c.good())
            c = g.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(
                                     private_code("TG0004", "Adversarial input detector score")),
                                 value_in(r.detector_score, "1", "no units"), OFTrue, OFFalse);
        if (c.good())
            c = g.getMeasurement().addImage(CODE_DCM_SourceOfMeasurement, img, OFFalse);
    }
    return c.good() ? TG_OK : sr_fail("audit row", c);
}

tg_status check_request(const tg_sr_audit_request &r)
{
    if (!r.rows || r.n_rows < 1)
        return tg_fail(TG_ERR_ARG, "audit SR: at least one audit row is required");
    for (int i = 0; i < r.n_rows; ++i) {
        const tg_sr_audit_row &a = r.rows[i];
        if (!a.attack || !*a.attack || !a.threat_model || !*a.threat_model)
            return tg_fail(TG_ERR_ARG, "audit SR: row %d needs an attack and a threat model", i);
        if (a.source_index < 0 || a.source_index >= r.n_sources)
            return tg_fail(TG_ERR_ARG, "audit SR: row %d source index %d is out of range", i, a.source_index);
        if (!std::isfinite(a.budget_celsius) || !std::isfinite(a.budget_normalised) || a.budget_celsius < 0 ||
            a.budget_normalised < 0 || !std::isfinite(a.min_perturbation_celsius))
            return tg_fail(TG_ERR_ARG, "audit SR: row %d has a negative or non-finite budget", i);
    }
    return check_model(r.model);
}

tg_status write_audit(const tg_sr_audit_request &r, const char *out_path, char *sop_uid_out)
{
    tg_status st = check_request(r);
    if (st != TG_OK)
        return st;
    Sources src;
    if ((st = load_sources(r.sources, r.n_sources, src)) != TG_OK)
        return st;
    TID1500_MeasurementReport report;
    if ((st = start_report(report, src, r.model)) != TG_OK)
        return st;
    for (int i = 0; i < r.n_rows; ++i)
        if ((st = add_row(report, r.rows[i], i, src)) != TG_OK)
            return st;
    const AlgorithmText alg = algorithm_text(r.model);
    OFCondition c = report.addQualitativeEvaluation(private_code("TG0008", "Usage notice"),
                                                    "QA robustness audit, not a clinical result. Research use only.",
                                                    OFFalse);
    if (c.good())
        c = report.addQualitativeEvaluation(CODE_DCM_AlgorithmName, alg.name.c_str(), OFFalse);
    if (c.good())
        c = report.addQualitativeEvaluation(CODE_DCM_AlgorithmVersion, alg.version.c_str(), OFFalse);
    if (c.good())
        c = report.addQualitativeEvaluation(CODE_DCM_AlgorithmParameters, alg.parameters.c_str(), OFFalse);
    if (c.good() && r.model.synthetic_demo)
        c = report.addQualitativeEvaluation(private_code("TG0009", "Caveat"),
                                            "synthetic demo model - not for clinical use", OFFalse);
    if (c.bad())
        return sr_fail("audit summary", c);
    return finish_document(report, src, r.model, "QA robustness audit (not a clinical result)", nullptr, out_path,
                           sop_uid_out);
}

} // namespace
} // namespace tg_dicom

extern "C" tg_status tg_sr_write_audit(const tg_sr_audit_request *req, const char *out_path,
                                       char sop_uid_out[TG_DICOM_UID_SIZE])
{
    if (!req || !out_path)
        return tg_fail(TG_ERR_ARG, "audit SR: NULL request or output path");
    try {
        return tg_dicom::write_audit(*req, out_path, sop_uid_out);
    } catch (const std::bad_alloc &) {
        return tg_fail(TG_ERR_NOMEM, "audit SR: out of memory");
    }
}
