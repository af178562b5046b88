/* ThermoGuard — auditing DICOM series, shared by every front end (`thermoguard audit` and the
 * Orthanc audit job): the per-image step on a series' breast samples (tg_analysis_samples_build),
 * the report's example images as PNG (through ITK, tg_image_encode_png) and the rows and model
 * identity of a per-study audit SR.
 * C API; no DCMTK/ITK types. SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_AUDIT_OUTPUTS_H
#define THERMOGUARD_AUDIT_OUTPUTS_H

#include <stddef.h>
#include "thermoguard/analysis.h"
#include "thermoguard/audit.h"
#include "thermoguard/dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Audits breast sample i of series samples `s` (one tg_audit_image call, label unknown): the
 * record is named "<instance>/<side>" and its patient field is `patient` (the node: the Orthanc
 * study id; the CLI: PatientID; both truncated to
 * TG_AUDIT_MAX_ID - 1)). Errors as tg_audit_image (TG_ERR_RANGE once a cap is reached);
 * TG_ERR_ARG for an index out of range. */
tg_status tg_audit_series_image(tg_audit *a, const tg_analysis_samples *s, int i, const char *instance,
                                const char *patient, const tg_progress *progress);

/* Encodes the audit's kept examples into png[0..return): clean and adversarial on the clean
 * image's range, the difference amplified to fill it. An example that cannot be encoded is left
 * out (the report then shows fewer). Free with tg_audit_examples_free. */
int tg_audit_examples_encode(const tg_audit *a, tg_audit_png png[TG_AUDIT_MAX_EXAMPLES]);

/* Frees the PNG bytes of png[0..n). */
void tg_audit_examples_free(tg_audit_png *png, int n);

/* The audit SR's identity of the audited model `m` (pointers into m). */
void tg_audit_sr_model(const tg_model *m, tg_sr_model_info *info);

/* The audit SR rows (one per attack that ran) of the records records[0..n) of `a`; the rows of
 * records[j] reference SR source source_index[j]. Skipped records give no rows. *rows is
 * malloc'd (NULL when *n_rows is 0; labels point into the audit's config). TG_ERR_ARG for a
 * record index out of range, TG_ERR_NOMEM. */
tg_status tg_audit_sr_rows(const tg_audit *a, const size_t *records, const int *source_index, int n,
                           tg_sr_audit_row **rows, int *n_rows);

/* Writes the audit SR of one study to `path`: sources[0..n_sources) are its images, records[j]
 * came from source source_index[j] (rows as tg_audit_sr_rows, model identity as
 * tg_audit_sr_model with `sha256` instead of m->sha256_hex when not NULL). *n_rows (may be NULL)
 * receives the rows written; with none (every record skipped) no file is written. Errors as
 * tg_audit_sr_rows and tg_sr_write_audit. */
tg_status tg_audit_write_study_sr(const tg_audit *a, const tg_model *m, const char *sha256,
                                  const tg_dicom_source *sources, int n_sources, const size_t *records,
                                  const int *source_index, int n, const char *path, int *n_rows);

#ifdef __cplusplus
}
#endif
#endif
