/* The SR skeleton shared by the result SR and the audit SR: sources, the private code set,
 * the TID 1500 header part (language, device observer, procedure, image library) and the
 * document/series/UID handling. Internal to the DICOM layer.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_SR_COMMON_H
#define THERMOGUARD_SR_COMMON_H

#include <memory>
#include <string>
#include <vector>

#include "dcmtk/dcmsr/cmr/tid1500.h"
#include "dcmtk/dcmsr/dsrdoc.h"

#include "dicom_internal.h"

namespace tg_dicom {

/* Private coding scheme of the project (declared in every SR's Coding Scheme Identification). */
extern const char *const kPrivateScheme;      /* "99TGUARD" */
extern const char *const kPrivateSchemeUid;   /* fixed "2.25..." UID of the code set */

/* A private concept from the 99TGUARD scheme. */
DSRCodedEntryValue private_code(const char *value, const char *meaning);

/* SNOMED CT / DCM codes used by both SRs. */
DSRCodedEntryValue code_yes();
DSRCodedEntryValue code_no();
DSRCodedEntryValue code_breast();

/* Source instances loaded for referencing. */
struct Sources {
    std::vector<std::unique_ptr<DcmFileFormat>> files;
    std::vector<std::string> names;
    DcmDataset &first() const { return *files.front()->getDataset(); }
};

/* Loads and checks the sources: each an image of the same study with SOP Class/Instance UIDs. */
tg_status load_sources(const tg_dicom_source *src, int n, Sources &out);

/* Checks the model fields every SR needs. */
tg_status check_model(const tg_sr_model_info &m);

/* Creates the TID 1500 report root with language, device observer, procedure reported and an
 * image library listing every source. */
tg_status start_report(TID1500_MeasurementReport &report, const Sources &src, const tg_sr_model_info &m);

/* The model's algorithm identification rows (TID 4019 concepts as text evaluations). */
struct AlgorithmText {
    std::string name, version, parameters, sha256, provenance;
};
AlgorithmText algorithm_text(const tg_sr_model_info &m);

/* Puts the report into a new Enhanced SR document in the sources' study and writes it.
 * `predecessor` may be NULL. The series/SOP UIDs come from the project's UID root. */
tg_status finish_document(TID1500_MeasurementReport &report, const Sources &src, const tg_sr_model_info &m,
                          const char *series_description, const tg_dicom_source *predecessor,
                          const char *out_path, char sop_uid_out[TG_DICOM_UID_SIZE]);

/* Formats a number for a DS value (up to 16 characters). */
std::string format_ds(double v);

/* Turns a DCMTK condition into a tg_status failure with context. */
tg_status sr_fail(const char *what, const OFCondition &c);

} // namespace tg_dicom

#endif
