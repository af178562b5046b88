/* The result SR: per-breast measurement groups (finding site + laterality, suspicion of
 * malignancy, probability, decision threshold, detector score/flag, algorithm identification,
 * source image), a study-level summary, "research use only" and the model caveats.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <algorithm>
#include <cmath>

#include "dcmtk/dcmsr/codes/dcm.h"

#include "sr_common.h"

namespace tg_dicom {
namespace {

using Group = CMR_TID1501_in_TID1500;

DSRCodedEntryValue unit_one() { return DSRCodedEntryValue("1", "UCUM", "no units"); }

Group::MeasurementValue unitless(double v)
{
    return Group::MeasurementValue(format_ds(v).c_str(),
                                   CID7181_AbstractMultiDimensionalImageModelComponentUnits(unit_one()), OFFalse);
}

tg_status add_number(Group &g, const DSRCodedEntryValue &concept, double v, const Sources &src, int source_index)
{
    OFCondition c = g.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(concept), unitless(v), OFTrue, OFFalse);
    if (c.bad())
        return sr_fail("measurement", c);
    for (size_t i = 0; i < src.files.size(); ++i) {
        if (source_index >= 0 && static_cast<size_t>(source_index) != i)
            continue;
        c = g.getMeasurement().addImage(CODE_DCM_SourceOfMeasurement, *src.files[i]->getDataset(), OFFalse);
        if (c.bad())
            return tg_fail(TG_ERR_FORMAT, "%s: cannot reference as source of measurement: %s", src.names[i].c_str(),
                           c.text());
    }
    return TG_OK;
}

tg_status add_text(Group &g, const DSRCodedEntryValue &concept, const std::string &text)
{
    OFCondition c = g.addQualitativeEvaluation(concept, text.c_str(), OFFalse);
    return c.good() ? TG_OK : sr_fail("text evaluation", c);
}

tg_status add_code(Group &g, const DSRCodedEntryValue &concept, const DSRCodedEntryValue &value)
{
    OFCondition c = g.addQualitativeEvaluation(concept, value, OFFalse);
    return c.good() ? TG_OK : sr_fail("coded evaluation", c);
}

tg_status add_breast(TID1500_MeasurementReport &report, const tg_sr_breast_result &b, const tg_sr_model_info &m,
                     const Sources &src)
{
    OFCondition c = report.addIndividualMeasurements();
    if (c.bad())
        return sr_fail("measurement group", c);
    Group &g = report.getIndividualMeasurements();
    const bool left = b.laterality == 'L';
    const std::string uid = new_uid();
    if ((c = g.setTrackingIdentifier(left ? "Left breast" : "Right breast")).bad() ||
        (c = g.setTrackingUniqueIdentifier(uid.c_str())).bad() ||
        (c = g.setFinding(DSRCodedEntryValue("254837009", "SCT", "Malignant neoplasm of breast"))).bad() ||
        (c = g.addFindingSite(code_breast(), CID244e_Laterality(left ? CID244_Laterality::Left
                                                                      : CID244_Laterality::Right))).bad())
        return sr_fail("measurement group header", c);
    const bool suspicious = b.probability >= m.threshold;
    const AlgorithmText alg = algorithm_text(m);
    tg_status st;
    if ((st = add_number(g, CODE_DCM_ProbabilityOfCancer, b.probability, src, b.source_index)) != TG_OK ||
        (st = add_number(g, private_code("TG0003", "Decision threshold"), m.threshold, src, b.source_index)) != TG_OK ||
        (st = add_number(g, private_code("TG0004", "Adversarial input detector score"), b.detector_score, src,
                         b.source_index)) != TG_OK ||
        (st = add_code(g, private_code("TG0002", "Suspicion of malignancy"), suspicious ? code_yes() : code_no())) != TG_OK ||
        (st = add_code(g, private_code("TG0005", "Adversarial input suspected"),
                       b.detector_flag ? code_yes() : code_no())) != TG_OK ||
        (st = add_text(g, CODE_DCM_AlgorithmName, alg.name)) != TG_OK ||
        (st = add_text(g, CODE_DCM_AlgorithmVersion, alg.version)) != TG_OK ||
        (st = add_text(g, CODE_DCM_AlgorithmParameters, alg.parameters)) != TG_OK ||
        (st = add_text(g, private_code("TG0006", "Model SHA-256"), alg.sha256)) != TG_OK)
        return st;
    if (!alg.provenance.empty() && (st = add_text(g, private_code("TG0007", "Training provenance"), alg.provenance)) != TG_OK)
        return st;
    return TG_OK;
}

tg_status check_request(const tg_sr_result_request &r)
{
    if (!r.breasts || r.n_breasts < 1 || r.n_breasts > 2)
        return tg_fail(TG_ERR_ARG, "SR: 1 or 2 breast results are required, got %d", r.n_breasts);
    for (int i = 0; i < r.n_breasts; ++i) {
        const tg_sr_breast_result &b = r.breasts[i];
        if (b.laterality != 'L' && b.laterality != 'R')
            return tg_fail(TG_ERR_ARG, "SR: breast %d laterality must be 'L' or 'R'", i);
        if (!(b.probability >= 0.0 && b.probability <= 1.0))
            return tg_fail(TG_ERR_ARG, "SR: breast %d probability %g is outside [0,1]", i, b.probability);
        if (!std::isfinite(b.detector_score))
            return tg_fail(TG_ERR_ARG, "SR: breast %d detector score is not finite", i);
        if (b.source_index < -1 || b.source_index >= r.n_sources)
            return tg_fail(TG_ERR_ARG, "SR: breast %d source index %d is out of range", i, b.source_index);
    }
    return check_model(r.model);
}

/* Study-level summary rows shared with the caveats. */
tg_status add_summary(TID1500_MeasurementReport &report, const tg_sr_result_request &r)
{
    double pmax = 0;
    for (int i = 0; i < r.n_breasts; ++i)
        pmax = std::max(pmax, r.breasts[i].probability);
    const bool suspicious = pmax >= r.model.threshold;
    OFCondition c = report.addQualitativeEvaluation(private_code("TG0002", "Suspicion of malignancy"),
                                                    suspicious ? code_yes() : code_no(), OFFalse);
    if (c.good())
        c = report.addQualitativeEvaluation(private_code("TG0011", "Maximum probability of malignancy"),
                                            (format_ds(pmax) + " (maximum over breasts; decision threshold " +
                                             format_ds(r.model.threshold) + ")").c_str(), OFFalse);
    if (c.good())
        c = report.addQualitativeEvaluation(private_code("TG0008", "Usage notice"),
                                            "Research use only. Not for clinical use. Machine result, unverified.",
                                            OFFalse);
    if (c.good() && r.model.synthetic_demo)
        c = report.addQualitativeEvaluation(private_code("TG0009", "Caveat"),
                                            "synthetic demo model - not for clinical use", OFFalse);
    if (c.good() && r.model.placeholder)
        c = report.addQualitativeEvaluation(private_code("TG0009", "Caveat"),
                                            "no model loaded: placeholder result", OFFalse);
    return c.good() ? TG_OK : sr_fail("study-level summary", c);
}

tg_status write_result(const tg_sr_result_request &r, const char *out_path, char *sop_uid_out)
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
    for (int i = 0; i < r.n_breasts; ++i)
        if ((st = add_breast(report, r.breasts[i], r.model, src)) != TG_OK)
            return st;
    if ((st = add_summary(report, r)) != TG_OK)
        return st;
    const char *desc = r.model.placeholder ? "ThermoGuard result (placeholder, research use only)"
                                           : "ThermoGuard result (research use only)";
    return finish_document(report, src, r.model, desc, r.predecessor, out_path, sop_uid_out);
}

} // namespace
} // namespace tg_dicom

extern "C" tg_status tg_sr_write_result(const tg_sr_result_request *req, const char *out_path,
                                        char sop_uid_out[TG_DICOM_UID_SIZE])
{
    if (!req || !out_path)
        return tg_fail(TG_ERR_ARG, "SR: NULL request or output path");
    try {
        return tg_dicom::write_result(*req, out_path, sop_uid_out);
    } catch (const std::bad_alloc &) {
        return tg_fail(TG_ERR_NOMEM, "SR: out of memory");
    }
}
